//! What the container sees, through the payload's report: hostname, pid, ids, cwd, env,
//! namespaces (inode compare with the host), mounts, /dev, the root (read-only, bind mounts,
//! symlinks that must not lead out, --no-pivot) and its open fds.

use super::{report_then_sleep, wait_output};
use crate::common::{self, host_ns, is_husk, Report, Spec};
use std::fs;

#[test]
fn hostname() {
    let t = ctx!();
    let r = t
        .run(&Spec::payload(&["report"]).hostname("box-1"))
        .ok()
        .report();
    assert_eq!(r.get("hostname"), "box-1");
    t.assert_clean();
}

#[test]
fn domainname() {
    let t = ctx!();
    if !is_husk() {
        eprintln!("SKIP domainname: runc 1.1 ignores the domainname field (added in runc 1.2)");
        return;
    }
    let r = t
        .run(
            &Spec::payload(&["report"])
                .hostname("box-1")
                .domainname("example.org"),
        )
        .ok()
        .report();
    assert_eq!(r.get("domainname"), "example.org");
    t.assert_clean();
}

#[test]
fn process_is_pid_1_of_new_pid_namespace() {
    let t = ctx!();
    let r = t.run(&Spec::payload(&["report"])).ok().report();
    assert_eq!(r.get("pid"), "1");
    assert_eq!(r.get("ppid"), "0");
    t.assert_clean();
}

#[test]
fn user_uid_gid_additional_gids_umask() {
    let t = ctx!();
    let spec = Spec::payload(&["report"])
        .user(1000, 1001, &[10, 20, 30])
        .umask(0o027);
    let r = t.run(&spec).ok().report();
    assert_eq!((r.get("uid"), r.get("euid")), ("1000", "1000"));
    assert_eq!((r.get("gid"), r.get("egid")), ("1001", "1001"));
    let groups: Vec<&str> = r.get("groups").split(',').collect();
    for g in ["10", "20", "30"] {
        assert!(
            groups.contains(&g),
            "additional gid {g} missing: {groups:?}"
        );
    }
    assert_eq!(r.get("umask"), "0027");
    t.assert_clean();
}

#[test]
fn cwd_is_set() {
    let t = ctx!();
    let r = t.run(&Spec::payload(&["report"]).cwd("/tmp")).ok().report();
    assert_eq!(r.get("cwd"), "/tmp");
    t.assert_clean();
}

#[test]
fn env_is_exactly_the_config() {
    let t = ctx!();
    // HOME is given so a runtime that adds HOME when missing (runc does) leaves the set unchanged.
    let spec = Spec::payload(&["report"])
        .env("HOME=/root")
        .env("FOO=bar baz")
        .env("EMPTY=")
        .env("EQ=a=b");
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("env.FOO"), "bar baz");
    assert_eq!(r.get("env.EMPTY"), "");
    assert_eq!(r.get("env.EQ"), "a=b");
    assert!(r.get("env.PATH").contains("/bin"));
    assert_eq!(
        r.get("env_count"),
        spec.env.len().to_string(),
        "extra or missing env: {r:?}"
    );
    t.assert_clean();
}

#[test]
fn requested_namespaces_are_new_others_are_the_hosts() {
    let t = ctx!();
    let r = t
        .run(
            &Spec::payload(&["report"])
                .namespaces(&["pid", "mount", "uts", "ipc", "network", "cgroup"]),
        )
        .ok()
        .report();
    for ns in ["pid", "mnt", "uts", "ipc", "net", "cgroup"] {
        assert_ne!(
            r.get(&format!("ns.{ns}")),
            host_ns(ns),
            "{ns} namespace not new"
        );
    }
    for ns in ["user", "time"] {
        if let Some(v) = r.opt(&format!("ns.{ns}")) {
            assert_eq!(v, host_ns(ns), "{ns} namespace not requested but differs");
        }
    }
    t.assert_clean();
}

