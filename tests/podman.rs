//! husk as podman's OCI runtime: the real podman (4.3 on Debian 12) and conmon drive the runtime
//! under test (`podman --runtime <husk>`), and every scenario checks what the container sees.
//!
//! Each test has its own private podman world (tests/podman/world.rs): nothing touches the host's
//! podman state, tests run in parallel, and each ends with a leak check (no podman container,
//! runtime state, cgroup, conmon, container process or mount left). The image is the harness's
//! busybox+payload rootfs, `podman import`ed (no registry is reachable). Skips, with the reason
//! printed, when not root or when podman is not installed. `HUSK_TEST_RUNTIME=/usr/sbin/runc`
//! runs the same tests against runc.
//!
//! Observed on this host (podman 4.3.1, conmon 2.1.6): podman never passes --root (husk uses
//! /run/husk); a runtime given by path is named after its file and, not being in podman's
//! runtime_supports_json list, gets no --log flags; `update --resources=FILE` comes joined.
#[macro_use]
mod common;

/// The private podman world of each test.
#[path = "podman/world.rs"]
mod world;

use common::*;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};
use world::{Podman, IMAGE};

macro_rules! podman {
    () => {
        podman!("")
    };
    ($engine:expr) => {
        match Podman::new($engine) {
            Some(p) => p,
            None => return,
        }
    };
}

#[test]
fn run_output_and_exit_code() {
    let p = podman!();
    let r = p
        .run(&["--rm", "--hostname", "pod-box"], &["/payload", "report"])
        .ok()
        .report();
    assert_eq!(r.get("pid"), "1");
    assert_eq!(r.get("hostname"), "pod-box");
    assert_eq!(r.get("env.container"), "podman");
    // The lowered default ulimits of the private containers.conf reach the process.
    assert_eq!(r.get("rlimit.NOFILE"), "1024 1024");
    p.run(&["--rm"], &["/payload", "exit", "3"]).code(3);
    let out = p
        .run(&["--rm"], &["sh", "-c", "echo to-out; echo to-err >&2"])
        .ok();
    assert!(
        out.stdout.contains("to-out") && !out.stdout.contains("to-err"),
        "{out:?}"
    );
    assert!(out.stderr.contains("to-err"), "{out:?}");
    p.assert_clean();
}

#[test]
fn detached_ps_stop_rm() {
    let p = podman!();
    // SIGTERM ends this one with status 9: `stop` must deliver `kill ID 15`.
    let trap = "trap 'exit 9' TERM; while :; do sleep 0.1; done";
    let id = p.run_d(&[], &["sh", "-c", trap]);
    assert_eq!(p.inspect(&id, "{{.State.Status}}"), "running");
    let ps = p
        .pm(&["ps", "--no-trunc", "--format", "{{.ID}} {{.Status}}"])
        .ok();
    assert!(ps.stdout.contains(&format!("{id} Up")), "{}", ps.stdout);
    let pid: i32 = p.inspect(&id, "{{.State.Pid}}").parse().expect("pid");
    let cg = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    assert!(cg.contains(&format!("{}/libpod-{id}", p.parent)), "{cg}");
    let t = Instant::now();
    p.pm(&["stop", "-t", "15", &id]).ok();
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "stop waited for the timeout"
    );
    assert_eq!(p.inspect(&id, "{{.State.ExitCode}}"), "9");
    let ps = p
        .pm(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}}"])
        .ok();
    assert!(
        ps.stdout.contains(&format!("{id} Exited (9)")),
        "{}",
        ps.stdout
    );
    p.pm(&["rm", &id]).ok();
    // PID 1 without a TERM handler ignores SIGTERM: stop falls back to `kill ID 9`.
    let id = p.run_d(&[], &["/payload", "sleep", "60"]);
    p.pm(&["stop", "-t", "1", &id]).ok();
    assert_eq!(p.inspect(&id, "{{.State.ExitCode}}"), "137");
    p.pm(&["rm", &id]).ok();
    assert!(p.pm(&["ps", "-a", "-q"]).ok().stdout.trim().is_empty());
    p.assert_clean();
}

