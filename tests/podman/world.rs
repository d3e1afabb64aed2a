//! The private podman world of one test: its own --root/--runroot/--tmpdir, network config dir,
//! containers.conf/storage.conf/registries.conf (through CONTAINERS_CONF &c.) and cgroup parent,
//! so nothing touches the host's podman state and tests run in parallel; the harness's
//! busybox+payload rootfs `podman import`ed as the image; commands with a timeout; leak checks.

use crate::common::*;
use std::cell::{Cell, RefCell};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const IMAGE: &str = "localhost/husk-test";

/// podman from PATH, if installed.
pub fn podman_bin() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("podman"))
        .find(|p| p.is_file())
}

/// husk's (runc's, crun's) default --root, where podman's containers keep their state.
pub fn state_root() -> PathBuf {
    let rt = runtime();
    let name = rt.file_name().map(|n| n.to_string_lossy().into_owned());
    PathBuf::from("/run").join(if is_husk() {
        "husk".into()
    } else {
        name.unwrap_or_default()
    })
}

/// `'a'\''b'`: one shell word.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// One test's private podman world.
pub struct Podman {
    pub bin: PathBuf,
    /// Everything podman writes: root, runroot, tmp, configs, command outputs.
    pub dir: PathBuf,
    /// `--cgroup-parent` of every container (conmon goes to `<parent>/conmon`).
    pub parent: String,
    /// Ids of the containers this test made, for the leak check.
    pub ids: RefCell<Vec<String>>,
    n: Cell<u32>,
}

