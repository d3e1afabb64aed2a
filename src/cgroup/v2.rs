//! cgroup v2: one function per controller, writing the interface files of
//! the kernel's Documentation/admin-guide/cgroup-v2.rst with the v1→v2
//! conversions of runc's libcontainer/cgroups/fs2 (shares→weight, blkio
//! weight→io.weight, memory+swap→swap.max).

use super::files::{self, write, write_opt};
use crate::config::json;
use crate::config::resources::{BlockIo, Cpu, HugepageLimit, Memory};
use crate::error::Result;

/// Enable in `dir`'s cgroup.subtree_control every controller it has, so a
/// child gets their interface files. Best effort: a cgroup with processes
/// of its own cannot delegate ("no internal processes"), and a resource
/// that then cannot be set is reported by its write.
pub fn delegate(dir: &str) {
    let have = files::read(dir, "cgroup.controllers").unwrap_or_default();
    let on = files::read(dir, "cgroup.subtree_control").unwrap_or_default();
    for c in have.split_whitespace() {
        if !on.split_whitespace().any(|o| o == c) {
            let _ = write(dir, "cgroup.subtree_control", &format!("+{c}"), "cgroup");
        }
    }
}

pub use crate::num::shares_to_weight;

/// blkio weight [10, 1000] → io.weight [1, 10000] (runc's linear map).
pub fn blkio_to_io_weight(w: u16) -> u64 {
    if w == 0 {
        return 0;
    }
    1 + (u64::from(w).saturating_sub(10)) * 9999 / 990
}

/// memory.swap.max from the OCI's memory+swap total (runc's
/// ConvertMemorySwapToCgroupV2Value): None means leave it.
pub fn swap_max(swap: i64, limit: i64) -> Result<Option<String>> {
    match swap {
        0 => Ok(None),
        -1 => Ok(Some("max".into())),
        _ if limit == 0 || limit == -1 => bail!(
            "invalid memory.swap:",
            "swap limit {swap} needs a memory limit"
        ),
        _ if limit > swap => bail!(
            "invalid memory.swap:",
            "memory+swap {swap} is below the memory limit {limit}"
        ),
        _ => Ok(Some((swap - limit).to_string())),
    }
}

fn num(v: i64) -> String {
    if v < 0 {
        "max".into()
    } else {
        v.to_string()
    }
}

fn v1_only(what: &str) -> Result<()> {
    bail!(
        "cgroup resource not available on cgroup v2:",
        "{what} (a cgroup v1 file; this host's memory/cpu controller is on v2)"
    )
}

/// memory.max, memory.swap.max, memory.low; v1-only fields are errors.
/// An update that lifts the memory limit (-1) without naming swap lifts
/// swap too, as `runc update` does ("set both memory and swap to unlimited").
pub fn memory(d: &str, m: &Memory, update: bool) -> Result<()> {
    const C: &str = "memory";
    let limit = m.limit.unwrap_or(0);
    let swap = match m.swap {
        None if update && limit == -1 => -1,
        s => s.unwrap_or(0),
    };
    if update && m.check_before_update == Some(true) && limit > 0 {
        let usage = files::read_u64(d, "memory.current").unwrap_or(0);
        if (limit as u64) < usage {
            bail!(
                "memory limit below current usage:",
                "{limit} < {usage} bytes (checkBeforeUpdate)"
            );
        }
    }
    if let Some(s) = swap_max(swap, limit)? {
        // Without swap accounting there is no memory.swap.max: "no swap
        // limit" and "no swap" then hold already (runc ignores them too).
        if files::exists(d, "memory.swap.max") || (s != "max" && s != "0") {
            write(d, "memory.swap.max", &s, C)?;
        }
    }
    if limit != 0 {
        write(d, "memory.max", &num(limit), C)?;
    }
    write_opt(d, "memory.low", m.reservation.map(num), C)?;
    if m.kernel.is_some() {
        v1_only("memory.kernel")?;
    }
    if m.kernel_tcp.is_some() {
        v1_only("memory.kernelTCP")?;
    }
    if m.swappiness.is_some() {
        v1_only("memory.swappiness")?;
    }
    if m.disable_oom_killer == Some(true) {
        v1_only("memory.disableOOMKiller")?;
    }
    if m.use_hierarchy == Some(false) {
        v1_only("memory.useHierarchy=false (v2 is always hierarchical)")?;
    }
    Ok(())
}

/// cpu.max for `quota` and `period` (0 = not given): a period alone keeps
/// the quota the cgroup has (`runc update --cpu-period` keeps the quota
/// it recorded; a new cgroup's is "max"), a quota alone keeps the period
/// (the kernel keeps it when the value has none).
fn cpu_max(current: Option<&str>, quota: i64, period: u64) -> String {
    let mut v = if quota > 0 {
        quota.to_string()
    } else if quota < 0 {
        "max".into()
    } else {
        current
            .and_then(|t| t.split_whitespace().next())
            .filter(|q| *q == "max" || q.parse::<u64>().is_ok())
            .unwrap_or("max")
            .to_string()
    };
    if period != 0 {
        v.push_str(&format!(" {period}"));
    }
    v
}

