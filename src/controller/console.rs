//! What `husk create` hands through to the container besides the config:
//! the pty master for `--console-socket` (runc's protocol) and the fds of
//! `--preserve-fds` and socket activation (LISTEN_FDS).

use crate::error::{Context, Result};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix,
    SocketFlags, SocketType,
};
use std::path::Path;

/// process.terminal and --console-socket go together (runc's rule: a
/// terminal needs somewhere to send its master, and the socket needs a terminal).
pub fn check(socket: Option<&Path>, terminal: bool) -> Result<()> {
    match (terminal, socket) {
        (true, None) => bail!(
            "cannot allocate a terminal without --console-socket:",
            "process.terminal is true; give --console-socket PATH (a unix socket that receives the pty master)"
        ),
        (false, Some(p)) => bail!("--console-socket needs process.terminal:", "{} given but process.terminal is false", p.display()),
        _ => Ok(()),
    }
}

/// Connect to the console socket (before the container starts, so a wrong
/// path fails create at once).
pub fn connect(socket: Option<&Path>) -> Result<Option<OwnedFd>> {
    let Some(path) = socket else {
        return Ok(None);
    };
    let sock = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .ctx("socket", format_args!("for --console-socket"))?;
    let addr =
        SocketAddrUnix::new(path).ctx("console socket path", format_args!("{}", path.display()))?;
    rustix::net::connect(&sock, &addr).ctx(
        "connect",
        format_args!("--console-socket {}", path.display()),
    )?;
    Ok(Some(sock))
}

/// Send the pty master to the console socket: the name "/dev/ptmx" as data
/// and the fd as SCM_RIGHTS, as runc's utils.SendFile does (recvtty reads it).
pub fn send_master(sock: Option<&OwnedFd>, master: Option<OwnedFd>) -> Result<()> {
    let (Some(sock), Some(master)) = (sock, master) else {
        bail!(
            "console:",
            "a pty master arrived without a console socket, or no fd came with it"
        );
    };
    let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = SendAncillaryBuffer::new(&mut space);
    let fds: [BorrowedFd<'_>; 1] = [master.as_fd()];
    if !cmsg.push(SendAncillaryMessage::ScmRights(&fds)) {
        bail!("send pty master:", "control buffer too small");
    }
    rustix::net::sendmsg(
        sock,
        &[rustix::io::IoSlice::new(b"/dev/ptmx")],
        &mut cmsg,
        SendFlags::NOSIGNAL,
    )
    .ctx("send pty master", format_args!("to --console-socket"))?;
    Ok(())
}

/// (LISTEN_FDS count, all fds from 3 on the container gets). Socket
/// activation as runc: when LISTEN_PID is this process, its LISTEN_FDS fds
/// come first, then --preserve-fds more; every one must be open here, so no
/// fd husk opens later can take one of those numbers. `exec` takes no
/// socket activation (`activation` false), as runc.
pub fn extra_fds(preserve_fds: u32, activation: bool) -> Result<(u32, u32)> {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let listen = match (std::env::var("LISTEN_PID"), std::env::var("LISTEN_FDS")) {
        (Ok(p), Ok(n)) if activation && p.trim().parse::<i32>() == Ok(me) => {
            n.trim().parse::<u32>().unwrap_or(0)
        }
        _ => 0,
    };
    let total = listen
        .checked_add(preserve_fds)
        .filter(|t| *t < 65536)
        .ok_or_else(|| err!("invalid --preserve-fds", "{preserve_fds}: too many"))?;
    for fd in 3..3 + total {
        // SAFETY: only inspected with F_GETFD, never closed or owned.
        let b = unsafe { BorrowedFd::borrow_raw(fd as i32) };
        rustix::io::fcntl_getfd(b).ctx(
            "--preserve-fds / LISTEN_FDS",
            format_args!("fd {fd} is not open"),
        )?;
    }
    Ok((listen, total))
}
