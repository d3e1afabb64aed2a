//! Checks on `linux.cgroupsPath` and `linux.resources` before anything is
//! made (called from config/validate.rs): what the spec or the kernel
//! would refuse anyway is refused early, naming the field.

use crate::config::resources::Resources;
use crate::error::Result;

/// cgroupsPath: no `..` (it would leave the hierarchy), no NUL.
pub fn path(raw: &str) -> Result<()> {
    let p = crate::config::json::string(raw, "linux.cgroupsPath")?;
    if p.contains('\0') {
        bail!("invalid config.json:", "linux.cgroupsPath contains a NUL");
    }
    super::clean(&p).map(drop)
}

fn cap(total: usize, max: usize, field: &str) -> Result<()> {
    if total > max {
        bail!(
            "config over capacity:",
            "linux.resources.{field} has {total} entries, the limit is {max} (MAX_WEIGHT_DEVICES; rebuild with HUSK_MAX_WEIGHT_DEVICES=… to raise it)"
        );
    }
    Ok(())
}

pub fn resources(r: &Resources<'_>) -> Result<()> {
    for (i, d) in r.devices.iter().enumerate() {
        if !matches!(d.typ, None | Some("a" | "b" | "c" | "u")) {
            bail!(
                "invalid config.json:",
                "linux.resources.devices[{i}].type must be a, b or c"
            );
        }
        if d.access
            .is_some_and(|a| super::devices::access(a).is_none())
        {
            bail!(
                "invalid config.json:",
                "linux.resources.devices[{i}].access must be made of r, w, m"
            );
        }
        if d.major.is_some_and(|m| m < -1) || d.minor.is_some_and(|m| m < -1) {
            bail!(
                "invalid config.json:",
                "linux.resources.devices[{i}]: negative major or minor"
            );
        }
    }
    if let Some(m) = &r.memory {
        if let (Some(l), Some(s)) = (m.limit, m.swap) {
            if l > 0 && s > 0 && s < l {
                bail!(
                    "invalid config.json:",
                    "linux.resources.memory.swap ({s}) is memory+swap and must be >= limit ({l})"
                );
            }
        }
        if m.swappiness.is_some_and(|s| s > 100) {
            bail!(
                "invalid config.json:",
                "linux.resources.memory.swappiness must be 0 to 100"
            );
        }
    }
    if let Some(b) = &r.block_io {
        for (f, n) in [
            ("blockIO.weightDevice", b.weight_device.total),
            (
                "blockIO.throttleReadBpsDevice",
                b.throttle_read_bps_device.total,
            ),
            (
                "blockIO.throttleWriteBpsDevice",
                b.throttle_write_bps_device.total,
            ),
            (
                "blockIO.throttleReadIOPSDevice",
                b.throttle_read_iops_device.total,
            ),
            (
                "blockIO.throttleWriteIOPSDevice",
                b.throttle_write_iops_device.total,
            ),
        ] {
            cap(n, crate::caps::MAX_WEIGHT_DEVICES, f)?;
        }
        for w in b.weight_device.iter() {
            if w.weight.is_none() && w.leaf_weight.is_none() {
                bail!(
                    "invalid config.json:",
                    "linux.resources.blockIO.weightDevice {}:{} needs weight or leafWeight",
                    w.major,
                    w.minor
                );
            }
        }
    }
    for (k, _) in r.unified.iter() {
        // A file name of the cgroup: controller.name, nothing else.
        let ok = k
            .split_once('.')
            .is_some_and(|(c, f)| !c.is_empty() && !f.is_empty())
            && !k.contains('/')
            && !k.contains('\\')
            && k.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            bail!(
                "invalid config.json:",
                "linux.resources.unified key \"{k}\" is not a cgroup file name like memory.high"
            );
        }
        if k.starts_with("cgroup.") && !matches!(*k, "cgroup.max.depth" | "cgroup.max.descendants")
        {
            bail!(
                "invalid config.json:",
                "linux.resources.unified key \"{k}\" would change the cgroup itself"
            );
        }
    }
    Ok(())
}