#[test]
fn exec_in_running_container() {
    let p = podman!();
    let id = p.run_d(&["--env", "FROM_RUN=1"], &["/payload", "sleep", "60"]);
    let out = p.pm(&["exec", &id, "/payload", "report"]).ok();
    let r = out.report();
    assert_ne!(r.get("pid"), "1");
    assert_eq!(r.get("env.FROM_RUN"), "1");
    // Same namespaces as the container's init.
    let same = "for n in pid mnt uts ipc net cgroup; do \
                [ \"$(readlink /proc/1/ns/$n)\" = \"$(readlink /proc/self/ns/$n)\" ] || echo differ $n; done";
    let out = p.pm(&["exec", &id, "sh", "-c", same]).ok();
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    p.pm(&["exec", &id, "/payload", "exit", "42"]).code(42);
    let args = [
        "exec",
        "--user",
        "1000:1001",
        "--workdir",
        "/tmp",
        "--env",
        "X=y z",
    ];
    let r = p
        .pm(&[&args[..], &[&id, "/payload", "report"]].concat())
        .ok()
        .report();
    assert_eq!((r.get("uid"), r.get("gid")), ("1000", "1001"));
    assert_eq!((r.get("cwd"), r.get("env.X")), ("/tmp", "y z"));
    // exec -d: podman returns at once, the process runs on (podman top lists it).
    p.pm(&["exec", "-d", &id, "/payload", "sleep", "33"]).ok();
    let top = p.pm(&["top", &id, "args"]).ok();
    assert!(top.stdout.contains("sleep 33"), "{}", top.stdout);
    // A missing program: podman's "not found" class (exit 127), as with runc.
    let out = p.pm(&["exec", &id, "/nonexistent"]).code(127);
    assert!(out.stderr.contains("no such file or directory"), "{out:?}");
    p.pm(&["rm", "-f", "-t", "0", &id]).ok();
    p.assert_clean();
}

#[test]
fn pause_unpause() {
    let p = podman!();
    let count = "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done";
    let id = p.run_d(&[], &["sh", "-c", count]);
    let pid: i32 = p.inspect(&id, "{{.State.Pid}}").parse().expect("pid");
    // The counter, read from the host through the container's root.
    let n = || fs::read_to_string(format!("/proc/{pid}/root/tmp/n")).unwrap_or_default();
    std::thread::sleep(Duration::from_millis(200));
    p.pm(&["pause", &id]).ok();
    assert_eq!(p.inspect(&id, "{{.State.Status}}"), "paused");
    let frozen = n();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(n(), frozen, "the counter ran on while paused");
    p.pm(&["unpause", &id]).ok();
    assert_eq!(p.inspect(&id, "{{.State.Status}}"), "running");
    std::thread::sleep(Duration::from_millis(400));
    assert_ne!(n(), frozen, "the counter stayed frozen after unpause");
    p.pm(&["exec", &id, "true"]).ok();
    p.pm(&["rm", "-f", "-t", "0", &id]).ok();
    p.assert_clean();
}

/// The memory limit as the container reads it (cgroup v2 memory.max, else v1).
const READ_LIMIT: &str = "cat /sys/fs/cgroup/memory.max 2>/dev/null || \
                          cat /sys/fs/cgroup/memory/memory.limit_in_bytes";

#[test]
fn memory_limit_visible_inside_and_update() {
    let p = podman!();
    let out = p
        .run(&["--rm", "--memory", "64m"], &["sh", "-c", READ_LIMIT])
        .ok();
    assert_eq!(out.stdout.trim(), "67108864");
    // podman update → `husk update --resources=FILE ID`.
    let id = p.run_d(&["--memory", "64m"], &["/payload", "sleep", "60"]);
    p.pm(&["update", "--memory", "128m", &id]).ok();
    let out = p.pm(&["exec", &id, "sh", "-c", READ_LIMIT]).ok();
    assert_eq!(out.stdout.trim(), "134217728");
    p.pm(&["rm", "-f", "-t", "0", &id]).ok();
    p.assert_clean();
}

