//! Which cgroup hierarchies this host has, found in /proc/self/mountinfo
//! (proc(5)) and /proc/cgroups (cgroups(7)); nothing is hard-coded.
//!
//! - pure v1: one `cgroup` mount per hierarchy (a controller or several, or
//!   a named one such as `name=systemd`);
//! - pure v2: one `cgroup2` mount and no v1 hierarchy;
//! - hybrid: both. A controller lives where it is bound: in the v1
//!   hierarchy that lists it, otherwise in the v2 hierarchy if its root's
//!   `cgroup.controllers` lists it (this machine family: hugetlb only).

use crate::error::{Context, Result};

/// One mounted hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hier {
    /// Where it is mounted, e.g. /sys/fs/cgroup/memory.
    pub mount: String,
    /// The cgroup shown at the mount point (mountinfo field 4), usually "/".
    pub root: String,
    pub v2: bool,
    /// Controllers, comma-separated: v1 from the mount options (plus
    /// `name=X` for a named hierarchy), v2 from the root's cgroup.controllers.
    pub ctrls: String,
}

impl Hier {
    pub fn has(&self, ctrl: &str) -> bool {
        self.ctrls.split([',', ' ']).any(|c| c == ctrl)
    }

    /// The hierarchy's key in /proc/PID/cgroup: "" for v2, else its controller list.
    fn key_matches(&self, key: &str) -> bool {
        if self.v2 {
            return key.is_empty();
        }
        let mut a: Vec<&str> = key.split(',').filter(|s| !s.is_empty()).collect();
        let mut b: Vec<&str> = self.ctrls.split(',').filter(|s| !s.is_empty()).collect();
        a.sort_unstable();
        b.sort_unstable();
        !a.is_empty() && a == b
    }

    /// Directory of cgroup `path` (as /proc/PID/cgroup names it) in this hierarchy.
    pub fn dir_of(&self, path: &str) -> Option<String> {
        let rest = if self.root == "/" {
            path
        } else {
            let r = path.strip_prefix(self.root.as_str())?;
            if !r.is_empty() && !r.starts_with('/') {
                return None;
            }
            r
        };
        Some(format!("{}{}", self.mount, rest.trim_end_matches('/')))
    }
}

/// The host's hierarchies (one mount each: a bind mount of the same
/// hierarchy elsewhere is skipped).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub hiers: Vec<Hier>,
}

/// v1 controllers the kernel knows, whether mounted or not (/proc/cgroups).
pub fn known_v1() -> Vec<(String, bool)> {
    let text = crate::sys::fs::read_to_string("/proc/cgroups").unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((f.first()?.to_string(), f.get(3)? == &"1"))
        })
        .collect()
}

impl Layout {
    pub fn detect() -> Result<Layout> {
        let info = crate::sys::fs::read_to_string("/proc/self/mountinfo")
            .ctx("read", format_args!("/proc/self/mountinfo"))?;
        Ok(Self::parse(&info, |mount| {
            crate::sys::fs::read_to_string(format!("{mount}/cgroup.controllers"))
                .unwrap_or_default()
        }))
    }

