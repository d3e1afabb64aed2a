//! Leak checks usable by every test: state dirs, mounts, processes and cgroups left behind.

use std::fs;
use std::path::{Path, PathBuf};

/// Mount points (host mount namespace) at or under `dir`, in mountinfo order.
pub fn mounts_under(dir: &Path) -> Vec<String> {
    let d = dir.to_string_lossy();
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| *p == d || p.starts_with(&format!("{d}/")))
        .map(str::to_string)
        .collect()
}

/// Field 22 of /proc/PID/stat (start time), None when gone or a zombie.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    if f.first() == Some(&"Z") || f.first() == Some(&"X") {
        return None;
    }
    f.get(19)?.parse().ok()
}

pub fn cmdline(pid: i32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Everything left behind by container `id` of runtime root `root` with bundle `bundle`:
/// its state dir, host mounts mentioning the bundle, live processes whose cwd/root is in the
/// bundle, whose mount namespace holds the bundle, or whose command line names the bundle or
/// the id, and cgroup dirs named after the id.
pub fn leaks(root: &Path, id: &str, bundle: &Path) -> Vec<String> {
    let mut out = vec![];
    let b = bundle.to_string_lossy().into_owned();
    if root.join(id).exists() {
        out.push(format!(
            "state dir {} still exists",
            root.join(id).display()
        ));
    }
    for l in fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
    {
        if l.contains(&b) {
            out.push(format!("mount left: {l}"));
        }
    }
    let me = std::process::id().to_string();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let p = e.path();
        let mut why = vec![];
        for l in ["cwd", "root"] {
            if let Ok(t) = fs::read_link(p.join(l)) {
                if t.starts_with(bundle) {
                    why.push(format!("{l} {}", t.display()));
                }
            }
        }
        // A process in another mount namespace (a container) whose mounts come from the bundle:
        // mountinfo's 4th field is the mount's root within its filesystem, the bundle's path.
        if fs::read_link(p.join("ns/mnt")).is_ok_and(|n| n.display().to_string() != host_ns("mnt"))
            && fs::read_to_string(p.join("mountinfo")).is_ok_and(|m| m.contains(&b))
        {
            why.push("its mount namespace holds the bundle".into());
        }
        let cmd = fs::read(p.join("cmdline")).unwrap_or_default();
        if cmd
            .split(|&c| c == 0)
            .any(|a| a == id.as_bytes() || a.windows(b.len()).any(|w| w == b.as_bytes()))
        {
            why.push("command line".into());
        }
        if !why.is_empty() {
            out.push(format!(
                "process {pid} ({}) refers to the container: {}",
                cmdline(pid.parse().unwrap_or(0)),
                why.join(", ")
            ));
        }
    }
    for d in cgroup_dirs_named(id) {
        out.push(format!("cgroup left: {}", d.display()));
    }
    out
}

/// Directories named `name` in any mounted cgroup hierarchy.
pub fn cgroup_dirs_named(name: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, name: &str, depth: u32, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir() && !t.is_symlink()) {
                if e.file_name().to_string_lossy() == name {
                    out.push(e.path());
                }
                if depth < 8 {
                    walk(&e.path(), name, depth + 1, out);
                }
            }
        }
    }
    let mut out = vec![];
    for l in fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
    {
        let fstype = l.split(" - ").nth(1).and_then(|r| r.split(' ').next());
        if matches!(fstype, Some("cgroup" | "cgroup2")) {
            if let Some(point) = l.split(' ').nth(4) {
                walk(Path::new(point), name, 0, &mut out);
            }
        }
    }
    out
}

/// The host's namespace link (e.g. `pid:[4026531836]`) of kind `ns`.
pub fn host_ns(ns: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{ns}"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// `check()` until it finds nothing, for up to 5 s (exiting processes take a moment to go);
/// what it found last.
pub fn settle(check: impl Fn() -> Vec<String>) -> Vec<String> {
    let start = std::time::Instant::now();
    loop {
        let l = check();
        if l.is_empty() || start.elapsed() > std::time::Duration::from_secs(5) {
            return l;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
