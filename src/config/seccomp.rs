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
use core::marker::PhantomData;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

// Spans are u16: a capacity above that is a build-time error, not a runtime one.
const _: () = assert!(MAX_SECCOMP_NAMES <= u16::MAX as usize && MAX_SECCOMP_ARGS <= u16::MAX as usize);

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
        ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", Flag::WaitKillableRecv),
    ];
}

/// A range `[start, start + len)` of a shared pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u16,
    pub len: u16,
}

impl Span {
    fn of<'p, T>(self, pool: &'p [T]) -> &'p [T] {
        let start = usize::from(self.start);
        pool.get(start..start + usize::from(self.len)).unwrap_or(&[])
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
    pub syscalls: heapless::Vec<Rule<'a>, MAX_SECCOMP_RULES>,
    /// The names of all rules, in order.
    pub names: heapless::Vec<&'a str, MAX_SECCOMP_NAMES>,
    /// The args of all rules, in order.
    pub args: heapless::Vec<Arg<'a>, MAX_SECCOMP_ARGS>,
    over: Option<Over>,
}

impl<'a> Seccomp<'a> {
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
        self.syscalls.iter().any(|r| r.action == Word::Known(Action::Notify))
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
            Word::Known(a) => check_errno(a, self.default_errno_ret, format_args!("defaultErrnoRet"))?,
        }
        for (i, a) in self.architectures.iter().enumerate() {
            if let Word::Unknown(s) = a {
                bail!(WHAT, "linux.seccomp.architectures[{i}]: unknown architecture \"{s}\"");
            }
        }
        for (i, f) in self.flags.iter().enumerate() {
            if let Word::Unknown(s) = f {
                bail!(WHAT, "linux.seccomp.flags[{i}]: unknown flag \"{s}\"");
            }
        }
        if self.listener_metadata.is_some() && self.listener_path.is_none() {
            bail!(WHAT, "linux.seccomp.listenerMetadata: set without listenerPath");
        }
        for (i, rule) in self.syscalls.iter().enumerate() {
            self.validate_rule(i, rule)?;
        }
        Ok(())
    }

    fn validate_rule(&self, i: usize, rule: &Rule<'a>) -> Result<()> {
        let names = self.names_of(rule);
        if names.is_empty() {
            bail!(WHAT, "linux.seccomp.syscalls[{i}].names: must name at least one syscall");
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
            Word::Unknown(s) => bail!(WHAT, "linux.seccomp.syscalls[{i}].action: unknown action \"{s}\""),
            Word::Known(a) => a,
        };
        check_errno(action, rule.errno_ret, format_args!("syscalls[{i}].errnoRet"))?;
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
                bail!(WHAT, "linux.seccomp.syscalls[{i}].args[{j}].op: unknown operator \"{s}\"");
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
            bail!(WHAT, "linux.seccomp.{field}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno")
        }
        Some(e) if e > 0xffff => bail!(WHAT, "linux.seccomp.{field}: {e} is out of range (0-65535)"),
        _ => Ok(()),
    }
}

fn over_error(over: Over) -> Error {
    let (field, idx, limit, cap, what) = match over {
        Over::Rules => ("syscalls", None, MAX_SECCOMP_RULES, "MAX_SECCOMP_RULES", "rules"),
        Over::Names(i) => ("names", Some(i), MAX_SECCOMP_NAMES, "MAX_SECCOMP_NAMES", "syscall names in all rules together"),
        Over::Args(i) => ("args", Some(i), MAX_SECCOMP_ARGS, "MAX_SECCOMP_ARGS", "args in all rules together"),
        Over::Archs => ("architectures", None, MAX_SECCOMP_ARCHS, "MAX_SECCOMP_ARCHS", "entries"),
        Over::Flags => ("flags", None, MAX_SECCOMP_FLAGS, "MAX_SECCOMP_FLAGS", "entries"),
    };
    match idx {
        Some(i) => err!(
            WHAT,
            "linux.seccomp.syscalls[{i}].{field}: more than {limit} {what} ({cap}; rebuild with HUSK_{cap}=N)"
        ),
        None => err!(WHAT, "linux.seccomp.{field}: more than {limit} {what} ({cap}; rebuild with HUSK_{cap}=N)"),
    }
}

// ---- Deserialize ---------------------------------------------------------

/// Parse state shared by the seeds: the pools and the first overflow.
struct Pools<'p, 'a> {
    names: &'p mut heapless::Vec<&'a str, MAX_SECCOMP_NAMES>,
    args: &'p mut heapless::Vec<Arg<'a>, MAX_SECCOMP_ARGS>,
    over: &'p mut Option<Over>,
}

