//! Freezing the container (`pause` / `resume`): the v1 freezer's
//! freezer.state (cgroup-v1/freezer-subsystem.rst) where it is mounted,
//! else v2's cgroup.freeze, waiting until the kernel reports the new state
//! (FREEZING → FROZEN; cgroup.events "frozen 1").

use super::{files, Cgroup};
use crate::error::Result;
use std::time::{Duration, Instant};

/// How long a freeze may take before it is reported as failed.
const TIMEOUT: Duration = Duration::from_secs(5);

enum Freezer<'c> {
    V1(&'c str),
    V2(&'c str),
}

fn freezer(cg: &Cgroup) -> Option<Freezer<'_>> {
    if let Some(d) = cg.dirs.iter().find(|d| !d.hier.v2 && d.hier.has("freezer")) {
        return Some(Freezer::V1(&d.path));
    }
    cg.v2()
        .filter(|d| files::exists(&d.path, "cgroup.freeze"))
        .map(|d| Freezer::V2(&d.path))
}

/// Is the container frozen (or being frozen)?
pub fn is_frozen(cg: &Cgroup) -> bool {
    match freezer(cg) {
        Some(Freezer::V1(d)) => {
            files::read(d, "freezer.state").is_some_and(|s| s.trim() != "THAWED")
        }
        Some(Freezer::V2(d)) => files::read(d, "cgroup.freeze").is_some_and(|s| s.trim() == "1"),
        None => false,
    }
}

/// Is any of the recorded cgroup directories frozen? (For `state`, without
/// a layout: the files say which freezer is there.)
pub fn paths_frozen(paths: &[String]) -> bool {
    let v1 = paths.iter().find_map(|p| files::read(p, "freezer.state"));
    if let Some(s) = v1 {
        return s.trim() != "THAWED";
    }
    paths
        .iter()
        .any(|p| files::read(p, "cgroup.freeze").is_some_and(|s| s.trim() == "1"))
}

/// Freeze (`true`) or thaw the container and wait until the kernel is done.
pub fn set(cg: &Cgroup, frozen: bool) -> Result<()> {
    let start = Instant::now();
    match freezer(cg) {
        Some(Freezer::V1(d)) => {
            let want = if frozen { "FROZEN" } else { "THAWED" };
            loop {
                files::write(d, "freezer.state", want, "freezer")?;
                if files::read(d, "freezer.state").is_some_and(|s| s.trim() == want) {
                    return Ok(());
                }
                if start.elapsed() > TIMEOUT {
                    // Leave it as it was rather than half-frozen.
                    let _ = files::write(d, "freezer.state", "THAWED", "freezer");
                    bail!("freeze timed out:", "{d} did not become {want}");
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Some(Freezer::V2(d)) => {
            files::write(
                d,
                "cgroup.freeze",
                if frozen { "1" } else { "0" },
                "cgroup.freeze",
            )?;
            let want = if frozen { 1 } else { 0 };
            loop {
                let events = files::read(d, "cgroup.events").unwrap_or_default();
                if files::keyed(&events, "frozen") == Some(want) {
                    return Ok(());
                }
                if start.elapsed() > TIMEOUT {
                    if frozen {
                        let _ = files::write(d, "cgroup.freeze", "0", "cgroup.freeze");
                    }
                    bail!("freeze timed out:", "{d} did not report frozen {want}");
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        None => bail!(
            "cgroup controller not available on this host:",
            "freezer (no v1 freezer, no cgroup.freeze)"
        ),
    }
}
