//! Reading config.json: one read into one buffer, one parse.

use super::{Process, Spec};
use crate::caps::MAX_CONFIG_BYTES;
use crate::error::{Context, Error, Result};
use std::path::Path;

/// Read `bundle/config.json` whole.
pub fn read(bundle: &Path) -> Result<Vec<u8>> {
    let path = bundle.join("config.json");
    let buf = crate::sys::fs::read_max(path.as_path(), MAX_CONFIG_BYTES)
        .ctx("read", format_args!("{}", path.display()))?;
    if buf.len() > MAX_CONFIG_BYTES {
        bail!(
            "config.json too large:",
            "{} is over {} bytes (build-time MAX_CONFIG_BYTES)",
            path.display(),
            MAX_CONFIG_BYTES
        );
    }
    Ok(buf)
}

/// Parse config.json text. Trailing non-space text is an error.
pub fn parse(buf: &[u8]) -> Result<Spec<'_>> {
    parse_as(buf, "invalid config.json:")
}

/// Parse a lone OCI `process` object (`husk exec --process FILE`), with the
/// same types and checks as config.json's `process`.
pub fn parse_process(buf: &[u8]) -> Result<Process<'_>> {
    parse_as(buf, "invalid process.json:")
}

fn parse_as<'a, T: serde::Deserialize<'a>>(buf: &'a [u8], what: &'static str) -> Result<T> {
    let (v, used) = serde_json_core::from_slice::<T>(buf).map_err(|e| json_error(buf, e, what))?;
    if buf[used.min(buf.len())..]
        .iter()
        .any(|c| !c.is_ascii_whitespace())
    {
        bail!(what, "trailing characters after the JSON object");
    }
    Ok(v)
}

fn json_error(buf: &[u8], e: serde_json_core::de::Error, what: &'static str) -> Error {
    let missing = super::de::take_missing();
    let at = super::locate::describe(buf, &e);
    let _ = super::de::take_missing(); // set again by locate's re-parses
    match missing {
        Some(field) => err!(what, "missing field `{field}`{at}"),
        None => err!(
            what,
            "{}{at}",
            e.to_string().to_ascii_lowercase().trim_end_matches('.')
        ),
    }
}
