//! Loading the compiled filter, and the SCMP_ACT_NOTIFY listener hand-off.
//!
//! # Order (what the caller must respect)
//!
//! A seccomp filter applies to every later syscall of the calling thread and
//! its children, husk's own included, and cannot be removed. So:
//! - **compile early, install late**: [`super::compile`] (which validates)
//!   and [`filter_flags`] run before fork, so errors reach the user cleanly;
//!   [`install`] is the last set-up step of the container process;
//! - the kernel refuses a filter (EACCES) unless no_new_privs is set or the
//!   caller has CAP_SYS_ADMIN. With `process.noNewPrivileges`, set NNP and
//!   install **right before `execve`**: then `execve` is the only syscall
//!   left under the filter. Without NNP, install while CAP_SYS_ADMIN is
//!   still held, i.e. before the "user" step drops capabilities and changes
//!   uid (runc does the same): the profile must then allow what husk does
//!   after it (setgroups, setresgid/setresuid, capset, prctl, chdir, umask,
//!   the sync write, the exec-fifo open/write, close_range, execve — the
//!   docker default profile does);
//! - `execve` itself must be allowed, or the container cannot start;
//! - **SCMP_ACT_NOTIFY**: the listener fd returned by [`install`] must reach
//!   a husk process outside the container that can connect to the host's
//!   `listenerPath` (the container process is already pivoted). runc installs
//!   before reporting "created" and passes the fd to its parent over the sync
//!   socket (SCM_RIGHTS), which calls the agent; husk's equivalent: install
//!   before READY, send the fd to the controller, which calls
//!   [`send_listener`] with the state ("creating", host pid) and closes its
//!   copy. The hand-off syscalls (sendmsg/write on the sync socket, close)
//!   run under the filter and must not be NOTIFY targets — nobody answers
//!   yet: validation refuses NOTIFY on `write` as runc does. With NOTIFY and
//!   no NNP the same CAP_SYS_ADMIN rule applies.

use super::bpf::{action_name, SockFilter};
use crate::config::seccomp::{Flag, Seccomp, Word};
use crate::error::{Context, Result};
use crate::sys::seccomp as sys;
use core::fmt::Write as _;
use linux_raw_sys::ptrace::{
    SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
    SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_RET_ACTION_FULL,
    SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
    SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
};
use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::Errno;

/// SECCOMP_FILTER_FLAG_* of a config flag.
pub fn flag_bits(f: Flag) -> u32 {
    match f {
        Flag::Tsync => SECCOMP_FILTER_FLAG_TSYNC,
        Flag::Log => SECCOMP_FILTER_FLAG_LOG,
        Flag::SpecAllow => SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        Flag::WaitKillableRecv => SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
    }
}

/// Does the running kernel accept flag `f`? (WAIT_KILLABLE_RECV is only
/// valid with a listener, so it is probed with one.)
pub fn flag_supported(f: Flag) -> bool {
    let bits = match f {
        Flag::WaitKillableRecv => {
            SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER
        }
        _ => flag_bits(f),
    };
    sys::flag_supported(bits)
}

/// The seccomp(2) flags for `cfg`: its `flags`, plus NEW_LISTENER when a rule
/// uses SCMP_ACT_NOTIFY. husk installs from a single-threaded process, so
/// TSYNC changes nothing; it is dropped next to NEW_LISTENER, which the
/// kernel refuses with TSYNC unless TSYNC_ESRCH (5.7+) is also given.
/// WAIT_KILLABLE_RECV only means something with a listener (the kernel
/// refuses it alone), so it is dropped when no rule notifies.
pub fn filter_flags(cfg: &Seccomp<'_>) -> u32 {
    let notify = cfg.uses_notify();
    let mut bits = if notify {
        SECCOMP_FILTER_FLAG_NEW_LISTENER
    } else {
        0
    };
    for f in cfg.flags.iter().filter_map(Word::known) {
        bits |= match f {
            Flag::Tsync if notify => 0,
            Flag::WaitKillableRecv if !notify => 0,
            f => flag_bits(f),
        };
    }
    bits
}

