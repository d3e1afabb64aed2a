//! Syscall name → number, per ABI, and each ABI's AUDIT_ARCH.
//!
//! The data is targets/<arch>/syscalls*.tsv (from the kernel's uapi unistd
//! headers, see targets/gen-syscalls.sh), turned into arrays by
//! build/seccomp_tables.rs: one sorted list of every known name (binary
//! search), and per ABI the number of each name. A release binary carries
//! only the ABIs its architecture runs; tests carry all six.

use linux_raw_sys::ptrace::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_RISCV64, AUDIT_ARCH_X86_64,
};

#[allow(dead_code, clippy::unreadable_literal)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/seccomp_tables.rs"));
}
use generated::{ABSENT, COUNT, NAMES, NAME_ENDS};

/// `__X32_SYSCALL_BIT` (arch/x86/include/uapi/asm/unistd.h): x32 syscalls
/// arrive as AUDIT_ARCH_X86_64 with this bit set in the number.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// First number of arm's private syscalls (`__ARM_NR_BASE`, arm/include/uapi/asm/unistd.h).
pub const ARM_NR_BASE: u32 = 0x0f_0000;

/// A syscall ABI: one numbering the kernel can see in `seccomp_data.nr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    X86_64,
    /// i386, as a compat ABI of x86_64.
    X86,
    X32,
    Aarch64,
    /// arm EABI: native on armv7, compat on aarch64.
    Arm,
    Riscv64,
}

#[allow(dead_code)] // used by the tests of every arch
impl Abi {
    pub const ALL: [Abi; 6] = [
        Abi::X86_64,
        Abi::X86,
        Abi::X32,
        Abi::Aarch64,
        Abi::Arm,
        Abi::Riscv64,
    ];

    /// `seccomp_data.arch` for this ABI (linux/audit.h).
    pub fn audit_arch(self) -> u32 {
        match self {
            Abi::X86_64 | Abi::X32 => AUDIT_ARCH_X86_64,
            Abi::X86 => AUDIT_ARCH_I386,
            Abi::Aarch64 => AUDIT_ARCH_AARCH64,
            Abi::Arm => AUDIT_ARCH_ARM,
            Abi::Riscv64 => AUDIT_ARCH_RISCV64,
        }
    }

    /// Are syscall arguments 64-bit? On 32-bit ABIs only the low half of
    /// `seccomp_data.args[i]` is compared, as libseccomp does.
    pub fn args_64bit(self) -> bool {
        matches!(self, Abi::X86_64 | Abi::X32 | Abi::Aarch64 | Abi::Riscv64)
    }

    /// libseccomp's name, as in `architectures[]`.
    pub fn scmp_name(self) -> &'static str {
        match self {
            Abi::X86_64 => "SCMP_ARCH_X86_64",
            Abi::X86 => "SCMP_ARCH_X86",
            Abi::X32 => "SCMP_ARCH_X32",
            Abi::Aarch64 => "SCMP_ARCH_AARCH64",
            Abi::Arm => "SCMP_ARCH_ARM",
            Abi::Riscv64 => "SCMP_ARCH_RISCV64",
        }
    }

    /// The number ranges `[lo, hi)` this ABI's syscalls live in. Runc's
    /// ENOSYS rule ("newer than the highest named") applies per range: x32
    /// lives above `__X32_SYSCALL_BIT`, and arm's private calls
    /// (`cacheflush`, `set_tls`, …) form a range of their own.
    pub fn ranges(self) -> &'static [(u32, u64)] {
        const ALL: u64 = 1 << 32;
        match self {
            Abi::X86_64 => &[(0, X32_SYSCALL_BIT as u64)],
            Abi::X32 => &[(X32_SYSCALL_BIT, ALL)],
            Abi::Arm => &[(0, ARM_NR_BASE as u64), (ARM_NR_BASE, ALL)],
            Abi::X86 | Abi::Aarch64 | Abi::Riscv64 => &[(0, ALL)],
        }
    }

    /// This ABI's number table, if this build carries it.
    fn numbers(self) -> Option<&'static [u16; COUNT]> {
        match self {
            #[cfg(any(test, target_arch = "x86_64"))]
            Abi::X86_64 => Some(&generated::X86_64),
            #[cfg(any(test, target_arch = "x86_64"))]
            Abi::X86 => Some(&generated::X86),
            #[cfg(any(test, target_arch = "x86_64"))]
            Abi::X32 => Some(&generated::X32),
            #[cfg(any(test, target_arch = "aarch64"))]
            Abi::Aarch64 => Some(&generated::AARCH64),
            #[cfg(any(test, target_arch = "aarch64", target_arch = "arm"))]
            Abi::Arm => Some(&generated::ARM),
            #[cfg(any(test, target_arch = "riscv64"))]
            Abi::Riscv64 => Some(&generated::RISCV64),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Is this ABI's table built in?
    pub fn available(self) -> bool {
        self.numbers().is_some()
    }

    /// The number of `name` on this ABI (None: no such syscall here, or the
    /// table is not built in).
    pub fn lookup(self, name: &str) -> Option<u32> {
        let i = name_index(name)?;
        decode(*self.numbers()?.get(i)?)
    }

    /// The name of syscall `nr` on this ABI (linear: for listings, not hot paths).
    pub fn name_of(self, nr: u32) -> Option<&'static str> {
        let table = self.numbers()?;
        let i = table.iter().position(|&n| decode(n) == Some(nr))?;
        name_at(i)
    }
}