#[test]
fn only_mount_namespace() {
    let t = ctx!();
    let spec = Spec::payload(&["report"])
        .namespaces(&["mount"])
        .no_mounts()
        .mount("/proc", "proc", "proc", &[]);
    let mut spec = spec;
    spec.hostname = None;
    let r = t.run(&spec).ok().report();
    assert_ne!(r.get("ns.mnt"), host_ns("mnt"));
    for ns in ["pid", "uts", "ipc", "net", "cgroup", "user"] {
        assert_eq!(
            r.get(&format!("ns.{ns}")),
            host_ns(ns),
            "{ns} namespace not requested but differs"
        );
    }
    assert_ne!(r.get("pid"), "1", "no pid namespace requested, yet pid 1");
    t.assert_clean();
}

#[test]
fn default_mounts_present() {
    let t = ctx!();
    let r = t.run(&Spec::payload(&["report"])).ok().report();
    for (point, fstype) in [
        ("/proc", "proc"),
        ("/dev", "tmpfs"),
        ("/dev/pts", "devpts"),
        ("/dev/shm", "tmpfs"),
        ("/dev/mqueue", "mqueue"),
        ("/sys", "sysfs"),
    ] {
        let m = r
            .mount(point)
            .unwrap_or_else(|| panic!("{point} not mounted: {:#?}", r.mounts()));
        assert_eq!(m.0, fstype, "{point}");
    }
    let sys = r.mount("/sys").unwrap_or_default();
    assert!(
        sys.1.split(',').any(|o| o == "ro"),
        "/sys not read-only: {sys:?}"
    );
    let shm = r.mount("/dev/shm").unwrap_or_default();
    for o in ["nosuid", "nodev", "noexec"] {
        assert!(
            shm.1.split(',').any(|x| x == o),
            "/dev/shm lacks {o}: {shm:?}"
        );
    }
    // the root is the bundle's rootfs: busybox and the payload are there, the host's /work is not
    let root = r.mount("/").expect("a root mount");
    assert!(!root.0.is_empty());
    t.assert_clean();
}

#[test]
fn dev_has_default_devices_and_links() {
    let t = ctx!();
    let script = "for d in null zero full random urandom tty; do stat -c \"dev.$d=%F %t:%T %a\" /dev/$d; done; \
                  for l in fd stdin stdout stderr ptmx; do echo link.$l=$(readlink /dev/$l); done; \
                  echo null-write=$(echo x > /dev/null && echo ok); \
                  echo zero-read=$(head -c 4 /dev/zero | od -An -tx1 | tr -d ' ')";
    let r = t.run(&Spec::new(&["/bin/sh", "-c", script])).ok().report();
    for (d, num) in [
        ("null", "1:3"),
        ("zero", "1:5"),
        ("full", "1:7"),
        ("random", "1:8"),
        ("urandom", "1:9"),
        ("tty", "5:0"),
    ] {
        let v = r.get(&format!("dev.{d}"));
        assert!(
            v.starts_with(&format!("character special file {num} ")),
            "/dev/{d}: {v}"
        );
        assert!(v.ends_with(" 666"), "/dev/{d} mode: {v}");
    }
    for (l, to) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ] {
        assert_eq!(r.get(&format!("link.{l}")), to, "/dev/{l}");
    }
    assert_eq!(r.get("null-write"), "ok");
    assert_eq!(r.get("zero-read"), "00000000");
    t.assert_clean();
}

#[test]
fn readonly_root() {
    let t = ctx!();
    let script = "/payload write /newfile; /payload write /tmp/x; /payload write /dev/shm/x";
    let r = t
        .run(&Spec::new(&["/bin/sh", "-c", script]).readonly())
        .ok()
        .report();
    assert_eq!(
        r.all("errno"),
        ["30", "30", "0"],
        "want EROFS on / and /tmp, success on the /dev/shm tmpfs"
    );
    assert!(r.0.len() == 3);
    assert!(!t.bundle.join("rootfs/newfile").exists());
    t.assert_clean();
}

