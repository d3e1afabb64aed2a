//! runc-compatible log lines: text (`time="…" level=error msg="…"`) or JSON
//! (`{"level":"error","msg":"…","time":"…"}`), to `--log FILE` and stderr.
//!
//! containerd reads the last `"level":"error"` line of its log file; podman
//! reads a failing command's log file as one JSON object, so an error is
//! written as exactly one line.

use crate::cli::Global;
use crate::config::json::escape_into;
use crate::error::Error;
use core::fmt::Write;

/// Print `e` once: to stderr, and as a log line to `--log` if given.
pub fn error(g: &Global, e: &Error) {
    crate::sys::fs::eprint(format_args!("husk: {e}\n"));
    line(g, "error", format_args!("{e}"));
}

/// A debug line (only with `--debug`), to the log file or stderr.
pub fn debug(g: &Global, msg: core::fmt::Arguments<'_>) {
    if g.debug {
        if g.log.is_none() {
            crate::sys::fs::eprint(format_args!("husk: debug: {msg}\n"));
        }
        line(g, "debug", msg);
    }
}

/// A warning: to the log file (or stderr when there is none).
#[allow(dead_code)]
pub fn warn(g: &Global, msg: core::fmt::Arguments<'_>) {
    if g.log.is_none() {
        crate::sys::fs::eprint(format_args!("husk: warning: {msg}\n"));
    }
    line(g, "warning", msg);
}

fn line(g: &Global, level: &str, msg: core::fmt::Arguments<'_>) {
    let Some(path) = &g.log else { return };
    let mut text = String::with_capacity(128);
    let _ = text.write_fmt(msg);
    let mut out = String::with_capacity(text.len() + 96);
    let time = rfc3339_now();
    if g.log_json {
        out.push_str("{\"level\":\"");
        out.push_str(level);
        out.push_str("\",\"msg\":\"");
        escape_into(&text, &mut out);
        out.push_str("\",\"time\":\"");
        out.push_str(&time);
        out.push_str("\"}\n");
    } else {
        let _ = write!(out, "time=\"{time}\" level={level} msg=\"");
        escape_into(&text, &mut out);
        out.push_str("\"\n");
    }
    let _ = crate::sys::fs::append(path, out.as_bytes());
}

/// Current time as RFC 3339 UTC with nanoseconds, e.g. `2026-11-26T05:16:32.123456789Z`.
pub fn rfc3339_now() -> String {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    rfc3339(t.tv_sec, t.tv_nsec as u32)
}

pub fn rfc3339(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    s
}

/// Days since 1970-01-01 to (year, month, day); H. Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// VmHWM of this process in KiB (0 if /proc is not there).
pub fn peak_rss_kib() -> u64 {
    crate::sys::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::rfc3339(0, 0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            super::rfc3339(1_795_756_592, 5),
            "2026-11-27T05:16:32.000000005Z"
        );
        assert_eq!(
            super::rfc3339(951_782_400, 0),
            "2000-02-29T00:00:00.000000000Z"
        );
    }
}
