//! Running commands with a timeout: [`exec`] (wait) and [`Spawned`] (background), their result
//! [`Out`], and the payload's `key=value` [`Report`].

use super::{kill, TIMEOUT};
use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The result of one command.
#[derive(Debug)]
pub struct Out {
    pub cmd: String,
    /// Exit code; None when killed by a signal (see `signal`) or on timeout.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    /// The runtime's --log file, for diagnostics.
    pub log: Option<PathBuf>,
}

impl Out {
    fn describe(&self) -> String {
        let log = self
            .log
            .as_ref()
            .and_then(|l| fs::read_to_string(l).ok())
            .unwrap_or_default();
        format!(
            "command: {}\nexit: {:?} signal: {:?} timed out: {}\n--- stdout\n{}\n--- stderr\n{}\n--- log\n{}",
            self.cmd, self.code, self.signal, self.timed_out, self.stdout, self.stderr, log
        )
    }

    /// Asserts success (exit 0).
    #[track_caller]
    pub fn ok(self) -> Out {
        assert!(
            self.code == Some(0),
            "expected success\n{}",
            self.describe()
        );
        self
    }

    /// Asserts a failure: non-zero exit, not a timeout, not a crash by signal.
    #[track_caller]
    pub fn fails(self) -> Out {
        assert!(!self.timed_out, "timed out\n{}", self.describe());
        assert!(
            self.code.is_some_and(|c| c != 0),
            "expected a non-zero exit\n{}",
            self.describe()
        );
        self
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(self, want: i32) -> Out {
        assert!(
            self.code == Some(want),
            "expected exit code {want}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts stderr contains each of `parts` (case-insensitive).
    #[track_caller]
    pub fn says(self, parts: &[&str]) -> Out {
        let err = self.stderr.to_lowercase();
        for p in parts {
            assert!(
                err.contains(&p.to_lowercase()),
                "stderr lacks {p:?}\n{}",
                self.describe()
            );
        }
        self
    }

    pub fn report(&self) -> Report {
        Report::parse(&self.stdout)
    }
}

/// A payload report: `key=value` lines (keys may repeat).
#[derive(Debug, Clone)]
pub struct Report(pub Vec<(String, String)>);

impl Report {
    pub fn parse(text: &str) -> Report {
        Report(
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    pub fn opt(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`; panics (showing the report) when absent.
    #[track_caller]
    pub fn get(&self, key: &str) -> &str {
        match self.opt(key) {
            Some(v) => v,
            None => panic!("report has no {key:?}:\n{self:#?}"),
        }
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `mount=` lines as (mount point, fstype, mount options, super options).
    pub fn mounts(&self) -> Vec<(String, String, String, String)> {
        self.all("mount")
            .iter()
            .map(|l| {
                let mut f = l.split(' ').map(str::to_string);
                let mut n = || f.next().unwrap_or_default();
                (n(), n(), n(), n())
            })
            .collect()
    }

    /// The last (topmost) mount at `point`: (fstype, mount options, super options).
    pub fn mount(&self, point: &str) -> Option<(String, String, String)> {
        self.mounts()
            .into_iter()
            .rev()
            .find(|m| m.0 == point)
            .map(|m| (m.1, m.2, m.3))
    }
}

/// Runs `cmd` with stdin from /dev/null and stdout/stderr into files `<base>.out`/`.err`, killing
/// its process group on timeout. The files (not pipes) let a container outlive the command.
pub fn exec(cmd: &mut Command, base: &Path, timeout: Duration) -> Out {
    let (o, e) = (base.with_extension("out"), base.with_extension("err"));
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&o).expect("create stdout file"))
        .stderr(fs::File::create(&e).expect("create stderr file"))
        .process_group(0);
    let text = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {text}: {err}"));
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            // SAFETY: kill(2) on the process group we made for this child.
            unsafe { kill(-(child.id() as i32), 9) };
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(
            if start.elapsed() < Duration::from_millis(100) {
                2
            } else {
                20
            },
        ));
    };
    Out {
        cmd: text,
        code: if timed_out { None } else { status.code() },
        signal: status.signal(),
        timed_out,
        stdout: fs::read_to_string(&o).unwrap_or_default(),
        stderr: fs::read_to_string(&e).unwrap_or_default(),
        log: None,
    }
}

/// A command started in the background by [`Test::spawn`]; finish it with [`Spawned::wait`].
pub struct Spawned {
    pub child: std::process::Child,
    pub cmd: String,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub log: Option<PathBuf>,
}

impl Spawned {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// What it wrote to stdout so far.
    pub fn stdout_now(&self) -> String {
        fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Sends `sig` to the process.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) of our own child.
        unsafe { kill(self.pid(), sig) };
    }

    /// Waits for it (killing its process group after [`TIMEOUT`]).
    pub fn wait(mut self) -> Out {
        let start = Instant::now();
        let mut timed_out = false;
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                break st;
            }
            if start.elapsed() > TIMEOUT {
                timed_out = true;
                // SAFETY: kill(2) on the process group we made for this child.
                unsafe { kill(-self.pid(), 9) };
                break self.child.wait().expect("wait after kill");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Out {
            cmd: self.cmd,
            code: if timed_out { None } else { status.code() },
            signal: status.signal(),
            timed_out,
            stdout: fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: fs::read_to_string(&self.stderr).unwrap_or_default(),
            log: self.log,
        }
    }
}
