//! `husk ps [--format table|json] ID [-- PS-ARGS…]`: the container's
//! processes. json is the array of host pids containerd reads; table runs
//! the host's `ps` (default `-ef`) and keeps the header and the lines whose
//! PID column is one of the container's (runc's way).

use super::{parse_with_id, Global};
use crate::cgroup::Cgroup;
use crate::error::{Context, Result};
use crate::state;
use lexopt::{Arg, Parser, ValueExt};

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut json = false;
    let mut extra = Vec::new();
    let id = parse_with_id(
        p,
        |p, a| {
            Ok(match a {
                Arg::Long("format") | Arg::Short('f') => {
                    let v = p
                        .value()
                        .map_err(super::bad_arg)?
                        .string()
                        .map_err(super::bad_arg)?;
                    json = match v.as_str() {
                        "json" => true,
                        "table" => false,
                        _ => bail!("invalid --format", "\"{v}\": use table or json"),
                    };
                    true
                }
                _ => false,
            })
        },
        &mut extra,
    )?;
    let dir = state::open_dir(&g.root, &id)?;
    let r = dir.load()?;
    drop(dir);
    let mut pids = Cgroup::load(&r.cgroups)?.pids();
    pids.sort_unstable();
    pids.dedup();
    if json {
        let list: Vec<String> = pids.iter().map(|p| p.to_string()).collect();
        crate::outln!("[{}]", list.join(","));
        return Ok(0);
    }
    let args = if extra.is_empty() {
        vec!["-ef".to_string()]
    } else {
        extra
    };
    let mut argv = vec!["ps".to_string()];
    argv.extend(args);
    let out = crate::sys::run::output(&argv).ctx("run", format_args!("{}", argv.join(" ")))?;
    if !out.success() {
        bail!(
            "ps failed:",
            "{}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let col = header
        .split_whitespace()
        .position(|h| h == "PID")
        .ok_or_else(|| err!("ps output has no PID column:", "{header}"))?;
    crate::outln!("{header}");
    for l in lines {
        if l.split_whitespace()
            .nth(col)
            .and_then(|v| v.parse::<i32>().ok())
            .is_some_and(|p| pids.contains(&p))
        {
            crate::outln!("{l}");
        }
    }
    Ok(0)
}
