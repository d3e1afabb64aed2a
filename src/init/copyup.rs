//! The `tmpcopyup` mount option (runc's extension, listed in its features):
//! a tmpfs mounted over a directory of the image starts with a copy of what
//! that directory held, owners, modes and links included.

use crate::error::{Context, Result};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, FileType, Mode, OFlags};

/// Directory levels followed at most.
const MAX_DEPTH: u32 = 64;

/// A readable handle on a directory (from an O_PATH one).
pub fn open_dir(at: BorrowedFd<'_>, what: &str) -> Result<OwnedFd> {
    fs::openat(
        at,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open", format_args!("{what} for tmpcopyup"))
}

/// Copy the tree under `from` (the covered directory) into `to` (the new
/// tmpfs), and give `to` the owner and mode of `from`.
pub fn copy(from: &OwnedFd, to: &OwnedFd, what: &str) -> Result<()> {
    let st = fs::fstat(from).ctx("stat", format_args!("{what} for tmpcopyup"))?;
    copy_meta(to.as_fd(), None, &st, what)?;
    copy_dir(from, to, what, 0)
}

fn copy_meta(
    dir: BorrowedFd<'_>,
    name: Option<&std::ffi::CStr>,
    st: &fs::Stat,
    what: &str,
) -> Result<()> {
    let uid = Some(rustix::process::Uid::from_raw(st.st_uid));
    let gid = Some(rustix::process::Gid::from_raw(st.st_gid));
    let mode = Mode::from_raw_mode(st.st_mode & 0o7777);
    match name {
        None => {
            fs::fchown(dir, uid, gid).ctx("chown", format_args!("{what}"))?;
            fs::fchmod(dir, mode).ctx("chmod", format_args!("{what}"))
        }
        Some(n) => {
            fs::chownat(dir, n, uid, gid, AtFlags::SYMLINK_NOFOLLOW)
                .ctx("chown", format_args!("{what}/{n:?}"))?;
            if FileType::from_raw_mode(st.st_mode) != FileType::Symlink {
                fs::chmodat(dir, n, mode, AtFlags::empty())
                    .ctx("chmod", format_args!("{what}/{n:?}"))?;
            }
            Ok(())
        }
    }
}

fn copy_dir(from: &OwnedFd, to: &OwnedFd, what: &str, depth: u32) -> Result<()> {
    if depth > MAX_DEPTH {
        crate::bail!("tmpcopyup:", "{what} is nested too deep");
    }
    let mut dir = fs::Dir::read_from(from).ctx("read directory", format_args!("{what}"))?;
    while let Some(entry) = dir.read() {
        let entry = entry.ctx("read directory", format_args!("{what}"))?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let st = fs::statat(from, name, AtFlags::SYMLINK_NOFOLLOW)
            .ctx("stat", format_args!("{what}/{name:?}"))?;
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                fs::mkdirat(to, name, Mode::from_raw_mode(0o700))
                    .ctx("mkdir", format_args!("{what}/{name:?}"))?;
                let sub_from = fs::openat(
                    from,
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .ctx("open", format_args!("{what}/{name:?}"))?;
                let sub_to = fs::openat(
                    to,
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .ctx("open", format_args!("{what}/{name:?}"))?;
                copy_dir(&sub_from, &sub_to, what, depth + 1)?;
            }
            FileType::RegularFile => {
                let src = fs::openat(
                    from,
                    name,
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .ctx("open", format_args!("{what}/{name:?}"))?;
                let dst = fs::openat(
                    to,
                    name,
                    OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .ctx("create", format_args!("{what}/{name:?}"))?;
                let mut left = st.st_size as usize;
                while left > 0 {
                    match fs::sendfile(&dst, &src, None, left)
                        .ctx("copy", format_args!("{what}/{name:?}"))?
                    {
                        0 => break,
                        n => left -= n,
                    }
                }
            }
            FileType::Symlink => {
                let target = fs::readlinkat(from, name, Vec::new())
                    .ctx("readlink", format_args!("{what}/{name:?}"))?;
                fs::symlinkat(target.as_c_str(), to, name)
                    .ctx("symlink", format_args!("{what}/{name:?}"))?;
            }
            t => {
                let kind = match t {
                    FileType::Fifo
                    | FileType::Socket
                    | FileType::CharacterDevice
                    | FileType::BlockDevice => t,
                    _ => continue,
                };
                fs::mknodat(to, name, kind, Mode::from_raw_mode(0o600), st.st_rdev)
                    .ctx("mknod", format_args!("{what}/{name:?}"))?;
            }
        }
        copy_meta(to.as_fd(), Some(name), &st, what)?;
    }
    Ok(())
}
