//! husk run by an unprivileged user (config-linux.md#user-namespace-mappings,
//! runc's rootless mode): the id maps are written the way the kernel allows
//! a non-root writer (user_namespaces(7)), and cgroups it may not create are
//! done without, as long as the config asks for no resource limits.

use crate::cgroup::Cgroup;
use crate::cli::Global;
use crate::config::{linux::IdMapping, Spec};
use crate::error::{Context, Result};

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The cgroup create made, or, for a non-root caller denied the cgroup
/// tree and with no linux.resources, none (a debug note says so).
pub fn cgroup(g: &Global, spec: &Spec<'_>, made: Result<Cgroup>) -> Result<Cgroup> {
    match made {
        Err(e)
            if !is_root()
                && matches!(
                    e.errno(),
                    Some(rustix::io::Errno::ACCESS)
                        | Some(rustix::io::Errno::PERM)
                        | Some(rustix::io::Errno::ROFS)
                )
                && spec.linux.as_ref().is_none_or(|l| l.resources.is_none()) =>
        {
            crate::log::debug(g, format_args!("rootless: running without cgroups ({e})"));
            Ok(Cgroup::default())
        }
        r => r,
    }
}

/// Write one of /proc/PID/{uid,gid}_map. Root writes it directly; another
/// user may map only its own id (one line of size 1, after setgroups is
/// denied for gid_map), and otherwise needs newuidmap/newgidmap (shadow's
/// setuid helpers, which check /etc/subuid and /etc/subgid).
pub fn write_map(pid: i32, file: &str, maps: &[IdMapping]) -> Result<()> {
    let mut text = String::new();
    for m in maps {
        text.push_str(&format!("{} {} {}\n", m.container_id, m.host_id, m.size));
    }
    let path = format!("/proc/{pid}/{file}");
    if is_root() {
        return crate::sys::fs::write(&path, text.as_bytes()).ctx("write", format_args!("{path}"));
    }
    let gid = file == "gid_map";
    let own = if gid {
        rustix::process::getegid().as_raw()
    } else {
        rustix::process::geteuid().as_raw()
    };
    if let [m] = maps {
        if m.host_id == own && m.size == 1 {
            if gid {
                let sg = format!("/proc/{pid}/setgroups");
                crate::sys::fs::write(&sg, b"deny").ctx("write", format_args!("{sg}"))?;
            }
            return crate::sys::fs::write(&path, text.as_bytes())
                .ctx("write", format_args!("{path}"));
        }
    }
    let helper = if gid { "newgidmap" } else { "newuidmap" };
    let mut argv = vec![helper.to_string(), pid.to_string()];
    for m in maps {
        argv.push(m.container_id.to_string());
        argv.push(m.host_id.to_string());
        argv.push(m.size.to_string());
    }
    match crate::sys::run::output(&argv) {
        Ok(o) if o.success() => Ok(()),
        Ok(o) => bail!(
            "id mapping failed:",
            "{helper} for pid {pid} exited with {}: {} (check /etc/sub{}id)",
            o.describe(),
            String::from_utf8_lossy(&o.stderr).trim(),
            if gid { "g" } else { "u" }
        ),
        Err(_) => bail!(
            "id mapping needs privileges:",
            "a non-root user may map only its own {} (size 1) unless {helper} is installed",
            if gid { "gid" } else { "uid" }
        ),
    }
}
