//! Loading on this kernel (native arch only): the filter is installed in a
//! forked child, which then makes syscalls and reports what it saw through
//! its exit status. Skipped, with the reason printed, where the host cannot
//! load filters. Plus the listener hand-off to a unix socket, which needs no
//! seccomp at all.

use super::{compile_for, parse};
use crate::seccomp::load::{filter_flags, install, send_listener};
use crate::seccomp::{Arch, Program};
use crate::sys::{fork_process, raw_syscall, Forked};
use linux_raw_sys::general::{__NR_exit_group, __NR_getpid, __NR_getppid, __NR_ioctl, __NR_uname};
use rustix::fd::AsRawFd;
use rustix::process::{waitpid, Pid, WaitOptions};

/// Exit code of a child that could not load the filter.
const NO_SECCOMP: i32 = 99;

fn exit(code: i32) -> ! {
    // SAFETY: exit_group takes one integer and does not return.
    let _ = unsafe { raw_syscall(__NR_exit_group, [code as usize, 0, 0, 0, 0, 0]) };
    unreachable!()
}

fn nr(name: &str) -> u32 {
    Arch::native().abis()[0].lookup(name).unwrap()
}

/// Syscall `n` with `args`: the return value or the errno.
fn sys(n: u32, args: [usize; 6]) -> Result<usize, i32> {
    // SAFETY: only used with getppid/getpid (no arguments), uname(NULL)
    // (the kernel checks the pointer) and the notify ioctls on live structs.
    unsafe { raw_syscall(n, args) }.map_err(|e| e.raw_os_error())
}

/// Fork; the child sets no_new_privs, installs `prog` and runs `then`, whose
/// value becomes its exit code. Returns the child's wait status.
fn in_child(
    prog: &Program,
    flags: u32,
    then: impl FnOnce(Option<rustix::fd::OwnedFd>) -> i32,
) -> rustix::process::WaitStatus {
    match fork_process().unwrap() {
        Forked::Child => {
            if rustix::thread::set_no_new_privs(true).is_err() {
                exit(NO_SECCOMP);
            }
            match install(prog, flags) {
                Ok(listener) => exit(then(listener)),
                Err(_) => exit(NO_SECCOMP),
            }
        }
        Forked::Parent(pid) => {
            let pid = Pid::from_raw(pid).unwrap();
            waitpid(Some(pid), WaitOptions::empty()).unwrap().unwrap().1
        }
    }
}

fn skipped(status: rustix::process::WaitStatus, what: &str) -> bool {
    if status.exit_status() == Some(NO_SECCOMP) {
        println!("skipped {what}: this host cannot load seccomp filters here");
        return true;
    }
    false
}

#[test]
fn installed_filter_enforces_errno_and_args() {
    let cfg = parse(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":42},
        {"names":["uname"],"action":"SCMP_ACT_ERRNO","errnoRet":33,"args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}"#,
    );
    let prog = compile_for(&cfg, Arch::native());
    let status = in_child(&prog, filter_flags(&cfg), |_| {
        match (
            sys(__NR_getppid, [0; 6]),
            sys(__NR_uname, [0; 6]),
            sys(__NR_getpid, [0; 6]),
        ) {
            (Err(42), Err(33), Ok(_)) => 0,
            (Ok(_), _, _) => 1,
            (_, Err(14), _) => 2, // EFAULT: the argument rule did not match
            _ => 3,
        }
    });
    if !skipped(status, "installed_filter_enforces_errno_and_args") {
        assert_eq!(status.exit_status(), Some(0), "{status:?}");
    }
}

#[test]
fn installed_filter_kills() {
    let cfg = parse(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#,
    );
    let prog = compile_for(&cfg, Arch::native());
    let status = in_child(&prog, filter_flags(&cfg), |_| {
        let _ = sys(__NR_getppid, [0; 6]);
        0
    });
    if !skipped(status, "installed_filter_kills") {
        assert_eq!(
            status.terminating_signal(),
            Some(linux_raw_sys::general::SIGSYS as i32),
            "{status:?}"
        );
    }
}

/// `_IOWR('!', nr, size)` (linux/seccomp.h; same encoding on all four arches).
fn iowr(nr: u32, size: usize) -> usize {
    ((3 << 30) | (size << 16) | (usize::from(b'!') << 8)) | nr as usize
}

#[test]
fn notify_delivers_to_the_listener() {
    use linux_raw_sys::ptrace::{seccomp_notif, seccomp_notif_resp, SECCOMP_RET_USER_NOTIF};
    if crate::sys::seccomp::action_available(SECCOMP_RET_USER_NOTIF) != Ok(true) {
        println!("skipped notify_delivers_to_the_listener: kernel without SECCOMP_RET_USER_NOTIF");
        return;
    }
    let cfg = parse(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/unused",
        "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_NOTIFY"}]}"#,
    );
    let prog = compile_for(&cfg, Arch::native());
    let want_nr = nr("getppid");
    let status = in_child(&prog, filter_flags(&cfg), |listener| {
        let Some(listener) = listener else { return 10 };
        // The caller: its getppid waits for our answer.
        let caller = match fork_process() {
            Ok(Forked::Child) => exit(if sys(__NR_getppid, [0; 6]) == Ok(4242) {
                0
            } else {
                11
            }),
            Ok(Forked::Parent(pid)) => pid,
            Err(_) => return 12,
        };
        // SAFETY: all-zero is a valid seccomp_notif (plain integers).
        let mut req: seccomp_notif = unsafe { core::mem::zeroed() };
        let fd = listener.as_raw_fd() as usize;
        let recv = iowr(0, core::mem::size_of::<seccomp_notif>());
        if sys(
            __NR_ioctl,
            [fd, recv, core::ptr::addr_of_mut!(req) as usize, 0, 0, 0],
        )
        .is_err()
        {
            return 13;
        }
        if req.data.nr as u32 != want_nr {
            return 14;
        }
        let resp = seccomp_notif_resp {
            id: req.id,
            val: 4242,
            error: 0,
            flags: 0,
        };
        let send = iowr(1, core::mem::size_of::<seccomp_notif_resp>());
        if sys(
            __NR_ioctl,
            [fd, send, core::ptr::addr_of!(resp) as usize, 0, 0, 0],
        )
        .is_err()
        {
            return 15;
        }
        match waitpid(Pid::from_raw(caller), WaitOptions::empty()) {
            Ok(Some((_, st))) => st.exit_status().unwrap_or(16),
            _ => 17,
        }
    });
    if !skipped(status, "notify_delivers_to_the_listener") {
        assert_eq!(status.exit_status(), Some(0), "{status:?}");
    }
}