#[test]
fn bind_mounts_ro_and_rw() {
    let t = ctx!();
    let (ro, rw) = (t.dir.join("ro-src"), t.dir.join("rw-src"));
    fs::create_dir_all(&ro).unwrap();
    fs::create_dir_all(&rw).unwrap();
    fs::write(ro.join("hello"), "from the host\n").unwrap();
    let script = "/payload cat /mnt/ro/hello; /payload write /mnt/ro/new; /payload write /mnt/rw/new from-container; /payload report";
    let spec = Spec::new(&["/bin/sh", "-c", script])
        .mount("/mnt/ro", "bind", ro.to_str().unwrap(), &["rbind", "ro"])
        .mount("/mnt/rw", "none", rw.to_str().unwrap(), &["bind", "rw"]);
    let out = t.run(&spec).ok();
    assert!(out.stdout.starts_with("from the host\n"), "{}", out.stdout);
    let r = out.report();
    assert_eq!(r.all("errno"), ["30", "0"]);
    assert_eq!(
        fs::read_to_string(rw.join("new")).unwrap_or_default(),
        "from-container"
    );
    assert!(!ro.join("new").exists());
    let m = r.mount("/mnt/ro").expect("/mnt/ro mounted");
    assert!(m.1.split(',').any(|o| o == "ro"), "{m:?}");
    t.assert_clean();
}

#[test]
fn symlink_in_rootfs_does_not_lead_out() {
    let t = ctx!();
    let host_dir = t.dir.join("host-dir");
    fs::create_dir_all(&host_dir).unwrap();
    fs::write(host_dir.join("marker"), "host").unwrap();
    t.bundle(&Spec::payload(&[]));
    std::os::unix::fs::symlink(&host_dir, t.bundle.join("rootfs/mnt/evil")).unwrap();
    let spec = Spec::new(&[
        "/bin/sh",
        "-c",
        "/payload write /mnt/evil/pwned; /payload report",
    ])
    .mount("/mnt/evil", "tmpfs", "tmpfs", &[]);
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("errno"), "0", "writing through the mount failed");
    // nothing reached the host dir, no host mount on it
    let mut names: Vec<_> = fs::read_dir(&host_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["marker"], "the container wrote into the host dir");
    assert!(
        common::mounts_under(&host_dir).is_empty(),
        "host mount on {}",
        host_dir.display()
    );
    // the tmpfs landed inside the root, where the symlink resolves within it
    let inside = host_dir.to_string_lossy().into_owned();
    let m = r.mount(&inside).or_else(|| r.mount("/mnt/evil"));
    assert_eq!(
        m.map(|m| m.0).as_deref(),
        Some("tmpfs"),
        "tmpfs not inside the root: {:#?}",
        r.mounts()
    );
    t.assert_clean();
}

#[test]
fn no_pivot() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["report"]).hostname("nopivot"));
    let r = t
        .rt(&[
            "run",
            "--no-pivot",
            "--bundle",
            t.bundle.to_str().unwrap(),
            &t.id,
        ])
        .ok()
        .report();
    assert_eq!(r.get("hostname"), "nopivot");
    assert_eq!(r.get("pid"), "1");
    assert_eq!(r.get("cwd"), "/");
    // the host's root is not reachable: the container's / is the rootfs
    assert!(
        r.mounts()
            .iter()
            .all(|m| !m.0.starts_with("/work") && !m.0.starts_with(t.bundle.to_str().unwrap())),
        "{:#?}",
        r.mounts()
    );
    t.assert_clean();
}

#[test]
fn create_with_no_pivot_then_start() {
    let t = ctx!();
    t.bundle(&report_then_sleep());
    t.create_raw(&["--no-pivot"]).ok();
    t.start().ok();
    let r = Report::parse(&wait_output(&t, "tty.stdout="));
    assert_eq!(r.get("ppid"), "1", "the shell is not pid 1");
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn only_stdio_fds_reach_the_container() {
    let t = ctx!();
    let r = t.run(&Spec::payload(&["report"])).ok().report();
    let fds: Vec<&str> =
        r.0.iter()
            .filter(|(k, _)| k.starts_with("fd."))
            .map(|(k, _)| k.as_str())
            .collect();
    assert_eq!(
        fds,
        ["fd.0", "fd.1", "fd.2"],
        "extra fds leaked into the container: {r:?}"
    );
    t.assert_clean();
}