#[test]
fn tty_run_and_exec() {
    let p = podman!();
    if !Path::new("/usr/bin/script").exists() {
        eprintln!(
            "SKIP tty_run_and_exec: no /usr/bin/script (util-linux) to give podman a terminal"
        );
        return;
    }
    // `podman run --rm -t --cidfile F … IMAGE CMD…` on a pty, the id remembered.
    let run_t = |cmd: &[&str]| {
        let cid = p.base("cid");
        let cids = cid.to_string_lossy().into_owned();
        let head = ["run", "--rm", "-t", "--network", "none"];
        let opts = ["--cgroup-parent", &p.parent, "--cidfile", &cids, IMAGE];
        let out = p.rt_tty(&[&head[..], &opts, cmd].concat());
        let id = fs::read_to_string(&cid).ok().map(|s| s.trim().to_string());
        p.ids.borrow_mut().extend(id);
        out
    };
    let r = run_t(&["/payload", "report"]).ok().report();
    assert!(r.get("fd.0").starts_with("/dev/pts/"), "{r:?}");
    assert_eq!((r.get("tty.stdin"), r.get("tty.stdout")), ("true", "true"));
    // `script -e` passes podman's status on: the container's, through the terminal.
    run_t(&["sh", "-c", "exit 5"]).code(5);
    let id = p.run_d(&[], &["/payload", "sleep", "60"]);
    let r = p
        .rt_tty(&["exec", "-t", &id, "/payload", "report"])
        .ok()
        .report();
    assert!(r.get("fd.0").starts_with("/dev/pts/"), "{r:?}");
    assert_eq!(r.get("tty.stdout"), "true");
    p.rt_tty(&["exec", "-t", &id, "sh", "-c", "exit 4"]).code(4);
    p.pm(&["rm", "-f", "-t", "0", &id]).ok();
    p.assert_clean();
}

#[test]
fn default_seccomp_profile() {
    let p = podman!();
    // userfaultfd(UFFD_USER_MODE_ONLY): without the flag the kernel itself answers EPERM
    // (vm.unprivileged_userfaultfd=0 and podman's caps lack CAP_SYS_PTRACE), even unconfined.
    let probe = "grep Seccomp: /proc/self/status; /payload syscall userfaultfd 1";
    let out = p.run(&["--rm"], &["sh", "-c", probe]).code(1);
    assert!(out.stdout.contains("Seccomp:\t2"), "{}", out.stdout);
    assert!(out.stdout.contains("errno=1"), "{}", out.stdout);
    let opts = ["--rm", "--security-opt", "seccomp=unconfined"];
    let out = p.run(&opts, &["sh", "-c", probe]);
    assert!(out.stdout.contains("Seccomp:\t0"), "{}", out.stdout);
    assert!(!out.stdout.contains("errno=1"), "{}", out.stdout);
    p.assert_clean();
}

#[test]
fn user_and_cap_drop_all() {
    let p = podman!();
    let r = p
        .run(&["--rm", "--user", "1000:1000"], &["/payload", "report"])
        .ok()
        .report();
    assert_eq!(
        (r.get("uid"), r.get("gid"), r.get("euid")),
        ("1000", "1000", "1000")
    );
    assert_eq!(r.get("status.CapEff"), "0000000000000000");
    let r = p
        .run(&["--rm", "--cap-drop", "ALL"], &["/payload", "report"])
        .ok()
        .report();
    assert_eq!(r.get("uid"), "0");
    assert_eq!(r.get("status.CapEff"), "0000000000000000");
    assert_eq!(r.get("status.CapBnd"), "0000000000000000");
    p.assert_clean();
}

#[test]
fn failed_start_is_classified_like_runc() {
    let p = podman!();
    // podman matches the runtime's error text: exit 127 "not found", 126 "permission denied".
    let out = p.run(&["--rm"], &["/nonexistent"]).code(127);
    assert!(out.stderr.contains("no such file or directory"), "{out:?}");
    assert!(out
        .stderr
        .contains("OCI runtime attempted to invoke a command that was not found"));
    let out = p.run(&["--rm"], &["nonexistent"]).code(127);
    assert!(
        out.stderr.contains("executable file not found in $PATH"),
        "{out:?}"
    );
    let out = p.run(&["--rm"], &["/etc/passwd"]).code(126);
    assert!(out.stderr.contains("permission denied"), "{out:?}");
    p.assert_clean();
}

