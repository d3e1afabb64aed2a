//! linux.seccomp enforced in real containers: the payload makes a syscall and
//! reports its errno (`payload syscall NAME ARGS…` prints `ret=N` or `errno=N`).
//!
//! These run against any runtime (`HUSK_TEST_RUNTIME=/usr/sbin/runc` checks
//! the tests themselves). The filtered syscall is `userfaultfd`, which no
//! runtime makes between loading the filter and exec (runc's init calls
//! getppid after loading, so a profile refusing getppid breaks runc itself).
#[macro_use]
mod common;

use common::*;
use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::Path;

/// A spec running the payload with `seccomp` as `linux.seccomp`.
fn with_profile(args: &[&str], seccomp: &str) -> Spec {
    Spec::payload(args).linux_raw(&format!("\"seccomp\":{seccomp}"))
}

fn syscall(t: &common::Test, seccomp: &str, args: &[&str]) -> Report {
    let mut all = vec!["syscall"];
    all.extend_from_slice(args);
    t.run(&with_profile(&all, seccomp)).report()
}

#[test]

fn errno_action_returns_the_errno() {
    let t = ctx!();
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["userfaultfd"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}"#;
    assert_eq!(syscall(&t, p, &["userfaultfd"]).get("errno"), "77");
    // Without errnoRet: EPERM; other syscalls pass.
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["userfaultfd"],"action":"SCMP_ACT_ERRNO"}]}"#;
    assert_eq!(syscall(&t, p, &["userfaultfd"]).get("errno"), "1");
    assert!(syscall(&t, p, &["getpid"]).opt("ret").is_some());
    t.assert_clean();
}

#[test]

fn kill_action_kills() {
    let t = ctx!();
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["userfaultfd"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#;
    let out = t.run(&with_profile(&["syscall", "userfaultfd"], p));
    assert!(
        out.report().opt("ret").is_none() && out.report().opt("errno").is_none(),
        "{out:?}"
    );
    // run exits 128 + SIGSYS (31) when the container dies of it.
    assert_eq!(out.code, Some(128 + 31), "{out:?}");
    t.assert_clean();
}

#[test]

fn argument_rules_match_exact_values_and_masks() {
    let t = ctx!();
    // personality(2): ERRNO(13) when (arg0 & 0xff) == 8, ERRNO(22) when arg0 == 0x20008.
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":22,"args":[{"index":0,"value":131080,"op":"SCMP_CMP_EQ"}]},
        {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":0,"value":255,"valueTwo":8,"op":"SCMP_CMP_MASKED_EQ"}]}]}"#;
    assert_eq!(
        syscall(&t, p, &["personality", "131080"]).get("errno"),
        "22"
    );
    assert_eq!(syscall(&t, p, &["personality", "0x108"]).get("errno"), "13");
    // 0xffffffff queries the persona: neither rule matches.
    assert!(syscall(&t, p, &["personality", "0xffffffff"])
        .opt("ret")
        .is_some());
    t.assert_clean();
}

/// tests/fixtures/seccomp-default.json with the architectures of this
/// machine only, as containerd writes it (runc 1.1 refuses SCMP_ARCH_RISCV64).
fn default_profile() -> String {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seccomp-default.json"),
    )
    .unwrap();
    let arches = if cfg!(target_arch = "x86_64") {
        r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32""#
    } else if cfg!(target_arch = "aarch64") {
        r#""SCMP_ARCH_AARCH64","SCMP_ARCH_ARM""#
    } else if cfg!(target_arch = "arm") {
        r#""SCMP_ARCH_ARM""#
    } else {
        r#""SCMP_ARCH_RISCV64""#
    };
    let start = text.find("\"architectures\"").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    format!(
        "{}\"architectures\":[{arches}]{}",
        &text[..start],
        &text[end..]
    )
}

#[test]

fn docker_default_profile_blocks_unshare_mount_keyctl() {
    let t = ctx!();
    let p = default_profile();
    let newuser = format!("{:#x}", 0x1000_0000); // CLONE_NEWUSER
    assert_eq!(syscall(&t, &p, &["unshare", &newuser]).get("errno"), "1");
    assert_eq!(
        syscall(&t, &p, &["mount", "s:none", "s:/mnt", "s:tmpfs"]).get("errno"),
        "1"
    );
    assert_eq!(syscall(&t, &p, &["keyctl", "0"]).get("errno"), "1");
    assert!(syscall(&t, &p, &["getppid"]).opt("ret").is_some());
    t.assert_clean();
}

#[test]

fn docker_default_profile_runs_a_busybox_shell() {
    let t = ctx!();
    let spec = Spec::new(&[
        "/bin/sh",
        "-c",
        "echo start; ls / >/dev/null; cat /proc/self/status >/dev/null; echo done",
    ])
    .linux_raw(&format!("\"seccomp\":{}", default_profile()));
    let out = t.run(&spec).ok();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        ["start", "done"],
        "{out:?}"
    );
    t.assert_clean();
}

