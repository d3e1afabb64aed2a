//! What `husk create` hands through to the container besides the config:
//! the pty master for `--console-socket` (runc's protocol; in the foreground
//! without one, husk keeps it and proxies it, see cli/tty.rs) and the fds of
//! `--preserve-fds` and socket activation (LISTEN_FDS).

use crate::error::{Context, Result};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix,
    SocketFlags, SocketType,
};
use std::path::Path;

/// process.terminal and --console-socket go together (runc's rule: a
/// terminal needs somewhere to send its master, and the socket needs a
/// terminal). In the foreground (`run`, `exec` without -d) the master may
/// stay with husk instead, which proxies it to its own terminal (cli/tty.rs);
/// as runc, that needs a terminal on stdin, stdout, stderr or /dev/tty.
pub fn check(socket: Option<&Path>, terminal: bool, foreground: bool) -> Result<()> {
    match (terminal, socket) {
        (true, None) if foreground && host_terminal().is_some() => Ok(()),
        (true, None) => bail!(
            "cannot allocate a terminal without --console-socket:",
            "process.terminal is true; give --console-socket PATH (a unix socket that receives the pty master){}",
            if foreground { ", or run husk on a terminal" } else { "" }
        ),
        (false, Some(p)) => bail!("--console-socket needs process.terminal:", "{} given but process.terminal is false", p.display()),
        _ => Ok(()),
    }
}

/// husk's own terminal: the first of stdin, stdout and stderr that is one,
/// else the controlling terminal (/dev/tty), as runc's initHostConsole.
pub fn host_terminal() -> Option<OwnedFd> {
    for fd in [
        rustix::stdio::stdin(),
        rustix::stdio::stdout(),
        rustix::stdio::stderr(),
    ] {
        if rustix::termios::isatty(fd) {
            return rustix::io::fcntl_dupfd_cloexec(fd, 3).ok();
        }
    }
    rustix::fs::open(
        "/dev/tty",
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()
}

/// The size of husk's terminal (tty_ioctl(4) TIOCGWINSZ).
pub fn host_size() -> Option<rustix::termios::Winsize> {
    host_terminal().and_then(|t| rustix::termios::tcgetwinsize(t).ok())
}

/// Give the pty `master` the size of husk's terminal (TIOCSWINSZ), as
/// runc's tty.resize; nothing when there is none.
pub fn copy_size(master: &OwnedFd) {
    if let Some(ws) = host_size() {
        let _ = rustix::termios::tcsetwinsize(master, ws);
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
