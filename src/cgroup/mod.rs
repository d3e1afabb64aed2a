//! Control groups on v1, v2 and hybrid hosts (config-linux.md#control-groups),
//! with the path semantics of runc's cgroupfs driver:
//!
//! - `linux.cgroupsPath` absolute: that path from each hierarchy's root;
//! - relative: under husk's own cgroup in each hierarchy (/proc/self/cgroup);
//! - absent: `/husk/<id>`.
//!
//! The container's cgroup is made in every mounted hierarchy (so `kill --all`,
//! `ps` and `pause` work whatever the resources), resources go to the
//! hierarchy where each controller lives (layout.rs), and `husk create` moves
//! the controller in before it unshares the cgroup namespace (the CGROUP_REQ
//! frame of controller/sync.rs), so the namespace's root is the container's
//! cgroup and no user code ever runs outside it.

mod apply;
pub mod devices;
mod files;
pub mod freeze;
pub mod layout;
pub mod stats;
mod v1;
mod v2;
pub mod validate;

pub use apply::apply;
pub use layout::{Hier, Layout};

use crate::cli::Global;
use crate::config::Spec;
use crate::error::{Context, Result};
use rustix::fs::Mode;
use rustix::io::Errno;

/// The container's cgroup in one hierarchy.
#[derive(Debug, Clone)]
pub struct Dir {
    pub path: String,
    pub hier: Hier,
}

/// The container's cgroups, one per hierarchy.
#[derive(Debug, Default)]
pub struct Cgroup {
    pub dirs: Vec<Dir>,
    /// Directories this create made, parents first (removed on failure).
    made: Vec<String>,
}

/// `path` made clean: no `..` (refused), no `.` or empty parts.
pub fn clean(path: &str) -> Result<String> {
    let mut out = String::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => bail!(
                "invalid config.json:",
                "linux.cgroupsPath \"{path}\" contains \"..\""
            ),
            p => {
                out.push('/');
                out.push_str(p);
            }
        }
    }
    Ok(if out.is_empty() { "/".into() } else { out })
}

/// The container's cgroup path in `h` (from the hierarchy's root).
fn resolve(h: &Hier, raw: Option<&str>, id: &str) -> Result<String> {
    match raw.filter(|p| !p.is_empty()) {
        Some(p) if p.starts_with('/') => clean(p),
        Some(p) => {
            let own = Layout::own_path(h, "self").unwrap_or_else(|| "/".into());
            clean(&format!("{own}/{p}"))
        }
        None => clean(&format!("/husk/{id}")),
    }
}

impl Cgroup {
    /// Make the container's cgroups and apply `linux.resources`. Undoes
    /// everything it made on failure.
    pub fn create(g: &Global, id: &str, spec: &Spec<'_>) -> Result<Cgroup> {
        let layout = Layout::detect()?;
        crate::log::debug(g, format_args!("{}", layout.describe()));
        let linux = spec.linux.as_ref();
        let raw = match linux.and_then(|l| l.cgroups_path) {
            Some(p) => Some(crate::config::json::string(p, "linux.cgroupsPath")?),
            None => None,
        };
        let mut cg = Cgroup::default();
        let r = (|| -> Result<()> {
            for h in &layout.hiers {
                let path = resolve(h, raw.as_deref(), id)?;
                let dir = h.dir_of(&path).ok_or_else(|| {
                    err!(
                        "cgroup path outside the mounted hierarchy:",
                        "{path} in {}",
                        h.mount
                    )
                })?;
                cg.make(h, &dir)?;
                cg.dirs.push(Dir {
                    path: dir,
                    hier: h.clone(),
                });
            }
            if cg.dirs.is_empty() {
                bail!(
                    "no cgroup hierarchy mounted:",
                    "mount cgroup2 (or v1 controllers) under /sys/fs/cgroup"
                );
            }
            crate::log::debug(g, format_args!("cgroup {}", cg.paths().join(" ")));
            let none = crate::config::resources::Resources::default();
            let res = linux.and_then(|l| l.resources.as_ref()).unwrap_or(&none);
            apply(g, &cg, res, Some(spec), false)?;
            Ok(())
        })();
        match r {
            Ok(()) => Ok(cg),
            Err(e) => {
                cg.undo();
                Err(e)
            }
        }
    }

