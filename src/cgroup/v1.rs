//! cgroup v1: one function per controller, each writing the files of the
//! kernel's Documentation/admin-guide/cgroup-v1/<controller>.rst the way
//! runc's libcontainer/cgroups/fs does (same order, same special values).

use super::files::{self, write, write_opt};
use crate::config::json;
use crate::config::resources::{BlockIo, Cpu, HugepageLimit, Memory, Network, Pids};
use crate::error::Result;

/// A new cpuset cgroup has empty cpus and mems and takes no task: copy
/// the parent's (runc's ensureParent / copyIfNeeded).
pub fn cpuset_inherit(parent: &str, dir: &str) -> Result<()> {
    for f in ["cpuset.cpus", "cpuset.mems"] {
        if files::read(dir, f).is_some_and(|v| v.trim().is_empty()) {
            let v = files::read(parent, f).unwrap_or_default();
            write(dir, f, v.trim(), "cpuset")?;
        }
    }
    Ok(())
}

/// memory.limit_in_bytes and memory.memsw.limit_in_bytes in the order the
/// kernel accepts (memsw must stay >= limit), then the rest.
pub fn memory(d: &str, m: &Memory, update: bool) -> Result<()> {
    const C: &str = "memory";
    let limit = m.limit.unwrap_or(0);
    let mut swap = m.swap.unwrap_or(0);
    let memsw = files::read_u64(d, "memory.memsw.limit_in_bytes");
    if limit == -1 && swap == 0 && memsw.is_some() {
        swap = -1;
    }
    // An update of the limit alone keeps a no-swap container without swap
    // (memsw == limit) and never leaves memsw below the limit.
    if update && limit > 0 && swap == 0 {
        let cur = files::read_u64(d, "memory.limit_in_bytes");
        if let Some(sw) = memsw.filter(|sw| Some(*sw) == cur || *sw < limit as u64) {
            let _ = sw;
            swap = limit;
        }
    }
    if update && m.check_before_update == Some(true) && limit > 0 {
        let usage = files::read_u64(d, "memory.usage_in_bytes").unwrap_or(0);
        if (limit as u64) < usage {
            bail!(
                "memory limit below current usage:",
                "{limit} < {usage} bytes (checkBeforeUpdate)"
            );
        }
    }
    if limit != 0 && swap != 0 {
        let cur = files::read_u64(d, "memory.limit_in_bytes").unwrap_or(u64::MAX);
        if swap == -1 || cur < swap as u64 {
            write(d, "memory.memsw.limit_in_bytes", &swap.to_string(), C)?;
            write(d, "memory.limit_in_bytes", &limit.to_string(), C)?;
        } else {
            write(d, "memory.limit_in_bytes", &limit.to_string(), C)?;
            write(d, "memory.memsw.limit_in_bytes", &swap.to_string(), C)?;
        }
    } else if limit != 0 {
        write(d, "memory.limit_in_bytes", &limit.to_string(), C)?;
    } else if swap != 0 {
        write(d, "memory.memsw.limit_in_bytes", &swap.to_string(), C)?;
    }
    write_opt(d, "memory.kmem.limit_in_bytes", m.kernel, C)?;
    write_opt(d, "memory.kmem.tcp.limit_in_bytes", m.kernel_tcp, C)?;
    write_opt(d, "memory.soft_limit_in_bytes", m.reservation, C)?;
    if let Some(s) = m.swappiness {
        if s > 100 {
            bail!("invalid memory swappiness:", "{s} (0 to 100)");
        }
        write(d, "memory.swappiness", &s.to_string(), C)?;
    }
    if m.disable_oom_killer == Some(true) {
        write(d, "memory.oom_control", "1", C)?;
    }
    if let Some(h) = m.use_hierarchy {
        // Kernels since 5.x are always hierarchical and refuse 0.
        if files::read(d, "memory.use_hierarchy").map(|v| v.trim() == "1") != Some(h) {
            write(d, "memory.use_hierarchy", if h { "1" } else { "0" }, C)?;
        }
    }
    Ok(())
}

