//! `husk pause ID`: freeze every process of the container through its
//! cgroup (v1 freezer or v2 cgroup.freeze); its status becomes "paused".

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
        Status::Running | Status::Created => {}
        Status::Paused => bail!("container already paused:", "{id}"),
        Status::Stopped => bail!("container not running"),
    }
    freeze::set(&Cgroup::load(&r.cgroups)?, true)?;
    Ok(0)
}
