//! linux.seccomp in the container process: compile the filter early (errors
//! reach `husk create`), install it at the point src/seccomp/load.rs's order
//! rules give, and hand a NOTIFY listener to `husk create`.

use super::Ctx;
use crate::controller::sync::{self, Kind};
use crate::error::Result;
use crate::seccomp::{self, load, Arch, Program};
use rustix::fd::AsFd;

/// A compiled filter waiting to be installed.
pub struct Filter {
    prog: Program,
    flags: u32,
    /// Install before the uid change (needs CAP_SYS_ADMIN: no NNP, or a
    /// NOTIFY listener to hand over before READY); else right before execve.
    early: bool,
}

/// Step: compile linux.seccomp for this architecture.
pub fn compile(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(sc) = ctx.spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) else {
        return Ok(());
    };
    let mut f = Box::new(Filter {
        prog: Program::new(),
        flags: load::filter_flags(sc),
        early: sc.uses_notify()
            || !ctx
                .spec
                .process
                .as_ref()
                .is_some_and(|p| p.no_new_privileges),
    });
    seccomp::compile(sc, Arch::native(), &mut f.prog)?;
    ctx.filter = Some(f);
    Ok(())
}

/// Step (before "user"): install now when the filter must go in early, and
/// send a NOTIFY listener to `husk create`, which gives it to the agent.
pub fn install_early(ctx: &mut Ctx<'_>) -> Result<()> {
    if !ctx.filter.as_ref().is_some_and(|f| f.early) {
        return Ok(());
    }
    install(ctx)
}

/// Right before execve: install a filter that was not installed early.
pub fn install_late(ctx: &mut Ctx<'_>) -> Result<()> {
    install(ctx)
}

fn install(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(f) = ctx.filter.take() else {
        return Ok(());
    };
    if let Some(listener) = load::install(&f.prog, f.flags)? {
        sync::send_fd(ctx.sync, Kind::SeccompFd, listener.as_fd())?;
    }
    Ok(())
}
