//! `linux.seccomp` of config.json (OCI runtime spec, config-linux.md#seccomp).
//!
//! A containerd/docker default profile names about 370 syscalls, one rule
//! alone about 300. Giving every rule its own `Vec<&str, 512>` would cost
//! hundreds of kilobytes of stack, so the names of all rules live in ONE pool
//! on [`Seccomp`] (`names`), and each [`Rule`] holds a [`Span`] into it; the
//! same for the arguments (`args`). The `syscalls` array is read with a
//! `DeserializeSeed` that appends to those pools.
//!
//! Strings borrow the config buffer raw (JSON escapes left in, see
//! notes/CONTEXT.md). Keywords (actions, operators, architectures, flags) are
//! recognised while parsing but an unknown one is kept as [`Word::Unknown`]:
//! serde errors are only for structural problems (missing field, wrong type).
//! The meaning is checked by [`Seccomp::validate`], whose errors name the
//! field, e.g. `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
//! A profile over a capacity is recorded while parsing and reported by
//! `validate` with the field and the limit, never a panic.

use crate::caps::{
    MAX_SECCOMP_ARCHS, MAX_SECCOMP_ARGS, MAX_SECCOMP_FLAGS, MAX_SECCOMP_NAMES, MAX_SECCOMP_RULES,
};
use crate::error::{Error, Result};
use core::fmt;

// Spans are u16: a capacity above that is a build-time error, not a runtime one.
const _: () = assert!(MAX_SECCOMP_NAMES <= u16::MAX as usize);
const _: () = assert!(MAX_SECCOMP_ARGS <= u16::MAX as usize);

/// `what` of every validation error.
const WHAT: &str = "invalid config.json:";

/// A keyword from the profile: one husk knows, or the raw text for the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word<'a, T> {
    Known(T),
    Unknown(&'a str),
}

impl<'a, T: Copy> Word<'a, T> {
    pub fn known(&self) -> Option<T> {
        match self {
            Word::Known(t) => Some(*t),
            Word::Unknown(_) => None,
        }
    }
}

fn word<'a, T: Copy>(table: &[(&str, T)], s: &'a str) -> Word<'a, T> {
    table
        .iter()
        .find(|(n, _)| *n == s)
        .map_or(Word::Unknown(s), |(_, t)| Word::Known(*t))
}

/// `syscalls[].action` / `defaultAction` (libseccomp's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `SCMP_ACT_KILL`: kill the thread (libseccomp's historical meaning).
    Kill,
    KillProcess,
    KillThread,
    Trap,
    Errno,
    Trace,
    Allow,
    Log,
    Notify,
}

impl Action {
    pub const ALL: [(&'static str, Action); 9] = [
        ("SCMP_ACT_KILL", Action::Kill),
        ("SCMP_ACT_KILL_PROCESS", Action::KillProcess),
        ("SCMP_ACT_KILL_THREAD", Action::KillThread),
        ("SCMP_ACT_TRAP", Action::Trap),
        ("SCMP_ACT_ERRNO", Action::Errno),
        ("SCMP_ACT_TRACE", Action::Trace),
        ("SCMP_ACT_ALLOW", Action::Allow),
        ("SCMP_ACT_LOG", Action::Log),
        ("SCMP_ACT_NOTIFY", Action::Notify),
    ];

    /// Only ERRNO and TRACE carry a value (the spec's `errnoRet`).
    pub fn takes_errno(self) -> bool {
        matches!(self, Action::Errno | Action::Trace)
    }
}

/// `syscalls[].args[].op`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `(arg & value) == valueTwo`.
    MaskedEq,
}

impl Op {
    pub const ALL: [(&'static str, Op); 7] = [
        ("SCMP_CMP_NE", Op::Ne),
        ("SCMP_CMP_LT", Op::Lt),
        ("SCMP_CMP_LE", Op::Le),
        ("SCMP_CMP_EQ", Op::Eq),
        ("SCMP_CMP_GE", Op::Ge),
        ("SCMP_CMP_GT", Op::Gt),
        ("SCMP_CMP_MASKED_EQ", Op::MaskedEq),
    ];
}

/// `architectures[]`: the six ABIs husk compiles for, or `Foreign` for the
/// other names the spec allows (valid, but never the machine husk runs on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchName {
    X86,
    X86_64,
    X32,
    Arm,
    Aarch64,
    Riscv64,
    Foreign,
}