extern "C" {
    fn ioctl(fd: i32, req: std::ffi::c_ulong, ...) -> i32;
}

/// `_IOWR('!', nr, size)` (linux/seccomp.h).
fn iowr(nr: u64, size: u64) -> std::ffi::c_ulong {
    ((3 << 30) | (size << 16) | ((b'!' as u64) << 8) | nr) as std::ffi::c_ulong
}

/// The seccomp agent: accept one connection on `sock`, take the listener fd
/// (SCM_RIGHTS) and the container process state, answer one notification
/// with `val`. Returns the state JSON.
fn agent(sock: UnixListener, val: i64) -> String {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    use std::io::Read;
    let (mut conn, _) = sock.accept().unwrap();
    let mut buf = vec![0u8; 65536];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = RecvAncillaryBuffer::new(&mut space);
    let n = rustix::net::recvmsg(
        &conn,
        &mut [rustix::io::IoSliceMut::new(&mut buf)],
        &mut cmsg,
        RecvFlags::empty(),
    )
    .unwrap()
    .bytes;
    let mut fds: Vec<OwnedFd> = Vec::new();
    for m in cmsg.drain() {
        if let RecvAncillaryMessage::ScmRights(r) = m {
            fds.extend(r);
        }
    }
    buf.truncate(n);
    let listener = fds.pop().expect("listener fd");
    // struct seccomp_notif: id u64, pid u32, flags u32, seccomp_data (64 bytes).
    let mut req = [0u64; 10];
    // SAFETY: req is 80 bytes, the size of struct seccomp_notif.
    assert_eq!(
        unsafe { ioctl(listener.as_raw_fd(), iowr(0, 80), req.as_mut_ptr()) },
        0
    );
    // struct seccomp_notif_resp: id u64, val i64, error i32, flags u32.
    let resp = [req[0], val as u64, 0];
    // SAFETY: resp is 24 bytes, the size of struct seccomp_notif_resp.
    assert_eq!(
        unsafe { ioctl(listener.as_raw_fd(), iowr(1, 24), resp.as_ptr()) },
        0
    );
    // The rest of the state, if it came in more than one piece; the runtime
    // closes the connection (runc once the container has started).
    conn.read_to_end(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]

fn notify_hands_the_listener_to_the_agent() {
    let t = ctx!();
    let path = t.dir.join("agent.sock");
    let sock = UnixListener::bind(&path).unwrap();
    let agent = std::thread::spawn(move || agent(sock, 4242));
    let p = format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"{}","listenerMetadata":"husk-test",
        "syscalls":[{{"names":["userfaultfd"],"action":"SCMP_ACT_NOTIFY"}}]}}"#,
        path.display()
    );
    let r = syscall(&t, &p, &["userfaultfd"]);
    assert_eq!(r.get("ret"), "4242", "the agent's answer");
    let state = agent.join().unwrap();
    for part in [
        r#""fds":["seccompFd"]"#,
        r#""metadata":"husk-test""#,
        r#""state":{"#,
        &format!("\"id\":\"{}\"", t.id),
    ] {
        assert!(state.contains(part), "{part} in {state}");
    }
    t.assert_clean();
}