#[test]
fn listener_goes_to_listener_path_with_the_state() {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;

    let dir = std::env::temp_dir().join(format!("husk-seccomp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock = UnixListener::bind(dir.join("agent.sock")).unwrap();
    // The config keeps JSON escapes: \u0061 is "a".
    let raw_path = format!("{}/\\u0061gent.sock", dir.display());
    let agent = std::thread::spawn(move || {
        let (mut conn, _) = sock.accept().unwrap();
        let mut buf = vec![0u8; 4096];
        let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut cmsg = RecvAncillaryBuffer::new(&mut space);
        let n = rustix::net::recvmsg(
            &conn,
            &mut [rustix::io::IoSliceMut::new(&mut buf)],
            &mut cmsg,
            RecvFlags::empty(),
        )
        .unwrap()
        .bytes;
        let mut fds = Vec::new();
        for m in cmsg.drain() {
            if let RecvAncillaryMessage::ScmRights(r) = m {
                fds.extend(r);
            }
        }
        buf.truncate(n);
        conn.read_to_end(&mut buf).unwrap();
        (String::from_utf8(buf).unwrap(), fds)
    });
    let (r, mut w) = std::io::pipe().unwrap();
    let state = br#"{"ociVersion":"1.2.0","id":"c1","status":"creating","pid":4242,"bundle":"/b","annotations":{"k":"v"}}"#;
    send_listener(
        rustix::fd::AsFd::as_fd(&r),
        &raw_path,
        state,
        r#"MKNOD=/dev/null;\"q\""#,
    )
    .unwrap();
    let (json, mut fds) = agent.join().unwrap();
    assert_eq!(
        json,
        r#"{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":4242,"metadata":"MKNOD=/dev/null;\"q\"","state":{"ociVersion":"1.2.0","id":"c1","status":"creating","pid":4242,"bundle":"/b","annotations":{"k":"v"}}}"#
    );
    assert_eq!(fds.len(), 1, "one fd as SCM_RIGHTS");
    // The received fd is the pipe we sent: what we write arrives through it.
    w.write_all(b"x").unwrap();
    drop(w);
    let mut got = String::new();
    std::fs::File::from(fds.pop().unwrap())
        .read_to_string(&mut got)
        .unwrap();
    assert_eq!(got, "x");
    // Without metadata the field is left out; a missing socket is an error.
    let e = send_listener(
        rustix::fd::AsFd::as_fd(&r),
        &format!("{}/none.sock", dir.display()),
        state,
        "",
    )
    .unwrap_err();
    assert!(e.to_string().contains("connect seccomp listener"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn filter_flags_follow_the_profile() {
    use linux_raw_sys::ptrace::{
        SECCOMP_FILTER_FLAG_LOG as LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER as LISTENER,
        SECCOMP_FILTER_FLAG_SPEC_ALLOW as SPEC, SECCOMP_FILTER_FLAG_TSYNC as TSYNC,
        SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV as KILLABLE,
    };
    let all = r#""flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW","SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]"#;
    let plain = format!(r#"{{"defaultAction":"SCMP_ACT_ALLOW",{all}}}"#);
    assert_eq!(
        filter_flags(&parse(&plain)),
        TSYNC | LOG | SPEC,
        "WAIT_KILLABLE_RECV needs a listener"
    );
    let notify = format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW",{all},"listenerPath":"/a","syscalls":[{{"names":["read"],"action":"SCMP_ACT_NOTIFY"}}]}}"#
    );
    assert_eq!(
        filter_flags(&parse(&notify)),
        LISTENER | LOG | SPEC | KILLABLE,
        "TSYNC dropped next to NEW_LISTENER"
    );
}

#[test]
fn features_list_what_the_compiler_knows() {
    let mut s = String::new();
    crate::seccomp::write_features(&mut s).unwrap();
    assert!(
        s.starts_with(r#"{"enabled":true,"actions":["SCMP_ACT_KILL","#),
        "{s}"
    );
    for part in [
        r#""SCMP_CMP_MASKED_EQ""#,
        r#""SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV""#,
        r#""supportedFlags":["#,
    ] {
        assert!(s.contains(part), "{part} in {s}");
    }
    let native = Arch::native().abis()[0].scmp_name();
    assert!(s.contains(&format!(r#""archs":["{native}""#)), "{s}");
    if crate::sys::seccomp::flag_supported(linux_raw_sys::ptrace::SECCOMP_FILTER_FLAG_LOG) {
        assert!(
            s.contains(
                r#""supportedFlags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG""#
            ),
            "{s}"
        );
    }
}
