//! `husk run [--detach|-d] [create's flags] ID`: create and start; without
//! -d, wait for the container, forward signals to it, exit with its status
//! (128+N when killed by signal N), then delete it. A terminal without
//! --console-socket is proxied to husk's own in the foreground (tty.rs).

use super::{create, Global};
use crate::controller;
use crate::error::{Context, Result};
use crate::state;
use crate::sys::SigSet;
use lexopt::{Arg, Parser};
use rustix::process::{Pid, Signal, WaitOptions};

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut detach = false;
    let (id, mut o) = create::parse(p, &mut |_, a| {
        Ok(match a {
            Arg::Long("detach") | Arg::Short('d') => {
                detach = true;
                true
            }
            _ => false,
        })
    })?;
    o.foreground = !detach;
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
    // Raw from before the program starts until it ended (or start failed).
    let raw = c.console.is_some().then(super::tty::Raw::stdin);
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
    let code = match c.console {
        Some(master) => super::tty::proxy(master, pid, &forward),
        None => wait_forwarding(pid, &forward),
    };
    drop(raw);
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
        if let Some(code) = reap(target) {
            return Ok(code);
        }
        if let Ok(sig) = set.wait() {
            forward(target, sig);
        }
    }
}

/// Reap every child that ended (orphans of the container land here too);
/// `target`'s status as an exit code once it ended. wait(2) for any child:
/// waitpid(None) is pid 0, this process group only, and a container with a
/// terminal is in a session of its own.
pub(super) fn reap(target: Pid) -> Option<u8> {
    while let Some((p, st)) = rustix::process::wait(WaitOptions::NOHANG).unwrap_or(None) {
        if p == target {
            if let Some(code) = st.exit_status() {
                return Some(code as u8);
            }
            if let Some(sig) = st.terminating_signal() {
                return Some((128 + sig) as u8);
            }
        }
    }
    None
}

/// Pass signal `sig` on to `target`; SIGCHLD only means: reap.
pub(super) fn forward(target: Pid, sig: i32) {
    if let Some(s) = Signal::from_named_raw(sig).filter(|_| sig != 17) {
        let _ = rustix::process::kill_process(target, s);
    }
}
