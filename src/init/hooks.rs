//! The hooks the container process takes part in (see controller/hooks.rs
//! for the whole table): it asks `husk create` to run prestart and
//! createRuntime (HOOKS_REQ), runs createContainer itself before pivot_root
//! (in the container's namespaces, host paths still reachable, as runc), and
//! startContainer after `start`, right before the user's program.

use super::Ctx;
use crate::controller::hooks::{run_all, state_json};
use crate::controller::sync::{self, Kind};
use crate::error::Result;

/// This process's pid in the pid namespace of the host's /proc (before
/// pivot_root the host's procfs is still mounted on /proc), 0 if unknown.
fn host_pid() -> i32 {
    rustix::fs::readlink("/proc/self", Vec::new())
        .ok()
        .and_then(|p| p.to_str().ok()?.parse().ok())
        .unwrap_or(0)
}

/// Step: prestart and createRuntime, run by `husk create` in the runtime namespace.
pub fn runtime(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(h) = &ctx.spec.hooks else {
        return Ok(());
    };
    if h.prestart.is_empty() && h.create_runtime.is_empty() {
        return Ok(());
    }
    sync::send(ctx.sync, Kind::HooksReq, host_pid())?;
    match sync::recv(ctx.sync)? {
        Some(m) if m.kind == Kind::HooksAck => Ok(()),
        Some(m) if m.kind == Kind::Error => Err(m.to_error()),
        _ => Err(err!("sync protocol:", "no HOOKS_ACK")),
    }
}

fn state(ctx: &Ctx<'_>, status: &str) -> String {
    let ann = crate::controller::hooks::annotations(ctx.spec);
    state_json(
        ctx.id,
        status,
        rustix::process::getpid().as_raw_nonzero().get(),
        ctx.bundle,
        &ann,
    )
}

/// Step: createContainer, here in the container's namespaces, before pivot_root.
pub fn create_container(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(h) = &ctx.spec.hooks else {
        return Ok(());
    };
    if h.create_container.is_empty() {
        return Ok(());
    }
    run_all(
        &h.create_container,
        "createContainer",
        &state(ctx, "creating"),
    )
}

/// startContainer, after `start`, before the user's program (paths resolve
/// in the container).
pub fn start_container(ctx: &Ctx<'_>) -> Result<()> {
    let Some(h) = &ctx.spec.hooks else {
        return Ok(());
    };
    if h.start_container.is_empty() {
        return Ok(());
    }
    run_all(&h.start_container, "startContainer", &state(ctx, "created"))
}