/// cpu.weight, cpu.max, cpu.max.burst, cpu.idle; realtime is v1 only.
pub fn cpu(d: &str, c: &Cpu<'_>) -> Result<()> {
    const C: &str = "cpu";
    write_opt(
        d,
        "cpu.weight",
        c.shares.map(shares_to_weight).filter(|w| *w != 0),
        C,
    )?;
    let quota = c.quota.unwrap_or(0);
    let period = c.period.unwrap_or(0);
    if quota != 0 || period != 0 {
        let current = files::read(d, "cpu.max");
        write(d, "cpu.max", &cpu_max(current.as_deref(), quota, period), C)?;
    }
    write_opt(d, "cpu.max.burst", c.burst, C)?;
    write_opt(d, "cpu.idle", c.idle, C)?;
    if c.realtime_runtime.is_some_and(|r| r != 0) || c.realtime_period.is_some_and(|p| p != 0) {
        v1_only("cpu.realtimeRuntime/realtimePeriod")?;
    }
    Ok(())
}

/// io: weight (io.bfq.weight keeps v1's range; io.weight is converted),
/// per-device weights, and io.max limits.
pub fn io(d: &str, b: &BlockIo) -> Result<()> {
    const C: &str = "io";
    let bfq = files::exists(d, "io.bfq.weight");
    if let Some(w) = b.weight.filter(|w| *w != 0) {
        if bfq {
            write(d, "io.bfq.weight", &w.to_string(), C)?;
        } else {
            write(d, "io.weight", &blkio_to_io_weight(w).to_string(), C)?;
        }
    }
    if b.leaf_weight.is_some() {
        v1_only("blockIO.leafWeight")?;
    }
    for w in b.weight_device.iter() {
        if let Some(v) = w.weight {
            let (f, v) = if bfq {
                ("io.bfq.weight", u64::from(v))
            } else {
                ("io.weight", blkio_to_io_weight(v))
            };
            write(d, f, &format!("{}:{} {v}", w.major, w.minor), C)?;
        }
    }
    for (list, key) in [
        (&b.throttle_read_bps_device, "rbps"),
        (&b.throttle_write_bps_device, "wbps"),
        (&b.throttle_read_iops_device, "riops"),
        (&b.throttle_write_iops_device, "wiops"),
    ] {
        for t in list.iter() {
            write(
                d,
                "io.max",
                &format!("{}:{} {key}={}", t.major, t.minor, t.rate),
                C,
            )?;
        }
    }
    Ok(())
}

/// hugetlb.<size>.max and .rsvd.max where the kernel has it.
pub fn hugetlb(d: &str, limits: &[HugepageLimit<'_>]) -> Result<()> {
    for h in limits {
        write(
            d,
            &format!("hugetlb.{}.max", h.page_size),
            &h.limit.to_string(),
            "hugetlb",
        )?;
        let rsvd = format!("hugetlb.{}.rsvd.max", h.page_size);
        if files::exists(d, &rsvd) {
            write(d, &rsvd, &h.limit.to_string(), "hugetlb")?;
        }
    }
    Ok(())
}

/// linux.resources.unified: each key is a file of the cgroup (validated as
/// a plain `controller.name`), the value written as is.
pub fn unified(
    d: &str,
    map: &crate::config::list::Map<'_, &str, { crate::caps::MAX_UNIFIED }>,
) -> Result<()> {
    for (k, v) in map.iter() {
        let val = json::string(v, "linux.resources.unified")?;
        let ctrl = k.split('.').next().unwrap_or(k);
        files::write(d, k, &val, ctrl)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        // shares_to_weight: crate::num's tests.
        assert_eq!(blkio_to_io_weight(10), 1);
        assert_eq!(blkio_to_io_weight(1000), 10_000);
        assert_eq!(blkio_to_io_weight(500), 4950);
        assert_eq!(swap_max(-1, 100).unwrap().as_deref(), Some("max"));
        assert_eq!(swap_max(300, 100).unwrap().as_deref(), Some("200"));
        assert_eq!(swap_max(0, 100).unwrap(), None);
        assert!(swap_max(50, 100).is_err() && swap_max(50, 0).is_err());
        // cpu.max: runc's update.bats "update cgroup cpu limits" and "set cpu period with no quota"
        assert_eq!(
            cpu_max(Some("500000 1000000\n"), 0, 900000),
            "500000 900000"
        );
        assert_eq!(cpu_max(Some("500000 900000\n"), 600000, 0), "600000");
        assert_eq!(cpu_max(Some("600000 900000\n"), -1, 0), "max");
        assert_eq!(cpu_max(Some("max 100000\n"), 0, 1000000), "max 1000000");
        assert_eq!(cpu_max(None, 0, 50000), "max 50000");
    }
}
