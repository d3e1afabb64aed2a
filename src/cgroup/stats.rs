//! Resource usage for `events`, as runc's `types.Stats` JSON (cpu, memory,
//! pids, hugetlb), read from whichever hierarchy holds each controller; and
//! the OOM-kill counter that `events` watches.

use super::{files, Cgroup};
use std::fmt::Write;

/// Nanoseconds per USER_HZ tick of cpuacct.stat (USER_HZ is 100 on Linux).
const NS_PER_TICK: u64 = 10_000_000;

fn n(v: Option<u64>) -> u64 {
    match v {
        Some(u64::MAX) | None => 0,
        Some(v) => v,
    }
}

/// `"key":{"limit":..,"usage":..,"max":..,"failcnt":..}`.
fn usage(s: &mut String, key: &str, d: &str, prefix: &str, v2: bool) {
    let (l, u, m, f) = if v2 {
        (
            n(files::read_u64(d, &format!("{prefix}.max"))),
            n(files::read_u64(d, &format!("{prefix}.current"))),
            0,
            0,
        )
    } else {
        let r = |f: &str| n(files::read_u64(d, &format!("{prefix}.{f}")));
        (
            r("limit_in_bytes"),
            r("usage_in_bytes"),
            r("max_usage_in_bytes"),
            r("failcnt"),
        )
    };
    let _ = write!(
        s,
        "\"{key}\":{{\"limit\":{l},\"usage\":{u},\"max\":{m},\"failcnt\":{f}}}"
    );
}

fn raw(s: &mut String, text: &str) {
    s.push_str("\"raw\":{");
    let mut first = true;
    for l in text.lines() {
        if let Some((k, v)) = l.split_once(' ') {
            if let Ok(v) = v.trim().parse::<u64>() {
                let _ = write!(s, "{}\"{k}\":{v}", if first { "" } else { "," });
                first = false;
            }
        }
    }
    s.push('}');
}

fn cpu(s: &mut String, cg: &Cgroup) {
    let (mut total, mut user, mut kernel, mut percpu) = (0, 0, 0, String::new());
    let (mut periods, mut thr, mut thr_time) = (0, 0, 0);
    match cg.dir_for("cpu") {
        Some(d) if d.hier.v2 => {
            let st = files::read(&d.path, "cpu.stat").unwrap_or_default();
            let k = |key: &str| files::keyed(&st, key).unwrap_or(0);
            (total, user, kernel) = (
                k("usage_usec") * 1000,
                k("user_usec") * 1000,
                k("system_usec") * 1000,
            );
            (periods, thr, thr_time) = (
                k("nr_periods"),
                k("nr_throttled"),
                k("throttled_usec") * 1000,
            );
        }
        Some(d) => {
            let st = files::read(&d.path, "cpu.stat").unwrap_or_default();
            let k = |key: &str| files::keyed(&st, key).unwrap_or(0);
            (periods, thr, thr_time) = (k("nr_periods"), k("nr_throttled"), k("throttled_time"));
        }
        None => {}
    }
    if let Some(d) = cg.dir_for("cpuacct") {
        total = n(files::read_u64(&d.path, "cpuacct.usage"));
        percpu = files::read(&d.path, "cpuacct.usage_percpu")
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(",");
        let st = files::read(&d.path, "cpuacct.stat").unwrap_or_default();
        user = files::keyed(&st, "user").unwrap_or(0) * NS_PER_TICK;
        kernel = files::keyed(&st, "system").unwrap_or(0) * NS_PER_TICK;
    }
    let _ = write!(
        s,
        "\"cpu\":{{\"usage\":{{\"total\":{total},\"percpu\":[{percpu}],\"kernel\":{kernel},\"user\":{user}}},\
\"throttling\":{{\"periods\":{periods},\"throttledPeriods\":{thr},\"throttledTime\":{thr_time}}}}}"
    );
}

fn memory(s: &mut String, cg: &Cgroup) {
    s.push_str("\"memory\":{");
    if let Some(d) = cg.dir_for("memory") {
        let st = files::read(&d.path, "memory.stat").unwrap_or_default();
        if d.hier.v2 {
            let _ = write!(s, "\"cache\":{},", files::keyed(&st, "file").unwrap_or(0));
            usage(s, "usage", &d.path, "memory", true);
            s.push(',');
            usage(s, "swap", &d.path, "memory.swap", true);
        } else {
            let _ = write!(s, "\"cache\":{},", files::keyed(&st, "cache").unwrap_or(0));
            usage(s, "usage", &d.path, "memory", false);
            s.push(',');
            usage(s, "swap", &d.path, "memory.memsw", false);
            s.push(',');
            usage(s, "kernel", &d.path, "memory.kmem", false);
            s.push(',');
            usage(s, "kernelTCP", &d.path, "memory.kmem.tcp", false);
        }
        s.push(',');
        raw(s, &st);
    }
    s.push('}');
}

/// One stats object: `{"type":"stats","id":ID,"data":{…}}`.
pub fn json(id: &str, cg: &Cgroup) -> String {
    let mut s = format!("{{\"type\":\"stats\",\"id\":\"{id}\",\"data\":{{");
    cpu(&mut s, cg);
    s.push(',');
    memory(&mut s, cg);
    if let Some(d) = cg.dir_for("pids") {
        let _ = write!(
            s,
            ",\"pids\":{{\"current\":{},\"limit\":{}}}",
            n(files::read_u64(&d.path, "pids.current")),
            n(files::read_u64(&d.path, "pids.max"))
        );
    }
    s.push_str(",\"hugetlb\":{");
    if let Some(d) = cg.dir_for("hugetlb") {
        let mut first = true;
        for (name, _) in crate::sys::fs::dir_entries(d.path.as_str()).unwrap_or_default() {
            let size = if d.hier.v2 {
                name.strip_suffix(".current")
            } else {
                name.strip_suffix(".usage_in_bytes")
            };
            let Some(size) = size
                .and_then(|s| s.strip_prefix("hugetlb."))
                .filter(|s| !s.contains('.'))
            else {
                continue;
            };
            let (u, m, f) = if d.hier.v2 {
                let ev =
                    files::read(&d.path, &format!("hugetlb.{size}.events")).unwrap_or_default();
                (
                    n(files::read_u64(&d.path, &name)),
                    0,
                    files::keyed(&ev, "max").unwrap_or(0),
                )
            } else {
                let r = |f: &str| n(files::read_u64(&d.path, &format!("hugetlb.{size}.{f}")));
                (r("usage_in_bytes"), r("max_usage_in_bytes"), r("failcnt"))
            };
            let _ = write!(
                s,
                "{}\"{size}\":{{\"usage\":{u},\"max\":{m},\"failcnt\":{f}}}",
                if first { "" } else { "," }
            );
            first = false;
        }
    }
    s.push_str("},\"blkio\":{}}}");
    s
}

/// How many processes the OOM killer killed in the container's memory
/// cgroup (v1 memory.oom_control, v2 memory.events: "oom_kill N").
pub fn oom_kills(cg: &Cgroup) -> u64 {
    let Some(d) = cg.dir_for("memory") else {
        return 0;
    };
    let f = if d.hier.v2 {
        "memory.events"
    } else {
        "memory.oom_control"
    };
    files::read(&d.path, f)
        .and_then(|t| files::keyed(&t, "oom_kill"))
        .unwrap_or(0)
}
