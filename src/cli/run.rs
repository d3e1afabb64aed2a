//! `husk run [--detach|-d] [create's flags] ID`: create and start; without
//! -d, wait for the container, forward signals to it, exit with its status
//! (128+N when killed by signal N), then delete it.

use super::{create, Global};
use crate::controller;
use crate::error::{Context, Result};
use crate::state;
use crate::sys::SigSet;
use lexopt::{Arg, Parser};
use rustix::process::{Pid, Signal, WaitOptions};

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut detach = false;
    let (id, o) = create::parse(p, &mut |_, a| {
        Ok(match a {
            Arg::Long("detach") | Arg::Short('d') => {
                detach = true;
                true
            }
            _ => false,
        })
    })?;
    if !detach {
        // The container process is orphaned when the controller exits; as a
        // subreaper this process inherits it and can wait for it.
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
            .ctx("prctl", format_args!("PR_SET_CHILD_SUBREAPER"))?;
    }
    let c = controller::create(g, &id, &o)?;
    // Block the signals to forward before the program can run, so none that
    // is meant for it ends husk instead (the container's mask is its own).
    let forward = SigSet::forwardable();
    if !detach {
        forward.block();
    }
    if let Err(e) = super::start::start(&c.dir) {
        controller::kill_quietly(c.record.pid);
        let _ = super::delete::wait_gone(&c.record);
        let _ = super::delete::remove_cgroups(&c.record);
        let saved = crate::controller::hooks::load_saved(&c.dir);
        let _ = c.dir.remove();
        crate::controller::hooks::poststop(g, saved.as_deref(), &c.record);
        return Err(e);
    }
    crate::controller::hooks::poststart(g, &c.dir, &c.record);
    if detach {
        return Ok(0);
    }
    let pid = c.record.pid;
    // Unlock while the container runs, so state/kill work meanwhile.
    drop(c.dir);
    let code = wait_forwarding(pid, &forward);
    let dir = state::open_dir(&g.root, &id)?;
    super::delete::remove_cgroups(&c.record)?;
    let saved = crate::controller::hooks::load_saved(&dir);
    dir.remove()?;
    crate::controller::hooks::poststop(g, saved.as_deref(), &c.record);
    code
}

/// Forward signals to `pid` until it exits; its status as an exit code.
/// `set` is blocked already.
pub(super) fn wait_forwarding(pid: i32, set: &SigSet) -> Result<u8> {
    let target = Pid::from_raw(pid).ok_or_else(|| crate::err!("bad pid", "{pid}"))?;
    loop {
        // Reap everything that ended; orphans of the container land here too.
        // wait(2) for any child: waitpid(None) is pid 0, this process group
        // only, and a container with a terminal is in a session of its own.
        while let Some((p, st)) = rustix::process::wait(WaitOptions::NOHANG).unwrap_or(None) {
            if p == target {
                if let Some(code) = st.exit_status() {
                    return Ok(code as u8);
                }
                if let Some(sig) = st.terminating_signal() {
                    return Ok((128 + sig) as u8);
                }
            }
        }
        match set.wait() {
            Ok(17) | Err(_) => {} // SIGCHLD: reap above.
            Ok(sig) => {
                if let Some(s) = Signal::from_named_raw(sig) {
                    let _ = rustix::process::kill_process(target, s);
                }
            }
        }
    }
}
