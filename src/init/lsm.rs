//! Linux security module labels: process.apparmorProfile,
//! process.selinuxLabel and linux.mountLabel (config.md, config-linux.md).
//! Applied when the host runs that LSM; when it does not, a config that asks
//! for a label is refused at create (never silently run unconfined).

use super::Ctx;
use crate::config::{json, Spec};
use crate::error::{Context, Result};

/// Is AppArmor enabled on this host?
pub fn apparmor_enabled() -> bool {
    crate::sys::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.starts_with('Y'))
        && crate::sys::fs::exists("/sys/kernel/security/apparmor")
}

/// Is SELinux enabled on this host (selinuxfs mounted)?
pub fn selinux_enabled() -> bool {
    crate::sys::fs::exists("/sys/fs/selinux/enforce")
}

fn set(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// At create: a label the host cannot apply is an error.
pub fn check(spec: &Spec<'_>) -> Result<()> {
    let p = spec.process.as_ref();
    if let Some(a) = set(p.and_then(|p| p.apparmor_profile)) {
        if !apparmor_enabled() {
            bail!(
                "apparmor is not enabled on this host:",
                "process.apparmorProfile \"{a}\" cannot be applied"
            );
        }
    }
    let label = set(p.and_then(|p| p.selinux_label));
    let mount = set(spec.linux.as_ref().and_then(|l| l.mount_label));
    if let Some(l) = label.or(mount) {
        if !selinux_enabled() {
            bail!(
                "selinux is not enabled on this host:",
                "label \"{l}\" (process.selinuxLabel / linux.mountLabel) cannot be applied"
            );
        }
    }
    Ok(())
}

/// The mount data option carrying linux.mountLabel, if any (SELinux `context=`).
pub fn mount_context(spec: &Spec<'_>) -> Option<String> {
    set(spec.linux.as_ref().and_then(|l| l.mount_label))
        .and_then(|l| json::string(l, "linux.mountLabel").ok())
        .map(|l| format!("context=\"{l}\""))
}

/// Step (after the user change, before exec): the labels the program is
/// executed with, through /proc/thread-self/attr.
pub fn exec_labels(ctx: &mut Ctx<'_>) -> Result<()> {
    let p = ctx.spec.process.as_ref();
    if let Some(a) = set(p.and_then(|p| p.apparmor_profile)) {
        let a = json::string(a, "process.apparmorProfile")?;
        let path = if crate::sys::fs::exists("/proc/thread-self/attr/apparmor") {
            "/proc/thread-self/attr/apparmor/exec"
        } else {
            "/proc/thread-self/attr/exec"
        };
        crate::sys::fs::write(path, format!("exec {a}"))
            .ctx("set apparmor profile", format_args!("{a}"))?;
    }
    if let Some(l) = set(p.and_then(|p| p.selinux_label)) {
        let l = json::string(l, "process.selinuxLabel")?;
        crate::sys::fs::write("/proc/thread-self/attr/exec", l.as_bytes())
            .ctx("set selinux label", format_args!("{l}"))?;
    }
    Ok(())
}
