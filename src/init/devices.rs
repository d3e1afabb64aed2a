//! The default /dev of config-linux.md#default-devices: null, zero, full,
//! random, urandom, tty, plus the /dev/fd, stdin/out/err and ptmx symlinks.
//! Nodes are made with mknod, or bind-mounted from the host where mknod is
//! not allowed (in a user namespace). Then linux.devices
//! (config-linux.md#devices): each node with its type, major/minor,
//! fileMode, uid and gid, created inside the root.

use super::mounts::{ensure_in_root, fd_path, open_root};
use super::Ctx;
use crate::error::{Context, Result};
use crate::sys;
use rustix::fd::AsFd;
use rustix::fs::{self, Mode, OFlags, ResolveFlags};

/// (name, major, minor)
const DEVICES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

const LINKS: &[(&str, &str)] = &[
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
];

/// Create the default devices and links, unless /dev is the host's (a bind mount).
pub fn create_defaults(ctx: &mut Ctx<'_>) -> Result<()> {
    let host_dev = ctx.spec.mounts.iter().any(|m| {
        m.destination.trim_end_matches('/') == "/dev"
            && m.options.iter().any(|o| *o == "bind" || *o == "rbind")
    });
    if host_dev {
        return Ok(());
    }
    let root = open_root(ctx.rootfs)?;
    let dev = ensure_in_root(root.as_fd(), "/dev", true)?;
    // O_PATH handles cannot be used for mknodat: reopen the directory.
    let dev = fs::openat2(
        root.as_fd(),
        "dev",
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .or_else(|_| {
        fs::openat(
            &dev,
            ".",
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })
    .ctx("open", format_args!("/dev in the rootfs"))?;
    let old = rustix::process::umask(Mode::empty());
    let r = make_nodes(&dev, root.as_fd());
    rustix::process::umask(old);
    r?;
    for (name, target) in LINKS {
        match fs::symlinkat(*target, &dev, *name) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e).ctx("symlink", format_args!("/dev/{name} -> {target}")),
        }
    }
    if fs::stat("/proc/kcore").is_ok() {
        let _ = fs::symlinkat("/proc/kcore", &dev, "core");
    }
    Ok(())
}

fn make_nodes(dev: &rustix::fd::OwnedFd, root: rustix::fd::BorrowedFd<'_>) -> Result<()> {
    for (name, major, minor) in DEVICES {
        // Something already there (a bind or an earlier node) is replaced.
        let _ = fs::unlinkat(dev, *name, fs::AtFlags::empty());
        let devno = fs::makedev(*major, *minor);
        match fs::mknodat(
            dev,
            *name,
            fs::FileType::CharacterDevice,
            Mode::from_raw_mode(0o666),
            devno,
        ) {
            Ok(()) => {}
            Err(rustix::io::Errno::PERM) => {
                // In a user namespace: bind the host's node over an empty file.
                let target = ensure_in_root(root, &format!("/dev/{name}"), false)?;
                let src = std::ffi::CString::new(format!("/dev/{name}")).unwrap_or_default();
                sys::mount(
                    Some(&src),
                    &fd_path(target.as_fd()),
                    None,
                    linux_raw_sys::general::MS_BIND as u64,
                    None,
                )
                .ctx("bind mount", format_args!("/dev/{name} from the host"))?;
            }
            Err(e) => return Err(e).ctx("mknod", format_args!("/dev/{name}")),
        }
    }
    Ok(())
}

