//! `husk delete [--force|-f] ID`: remove a stopped container's state
//! (runtime.md#delete). With --force a live container is killed first and
//! waited for; a missing id is then not an error (containerd relies on it).

use super::{parse_with_id, Global};
use crate::error::Result;
use crate::state::{self, Status};
use lexopt::{Arg, Parser};

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut force = false;
    let mut extra = Vec::new();
    let id = parse_with_id(
        p,
        |_, a| {
            Ok(match a {
                Arg::Long("force") | Arg::Short('f') => {
                    force = true;
                    true
                }
                _ => false,
            })
        },
        &mut extra,
    )?;
    if let Some(x) = extra.first() {
        bail!("unexpected argument", "\"{x}\"");
    }
    let dir = match state::open_dir(&g.root, &id) {
        Ok(d) => d,
        Err(e) if force && e.what == state::not_exist(&id).what => return Ok(0),
        Err(e) => return Err(e),
    };
    let r = match dir.load() {
        Ok(r) => r,
        // A create that died half-way leaves no record: --force clears it.
        Err(_) if force => return dir.remove().map(|_| 0),
        Err(e) => return Err(e),
    };
    match dir.status(&r) {
        Status::Stopped => {}
        s if !force => bail!(
            "cannot delete container that is not stopped:",
            "{} is {}",
            r.id,
            s.as_str()
        ),
        _ => {
            super::kill::signal(&r, 9, true)?;
            wait_gone(&r)?;
        }
    }
    remove_cgroups(&r)?;
    let saved = crate::controller::hooks::load_saved(&dir);
    dir.remove()?;
    crate::controller::hooks::poststop(g, saved.as_deref(), &r);
    Ok(0)
}

/// Processes left in the cgroup (init gone, no pid namespace) die with it,
/// then every cgroup husk made goes, nested ones included.
pub fn remove_cgroups(r: &state::Record) -> Result<()> {
    let cg = crate::cgroup::Cgroup::load(&r.cgroups)?;
    if !cg.pids().is_empty() {
        cg.signal_all(9)?;
    }
    cg.remove()
}

/// Wait (up to 10 s) until the container's init is gone or a zombie.
pub fn wait_gone(r: &state::Record) -> Result<()> {
    for _ in 0..1000 {
        if !state::alive(r.pid, r.start_time) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(err!("container did not stop after SIGKILL:", "{}", r.id))
}
