//! The config's mounts, in order (config.md#mounts). Targets are created and
//! opened inside the root with openat2(RESOLVE_IN_ROOT), and the mount is made
//! on /proc/self/fd/N of that handle, so a symlink in the rootfs can never
//! send a mount outside it.

use super::Ctx;
use crate::config::{json, Mount};
use crate::error::{Context, Result};
use crate::sys;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags, ResolveFlags};
use std::ffi::CString;

const MS_RDONLY: u64 = g::MS_RDONLY as u64;
const MS_BIND: u64 = g::MS_BIND as u64;
const MS_REC: u64 = g::MS_REC as u64;
const MS_REMOUNT: u64 = g::MS_REMOUNT as u64;
const PROPAGATION: u64 = (g::MS_PRIVATE | g::MS_SHARED | g::MS_SLAVE | g::MS_UNBINDABLE) as u64;

/// (option, flags it sets, flags it clears): mount(8)'s filesystem-independent options.
const OPTIONS: &[(&str, u32, u32)] = &[
    ("defaults", 0, 0),
    ("ro", g::MS_RDONLY, 0),
    ("rw", 0, g::MS_RDONLY),
    ("nosuid", g::MS_NOSUID, 0),
    ("suid", 0, g::MS_NOSUID),
    ("nodev", g::MS_NODEV, 0),
    ("dev", 0, g::MS_NODEV),
    ("noexec", g::MS_NOEXEC, 0),
    ("exec", 0, g::MS_NOEXEC),
    ("sync", g::MS_SYNCHRONOUS, 0),
    ("async", 0, g::MS_SYNCHRONOUS),
    ("dirsync", g::MS_DIRSYNC, 0),
    ("mand", g::MS_MANDLOCK, 0),
    ("nomand", 0, g::MS_MANDLOCK),
    ("noatime", g::MS_NOATIME, 0),
    ("atime", 0, g::MS_NOATIME),
    ("nodiratime", g::MS_NODIRATIME, 0),
    ("diratime", 0, g::MS_NODIRATIME),
    ("relatime", g::MS_RELATIME, 0),
    ("norelatime", 0, g::MS_RELATIME),
    ("strictatime", g::MS_STRICTATIME, 0),
    ("nostrictatime", 0, g::MS_STRICTATIME),
    ("lazytime", g::MS_LAZYTIME, 0),
    ("nolazytime", 0, g::MS_LAZYTIME),
    ("silent", g::MS_SILENT, 0),
    ("loud", 0, g::MS_SILENT),
    ("bind", g::MS_BIND, 0),
    ("rbind", g::MS_BIND | g::MS_REC, 0),
];

/// Propagation options and their flags.
const PROPAGATIONS: &[(&str, u32)] = &[
    ("private", g::MS_PRIVATE),
    ("rprivate", g::MS_PRIVATE | g::MS_REC),
    ("shared", g::MS_SHARED),
    ("rshared", g::MS_SHARED | g::MS_REC),
    ("slave", g::MS_SLAVE),
    ("rslave", g::MS_SLAVE | g::MS_REC),
    ("unbindable", g::MS_UNBINDABLE),
    ("runbindable", g::MS_UNBINDABLE | g::MS_REC),
];

/// Flags of a propagation mode name (also for linux.rootfsPropagation).
pub fn propagation_flag(name: &str) -> Option<u64> {
    PROPAGATIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| u64::from(*f))
}

/// A mount's options split into flags, propagation and fs data.
#[derive(Default)]
pub struct Parsed {
    pub flags: u64,
    pub clear: u64,
    pub propagation: u64,
    pub data: String,
    /// tmpcopyup: fill the new tmpfs with what the directory held.
    pub copyup: bool,
}

pub fn parse_options(opts: &[&str]) -> Result<Parsed> {
    let mut p = Parsed::default();
    for &o in opts {
        if let Some((_, set, clr)) = OPTIONS.iter().find(|(n, _, _)| *n == o) {
            p.flags = (p.flags | u64::from(*set)) & !u64::from(*clr);
            p.clear |= u64::from(*clr);
        } else if let Some(f) = propagation_flag(o) {
            p.propagation |= f;
        } else if o == "tmpcopyup" {
            p.copyup = true;
        } else if matches!(
            o,
            "idmap" | "ridmap" | "rro" | "rrw" | "rnosuid" | "rnodev" | "rnoexec"
        ) {
            bail!("not supported yet:", "mount option \"{o}\"");
        } else {
            if !p.data.is_empty() {
                p.data.push(',');
            }
            p.data.push_str(&json::string(o, "mounts[].options")?);
        }
    }
    Ok(p)
}

