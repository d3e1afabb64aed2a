//! cgroups (issue 4) on the host, whatever its layout (this machine family is a v1/v2 hybrid):
//! limits asserted through their effects inside real containers, pause/resume, ps, kill --all,
//! update, events, cgroupsPath semantics, and that nothing is left behind (also on failure).
//! Pure-v2 paths run in the VM (tests/vm/cgroup-v2.sh through targets/vm.sh --cgroup-v2).
#[macro_use]
mod common;

use common::{Json, Spec};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Mount point of the hierarchy holding `ctrl` ("" = the cgroup2 one), if mounted.
fn mount_of(ctrl: &str) -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mnt = pre.split(' ').nth(4)?;
        let mut post = post.split(' ');
        let (fstype, opts) = (post.next()?, post.nth(1)?);
        let hit = if ctrl.is_empty() {
            fstype == "cgroup2"
        } else {
            fstype == "cgroup" && opts.split(',').any(|o| o == ctrl)
        };
        hit.then(|| PathBuf::from(mnt))
    })
}

/// Directory of process `pid`'s cgroup in the hierarchy of `ctrl` ("" = cgroup2).
fn cgroup_dir(pid: i32, ctrl: &str) -> Option<PathBuf> {
    let mnt = mount_of(ctrl)?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let path = text.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, key, path) = (f.next()?, f.next()?, f.next()?);
        let hit = if ctrl.is_empty() {
            key.is_empty()
        } else {
            key.split(',').any(|k| k == ctrl)
        };
        hit.then(|| path.to_string())
    })?;
    Some(mnt.join(path.trim_start_matches('/')))
}

fn pid_of(t: &common::Test) -> i32 {
    t.state()
        .get("pid")
        .and_then(Json::int)
        .expect("state has a pid") as i32
}

fn skip_without(ctrl: &str) -> bool {
    if mount_of(ctrl).is_none() {
        eprintln!(
            "SKIP: no {} hierarchy on this host",
            if ctrl.is_empty() { "cgroup2" } else { ctrl }
        );
        return true;
    }
    false
}

/// Waits until `f` holds (5 s at most).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pids_limit_stops_fork() {
    let t = ctx!();
    if skip_without("pids") && mount_of("").is_none_or(|m| !m.join("cgroup.controllers").exists()) {
        return;
    }
    let spec = Spec::payload(&["fork", "10"]).linux_raw(r#""resources": {"pids": {"limit": 4}}"#);
    let r = t.run(&spec).code(1).report();
    // The payload itself is one of the 4.
    assert_eq!(r.get("forked"), "3");
    assert_eq!(r.get("errno"), "11", "EAGAIN from fork over pids.max");
    t.delete();
    t.assert_clean();
}

