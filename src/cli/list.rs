//! `husk list [--format table|json] [--quiet|-q]`: the containers under --root.

use super::{bad_arg, Global};
use crate::error::Result;
use crate::state;
use lexopt::{Arg, Parser};

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let (mut json, mut quiet) = (false, false);
    while let Some(a) = p.next().map_err(bad_arg)? {
        match a {
            Arg::Long("format") | Arg::Short('f') => {
                let v = p.value().map_err(bad_arg)?;
                json = match v.to_str() {
                    Some("json") => true,
                    Some("table") => false,
                    _ => bail!("invalid --format", "{v:?}: use table or json"),
                }
            }
            Arg::Long("quiet") | Arg::Short('q') => quiet = true,
            other => return Err(bad_arg(other.unexpected())),
        }
    }
    let mut ids: Vec<String> = crate::sys::fs::dir_entries(g.root.as_path())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    ids.sort();
    let mut rows = Vec::new();
    for id in ids {
        // A directory being created or deleted right now is skipped.
        let Ok(dir) = state::open_dir(&g.root, &id) else {
            continue;
        };
        let Ok(r) = dir.load() else { continue };
        let st = dir.status(&r);
        rows.push((r, st));
    }
    if quiet {
        for (r, _) in &rows {
            crate::outln!("{}", r.id);
        }
    } else if json {
        let items: Vec<String> = rows
            .iter()
            .map(|(r, s)| super::state::json(r, *s, false))
            .collect();
        crate::outln!("[{}]", items.join(","));
    } else {
        crate::outln!(
            "{:<20} {:<8} {:<10} {:<40} {:<30} OWNER",
            "ID",
            "PID",
            "STATUS",
            "BUNDLE",
            "CREATED"
        );
        for (r, s) in &rows {
            let pid = if *s == state::Status::Stopped {
                0
            } else {
                r.pid
            };
            let owner = if r.owner == 0 {
                "root".to_string()
            } else {
                r.owner.to_string()
            };
            crate::outln!(
                "{:<20} {:<8} {:<10} {:<40} {:<30} {}",
                r.id,
                pid,
                s.as_str(),
                r.bundle,
                r.created,
                owner
            );
        }
    }
    Ok(0)
}
