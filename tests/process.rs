//! Process security and set-up (issue 3): each test runs a real container and asserts on what
//! the payload inside reports. Things this host cannot do are skipped with a printed reason.

#[macro_use]
mod common;

use common::{Report, Spec};

fn status_line(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .unwrap_or("")
        .trim()
        .to_string()
}

#[test]
fn capabilities_five_sets() {
    let t = ctx!();
    let spec = Spec::payload(&["report"])
        .user(1000, 1000, &[])
        .process_raw(
            r#""capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "inheritable": ["CAP_NET_BIND_SERVICE"],
            "ambient": ["CAP_NET_BIND_SERVICE"]}"#,
        );
    let r = t.run(&spec).ok().report();
    // Non-root after exec: permitted and effective are the ambient set (capabilities(7)).
    assert_eq!(r.get("status.CapBnd"), "0000000000000421");
    assert_eq!(r.get("status.CapInh"), "0000000000000400");
    assert_eq!(r.get("status.CapAmb"), "0000000000000400");
    assert_eq!(r.get("status.CapPrm"), "0000000000000400");
    assert_eq!(r.get("status.CapEff"), "0000000000000400");
    assert_eq!(r.get("uid"), "1000");
    t.assert_clean();
}

#[test]
fn capabilities_root_keeps_the_bounding_set() {
    let t = ctx!();
    let caps = r#"["CAP_CHOWN", "CAP_KILL"]"#;
    let spec = Spec::payload(&["report"]).process_raw(&format!(
        r#""capabilities": {{"bounding": {caps}, "effective": {caps}, "permitted": {caps}}}"#
    ));
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("status.CapBnd"), "0000000000000021");
    assert_eq!(r.get("status.CapEff"), "0000000000000021");
    assert_eq!(r.get("status.CapPrm"), "0000000000000021");
    t.assert_clean();
}

#[test]
fn unknown_capability_is_refused() {
    let t = ctx!();
    let spec = Spec::payload(&["report"])
        .process_raw(r#""capabilities": {"bounding": ["CAP_CHOWN", "CAP_NOPE"]}"#);
    t.create(&spec).fails().says(&["CAP_NOPE"]);
    t.assert_clean();
}

#[test]
fn rlimits_lowered() {
    let t = ctx!();
    let spec = Spec::payload(&["report"]).process_raw(
        r#""rlimits": [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]"#,
    );
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("rlimit.NOFILE"), "100 200");
    assert_eq!(r.get("rlimit.CORE"), "0 0");
    t.assert_clean();
}

#[test]
fn rlimits_raised_above_the_hosts_hard_limit() {
    let t = ctx!();
    let host = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bnd = u64::from_str_radix(&status_line(&host, "CapBnd"), 16).unwrap_or(0);
    if bnd & (1 << 24) == 0 {
        eprintln!("SKIP rlimits_raised_above_the_hosts_hard_limit: CAP_SYS_RESOURCE is not in this host's bounding set");
        return;
    }
    let spec = Spec::payload(&["report"])
        .process_raw(r#""rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1048576, "hard": 1048576}]"#);
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("rlimit.NOFILE"), "1048576 1048576");
    t.assert_clean();
}

