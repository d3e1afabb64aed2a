//! A private containerd for one test: its own config.toml, root, state dir and gRPC socket under
//! a temp dir, its own namespace (so the containers' cgroups, `/<ns>/<id>`, are the test's alone),
//! the test image imported from an OCI archive built from the harness's rootfs, and a Drop guard
//! that stops it and removes everything it and its shims left, also when the test fails.
//!
//! Startup (config written, server ready, image imported) takes about 0.2 s here, so every test
//! gets its own containerd and the tests run in parallel.

use crate::common::{self, exec, mounts_under, rootfs_cache, runtime, Out, TIMEOUT};
use std::cell::{Cell, RefCell};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The name the OCI archive gives the image (annotation io.containerd.image.name).
pub const IMAGE: &str = "docker.io/library/husk-test:latest";

/// Where containerd 1.6's shims put their sockets, whatever containerd's own state dir:
/// `/run/containerd/s/<sha256 of "<address>/<ns>/<id>">` (hard-coded in the shim).
const SHIM_SOCKETS: &str = "/run/containerd/s";

extern "C" {
    fn umount2(target: *const std::ffi::c_char, flags: i32) -> i32;
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A program on $PATH, if there.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

/// Why containerd tests cannot run here, if they cannot.
pub fn skip_reason() -> Option<String> {
    if let Some(why) = common::skip_reason() {
        return Some(why);
    }
    for bin in ["containerd", "ctr", "containerd-shim-runc-v2"] {
        if which(bin).is_none() {
            return Some(format!("{bin} not found (apt-get install containerd)"));
        }
    }
    for bin in ["tar", "sha256sum"] {
        if which(bin).is_none() {
            return Some(format!("{bin} not found (it builds the test image)"));
        }
    }
    None
}

/// sha256 (hex) of a file, with the coreutils tool (the tests have no dependencies).
fn sha256(f: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(f)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success(), "sha256sum {}", f.display());
    String::from_utf8_lossy(&out.stdout)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Moves `f` into the layout's blob store under its digest; returns (digest, size).
fn blob(dir: &Path, f: &Path) -> (String, u64) {
    let (sum, size) = (sha256(f), fs::metadata(f).expect("blob size").len());
    fs::rename(f, dir.join("blobs/sha256").join(&sum)).expect("move blob");
    (format!("sha256:{sum}"), size)
}

/// The OCI architecture name of this machine (image-spec config.md).
fn oci_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        a => a,
    }
}

/// An OCI image layout archive (image-spec image-layout.md) of the harness's rootfs: one
/// uncompressed layer, a config, a manifest and index.json. Built once per test binary next to
/// the rootfs cache (the key there changes with busybox or the payload).
pub fn image_archive() -> &'static Path {
    static A: OnceLock<PathBuf> = OnceLock::new();
    A.get_or_init(|| {
        let rootfs = rootfs_cache();
        let out = rootfs.with_file_name("oci-image.tar");
        if out.exists() {
            return out;
        }
        let tmp = rootfs.with_file_name(format!("oci-tmp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(tmp.join("blobs/sha256")).expect("mkdir oci layout");
        let layer = tmp.join("layer.tar");
        let st = Command::new("tar")
            .args(["--numeric-owner", "--exclude=./.complete", "-C"])
            .arg(rootfs)
            .arg("-cf")
            .arg(&layer)
            .arg(".")
            .status()
            .expect("run tar");
        assert!(st.success(), "tar of the rootfs failed");
        // Uncompressed layer: its digest is also the config's diff_id.
        let (ld, ls) = blob(&tmp, &layer);
        let cfg = tmp.join("config.json");
        fs::write(
            &cfg,
            format!(
                r#"{{"architecture":"{}","os":"linux","config":{{"Env":["PATH=/bin:/usr/bin:/sbin:/usr/sbin"],"Cmd":["/bin/sh"],"WorkingDir":"/"}},"rootfs":{{"type":"layers","diff_ids":["{ld}"]}}}}"#,
                oci_arch()
            ),
        )
        .expect("write image config");
        let (cd, cs) = blob(&tmp, &cfg);
        let man = tmp.join("manifest.json");
        fs::write(
            &man,
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{cs}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{ld}","size":{ls}}}]}}"#
            ),
        )
        .expect("write manifest");
        let (md, ms) = blob(&tmp, &man);
        fs::write(
            tmp.join("index.json"),
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{ms},"annotations":{{"io.containerd.image.name":"{IMAGE}","org.opencontainers.image.ref.name":"latest"}}}}]}}"#
            ),
        )
        .expect("write index.json");
        fs::write(tmp.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("write oci-layout");
        let part = tmp.with_extension("tar");
        let st = Command::new("tar")
            .arg("-C")
            .arg(&tmp)
            .arg("-cf")
            .arg(&part)
            .args(["oci-layout", "index.json", "blobs"])
            .status()
            .expect("run tar");
        assert!(st.success(), "tar of the OCI layout failed");
        // Another test binary may have won the race: the result is the same.
        fs::rename(&part, &out).expect("move the OCI archive in place");
        let _ = fs::remove_dir_all(&tmp);
        out
    })
}

