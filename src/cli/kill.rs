//! `husk kill [--all|-a] ID [SIGNAL]`: signal the container (runtime.md#kill).
//! SIGNAL is a number, `KILL` or `SIGKILL`; the default is TERM.

use super::{parse_with_id, Global};
use crate::error::{Context, Result};
use crate::state::{self, Status};
use lexopt::{Arg, Parser};

/// Signal names of signal(7) and their numbers (same on all husk's arches).
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// Parse `9`, `KILL`, `SIGKILL` (any case), or `RTMIN+N`.
pub fn parse_signal(s: &str) -> Result<i32> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some((_, n)) = SIGNALS.iter().find(|(k, _)| *k == name) {
        return Ok(*n);
    }
    if let Some(off) = name
        .strip_prefix("RTMIN+")
        .and_then(|o| o.parse::<i32>().ok())
    {
        if (0..=30).contains(&off) {
            return Ok(34 + off);
        }
    }
    bail!("invalid signal", "\"{s}\"")
}

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut all = false;
    let mut extra = Vec::new();
    let id = parse_with_id(
        p,
        |_, a| {
            Ok(match a {
                Arg::Long("all") | Arg::Short('a') => {
                    all = true;
                    true
                }
                _ => false,
            })
        },
        &mut extra,
    )?;
    if extra.len() > 1 {
        bail!("unexpected argument", "\"{}\"", extra[1]);
    }
    let sig = parse_signal(extra.first().map_or("TERM", |s| s.as_str()))?;
    let dir = state::open_dir(&g.root, &id)?;
    let r = dir.load()?;
    if dir.status(&r) == Status::Stopped {
        bail!("container not running");
    }
    signal(&r, sig, all)?;
    Ok(0)
}

/// Send `sig` to the container's init, or with `all` to every process of
/// its cgroup (src/cgroup: cgroup.kill for SIGKILL where there is one);
/// records without cgroups fall back to the pid namespace (found through
/// /proc by namespace inode). SIGKILL to a paused container thaws it, so
/// the processes die (runc does the same).
pub fn signal(r: &state::Record, sig: i32, all: bool) -> Result<()> {
    if !r.cgroups.is_empty() {
        let cg = crate::cgroup::Cgroup::load(&r.cgroups)?;
        if all {
            return cg.signal_all(sig);
        }
        let paused = crate::cgroup::freeze::is_frozen(&cg);
        signal_init(r, sig, false)?;
        if paused && sig == 9 {
            crate::cgroup::freeze::set(&cg, false)?;
        }
        return Ok(());
    }
    signal_init(r, sig, all)
}

fn signal_init(r: &state::Record, sig: i32, all: bool) -> Result<()> {
    let send = |pid: i32| -> Result<()> {
        let p = rustix::process::Pid::from_raw(pid).ok_or_else(|| err!("bad pid", "{pid}"))?;
        let s = rustix::process::Signal::from_named_raw(sig)
            .ok_or_else(|| err!("invalid signal", "{sig}"))?;
        rustix::process::kill_process(p, s).ctx("kill", format_args!("pid {pid} with signal {sig}"))
    };
    if all && r.flags & state::FLAG_PIDNS != 0 {
        let ns = rustix::fs::stat(format!("/proc/{}/ns/pid", r.pid).as_str())
            .ctx("stat", format_args!("pid namespace of {}", r.pid))?
            .st_ino;
        for pid in members(ns) {
            let _ = send(pid);
        }
        return Ok(());
    }
    send(r.pid).map_err(|e| {
        if e.errno == 3 {
            err!("container not running")
        } else {
            e
        }
    })
}

/// Host pids whose pid namespace has inode `ns`.
fn members(ns: u64) -> Vec<i32> {
    let entries = crate::sys::fs::dir_entries("/proc").unwrap_or_default();
    entries
        .iter()
        .filter_map(|(name, _)| name.parse::<i32>().ok())
        .filter(|pid| {
            rustix::fs::stat(format!("/proc/{pid}/ns/pid").as_str()).is_ok_and(|s| s.st_ino == ns)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_signal;

    #[test]
    fn signals() {
        assert_eq!(parse_signal("9").unwrap(), 9);
        assert_eq!(parse_signal("KILL").unwrap(), 9);
        assert_eq!(parse_signal("SIGKILL").unwrap(), 9);
        assert_eq!(parse_signal("sigterm").unwrap(), 15);
        assert_eq!(parse_signal("RTMIN+2").unwrap(), 36);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("99").is_err());
    }
}