impl ArchName {
    pub const ALL: [(&'static str, ArchName); 23] = [
        ("SCMP_ARCH_X86", ArchName::X86),
        ("SCMP_ARCH_X86_64", ArchName::X86_64),
        ("SCMP_ARCH_X32", ArchName::X32),
        ("SCMP_ARCH_ARM", ArchName::Arm),
        ("SCMP_ARCH_AARCH64", ArchName::Aarch64),
        ("SCMP_ARCH_RISCV64", ArchName::Riscv64),
        ("SCMP_ARCH_MIPS", ArchName::Foreign),
        ("SCMP_ARCH_MIPS64", ArchName::Foreign),
        ("SCMP_ARCH_MIPS64N32", ArchName::Foreign),
        ("SCMP_ARCH_MIPSEL", ArchName::Foreign),
        ("SCMP_ARCH_MIPSEL64", ArchName::Foreign),
        ("SCMP_ARCH_MIPSEL64N32", ArchName::Foreign),
        ("SCMP_ARCH_PPC", ArchName::Foreign),
        ("SCMP_ARCH_PPC64", ArchName::Foreign),
        ("SCMP_ARCH_PPC64LE", ArchName::Foreign),
        ("SCMP_ARCH_S390", ArchName::Foreign),
        ("SCMP_ARCH_S390X", ArchName::Foreign),
        ("SCMP_ARCH_PARISC", ArchName::Foreign),
        ("SCMP_ARCH_PARISC64", ArchName::Foreign),
        ("SCMP_ARCH_LOONGARCH64", ArchName::Foreign),
        ("SCMP_ARCH_M68K", ArchName::Foreign),
        ("SCMP_ARCH_SH", ArchName::Foreign),
        ("SCMP_ARCH_SHEB", ArchName::Foreign),
    ];
}

/// `flags[]` for seccomp(2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    Tsync,
    Log,
    SpecAllow,
    WaitKillableRecv,
}

impl Flag {
    pub const ALL: [(&'static str, Flag); 4] = [
        ("SECCOMP_FILTER_FLAG_TSYNC", Flag::Tsync),
        ("SECCOMP_FILTER_FLAG_LOG", Flag::Log),
        ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", Flag::SpecAllow),
        (
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
            Flag::WaitKillableRecv,
        ),
    ];
}

/// A range `[start, start + len)` of a shared pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u16,
    pub len: u16,
}

impl Span {
    fn of<T>(self, pool: &[T]) -> &[T] {
        let start = usize::from(self.start);
        pool.get(start..start + usize::from(self.len))
            .unwrap_or(&[])
    }
}

/// One `syscalls[].args[]` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg<'a> {
    pub index: u32,
    pub value: u64,
    pub value_two: u64,
    pub op: Word<'a, Op>,
}

/// One `syscalls[]` rule; `names` and `args` index the pools of [`Seccomp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule<'a> {
    pub names: Span,
    pub action: Word<'a, Action>,
    pub errno_ret: Option<u32>,
    pub args: Span,
}

/// What overflowed a capacity while parsing (reported by `validate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Over {
    Rules,
    Names(usize),
    Args(usize),
    Archs,
    Flags,
}

/// `linux.seccomp`.
#[derive(Clone, Debug)]
pub struct Seccomp<'a> {
    pub default_action: Word<'a, Action>,
    pub default_errno_ret: Option<u32>,
    pub architectures: heapless::Vec<Word<'a, ArchName>, MAX_SECCOMP_ARCHS>,
    pub flags: heapless::Vec<Word<'a, Flag>, MAX_SECCOMP_FLAGS>,
    pub listener_path: Option<&'a str>,
    pub listener_metadata: Option<&'a str>,
    // The three pools live on the heap (fixed capacity all the same), so
    // the parse never moves their ~24 KB through serde's stack frames.
    pub syscalls: Box<heapless::Vec<Rule<'a>, MAX_SECCOMP_RULES>>,
    /// The names of all rules, in order.
    pub names: Box<heapless::Vec<&'a str, MAX_SECCOMP_NAMES>>,
    /// The args of all rules, in order.
    pub args: Box<heapless::Vec<Arg<'a>, MAX_SECCOMP_ARGS>>,
    over: Option<Over>,
}

