//! The sync protocol between `husk create` (the CLI, "parent"), the
//! re-executed controller and the container process, over one
//! SOCK_SEQPACKET socketpair. Every message is one fixed-size frame.
//!
//! ```text
//!  parent (husk create)          controller (husk init)        container (pid 1)
//!  ────────────────────          ──────────────────────        ─────────────────
//!                        ◄────── CGROUP_REQ  first thing, before any namespace;
//!  moves the controller ───────► CGROUP_ACK  parent has put it in the container's
//!  into its cgroups                          cgroups (src/cgroup), so the cgroup
//!                                            namespace it unshares is rooted there
//!                        ◄────── IDMAP_REQ   unshared a user ns; parent writes
//!  writes uid_map/gid_map ─────► IDMAP_ACK   its uid_map/gid_map from outside
//!                        ◄────── PID         host pid of the container process,
//!                                            then the controller exits
//!                        ◄─────────────────────────────────── HOOKS_REQ  mounts done,
//!  runs prestart and createRuntime hooks                             before pivot_root
//!  (controller/hooks.rs) ───────────────────────────────────► HOOKS_ACK  (only when the
//!                                                                    config has such hooks)
//!                        ◄─────────────────────────────────── CONSOLE_FD  pty master
//!  sends it to --console-socket (SCM_RIGHTS)                         (process.terminal)
//!                        ◄─────────────────────────────────── SECCOMP_FD  the NOTIFY
//!                                                                    listener (SCM_RIGHTS),
//!  parent hands it to linux.seccomp.listenerPath                     when the profile has one
//!                        ◄─────────────────────────────────── READY  set up, blocked
//!                                                                    on the exec fifo
//!                        ◄────── ERROR ────────────────────── ERROR  (any time: errno,
//!                                                                    what, detail; ends
//!                                                                    the create)
//!  EOF before READY: both children died; create fails.
//!
//!  exec (`husk init` with INIT_EXEC, controller/exec.rs, init/exec.rs): the
//!  same frames without IDMAP and HOOKS: CGROUP_REQ/ACK, then the controller
//!  joins the container's namespaces, forks and sends PID; the process sends
//!  CONSOLE_FD / SECCOMP_FD / ERROR as above, and no READY: EOF after PID
//!  means it executed its program (the socket is close-on-exec).
//! ```
//!
//! Frame layout (little-endian, FRAME bytes): kind u32 | errno i32 | value i32 |
//! what_len u16 | detail_len u16 | what and detail bytes.

use crate::error::{Context, Error, Result};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

pub const FRAME: usize = 256;
const HEAD: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    IdmapReq = 1,
    IdmapAck = 2,
    Pid = 3,
    Ready = 4,
    Error = 5,
    SeccompFd = 6,
    CgroupReq = 7,
    CgroupAck = 8,
    HooksReq = 9,
    HooksAck = 10,
    ConsoleFd = 11,
}

impl Kind {
    fn from_u32(v: u32) -> Option<Kind> {
        Some(match v {
            1 => Kind::IdmapReq,
            2 => Kind::IdmapAck,
            3 => Kind::Pid,
            4 => Kind::Ready,
            5 => Kind::Error,
            6 => Kind::SeccompFd,
            7 => Kind::CgroupReq,
            8 => Kind::CgroupAck,
            9 => Kind::HooksReq,
            10 => Kind::HooksAck,
            11 => Kind::ConsoleFd,
            _ => return None,
        })
    }
}

/// A decoded frame.
#[derive(Debug)]
pub struct Msg {
    pub kind: Kind,
    pub errno: i32,
    pub value: i32,
    pub text: heapless::String<{ FRAME - HEAD }>,
    pub what_len: usize,
    /// A file descriptor that came with the frame (SCM_RIGHTS).
    pub fd: Option<OwnedFd>,
}

impl Msg {
    /// The error a child reported, for the parent to return.
    pub fn to_error(&self) -> Error {
        let (what, detail) = self.text.split_at(self.what_len.min(self.text.len()));
        Error::with_errno(
            self.errno,
            "container set-up failed:",
            format_args!("{what} {detail}"),
        )
    }
}

/// Send a frame without text.
pub fn send(fd: BorrowedFd<'_>, kind: Kind, value: i32) -> Result<()> {
    send_frame(fd, kind, 0, value, "", "")
}

/// Send an error frame carrying `e`.
pub fn send_error(fd: BorrowedFd<'_>, step: &str, e: &Error) -> Result<()> {
    let mut detail = heapless::String::<{ FRAME - HEAD }>::new();
    let _ = core::fmt::write(&mut detail, format_args!("{} {}", e.what, e.detail));
    send_frame(fd, Kind::Error, e.errno, 0, step, &detail)
}

