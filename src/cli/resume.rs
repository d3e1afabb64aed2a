//! `husk resume ID`: thaw a paused container.

use super::{only_id, Global};
use crate::cgroup::{freeze, Cgroup};
use crate::error::Result;
use crate::state::{self, Status};
use lexopt::Parser;

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let id = only_id(p)?;
    let dir = state::open_dir(&g.root, &id)?;
    let r = dir.load()?;
    match dir.status(&r) {
        Status::Paused => {}
        Status::Stopped => bail!("container not running"),
        _ => bail!("container not paused"),
    }
    freeze::set(&Cgroup::load(&r.cgroups)?, false)?;
    Ok(0)
}
