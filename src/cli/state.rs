//! `husk state ID`: print the OCI state (runtime.md#state) plus runc's
//! rootfs, created and owner fields.

use super::{only_id, Global};
use crate::config::json::escape_into;
use crate::error::Result;
use crate::state::{self, Record, Status};
use lexopt::Parser;

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let id = only_id(p)?;
    let dir = state::open_dir(&g.root, &id)?;
    let r = dir.load()?;
    let status = dir.status(&r);
    crate::outln!("{}", json(&r, status, true));
    Ok(0)
}

/// The state JSON of a record; `pretty` indents like runc.
pub fn json(r: &Record, status: Status, pretty: bool) -> String {
    let (nl, ind) = if pretty { ("\n", "  ") } else { ("", "") };
    let sep = if pretty { ": " } else { ":" };
    let mut s = String::with_capacity(256);
    let mut field = |k: &str, v: &str, quote: bool, last: bool| {
        s.push_str(ind);
        s.push('"');
        s.push_str(k);
        s.push('"');
        s.push_str(sep);
        if quote {
            s.push('"');
            escape_into(v, &mut s);
            s.push('"');
        } else {
            s.push_str(v);
        }
        if !last {
            s.push(',');
        }
        s.push_str(nl);
    };
    let pid = if status == Status::Stopped { 0 } else { r.pid };
    let mut out = String::from("{");
    out.push_str(nl);
    field("ociVersion", "1.3.0", true, false);
    field("id", &r.id, true, false);
    field("pid", &pid.to_string(), false, false);
    field("status", status.as_str(), true, false);
    field("bundle", &r.bundle, true, false);
    field("rootfs", &r.rootfs, true, false);
    field("created", &r.created, true, false);
    let owner = if r.owner == 0 {
        String::new()
    } else {
        r.owner.to_string()
    };
    let has_ann = !r.annotations.is_empty();
    field("owner", &owner, true, !has_ann);
    if has_ann {
        // Stored as JSON text already.
        field("annotations", &r.annotations, false, true);
    }
    out.push_str(&s);
    out.push('}');
    out
}
