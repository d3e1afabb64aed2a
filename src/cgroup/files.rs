//! Reading and writing cgroupfs files, with errors that name the controller
//! and the file (a resource the host cannot apply is an error, never a
//! silent success).

use crate::error::{Error, Result};
use rustix::fs::{self, Mode, OFlags};
use rustix::io::Errno;

/// Write `val` to `dir/file` in one write(2), as cgroupfs wants it.
pub fn write(dir: &str, file: &str, val: &str, ctrl: &str) -> Result<()> {
    let path = format!("{dir}/{file}");
    let r = fs::open(
        path.as_str(),
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| loop {
        match rustix::io::write(&fd, val.as_bytes()) {
            Err(Errno::INTR) => continue,
            r => break r,
        }
    });
    match r {
        Ok(_) => Ok(()),
        Err(Errno::NOENT) => Err(err!(
            "cgroup resource not available on this host:",
            "{ctrl}: {path} does not exist"
        )),
        Err(e) => Err(Error::with_errno(
            e.raw_os_error(),
            "cgroup write",
            format_args!("{ctrl}: \"{}\" to {path}", val.trim_end()),
        )),
    }
}

/// Write when `v` is set.
pub fn write_opt<T: core::fmt::Display>(
    dir: &str,
    file: &str,
    v: Option<T>,
    ctrl: &str,
) -> Result<()> {
    match v {
        Some(v) => write(dir, file, &v.to_string(), ctrl),
        None => Ok(()),
    }
}

/// The text of `dir/file`, or None when it cannot be read.
pub fn read(dir: &str, file: &str) -> Option<String> {
    crate::sys::fs::read_to_string(format!("{dir}/{file}")).ok()
}

/// A file holding one number ("max" reads as u64::MAX).
pub fn read_u64(dir: &str, file: &str) -> Option<u64> {
    let t = read(dir, file)?;
    let t = t.trim();
    if t == "max" {
        return Some(u64::MAX);
    }
    t.parse().ok()
}

/// The value of `key` in a flat-keyed file ("key value" lines: memory.stat,
/// cpu.stat, memory.events, memory.oom_control).
pub fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

pub fn exists(dir: &str, file: &str) -> bool {
    fs::access(format!("{dir}/{file}").as_str(), fs::Access::EXISTS).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_lines() {
        let t = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed(t, "oom_kill"), Some(3));
        assert_eq!(keyed(t, "nope"), None);
        let e = write("/nonexistent-husk", "memory.max", "1", "memory").unwrap_err();
        assert!(
            e.to_string()
                .contains("memory: /nonexistent-husk/memory.max does not exist"),
            "{e}"
        );
    }
}