impl Podman {
    /// A fresh world with the image imported, or None (printed) to skip. `engine` is extra
    /// text for containers.conf's [engine] table.
    pub fn new(engine: &str) -> Option<Podman> {
        let thread = std::thread::current().name().unwrap_or("test").to_string();
        let why = skip_reason().or_else(|| {
            podman_bin()
                .is_none()
                .then(|| "podman not installed (apt-get install podman conmon)".into())
        });
        if let Some(why) = why {
            eprintln!("SKIP {thread}: {why}");
            return None;
        }
        let short: String = thread
            .rsplit("::")
            .next()
            .unwrap_or("t")
            .chars()
            .take(24)
            .collect();
        let seq = format!(
            "{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let tag = format!("{short}-{seq}");
        // Short, so not under $TMPDIR: podman refuses a runroot longer than 50 characters
        // (conmon's attach sockets live there).
        let dir = PathBuf::from(format!("/tmp/husk-podman-{seq}"));
        let _ = fs::remove_dir_all(&dir);
        for d in ["tmp", "net", "out"] {
            fs::create_dir_all(dir.join(d)).expect("mkdir podman dir");
        }
        let d = dir.display();
        // podman 4.3 as root asks for RLIMIT_NOFILE/NPROC 1048576, which a host without
        // CAP_SYS_RESOURCE in its bounding set cannot grant (runc fails the same way), so the
        // defaults are lowered here, never husk's rlimit checks. k8s-file: no journald needed.
        let conf = format!(
            "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\
             log_driver = \"k8s-file\"\n[network]\nnetwork_config_dir = \"{d}/net\"\n\
             [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
             tmp_dir = \"{d}/tmp\"\nimage_copy_tmp_dir = \"{d}/tmp\"\n{engine}\n"
        );
        fs::write(dir.join("containers.conf"), conf).expect("write containers.conf");
        fs::write(
            dir.join("registries.conf"),
            "unqualified-search-registries = []\n",
        )
        .expect("write registries.conf");
        let p = Podman {
            bin: podman_bin()?,
            parent: format!("/husk-podman-{tag}"),
            dir,
            ids: RefCell::new(vec![]),
            n: Cell::new(0),
        };
        let tar = p.dir.join("rootfs.tar");
        let mut c = Command::new("tar");
        c.arg("-C")
            .arg(rootfs_cache())
            .arg("-cf")
            .arg(&tar)
            .arg(".");
        assert_eq!(
            exec(&mut c, &p.base("tar"), TIMEOUT).code,
            Some(0),
            "tar of the rootfs"
        );
        let tar = tar.to_string_lossy().into_owned();
        // overlay is what podman users run; vfs where the temp dir cannot hold an overlay
        // upper dir (e.g. itself on overlayfs). Both take ~0.3 s per `podman run` here.
        // The import also writes c/image's blob-info cache, /var/lib/containers/cache/
        // blob-info-cache-v1.boltdb, which podman 4.3 has no setting for: the one host path
        // these tests touch besides the runtime's default root.
        let mut why = String::new();
        for driver in ["overlay", "vfs"] {
            p.storage_conf(driver);
            let out = p.pm(&["import", &tar, IMAGE]);
            if out.code == Some(0) {
                return Some(p);
            }
            why += &format!("with the {driver} driver: {}", out.stderr);
            p.pm(&["rmi", "-a", "-f"]);
            let _ = fs::remove_dir_all(p.dir.join("root"));
        }
        panic!("podman import failed\n{why}");
    }

    fn storage_conf(&self, driver: &str) {
        let d = self.dir.display();
        let text = format!(
            "[storage]\ndriver = \"{driver}\"\nrunroot = \"{d}/runroot\"\ngraphroot = \"{d}/root\"\n"
        );
        fs::write(self.dir.join("storage.conf"), text).expect("write storage.conf");
    }

    pub fn base(&self, what: &str) -> PathBuf {
        self.n.set(self.n.get() + 1);
        self.dir
            .join("out")
            .join(format!("{}-{what}", self.n.get()))
    }

    /// The private global flags, in podman's spelling.
    fn global(&self) -> Vec<String> {
        let d = &self.dir;
        [
            ("--root", d.join("root")),
            ("--runroot", d.join("runroot")),
            ("--tmpdir", d.join("tmp")),
        ]
        .into_iter()
        .flat_map(|(f, p)| [f.to_string(), p.to_string_lossy().into_owned()])
        .chain(["--cgroup-manager", "cgroupfs", "--events-backend", "file"].map(String::from))
        .collect()
    }

    fn envs(&self, c: &mut Command) {
        let d = &self.dir;
        c.env("CONTAINERS_CONF", d.join("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", d.join("storage.conf"))
            .env("CONTAINERS_REGISTRIES_CONF", d.join("registries.conf"))
            // `podman update` writes its resources file to TMPDIR.
            .env("TMPDIR", d.join("tmp"));
    }

    /// `podman GLOBAL… ARGS…` (the runtime is named in ARGS' callers: see [`Podman::rt`]).
    pub fn pm(&self, args: &[&str]) -> Out {
        let mut c = Command::new(&self.bin);
        c.args(self.global()).args(args);
        self.envs(&mut c);
        exec(
            &mut c,
            &self.base(args.first().unwrap_or(&"podman")),
            TIMEOUT,
        )
    }

    /// `podman GLOBAL… --runtime <runtime under test> ARGS…`.
    pub fn rt(&self, args: &[&str]) -> Out {
        let rt = runtime().to_string_lossy().into_owned();
        self.pm(&[&["--runtime", rt.as_str()], args].concat())
    }

    /// `podman [--runtime R] SUB --network none --cgroup-parent P --cidfile F OPTS… IMAGE CMD…`,
    /// remembering the container's id. `named`: the runtime comes from containers.conf.
    pub fn ctr_with(&self, named: bool, sub: &str, opts: &[&str], cmd: &[&str]) -> Out {
        let cid = self.base("cid");
        let cids = cid.to_string_lossy().into_owned();
        let head = [
            sub,
            "--network",
            "none",
            "--cgroup-parent",
            &self.parent,
            "--cidfile",
            &cids,
        ];
        let args = [&head[..], opts, &[IMAGE], cmd].concat();
        let out = if named {
            self.pm(&args)
        } else {
            self.rt(&args)
        };
        if let Ok(id) = fs::read_to_string(&cid) {
            self.ids.borrow_mut().push(id.trim().to_string());
        }
        out
    }

    pub fn run(&self, opts: &[&str], cmd: &[&str]) -> Out {
        self.ctr_with(false, "run", opts, cmd)
    }

    /// `run -d`: the container's id.
    #[track_caller]
    pub fn run_d(&self, opts: &[&str], cmd: &[&str]) -> String {
        let out = self.run(&[&["-d"], opts].concat(), cmd).ok();
        out.stdout.trim().to_string()
    }

    #[track_caller]
    pub fn inspect(&self, id: &str, format: &str) -> String {
        let out = self.pm(&["inspect", "--format", format, id]).ok();
        out.stdout.trim().to_string()
    }

    /// `script -qec "podman … ARGS…"`: podman -t needs a terminal on its own side.
    pub fn rt_tty(&self, args: &[&str]) -> Out {
        let rt = runtime().to_string_lossy().into_owned();
        let mut line = vec![quote(&self.bin.to_string_lossy())];
        line.extend(self.global().iter().map(|a| quote(a)));
        line.extend(["--runtime", &rt].iter().chain(args).map(|a| quote(a)));
        let mut c = Command::new("script");
        c.args(["-qec", &line.join(" "), "/dev/null"])
            .env("SHELL", "/bin/sh");
        self.envs(&mut c);
        let mut out = exec(&mut c, &self.base("script"), TIMEOUT);
        out.stdout = out.stdout.replace('\r', "");
        out
    }

    /// What the containers of this test left behind: podman containers, runtime state,
    /// libpod-<id> cgroups, conmon or container processes, mounts, busy cgroup parents.
    pub fn leaks(&self) -> Vec<String> {
        let mut l = vec![];
        let ps = self.pm(&["ps", "-a", "-q"]);
        if !ps.stdout.trim().is_empty() {
            l.push(format!("podman containers left: {}", ps.stdout.trim()));
        }
        for id in self.ids.borrow().iter() {
            // `bundle` = the whole private dir: mounts or process cwd/root/cmdline under it
            // (with a trailing slash: /tmp/husk-podman-1-1 is a prefix of …-1-10).
            l.extend(crate::common::leaks(&state_root(), id, &self.dir.join("")));
            for d in cgroup_dirs_named(&format!("libpod-{id}")) {
                l.push(format!("cgroup left: {}", d.display()));
            }
        }
        for m in mounts_under(&self.dir) {
            l.push(format!("mount left: {m}"));
        }
        for d in self.parent_dirs() {
            for e in fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                let procs = fs::read_to_string(p.join("cgroup.procs")).unwrap_or_default();
                if p.is_dir() && (e.file_name() != "conmon" || !procs.trim().is_empty()) {
                    l.push(format!(
                        "cgroup left: {} (procs {})",
                        p.display(),
                        procs.trim()
                    ));
                }
            }
        }
        l
    }

    /// Asserts nothing is left behind (waiting up to 5 s for exiting processes).
    #[track_caller]
    pub fn assert_clean(&self) {
        let start = Instant::now();
        loop {
            let l = self.leaks();
            if l.is_empty() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "left behind:\n{}",
                l.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `<mount><parent>` in every mounted cgroup hierarchy where it exists.
    fn parent_dirs(&self) -> Vec<PathBuf> {
        fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.split(" - ")
                    .nth(1)
                    .is_some_and(|r| r.starts_with("cgroup"))
            })
            .filter_map(|l| l.split(' ').nth(4))
            .map(|m| PathBuf::from(format!("{m}{}", self.parent)))
            .filter(|p| p.is_dir())
            .collect()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        self.pm(&["rm", "-a", "-f", "-t", "0"]);
        self.pm(&["rmi", "-a", "-f"]);
        for point in mounts_under(&self.dir).iter().rev() {
            let _ = Command::new("umount").args(["-l", point]).status();
        }
        for d in self.parent_dirs() {
            let _ = fs::remove_dir(d.join("conmon"));
            let _ = fs::remove_dir(&d);
        }
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