/// linux.devices at validation: a known type, numbers where needed, an
/// absolute path without `..` (no node is ever made outside the root).
pub fn check(l: &crate::config::Linux<'_>) -> Result<()> {
    for d in l.devices.iter() {
        if !matches!(d.typ, "c" | "u" | "b" | "p") {
            bail!(
                "invalid config.json:",
                "linux.devices {}: type \"{}\" is not c, u, b or p",
                d.path,
                d.typ
            );
        }
        if !d.path.starts_with('/')
            || d.path.split('/').any(|c| c == "..")
            || d.path.trim_end_matches('/').is_empty()
        {
            bail!(
                "invalid config.json:",
                "linux.devices path \"{}\" must be absolute, inside the root, without ..",
                d.path
            );
        }
        if d.typ != "p" && (!(0..=0xfff).contains(&d.major) || !(0..=0xfffff).contains(&d.minor)) {
            bail!(
                "invalid config.json:",
                "linux.devices {}: major {} / minor {} out of range",
                d.path,
                d.major,
                d.minor
            );
        }
        // podman (and docker) write the host node's whole st_mode, file type
        // bits included (0o20666 for a char device); runc strips S_IFMT. Allow
        // exactly the type bits of the node's own type (stat(2), inode(7)).
        let type_bits = match d.typ {
            "b" => 0o060000,
            "p" => 0o010000,
            _ => 0o020000,
        };
        if d.file_mode
            .is_some_and(|m| m & !0o7777 != 0 && m & !0o7777 != type_bits)
        {
            bail!(
                "invalid config.json:",
                "linux.devices {}: fileMode has bits beyond 07777 other than the node's type",
                d.path
            );
        }
    }
    Ok(())
}

/// Step: the nodes of linux.devices, each resolved inside the root (its
/// parent directories created there); an existing entry is replaced.
pub fn create_config(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(l) = &ctx.spec.linux else {
        return Ok(());
    };
    if l.devices.is_empty() {
        return Ok(());
    }
    let root = open_root(ctx.rootfs)?;
    let old = rustix::process::umask(Mode::empty());
    let r = l
        .devices
        .iter()
        .try_for_each(|d| make_config_node(root.as_fd(), d));
    rustix::process::umask(old);
    r
}

fn make_config_node(
    root: rustix::fd::BorrowedFd<'_>,
    d: &crate::config::linux::Device<'_>,
) -> Result<()> {
    let path = crate::config::json::string(d.path, "linux.devices[].path")?;
    let (parent, name) = path
        .trim_end_matches('/')
        .rsplit_once('/')
        .unwrap_or(("", &path));
    let pdir = ensure_in_root(root, if parent.is_empty() { "/" } else { parent }, true)?;
    // O_PATH handles cannot be used for mknodat: reopen the directory.
    let pdir = fs::openat(
        &pdir,
        ".",
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open", format_args!("{parent} in the rootfs"))?;
    let kind = match d.typ {
        "b" => fs::FileType::BlockDevice,
        "p" => fs::FileType::Fifo,
        _ => fs::FileType::CharacterDevice,
    };
    let mode = Mode::from_raw_mode(d.file_mode.unwrap_or(0o666) & 0o7777);
    let devno = fs::makedev(d.major as u32, d.minor as u32);
    match fs::unlinkat(&pdir, name, fs::AtFlags::empty()) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => {}
        Err(e) => return Err(e).ctx("replace", format_args!("{path} in the rootfs")),
    }
    match fs::mknodat(&pdir, name, kind, mode, devno) {
        Ok(()) => {}
        Err(rustix::io::Errno::PERM) if d.typ != "p" => {
            // In a user namespace: bind the host's node of the same path.
            let target = ensure_in_root(root, &path, false)?;
            let src = crate::config::json::cstring(d.path, "linux.devices[].path")?;
            return sys::mount(
                Some(&src),
                &fd_path(target.as_fd()),
                None,
                linux_raw_sys::general::MS_BIND as u64,
                None,
            )
            .ctx("bind mount", format_args!("{path} from the host"));
        }
        Err(e) => {
            return Err(e).ctx(
                "mknod",
                format_args!("{path} ({} {}:{})", d.typ, d.major, d.minor),
            )
        }
    }
    let uid = d.uid.map(rustix::process::Uid::from_raw);
    let gid = d.gid.map(rustix::process::Gid::from_raw);
    if uid.is_some() || gid.is_some() {
        fs::chownat(&pdir, name, uid, gid, fs::AtFlags::SYMLINK_NOFOLLOW)
            .ctx("chown", format_args!("{path}"))?;
    }
    Ok(())
}