#[test]
fn memory_limit_oom_is_reported_by_events() {
    let t = ctx!();
    if skip_without("memory") {
        return;
    }
    let mib32 = 32 << 20;
    let spec = Spec::new(&[
        "sh",
        "-c",
        "sleep 0.3; x=$(head -c 200000000 /dev/urandom); echo survived",
    ])
    .linux_raw(&format!(
        r#""resources": {{"memory": {{"limit": {mib32}, "swap": {mib32}}}}}"#
    ));
    t.create(&spec).ok();
    let stats = t.rt(&["events", "--stats", &t.id]).ok();
    let s = Json::parse(stats.stdout.trim()).expect("stats JSON");
    assert_eq!(s.get("type").and_then(Json::str), Some("stats"));
    let limit = s
        .get("data")
        .and_then(|d| d.get("memory"))
        .and_then(|m| m.get("usage"))
        .and_then(|u| u.get("limit"));
    assert_eq!(limit.and_then(Json::int), Some(mib32));
    let events = t.spawn(&["events", "--interval", "10s", &t.id]);
    std::thread::sleep(Duration::from_millis(200));
    t.start().ok();
    t.wait_status("stopped");
    let out = events.wait().ok();
    assert!(
        out.stdout
            .contains(&format!(r#"{{"type":"oom","id":"{}"}}"#, t.id)),
        "events printed:\n{}",
        out.stdout
    );
    assert!(
        !t.output().contains("survived"),
        "the shell was not OOM-killed"
    );
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn denied_device_cannot_be_opened() {
    let t = ctx!();
    if skip_without("devices") && skip_without("") {
        return;
    }
    // /dev/kmsg (c 1:11) is not among the default devices; /dev/null is.
    let spec = Spec::new(&["sh", "-c", "/payload open /dev/null; /payload open /dev/kmsg; /payload open /dev/full"])
        .mount("/dev/kmsg", "bind", "/dev/kmsg", &["bind"])
        .linux_raw(r#""resources": {"devices": [{"allow": false, "access": "rwm"}, {"allow": false, "type": "c", "major": 1, "minor": 7, "access": "w"}]}"#);
    let out = t.run(&spec);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        ["errno=0", "errno=1", "errno=0"],
        "null allowed, kmsg denied (EPERM), full readable (default rule last)"
    );
    t.delete();
    t.assert_clean();
}

/// The v2 device program alone (without v1's devices controller): a host process moved into
/// the container's cgroup2 directory gets the container's device rules.
#[test]
fn v2_device_program_is_enforced() {
    let t = ctx!();
    if skip_without("") {
        return;
    }
    let spec = Spec::payload(&["sleep", "30"])
        .linux_raw(r#""resources": {"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}"#);
    t.create(&spec).ok();
    let dir = cgroup_dir(pid_of(&t), "").expect("container has a cgroup2 directory");
    let probe = |dev: &str, flag: &str| {
        let script = format!("echo $$ > {}/cgroup.procs && /bin/busybox test {flag} {dev} && exec /bin/busybox head -c1 {dev} >/dev/null", dir.display());
        let o = std::process::Command::new("/bin/busybox")
            .args(["sh", "-c", &script])
            .output()
            .expect("busybox sh");
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, err) = probe("/dev/kmsg", "-c");
    assert!(
        !ok && err.contains("not permitted"),
        "reading /dev/kmsg must be denied: {err}"
    );
    let (ok, err) = probe("/dev/zero", "-c");
    assert!(ok, "default rule allows /dev/zero: {err}");
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn pause_freezes_and_resume_thaws() {
    let t = ctx!();
    if skip_without("freezer") && skip_without("") {
        return;
    }
    t.create(
        &Spec::new(&["sh", "-c", "sleep 30 & exec sleep 30"])
            .namespaces(&["mount", "uts", "ipc", "network"]),
    )
    .ok();
    t.start().ok();
    let pid = pid_of(&t);
    t.rt(&["pause", &t.id]).ok();
    assert_eq!(t.status(), "paused");
    t.rt(&["pause", &t.id]).fails();
    let pids = t.rt(&["ps", "--format", "json", &t.id]).ok();
    let list: Vec<i32> = pids
        .stdout
        .trim()
        .trim_matches(['[', ']'])
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    assert_eq!(list.len(), 2, "{}", pids.stdout);
    for p in &list {
        let st = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
        let state = st.lines().find(|l| l.starts_with("State:")).unwrap_or("");
        assert!(
            state.contains("D ") || state.contains("frozen"),
            "pid {p} is not frozen: {state}"
        );
    }
    t.rt(&["resume", &t.id]).ok();
    assert_eq!(t.status(), "running");
    t.rt(&["resume", &t.id]).says(&["not paused"]);
    let st = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    assert!(st.contains("State:\tS"), "thawed process sleeps again");
    // KILL of a paused container kills it (thawed so it can die), as runc.
    t.rt(&["pause", &t.id]).ok();
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.rt(&["delete", "--force", &t.id]).ok();
    for p in list {
        eventually("processes gone", || {
            !std::path::Path::new(&format!("/proc/{p}")).exists() || common::cmdline(p).is_empty()
        });
    }
    t.assert_clean();
}

#[test]
fn ps_lists_host_pids_and_kill_all_reaches_them() {
    let t = ctx!();
    // No pid namespace: killing init would not take the others along.
    let spec = Spec::new(&["sh", "-c", "sleep 31 & sleep 32 & exec sleep 33"])
        .namespaces(&["mount", "uts", "ipc", "network"]);
    t.create(&spec).ok();
    t.start().ok();
    let pid = pid_of(&t);
    let mut list = vec![];
    eventually("3 processes", || {
        let out = t.rt(&["ps", "--format", "json", &t.id]).ok();
        list = out
            .stdout
            .trim()
            .trim_matches(['[', ']'])
            .split(',')
            .filter_map(|s| s.trim().parse::<i32>().ok())
            .collect();
        list.len() == 3
    });
    assert!(list.contains(&pid), "{list:?} lacks init {pid}");
    for p in &list {
        assert!(
            common::cmdline(*p).starts_with("sleep"),
            "pid {p}: {}",
            common::cmdline(*p)
        );
    }
    let table = t.rt(&["ps", &t.id]).ok();
    assert!(
        table.stdout.lines().next().unwrap_or("").contains("PID"),
        "{}",
        table.stdout
    );
    assert_eq!(table.stdout.lines().count(), 4, "{}", table.stdout);
    t.rt(&["kill", "--all", &t.id, "KILL"]).ok();
    for p in list {
        eventually("every process killed", || {
            common::start_time(p).is_none()
                || std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .is_ok_and(|s| s.contains(") Z"))
        });
    }
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn update_changes_limits_seen_inside() {
    let t = ctx!();
    if skip_without("pids") {
        return;
    }
    // Waits for /go (written from the host), then reports its pids.max and forks.
    let spec = Spec::new(&["sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; cat /sys/fs/cgroup/pids/pids.max; /payload fork 10; echo end"])
        .namespaces(&["pid", "mount", "uts", "ipc", "network", "cgroup"])
        .mount("/sys/fs/cgroup", "cgroup", "cgroup", &["nosuid", "noexec", "nodev", "relatime", "ro"])
        .linux_raw(r#""resources": {"pids": {"limit": 50}, "memory": {"limit": 268435456}}"#);
    t.create(&spec).ok();
    t.start().ok();
    let pid = pid_of(&t);
    t.rt(&["update", "--pids-limit", "5", "--memory", "128m", &t.id])
        .ok();
    let mem = cgroup_dir(pid, "memory")
        .map(|d| std::fs::read_to_string(d.join("memory.limit_in_bytes")).unwrap_or_default());
    if let Some(m) = mem {
        assert_eq!(m.trim(), (128 << 20).to_string());
    }
    std::fs::write(t.bundle.join("rootfs/go"), "").expect("write /go");
    t.wait_status("stopped");
    let out = t.output();
    assert!(out.starts_with("5\n"), "pids.max seen inside: {out}");
    // sh, payload and 3 children make 5.
    assert!(out.contains("forked=3"), "{out}");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn cgroups_path_absolute_relative_and_default() {
    let t = ctx!();
    let Some(mem) = mount_of("memory").or_else(|| mount_of("")) else {
        return;
    };
    let ctrl = if mount_of("memory").is_some() {
        "memory"
    } else {
        ""
    };
    let own = cgroup_dir(std::process::id() as i32, ctrl).expect("own cgroup");
    for (path, want) in [
        (
            Some(format!("/husk-test-abs/{}", t.id)),
            mem.join(format!("husk-test-abs/{}", t.id)),
        ),
        (
            Some(format!("rel-{}", t.id)),
            own.join(format!("rel-{}", t.id)),
        ),
        (None, mem.join(format!("husk/{}", t.id))),
    ] {
        let mut spec = Spec::payload(&["sleep", "30"]);
        if let Some(p) = &path {
            spec = spec.linux_raw(&format!(r#""cgroupsPath": "{p}""#));
        }
        t.create(&spec).ok();
        let got = cgroup_dir(pid_of(&t), ctrl).expect("container cgroup");
        assert_eq!(got, want, "cgroupsPath {path:?}");
        t.rt(&["delete", "--force", &t.id]).ok();
        assert!(!want.exists(), "{} left", want.display());
    }
    let _ = std::fs::remove_dir(mem.join("husk-test-abs"));
    t.assert_clean();
}

#[test]
fn cgroup_namespace_sees_its_own_root() {
    let t = ctx!();
    let spec = Spec::payload(&["cat", "/proc/self/cgroup"])
        .namespaces(&["pid", "mount", "uts", "ipc", "network", "cgroup"]);
    let out = t.run(&spec).ok();
    assert!(!out.stdout.is_empty());
    for l in out.stdout.lines() {
        assert!(l.ends_with(":/"), "not the namespace root: {l}");
    }
    t.delete();
    t.assert_clean();
}

#[test]
fn failed_create_leaves_no_cgroup_and_names_the_controller() {
    let t = ctx!();
    // A controller this host may lack: the error names it, and nothing is left.
    for (res, ctrl) in [
        (r#""network": {"classID": 1048577}"#, "net_cls"),
        (r#""rdma": {"mlx4_0": {"hcaHandles": 2}}"#, "rdma"),
        (r#""unified": {"memory.high": "1000000"}"#, "memory"),
        (r#""cpu": {"shares": 1}"#, "cpu"),
    ] {
        let spec = Spec::payload(&["exit", "0"]).linux_raw(&format!(r#""resources": {{{res}}}"#));
        let out = t.create(&spec);
        if out.code == Some(0) {
            // The host has it: fine, clean up.
            t.rt(&["delete", "--force", &t.id]).ok();
            continue;
        }
        assert!(
            out.stderr.contains(ctrl),
            "error for {res} should name {ctrl}: {}",
            out.stderr
        );
        assert!(
            common::cgroup_dirs_named(&t.id).is_empty(),
            "cgroup left after failed create ({res})"
        );
    }
    t.assert_clean();
}

#[test]
fn hugetlb_limit_lands_where_hugetlb_lives() {
    let t = ctx!();
    let spec = Spec::payload(&["sleep", "30"])
        .linux_raw(r#""resources": {"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}"#);
    let out = t.create(&spec);
    if out.code != Some(0) {
        assert!(out.stderr.contains("hugetlb"), "{}", out.stderr);
        t.assert_clean();
        return;
    }
    let pid = pid_of(&t);
    let (dir, file) = match cgroup_dir(pid, "hugetlb") {
        Some(d) => (d, "hugetlb.2MB.limit_in_bytes"),
        None => (
            cgroup_dir(pid, "").expect("hugetlb on v2"),
            "hugetlb.2MB.max",
        ),
    };
    assert_eq!(
        std::fs::read_to_string(dir.join(file))
            .unwrap_or_default()
            .trim(),
        "4194304"
    );
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn features_report_cgroups() {
    let t = ctx!();
    let f = Json::parse(&t.rt(&["features"]).ok().stdout).expect("features JSON");
    let cg = f
        .get("linux")
        .and_then(|l| l.get("cgroup"))
        .expect("linux.cgroup");
    assert_eq!(cg.get("v1"), Some(&Json::Bool(true)));
    assert_eq!(cg.get("v2"), Some(&Json::Bool(true)));
    assert_eq!(cg.get("systemd"), Some(&Json::Bool(false)));
}
