//! `husk create [--bundle B] [--pid-file F] [--console-socket S] [--no-pivot]
//! [--no-new-keyring] [--preserve-fds N] ID`: set the container up and leave
//! it blocked until `start` (runtime.md#create).

use super::{bad_arg, parse_with_id, Global};
use crate::controller::{self, Options};
use crate::error::Result;
use lexopt::{Arg, Parser};
use std::path::PathBuf;

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let (id, o) = parse(p, &mut |_, _| Ok(false))?;
    controller::create(g, &id, &o)?;
    Ok(0)
}

/// Parse create's flags (shared with `run`, which adds its own through `more`).
pub fn parse(
    p: &mut Parser,
    more: &mut dyn FnMut(&mut Parser, &Arg<'_>) -> Result<bool>,
) -> Result<(String, Options)> {
    let mut o = Options::default();
    let mut extra = Vec::new();
    let id = parse_with_id(
        p,
        |p, a| {
            match a {
                Arg::Long("bundle") | Arg::Short('b') => {
                    o.bundle = Some(PathBuf::from(p.value().map_err(bad_arg)?))
                }
                Arg::Long("pid-file") => {
                    o.pid_file = Some(PathBuf::from(p.value().map_err(bad_arg)?))
                }
                Arg::Long("console-socket") => {
                    o.console_socket = Some(PathBuf::from(p.value().map_err(bad_arg)?))
                }
                Arg::Long("no-pivot") => o.no_pivot = true,
                Arg::Long("no-new-keyring") => o.no_new_keyring = true,
                Arg::Long("preserve-fds") => {
                    let v = p.value().map_err(bad_arg)?;
                    o.preserve_fds = v.to_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                        crate::err!("invalid --preserve-fds", "{v:?}: not a number")
                    })?;
                }
                _ => return more(p, a),
            }
            Ok(true)
        },
        &mut extra,
    )?;
    if let Some(x) = extra.first() {
        bail!("unexpected argument", "\"{x}\"");
    }
    Ok((id, o))
}
