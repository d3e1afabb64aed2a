//! The default /dev of config-linux.md#default-devices: null, zero, full,
//! random, urandom, tty, plus the /dev/fd, stdin/out/err and ptmx symlinks.
//! Nodes are made with mknod, or bind-mounted from the host where mknod is
//! not allowed (in a user namespace).

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
    let host_dev = ctx
        .spec
        .mounts
        .iter()
        .any(|m| m.destination.trim_end_matches('/') == "/dev" && m.options.iter().any(|o| *o == "bind" || *o == "rbind"));
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
    .or_else(|_| fs::openat(&dev, ".", OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()))
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
        match fs::mknodat(dev, *name, fs::FileType::CharacterDevice, Mode::from_raw_mode(0o666), devno) {
            Ok(()) => {}
            Err(rustix::io::Errno::PERM) => {
                // In a user namespace: bind the host's node over an empty file.
                let target = ensure_in_root(root, &format!("/dev/{name}"), false)?;
                let src = std::ffi::CString::new(format!("/dev/{name}")).unwrap_or_default();
                sys::mount(Some(&src), &fd_path(target.as_fd()), None, linux_raw_sys::general::MS_BIND as u64, None)
                    .ctx("bind mount", format_args!("/dev/{name} from the host"))?;
            }
            Err(e) => return Err(e).ctx("mknod", format_args!("/dev/{name}")),
        }
    }
    Ok(())
}
