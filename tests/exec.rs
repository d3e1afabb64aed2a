//! `exec`: a new process in a running container joins its namespaces and
//! cgroup, gets the process settings, and reports its status (runc's exec).
//! The payload reports what the exec'd process sees; host-side checks read
//! /proc/PID of the exec'd process (from --pid-file) against the container's.
#[macro_use]
mod common;

use common::*;
use std::fs;
use std::path::Path;

/// Create and start a container that sleeps; returns its host pid.
fn running(t: &Test, spec: Spec) -> i32 {
    t.create(&spec).ok();
    t.start().ok();
    pid_of(&t.pid_file)
}

fn sleeper() -> Spec {
    Spec::payload(&["sleep", "60"])
}

fn pid_of(f: &Path) -> i32 {
    fs::read_to_string(f)
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no pid in {}", f.display()))
}

fn ns_links(pid: i32) -> Vec<(String, String)> {
    ["pid", "mnt", "uts", "ipc", "net", "cgroup", "user"]
        .iter()
        .map(|n| {
            let l = fs::read_link(format!("/proc/{pid}/ns/{n}")).unwrap_or_default();
            (n.to_string(), l.to_string_lossy().into_owned())
        })
        .collect()
}

/// Kill and delete the container, then check nothing is left.
fn finish(t: &Test) {
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn exec_joins_namespaces_cgroup_and_hostname() {
    let t = ctx!();
    let init = running(
        &t,
        sleeper()
            .hostname("exec-box")
            .namespaces(&["pid", "mount", "uts", "ipc", "network", "cgroup"]),
    );
    let r = t.rt(&["exec", &t.id, "/payload", "report"]).ok().report();
    assert_eq!(r.get("hostname"), "exec-box");
    // pid 1 is the container's init: the process is inside its pid namespace.
    assert_ne!(r.get("pid"), "1");
    for (n, link) in ns_links(init) {
        if let Some(seen) = r.opt(&format!("ns.{n}")) {
            assert_eq!(seen, link, "namespace {n}");
        }
    }
    // Host side, with -d: same namespaces and cgroups as the init.
    let pf = t.dir.join("exec.pid");
    let pfs = pf.to_string_lossy().into_owned();
    t.rt(&[
        "exec",
        "-d",
        "--pid-file",
        &pfs,
        &t.id,
        "/payload",
        "sleep",
        "30",
    ])
    .ok();
    let p = pid_of(&pf);
    assert_eq!(ns_links(p), ns_links(init));
    let cg = |pid: i32| fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    assert_eq!(cg(p), cg(init));
    assert_eq!(
        fs::read_link(format!("/proc/{p}/root")).ok(),
        fs::read_link(format!("/proc/{init}/root")).ok()
    );
    finish(&t);
}

#[test]
fn exec_exit_status_propagates() {
    let t = ctx!();
    running(&t, sleeper());
    t.rt(&["exec", &t.id, "/payload", "exit", "42"]).code(42);
    t.rt(&["exec", &t.id, "/payload", "exit", "0"]).ok();
    // A missing program is the exec's error, in runc's words.
    t.rt(&["exec", &t.id, "nope-not-here"])
        .fails()
        .says(&["executable file not found"]);
    finish(&t);
}

#[test]
fn exec_overrides_env_cwd_user() {
    let t = ctx!();
    running(&t, sleeper().env("FROM_CONFIG=1").cwd("/tmp"));
    let r = t.rt(&["exec", &t.id, "/payload", "report"]).ok().report();
    assert_eq!(r.get("env.FROM_CONFIG"), "1");
    assert_eq!(r.get("cwd"), "/tmp");
    assert_eq!(r.get("uid"), "0");
    let r = t
        .rt(&[
            "exec",
            "--env",
            "EXTRA=two words",
            "-e",
            "FROM_CONFIG=2",
            "--cwd",
            "/dev",
            "--user",
            "1000:1001",
            "--additional-gids",
            "7",
            &t.id,
            "/payload",
            "report",
        ])
        .ok()
        .report();
    assert_eq!(r.get("env.EXTRA"), "two words");
    assert_eq!(r.get("env.FROM_CONFIG"), "2");
    assert_eq!(r.get("cwd"), "/dev");
    assert_eq!((r.get("uid"), r.get("gid")), ("1000", "1001"));
    assert_eq!(r.get("groups"), "7");
    finish(&t);
}

#[test]
fn exec_caps_and_no_new_privs() {
    let t = ctx!();
    let caps = r#""capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]}"#;
    running(&t, sleeper().process_raw(caps));
    // The container's capabilities are the default.
    let r = t.rt(&["exec", &t.id, "/payload", "report"]).ok().report();
    assert_eq!(r.get("status.CapEff"), "0000000000000001");
    assert_eq!(r.get("status.NoNewPrivs"), "0");
    // --cap adds one (CAP_KILL is 5), --no-new-privs sets NNP.
    let r = t
        .rt(&[
            "exec",
            "--cap",
            "CAP_KILL",
            "--no-new-privs",
            &t.id,
            "/payload",
            "report",
        ])
        .ok()
        .report();
    assert_eq!(r.get("status.CapEff"), "0000000000000021");
    assert_eq!(r.get("status.NoNewPrivs"), "1");
    t.rt(&["exec", "--cap", "CAP_NOPE", &t.id, "/payload", "report"])
        .fails()
        .says(&["CAP_NOPE"]);
    finish(&t);
}

#[test]
fn exec_gets_the_containers_seccomp() {
    let t = ctx!();
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["userfaultfd"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}"#;
    running(&t, sleeper().linux_raw(&format!("\"seccomp\":{p}")));
    // The payload exits 1 when the syscall fails.
    let out = t
        .rt(&["exec", &t.id, "/payload", "syscall", "userfaultfd"])
        .code(1);
    assert!(out.stdout.contains("errno=77"), "{}", out.stdout);
    let r = t.rt(&["exec", &t.id, "/payload", "report"]).ok().report();
    assert_eq!(r.get("status.Seccomp"), "2");
    finish(&t);
}

#[test]
fn exec_process_file() {
    let t = ctx!();
    running(&t, sleeper());
    let f = t.dir.join("process.json");
    fs::write(
        &f,
        r#"{"args": ["/payload", "report"], "env": ["PATH=/bin", "FROM_FILE=yes \"q\""], "cwd": "/proc",
            "user": {"uid": 5, "gid": 6}, "terminal": false}"#,
    )
    .unwrap();
    let fs_ = f.to_string_lossy().into_owned();
    let r = t.rt(&["exec", "--process", &fs_, &t.id]).ok().report();
    assert_eq!(r.get("env.FROM_FILE"), "yes \"q\"");
    assert_eq!(r.get("cwd"), "/proc");
    assert_eq!((r.get("uid"), r.get("gid")), ("5", "6"));
    fs::write(&f, r#"{"args": [], "cwd": "/"}"#).unwrap();
    t.rt(&["exec", "--process", &fs_, &t.id])
        .fails()
        .says(&["process.args is empty"]);
    fs::write(&f, r#"{"args": ["/payload"], "cwd": 7}"#).unwrap();
    t.rt(&["exec", "--process", &fs_, &t.id])
        .fails()
        .says(&["process.json"]);
    finish(&t);
}

#[test]
fn exec_into_stopped_paused_or_unknown_fails() {
    let t = ctx!();
    t.rt(&["exec", "no-such-container", "/payload"])
        .fails()
        .says(&["does not exist"]);
    running(&t, sleeper());
    t.rt(&["pause", &t.id]).ok();
    t.rt(&["exec", &t.id, "/payload", "exit", "0"])
        .fails()
        .says(&["paused"]);
    t.rt(&["resume", &t.id]).ok();
    t.rt(&["exec", &t.id, "/payload", "exit", "0"]).ok();
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.rt(&["exec", &t.id, "/payload", "exit", "0"])
        .fails()
        .says(&["cannot exec in a stopped container"]);
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn exec_signal_forwarding() {
    let t = ctx!();
    running(&t, sleeper());
    let s = t.spawn(&["exec", &t.id, "/payload", "sleep", "30"]);
    // Wait until the exec'd process runs (two sleepers in the container).
    let start = std::time::Instant::now();
    while t
        .rt(&["ps", "--format", "json", &t.id])
        .stdout
        .matches(',')
        .count()
        < 1
    {
        assert!(start.elapsed() < TIMEOUT, "exec'd process never appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.signal(15);
    let out = s.wait();
    assert_eq!(out.code, Some(128 + 15), "{out:?}");
    finish(&t);
}

#[test]
fn exec_with_tty_through_console_socket() {
    let t = ctx!();
    running(&t, sleeper());
    let sock = t.dir.join("console.sock");
    let recv_out = t.dir.join("recvtty.out");
    let mut recv = std::process::Command::new(common::example("recvtty"))
        .arg(&sock)
        .stdout(fs::File::create(&recv_out).unwrap())
        .spawn()
        .expect("spawn recvtty");
    let start = std::time::Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < TIMEOUT, "console socket never appeared");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let s = sock.to_string_lossy().into_owned();
    t.rt(&[
        "exec",
        "-t",
        "--console-socket",
        &s,
        &t.id,
        "/payload",
        "report",
    ])
    .ok();
    let _ = recv.wait();
    let text = fs::read_to_string(&recv_out).unwrap_or_default();
    let r = Report::parse(&text);
    assert_eq!(r.get("name"), "/dev/ptmx");
    assert_eq!(r.get("tty.stdin"), "true", "{text}");
    assert_eq!(r.get("tty.stdout"), "true", "{text}");
    assert!(r.get("fd.0").starts_with("/dev/pts/"), "{text}");
    // Detached, a terminal needs a console socket (in the foreground husk would proxy one,
    // when it has a terminal itself: tests/terminal.rs).
    t.rt(&["exec", "-d", "-t", &t.id, "/payload", "report"])
        .fails()
        .says(&["console-socket"]);
    finish(&t);
}

#[test]
fn exec_joins_the_user_namespace_first() {
    let t = ctx!();
    let spec = sleeper()
        .namespaces(&["pid", "mount", "uts", "ipc", "network", "user", "cgroup"])
        .linux_raw(
            r#""uidMappings": [{"containerID": 0, "hostID": 300000, "size": 65536}],
               "gidMappings": [{"containerID": 0, "hostID": 300000, "size": 65536}]"#,
        );
    let init = running(&t, spec);
    let pf = t.dir.join("exec.pid");
    let pfs = pf.to_string_lossy().into_owned();
    t.rt(&[
        "exec",
        "-d",
        "--pid-file",
        &pfs,
        "-u",
        "7",
        &t.id,
        "/payload",
        "sleep",
        "30",
    ])
    .ok();
    let p = pid_of(&pf);
    assert_eq!(ns_links(p), ns_links(init));
    assert_ne!(
        ns_links(p).last().map(|l| l.1.clone()),
        Some(host_ns("user"))
    );
    // uid 7 inside is host uid 300007.
    let status = fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.contains("300007")),
        "{status}"
    );
    let r = t.rt(&["exec", &t.id, "/payload", "report"]).ok().report();
    assert_eq!(r.get("uid"), "0");
    finish(&t);
}
