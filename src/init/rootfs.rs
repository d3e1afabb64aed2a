//! The root filesystem: make it a private mount point, switch into it with
//! pivot_root (or MS_MOVE + chroot with --no-pivot, and by itself when / is
//! the initramfs, where pivot_root fails with EINVAL), then the read-only and
//! masked paths of config-linux.md.

use super::mounts::{ensure_in_root, fd_path, propagation_flag, remount_bind};
use super::Ctx;
use crate::config::json;
use crate::controller::INIT_NO_PIVOT;
use crate::error::{Context, Result};
use crate::sys;
use linux_raw_sys::general as g;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, Mode, OFlags};

const MS_BIND: u64 = g::MS_BIND as u64;
const MS_REC: u64 = g::MS_REC as u64;
const MS_RDONLY: u64 = g::MS_RDONLY as u64;

/// Keep mount events from reaching the host, then make the rootfs a mount point.
pub fn prepare(ctx: &mut Ctx<'_>) -> Result<()> {
    // runc's default: rslave unless the config asks otherwise.
    let prop = ctx
        .spec
        .linux
        .as_ref()
        .and_then(|l| l.rootfs_propagation)
        .and_then(propagation_flag)
        .unwrap_or((g::MS_SLAVE | g::MS_REC) as u64);
    sys::mount(None, c"/", None, prop | MS_REC, None).ctx(
        "set propagation",
        format_args!("of / to the rootfsPropagation"),
    )?;
    let r = json::cstring(ctx.rootfs, "rootfs")?;
    sys::mount(Some(&r), &r, None, MS_BIND | MS_REC, None).ctx(
        "bind mount",
        format_args!("rootfs {} on itself", ctx.rootfs),
    )
}

/// Switch the process's root to the rootfs.
pub fn enter(ctx: &mut Ctx<'_>) -> Result<()> {
    let r = json::cstring(ctx.rootfs, "rootfs")?;
    rustix::process::chdir(r.as_c_str()).ctx("chdir", format_args!("{}", ctx.rootfs))?;
    if ctx.flags & INIT_NO_PIVOT == 0 {
        match pivot() {
            Ok(()) => return finish(ctx),
            // The initramfs (rootfs) cannot be pivoted away from.
            Err(e) if e.errno() == Some(rustix::io::Errno::INVAL) && on_initramfs() => {}
            Err(e) => return Err(e),
        }
    }
    sys::mount(Some(c"."), c"/", None, g::MS_MOVE as u64, None)
        .ctx("move mount", format_args!("rootfs to /"))?;
    rustix::process::chroot(".").ctx("chroot", format_args!("rootfs"))?;
    rustix::process::chdir("/").ctx("chdir", format_args!("/"))?;
    finish(ctx)
}