fn note(over: &mut Option<Over>, what: Over) {
    if over.is_none() {
        *over = Some(what);
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Seccomp<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        const FIELDS: &[&str] = &[
            "defaultAction",
            "defaultErrnoRet",
            "architectures",
            "flags",
            "listenerPath",
            "listenerMetadata",
            "syscalls",
        ];
        d.deserialize_struct("Seccomp", FIELDS, SeccompVisitor(PhantomData))
    }
}

struct SeccompVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for SeccompVisitor<'a> {
    type Value = Seccomp<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a linux.seccomp object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> core::result::Result<Self::Value, M::Error> {
        let mut s = Seccomp {
            default_action: Word::Unknown(""),
            default_errno_ret: None,
            architectures: heapless::Vec::new(),
            flags: heapless::Vec::new(),
            listener_path: None,
            listener_metadata: None,
            syscalls: heapless::Vec::new(),
            names: heapless::Vec::new(),
            args: heapless::Vec::new(),
            over: None,
        };
        let mut have_default = false;
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "defaultAction" => {
                    s.default_action = word(&Action::ALL, map.next_value::<&'de str>()?);
                    have_default = true;
                }
                "defaultErrnoRet" => s.default_errno_ret = map.next_value()?,
                "architectures" => map.next_value_seed(WordsSeed {
                    out: &mut s.architectures,
                    table: &ArchName::ALL,
                    over: &mut s.over,
                    what: Over::Archs,
                })?,
                "flags" => map.next_value_seed(WordsSeed {
                    out: &mut s.flags,
                    table: &Flag::ALL,
                    over: &mut s.over,
                    what: Over::Flags,
                })?,
                "listenerPath" => s.listener_path = map.next_value()?,
                "listenerMetadata" => s.listener_metadata = map.next_value()?,
                "syscalls" => map.next_value_seed(RulesSeed {
                    rules: &mut s.syscalls,
                    pools: Pools {
                        names: &mut s.names,
                        args: &mut s.args,
                        over: &mut s.over,
                    },
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !have_default {
            return Err(de::Error::missing_field("defaultAction"));
        }
        Ok(s)
    }
}

/// A JSON array of keywords into a bounded Vec of [`Word`]s.
struct WordsSeed<'p, 'a, T: 'static, const N: usize> {
    out: &'p mut heapless::Vec<Word<'a, T>, N>,
    table: &'static [(&'static str, T)],
    over: &'p mut Option<Over>,
    what: Over,
}

impl<'de: 'a, 'a, T: Copy + 'static, const N: usize> DeserializeSeed<'de> for WordsSeed<'_, 'a, T, N> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a, T: Copy + 'static, const N: usize> Visitor<'de> for WordsSeed<'_, 'a, T, N> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> core::result::Result<(), S::Error> {
        while let Some(s) = seq.next_element::<&'de str>()? {
            if self.out.push(word(self.table, s)).is_err() {
                note(self.over, self.what);
            }
        }
        Ok(())
    }
}

/// `syscalls`: rules appended to `rules`, their names and args to the pools.
struct RulesSeed<'p, 'a> {
    rules: &'p mut heapless::Vec<Rule<'a>, MAX_SECCOMP_RULES>,
    pools: Pools<'p, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for RulesSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for RulesSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of syscall rules")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> core::result::Result<(), S::Error> {
        let mut index = 0;
        loop {
            let seed = RuleSeed {
                index,
                pools: Pools {
                    names: self.pools.names,
                    args: self.pools.args,
                    over: self.pools.over,
                },
            };
            let Some(rule) = seq.next_element_seed(seed)? else {
                return Ok(());
            };
            if self.rules.push(rule).is_err() {
                note(self.pools.over, Over::Rules);
            }
            index += 1;
        }
    }
}

