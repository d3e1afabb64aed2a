//! process.capabilities: the five capability sets (capabilities(7)).
//!
//! Order matters: the bounding set is cut while still root; keep-caps holds
//! the permitted set across the uid change; then capset sets effective,
//! permitted and inheritable, and the ambient set is raised last.

use crate::config::process::Capabilities;
use crate::error::{Context, Result};
use crate::sys::raw_syscall;
use linux_raw_sys::general::__NR_prctl;

/// Capability names in number order (linux/capability.h).
const NAMES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

const PR_CAPBSET_DROP: usize = 24;
const PR_SET_KEEPCAPS: usize = 8;
const PR_CAP_AMBIENT: usize = 47;
const PR_CAP_AMBIENT_RAISE: usize = 2;

/// Number of a capability name, `None` if unknown.
pub fn number(name: &str) -> Option<u32> {
    NAMES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// Name of capability number `n`.
pub fn name(n: u32) -> Option<&'static str> {
    NAMES.get(n as usize).copied()
}

/// Highest capability the running kernel knows.
fn last_cap() -> u32 {
    crate::sys::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// At create: names the running kernel does not know are left out of every
/// set (as runc does); say so with a debug note.
pub fn note_missing(g: &crate::cli::Global, spec: &crate::config::Spec<'_>) {
    let Some(c) = spec.process.as_ref().and_then(|p| p.capabilities.as_ref()) else {
        return;
    };
    let last = last_cap();
    for (l, set) in [
        (&c.bounding, "bounding"),
        (&c.effective, "effective"),
        (&c.inheritable, "inheritable"),
        (&c.permitted, "permitted"),
        (&c.ambient, "ambient"),
    ] {
        for n in l.iter().filter(|n| number(n).is_some_and(|c| c > last)) {
            crate::log::debug(g, format_args!("capability {n} ({set}) is unknown to the running kernel (cap_last_cap {last}): dropped"));
        }
    }
}

/// A set as a bit mask; names the kernel lacks are left out (as runc does).
fn mask(names: &[&str], last: u32) -> u64 {
    names
        .iter()
        .filter_map(|n| number(n))
        .filter(|&c| c <= last)
        .fold(0, |m, c| m | (1u64 << c))
}

fn prctl(op: usize, a: usize, b: usize) -> core::result::Result<usize, rustix::io::Errno> {
    // SAFETY: these prctl operations take integer arguments only.
    unsafe { raw_syscall(__NR_prctl, [op, a, b, 0, 0, 0]) }
}

/// Before the uid change: cut the bounding set and keep caps across setuid.
pub fn before_setuid(c: Option<&Capabilities<'_>>) -> Result<()> {
    let Some(c) = c else { return Ok(()) };
    let last = last_cap();
    let keep = mask(&c.bounding, last);
    for cap in 0..=last {
        if keep & (1 << cap) == 0 {
            prctl(PR_CAPBSET_DROP, cap as usize, 0).ctx(
                "drop from bounding set",
                format_args!("{}", NAMES.get(cap as usize).unwrap_or(&"?")),
            )?;
        }
    }
    prctl(PR_SET_KEEPCAPS, 1, 0).ctx("prctl", format_args!("PR_SET_KEEPCAPS"))?;
    Ok(())
}

/// After the uid change: effective, permitted, inheritable, then ambient.
pub fn after_setuid(c: Option<&Capabilities<'_>>) -> Result<()> {
    let Some(c) = c else { return Ok(()) };
    let last = last_cap();
    let (e, p, i) = (
        mask(&c.effective, last),
        mask(&c.permitted, last),
        mask(&c.inheritable, last),
    );
    // struct __user_cap_header_struct { version, pid } and two data words.
    let header: [u32; 2] = [0x2008_0522, 0];
    let data: [u32; 6] = [
        e as u32,
        p as u32,
        i as u32,
        (e >> 32) as u32,
        (p >> 32) as u32,
        (i >> 32) as u32,
    ];
    // SAFETY: capset(&header, &data) with the version-3 layout: two data words.
    unsafe {
        raw_syscall(
            linux_raw_sys::general::__NR_capset,
            [header.as_ptr() as usize, data.as_ptr() as usize, 0, 0, 0, 0],
        )
    }
    .ctx("capset", format_args!("effective/permitted/inheritable"))?;
    let _ = prctl(PR_SET_KEEPCAPS, 0, 0);
    let amb = mask(&c.ambient, last);
    for cap in 0..=last {
        if amb & (1 << cap) != 0 {
            // SAFETY: integer arguments only.
            unsafe {
                raw_syscall(
                    __NR_prctl,
                    [PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap as usize, 0, 0, 0],
                )
            }
            .ctx(
                "raise ambient",
                format_args!("{}", NAMES.get(cap as usize).unwrap_or(&"?")),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::number("CAP_CHOWN"), Some(0));
        assert_eq!(super::number("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(super::number("CAP_CHECKPOINT_RESTORE"), Some(40));
        assert_eq!(super::number("CAP_NOPE"), None);
    }
}
