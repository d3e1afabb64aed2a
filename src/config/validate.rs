//! Checks on a parsed config before anything is created: version, capacities,
//! required fields, known names, and fields this build does not implement
//! (refused by name, never silently ignored).

use super::list::List;
use super::Spec;

use crate::error::Result;

/// Namespace types of config-linux.md#namespaces, with their clone flags.
pub const NAMESPACES: &[(&str, u32)] = &[
    ("user", linux_raw_sys::general::CLONE_NEWUSER),
    ("pid", linux_raw_sys::general::CLONE_NEWPID),
    ("network", linux_raw_sys::general::CLONE_NEWNET),
    ("mount", linux_raw_sys::general::CLONE_NEWNS),
    ("ipc", linux_raw_sys::general::CLONE_NEWIPC),
    ("uts", linux_raw_sys::general::CLONE_NEWUTS),
    ("cgroup", linux_raw_sys::general::CLONE_NEWCGROUP),
    ("time", linux_raw_sys::general::CLONE_NEWTIME),
];

/// Clone flag of a namespace type name.
pub fn ns_flag(typ: &str) -> Option<u32> {
    NAMESPACES.iter().find(|(n, _)| *n == typ).map(|(_, f)| *f)
}

/// Check `spec` as a whole. `need_process`: create/run need `process`.
pub fn validate(spec: &Spec<'_>, need_process: bool) -> Result<()> {
    version(spec.oci_version)?;
    capacities(spec)?;
    let root = spec
        .root
        .as_ref()
        .ok_or_else(|| err!("invalid config.json:", "root is missing"))?;
    if root.path.is_empty() {
        bail!("invalid config.json:", "root.path is empty");
    }
    for (i, m) in spec.mounts.iter().enumerate() {
        if m.destination.is_empty() {
            bail!("invalid config.json:", "mounts[{i}].destination is empty");
        }
        if !m.uid_mappings.is_empty() || !m.gid_mappings.is_empty() {
            unsupported("mounts[].uidMappings (id-mapped mounts)")?;
        }
    }
    if let Some(h) = &spec.hooks {
        crate::controller::hooks::check(h)?;
    }
    if let Some(l) = &spec.linux {
        linux(l, spec)?;
    }
    crate::init::lsm::check(spec)?;
    match &spec.process {
        Some(p) => process(p)?,
        None if need_process => bail!("invalid config.json:", "process is missing"),
        None => {}
    }
    Ok(())
}

/// ociVersion 1.0.0 … 1.3.x, with or without a -rc/+dev suffix.
pub fn version(v: &str) -> Result<()> {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let mut parts = core.split('.');
    let major = parts.next().and_then(|s| s.parse::<u32>().ok());
    let minor = parts.next().and_then(|s| s.parse::<u32>().ok());
    let patch_ok = parts.next().is_none_or(|s| s.parse::<u32>().is_ok());
    match (major, minor) {
        (Some(1), Some(0..=3)) if patch_ok && parts.next().is_none() => Ok(()),
        (Some(_), Some(_)) if patch_ok => bail!(
            "unsupported ociVersion",
            "\"{v}\": husk supports 1.0.0 to 1.3.x"
        ),
        _ => bail!(
            "invalid config.json:",
            "ociVersion \"{v}\" is not a version"
        ),
    }
}

fn unsupported(field: &str) -> Result<()> {
    bail!(
        "not supported yet:",
        "{field} is set in config.json but this husk build does not implement it"
    )
}

fn cap<T, const N: usize>(l: &List<T, N>, field: &str, name: &str) -> Result<()> {
    if l.overflowed() {
        bail!(
            "config over capacity:",
            "{field} has {} entries, the limit is {N} ({name}; rebuild with HUSK_{name}=… to raise it)",
            l.total
        );
    }
    Ok(())
}