/// One rule object.
struct RuleSeed<'p, 'a> {
    index: usize,
    pools: Pools<'p, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for RuleSeed<'_, 'a> {
    type Value = Rule<'a>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Rule<'a>, D::Error> {
        d.deserialize_struct("Syscall", &["names", "action", "errnoRet", "args"], self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for RuleSeed<'_, 'a> {
    type Value = Rule<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a syscall rule object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> core::result::Result<Rule<'a>, M::Error> {
        let (mut names, mut action, mut errno_ret, mut args) = (None, None, None, Span::default());
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "names" => {
                    names = Some(map.next_value_seed(PoolSeed {
                        pool: &mut *self.pools.names,
                        over: &mut *self.pools.over,
                        what: Over::Names(self.index),
                        elem: PhantomData::<&'de str>,
                    })?)
                }
                "action" => action = Some(word(&Action::ALL, map.next_value::<&'de str>()?)),
                "errnoRet" => errno_ret = map.next_value()?,
                "args" => {
                    args = map.next_value_seed(PoolSeed {
                        pool: &mut *self.pools.args,
                        over: &mut *self.pools.over,
                        what: Over::Args(self.index),
                        elem: PhantomData::<ArgDe<'de>>,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Rule {
            names: names.ok_or_else(|| de::Error::missing_field("names"))?,
            action: action.ok_or_else(|| de::Error::missing_field("action"))?,
            errno_ret,
            args,
        })
    }
}

/// A JSON array of `E` appended to a shared pool of `T`; yields the [`Span`]
/// it filled.
struct PoolSeed<'p, T, E, const N: usize> {
    pool: &'p mut heapless::Vec<T, N>,
    over: &'p mut Option<Over>,
    what: Over,
    elem: PhantomData<E>,
}

impl<'de, T, E: de::Deserialize<'de> + Into<T>, const N: usize> DeserializeSeed<'de> for PoolSeed<'_, T, E, N> {
    type Value = Span;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Span, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T, E: de::Deserialize<'de> + Into<T>, const N: usize> Visitor<'de> for PoolSeed<'_, T, E, N> {
    type Value = Span;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> core::result::Result<Span, S::Error> {
        // Fits: N <= u16::MAX (checked at build time above).
        let start = self.pool.len() as u16;
        while let Some(e) = seq.next_element::<E>()? {
            if self.pool.push(e.into()).is_err() {
                note(self.over, self.what);
            }
        }
        let len = (self.pool.len() as u16).saturating_sub(start);
        Ok(Span { start, len })
    }
}

/// `args[]` element as parsed; becomes an [`Arg`].
struct ArgDe<'a>(Arg<'a>);

impl<'a> From<ArgDe<'a>> for Arg<'a> {
    fn from(a: ArgDe<'a>) -> Arg<'a> {
        a.0
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for ArgDe<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_struct("Arg", &["index", "value", "valueTwo", "op"], ArgVisitor(PhantomData))
    }
}

struct ArgVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ArgVisitor<'a> {
    type Value = ArgDe<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a syscall argument condition")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> core::result::Result<ArgDe<'a>, M::Error> {
        let (mut index, mut value, mut value_two, mut op) = (None, None, 0u64, None);
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "index" => index = Some(map.next_value::<u32>()?),
                "value" => value = Some(map.next_value::<u64>()?),
                "valueTwo" => value_two = map.next_value::<Option<u64>>()?.unwrap_or(0),
                "op" => op = Some(word(&Op::ALL, map.next_value::<&'de str>()?)),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(ArgDe(Arg {
            index: index.ok_or_else(|| de::Error::missing_field("index"))?,
            value: value.ok_or_else(|| de::Error::missing_field("value"))?,
            value_two,
            op: op.ok_or_else(|| de::Error::missing_field("op"))?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Seccomp<'_> {
        match serde_json_core::from_str::<Seccomp>(json) {
            Ok((s, _)) => s,
            Err(e) => panic!("parse failed: {e:?}"),
        }
    }

    #[test]
    fn parses_all_fields_into_pools() {
        let s = parse(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"comment":{"x":[1,2]},
            "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"flags":["SECCOMP_FILTER_FLAG_LOG"],
            "listenerPath":"/run/a\"b.sock","listenerMetadata":"m",
            "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW","comment":"x"},
                        {"names":["personality"],"action":"SCMP_ACT_ALLOW",
                         "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},
                                 {"index":1,"value":18446744073709551615,"valueTwo":3,"op":"SCMP_CMP_MASKED_EQ"}]},
                        {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
        );
        assert_eq!(s.default_action, Word::Known(Action::Errno));
        assert_eq!(s.default_errno_ret, Some(38));
        assert_eq!(s.architectures.as_slice(), &[Word::Known(ArchName::X86_64), Word::Known(ArchName::X86)]);
        assert_eq!(s.flags.as_slice(), &[Word::Known(Flag::Log)]);
        assert_eq!(s.listener_path, Some(r#"/run/a\"b.sock"#), "raw escapes kept");
        assert_eq!(s.syscalls.len(), 3);
        assert_eq!(s.names_of(&s.syscalls[0]), &["read", "write"]);
        assert_eq!(s.names_of(&s.syscalls[1]), &["personality"]);
        assert_eq!(s.names_of(&s.syscalls[2]), &["getppid"]);
        let args = s.args_of(&s.syscalls[1]);
        assert_eq!(args.len(), 2);
        assert_eq!(args[1].value, u64::MAX);
        assert_eq!(args[1].value_two, 3);
        assert_eq!(args[1].op, Word::Known(Op::MaskedEq));
        assert!(s.args_of(&s.syscalls[0]).is_empty());
        assert_eq!(s.syscalls[2].errno_ret, Some(1));
        assert!(!s.uses_notify());
        s.validate().unwrap();
    }

    #[test]
    fn structural_errors_are_serde_errors() {
        assert!(serde_json_core::from_str::<Seccomp>(r#"{"syscalls":[]}"#).is_err(), "defaultAction missing");
        let no_names = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ALLOW"}]}"#;
        assert!(serde_json_core::from_str::<Seccomp>(no_names).is_err());
        let no_op = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}]}"#;
        assert!(serde_json_core::from_str::<Seccomp>(no_op).is_err());
        let bad_type = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]}"#;
        assert!(serde_json_core::from_str::<Seccomp>(bad_type).is_err());
    }

    fn invalid(json: &str) -> String {
        match parse(json).validate() {
            Ok(()) => panic!("accepted: {json}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn semantic_errors_name_the_field() {
        let cases: &[(&str, &str)] = &[
            (r#"{"defaultAction":"SCMP_ACT_NOPE"}"#, r#"linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE""#),
            (r#"{"defaultAction":"SCMP_ACT_NOTIFY"}"#, "cannot be the default action"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}"#, "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO"),
            (r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000}"#, "out of range"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_Z80"]}"#,
             r#"linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80""#),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_FOO"]}"#, r#"linux.seccomp.flags[0]: unknown flag"#),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","listenerMetadata":"x"}"#, "without listenerPath"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["read"],"action":"SCMP_ACT_FOO"}]}"#,
             r#"linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_FOO""#),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_ERRNO"}]}"#, "syscalls[0].names: must name"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read","reed"],"action":"SCMP_ACT_ERRNO"}]}"#,
             r#"linux.seccomp.syscalls[0].names[1]: unknown syscall "reed""#),
            (r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}"#,
             "linux.seccomp.syscalls[0].errnoRet: only"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
             "linux.seccomp.syscalls[0].args[0].index: 6 is not"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}"#,
             r#"linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_XX""#),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}"#, "needs linux.seccomp.listenerPath"),
            (r#"{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/x","syscalls":[{"names":["write"],"action":"SCMP_ACT_NOTIFY"}]}"#,
             r#"cannot be used for "write""#),
        ];
        for (json, want) in cases {
            let got = invalid(json);
            assert!(got.contains(want), "{json}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn foreign_arches_and_names_are_valid() {
        let s = parse(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_S390X"],
            "syscalls":[{"names":["s390_runtime_instr","read"],"action":"SCMP_ACT_ALLOW"}]}"#,
        );
        assert_eq!(s.architectures[0], Word::Known(ArchName::Foreign));
        s.validate().unwrap();
    }

    #[test]
    fn over_capacity_is_an_error_naming_field_and_limit() {
        // One rule over MAX_SECCOMP_NAMES names.
        let mut json = String::from(r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["#);
        for i in 0..MAX_SECCOMP_NAMES {
            json.push_str(if i == 0 { "\"read\"" } else { ",\"read\"" });
        }
        json.push_str(r#"],"action":"SCMP_ACT_ALLOW"}]}"#);
        let got = invalid(&json);
        assert!(got.contains("linux.seccomp.syscalls[1].names: more than"), "{got}");
        assert!(got.contains(&format!("{MAX_SECCOMP_NAMES}")) && got.contains("MAX_SECCOMP_NAMES"), "{got}");

        let mut json = String::from(r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":["#);
        for i in 0..=MAX_SECCOMP_RULES {
            if i > 0 {
                json.push(',');
            }
            json.push_str(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW"}"#);
        }
        json.push_str("]}");
        let got = invalid(&json);
        assert!(got.contains("linux.seccomp.syscalls: more than") && got.contains("MAX_SECCOMP_RULES"), "{got}");

        let mut json = String::from(r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["#);
        for i in 0..=MAX_SECCOMP_ARCHS {
            json.push_str(if i == 0 { "\"SCMP_ARCH_X86\"" } else { ",\"SCMP_ARCH_X86\"" });
        }
        json.push_str("]}");
        assert!(invalid(&json).contains("linux.seccomp.architectures: more than"));
    }
}