/// Send a frame carrying the file descriptor `passed` (SCM_RIGHTS).
pub fn send_fd(fd: BorrowedFd<'_>, kind: Kind, passed: BorrowedFd<'_>) -> Result<()> {
    let mut f = [0u8; FRAME];
    f[0..4].copy_from_slice(&(kind as u32).to_le_bytes());
    let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = SendAncillaryBuffer::new(&mut space);
    let fds = [passed];
    if !cmsg.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(err!("send sync frame:", "control buffer too small"));
    }
    rustix::net::sendmsg(
        fd,
        &[rustix::io::IoSlice::new(&f)],
        &mut cmsg,
        SendFlags::NOSIGNAL,
    )
    .ctx("send sync frame", format_args!("{kind:?}"))?;
    Ok(())
}

fn send_frame(
    fd: BorrowedFd<'_>,
    kind: Kind,
    errno: i32,
    value: i32,
    what: &str,
    detail: &str,
) -> Result<()> {
    let mut f = [0u8; FRAME];
    let what = cut(what, FRAME - HEAD);
    let detail = cut(detail, FRAME - HEAD - what.len());
    f[0..4].copy_from_slice(&(kind as u32).to_le_bytes());
    f[4..8].copy_from_slice(&errno.to_le_bytes());
    f[8..12].copy_from_slice(&value.to_le_bytes());
    f[12..14].copy_from_slice(&(what.len() as u16).to_le_bytes());
    f[14..16].copy_from_slice(&(detail.len() as u16).to_le_bytes());
    f[HEAD..HEAD + what.len()].copy_from_slice(what.as_bytes());
    f[HEAD + what.len()..HEAD + what.len() + detail.len()].copy_from_slice(detail.as_bytes());
    rustix::net::send(fd, &f, SendFlags::NOSIGNAL)
        .ctx("send sync frame", format_args!("{kind:?}"))?;
    Ok(())
}

/// Longest prefix of `s` within `max` bytes, on a char boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Send `req` and wait for `ack` (an ERROR frame comes back as the error).
pub fn request(fd: BorrowedFd<'_>, req: Kind, ack: Kind) -> Result<()> {
    send(fd, req, 0)?;
    match recv(fd)? {
        Some(m) if m.kind == ack => Ok(()),
        Some(m) if m.kind == Kind::Error => Err(m.to_error()),
        _ => Err(err!("sync protocol:", "no {:?} after {:?}", ack, req)),
    }
}

/// Receive one frame; `None` at EOF (every other end closed).
pub fn recv(fd: impl AsFd) -> Result<Option<Msg>> {
    let mut f = [0u8; FRAME];
    let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = RecvAncillaryBuffer::new(&mut space);
    let n = loop {
        let mut iov = [rustix::io::IoSliceMut::new(&mut f)];
        match rustix::net::recvmsg(fd.as_fd(), &mut iov, &mut cmsg, RecvFlags::CMSG_CLOEXEC) {
            Err(rustix::io::Errno::INTR) => continue,
            r => break r.ctx("receive sync frame", format_args!(""))?.bytes,
        }
    };
    let mut passed = None;
    for m in cmsg.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = m {
            for fd in fds {
                passed.get_or_insert(fd);
            }
        }
    }
    if n == 0 {
        return Ok(None);
    }
    if n != FRAME {
        return Err(err!("bad sync frame:", "{n} bytes"));
    }
    let u32_at = |i: usize| u32::from_le_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
    let kind =
        Kind::from_u32(u32_at(0)).ok_or_else(|| err!("bad sync frame:", "kind {}", u32_at(0)))?;
    let what_len = usize::from(u16::from_le_bytes([f[12], f[13]]));
    let detail_len = usize::from(u16::from_le_bytes([f[14], f[15]]));
    let end = (HEAD + what_len + detail_len).min(FRAME);
    let mut text = heapless::String::new();
    let _ = text.push_str(core::str::from_utf8(&f[HEAD..end]).unwrap_or("(bad text)"));
    Ok(Some(Msg {
        kind,
        errno: u32_at(4) as i32,
        value: u32_at(8) as i32,
        text,
        what_len,
        fd: passed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let (a, b) = rustix::net::socketpair(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::SEQPACKET,
            rustix::net::SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        send(a.as_fd(), Kind::Pid, 1234).unwrap();
        let e = Error::with_errno(2, "mount", format_args!("proc on /proc"));
        send_error(a.as_fd(), "mounts", &e).unwrap();
        let m = recv(&b).unwrap().unwrap();
        assert_eq!((m.kind, m.value), (Kind::Pid, 1234));
        let m = recv(&b).unwrap().unwrap();
        assert_eq!(m.kind, Kind::Error);
        assert_eq!(
            m.to_error().to_string(),
            "container set-up failed: mounts mount proc on /proc: ENOENT (no such file or directory)"
        );
        drop(a);
        assert!(recv(&b).unwrap().is_none());
    }
}