/// Runtimes named in containers.conf and listed in runtime_supports_json get conmon's
/// `--log-format=json --log F`; podman reads F as ONE JSON object when the command fails.
#[test]
fn named_runtime_with_json_log() {
    let name = if is_husk() { "husk" } else { "under-test" };
    let engine = format!(
        "runtime = \"{name}\"\nruntime_supports_json = [\"{name}\"]\n\
         [engine.runtimes]\n{name} = [\"{}\"]",
        runtime().display()
    );
    let p = podman!(&engine);
    let out = p.ctr_with(true, "run", &["--rm"], &["echo", "hello"]).ok();
    assert_eq!(out.stdout, "hello\n");
    let out = p.ctr_with(true, "run", &[], &["/nonexistent"]).code(127);
    let id = p.ids.borrow().last().cloned().expect("container id");
    let glob = fs::read_dir(p.dir.join("runroot"))
        .expect("runroot")
        .flatten();
    let log = glob
        .map(|e| e.path().join(&id).join("userdata/oci-log"))
        .find(|l| l.exists())
        .expect("the runtime's --log file");
    let text = fs::read_to_string(&log).unwrap_or_default();
    let j = Json::parse(&text).unwrap_or_else(|e| panic!("not ONE JSON object ({e}):\n{text}"));
    assert_eq!(j.get("level").and_then(Json::str), Some("error"), "{text}");
    let msg = j.get("msg").and_then(Json::str).unwrap_or("");
    assert!(msg.contains("no such file or directory"), "{text}");
    assert!(
        out.stderr.contains(&format!("{name}: {msg}")),
        "{out:?}\n{text}"
    );
    p.pm(&["rm", &id]).ok();
    let id = p
        .ctr_with(true, "run", &["-d"], &["/payload", "sleep", "60"])
        .ok();
    let id = id.stdout.trim();
    assert_eq!(p.pm(&["exec", id, "echo", "in"]).ok().stdout, "in\n");
    p.pm(&["exec", id, "/nonexistent"]).code(127);
    p.pm(&["rm", "-f", "-t", "0", id]).ok();
    p.assert_clean();
}

/// podman writes linux.devices[].fileMode as the host node's whole st_mode (0o20666 for a
/// char device, type bits included), which runc accepts.
#[test]
fn device_with_type_bits_in_file_mode() {
    let p = podman!();
    let cmd = "ls -l /dev/my-null; echo x > /dev/my-null && echo wrote";
    let out = p
        .run(
            &["--rm", "--device", "/dev/null:/dev/my-null"],
            &["sh", "-c", cmd],
        )
        .ok();
    assert!(out.stdout.starts_with("crw-rw-rw-"), "{}", out.stdout);
    assert!(
        out.stdout.contains(" 1,   3 ") && out.stdout.contains("wrote"),
        "{}",
        out.stdout
    );
    p.assert_clean();
}

/// --privileged: every host device in linux.devices, all capabilities, no seccomp. This VM host
/// has 102 device nodes (a PC has 150-300): with husk's MAX_DEVICES (build.rs) below that, husk
/// refuses the config ("config over capacity … MAX_DEVICES"); 64 was too few.
#[test]
fn privileged() {
    let p = podman!();
    let out = p
        .run(
            &["--rm", "--privileged"],
            &["sh", "-c", "/payload report; ls /dev"],
        )
        .ok();
    let r = out.report();
    let own = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bnd = own
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .map(str::trim);
    assert_eq!(Some(r.get("status.CapEff")), bnd);
    assert_eq!(r.get("status.Seccomp"), "0");
    let inside: Vec<&str> = out.stdout.lines().collect();
    for e in fs::read_dir("/dev").expect("/dev").flatten() {
        use std::os::unix::fs::FileTypeExt;
        let (ft, name) = (e.file_type().expect("type"), e.file_name());
        let name = name.to_string_lossy();
        // podman leaves out the console (the container gets its own, or none).
        if (ft.is_char_device() || ft.is_block_device()) && name != "console" {
            assert!(inside.contains(&&*name), "host /dev/{name} missing inside");
        }
    }
    p.assert_clean();
}
