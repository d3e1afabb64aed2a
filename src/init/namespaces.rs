//! Namespaces (config-linux.md#namespaces): joined by path with setns(2), or
//! new with unshare(2). The user namespace comes first so the others belong
//! to it; its id maps are written by `husk create` from outside.

use super::Ctx;
use crate::config::validate::ns_flag;
use crate::config::{json, Spec};
use crate::controller::sync::{self, Kind};
use crate::error::{Context, Result};
use linux_raw_sys::general::{CLONE_NEWTIME, CLONE_NEWUSER};
use rustix::fd::BorrowedFd;
use rustix::fs::{Mode, OFlags};
use rustix::thread::{LinkNameSpaceType, UnshareFlags};

/// Join and create the config's namespaces, in the right order.
pub fn enter(spec: &Spec<'_>, sync: BorrowedFd<'_>) -> Result<()> {
    // 0. Be moved into the container's cgroups before any namespace (sync.rs).
    sync::request(sync, Kind::CgroupReq, Kind::CgroupAck)?;
    let Some(linux) = &spec.linux else {
        return Ok(());
    };
    let nss = &linux.namespaces;
    // 1. The user namespace: join, or create and have the parent map it.
    if let Some(user) = nss.iter().find(|n| n.typ == "user") {
        match user.path {
            Some(p) => join(p, "user")?,
            None => {
                // SAFETY: no CLONE_FILES, and husk runs a single thread.
                unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWUSER) }
                    .ctx("unshare", format_args!("user namespace"))?;
                sync::send(sync, Kind::IdmapReq, 0)?;
                match sync::recv(sync)? {
                    Some(m) if m.kind == Kind::IdmapAck => {}
                    Some(m) if m.kind == Kind::Error => return Err(m.to_error()),
                    _ => return Err(err!("sync protocol:", "no IDMAP_ACK")),
                }
            }
        }
        // Become root of the namespace where it is mapped (0 is usually mapped).
        let root = rustix::process::Uid::ROOT;
        let _ = rustix::thread::set_thread_res_gid(
            rustix::process::Gid::ROOT,
            rustix::process::Gid::ROOT,
            rustix::process::Gid::ROOT,
        );
        let _ = rustix::thread::set_thread_res_uid(root, root, root);
    }
    // 2. Join the others given by path.
    for ns in nss.iter().filter(|n| n.typ != "user") {
        if let Some(p) = ns.path {
            join(p, ns.typ)?;
        }
    }
    // 3. Create the new ones in one unshare.
    let mut flags = 0u32;
    for ns in nss.iter().filter(|n| n.path.is_none() && n.typ != "user") {
        flags |= ns_flag(ns.typ).unwrap_or(0);
    }
    if flags != 0 {
        let f = UnshareFlags::from_bits_retain(flags);
        // SAFETY: namespace flags only (no CLONE_FILES); husk runs a single thread.
        unsafe { rustix::thread::unshare_unsafe(f) }
            .ctx("unshare", format_args!("namespaces {}", names(flags)))?;
    }
    // 4. Time offsets go in before any process enters the time namespace.
    if flags & CLONE_NEWTIME != 0 && !linux.time_offsets.is_empty() {
        let mut text = String::new();
        for (clock, off) in linux.time_offsets.iter() {
            text.push_str(&format!("{clock} {} {}\n", off.secs, off.nanosecs));
        }
        crate::sys::fs::write("/proc/self/timens_offsets", text)
            .ctx("write", format_args!("/proc/self/timens_offsets"))?;
    }
    Ok(())
}

fn join(raw_path: &str, typ: &str) -> Result<()> {
    let path = json::cstring(raw_path, "linux.namespaces[].path")?;
    let fd = rustix::fs::open(
        path.as_c_str(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open namespace", format_args!("{typ} {raw_path}"))?;
    let t = match typ {
        "user" => LinkNameSpaceType::User,
        "pid" => LinkNameSpaceType::ProcessID,
        "network" => LinkNameSpaceType::Network,
        "mount" => LinkNameSpaceType::Mount,
        "ipc" => LinkNameSpaceType::InterProcessCommunication,
        "uts" => LinkNameSpaceType::HostNameAndNISDomainName,
        "cgroup" => LinkNameSpaceType::ControlGroup,
        "time" => LinkNameSpaceType::Time,
        _ => return Err(err!("unknown namespace type", "{typ}")),
    };
    rustix::thread::move_into_link_name_space(rustix::fd::AsFd::as_fd(&fd), Some(t))
        .ctx("setns", format_args!("{typ} namespace {raw_path}"))
}

fn names(flags: u32) -> String {
    crate::config::validate::NAMESPACES
        .iter()
        .filter(|(_, f)| flags & f != 0 && *f != CLONE_NEWUSER)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

/// hostname and domainname (need a uts namespace, checked at validation).
pub fn hostname(ctx: &mut Ctx<'_>) -> Result<()> {
    if let Some(h) = ctx.spec.hostname.filter(|h| !h.is_empty()) {
        let h = json::cstring(h, "hostname")?;
        rustix::system::sethostname(h.as_bytes()).ctx("sethostname", format_args!("{h:?}"))?;
    }
    if let Some(d) = ctx.spec.domainname.filter(|d| !d.is_empty()) {
        let d = json::cstring(d, "domainname")?;
        rustix::system::setdomainname(d.as_bytes()).ctx("setdomainname", format_args!("{d:?}"))?;
    }
    Ok(())
}