    /// mkdir -p `dir` in `h`, remembering what was made; v1 cpuset dirs get
    /// their parent's cpus and mems (a new one is empty and takes no task),
    /// v2 parents delegate their controllers.
    fn make(&mut self, h: &Hier, dir: &str) -> Result<()> {
        let rel = dir.strip_prefix(h.mount.as_str()).unwrap_or("");
        let mut cur = h.mount.clone();
        let mut existed = true;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            if h.v2 {
                v2::delegate(&cur);
            }
            let parent = cur.clone();
            cur.push('/');
            cur.push_str(part);
            // A concurrent create may remove a parent it made; retry once.
            let mut tries = 0;
            let made = loop {
                match rustix::fs::mkdir(cur.as_str(), Mode::from_raw_mode(0o755)) {
                    Ok(()) => break true,
                    Err(Errno::EXIST) => break false,
                    Err(Errno::NOENT) if tries < 3 => {
                        tries += 1;
                        let _ = rustix::fs::mkdir(parent.as_str(), Mode::from_raw_mode(0o755));
                    }
                    Err(e) => return Err(e).ctx("create cgroup", format_args!("{cur}")),
                }
            };
            existed = !made;
            if made {
                self.made.push(cur.clone());
                if !h.v2 && h.has("cpuset") {
                    v1::cpuset_inherit(&parent, &cur)?;
                }
            }
        }
        if existed && !self.pids_in(dir).is_empty() {
            bail!("cgroup is not empty:", "{dir} already has processes");
        }
        Ok(())
    }

    /// Remove what create made, deepest first (best effort: create is failing).
    fn undo(&self) {
        for d in self.made.iter().rev() {
            let _ = rm_tree(d);
        }
    }

    /// The cgroups of an existing container, from its state record.
    pub fn load(paths: &[String]) -> Result<Cgroup> {
        let layout = Layout::detect()?;
        let mut cg = Cgroup::default();
        for p in paths {
            if let Some(h) = layout.hier_of(p) {
                cg.dirs.push(Dir {
                    path: p.clone(),
                    hier: h.clone(),
                });
            }
        }
        Ok(cg)
    }

    pub fn paths(&self) -> Vec<String> {
        self.dirs.iter().map(|d| d.path.clone()).collect()
    }

    /// Move process `pid` into every one of the container's cgroups.
    pub fn join(&self, pid: i32) -> Result<()> {
        for d in &self.dirs {
            files::write(&d.path, "cgroup.procs", &pid.to_string(), "cgroup")?;
        }
        Ok(())
    }

    /// The container's directory where `ctrl` lives (v1 first, as layout.rs).
    pub fn dir_for(&self, ctrl: &str) -> Option<&Dir> {
        self.dirs
            .iter()
            .find(|d| !d.hier.v2 && d.hier.has(ctrl))
            .or_else(|| self.v2().filter(|d| d.hier.has(ctrl)))
    }

    pub fn v2(&self) -> Option<&Dir> {
        self.dirs.iter().find(|d| d.hier.v2)
    }

    /// Remove the container's cgroups and every cgroup under them.
    pub fn remove(&self) -> Result<()> {
        for d in &self.dirs {
            rm_tree(&d.path)?;
        }
        Ok(())
    }

    /// Host pids of every process in the container's cgroup tree.
    pub fn pids(&self) -> Vec<i32> {
        let dir = self.v2().or_else(|| self.dirs.first());
        dir.map_or_else(Vec::new, |d| self.pids_in(&d.path))
    }

    fn pids_in(&self, dir: &str) -> Vec<i32> {
        let mut out = Vec::new();
        collect_pids(dir, 0, &mut out);
        out
    }

    /// Signal every process of the container: `cgroup.kill` for SIGKILL
    /// where the kernel has it (v2, 5.14+), else freeze, signal each, thaw
    /// (runc's way: nothing forks away meanwhile).
    pub fn signal_all(&self, sig: i32) -> Result<()> {
        let was_frozen = freeze::is_frozen(self);
        if sig == 9 {
            if let Some(d) = self.v2().filter(|d| files::exists(&d.path, "cgroup.kill")) {
                files::write(&d.path, "cgroup.kill", "1", "cgroup.kill")?;
                // A v1-frozen task handles SIGKILL only once thawed.
                return if was_frozen {
                    freeze::set(self, false)
                } else {
                    Ok(())
                };
            }
        }
        let froze = !was_frozen && freeze::set(self, true).is_ok();
        let s = rustix::process::Signal::from_named_raw(sig)
            .ok_or_else(|| err!("invalid signal", "{sig}"))?;
        for pid in self.pids() {
            if let Some(p) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(p, s);
            }
        }
        if froze || (was_frozen && sig == 9) {
            freeze::set(self, false)?;
        }
        Ok(())
    }
}

fn collect_pids(dir: &str, depth: u32, out: &mut Vec<i32>) {
    if let Some(t) = files::read(dir, "cgroup.procs") {
        out.extend(t.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    }
    if depth > 32 {
        return;
    }
    for (name, is_dir) in crate::sys::fs::dir_entries(dir).unwrap_or_default() {
        if is_dir {
            collect_pids(&format!("{dir}/{name}"), depth + 1, out);
        }
    }
}

/// rmdir `dir` after its sub-cgroups. A cgroup whose last task is still
/// exiting is busy for a moment: retry for up to 2 s.
fn rm_tree(dir: &str) -> Result<()> {
    for (name, is_dir) in crate::sys::fs::dir_entries(dir).unwrap_or_default() {
        if is_dir {
            rm_tree(&format!("{dir}/{name}"))?;
        }
    }
    let mut tries = 0;
    loop {
        match rustix::fs::rmdir(dir) {
            Ok(()) | Err(Errno::NOENT) => return Ok(()),
            Err(Errno::BUSY) | Err(Errno::AGAIN) if tries < 200 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(e).ctx("remove cgroup", format_args!("{dir}")),
        }
    }
}

/// The container's own cgroup directory under host mount `mount`, for a
/// process in it (used to bind it when there is no cgroup namespace).
pub fn own_dir(mount: &str) -> Option<String> {
    let layout = Layout::detect().ok()?;
    let h = layout.hiers.iter().find(|h| h.mount == mount)?;
    h.dir_of(&Layout::own_path(h, "self")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(clean("/a//b/./c/").unwrap(), "/a/b/c");
        assert_eq!(clean("").unwrap(), "/");
        assert!(clean("/a/../b").is_err());
        let h = Hier {
            mount: "/m".into(),
            root: "/".into(),
            v2: false,
            ctrls: "memory".into(),
        };
        assert_eq!(resolve(&h, Some("/x/y"), "c").unwrap(), "/x/y");
        assert_eq!(resolve(&h, None, "c").unwrap(), "/husk/c");
        assert_eq!(resolve(&h, Some(""), "c").unwrap(), "/husk/c");
    }
}
