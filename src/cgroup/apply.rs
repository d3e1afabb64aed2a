//! `linux.resources` → the controller files, each group sent to the
//! hierarchy where its controller lives (v1 first, else v2); a group whose
//! controller the host does not have is an error naming it.

use super::{devices, v1, v2, Cgroup, Dir};
use crate::cli::Global;
use crate::config::resources::Resources;
use crate::config::Spec;
use crate::error::Result;

fn home<'c>(cg: &'c Cgroup, ctrl: &str, field: &str) -> Result<&'c Dir> {
    cg.dir_for(ctrl).ok_or_else(|| {
        err!(
            "cgroup controller not available on this host:",
            "{ctrl} (for linux.resources.{field})"
        )
    })
}

/// Apply `res` (at create, or `update`: then device rules only when given).
pub fn apply(
    g: &Global,
    cg: &Cgroup,
    res: &Resources<'_>,
    spec: Option<&Spec<'_>>,
    update: bool,
) -> Result<()> {
    if let Some(m) = &res.memory {
        let d = home(cg, "memory", "memory")?;
        if d.hier.v2 {
            v2::memory(&d.path, m, update)?;
        } else {
            v1::memory(&d.path, m, update)?;
        }
    }
    if let Some(c) = &res.cpu {
        let cpu_set = c.shares.is_some_and(|s| s != 0)
            || c.quota.is_some_and(|q| q != 0)
            || c.period.is_some_and(|p| p != 0)
            || c.burst.is_some()
            || c.realtime_runtime.is_some_and(|r| r != 0)
            || c.realtime_period.is_some_and(|p| p != 0)
            || c.idle.is_some();
        if cpu_set {
            let d = home(cg, "cpu", "cpu")?;
            if d.hier.v2 {
                v2::cpu(&d.path, c)?;
            } else {
                v1::cpu(&d.path, c)?;
            }
        }
        if c.cpus.is_some_and(|s| !s.is_empty()) || c.mems.is_some_and(|s| !s.is_empty()) {
            v1::cpuset(&home(cg, "cpuset", "cpu.cpus")?.path, c)?;
        }
    }
    if let Some(p) = &res.pids {
        v1::pids(&home(cg, "pids", "pids")?.path, p)?;
    }
    if let Some(b) = &res.block_io {
        match cg.dir_for("blkio") {
            Some(d) => v1::blkio(&d.path, b)?,
            None => v2::io(&home(cg, "io", "blockIO")?.path, b)?,
        }
    }
    if !res.hugepage_limits.is_empty() {
        let d = home(cg, "hugetlb", "hugepageLimits")?;
        if d.hier.v2 {
            v2::hugetlb(&d.path, &res.hugepage_limits)?;
        } else {
            v1::hugetlb(&d.path, &res.hugepage_limits)?;
        }
    }
    if let Some(n) = &res.network {
        if n.class_id.is_some() {
            v1::net_cls(&home(cg, "net_cls", "network.classID")?.path, n)?;
        }
        if !n.priorities.is_empty() {
            v1::net_prio(&home(cg, "net_prio", "network.priorities")?.path, n)?;
        }
    }
    if !res.rdma.is_empty() {
        let d = home(cg, "rdma", "rdma")?;
        for (dev, r) in res.rdma.iter() {
            let mut line = crate::config::json::string(dev, "linux.resources.rdma")?;
            if let Some(h) = r.hca_handles {
                line.push_str(&format!(" hca_handle={h}"));
            }
            if let Some(o) = r.hca_objects {
                line.push_str(&format!(" hca_object={o}"));
            }
            super::files::write(&d.path, "rdma.max", &line, "rdma")?;
        }
    }
    if !res.unified.is_empty() {
        let d = cg.v2().ok_or_else(|| {
            err!(
                "linux.resources.unified needs cgroup v2:",
                "this host has no cgroup2 hierarchy"
            )
        })?;
        v2::unified(&d.path, &res.unified)?;
    }
    if !update || !res.devices.is_empty() {
        devices::apply_with(g, cg, res, spec)?;
    }
    Ok(())
}