fn capacities(s: &Spec<'_>) -> Result<()> {
    cap(&s.mounts, "mounts", "MAX_MOUNTS")?;
    for m in s.mounts.iter() {
        cap(&m.options, "mounts[].options", "MAX_MOUNT_OPTIONS")?;
        cap(
            &m.uid_mappings,
            "mounts[].uidMappings",
            "MAX_MOUNT_ID_MAPPINGS",
        )?;
        cap(
            &m.gid_mappings,
            "mounts[].gidMappings",
            "MAX_MOUNT_ID_MAPPINGS",
        )?;
    }
    cap(&s.annotations.entries, "annotations", "MAX_ANNOTATIONS")?;
    if let Some(h) = &s.hooks {
        for (list, f) in [
            (&h.prestart, "hooks.prestart"),
            (&h.create_runtime, "hooks.createRuntime"),
            (&h.create_container, "hooks.createContainer"),
            (&h.start_container, "hooks.startContainer"),
            (&h.poststart, "hooks.poststart"),
            (&h.poststop, "hooks.poststop"),
        ] {
            cap(list, f, "MAX_HOOKS")?;
            for hk in list.iter() {
                cap(&hk.args, "hooks[].args", "MAX_HOOK_ARGS")?;
                cap(&hk.env, "hooks[].env", "MAX_HOOK_ARGS")?;
            }
        }
    }
    if let Some(p) = &s.process {
        process_capacities(p)?;
    }
    if let Some(l) = &s.linux {
        cap(&l.namespaces, "linux.namespaces", "MAX_NAMESPACES")?;
        cap(&l.uid_mappings, "linux.uidMappings", "MAX_ID_MAPPINGS")?;
        cap(&l.gid_mappings, "linux.gidMappings", "MAX_ID_MAPPINGS")?;
        cap(&l.devices, "linux.devices", "MAX_DEVICES")?;
        cap(&l.sysctl.entries, "linux.sysctl", "MAX_SYSCTL")?;
        cap(&l.masked_paths, "linux.maskedPaths", "MAX_PATHS")?;
        cap(&l.readonly_paths, "linux.readonlyPaths", "MAX_PATHS")?;
        if let Some(r) = &l.resources {
            cap(&r.devices, "linux.resources.devices", "MAX_DEVICE_RULES")?;
            cap(&r.unified.entries, "linux.resources.unified", "MAX_UNIFIED")?;
            cap(
                &r.hugepage_limits,
                "linux.resources.hugepageLimits",
                "MAX_HUGEPAGE_LIMITS",
            )?;
        }
    }
    Ok(())
}

/// The process's lists within their build-time capacities.
fn process_capacities(p: &super::Process<'_>) -> Result<()> {
    cap(&p.args, "process.args", "MAX_ARGS")?;
    cap(&p.env, "process.env", "MAX_ENV")?;
    cap(&p.rlimits, "process.rlimits", "MAX_RLIMITS")?;
    cap(
        &p.user.additional_gids,
        "process.user.additionalGids",
        "MAX_GIDS",
    )?;
    if let Some(c) = &p.capabilities {
        for (l, f) in [
            (&c.bounding, "process.capabilities.bounding"),
            (&c.effective, "process.capabilities.effective"),
            (&c.inheritable, "process.capabilities.inheritable"),
            (&c.permitted, "process.capabilities.permitted"),
            (&c.ambient, "process.capabilities.ambient"),
        ] {
            cap(l, f, "MAX_CAPS")?;
        }
    }
    Ok(())
}

/// process (config.md#process): also a lone process.json of `husk exec`.
pub fn process(p: &super::Process<'_>) -> Result<()> {
    process_capacities(p)?;
    if p.args.is_empty() {
        bail!("invalid config.json:", "process.args is empty");
    }
    if p.command_line.is_some() {
        bail!(
            "invalid config.json:",
            "process.commandLine is for Windows only"
        );
    }
    if !p.cwd.starts_with('/') {
        bail!(
            "invalid config.json:",
            "process.cwd \"{}\" is not absolute",
            p.cwd
        );
    }
    for (i, e) in p.env.iter().enumerate() {
        if !e.contains('=') {
            bail!(
                "invalid config.json:",
                "process.env[{i}] \"{e}\" is not KEY=value"
            );
        }
    }
    if let Some(c) = &p.capabilities {
        for l in [
            &c.bounding,
            &c.effective,
            &c.inheritable,
            &c.permitted,
            &c.ambient,
        ] {
            for name in l.iter() {
                if crate::init::caps::number(name).is_none() {
                    bail!(
                        "invalid config.json:",
                        "unknown capability \"{name}\" in process.capabilities"
                    );
                }
            }
        }
    }
    for r in p.rlimits.iter() {
        if crate::init::rlimits::resource(r.typ).is_none() {
            bail!(
                "invalid config.json:",
                "unknown rlimit type \"{}\" in process.rlimits",
                r.typ
            );
        }
        if r.soft > r.hard {
            bail!(
                "invalid config.json:",
                "process.rlimits {}: soft limit {} is above hard limit {}",
                r.typ,
                r.soft,
                r.hard
            );
        }
    }
    if let Some(io) = &p.io_priority {
        crate::init::sched::check_io_priority(io)?;
    }
    if let Some(s) = &p.scheduler {
        crate::init::sched::check_scheduler(s)?;
    }
    if let Some(a) = &p.exec_cpu_affinity {
        crate::init::sched::check_affinity(a)?;
    }
    Ok(())
}

