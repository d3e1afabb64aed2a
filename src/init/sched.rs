//! How the container's process is scheduled: linux.personality
//! (personality(2)), process.ioPriority (ioprio_set(2)), process.scheduler
//! (sched_setattr(2)) and process.execCPUAffinity (sched_setaffinity(2)),
//! per config.md and config-linux.md. The `check_*` functions run at
//! validation, before anything is created; the steps apply what they checked.

use super::Ctx;
use crate::config::linux::Personality;
use crate::config::process::{ExecCpuAffinity, IoPriority, Scheduler};
use crate::error::{Context, Result};
use crate::sys::raw_syscall;
use linux_raw_sys::general as g;

/// personality(2) domains config-linux.md#personality allows.
const PERSONALITIES: &[(&str, usize)] = &[("LINUX", 0x0000), ("LINUX32", 0x0008)];

/// ioprio classes (linux/ioprio.h).
const IO_CLASSES: &[(&str, usize)] = &[
    ("IOPRIO_CLASS_RT", 1),
    ("IOPRIO_CLASS_BE", 2),
    ("IOPRIO_CLASS_IDLE", 3),
];

/// Scheduling policies (linux/sched.h).
const POLICIES: &[(&str, u32)] = &[
    ("SCHED_OTHER", 0),
    ("SCHED_FIFO", 1),
    ("SCHED_RR", 2),
    ("SCHED_BATCH", 3),
    ("SCHED_ISO", 4),
    ("SCHED_IDLE", 5),
    ("SCHED_DEADLINE", 6),
];

/// sched_attr flags (linux/sched.h).
const SCHED_FLAGS: &[(&str, u64)] = &[
    ("SCHED_FLAG_RESET_ON_FORK", 0x01),
    ("SCHED_FLAG_RECLAIM", 0x02),
    ("SCHED_FLAG_DL_OVERRUN", 0x04),
    ("SCHED_FLAG_KEEP_POLICY", 0x08),
    ("SCHED_FLAG_KEEP_PARAMS", 0x10),
    ("SCHED_FLAG_UTIL_CLAMP_MIN", 0x20),
    ("SCHED_FLAG_UTIL_CLAMP_MAX", 0x40),
];

fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// linux.personality: a known domain, no flags (the spec defines none).
pub fn check_personality(p: &Personality<'_>) -> Result<()> {
    if lookup(PERSONALITIES, p.domain).is_none() {
        bail!(
            "invalid config.json:",
            "linux.personality.domain \"{}\": use LINUX or LINUX32",
            p.domain
        );
    }
    if let Some(f) = p.flags.first() {
        bail!(
            "invalid config.json:",
            "linux.personality.flags \"{f}\": no flags are defined"
        );
    }
    Ok(())
}

/// process.ioPriority: a known class, priority 0 (highest) to 7.
pub fn check_io_priority(p: &IoPriority<'_>) -> Result<()> {
    if lookup(IO_CLASSES, p.class).is_none() {
        bail!(
            "invalid config.json:",
            "process.ioPriority.class \"{}\" is not an IOPRIO_CLASS_*",
            p.class
        );
    }
    if !(0..=7).contains(&p.priority) {
        bail!(
            "invalid config.json:",
            "process.ioPriority.priority {} is not 0 to 7",
            p.priority
        );
    }
    Ok(())
}

/// process.scheduler, with runc's rules: nice -20..19, a priority only for
/// the real-time policies, runtime/deadline/period only for SCHED_DEADLINE.
pub fn check_scheduler(s: &Scheduler<'_>) -> Result<()> {
    let policy = lookup(POLICIES, s.policy).ok_or_else(|| {
        err!(
            "invalid config.json:",
            "process.scheduler.policy \"{}\" is not a SCHED_* policy",
            s.policy
        )
    })?;
    if !(-20..=19).contains(&s.nice) {
        bail!(
            "invalid config.json:",
            "process.scheduler.nice {} is not -20 to 19",
            s.nice
        );
    }
    let realtime = policy == 1 || policy == 2;
    if s.priority != 0 && !realtime {
        bail!(
            "invalid config.json:",
            "process.scheduler.priority is only for SCHED_FIFO and SCHED_RR"
        );
    }
    if realtime && !(1..=99).contains(&s.priority) {
        bail!(
            "invalid config.json:",
            "process.scheduler.priority {} is not 1 to 99 for {}",
            s.priority,
            s.policy
        );
    }
    if policy != 6 && (s.runtime != 0 || s.deadline != 0 || s.period != 0) {
        bail!(
            "invalid config.json:",
            "process.scheduler runtime/deadline/period are only for SCHED_DEADLINE"
        );
    }
    for f in s.flags.iter() {
        if lookup(SCHED_FLAGS, f).is_none() {
            bail!(
                "invalid config.json:",
                "process.scheduler.flags \"{f}\" is not a SCHED_FLAG_*"
            );
        }
    }
    Ok(())
}

