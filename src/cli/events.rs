//! `husk events [--stats] [--interval 5s] ID`: runc's event stream. With
//! --stats, one stats object (runc's types.Stats) and exit; otherwise a
//! stats object every interval and `{"type":"oom","id":ID}` whenever the
//! OOM killer kills in the container's memory cgroup, until it stops.
//! The OOM counter (memory.oom_control / memory.events "oom_kill") is
//! polled every 100 ms, so no eventfd or inotify is held open.

use super::{parse_with_id, Global};
use crate::cgroup::{stats, Cgroup};
use crate::error::Result;
use crate::state::{self, Status};
use lexopt::{Arg, Parser, ValueExt};
use std::time::{Duration, Instant};

/// `5s`, `100ms`, `1m`, `1h`, or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let scale: u64 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => bail!("invalid duration", "\"{s}\""),
    };
    match crate::num::parse_scaled(num, scale) {
        Some(ns) if ns > 0 && ns < 1_000_000_000 * 1_000_000_000 => Ok(Duration::from_nanos(ns)),
        Some(_) => bail!("invalid duration", "\"{s}\": must be positive"),
        None => bail!("invalid duration", "\"{s}\""),
    }
}

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut once = false;
    let mut interval = Duration::from_secs(5);
    let mut extra = Vec::new();
    let id = parse_with_id(
        p,
        |p, a| {
            Ok(match a {
                Arg::Long("stats") => {
                    once = true;
                    true
                }
                Arg::Long("interval") => {
                    let v = p
                        .value()
                        .map_err(super::bad_arg)?
                        .string()
                        .map_err(super::bad_arg)?;
                    interval = parse_duration(&v)?;
                    true
                }
                _ => false,
            })
        },
        &mut extra,
    )?;
    if let Some(x) = extra.first() {
        bail!("unexpected argument", "\"{x}\"");
    }
    let dir = state::open_dir(&g.root, &id)?;
    let r = dir.load()?;
    if dir.status(&r) == Status::Stopped {
        bail!("container not running");
    }
    // Do not hold the container's lock while streaming.
    drop(dir);
    let cg = Cgroup::load(&r.cgroups)?;
    let out = rustix::stdio::stdout();
    let line = |text: String| crate::sys::fs::write_fd(out, format!("{text}\n").as_bytes());
    if once {
        let _ = line(stats::json(&id, &cg));
        return Ok(0);
    }
    let tick = interval.min(Duration::from_millis(100));
    let mut ooms = stats::oom_kills(&cg);
    let mut next = Instant::now();
    loop {
        let alive = state::alive(r.pid, r.start_time);
        let now = stats::oom_kills(&cg);
        if now > ooms {
            ooms = now;
            let _ = line(format!("{{\"type\":\"oom\",\"id\":\"{id}\"}}"));
        }
        if !alive {
            return Ok(0);
        }
        if Instant::now() >= next {
            if line(stats::json(&id, &cg)).is_err() {
                return Ok(0);
            }
            next = Instant::now() + interval;
        }
        std::thread::sleep(tick);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("0s").is_err() && parse_duration("5x").is_err());
    }
}