/// Mount every entry of `mounts` under the root, in order.
pub fn mount_all(ctx: &mut Ctx<'_>) -> Result<()> {
    let root = open_root(ctx.rootfs)?;
    let label = super::lsm::mount_context(ctx.spec);
    for m in ctx.spec.mounts.iter() {
        mount_one(root.as_fd(), m, label.as_deref())?;
    }
    Ok(())
}

pub fn open_root(rootfs: &str) -> Result<OwnedFd> {
    fs::open(
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open rootfs", format_args!("{rootfs}"))
}

/// `/proc/self/fd/N` of a handle, to mount on exactly that inode.
pub fn fd_path(fd: BorrowedFd<'_>) -> CString {
    CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default()
}

fn is_bind(m: &Mount<'_>) -> bool {
    m.typ == Some("bind") || m.options.iter().any(|o| *o == "bind" || *o == "rbind")
}

/// `label`: linux.mountLabel as a `context=` option, for filesystems that take one.
fn mount_one(root: BorrowedFd<'_>, m: &Mount<'_>, label: Option<&str>) -> Result<()> {
    let dest = json::string(m.destination, "mounts[].destination")?;
    let mut p = parse_options(&m.options)?;
    if let Some(l) = label
        .filter(|_| !is_bind(m) && !matches!(m.typ, Some("proc" | "sysfs" | "cgroup" | "cgroup2")))
    {
        p.data = if p.data.is_empty() {
            l.to_string()
        } else {
            format!("{},{l}", p.data)
        };
    }
    let typ = m
        .typ
        .map(|t| json::string(t, "mounts[].type"))
        .transpose()?;
    let src = m
        .source
        .map(|s| json::cstring(s, "mounts[].source"))
        .transpose()?;
    if typ.as_deref() == Some("cgroup") {
        return super::rootfs::mount_cgroup(root, &dest, p.flags);
    }
    if is_bind(m) {
        let src = src.ok_or_else(|| err!("mount", "{dest}: a bind mount needs a source"))?;
        let st = fs::stat(src.as_c_str())
            .ctx("bind mount source", format_args!("{src:?} for {dest}"))?;
        let is_dir = fs::FileType::from_raw_mode(st.st_mode) == fs::FileType::Directory;
        let target = ensure_in_root(root, &dest, is_dir)?;
        let tp = fd_path(target.as_fd());
        let flags = MS_BIND | (p.flags & MS_REC);
        sys::mount(Some(&src), &tp, None, flags, None)
            .ctx("bind mount", format_args!("{src:?} on {dest}"))?;
        // The old handle still names the covered inode: reopen the new mount.
        let target = ensure_in_root(root, &dest, is_dir)?;
        let tp = fd_path(target.as_fd());
        let extra = p.flags & !(MS_BIND | MS_REC);
        if extra != 0 {
            remount_bind(&tp, extra, &dest)?;
        }
        propagate(&tp, p.propagation, &dest)
    } else {
        let target = ensure_in_root(root, &dest, true)?;
        let tp = fd_path(target.as_fd());
        let fstype = typ.as_deref().unwrap_or("none");
        if p.copyup && fstype != "tmpfs" {
            bail!(
                "invalid config.json:",
                "mount option tmpcopyup on {dest} needs type tmpfs, not {fstype}"
            );
        }
        // tmpcopyup: hold the covered directory, mount writable, copy, then
        // apply read-only.
        let covered = if p.copyup {
            Some(super::copyup::open_dir(target.as_fd(), &dest)?)
        } else {
            None
        };
        let flags = if p.copyup {
            p.flags & !MS_RDONLY
        } else {
            p.flags
        };
        let src = src.unwrap_or_else(|| CString::new(fstype).unwrap_or_default());
        let ft = CString::new(fstype).map_err(|_| err!("mount", "{dest}: bad type"))?;
        let data =
            CString::new(p.data.as_str()).map_err(|_| err!("mount", "{dest}: bad options"))?;
        let data = (!p.data.is_empty()).then_some(data.as_c_str());
        match sys::mount(Some(&src), &tp, Some(&ft), flags, data) {
            Ok(()) => {}
            // Without its own net namespace a container may not mount sysfs
            // (EPERM in a user namespace); runc binds the host's /sys then.
            Err(rustix::io::Errno::PERM) if fstype == "sysfs" => {
                sys::mount(Some(c"/sys"), &tp, None, MS_BIND | MS_REC, None)
                    .ctx("bind mount", format_args!("/sys on {dest}"))?;
                let target = ensure_in_root(root, &dest, true)?;
                remount_bind(&fd_path(target.as_fd()), p.flags | MS_RDONLY, &dest)?;
            }
            Err(e) => {
                return Err(e).ctx("mount", format_args!("{fstype} on {dest} ({:?})", p.data))
            }
        }
        if let Some(old) = covered {
            let new = super::copyup::open_dir(ensure_in_root(root, &dest, true)?.as_fd(), &dest)?;
            super::copyup::copy(&old, &new, &dest)?;
            if p.flags & MS_RDONLY != 0 {
                remount_bind(&fd_path(new.as_fd()), p.flags, &dest)?;
            }
        }
        if p.propagation != 0 {
            let target = ensure_in_root(root, &dest, true)?;
            propagate(&fd_path(target.as_fd()), p.propagation, &dest)?;
        }
        Ok(())
    }
}

/// Change per-mount flags of a bind mount. A user namespace may not clear
/// flags the source was locked with, so on EPERM keep those and retry.
pub fn remount_bind(target: &CString, flags: u64, what: &str) -> Result<()> {
    let f = MS_BIND | MS_REMOUNT | (flags & !(MS_BIND | MS_REC | PROPAGATION));
    match sys::mount(None, target, None, f, None) {
        Err(rustix::io::Errno::PERM) => {
            let locked = fs::statvfs(target.as_c_str())
                .map(|s| locked_flags(s.f_flag.bits()))
                .unwrap_or(0);
            sys::mount(None, target, None, f | locked, None)
                .ctx("remount", format_args!("{what} with its options"))
        }
        r => r.ctx("remount", format_args!("{what} with its options")),
    }
}

/// statvfs ST_* bits that are MS_* flags of the same meaning.
fn locked_flags(st: u64) -> u64 {
    [
        (1, MS_RDONLY),
        (2, g::MS_NOSUID as u64),
        (4, g::MS_NODEV as u64),
        (8, g::MS_NOEXEC as u64),
        (1024, g::MS_NOATIME as u64),
        (2048, g::MS_NODIRATIME as u64),
        (4096, g::MS_RELATIME as u64),
    ]
    .iter()
    .filter(|(s, _)| st & s != 0)
    .fold(0, |a, (_, m)| a | m)
}

fn propagate(target: &CString, prop: u64, what: &str) -> Result<()> {
    if prop == 0 {
        return Ok(());
    }
    sys::mount(None, target, None, prop, None).ctx("set propagation", format_args!("of {what}"))
}

fn in_root(
    root: BorrowedFd<'_>,
    path: &str,
    flags: OFlags,
    mode: u32,
) -> rustix::io::Result<OwnedFd> {
    fs::openat2(
        root,
        path,
        flags | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
}

/// Open `path` (container-absolute) inside the root as an O_PATH handle,
/// creating missing directories (and the last component as a file when
/// `!dir`) inside the root.
pub fn ensure_in_root(root: BorrowedFd<'_>, path: &str, dir: bool) -> Result<OwnedFd> {
    ensure_depth(root, path, dir, 0)
}

/// Symlinks followed while creating one target, at most (as the kernel's ELOOP).
const MAX_LINKS: u32 = 40;

fn ensure_depth(root: BorrowedFd<'_>, path: &str, dir: bool, links: u32) -> Result<OwnedFd> {
    if links > MAX_LINKS {
        bail!("mount target", "{path}: too many levels of symbolic links");
    }
    let rel = path.trim_start_matches('/');
    if rel.is_empty() {
        return in_root(root, ".", OFlags::PATH | OFlags::DIRECTORY, 0)
            .ctx("open", format_args!("/ in the rootfs"));
    }
    match in_root(root, rel, OFlags::PATH, 0) {
        Ok(fd) => return Ok(fd),
        Err(rustix::io::Errno::NOENT) => {}
        Err(e) => return Err(e).ctx("open mount target", format_args!("{path} in the rootfs")),
    }
    let (parent, name) = match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    };
    let pfd = ensure_depth(root, &format!("/{parent}"), true, links)?;
    // A dangling symlink: create what it points to, inside the root (the
    // target is read as a path in the container, never on the host).
    if let Ok(target) = fs::readlinkat(&pfd, name, Vec::new()) {
        let t = target.to_string_lossy();
        let next = if t.starts_with('/') {
            t.into_owned()
        } else {
            format!("/{parent}/{t}")
        };
        return ensure_depth(root, &next, dir, links + 1);
    }
    if dir {
        match fs::mkdirat(&pfd, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e).ctx("mkdir", format_args!("{path} in the rootfs")),
        }
    } else {
        let f = fs::openat(
            &pfd,
            name,
            OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::from_raw_mode(0o644),
        );
        match f {
            Ok(_) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e).ctx("create", format_args!("{path} in the rootfs")),
        }
    }
    in_root(root, rel, OFlags::PATH, 0)
        .ctx("open mount target", format_args!("{path} in the rootfs"))
}