/// process.execCPUAffinity: both lists parse.
pub fn check_affinity(a: &ExecCpuAffinity<'_>) -> Result<()> {
    for (v, field) in [(a.initial, "initial"), (a.final_, "final")] {
        if let Some(v) = v {
            cpu_set(v, field)?;
        }
    }
    Ok(())
}

/// A CPU list such as "0-3,7" (cpuset(7) list format) as a CpuSet.
pub fn cpu_set(list: &str, field: &str) -> Result<rustix::thread::CpuSet> {
    let mut set = rustix::thread::CpuSet::new();
    let bad = || {
        err!(
            "invalid config.json:",
            "process.execCPUAffinity.{field} \"{list}\" is not a CPU list like 0-3,7"
        )
    };
    if list.trim().is_empty() {
        return Err(bad());
    }
    for part in list.split(',') {
        let part = part.trim();
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a > b || b >= rustix::thread::CpuSet::MAX_CPU {
            return Err(bad());
        }
        for cpu in a..=b {
            set.set(cpu);
        }
    }
    Ok(set)
}

/// Apply one of the affinity lists to this process.
pub fn set_affinity(list: Option<&str>, field: &str) -> Result<()> {
    let Some(list) = list else { return Ok(()) };
    let set = cpu_set(list, field)?;
    rustix::thread::sched_setaffinity(None, &set).ctx(
        "sched_setaffinity",
        format_args!("execCPUAffinity.{field} {list}"),
    )
}

/// Step: linux.personality.
pub fn personality(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(p) = ctx.spec.linux.as_ref().and_then(|l| l.personality.as_ref()) else {
        return Ok(());
    };
    let persona =
        lookup(PERSONALITIES, p.domain).ok_or_else(|| err!("bad personality", "{}", p.domain))?;
    // SAFETY: personality(2) takes one integer.
    unsafe { raw_syscall(g::__NR_personality, [persona, 0, 0, 0, 0, 0]) }
        .ctx("personality", format_args!("{}", p.domain))
        .map(drop)
}

/// Step: process.ioPriority, for this process (inherited by the program).
pub fn io_priority(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(p) = ctx
        .spec
        .process
        .as_ref()
        .and_then(|p| p.io_priority.as_ref())
    else {
        return Ok(());
    };
    let class =
        lookup(IO_CLASSES, p.class).ok_or_else(|| err!("bad ioPriority class", "{}", p.class))?;
    const IOPRIO_WHO_PROCESS: usize = 1;
    const IOPRIO_CLASS_SHIFT: usize = 13;
    let prio = (class << IOPRIO_CLASS_SHIFT) | (p.priority as usize & 7);
    // SAFETY: ioprio_set(2) takes integers only.
    unsafe { raw_syscall(g::__NR_ioprio_set, [IOPRIO_WHO_PROCESS, 0, prio, 0, 0, 0]) }
        .ctx("ioprio_set", format_args!("{} {}", p.class, p.priority))
        .map(drop)
}

/// struct sched_attr, SCHED_ATTR_SIZE_VER0 layout (linux/sched/types.h).
#[repr(C)]
struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

/// Step: process.scheduler through sched_setattr(2).
pub fn scheduler(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(s) = ctx.spec.process.as_ref().and_then(|p| p.scheduler.as_ref()) else {
        return Ok(());
    };
    let policy =
        lookup(POLICIES, s.policy).ok_or_else(|| err!("bad scheduler policy", "{}", s.policy))?;
    let flags = s
        .flags
        .iter()
        .filter_map(|f| lookup(SCHED_FLAGS, f))
        .fold(0, |a, f| a | f);
    let attr = SchedAttr {
        size: core::mem::size_of::<SchedAttr>() as u32,
        policy,
        flags,
        nice: s.nice,
        priority: s.priority as u32,
        runtime: s.runtime,
        deadline: s.deadline,
        period: s.period,
    };
    // SAFETY: sched_setattr(0, &attr, 0): attr is a live sched_attr of the size it states.
    unsafe {
        raw_syscall(
            g::__NR_sched_setattr,
            [0, &attr as *const SchedAttr as usize, 0, 0, 0, 0],
        )
    }
    .ctx(
        "sched_setattr",
        format_args!("{} nice {} priority {}", s.policy, s.nice, s.priority),
    )
    .map(drop)
}

/// execCPUAffinity.final, right before the user's program.
pub fn final_affinity(ctx: &Ctx<'_>) -> Result<()> {
    let a = ctx
        .spec
        .process
        .as_ref()
        .and_then(|p| p.exec_cpu_affinity.as_ref());
    set_affinity(a.and_then(|a| a.final_), "final")
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_lists() {
        let s = super::cpu_set("0-2,5", "f").unwrap();
        assert!(s.is_set(0) && s.is_set(2) && s.is_set(5) && !s.is_set(3));
        for bad in ["", "x", "3-1", "1,", "99999"] {
            assert!(super::cpu_set(bad, "f").is_err(), "{bad}");
        }
    }
}
