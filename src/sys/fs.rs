//! Whole-file reads and writes, and printing, on rustix alone.
//!
//! Why not std: std::fs and std::io (File, OpenOptions, read_to_end, the
//! locked and line-buffered Stdout behind `println!`) are several KB of a
//! static binary for what husk does with them: read a small file whole,
//! write one, print a line. These do it with open/read/write and report
//! the errno, which `Context::ctx` turns into husk's error.

use core::fmt;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::path::Arg;
use std::path::Path;

/// Everything `fd` has left to read.
pub fn read_fd(fd: impl AsFd) -> Result<Vec<u8>, Errno> {
    read_fd_max(fd, usize::MAX)
}

/// What `fd` has left to read, stopping once more than `max` bytes came.
pub fn read_fd_max(fd: impl AsFd, max: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(&fd, &mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(_) if buf.len() > max => return Ok(buf),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

fn open(path: impl Arg, flags: OFlags, mode: Mode) -> Result<OwnedFd, Errno> {
    rustix::fs::open(path, flags | OFlags::CLOEXEC, mode)
}

/// The whole file at `path`.
pub fn read(path: impl Arg) -> Result<Vec<u8>, Errno> {
    read_max(path, usize::MAX)
}

/// The file at `path`, or its first `max` bytes and more when it is longer.
pub fn read_max(path: impl Arg, max: usize) -> Result<Vec<u8>, Errno> {
    read_fd_max(open(path, OFlags::RDONLY, Mode::empty())?, max)
}

/// The whole file at `path` as text (EILSEQ when it is not UTF-8).
pub fn read_to_string(path: impl Arg) -> Result<String, Errno> {
    String::from_utf8(read(path)?).map_err(|_| Errno::ILSEQ)
}

/// All of `data` to `fd` (retrying short writes).
pub fn write_fd(fd: impl AsFd, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match rustix::io::write(&fd, data) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => data = data.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Create or truncate `path` (mode 0666 less the umask) and write `data`.
pub fn write(path: impl Arg, data: impl AsRef<[u8]>) -> Result<(), Errno> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC;
    write_fd(
        open(path, flags, Mode::from_bits_truncate(0o666))?,
        data.as_ref(),
    )
}

/// Append `data` to `path`, creating it (logs).
pub fn append(path: impl Arg, data: &[u8]) -> Result<(), Errno> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND;
    write_fd(open(path, flags, Mode::from_bits_truncate(0o666))?, data)
}

/// Does `path` exist (stat(2) succeeds, following symlinks)?
pub fn exists(path: impl Arg) -> bool {
    rustix::fs::stat(path).is_ok()
}

/// `mkdir -p path` (mode 0777 less the umask).
pub fn create_dir_all(path: &Path) -> Result<(), Errno> {
    match rustix::fs::mkdir(path, Mode::from_bits_truncate(0o777)) {
        Ok(()) => return Ok(()),
        Err(Errno::EXIST) if is_dir(path) => return Ok(()),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(e),
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => create_dir_all(p)?,
        _ => return Err(Errno::NOENT),
    }
    match rustix::fs::mkdir(path, Mode::from_bits_truncate(0o777)) {
        Err(Errno::EXIST) if is_dir(path) => Ok(()),
        r => r,
    }
}

fn is_dir(path: &Path) -> bool {
    rustix::fs::stat(path).is_ok_and(|s| {
        rustix::fs::FileType::from_raw_mode(s.st_mode) == rustix::fs::FileType::Directory
    })
}

/// The entries of directory `path` (name, is a directory), without "." and "..".
pub fn dir_entries(path: impl Arg) -> Result<Vec<(String, bool)>, Errno> {
    let fd = open(path, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())?;
    let mut dir = rustix::fs::Dir::read_from(&fd)?;
    let mut names = Vec::new();
    while let Some(e) = dir.read() {
        let e = e?;
        let n = e.file_name().to_bytes();
        if n != b"." && n != b".." {
            let is_dir = e.file_type() == rustix::fs::FileType::Directory;
            names.push((String::from_utf8_lossy(n).into_owned(), is_dir));
        }
    }
    Ok(names)
}

/// Print to stdout (`println!` without std's stdio); errors are ignored,
/// as a closed stdout must not turn into a failure of the command.
pub fn print(args: fmt::Arguments<'_>) {
    let _ = write_fd(rustix::stdio::stdout(), std::fmt::format(args).as_bytes());
}

/// Print to stderr, errors ignored.
pub fn eprint(args: fmt::Arguments<'_>) {
    let _ = write_fd(rustix::stdio::stderr(), std::fmt::format(args).as_bytes());
}

/// `println!` for husk: one write(2) of the formatted line to stdout.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::sys::fs::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
