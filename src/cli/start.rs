//! `husk start ID`: let a created container run its program (runtime.md#start).

use super::{only_id, Global};
use crate::error::{Context, Result};
use crate::state::{self, Status};
use lexopt::Parser;
use rustix::event::{poll, PollFd, PollFlags};
use rustix::fs::{Mode, OFlags};

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let id = only_id(p)?;
    let dir = state::open_dir(&g.root, &id)?;
    start(&dir)?;
    // runtime.md#lifecycle step 9: after the program started, before start returns.
    if let Ok(r) = dir.load() {
        crate::controller::hooks::poststart(g, &dir, &r);
    }
    Ok(0)
}

/// Open the exec fifo, take the container's byte, remove the fifo.
pub fn start(dir: &state::Dir) -> Result<()> {
    let r = dir.load()?;
    match dir.status(&r) {
        Status::Created => {}
        Status::Stopped => bail!("cannot start a container that has stopped:", "{}", r.id),
        s => bail!(
            "cannot start an already running container:",
            "{} is {}",
            r.id,
            s.as_str()
        ),
    }
    let fifo = rustix::fs::openat(
        dir.fd(),
        state::FIFO,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open exec fifo", format_args!("of {}", r.id))?;
    // The container writes one byte once it sees a reader; wait for it, but
    // not for a process that has died meanwhile.
    loop {
        let mut fds = [PollFd::new(&fifo, PollFlags::IN)];
        let timeout = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 100_000_000,
        };
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => {
                if !state::alive(r.pid, r.start_time) {
                    bail!("container process exited before start:", "{}", r.id);
                }
            }
            Ok(_) => break,
            Err(e) => return Err(e).ctx("poll exec fifo", format_args!("of {}", r.id)),
        }
    }
    let mut b = [0u8; 1];
    let n = rustix::io::read(&fifo, &mut b).ctx("read exec fifo", format_args!("of {}", r.id))?;
    rustix::fs::unlinkat(dir.fd(), state::FIFO, rustix::fs::AtFlags::empty())
        .ctx("remove exec fifo", format_args!("of {}", r.id))?;
    if n != 1 {
        return Err(err!("container process exited before start:", "{}", r.id));
    }
    Ok(())
}
