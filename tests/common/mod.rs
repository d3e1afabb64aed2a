//! The shared harness of husk's integration tests (no dev-dependencies).
//!
//! - The runtime under test is `$HUSK_TEST_RUNTIME` if set (e.g. `/usr/sbin/runc`, to check the
//!   tests themselves), else the husk binary cargo built.
//! - A rootfs (busybox-static with its applet symlinks, plus the test payload as `/payload`, see
//!   examples/payload.rs) is built once per test binary and cached under
//!   `<target>/test-rootfs/<key>`, where the key changes when busybox or the payload changes.
//!   Each bundle gets its own copy (hard links where possible) in a fresh temp dir.
//! - Each [`Test`] has its own `--root` (under /run/husk-test), container id and temp dir, so tests
//!   run in parallel; every command runs with a timeout and is killed when it hangs.
//! - Leak checks ([`leaks`], [`Test::assert_clean`]): no state dir, no mount, no process, no cgroup
//!   left behind.
//!
//! A test is a few lines (`tests/foo.rs` starts with `#[macro_use] mod common;`):
//! ```ignore
//! #[test]
//! fn hostname() {
//!     let t = ctx!(); // skips, with the reason printed, when not root or without busybox
//!     let r = t.run(&Spec::payload(&["report"]).hostname("box")).ok().report();
//!     assert_eq!(r.get("hostname"), "box");
//!     t.assert_clean(); // nothing left behind
//! }
//! ```
//! Fields the [`Spec`] builder has no setter for go in raw: `Spec::process_raw(r#""noNewPrivileges":
//! true"#)`, `linux_raw(..)`, `top_raw(..)`. Lifecycle by hand: `t.create(&spec)`, `t.start()`,
//! `t.state()`, `t.kill("KILL")`, `t.wait_status("stopped")`, `t.delete()`, `t.output()` (what the
//! container printed), `t.rt(&[..])` for any other command.
#![allow(dead_code, unused_imports)]

pub mod exec;
pub mod json;
pub mod leaks;
pub mod rootfs;
pub mod spec;

pub use exec::{exec, Out, Report, Spawned};
pub use json::Json;
pub use leaks::{cgroup_dirs_named, cmdline, host_ns, leaks, mounts_under, settle, start_time};
pub use rootfs::{copy_tree, example, payload, rootfs_cache};
pub use spec::Spec;

use rootfs::busybox;
use std::cell::{Cell, RefCell};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one runtime command may take before it is killed and the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

extern "C" {
    pub(crate) fn kill(pid: i32, sig: i32) -> i32;
    fn umount2(target: *const std::ffi::c_char, flags: i32) -> i32;
    fn geteuid() -> u32;
}

/// A `Test` for the current test, or an early `return` (skip, with the reason printed).
#[macro_export]
macro_rules! ctx {
    () => {
        match $crate::common::Test::new() {
            Some(t) => t,
            None => return,
        }
    };
}

/// The runtime under test: `$HUSK_TEST_RUNTIME`, else the husk binary of this build.
pub fn runtime() -> PathBuf {
    match std::env::var_os("HUSK_TEST_RUNTIME") {
        Some(p) if !p.is_empty() => p.into(),
        _ => env!("CARGO_BIN_EXE_husk").into(),
    }
}

/// True when the runtime under test is husk (some expectations are husk-only).
pub fn is_husk() -> bool {
    runtime()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("husk"))
}

