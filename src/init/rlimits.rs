//! process.rlimits: setrlimit(2) for each entry, by RLIMIT_* name.

use super::Ctx;
use crate::error::{Context, Result};
use crate::sys::raw_syscall;

/// RLIMIT_* names and their resource numbers (asm-generic/resource.h; the
/// same on x86_64, aarch64, arm and riscv64).
const RESOURCES: &[(&str, u32)] = &[
    ("RLIMIT_CPU", 0),
    ("RLIMIT_FSIZE", 1),
    ("RLIMIT_DATA", 2),
    ("RLIMIT_STACK", 3),
    ("RLIMIT_CORE", 4),
    ("RLIMIT_RSS", 5),
    ("RLIMIT_NPROC", 6),
    ("RLIMIT_NOFILE", 7),
    ("RLIMIT_MEMLOCK", 8),
    ("RLIMIT_AS", 9),
    ("RLIMIT_LOCKS", 10),
    ("RLIMIT_SIGPENDING", 11),
    ("RLIMIT_MSGQUEUE", 12),
    ("RLIMIT_NICE", 13),
    ("RLIMIT_RTPRIO", 14),
    ("RLIMIT_RTTIME", 15),
];

/// Resource number of an RLIMIT_* name.
pub fn resource(name: &str) -> Option<u32> {
    RESOURCES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// Apply every rlimit of the config to this process (inherited by exec).
pub fn apply(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(p) = &ctx.spec.process else {
        return Ok(());
    };
    for r in p.rlimits.iter() {
        let Some(res) = resource(r.typ) else { continue };
        let new = [r.soft, r.hard];
        // SAFETY: prlimit64(0, res, &new, NULL): `new` is two u64s as struct rlimit64.
        unsafe {
            raw_syscall(
                linux_raw_sys::general::__NR_prlimit64,
                [0, res as usize, new.as_ptr() as usize, 0, 0, 0],
            )
        }
        .ctx(
            "setrlimit",
            format_args!("{} soft {} hard {}", r.typ, r.soft, r.hard),
        )?;
    }
    Ok(())
}
