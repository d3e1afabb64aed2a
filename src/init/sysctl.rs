//! linux.sysctl (config-linux.md#sysctl): written to /proc/sys in the
//! container. Only keys of namespaces the container owns are allowed (runc's
//! rule): a key outside every namespace would change the host.

use super::Ctx;
use crate::config::{json, Linux};
use crate::error::{Context, Result};

/// IPC-namespaced keys besides fs.mqueue.* (ipc_namespace's sysctls).
const IPC_KEYS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// The namespace a key belongs to, or `None` when it is not namespaced.
fn namespace_of(key: &str) -> Option<&'static str> {
    if IPC_KEYS.contains(&key) || key.starts_with("fs.mqueue.") {
        Some("ipc")
    } else if key == "kernel.hostname" || key == "kernel.domainname" {
        Some("uts")
    } else if key.starts_with("net.") {
        Some("network")
    } else {
        None
    }
}

/// Every key is namespaced, in a namespace of the container's own.
pub fn check(l: &Linux<'_>) -> Result<()> {
    for (key, _) in l.sysctl.iter() {
        let Some(ns) = namespace_of(key) else {
            bail!(
                "invalid config.json:",
                "linux.sysctl \"{key}\" is not in a separate kernel namespace"
            );
        };
        // A joined namespace may be the host's; runc refuses that too only
        // when it can tell. A new one is always the container's.
        if !l.namespaces.iter().any(|n| n.typ == ns) {
            bail!(
                "invalid config.json:",
                "linux.sysctl \"{key}\" needs a {ns} namespace, the container has none"
            );
        }
        if key.contains('/') || key.split('.').any(|p| p.is_empty() || p == "..") {
            bail!(
                "invalid config.json:",
                "linux.sysctl \"{key}\" is not a sysctl name"
            );
        }
    }
    Ok(())
}

/// Step: write each value to /proc/sys/a/b/c (before /proc/sys goes read-only).
pub fn apply(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(l) = &ctx.spec.linux else {
        return Ok(());
    };
    for (key, value) in l.sysctl.iter() {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let v = json::string(value, "linux.sysctl")?;
        crate::sys::fs::write(&path, v.as_bytes())
            .ctx("write sysctl", format_args!("{key}={v}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn namespaces() {
        assert_eq!(super::namespace_of("net.ipv4.ip_forward"), Some("network"));
        assert_eq!(super::namespace_of("kernel.shmmax"), Some("ipc"));
        assert_eq!(super::namespace_of("fs.mqueue.msg_max"), Some("ipc"));
        assert_eq!(super::namespace_of("kernel.hostname"), Some("uts"));
        assert_eq!(super::namespace_of("vm.swappiness"), None);
        assert_eq!(super::namespace_of("kernel.pid_max"), None);
    }
}