impl<'a> Seccomp<'a> {
    /// No rules; `defaultAction` still to be read.
    fn empty() -> Seccomp<'a> {
        Seccomp {
            default_action: Word::Unknown(""),
            default_errno_ret: None,
            architectures: heapless::Vec::new(),
            flags: heapless::Vec::new(),
            listener_path: None,
            listener_metadata: None,
            syscalls: Box::default(),
            names: Box::default(),
            args: Box::default(),
            over: None,
        }
    }

    /// The syscall names of `rule`.
    pub fn names_of(&self, rule: &Rule<'a>) -> &[&'a str] {
        rule.names.of(&self.names)
    }

    /// The argument conditions of `rule`.
    pub fn args_of(&self, rule: &Rule<'a>) -> &[Arg<'a>] {
        rule.args.of(&self.args)
    }

    /// Does any rule use SCMP_ACT_NOTIFY (so seccomp(2) must return a listener)?
    pub fn uses_notify(&self) -> bool {
        self.syscalls
            .iter()
            .any(|r| r.action == Word::Known(Action::Notify))
    }

    /// Check the profile's meaning; errors name the field. Call before any fork.
    pub fn validate(&self) -> Result<()> {
        if let Some(over) = self.over {
            return Err(over_error(over));
        }
        let default = self.default_action;
        match default {
            Word::Unknown(s) => bail!(WHAT, "linux.seccomp.defaultAction: unknown action \"{s}\""),
            Word::Known(Action::Notify) => bail!(
                WHAT,
                "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"
            ),
            Word::Known(a) => {
                check_errno(a, self.default_errno_ret, format_args!("defaultErrnoRet"))?
            }
        }
        for (i, a) in self.architectures.iter().enumerate() {
            if let Word::Unknown(s) = a {
                bail!(
                    WHAT,
                    "linux.seccomp.architectures[{i}]: unknown architecture \"{s}\""
                );
            }
        }
        for (i, f) in self.flags.iter().enumerate() {
            if let Word::Unknown(s) = f {
                bail!(WHAT, "linux.seccomp.flags[{i}]: unknown flag \"{s}\"");
            }
        }
        if self.listener_metadata.is_some() && self.listener_path.is_none() {
            bail!(
                WHAT,
                "linux.seccomp.listenerMetadata: set without listenerPath"
            );
        }
        for (i, rule) in self.syscalls.iter().enumerate() {
            self.validate_rule(i, rule)?;
        }
        Ok(())
    }

    fn validate_rule(&self, i: usize, rule: &Rule<'a>) -> Result<()> {
        let names = self.names_of(rule);
        if names.is_empty() {
            bail!(
                WHAT,
                "linux.seccomp.syscalls[{i}].names: must name at least one syscall"
            );
        }
        for (j, name) in names.iter().enumerate() {
            if !crate::seccomp::is_known_syscall(name) {
                bail!(
                    WHAT,
                    "linux.seccomp.syscalls[{i}].names[{j}]: unknown syscall \"{name}\" (on any Linux architecture)"
                );
            }
        }
        let action = match rule.action {
            Word::Unknown(s) => bail!(
                WHAT,
                "linux.seccomp.syscalls[{i}].action: unknown action \"{s}\""
            ),
            Word::Known(a) => a,
        };
        check_errno(
            action,
            rule.errno_ret,
            format_args!("syscalls[{i}].errnoRet"),
        )?;
        if action == Action::Notify {
            if self.listener_path.is_none() {
                bail!(WHAT, "linux.seccomp.syscalls[{i}].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
            }
            // As runc: the runtime itself may still write after loading.
            if names.contains(&"write") {
                bail!(WHAT, "linux.seccomp.syscalls[{i}].action: SCMP_ACT_NOTIFY cannot be used for \"write\"");
            }
        }
        for (j, arg) in self.args_of(rule).iter().enumerate() {
            if arg.index >= 6 {
                bail!(
                    WHAT,
                    "linux.seccomp.syscalls[{i}].args[{j}].index: {} is not a syscall argument (0-5)",
                    arg.index
                );
            }
            if let Word::Unknown(s) = arg.op {
                bail!(
                    WHAT,
                    "linux.seccomp.syscalls[{i}].args[{j}].op: unknown operator \"{s}\""
                );
            }
        }
        Ok(())
    }
}

/// errnoRet only for ERRNO/TRACE (spec: "the runtime MUST print and error
/// and fail"), and it must fit SECCOMP_RET_DATA (16 bits).
fn check_errno(action: Action, errno: Option<u32>, field: fmt::Arguments<'_>) -> Result<()> {
    match errno {
        Some(_) if !action.takes_errno() => {
            bail!(
                WHAT,
                "linux.seccomp.{field}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"
            )
        }
        Some(e) if e > 0xffff => {
            bail!(WHAT, "linux.seccomp.{field}: {e} is out of range (0-65535)")
        }
        _ => Ok(()),
    }
}

fn over_error(over: Over) -> Error {
    let (field, idx, limit, cap, what) = match over {
        Over::Rules => (
            "syscalls",
            None,
            MAX_SECCOMP_RULES,
            "MAX_SECCOMP_RULES",
            "rules",
        ),
        Over::Names(i) => (
            "names",
            Some(i),
            MAX_SECCOMP_NAMES,
            "MAX_SECCOMP_NAMES",
            "syscall names in all rules together",
        ),
        Over::Args(i) => (
            "args",
            Some(i),
            MAX_SECCOMP_ARGS,
            "MAX_SECCOMP_ARGS",
            "args in all rules together",
        ),
        Over::Archs => (
            "architectures",
            None,
            MAX_SECCOMP_ARCHS,
            "MAX_SECCOMP_ARCHS",
            "entries",
        ),
        Over::Flags => (
            "flags",
            None,
            MAX_SECCOMP_FLAGS,
            "MAX_SECCOMP_FLAGS",
            "entries",
        ),
    };
    match idx {
        Some(i) => err!(
            WHAT,
            "linux.seccomp.syscalls[{i}].{field}: more than {limit} {what} ({cap}; rebuild with HUSK_{cap}=N)"
        ),
        None => err!(WHAT, "linux.seccomp.{field}: more than {limit} {what} ({cap}; rebuild with HUSK_{cap}=N)"),
    }
}

mod de;
#[cfg(test)]
mod tests;
