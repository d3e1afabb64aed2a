//! seccomp without libseccomp: `linux.seccomp` compiled to classic BPF by
//! husk itself, for x86_64 (with the i386 and x32 ABIs), aarch64 (with arm),
//! arm (armv7 EABI) and riscv64.
//!
//! - [`compile`] (compile.rs, plan.rs, bpf.rs): profile → `sock_filter`s;
//!   name → number from tables.rs (data in targets/<arch>/syscalls*.tsv).
//! - [`load`]: seccomp(2) installation right before exec, and the
//!   SCMP_ACT_NOTIFY listener hand-off to `listenerPath`.
//!
//! Scope and limits, honestly:
//! - semantics follow runc + libseccomp where profiles depend on them (see
//!   plan.rs): unknown-on-this-arch names skipped, rules equal to the default
//!   dropped, runc's ENOSYS for syscalls newer than the profile, runc's
//!   split of same-argument conditions into separate rules;
//! - names no Linux architecture has are refused (a typo would otherwise
//!   silently weaken a profile); libseccomp's pseudo-syscall names and its
//!   socketcall/ipc multiplexer rewriting on i386 are not implemented;
//! - little-endian ABIs only (all four targets); the program is not
//!   optimised beyond merging equal neighbours and the search tree;
//! - syscalls from an ABI the profile does not list are killed
//!   (SCMP_ACT_KILL_PROCESS; kernels before 4.14 kill the thread).

mod bpf;
mod compile;
pub mod load;
mod plan;
mod tables;

#[cfg(test)]
mod tests;

#[allow(unused_imports)] // the tests and the bench figures use them
pub use bpf::SockFilter;
#[allow(unused_imports)]
pub use compile::{compile, program_len, Program};
pub use tables::{is_known_syscall, Abi};

use crate::config::seccomp::{Action, Flag, Op};
use core::fmt::{self, Write};

/// The machine architecture husk is built for; it decides which ABIs a
/// filter covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // each build constructs its own arch; the tests use all four
pub enum Arch {
    X86_64,
    Aarch64,
    Arm,
    Riscv64,
}

impl Arch {
    /// The architecture of this build.
    pub const fn native() -> Arch {
        #[cfg(target_arch = "x86_64")]
        return Arch::X86_64;
        #[cfg(target_arch = "aarch64")]
        return Arch::Aarch64;
        #[cfg(target_arch = "arm")]
        return Arch::Arm;
        #[cfg(target_arch = "riscv64")]
        return Arch::Riscv64;
    }

    /// The ABIs a process on this architecture can use: native first, then
    /// the compat ones a profile may list.
    pub fn abis(self) -> &'static [Abi] {
        match self {
            Arch::X86_64 => &[Abi::X86_64, Abi::X86, Abi::X32],
            Arch::Aarch64 => &[Abi::Aarch64, Abi::Arm],
            Arch::Arm => &[Abi::Arm],
            Arch::Riscv64 => &[Abi::Riscv64],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
        }
    }
}

fn list<'s>(w: &mut dyn Write, items: impl Iterator<Item = &'s str>) -> fmt::Result {
    w.write_char('[')?;
    for (i, s) in items.enumerate() {
        if i > 0 {
            w.write_char(',')?;
        }
        write!(w, "\"{s}\"")?;
    }
    w.write_char(']')
}

/// The `linux.seccomp` object of `husk features` (features-linux.md):
/// actions, operators, the ABIs of this build, known flags and the flags
/// this kernel accepts.
pub fn write_features(w: &mut dyn Write) -> fmt::Result {
    w.write_str("{\"enabled\":true,\"actions\":")?;
    list(w, Action::ALL.iter().map(|a| a.0))?;
    w.write_str(",\"operators\":")?;
    list(w, Op::ALL.iter().map(|o| o.0))?;
    w.write_str(",\"archs\":")?;
    list(w, Arch::native().abis().iter().map(|a| a.scmp_name()))?;
    w.write_str(",\"knownFlags\":")?;
    list(w, Flag::ALL.iter().map(|f| f.0))?;
    w.write_str(",\"supportedFlags\":")?;
    list(
        w,
        Flag::ALL
            .iter()
            .filter(|f| load::flag_supported(f.1))
            .map(|f| f.0),
    )?;
    w.write_char('}')
}