#[test]
fn bad_rlimits_are_refused() {
    let t = ctx!();
    let spec = Spec::payload(&["report"])
        .process_raw(r#""rlimits": [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]"#);
    t.create(&spec).fails().says(&["RLIMIT_NOPE"]);
    let spec = Spec::payload(&["report"])
        .process_raw(r#""rlimits": [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]"#);
    t.create(&spec).fails().says(&["soft"]);
    t.assert_clean();
}

#[test]
fn no_new_privileges_and_oom_score_adj() {
    let t = ctx!();
    let spec =
        Spec::payload(&["report"]).process_raw(r#""noNewPrivileges": true, "oomScoreAdj": 123"#);
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("status.NoNewPrivs"), "1");
    assert_eq!(r.get("oom_score_adj"), "123");
    let t2 = ctx!();
    let r = t2.run(&Spec::payload(&["report"])).ok().report();
    assert_eq!(r.get("status.NoNewPrivs"), "0");
    t.assert_clean();
    t2.assert_clean();
}

#[test]
fn masked_paths() {
    let t = ctx!();
    let spec = Spec::new(&["sh", "-c", "echo v=$(cat /proc/version | wc -c); echo d=$(ls /sys/kernel | wc -l); echo w=$( (echo x > /sys/kernel/x) 2>/dev/null && echo ok || echo fail)"])
        .linux_raw(r#""maskedPaths": ["/proc/version", "/sys/kernel", "/no/such/path"]"#);
    let out = t.run(&spec).ok().stdout;
    assert!(out.contains("v=0\n"), "masked file is not empty: {out}");
    assert!(out.contains("d=0\n"), "masked dir is not empty: {out}");
    assert!(out.contains("w=fail"), "masked dir is writable: {out}");
    t.assert_clean();
}

#[test]
fn readonly_paths() {
    let t = ctx!();
    let spec = Spec::payload(&["write", "/proc/sys/kernel/domainname", "x"])
        .linux_raw(r#""readonlyPaths": ["/proc/sys", "/no/such/path"]"#);
    let out = t.run(&spec).code(1);
    assert_eq!(out.report().get("errno"), "30", "not EROFS");
    t.assert_clean();
}

#[test]
fn session_keyring_named_after_the_container() {
    let t = ctx!();
    if !std::path::Path::new("/proc/keys").exists() {
        eprintln!(
            "SKIP session_keyring_named_after_the_container: no /proc/keys (kernel without keys)"
        );
        return;
    }
    let out = t.run(&Spec::new(&["cat", "/proc/keys"])).ok().stdout;
    assert!(out.contains(&t.id), "no keyring named {} in:\n{out}", t.id);
    let t2 = ctx!();
    t2.bundle(&Spec::new(&["cat", "/proc/keys"]));
    let b = t2.bundle.to_string_lossy().into_owned();
    let out = t2
        .rt(&["run", "--no-new-keyring", "--bundle", &b, &t2.id])
        .ok()
        .stdout;
    assert!(
        !out.contains(&t2.id),
        "--no-new-keyring made a keyring:\n{out}"
    );
    t.assert_clean();
    t2.assert_clean();
}

#[test]
fn sysctl_in_own_namespaces() {
    let t = ctx!();
    let spec = Spec::new(&["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/kernel/domainname"])
        .linux_raw(r#""sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789", "kernel.domainname": "sysctl.test"}"#);
    let out = t.run(&spec).ok().stdout;
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["1", "123456789", "sysctl.test"]
    );
    t.assert_clean();
}

#[test]
fn sysctl_outside_owned_namespaces_is_refused() {
    let t = ctx!();
    for (key, ns, why) in [
        (
            "net.ipv4.ip_forward",
            &["pid", "mount", "uts", "ipc"][..],
            "network",
        ),
        (
            "kernel.hostname",
            &["pid", "mount", "ipc", "network"][..],
            "uts",
        ),
        (
            "kernel.shmmax",
            &["pid", "mount", "uts", "network"][..],
            "ipc",
        ),
        (
            "vm.swappiness",
            &["pid", "mount", "uts", "ipc", "network"][..],
            "not in a separate",
        ),
        (
            "kernel.pid_max",
            &["pid", "mount", "uts", "ipc", "network"][..],
            "not in a separate",
        ),
    ] {
        let mut spec = Spec::payload(&["report"])
            .namespaces(ns)
            .linux_raw(&format!(r#""sysctl": {{"{key}": "1"}}"#));
        if why == "uts" {
            spec.hostname = None;
        }
        t.create(&spec).fails().says(&[key, why]);
        t.assert_clean();
    }
}

#[test]
fn personality_linux32() {
    let t = ctx!();
    if !cfg!(target_arch = "x86_64") {
        eprintln!("SKIP personality_linux32: checked on x86_64 only (uname -m becomes i686)");
        return;
    }
    let spec = Spec::new(&["uname", "-m"]).linux_raw(r#""personality": {"domain": "LINUX32"}"#);
    assert_eq!(t.run(&spec).ok().stdout.trim(), "i686");
    let spec = Spec::new(&["uname", "-m"]).linux_raw(r#""personality": {"domain": "LINUX"}"#);
    assert_eq!(t.run(&spec).ok().stdout.trim(), "x86_64");
    let spec = Spec::new(&["uname", "-m"]).linux_raw(r#""personality": {"domain": "SVR4"}"#);
    t.create(&spec).fails().says(&["personality"]);
    t.assert_clean();
}

#[test]
fn io_priority() {
    let t = ctx!();
    let spec = Spec::payload(&["syscall", "ioprio_get", "1", "0"])
        .process_raw(r#""ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 3}"#);
    // IOPRIO_PRIO_VALUE(BE=2, 3) = 2 << 13 | 3.
    assert_eq!(t.run(&spec).ok().report().get("ret"), "16387");
    let spec = Spec::payload(&["report"])
        .process_raw(r#""ioPriority": {"class": "IOPRIO_CLASS_NOPE", "priority": 3}"#);
    t.create(&spec).fails().says(&["ioPriority"]);
    t.assert_clean();
}

/// (policy, nice) of /proc/self/stat text.
fn sched_of(stat: &str) -> (String, String) {
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields after comm start at 3 (state); nice is field 19, policy field 41.
    (
        f.get(41 - 3).unwrap_or(&"?").to_string(),
        f.get(19 - 3).unwrap_or(&"?").to_string(),
    )
}

#[test]
fn scheduler_policy_and_nice() {
    let t = ctx!();
    let spec = Spec::payload(&["cat", "/proc/self/stat"])
        .process_raw(r#""scheduler": {"policy": "SCHED_BATCH", "nice": 7}"#);
    assert_eq!(
        sched_of(&t.run(&spec).ok().stdout),
        ("3".into(), "7".into())
    );
    let spec = Spec::payload(&["cat", "/proc/self/stat"]).process_raw(
        r#""scheduler": {"policy": "SCHED_IDLE", "flags": ["SCHED_FLAG_RESET_ON_FORK"]}"#,
    );
    assert_eq!(sched_of(&t.run(&spec).ok().stdout).0, "5");
    for bad in [
        r#""scheduler": {"policy": "SCHED_OTHER", "priority": 5}"#,
        r#""scheduler": {"policy": "SCHED_NOPE"}"#,
        r#""scheduler": {"policy": "SCHED_OTHER", "nice": 40}"#,
        r#""scheduler": {"policy": "SCHED_FIFO", "priority": 10, "runtime": 5}"#,
    ] {
        t.create(&Spec::payload(&["report"]).process_raw(bad))
            .fails()
            .says(&["scheduler"]);
    }
    t.assert_clean();
}

#[test]
fn exec_cpu_affinity() {
    let t = ctx!();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        eprintln!("SKIP exec_cpu_affinity: needs 2 CPUs, this host has {cpus}");
        return;
    }
    let spec = Spec::payload(&["cat", "/proc/self/status"])
        .process_raw(r#""execCPUAffinity": {"initial": "1", "final": "0"}"#);
    assert_eq!(
        status_line(&t.run(&spec).ok().stdout, "Cpus_allowed_list"),
        "0"
    );
    let spec = Spec::payload(&["cat", "/proc/self/status"])
        .process_raw(r#""execCPUAffinity": {"final": "1"}"#);
    assert_eq!(
        status_line(&t.run(&spec).ok().stdout, "Cpus_allowed_list"),
        "1"
    );
    let spec = Spec::payload(&["report"]).process_raw(r#""execCPUAffinity": {"final": "1-0"}"#);
    t.create(&spec).fails().says(&["execCPUAffinity"]);
    t.assert_clean();
}

#[test]
fn linux_devices() {
    let t = ctx!();
    let spec = Spec::new(&["sh", "-c", "stat -c '%t:%T %a %u:%g %F' /dev/husk-null /dev/sub/dir/fifo /dev/null; echo data > /dev/husk-null && echo ok"])
        .linux_raw(
            r#""devices": [
                {"path": "/dev/husk-null", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1, "gid": 2},
                {"path": "/dev/sub/dir/fifo", "type": "p", "fileMode": 384},
                {"path": "/dev/null", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]"#,
        );
    let out = t.run(&spec).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1:3 640 1:2 character special file", "{out}");
    assert_eq!(lines[1], "0:0 600 0:0 fifo", "{out}");
    // A config entry replaces the default node of the same path (here /dev/null is /dev/zero's numbers).
    assert_eq!(lines[2], "1:5 666 0:0 character special file", "{out}");
    assert_eq!(lines[3], "ok", "{out}");
    t.assert_clean();
}

#[test]
fn linux_devices_stay_inside_the_root() {
    let t = ctx!();
    let outside = t.dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    t.bundle(&Spec::new(&["true"]));
    // An absolute symlink in the rootfs must resolve inside the root, not on the host.
    std::os::unix::fs::symlink(&outside, t.bundle.join("rootfs/dev-link")).unwrap();
    let spec = Spec::new(&["true"]).linux_raw(
        r#""devices": [{"path": "/dev-link/node", "type": "c", "major": 1, "minor": 3}]"#,
    );
    t.run(&spec).ok();
    assert!(
        !outside.join("node").exists(),
        "device node made outside the root"
    );
    assert!(t
        .bundle
        .join("rootfs")
        .join(outside.strip_prefix("/").unwrap())
        .join("node")
        .exists());
    let spec = Spec::new(&["true"]).linux_raw(
        r#""devices": [{"path": "/dev/../../escape", "type": "c", "major": 1, "minor": 3}]"#,
    );
    t.create(&spec).fails().says(&["linux.devices"]);
    let spec = Spec::new(&["true"])
        .linux_raw(r#""devices": [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}]"#);
    t.create(&spec).fails().says(&["type"]);
    t.assert_clean();
}

#[test]
fn security_labels_without_the_lsm_are_refused() {
    let t = ctx!();
    if std::path::Path::new("/sys/module/apparmor").exists()
        || std::path::Path::new("/sys/fs/selinux/enforce").exists()
    {
        eprintln!(
            "SKIP security_labels_without_the_lsm_are_refused: this host has AppArmor or SELinux"
        );
        return;
    }
    let spec = Spec::payload(&["report"]).process_raw(r#""apparmorProfile": "husk-test""#);
    t.create(&spec).fails().says(&["apparmor is not enabled"]);
    let spec = Spec::payload(&["report"])
        .process_raw(r#""selinuxLabel": "system_u:system_r:container_t:s0""#);
    t.create(&spec).fails().says(&["selinux is not enabled"]);
    let spec = Spec::payload(&["report"])
        .linux_raw(r#""mountLabel": "system_u:object_r:container_file_t:s0""#);
    t.create(&spec).fails().says(&["selinux is not enabled"]);
    t.assert_clean();
}

#[test]
fn preserve_fds_and_socket_activation() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["report"]));
    let script = format!(
        "exec 3</dev/null 4</dev/zero 5</dev/full; LISTEN_PID=$$ LISTEN_FDS=2 exec {} --root {} run --preserve-fds 1 --bundle {} {}",
        common::runtime().display(),
        t.root.display(),
        t.bundle.display(),
        t.id
    );
    let out = common::exec(
        std::process::Command::new("/bin/sh").args(["-c", &script]),
        &t.dir.join("preserve"),
        common::TIMEOUT,
    )
    .ok();
    let r = out.report();
    let fds: Vec<(&str, &str)> =
        r.0.iter()
            .filter(|(k, _)| k.starts_with("fd."))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
    assert_eq!(
        fds.iter().map(|f| f.0).collect::<Vec<_>>(),
        ["fd.0", "fd.1", "fd.2", "fd.3", "fd.4", "fd.5"],
        "{r:?}"
    );
    assert_eq!(fds[3].1, "/dev/null");
    assert_eq!(fds[5].1, "/dev/full");
    assert_eq!(r.get("env.LISTEN_FDS"), "2");
    assert_eq!(r.get("env.LISTEN_PID"), "1");
    // Without LISTEN_PID naming husk, the fds are not the container's.
    let t2 = ctx!();
    t2.bundle(&Spec::payload(&["report"]));
    let script = format!(
        "exec 3</dev/null; LISTEN_PID=1 LISTEN_FDS=1 exec {} --root {} run --bundle {} {}",
        common::runtime().display(),
        t2.root.display(),
        t2.bundle.display(),
        t2.id
    );
    let r = common::exec(
        std::process::Command::new("/bin/sh").args(["-c", &script]),
        &t2.dir.join("nolisten"),
        common::TIMEOUT,
    )
    .ok()
    .report();
    assert!(
        r.opt("fd.3").is_none() && r.opt("env.LISTEN_FDS").is_none(),
        "{r:?}"
    );
    t.assert_clean();
    t2.assert_clean();
}

#[test]
fn preserve_fds_must_be_open() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["report"]));
    t.create_raw(&["--preserve-fds", "40"])
        .fails()
        .says(&["preserve-fds", "not open"]);
    t.assert_clean();
}

fn wait_file(p: &std::path::Path) {
    let start = std::time::Instant::now();
    while !p.exists() {
        assert!(
            start.elapsed() < common::TIMEOUT,
            "{} never appeared",
            p.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn terminal_with_console_socket() {
    let t = ctx!();
    let sock = t.dir.join("console.sock");
    let recv_out = t.dir.join("recvtty.out");
    let mut recv = std::process::Command::new(common::example("recvtty"))
        .arg(&sock)
        .stdout(std::fs::File::create(&recv_out).unwrap())
        .spawn()
        .expect("spawn recvtty");
    wait_file(&sock);
    let mut spec =
        Spec::payload(&["report"]).process_raw(r#""consoleSize": {"height": 30, "width": 100}"#);
    spec.terminal = true;
    t.bundle(&spec);
    let b = t.bundle.to_string_lossy().into_owned();
    let s = sock.to_string_lossy().into_owned();
    t.rt(&["run", "--console-socket", &s, "--bundle", &b, &t.id])
        .ok();
    let _ = recv.wait();
    let text = std::fs::read_to_string(&recv_out).unwrap_or_default();
    let r = Report::parse(&text);
    assert_eq!(r.get("name"), "/dev/ptmx");
    assert_eq!(r.get("tty.stdin"), "true", "{text}");
    assert_eq!(r.get("tty.stdout"), "true", "{text}");
    assert_eq!(r.get("tty.stderr"), "true", "{text}");
    assert_eq!(r.get("winsize.stdout"), "30x100", "{text}");
    assert!(r.get("fd.0").starts_with("/dev/pts/"), "{text}");
    t.assert_clean();
}

#[test]
fn terminal_needs_console_socket() {
    let t = ctx!();
    let mut spec = Spec::payload(&["report"]);
    spec.terminal = true;
    t.create(&spec).fails().says(&["console-socket"]);
    t.bundle(&Spec::payload(&["report"]));
    t.create_raw(&["--console-socket", "/nonexistent.sock"])
        .fails()
        .says(&["terminal"]);
    t.assert_clean();
}