/// pivot_root(".", "."), then detach the old root stacked under the new one.
fn pivot() -> Result<()> {
    let old = fs::open(
        "/",
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open", format_args!("/"))?;
    let new = fs::open(
        ".",
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open", format_args!("rootfs"))?;
    rustix::process::pivot_root(".", ".").ctx("pivot_root", format_args!("into the rootfs"))?;
    rustix::process::fchdir(&old).ctx("fchdir", format_args!("old root"))?;
    sys::mount(None, c".", None, (g::MS_SLAVE | g::MS_REC) as u64, None)
        .ctx("set propagation", format_args!("of the old root"))?;
    rustix::mount::unmount(".", rustix::mount::UnmountFlags::DETACH)
        .ctx("unmount", format_args!("the old root"))?;
    rustix::process::fchdir(&new).ctx("fchdir", format_args!("new root"))?;
    rustix::process::chdir("/").ctx("chdir", format_args!("/"))
}

/// Is `/` the initramfs? rootfs is ramfs or tmpfs and is the root of the mount tree.
fn on_initramfs() -> bool {
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    // f_type is i32 on 32-bit arches, i64 on 64-bit ones.
    #[allow(clippy::unnecessary_cast)]
    let magic = |s: &fs::StatFs| s.f_type as i64;
    matches!(fs::statfs("/"), Ok(s) if magic(&s) == RAMFS_MAGIC || magic(&s) == TMPFS_MAGIC)
}

/// After the switch: the configured rootfs propagation applies to the new /.
fn finish(ctx: &mut Ctx<'_>) -> Result<()> {
    if let Some(p) = ctx
        .spec
        .linux
        .as_ref()
        .and_then(|l| l.rootfs_propagation)
        .and_then(propagation_flag)
    {
        sys::mount(None, c"/", None, p, None)
            .ctx("set propagation", format_args!("of / to rootfsPropagation"))?;
    }
    Ok(())
}

/// root.readonly: remount / read-only.
pub fn readonly_root(ctx: &mut Ctx<'_>) -> Result<()> {
    if ctx.spec.root.as_ref().is_some_and(|r| r.readonly) {
        remount_bind(&c"/".into(), MS_RDONLY, "/ read-only")?;
    }
    Ok(())
}

/// linux.maskedPaths: files hidden under /dev/null, directories under an
/// empty read-only tmpfs; paths that do not exist are skipped.
pub fn masked_paths(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(l) = &ctx.spec.linux else {
        return Ok(());
    };
    for raw in l.masked_paths.iter() {
        let p = json::cstring(raw, "linux.maskedPaths")?;
        match fs::stat(p.as_c_str()) {
            Err(rustix::io::Errno::NOENT) => continue,
            Err(e) => return Err(e).ctx("stat masked path", format_args!("{p:?}")),
            Ok(st) if fs::FileType::from_raw_mode(st.st_mode) == fs::FileType::Directory => {
                sys::mount(Some(c"tmpfs"), &p, Some(c"tmpfs"), MS_RDONLY, None)
                    .ctx("mask", format_args!("{p:?} with a read-only tmpfs"))?
            }
            Ok(_) => sys::mount(Some(c"/dev/null"), &p, None, MS_BIND, None)
                .ctx("mask", format_args!("{p:?} with /dev/null"))?,
        }
    }
    Ok(())
}

/// linux.readonlyPaths: bind each on itself, then remount read-only.
pub fn readonly_paths(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(l) = &ctx.spec.linux else {
        return Ok(());
    };
    for raw in l.readonly_paths.iter() {
        let p = json::cstring(raw, "linux.readonlyPaths")?;
        match sys::mount(Some(&p), &p, None, MS_BIND | MS_REC, None) {
            Err(rustix::io::Errno::NOENT) => continue,
            r => r.ctx("bind", format_args!("read-only path {p:?}"))?,
        }
        remount_bind(&p, MS_RDONLY | MS_REC, raw)?;
    }
    Ok(())
}

/// A mount of type "cgroup": cgroup2 where the host is pure v2, otherwise a
/// tmpfs with one mount per v1 hierarchy (and the hybrid's unified one).
/// In its own cgroup namespace the container gets fresh cgroup mounts rooted
/// at its cgroup; without one, binds of the cgroups it is in.
pub fn mount_cgroup(root: BorrowedFd<'_>, dest: &str, flags: u64) -> Result<()> {
    let target = ensure_in_root(root, dest, true)?;
    let tp = fd_path(target.as_fd());
    let info = crate::sys::fs::read_to_string("/proc/self/mountinfo")
        .ctx("read", format_args!("/proc/self/mountinfo"))?;
    let own_ns = own_cgroup_ns();
    let mut hierarchies = Vec::new();
    for line in info.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        let pre: Vec<&str> = pre.split(' ').collect();
        let post: Vec<&str> = post.split(' ').collect();
        let (Some(mnt), Some(fstype), Some(opts)) = (pre.get(4), post.first(), post.get(2)) else {
            continue;
        };
        if *fstype == "cgroup2" && *mnt == "/sys/fs/cgroup" {
            // Pure v2 host.
            return mount_fs(&tp, "cgroup2", flags, "", dest, own_ns, mnt);
        }
        if (*fstype == "cgroup" || *fstype == "cgroup2") && mnt.starts_with("/sys/fs/cgroup/") {
            let super_opts: String = opts
                .split(',')
                .filter(|o| !matches!(*o, "rw" | "ro") && !o.starts_with("release_agent"))
                .collect::<Vec<_>>()
                .join(",");
            hierarchies.push((mnt.to_string(), fstype.to_string(), super_opts));
        }
    }
    sys::mount(
        Some(c"tmpfs"),
        &tp,
        Some(c"tmpfs"),
        flags & !MS_RDONLY,
        Some(c"mode=755"),
    )
    .ctx("mount", format_args!("tmpfs on {dest}"))?;
    for (mnt, fstype, opts) in &hierarchies {
        let name = mnt.trim_start_matches("/sys/fs/cgroup/");
        let sub = ensure_in_root(root, &format!("{dest}/{name}"), true)?;
        mount_fs(
            &fd_path(sub.as_fd()),
            fstype,
            flags,
            opts,
            dest,
            own_ns,
            mnt,
        )?;
        let propagation = (g::MS_PRIVATE | g::MS_SHARED | g::MS_SLAVE | g::MS_UNBINDABLE) as u64;
        if !own_ns && flags & !(MS_BIND | MS_REC | propagation) != 0 {
            // A bind takes none of the mount's flags and a remount of the
            // tmpfs above does not reach it: without this the container could
            // write its own limits (e.g. containerd's "ro" cgroup mount and
            // memory.limit_in_bytes). Reopen: the old handle names the covered dir.
            let sub = ensure_in_root(root, &format!("{dest}/{name}"), true)?;
            remount_bind(&fd_path(sub.as_fd()), flags, dest)?;
        }
    }
    if flags & MS_RDONLY != 0 {
        let target = ensure_in_root(root, dest, true)?;
        remount_bind(&fd_path(target.as_fd()), flags, dest)?;
    }
    Ok(())
}

fn mount_fs(
    tp: &std::ffi::CStr,
    fstype: &str,
    flags: u64,
    opts: &str,
    dest: &str,
    own_ns: bool,
    host: &str,
) -> Result<()> {
    if own_ns {
        let ft = std::ffi::CString::new(fstype).unwrap_or_default();
        let data = std::ffi::CString::new(opts).unwrap_or_default();
        sys::mount(
            Some(&ft),
            tp,
            Some(&ft),
            flags,
            (!opts.is_empty()).then_some(data.as_c_str()),
        )
        .ctx("mount", format_args!("{fstype} ({opts}) under {dest}"))
    } else {
        // The container's own cgroup in that hierarchy (runc binds the same),
        // never the host's whole tree.
        let own = crate::cgroup::own_dir(host).unwrap_or_else(|| host.to_string());
        let src = std::ffi::CString::new(own.as_str()).unwrap_or_default();
        sys::mount(Some(&src), tp, None, MS_BIND | MS_REC, None)
            .ctx("bind mount", format_args!("{own} under {dest}"))?;
        // The mount's flags (read-only) are applied by the caller, per bind.
        let _ = flags;
        Ok(())
    }
}

fn own_cgroup_ns() -> bool {
    let a = fs::stat("/proc/self/ns/cgroup");
    let b = fs::stat("/proc/1/ns/cgroup");
    match (a, b) {
        (Ok(a), Ok(b)) => a.st_ino != b.st_ino,
        // /proc/1 is often not readable here (EACCES: ptrace access to the
        // host's init). In a cgroup namespace rooted at the container's own
        // cgroup, the host's cgroup mounts show roots above it ("/..").
        _ => crate::sys::fs::read_to_string("/proc/self/mountinfo").is_ok_and(|info| {
            info.lines().any(|l| {
                l.split_once(" - ").is_some_and(|(pre, post)| {
                    post.starts_with("cgroup")
                        && pre
                            .split(' ')
                            .nth(3)
                            .is_some_and(|root| root.starts_with("/.."))
                })
            })
        }),
    }
}