fn linux(l: &super::Linux<'_>, spec: &Spec<'_>) -> Result<()> {
    let mut seen = 0u32;
    for ns in l.namespaces.iter() {
        let flag = ns_flag(ns.typ).ok_or_else(|| {
            err!(
                "invalid config.json:",
                "unknown namespace type \"{}\"",
                ns.typ
            )
        })?;
        if seen & flag != 0 {
            bail!(
                "invalid config.json:",
                "namespace \"{}\" is listed twice",
                ns.typ
            );
        }
        seen |= flag;
        if let Some(p) = ns.path {
            if !p.starts_with('/') {
                bail!(
                    "invalid config.json:",
                    "namespace {} path \"{p}\" is not absolute",
                    ns.typ
                );
            }
        }
    }
    let has = |t: &str| l.namespaces.iter().any(|n| n.typ == t);
    let new_user = l
        .namespaces
        .iter()
        .any(|n| n.typ == "user" && n.path.is_none());
    if new_user && (l.uid_mappings.is_empty() || l.gid_mappings.is_empty()) {
        bail!(
            "invalid config.json:",
            "a new user namespace needs linux.uidMappings and linux.gidMappings"
        );
    }
    if !has("user") && (!l.uid_mappings.is_empty() || !l.gid_mappings.is_empty()) {
        bail!(
            "invalid config.json:",
            "linux.uidMappings given without a user namespace"
        );
    }
    if (spec.hostname.is_some_and(|h| !h.is_empty())
        || spec.domainname.is_some_and(|h| !h.is_empty()))
        && !has("uts")
    {
        bail!(
            "invalid config.json:",
            "hostname or domainname set without a uts namespace"
        );
    }
    if !l.time_offsets.is_empty() {
        if !l
            .namespaces
            .iter()
            .any(|n| n.typ == "time" && n.path.is_none())
        {
            bail!(
                "invalid config.json:",
                "linux.timeOffsets needs a new time namespace"
            );
        }
        for (k, _) in l.time_offsets.iter() {
            if *k != "monotonic" && *k != "boottime" {
                bail!(
                    "invalid config.json:",
                    "linux.timeOffsets: unknown clock \"{k}\""
                );
            }
        }
    }
    if let Some(p) = l.rootfs_propagation {
        if crate::init::mounts::propagation_flag(p).is_none() {
            bail!(
                "invalid config.json:",
                "linux.rootfsPropagation \"{p}\" is not a propagation mode"
            );
        }
    }
    if let Some(r) = &l.resources {
        for h in r.hugepage_limits.iter() {
            if !page_size_ok(h.page_size) {
                bail!(
                    "invalid config.json:",
                    "linux.resources.hugepageLimits: pageSize \"{}\" is not like 2MB or 1GB",
                    h.page_size
                );
            }
        }
        crate::cgroup::validate::resources(r)?;
    }
    if let Some(p) = l.cgroups_path {
        crate::cgroup::validate::path(p)?;
    }
    if let Some(s) = &l.seccomp {
        s.validate()?;
    }
    crate::init::devices::check(l)?;
    if !l.net_devices.is_empty() {
        unsupported("linux.netDevices")?;
    }
    crate::init::sysctl::check(l)?;
    if l.intel_rdt.is_some() {
        unsupported("linux.intelRdt")?;
    }
    if let Some(p) = &l.personality {
        crate::init::sched::check_personality(p)?;
    }
    if l.memory_policy.is_some() {
        unsupported("linux.memoryPolicy")?;
    }
    Ok(())
}

/// `^[1-9][0-9]*[KMG]B$` (config-linux.md#huge-page-limits).
fn page_size_ok(s: &str) -> bool {
    let Some(num) = s
        .strip_suffix("KB")
        .or_else(|| s.strip_suffix("MB"))
        .or_else(|| s.strip_suffix("GB"))
    else {
        return false;
    };
    !num.is_empty() && !num.starts_with('0') && num.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert!(page_size_ok("2MB") && page_size_ok("64KB") && page_size_ok("1GB"));
        assert!(
            !page_size_ok("64kB")
                && !page_size_ok("0MB")
                && !page_size_ok("MB")
                && !page_size_ok("2M")
        );
    }

    #[test]
    fn versions() {
        for ok in [
            "1.0.0",
            "1.0.2-dev",
            "1.1.0+dev",
            "1.2.0",
            "1.3.0-rc.1",
            "1.3.7",
        ] {
            assert!(version(ok).is_ok(), "{ok}");
        }
        for bad in ["2.0.0", "0.9.0", "1.4.0", "x", "", "1"] {
            assert!(version(bad).is_err(), "{bad}");
        }
    }
}
