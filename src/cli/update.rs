//! `husk update ID [--resources FILE|-] [--memory 512m] [--cpu-share N] …`:
//! change a live container's cgroup limits. The flags are runc's and
//! override the same fields of the --resources JSON (a LinuxResources
//! object, config-linux.md#control-groups).

use super::{parse_with_id, Global};
use crate::cgroup::Cgroup;
use crate::config::resources::{BlockIo, Cpu, Memory, Pids, Resources};
use crate::error::{Context, Result};
use crate::state::{self, Status};
use lexopt::{Arg, Parser, ValueExt};

/// runc's byte sizes (docker's units.RAMInBytes): `1024`, `512k`, `64m`,
/// `1g`, `2GiB`, binary multiples; `-1` is unlimited.
/// The resource flags of `update` (runc's), also known to cli/mod.rs's
/// Go-style `-flag` rewriting.
pub const FLAGS: &[&str] = &[
    "resources",
    "memory",
    "memory-reservation",
    "memory-swap",
    "kernel-memory",
    "kernel-memory-tcp",
    "cpu-share",
    "cpu-shares",
    "cpu-quota",
    "cpu-period",
    "cpu-burst",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "cpuset-cpus",
    "cpuset-mems",
    "blkio-weight",
    "pids-limit",
    "cpu-idle",
    "l3-cache-schema",
    "mem-bw-schema",
];

pub fn parse_bytes(s: &str) -> Result<i64> {
    if s == "-1" {
        return Ok(-1);
    }
    let t = s.to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (num, mult) = match t.as_bytes().last() {
        Some(b'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some(b'm') => (&t[..t.len() - 1], 1 << 20),
        Some(b'g') => (&t[..t.len() - 1], 1 << 30),
        Some(b't') => (&t[..t.len() - 1], 1 << 40),
        Some(b'p') => (&t[..t.len() - 1], 1 << 50),
        _ => (t, 1),
    };
    crate::num::parse_scaled(num.trim(), mult)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| err!("invalid size", "\"{s}\""))
}

fn num<T: core::str::FromStr>(s: &str, flag: &str) -> Result<T> {
    s.parse()
        .map_err(|_| err!("invalid value", "--{flag} \"{s}\""))
}

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let mut flags: Vec<(String, String)> = Vec::new();
    let mut extra = Vec::new();
    let id = parse_with_id(
        p,
        |p, a| {
            let name = match a {
                Arg::Short('r') => "resources".to_string(),
                Arg::Long(l) => l.to_string(),
                _ => return Ok(false),
            };
            if !FLAGS.contains(&name.as_str()) {
                return Ok(false);
            }
            let v = p
                .value()
                .map_err(super::bad_arg)?
                .string()
                .map_err(super::bad_arg)?;
            flags.push((name, v));
            Ok(true)
        },
        &mut extra,
    )?;
    if let Some(x) = extra.first() {
        bail!("unexpected argument", "\"{x}\"");
    }
    let get = |k: &str| {
        flags
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    if get("l3-cache-schema").is_some() || get("mem-bw-schema").is_some() {
        bail!(
            "not supported:",
            "intelRdt (--l3-cache-schema, --mem-bw-schema)"
        );
    }
    let mut json = Vec::new();
    if let Some(src) = get("resources") {
        if src == "-" {
            json = crate::sys::fs::read_fd(rustix::stdio::stdin())
                .ctx("read", format_args!("resources from stdin"))?;
        } else {
            json = crate::sys::fs::read(src).ctx("read", format_args!("{src}"))?;
        }
    }
    let mut res: Resources<'_> = if json.is_empty() {
        Resources::default()
    } else {
        serde_json_core::from_slice::<Resources>(&json)
            .map_err(|e| err!("invalid --resources JSON:", "{e}"))?
            .0
    };
    apply_flags(&mut res, &get)?;
    let dir = state::open_dir(&g.root, &id)?;
    let r = dir.load()?;
    if dir.status(&r) == Status::Stopped {
        bail!("container not running");
    }
    crate::cgroup::apply(g, &Cgroup::load(&r.cgroups)?, &res, None, true)?;
    Ok(0)
}

fn apply_flags<'a>(res: &mut Resources<'a>, get: &dyn Fn(&str) -> Option<&'a str>) -> Result<()> {
    let bytes = |k: &str| get(k).map(parse_bytes).transpose();
    let (limit, reservation, swap) = (
        bytes("memory")?,
        bytes("memory-reservation")?,
        bytes("memory-swap")?,
    );
    let (kernel, kernel_tcp) = (bytes("kernel-memory")?, bytes("kernel-memory-tcp")?);
    if limit.is_some()
        || reservation.is_some()
        || swap.is_some()
        || kernel.is_some()
        || kernel_tcp.is_some()
    {
        let m = res.memory.get_or_insert_with(Memory::default);
        m.limit = limit.or(m.limit);
        m.reservation = reservation.or(m.reservation);
        m.swap = swap.or(m.swap);
        m.kernel = kernel.or(m.kernel);
        m.kernel_tcp = kernel_tcp.or(m.kernel_tcp);
    }
    let cpu_keys = [
        "cpu-share",
        "cpu-shares",
        "cpu-quota",
        "cpu-period",
        "cpu-burst",
        "cpu-rt-period",
        "cpu-rt-runtime",
        "cpuset-cpus",
        "cpuset-mems",
        "cpu-idle",
    ];
    if cpu_keys.iter().any(|k| get(k).is_some()) {
        let c = res.cpu.get_or_insert_with(Cpu::default);
        if let Some(v) = get("cpu-share").or(get("cpu-shares")) {
            c.shares = Some(num(v, "cpu-share")?);
        }
        if let Some(v) = get("cpu-quota") {
            c.quota = Some(num(v, "cpu-quota")?);
        }
        if let Some(v) = get("cpu-period") {
            c.period = Some(num(v, "cpu-period")?);
        }
        if let Some(v) = get("cpu-burst") {
            c.burst = Some(num(v, "cpu-burst")?);
        }
        if let Some(v) = get("cpu-rt-period") {
            c.realtime_period = Some(num(v, "cpu-rt-period")?);
        }
        if let Some(v) = get("cpu-rt-runtime") {
            c.realtime_runtime = Some(num(v, "cpu-rt-runtime")?);
        }
        if let Some(v) = get("cpu-idle") {
            c.idle = Some(num(v, "cpu-idle")?);
        }
        c.cpus = get("cpuset-cpus").or(c.cpus);
        c.mems = get("cpuset-mems").or(c.mems);
    }
    if let Some(v) = get("pids-limit") {
        res.pids = Some(Pids {
            limit: num(v, "pids-limit")?,
        });
    }
    if let Some(v) = get("blkio-weight") {
        res.block_io.get_or_insert_with(BlockIo::default).weight = Some(num(v, "blkio-weight")?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1024").unwrap(), 1024);
        assert_eq!(parse_bytes("512k").unwrap(), 512 << 10);
        assert_eq!(parse_bytes("64M").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("1.5g").unwrap(), 3 << 29);
        assert_eq!(parse_bytes("-1").unwrap(), -1);
        assert!(parse_bytes("x").is_err() && parse_bytes("-5").is_err());
    }
}