/// cpu: shares (read back: the kernel clamps), CFS period/quota/burst,
/// realtime period/runtime, idle.
pub fn cpu(d: &str, c: &Cpu<'_>) -> Result<()> {
    const C: &str = "cpu";
    if let Some(s) = c.shares.filter(|s| *s != 0) {
        write(d, "cpu.shares", &s.to_string(), C)?;
        let got = files::read_u64(d, "cpu.shares").unwrap_or(s);
        if got != s {
            bail!(
                "cpu shares out of range:",
                "asked {s}, the kernel set {got}"
            );
        }
    }
    let period = c.period.filter(|p| *p != 0);
    let quota = c.quota.filter(|q| *q != 0);
    if let Some(p) = period {
        // A shorter period can be refused while the old quota is larger: quota first then.
        if write(d, "cpu.cfs_period_us", &p.to_string(), C).is_err() {
            write_opt(d, "cpu.cfs_quota_us", quota, C)?;
            write(d, "cpu.cfs_period_us", &p.to_string(), C)?;
        }
    }
    write_opt(d, "cpu.cfs_quota_us", quota, C)?;
    write_opt(d, "cpu.cfs_burst_us", c.burst, C)?;
    if let Some(p) = c.realtime_period.filter(|p| *p != 0) {
        write(d, "cpu.rt_period_us", &p.to_string(), C)?;
    }
    write_opt(
        d,
        "cpu.rt_runtime_us",
        c.realtime_runtime.filter(|r| *r != 0),
        C,
    )?;
    write_opt(d, "cpu.idle", c.idle, C)?;
    Ok(())
}

/// cpuset.cpus and cpuset.mems (shared by v1 and v2: same file names).
pub fn cpuset(d: &str, c: &Cpu<'_>) -> Result<()> {
    if let Some(v) = c.cpus.filter(|v| !v.is_empty()) {
        write(
            d,
            "cpuset.cpus",
            &json::string(v, "linux.resources.cpu.cpus")?,
            "cpuset",
        )?;
    }
    if let Some(v) = c.mems.filter(|v| !v.is_empty()) {
        write(
            d,
            "cpuset.mems",
            &json::string(v, "linux.resources.cpu.mems")?,
            "cpuset",
        )?;
    }
    Ok(())
}

/// pids.max: a positive limit, or "max" for a negative one; 0 is unset
/// (shared by v1 and v2).
pub fn pids(d: &str, p: &Pids) -> Result<()> {
    match p.limit {
        0 => Ok(()),
        l if l < 0 => write(d, "pids.max", "max", "pids"),
        l => write(d, "pids.max", &l.to_string(), "pids"),
    }
}

/// blkio: weights (BFQ's files when the kernel has them, as runc) and throttles.
pub fn blkio(d: &str, b: &BlockIo) -> Result<()> {
    const C: &str = "blkio";
    let bfq = files::exists(d, "blkio.bfq.weight");
    let weight = if bfq {
        "blkio.bfq.weight"
    } else {
        "blkio.weight"
    };
    write_opt(d, weight, b.weight.filter(|w| *w != 0), C)?;
    write_opt(d, "blkio.leaf_weight", b.leaf_weight.filter(|w| *w != 0), C)?;
    for w in b.weight_device.iter() {
        let f = if bfq {
            "blkio.bfq.weight_device"
        } else {
            "blkio.weight_device"
        };
        if let Some(v) = w.weight {
            write(d, f, &format!("{}:{} {v}", w.major, w.minor), C)?;
        }
        if let Some(v) = w.leaf_weight {
            write(
                d,
                "blkio.leaf_weight_device",
                &format!("{}:{} {v}", w.major, w.minor),
                C,
            )?;
        }
    }
    for (list, f) in [
        (
            &b.throttle_read_bps_device,
            "blkio.throttle.read_bps_device",
        ),
        (
            &b.throttle_write_bps_device,
            "blkio.throttle.write_bps_device",
        ),
        (
            &b.throttle_read_iops_device,
            "blkio.throttle.read_iops_device",
        ),
        (
            &b.throttle_write_iops_device,
            "blkio.throttle.write_iops_device",
        ),
    ] {
        for t in list.iter() {
            write(d, f, &format!("{}:{} {}", t.major, t.minor, t.rate), C)?;
        }
    }
    Ok(())
}

/// hugetlb.<size>.limit_in_bytes, and the reservation limit where the
/// kernel has it (runc sets both to the same value).
pub fn hugetlb(d: &str, limits: &[HugepageLimit<'_>]) -> Result<()> {
    for h in limits {
        write(
            d,
            &format!("hugetlb.{}.limit_in_bytes", h.page_size),
            &h.limit.to_string(),
            "hugetlb",
        )?;
        let rsvd = format!("hugetlb.{}.rsvd.limit_in_bytes", h.page_size);
        if files::exists(d, &rsvd) {
            write(d, &rsvd, &h.limit.to_string(), "hugetlb")?;
        }
    }
    Ok(())
}

pub fn net_cls(d: &str, n: &Network<'_>) -> Result<()> {
    write_opt(d, "net_cls.classid", n.class_id, "net_cls")
}

pub fn net_prio(d: &str, n: &Network<'_>) -> Result<()> {
    for p in n.priorities.iter() {
        let name = json::string(p.name, "linux.resources.network.priorities[].name")?;
        write(
            d,
            "net_prio.ifpriomap",
            &format!("{name} {}", p.priority),
            "net_prio",
        )?;
    }
    Ok(())
}
