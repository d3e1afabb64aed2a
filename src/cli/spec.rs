//! `husk spec [--bundle B] [--rootless]`: write a default config.json, as
//! runc's (busybox `sh` in ./rootfs, on a terminal), that husk runs as
//! written: `husk run ID` on a terminal proxies the container's (cli/tty.rs).

use super::{bad_arg, Global};
use crate::error::{Context, Result};
use lexopt::{Arg, Parser};
use std::path::PathBuf;

const MOUNTS: &str = r#"
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"GID5]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    SYS,
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}"#;

const SYSFS: &str = r#"{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}"#;
const SYSBIND: &str = r#"{"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}"#;

const MASKED: &str = r#"["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]"#;
const READONLY: &str =
    r#"["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]"#;
const CAPS: &str = r#"["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]"#;

/// The default config; `rootless` maps the caller's uid/gid to root in a
/// user namespace and binds /sys instead of mounting sysfs (runc does too).
pub fn default_config(rootless: Option<(u32, u32)>) -> String {
    let (ns, maps, mounts) = match rootless {
        None => (
            r#"{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}"#.to_string(),
            // runc's default: no device but the defaults (added by husk as by runc).
            "\n    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},".to_string(),
            MOUNTS.replace("GID5", ", \"gid=5\"").replace("SYS", SYSFS),
        ),
        Some((uid, gid)) => (
            r#"{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}, {"type": "user"}"#.to_string(),
            format!(
                "\n    \"uidMappings\": [{{\"containerID\": 0, \"hostID\": {uid}, \"size\": 1}}],\n    \"gidMappings\": [{{\"containerID\": 0, \"hostID\": {gid}, \"size\": 1}}],"
            ),
            MOUNTS.replace("GID5", "").replace("SYS", SYSBIND),
        ),
    };
    format!(
        r#"{{
  "ociVersion": "1.2.0",
  "process": {{
    "terminal": true,
    "user": {{"uid": 0, "gid": 0}},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {{"bounding": {CAPS}, "effective": {CAPS}, "permitted": {CAPS}}},
    "rlimits": [{{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}}],
    "noNewPrivileges": true
  }},
  "root": {{"path": "rootfs", "readonly": true}},
  "hostname": "husk",
  "mounts": [{mounts}
  ],
  "linux": {{{maps}
    "namespaces": [{ns}],
    "maskedPaths": {MASKED},
    "readonlyPaths": {READONLY}
  }}
}}
"#
    )
}

pub fn main(_g: &Global, p: &mut Parser) -> Result<u8> {
    let mut bundle = PathBuf::from(".");
    let mut rootless = false;
    while let Some(a) = p.next().map_err(bad_arg)? {
        match a {
            Arg::Long("bundle") | Arg::Short('b') => {
                bundle = PathBuf::from(p.value().map_err(bad_arg)?)
            }
            Arg::Long("rootless") => rootless = true,
            other => return Err(bad_arg(other.unexpected())),
        }
    }
    let path = bundle.join("config.json");
    if path.exists() {
        bail!("config.json exists:", "{}: remove it first", path.display());
    }
    let ids = rootless.then(|| {
        (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        )
    });
    crate::sys::fs::write(&path, default_config(ids))
        .ctx("write", format_args!("{}", path.display()))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_configs_parse_and_validate() {
        for ids in [None, Some((1000, 1000))] {
            let text = super::default_config(ids);
            let spec = crate::config::load::parse(text.as_bytes()).unwrap();
            crate::config::validate::validate(&spec, true).unwrap();
            assert_eq!(spec.mounts.len(), 7);
        }
    }
}
