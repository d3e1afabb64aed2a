//! `husk features`: the OCI features document (features.md), stating what
//! this build really implements. Later work extends the lists as it lands.

use super::Global;
use crate::error::Result;
use lexopt::Parser;

/// Mount options husk understands (init/mounts.rs).
const MOUNT_OPTIONS: &[&str] = &[
    "async",
    "atime",
    "bind",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "lazytime",
    "loud",
    "mand",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "nolazytime",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "private",
    "rbind",
    "relatime",
    "ro",
    "rprivate",
    "rshared",
    "rslave",
    "runbindable",
    "rw",
    "shared",
    "silent",
    "slave",
    "strictatime",
    "suid",
    "sync",
    "tmpcopyup",
    "unbindable",
];

/// Hook kinds husk runs (controller/hooks.rs).
const HOOKS: &[&str] = &[
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}

pub fn main(_g: &Global, p: &mut Parser) -> Result<u8> {
    super::only_none(p)?;
    let namespaces = [
        "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts",
    ];
    let caps: Vec<&str> = (0..=40).filter_map(crate::init::caps::name).collect();
    let mut seccomp = String::new();
    let _ = crate::seccomp::write_features(&mut seccomp);
    crate::outln!(
        "{{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.3.0\",\"hooks\":{hooks},\"mountOptions\":{},\
\"linux\":{{\"namespaces\":{},\"capabilities\":{},\"cgroup\":{{\"v1\":true,\"v2\":true,\"systemd\":false,\"systemdUser\":false,\"rdma\":true}},\
\"seccomp\":{},\"apparmor\":{{\"enabled\":{apparmor}}},\"selinux\":{{\"enabled\":{selinux}}},\
\"intelRdt\":{{\"enabled\":false}},\"mountExtensions\":{{\"idmap\":{{\"enabled\":false}}}},\"netDevices\":{{\"enabled\":false}}}},\
\"annotations\":{{\"org.husk.version\":\"{}\"}}}}",
        list(MOUNT_OPTIONS),
        list(&namespaces),
        list(&caps),
        seccomp,
        env!("CARGO_PKG_VERSION"),
        hooks = list(HOOKS),
        apparmor = crate::init::lsm::apparmor_enabled(),
        selinux = crate::init::lsm::selinux_enabled(),
    );
    Ok(0)
}
