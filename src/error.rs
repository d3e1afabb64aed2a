//! One error type for all of husk: an errno (when a syscall failed), what was
//! being done, and one bounded detail (a path, an id, a field name).
//!
//! Errors are values: they travel up with `?` to `main`, which prints them once
//! (stderr, and the `--log` file). Nothing below `main` prints an error.

use core::fmt::{self, Write};
use heapless::String;

/// Bytes kept for the detail; a longer detail is cut with "…".
pub const DETAIL_LEN: usize = 200;

/// Small (40 bytes) so that every `Result` stays cheap to return: the
/// bounded detail is built in a fixed buffer, then kept on the heap (errors
/// are rare; the success path never allocates for them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// errno of the failed syscall, 0 when the error is not a syscall's.
    pub errno: i32,
    /// What was being done, e.g. "mount", "open config.json".
    pub what: &'static str,
    /// One bounded detail (at most DETAIL_LEN bytes): the path, id or field concerned.
    pub detail: Box<str>,
}

pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// An error that is not a syscall's: `what` and a detail.
    pub fn msg(what: &'static str, detail: fmt::Arguments<'_>) -> Self {
        Self::with_errno(0, what, detail)
    }

    pub fn with_errno(errno: i32, what: &'static str, detail: fmt::Arguments<'_>) -> Self {
        let mut d = Bounded(String::new());
        let _ = d.write_fmt(detail);
        Error {
            errno,
            what,
            detail: d.0.as_str().into(),
        }
    }

    /// An error with only a fixed text.
    pub fn plain(what: &'static str) -> Self {
        Error {
            errno: 0,
            what,
            detail: Box::default(),
        }
    }

    pub fn errno(&self) -> Option<rustix::io::Errno> {
        (self.errno != 0).then(|| rustix::io::Errno::from_raw_os_error(self.errno))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)?;
        if !self.detail.is_empty() {
            write!(f, " {}", self.detail)?;
        }
        if self.errno != 0 {
            write!(f, ": {}", strerror(self.errno))?;
        }
        Ok(())
    }
}

/// A writer that keeps what fits and marks the cut with "…".
struct Bounded(String<DETAIL_LEN>);

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.len() + c.len_utf8() > DETAIL_LEN - 3 {
                if !self.0.ends_with('…') {
                    let _ = self.0.push('…');
                }
                return Ok(());
            }
            let _ = self.0.push(c);
        }
        Ok(())
    }
}

/// Short text for an errno, as strerror(3) gives it plus the symbolic name.
pub fn strerror(errno: i32) -> &'static str {
    use rustix::io::Errno as E;
    let e = E::from_raw_os_error(errno);
    match e {
        E::PERM => "EPERM (operation not permitted)",
        E::NOENT => "ENOENT (no such file or directory)",
        E::SRCH => "ESRCH (no such process)",
        E::INTR => "EINTR (interrupted system call)",
        E::IO => "EIO (input/output error)",
        E::NOEXEC => "ENOEXEC (exec format error)",
        E::BADF => "EBADF (bad file descriptor)",
        E::CHILD => "ECHILD (no child processes)",
        E::AGAIN => "EAGAIN (resource temporarily unavailable)",
        E::NOMEM => "ENOMEM (out of memory)",
        E::ACCESS => "EACCES (permission denied)",
        E::FAULT => "EFAULT (bad address)",
        E::BUSY => "EBUSY (device or resource busy)",
        E::EXIST => "EEXIST (file exists)",
        E::XDEV => "EXDEV (cross-device link)",
        E::NODEV => "ENODEV (no such device)",
        E::NOTDIR => "ENOTDIR (not a directory)",
        E::ISDIR => "EISDIR (is a directory)",
        E::INVAL => "EINVAL (invalid argument)",
        E::MFILE => "EMFILE (too many open files)",
        E::NOTTY => "ENOTTY (not a terminal)",
        E::TXTBSY => "ETXTBSY (text file busy)",
        E::NOSPC => "ENOSPC (no space left on device)",
        E::ROFS => "EROFS (read-only file system)",
        E::PIPE => "EPIPE (broken pipe)",
        E::RANGE => "ERANGE (result out of range)",
        E::NAMETOOLONG => "ENAMETOOLONG (file name too long)",
        E::NOSYS => "ENOSYS (function not implemented)",
        E::NOTEMPTY => "ENOTEMPTY (directory not empty)",
        E::LOOP => "ELOOP (too many levels of symbolic links)",
        E::OPNOTSUPP => "EOPNOTSUPP (operation not supported)",
        E::CONNREFUSED => "ECONNREFUSED (connection refused)",
        E::TIMEDOUT => "ETIMEDOUT (timed out)",
        E::USERS => "EUSERS (too many users)",
        _ => "system error",
    }
}

/// Turn a rustix result into ours, naming what was done and on what.
pub trait Context<T> {
    fn ctx(self, what: &'static str, detail: fmt::Arguments<'_>) -> Result<T>;
}

impl<T> Context<T> for core::result::Result<T, rustix::io::Errno> {
    fn ctx(self, what: &'static str, detail: fmt::Arguments<'_>) -> Result<T> {
        self.map_err(|e| Error::with_errno(e.raw_os_error(), what, detail))
    }
}

impl<T> Context<T> for core::result::Result<T, std::io::Error> {
    fn ctx(self, what: &'static str, detail: fmt::Arguments<'_>) -> Result<T> {
        self.map_err(|e| Error::with_errno(e.raw_os_error().unwrap_or(0), what, detail))
    }
}

/// `err!("what", "detail {}", x)`: an `Error` without errno.
#[macro_export]
macro_rules! err {
    ($what:expr) => { $crate::error::Error::plain($what) };
    ($what:expr, $($arg:tt)+) => { $crate::error::Error::msg($what, format_args!($($arg)+)) };
}

/// `bail!(...)`: return `Err(err!(...))`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)+) => { return Err($crate::err!($($arg)+)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_parts() {
        let e = Error::with_errno(2, "open", format_args!("{}", "/x/config.json"));
        assert_eq!(
            e.to_string(),
            "open /x/config.json: ENOENT (no such file or directory)"
        );
        assert_eq!(
            err!("container not running").to_string(),
            "container not running"
        );
    }

    #[test]
    fn detail_is_bounded() {
        let long = "a".repeat(1000);
        let e = err!("x", "{long}");
        assert!(e.detail.len() <= DETAIL_LEN);
        assert!(e.detail.ends_with('…'));
    }
}