/// Why this host cannot run the tests, if it cannot.
pub fn skip_reason() -> Option<String> {
    // SAFETY: geteuid cannot fail.
    if unsafe { geteuid() } != 0 {
        return Some("needs root".into());
    }
    if !busybox().exists() {
        return Some(format!(
            "{} missing (apt-get install busybox-static)",
            busybox().display()
        ));
    }
    None
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// One test's world: its own runtime root, container id, temp dir and bundle.
pub struct Test {
    pub name: String,
    pub id: String,
    /// The runtime's --root.
    pub root: PathBuf,
    /// The temp dir holding the bundle, command outputs, log and pid file.
    pub dir: PathBuf,
    pub bundle: PathBuf,
    pub log: PathBuf,
    pub pid_file: PathBuf,
    n: Cell<u32>,
    create_out: RefCell<Option<PathBuf>>,
    /// (pid, start time) of container processes seen, for the leak check and cleanup.
    pids: RefCell<Vec<(i32, u64)>>,
}

impl Test {
    /// A fresh test world named after the current test (thread), or None (printed) to skip.
    pub fn new() -> Option<Test> {
        let thread = std::thread::current().name().unwrap_or("test").to_string();
        if let Some(why) = skip_reason() {
            eprintln!("SKIP {thread}: {why}");
            return None;
        }
        let short: String = thread
            .rsplit("::")
            .next()
            .unwrap_or("test")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let id = format!(
            "{short}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join("husk-test").join(&id);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir test dir");
        rootfs_cache();
        Some(Test {
            name: thread,
            root: PathBuf::from("/run/husk-test").join(&id),
            bundle: dir.join("bundle"),
            log: dir.join("runtime.log"),
            pid_file: dir.join("container.pid"),
            dir,
            id,
            n: Cell::new(0),
            create_out: RefCell::new(None),
            pids: RefCell::new(vec![]),
        })
    }

    fn next_base(&self, what: &str) -> PathBuf {
        self.n.set(self.n.get() + 1);
        self.dir.join(format!(
            "cmd{}-{}",
            self.n.get(),
            what.trim_start_matches('-')
        ))
    }

    /// `RUNTIME --root R GLOBAL… ARGS…` (no --log unless in `global`).
    pub fn rt_global(&self, global: &[&str], args: &[&str]) -> Out {
        let mut c = Command::new(runtime());
        c.arg("--root").arg(&self.root).args(global).args(args);
        let mut out = exec(
            &mut c,
            &self.next_base(args.first().unwrap_or(&"none")),
            TIMEOUT,
        );
        out.log = global
            .windows(2)
            .find(|w| w[0] == "--log")
            .map(|w| PathBuf::from(w[1]));
        out
    }

    /// Starts `RUNTIME --root R --log L ARGS…` in the background (its own process group).
    pub fn spawn(&self, args: &[&str]) -> Spawned {
        let base = self.next_base(args.first().unwrap_or(&"none"));
        let (o, e) = (base.with_extension("out"), base.with_extension("err"));
        let mut c = Command::new(runtime());
        c.arg("--root")
            .arg(&self.root)
            .arg("--log")
            .arg(&self.log)
            .args(args);
        c.stdin(Stdio::null())
            .stdout(fs::File::create(&o).expect("create stdout file"))
            .stderr(fs::File::create(&e).expect("create stderr file"))
            .process_group(0);
        let cmd = format!("{c:?}");
        let child = c.spawn().unwrap_or_else(|err| panic!("spawn {cmd}: {err}"));
        Spawned {
            child,
            cmd,
            stdout: o,
            stderr: e,
            log: Some(self.log.clone()),
        }
    }

    /// `RUNTIME --root R --log L ARGS…`.
    pub fn rt(&self, args: &[&str]) -> Out {
        let log = self.log.to_string_lossy().into_owned();
        self.rt_global(&["--log", &log], args)
    }

    /// Writes the bundle: a rootfs copy (once) and config.json from `spec`.
    pub fn bundle(&self, spec: &Spec) -> &Path {
        self.config(&spec.to_json())
    }

    /// Writes the bundle with this raw config.json text.
    pub fn config(&self, text: &str) -> &Path {
        let rootfs = self.bundle.join("rootfs");
        if !rootfs.exists() {
            copy_tree(rootfs_cache(), &rootfs);
        }
        fs::write(self.bundle.join("config.json"), text).expect("write config.json");
        &self.bundle
    }

    fn bundle_str(&self) -> String {
        self.bundle.to_string_lossy().into_owned()
    }

    /// `run --bundle B ID` (foreground) with `spec`.
    pub fn run(&self, spec: &Spec) -> Out {
        self.bundle(spec);
        self.rt(&["run", "--bundle", &self.bundle_str(), &self.id])
    }

    /// `create --bundle B --pid-file P ID` with `spec`; the container's output goes to
    /// [`Test::output`].
    pub fn create(&self, spec: &Spec) -> Out {
        self.bundle(spec);
        self.create_raw(&[])
    }

    /// `create --bundle B --pid-file P EXTRA… ID` on the bundle as it is.
    pub fn create_raw(&self, extra: &[&str]) -> Out {
        let pid_file = self.pid_file.to_string_lossy().into_owned();
        let mut args = vec![
            "create",
            "--bundle",
            self.bundle.to_str().unwrap_or(""),
            "--pid-file",
            &pid_file,
        ];
        args.extend_from_slice(extra);
        args.push(&self.id);
        let out = self.rt(&args);
        *self.create_out.borrow_mut() =
            Some(self.dir.join(format!("cmd{}-create.out", self.n.get())));
        if let Ok(pid) = fs::read_to_string(&self.pid_file)
            .unwrap_or_default()
            .trim()
            .parse()
        {
            self.track(pid);
        }
        out
    }

    /// Remembers a container pid (with its start time) for the leak check and cleanup.
    pub fn track(&self, pid: i32) {
        if let Some(t) = start_time(pid) {
            self.pids.borrow_mut().push((pid, t));
        }
    }

    pub fn start(&self) -> Out {
        self.rt(&["start", &self.id])
    }
    pub fn kill(&self, sig: &str) -> Out {
        self.rt(&["kill", &self.id, sig])
    }
    pub fn delete(&self) -> Out {
        self.rt(&["delete", &self.id])
    }

    /// `state ID`, asserted successful and parsed.
    #[track_caller]
    pub fn state(&self) -> Json {
        let out = self.rt(&["state", &self.id]).ok();
        Json::parse(&out.stdout)
            .unwrap_or_else(|e| panic!("state output is not JSON ({e}):\n{}", out.stdout))
    }

    #[track_caller]
    pub fn status(&self) -> String {
        self.state()
            .get("status")
            .and_then(Json::str)
            .unwrap_or("")
            .to_string()
    }

    /// Polls `state` until the status is `want` (fails after 10 s).
    #[track_caller]
    pub fn wait_status(&self, want: &str) {
        let start = Instant::now();
        loop {
            let s = self.status();
            if s == want {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "status stayed {s:?}, wanted {want:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What the container wrote to its stdout (create's stdout, which it inherits).
    pub fn output(&self) -> String {
        self.create_out
            .borrow()
            .as_ref()
            .and_then(|p| fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    pub fn report(&self) -> Report {
        Report::parse(&self.output())
    }

    /// What is left behind by this test's container right now (empty when clean).
    pub fn leaks_now(&self) -> Vec<String> {
        let mut l = leaks(&self.root, &self.id, &self.bundle);
        for &(pid, t) in self.pids.borrow().iter() {
            if start_time(pid) == Some(t) {
                l.push(format!(
                    "container process {pid} still alive: {}",
                    cmdline(pid)
                ));
            }
        }
        l
    }

    /// What is left behind by this test's container, waiting up to 5 s for exiting processes.
    pub fn leaks(&self) -> Vec<String> {
        crate::common::settle(|| self.leaks_now())
    }

    /// Asserts nothing is left behind: state dir, mounts, processes, cgroups.
    #[track_caller]
    pub fn assert_clean(&self) {
        let l = self.leaks();
        assert!(
            l.is_empty(),
            "left behind by {}:\n{}",
            self.id,
            l.join("\n")
        );
    }
}

impl Drop for Test {
    fn drop(&mut self) {
        if self.root.join(&self.id).exists() {
            let mut c = Command::new(runtime());
            c.arg("--root")
                .arg(&self.root)
                .args(["delete", "--force", &self.id]);
            exec(
                &mut c,
                &self.dir.join("cleanup-delete"),
                Duration::from_secs(5),
            );
        }
        for &(pid, t) in self.pids.borrow().iter() {
            if start_time(pid) == Some(t) {
                // SAFETY: kill(2) of a container process this test started (start time checked).
                unsafe { kill(pid, 9) };
            }
        }
        let mut left = 0;
        for point in mounts_under(&self.dir).iter().rev() {
            let c = std::ffi::CString::new(point.as_str()).unwrap_or_default();
            // SAFETY: c is a valid C string; MNT_DETACH (2) of a mount under our own temp dir.
            if unsafe { umount2(c.as_ptr(), 2) } != 0 {
                left += 1;
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "kept {} for inspection (root {})",
                self.dir.display(),
                self.root.display()
            );
        } else if left == 0 && mounts_under(&self.dir).is_empty() {
            let _ = fs::remove_dir_all(&self.dir);
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}