/// A running private containerd (see the module doc).
pub struct Ctrd {
    pub name: String,
    pub dir: PathBuf,
    /// The containerd namespace of this test (unique: it names the cgroup parent too).
    pub ns: String,
    pub sock: PathBuf,
    /// The runtime's --root for this namespace (`ctr run --runc-root` + `/<ns>`).
    pub runc_root: PathBuf,
    child: RefCell<Option<Child>>,
    n: Cell<u32>,
    /// Container ids used, for the shim-socket check and cleanup.
    ids: RefCell<Vec<String>>,
}

impl Ctrd {
    /// Starts containerd, waits until it answers and imports the test image; None (printed)
    /// when the host cannot run it.
    pub fn start() -> Option<Ctrd> {
        let thread = std::thread::current().name().unwrap_or("test").to_string();
        if let Some(why) = skip_reason() {
            eprintln!("SKIP {thread}: {why}");
            return None;
        }
        let t0 = Instant::now();
        let ns = format!(
            "husk-ctrd-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join("husk-test").join(&ns);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("fifo")).expect("mkdir containerd test dir");
        let sock = dir.join("containerd.sock");
        let d = dir.display();
        // A private instance: no CRI (it would want CNI and a sandbox image), nothing on TCP.
        let config = format!(
            r#"version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
"#
        );
        fs::write(dir.join("config.toml"), config).expect("write config.toml");
        let archive = image_archive();
        let log = fs::File::create(dir.join("containerd.log")).expect("create containerd.log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(dir.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("spawn containerd");
        let c = Ctrd {
            name: thread,
            runc_root: dir.join("runc").join(&ns),
            dir,
            ns,
            sock,
            child: RefCell::new(Some(child)),
            n: Cell::new(0),
            ids: RefCell::new(vec![]),
        };
        loop {
            if c.sock.exists() && c.ctr(&["version"]).code == Some(0) {
                break;
            }
            if let Ok(Some(st)) = c
                .child
                .borrow_mut()
                .as_mut()
                .map_or(Ok(None), Child::try_wait)
            {
                panic!("containerd exited ({st}):\n{}", c.server_log());
            }
            assert!(
                t0.elapsed() < TIMEOUT,
                "containerd not ready:\n{}",
                c.server_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let a = archive.to_string_lossy().into_owned();
        c.ctr(&["images", "import", &a]).ok();
        eprintln!(
            "{}: containerd ready with the image in {:?}",
            c.name,
            t0.elapsed()
        );
        Some(c)
    }

    pub fn server_log(&self) -> String {
        fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    fn base(&self, what: &str) -> PathBuf {
        self.n.set(self.n.get() + 1);
        self.dir.join(format!("ctr{}-{what}", self.n.get()))
    }

    /// `ctr -a SOCK -n NS`, to add arguments to.
    pub fn ctr_cmd(&self) -> Command {
        let mut c = Command::new("ctr");
        c.arg("-a").arg(&self.sock).arg("-n").arg(&self.ns);
        c
    }

    /// `ctr -a SOCK -n NS ARGS…` with the harness's timeout.
    pub fn ctr(&self, args: &[&str]) -> Out {
        let mut c = self.ctr_cmd();
        c.args(args);
        let mut out = exec(&mut c, &self.base(args.first().unwrap_or(&"ctr")), TIMEOUT);
        // Failures show containerd's log, where the shim's and runtime's errors end up.
        out.log = Some(self.dir.join("containerd.log"));
        out
    }

    /// Notes a container id (for the leak checks and cleanup).
    pub fn uses(&self, id: &str) {
        self.ids.borrow_mut().push(id.to_string());
    }

    /// The flags that make `ctr run` use the runtime under test with a private root and fifos.
    pub fn runtime_flags(&self) -> Vec<String> {
        vec![
            "--runc-binary".into(),
            runtime().to_string_lossy().into_owned(),
            "--runc-root".into(),
            self.dir.join("runc").to_string_lossy().into_owned(),
            "--fifo-dir".into(),
            self.fifo_dir(),
        ]
    }

    pub fn fifo_dir(&self) -> String {
        self.dir.join("fifo").to_string_lossy().into_owned()
    }

    /// `ctr run [runtime flags] OPTS… IMAGE ID ARGS…`.
    pub fn run(&self, opts: &[&str], id: &str, args: &[&str]) -> Out {
        self.uses(id);
        let flags = self.runtime_flags();
        let mut a: Vec<&str> = vec!["run"];
        a.extend(flags.iter().map(String::as_str));
        a.extend_from_slice(opts);
        a.push(IMAGE);
        a.push(id);
        a.extend_from_slice(args);
        self.ctr(&a)
    }

    /// The task's status as `ctr task ls` shows it (RUNNING, PAUSED, STOPPED…), "" if none.
    pub fn status(&self, id: &str) -> String {
        let out = self.ctr(&["task", "ls"]).ok();
        out.stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.first() == Some(&id))
            .and_then(|f| f.get(2).map(|s| s.to_string()))
            .unwrap_or_default()
    }

    /// Polls `ctr task ls` until the task's status is `want` (fails after 10 s).
    #[track_caller]
    pub fn wait_status(&self, id: &str, want: &str) {
        let start = Instant::now();
        loop {
            let s = self.status(id);
            if s == want {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "task {id} stayed {s:?}, wanted {want:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The container's cgroup directory in the v1 hierarchy `ctrl` (or the v2 one for "").
    pub fn cgroup_dir(&self, ctrl: &str, id: &str) -> Option<PathBuf> {
        cgroup_roots()
            .into_iter()
            .find(|(_, c)| c == ctrl)
            .map(|(m, _)| m.join(&self.ns).join(id))
    }

    fn containerd_pid(&self) -> Option<i32> {
        let mut c = self.child.borrow_mut();
        let ch = c.as_mut()?;
        match ch.try_wait() {
            Ok(None) => Some(ch.id() as i32),
            _ => None,
        }
    }

    /// What this test's containers left behind right now: runtime state, mounts, processes in
    /// the namespace's cgroups or naming the test dir (the shims), cgroups, shim sockets.
    pub fn leaks_now(&self) -> Vec<String> {
        let mut out = vec![];
        for e in fs::read_dir(&self.runc_root)
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(format!("runtime state left: {}", e.path().display()));
        }
        for m in mounts_under(&self.dir) {
            out.push(format!("mount left: {m}"));
        }
        let d = self.dir.to_string_lossy().into_owned();
        let in_ns = format!(":/{}/", self.ns);
        let me = std::process::id() as i32;
        let server = self.containerd_pid();
        for pid in pids() {
            if pid == me || Some(pid) == server {
                continue;
            }
            let cg = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
            let cmd = common::cmdline(pid);
            if cg.contains(&in_ns) || cmd.contains(&d) {
                out.push(format!("process {pid} left: {cmd}"));
            }
        }
        for (mount, _) in cgroup_roots() {
            for e in fs::read_dir(mount.join(&self.ns))
                .into_iter()
                .flatten()
                .flatten()
            {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(format!("cgroup left: {}", e.path().display()));
                }
            }
        }
        for s in self.shim_sockets() {
            if s.exists() {
                out.push(format!("shim socket left: {}", s.display()));
            }
        }
        out
    }

    /// [`Ctrd::leaks_now`], waiting up to 5 s for exiting processes.
    pub fn leaks(&self) -> Vec<String> {
        crate::common::settle(|| self.leaks_now())
    }

    /// Asserts containerd knows no task or container any more and nothing is left behind, then
    /// stops containerd and asserts again (its shims must be gone with their tasks).
    #[track_caller]
    pub fn assert_clean(&self) {
        let tasks = self.ctr(&["task", "ls", "-q"]).ok().stdout;
        assert!(tasks.trim().is_empty(), "tasks left: {tasks}");
        let cs = self.ctr(&["containers", "ls", "-q"]).ok().stdout;
        assert!(cs.trim().is_empty(), "containers left: {cs}");
        let l = self.leaks();
        assert!(l.is_empty(), "left behind:\n{}", l.join("\n"));
        self.stop();
        let l = self.leaks();
        assert!(
            l.is_empty(),
            "left behind after containerd stopped:\n{}",
            l.join("\n")
        );
    }

    fn shim_sockets(&self) -> Vec<PathBuf> {
        let f = self.dir.join("shim-address");
        self.ids
            .borrow()
            .iter()
            .filter_map(|id| {
                let key = format!("{}/{}/{id}", self.sock.display(), self.ns);
                fs::write(&f, key).ok()?;
                Some(Path::new(SHIM_SOCKETS).join(sha256(&f)))
            })
            .collect()
    }

    /// Stops containerd: SIGTERM, then SIGKILL after 5 s.
    pub fn stop(&self) {
        let Some(mut ch) = self.child.borrow_mut().take() else {
            return;
        };
        // SAFETY: kill(2) of the containerd this test started (not yet reaped).
        unsafe { common::kill(ch.id() as i32, 15) };
        let start = Instant::now();
        while matches!(ch.try_wait(), Ok(None)) {
            if start.elapsed() > Duration::from_secs(5) {
                let _ = ch.kill();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = ch.wait();
    }

    /// Best-effort removal of everything (the Drop guard): tasks and containers through ctr,
    /// containerd, leftover shims and container processes, runtime state, mounts, cgroups,
    /// shim sockets, and the temp dir (kept when the test failed).
    fn cleanup(&self) {
        if self.containerd_pid().is_some() {
            let short = Duration::from_secs(5);
            let ctr = |args: &[&str]| {
                let mut c = self.ctr_cmd();
                c.args(args);
                exec(&mut c, &self.base("cleanup"), short)
            };
            let tasks = ctr(&["task", "ls", "-q"]).stdout;
            for id in tasks.lines().filter(|l| !l.is_empty()) {
                ctr(&["task", "kill", "-a", "-s", "KILL", id]);
                ctr(&["task", "delete", "-f", id]);
            }
            for id in ctr(&["containers", "ls", "-q"]).stdout.lines() {
                if !id.is_empty() {
                    ctr(&["containers", "rm", id]);
                }
            }
        }
        self.stop();
        let d = self.dir.to_string_lossy().into_owned();
        let in_ns = format!(":/{}/", self.ns);
        for pid in pids() {
            let cg = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
            if pid != std::process::id() as i32
                && (cg.contains(&in_ns) || common::cmdline(pid).contains(&d))
            {
                // SAFETY: kill(2) of a shim or container process of this test's namespace.
                unsafe { common::kill(pid, 9) };
            }
        }
        for e in fs::read_dir(&self.runc_root)
            .into_iter()
            .flatten()
            .flatten()
        {
            let mut c = Command::new(runtime());
            c.arg("--root")
                .arg(&self.runc_root)
                .args(["delete", "--force"])
                .arg(e.file_name());
            exec(&mut c, &self.base("cleanup-delete"), Duration::from_secs(5));
        }
        for point in mounts_under(&self.dir).iter().rev() {
            let c = std::ffi::CString::new(point.as_str()).unwrap_or_default();
            // SAFETY: c is a valid C string; MNT_DETACH (2) of a mount under our own temp dir.
            unsafe { umount2(c.as_ptr(), 2) };
        }
        for (mount, _) in cgroup_roots() {
            rmdir_tree(&mount.join(&self.ns));
        }
        for s in self.shim_sockets() {
            let _ = fs::remove_file(s);
        }
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.dir.display());
        } else if mounts_under(&self.dir).is_empty() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Drop for Ctrd {
    fn drop(&mut self) {
        self.cleanup();
    }
}

fn pids() -> Vec<i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Mounted cgroup hierarchies: (mount point, key) where the key is the v1 controller list
/// (or `name=X`) and "" for cgroup2.
pub fn cgroup_roots() -> Vec<(PathBuf, String)> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let mnt = pre.split(' ').nth(4)?;
            let mut f = post.split(' ');
            let fstype = f.next()?;
            let opts = f.nth(1)?;
            let key = match fstype {
                "cgroup2" => String::new(),
                "cgroup" => opts
                    .split(',')
                    .filter(|o| !matches!(*o, "rw" | "ro" | "relatime") && !o.contains("agent"))
                    .collect::<Vec<_>>()
                    .join(","),
                _ => return None,
            };
            Some((PathBuf::from(mnt), key))
        })
        .collect()
}

/// rmdir of a cgroup tree, children first (a cgroup dir holds only the kernel's files).
fn rmdir_tree(dir: &Path) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            rmdir_tree(&e.path());
        }
    }
    let _ = fs::remove_dir(dir);
}