    /// Parse mountinfo text; `controllers(mount)` reads a v2 root's cgroup.controllers.
    pub fn parse(info: &str, controllers: impl Fn(&str) -> String) -> Layout {
        let mut hiers: Vec<Hier> = Vec::new();
        let mut devs: Vec<String> = Vec::new();
        for line in info.lines() {
            let Some((pre, post)) = line.split_once(" - ") else {
                continue;
            };
            let pre: Vec<&str> = pre.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            let (Some(dev), Some(root), Some(mnt), Some(fstype), Some(opts)) = (
                pre.get(2),
                pre.get(3),
                pre.get(4),
                post.first(),
                post.get(2),
            ) else {
                continue;
            };
            let v2 = match *fstype {
                "cgroup2" => true,
                "cgroup" => false,
                _ => continue,
            };
            // The same superblock mounted twice: keep the first.
            if devs.iter().any(|d| d == dev) {
                continue;
            }
            devs.push(dev.to_string());
            let mount = unescape(mnt);
            let ctrls = if v2 {
                controllers(&mount).trim().replace(' ', ",")
            } else {
                opts.split(',')
                    .filter(|o| {
                        !matches!(*o, "rw" | "ro")
                            && !o.contains("release_agent")
                            && !o.starts_with("clone_children")
                            && *o != "noprefix"
                            && *o != "xattr"
                            && *o != "cpuset_v2_mode"
                            && *o != "favordynmods"
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            hiers.push(Hier {
                mount,
                root: unescape(root),
                v2,
                ctrls,
            });
        }
        Layout { hiers }
    }

    /// "v1", "v2", "hybrid" or "none".
    pub fn kind(&self) -> &'static str {
        let v1 = self.hiers.iter().any(|h| !h.v2);
        match (v1, self.v2().is_some()) {
            (true, true) => "hybrid",
            (true, false) => "v1",
            (false, true) => "v2",
            (false, false) => "none",
        }
    }

    pub fn v2(&self) -> Option<&Hier> {
        self.hiers.iter().find(|h| h.v2)
    }

    /// Where controller `ctrl` lives: its v1 hierarchy, else the v2 one if bound there.
    pub fn home(&self, ctrl: &str) -> Option<&Hier> {
        self.hiers
            .iter()
            .find(|h| !h.v2 && h.has(ctrl))
            .or_else(|| self.v2().filter(|h| h.has(ctrl)))
    }

    /// The hierarchy holding directory `dir` (longest mount prefix).
    pub fn hier_of(&self, dir: &str) -> Option<&Hier> {
        self.hiers
            .iter()
            .filter(|h| dir == h.mount || dir.starts_with(&format!("{}/", h.mount)))
            .max_by_key(|h| h.mount.len())
    }

    /// The cgroup of process `pid` ("self" for husk) in `h`, as a path from
    /// the hierarchy root (/proc/PID/cgroup, cgroups(7)).
    pub fn own_path(h: &Hier, pid: &str) -> Option<String> {
        let text = crate::sys::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        text.lines().find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, key, path) = (f.next()?, f.next()?, f.next()?);
            h.key_matches(key).then(|| path.to_string())
        })
    }

    /// One line for --debug.
    pub fn describe(&self) -> String {
        let mut s = format!("cgroup layout {}:", self.kind());
        for h in &self.hiers {
            s.push_str(&format!(
                " {}{}[{}]",
                h.mount,
                if h.v2 { "(v2)" } else { "" },
                h.ctrls
            ));
        }
        let unmounted: Vec<String> = known_v1()
            .into_iter()
            .filter(|(c, on)| *on && self.home(c).is_none())
            .map(|(c, _)| c)
            .collect();
        if !unmounted.is_empty() {
            s.push_str(&format!("; not mounted: {}", unmounted.join(",")));
        }
        s
    }
}

/// mountinfo escapes space, tab, newline and backslash as \ooo.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
99 31 0:32 /sub /mnt/mem\\040x rw - cgroup cgroup rw,memory";

    #[test]
    fn hybrid() {
        let l = Layout::parse(HYBRID, |_| "hugetlb\n".into());
        assert_eq!(l.kind(), "hybrid");
        assert_eq!(l.hiers.len(), 4, "bind mount of memory skipped");
        assert_eq!(l.home("memory").unwrap().mount, "/sys/fs/cgroup/memory");
        assert_eq!(l.home("hugetlb").unwrap().mount, "/sys/fs/cgroup/unified");
        assert!(l.home("pids").is_none());
        assert_eq!(l.hiers[2].ctrls, "name=systemd");
        assert!(l.hiers[2].key_matches("name=systemd"));
        assert!(l.v2().unwrap().key_matches(""));
        assert_eq!(
            l.hier_of("/sys/fs/cgroup/memory/a/b").unwrap().mount,
            "/sys/fs/cgroup/memory"
        );
        assert!(l.hier_of("/sys/fs/cgroup/memoryx").is_none());
    }

    #[test]
    fn pure_v2_and_roots() {
        let l = Layout::parse(
            "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
            |_| "cpu io memory pids".into(),
        );
        assert_eq!(l.kind(), "v2");
        assert!(l.home("io").is_some() && l.home("pids").is_some());
        let h = Hier {
            mount: "/m".into(),
            root: "/a".into(),
            v2: true,
            ctrls: String::new(),
        };
        assert_eq!(h.dir_of("/a/b").as_deref(), Some("/m/b"));
        assert_eq!(h.dir_of("/a").as_deref(), Some("/m"));
        assert_eq!(h.dir_of("/ab"), None);
        assert_eq!(unescape("/mnt/mem\\040x"), "/mnt/mem x");
    }
}