const FLAG_NAMES: [(u32, &str); 5] = [
    (SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"),
    (SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"),
    (
        SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    ),
    (
        SECCOMP_FILTER_FLAG_NEW_LISTENER,
        "SECCOMP_FILTER_FLAG_NEW_LISTENER (SCMP_ACT_NOTIFY)",
    ),
    (
        SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ),
];

/// Refuse what the kernel lacks, by name: each flag, and each action the
/// program can return (SECCOMP_GET_ACTION_AVAIL; before Linux 4.14, only the
/// original actions — KILL_PROCESS then degrades to killing the thread).
fn check_kernel(prog: &[SockFilter], flags: u32) -> Result<()> {
    for (bit, name) in FLAG_NAMES {
        let probe = if bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
            bit | SECCOMP_FILTER_FLAG_NEW_LISTENER
        } else {
            bit
        };
        if flags & bit != 0 && !sys::flag_supported(probe) {
            bail!("seccomp:", "flag {name} is not supported by this kernel");
        }
    }
    let ret_code = (linux_raw_sys::ptrace::BPF_RET | linux_raw_sys::ptrace::BPF_K) as u16;
    for (i, insn) in prog.iter().enumerate() {
        if insn.code != ret_code {
            continue;
        }
        let action = insn.k & SECCOMP_RET_ACTION_FULL;
        if prog
            .get(..i)
            .unwrap_or(&[])
            .iter()
            .any(|p| p.code == ret_code && p.k & SECCOMP_RET_ACTION_FULL == action)
        {
            continue; // checked already
        }
        let ok = match sys::action_available(action) {
            Ok(ok) => ok,
            Err(Errno::INVAL) => matches!(
                action,
                SECCOMP_RET_KILL_PROCESS
                    | SECCOMP_RET_KILL_THREAD
                    | SECCOMP_RET_TRAP
                    | SECCOMP_RET_ERRNO
                    | SECCOMP_RET_TRACE
                    | SECCOMP_RET_ALLOW
            ),
            Err(e) => return Err(e).ctx("seccomp", format_args!("SECCOMP_GET_ACTION_AVAIL")),
        };
        if !ok {
            bail!(
                "seccomp:",
                "action {} is not supported by this kernel",
                action_name(action)
            );
        }
    }
    Ok(())
}

/// Install `prog` on the calling thread with seccomp(2) and `flags` (from
/// [`filter_flags`]). Returns the notification listener when `flags` asks
/// for one (SCMP_ACT_NOTIFY). See the module doc for when to call it.
pub fn install(prog: &[SockFilter], flags: u32) -> Result<Option<OwnedFd>> {
    if prog.is_empty() {
        bail!("seccomp:", "empty filter");
    }
    check_kernel(prog, flags)?;
    match sys::set_mode_filter(flags, prog) {
        Err(Errno::ACCESS) => Err(crate::error::Error::with_errno(
            Errno::ACCESS.raw_os_error(),
            "seccomp:",
            format_args!("loading the filter needs no_new_privs or CAP_SYS_ADMIN"),
        )),
        r => r.ctx(
            "seccomp:",
            format_args!("load filter ({} instructions)", prog.len()),
        ),
    }
}

/// Hand the listener to the seccomp agent, as runc does: connect to the unix
/// stream socket `listener_path` (raw config string), send one "container
/// process state" (config-linux.md#containerprocessstate) — `ociVersion`,
/// `fds: ["seccompFd"]`, `pid`, `metadata` (raw config string, omitted when
/// empty) and `state`: the container's OCI state JSON `state_json`, whose
/// `ociVersion` and `pid` are reused — with the listener as SCM_RIGHTS in
/// the same sendmsg, then close the connection.
pub fn send_listener(
    listener: BorrowedFd<'_>,
    listener_path: &str,
    state_json: &[u8],
    metadata: &str,
) -> Result<()> {
    use rustix::net::{
        self, AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketType,
    };

    let head = state_head(state_json)?;
    let mut prefix: heapless::String<192> = heapless::String::new();
    write!(
        prefix,
        "{{\"ociVersion\":\"{}\",\"fds\":[\"seccompFd\"],\"pid\":{}",
        head.oci_version, head.pid
    )
    .map_err(|_| err!("seccomp listener:", "ociVersion too long"))?;
    let meta_open: &[u8] = if metadata.is_empty() {
        b""
    } else {
        b",\"metadata\":\""
    };
    let meta_close: &[u8] = if metadata.is_empty() { b"" } else { b"\"" };
    let parts: [&[u8]; 7] = [
        prefix.as_bytes(),
        meta_open,
        metadata.as_bytes(),
        meta_close,
        b",\"state\":",
        state_json,
        b"}",
    ];

    let field = "linux.seccomp.listenerPath";
    let path = crate::config::json::string(listener_path, field)?;
    let addr = net::SocketAddrUnix::new(path.as_str())
        .ctx("seccomp listener:", format_args!("{field} {path}"))?;
    let sock = net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        net::SocketFlags::CLOEXEC,
        None,
    )
    .ctx("socket", format_args!("for seccomp listener"))?;
    net::connect(&sock, &addr).ctx("connect seccomp listener", format_args!("{path}"))?;

    let iov = parts.map(rustix::io::IoSlice::new);
    let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = SendAncillaryBuffer::new(&mut space);
    let fds = [listener];
    if !cmsg.push(SendAncillaryMessage::ScmRights(&fds)) {
        bail!("seccomp listener:", "control buffer too small");
    }
    let mut sent = net::sendmsg(&sock, &iov, &mut cmsg, SendFlags::NOSIGNAL)
        .ctx("send seccomp listener", format_args!("to {path}"))?;
    // A stream socket may take less at once; the rest goes without the fd
    // (the spec allows several sendmsg, fds only in the first).
    for part in parts {
        let skip = sent.min(part.len());
        sent -= skip;
        let mut rest = part.get(skip..).unwrap_or(&[]);
        while !rest.is_empty() {
            let n = net::send(&sock, rest, SendFlags::NOSIGNAL)
                .ctx("send seccomp listener", format_args!("to {path}"))?;
            rest = rest.get(n..).unwrap_or(&[]);
        }
    }
    Ok(())
}

/// The two fields of the OCI state reused in the process state.
struct StateHead<'a> {
    oci_version: &'a str,
    pid: i64,
}

fn state_head(state_json: &[u8]) -> Result<StateHead<'_>> {
    #[derive(Default)]
    struct Head<'a> {
        oci_version: &'a str,
        pid: Option<i64>,
    }
    crate::config::de::json_object!(Head<'a> {
        required { oci_version: "ociVersion" }
        optional { pid: "pid" }
    });
    let (h, _) = serde_json_core::from_slice::<Head>(state_json).map_err(|_| {
        err!(
            "seccomp listener:",
            "container state is not valid JSON with ociVersion"
        )
    })?;
    if h.oci_version.contains(['"', '\\']) {
        bail!("seccomp listener:", "bad ociVersion in container state");
    }
    Ok(StateHead {
        oci_version: h.oci_version,
        pid: h.pid.unwrap_or(0),
    })
}