/// A table entry as a syscall number (build/seccomp_tables.rs `encode`).
fn decode(v: u16) -> Option<u32> {
    let n = u32::from(v & 0x3fff);
    match v {
        ABSENT => None,
        0..=0x3fff => Some(n),
        0x4000..=0x7fff => Some(X32_SYSCALL_BIT | n),
        _ => Some(ARM_NR_BASE | n),
    }
}

fn name_at(i: usize) -> Option<&'static str> {
    let start = match i {
        0 => 0,
        _ => usize::from(*NAME_ENDS.get(i - 1)?),
    };
    NAMES.get(start..usize::from(*NAME_ENDS.get(i)?))
}

/// Index of `name` in the sorted list of all known names.
fn name_index(name: &str) -> Option<usize> {
    let (mut lo, mut hi) = (0, COUNT);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match name_at(mid)?.cmp(name) {
            core::cmp::Ordering::Less => lo = mid + 1,
            core::cmp::Ordering::Greater => hi = mid,
            core::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// Is `name` a syscall on any Linux architecture (husk's six ABIs, or the
/// others listed in targets/syscalls-other-arches.txt)? Names that are not
/// are refused as typos; names of other architectures are skipped.
pub fn is_known_syscall(name: &str) -> bool {
    name_index(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_and_found() {
        for i in 1..COUNT {
            assert!(
                name_at(i - 1).unwrap() < name_at(i).unwrap(),
                "not sorted at {i}"
            );
        }
        // Numbers from the kernel's unistd headers (man 2 syscall's tables).
        assert_eq!(Abi::X86_64.lookup("read"), Some(0));
        assert_eq!(Abi::X86_64.lookup("getppid"), Some(110));
        assert_eq!(Abi::X86.lookup("getppid"), Some(64));
        assert_eq!(Abi::X32.lookup("getppid"), Some(X32_SYSCALL_BIT + 110));
        assert_eq!(Abi::Aarch64.lookup("getppid"), Some(173));
        assert_eq!(Abi::Riscv64.lookup("getppid"), Some(173));
        assert_eq!(Abi::Arm.lookup("getppid"), Some(64));
        assert_eq!(Abi::Arm.lookup("set_tls"), Some(ARM_NR_BASE + 5));
        assert_eq!(Abi::Aarch64.lookup("open"), None, "arm64 has only openat");
        assert_eq!(Abi::X86_64.lookup("socketcall"), None);
        assert_eq!(Abi::X86.lookup("socketcall"), Some(102));
        assert_eq!(Abi::X86_64.name_of(110), Some("getppid"));
        assert!(is_known_syscall("s390_runtime_instr"));
        assert!(!is_known_syscall("s390_runtime_instrx"));
        assert!(!is_known_syscall(""));
    }
}
