//! The foreground terminal, as runc's tty.go: `run` and `exec -t` without -d
//! and without --console-socket keep the container's pty master and proxy
//! it to husk's own stdio, so a container's shell works from the operator's
//! terminal (a serial console). husk's stdin is in raw mode meanwhile (the
//! container's pty does the line editing and turns ^C into SIGINT), the
//! terminal's size goes to the pty on SIGWINCH (create copied it first),
//! and the other signals go to the process as in `run`.
//!
//! One poll(2) loop over a signalfd(2) of the blocked signals, the master
//! and stdin: no threads, no timers.

use crate::controller::console;
use crate::error::{Context, Result};
use crate::sys::SigSet;
use core::ffi::c_int;
use rustix::event::{poll, PollFd, PollFlags};
use rustix::fd::{FromRawFd, OwnedFd};
use rustix::io::{read, write, Errno};
use rustix::process::Pid;
use rustix::termios::{tcgetattr, tcsetattr, OptionalActions, OutputModes, Termios};

extern "C" {
    fn signalfd(fd: c_int, mask: *const SigSet, flags: c_int) -> c_int;
}

/// stdin in raw mode (cfmakeraw(3) but with output processing kept, as
/// containerd/console's SetRaw, since the container's pty sends bare "\n"),
/// put back as it was when dropped, on every way out. Nothing if stdin is
/// not a terminal.
pub struct Raw(Option<Termios>);

impl Raw {
    pub fn stdin() -> Raw {
        let fd = rustix::stdio::stdin();
        let saved = tcgetattr(fd).ok();
        if let Some(t) = &saved {
            let mut raw = t.clone();
            raw.make_raw();
            raw.output_modes |= OutputModes::OPOST;
            let _ = tcsetattr(fd, OptionalActions::Now, &raw);
        }
        Raw(saved)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            let _ = tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, t);
        }
    }
}

/// Copy stdin to `master` and `master` to stdout while `pid` runs, forward
/// the signals of `set` (blocked already) to it, then drain what it wrote
/// last; its status as an exit code (128+N when killed by signal N).
pub fn proxy(master: OwnedFd, pid: i32, set: &SigSet) -> Result<u8> {
    let target = Pid::from_raw(pid).ok_or_else(|| err!("bad pid", "{pid}"))?;
    // SAFETY: `set` is a live sigset_t; fd -1 asks for a new signalfd.
    let fd = unsafe { signalfd(-1, set, rustix::fs::OFlags::CLOEXEC.bits() as c_int) };
    if fd < 0 {
        return Err(crate::sys::last_errno()).ctx("signalfd", format_args!("{pid}"));
    }
    // SAFETY: signalfd returned a new fd that nothing else owns.
    let sigs = unsafe { OwnedFd::from_raw_fd(fd) };
    rustix::io::ioctl_fionbio(&master, true).ctx("FIONBIO", format_args!("pty master"))?;
    let stdin = rustix::stdio::stdin();
    let mut out = [0u8; 4096];
    // Bytes from stdin not written to the master yet (it may be full).
    let (mut input, mut at, mut end) = ([0u8; 1024], 0, 0);
    let mut stdin_open = true;
    loop {
        if let Some(code) = super::run::reap(target) {
            while let Ok(n @ 1..) = read(&master, &mut out) {
                write_all(out.get(..n).unwrap_or_default());
            }
            return Ok(code);
        }
        let pending = at < end;
        let to_master = match pending {
            true => PollFlags::IN | PollFlags::OUT,
            false => PollFlags::IN,
        };
        let mut fds = [
            PollFd::new(&sigs, PollFlags::IN),
            PollFd::new(&master, to_master),
            PollFd::from_borrowed_fd(stdin, PollFlags::IN),
        ];
        let n = if stdin_open && !pending { 3 } else { 2 };
        match poll(fds.get_mut(..n).unwrap_or_default(), None) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(e).ctx("poll", format_args!("terminal of {pid}")),
        }
        let [s, m, i] = fds.map(|f| !f.revents().is_empty());
        if s {
            let mut info = [0u8; 128]; // struct signalfd_siginfo
            if let Ok(128) = read(&sigs, &mut info) {
                let [a, b, c, d, ..] = info;
                match u32::from_ne_bytes([a, b, c, d]) {
                    28 => console::copy_size(&master), // SIGWINCH
                    sig => super::run::forward(target, sig as i32),
                }
            }
        }
        if m {
            match read(&master, &mut out) {
                Ok(n @ 1..) => write_all(out.get(..n).unwrap_or_default()),
                Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                // EIO: every slave fd is closed; nothing more will come.
                _ => {
                    drop(sigs);
                    return super::run::wait_forwarding(pid, set);
                }
            }
        }
        if i {
            match read(stdin, &mut input) {
                Ok(n @ 1..) => (at, end) = (0, n),
                Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                _ => stdin_open = false, // EOF, or a terminal gone
            }
        }
        if at < end {
            match write(&master, input.get(at..end).unwrap_or_default()) {
                Ok(k) => at += k,
                Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                Err(_) => at = end,
            }
        }
    }
}

/// All of `buf` to stdout; what cannot be written is dropped (the container
/// must not block on a reader that is gone).
fn write_all(buf: &[u8]) {
    let _ = crate::sys::fs::write_fd(rustix::stdio::stdout(), buf);
}
