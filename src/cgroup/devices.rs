//! Device access (config-linux.md#allowed-device-list): the config's rules
//! in order, then the devices runc always allows (mknod of any, null, zero,
//! full, tty, random, urandom, pts, ptmx, tun) and the config's
//! `linux.devices`.
//!
//! - v1: each rule written to devices.allow / devices.deny in order
//!   (Documentation/admin-guide/cgroup-v1/devices.rst).
//! - v2: a BPF_PROG_TYPE_CGROUP_DEVICE program generated here (no libbpf)
//!   and attached to the container's cgroup with BPF_F_ALLOW_MULTI, any
//!   program husk attached before being detached (cgroup-v2.rst "Device
//!   controller"). The program checks the rules last to first, so the last
//!   matching rule decides as in v1; none matching allows (a new v1 device
//!   cgroup starts allowing all too), so configs start with a deny-all rule.
//!
//! On a hybrid host with a v1 devices hierarchy both are applied (the kernel
//! checks both): the v1 one is authoritative, the program is best effort.

use super::{files, Cgroup};
use crate::cli::Global;
use crate::config::resources::Resources;
use crate::config::Spec;
use crate::error::{Context, Result};
use crate::sys::bpf::{self, Insn};
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};

/// Access bits as the kernel's bpf_cgroup_dev_ctx has them (BPF_DEVCG_ACC_*).
const ACC_MKNOD: u8 = 1;
const ACC_READ: u8 = 2;
const ACC_WRITE: u8 = 4;
const ACC_ALL: u8 = 7;

/// One rule: type `a`, `b` or `c`; -1 major/minor is `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub allow: bool,
    pub typ: u8,
    pub major: i64,
    pub minor: i64,
    pub access: u8,
}

/// runc's AllowedDevices (libcontainer/specconv), always appended.
const DEFAULTS: &[(u8, i64, i64, u8)] = &[
    (b'c', -1, -1, ACC_MKNOD),
    (b'b', -1, -1, ACC_MKNOD),
    (b'c', 1, 3, ACC_ALL),    // null
    (b'c', 1, 8, ACC_ALL),    // random
    (b'c', 1, 7, ACC_ALL),    // full
    (b'c', 5, 0, ACC_ALL),    // tty
    (b'c', 1, 5, ACC_ALL),    // zero
    (b'c', 1, 9, ACC_ALL),    // urandom
    (b'c', 136, -1, ACC_ALL), // pts
    (b'c', 5, 2, ACC_ALL),    // ptmx
    (b'c', 10, 200, ACC_ALL), // net/tun
];

/// Parse an access string of `r`, `w`, `m`.
pub fn access(s: &str) -> Option<u8> {
    s.bytes().try_fold(0u8, |a, c| match c {
        b'r' => Some(a | ACC_READ),
        b'w' => Some(a | ACC_WRITE),
        b'm' => Some(a | ACC_MKNOD),
        _ => None,
    })
}

/// The whole rule list for `res` (and `spec`'s linux.devices when given).
pub fn rules(res: &Resources<'_>, spec: Option<&Spec<'_>>) -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    for (i, d) in res.devices.iter().enumerate() {
        let typ = match d.typ.unwrap_or("a") {
            "a" => b'a',
            "b" => b'b',
            "c" | "u" => b'c',
            t => bail!(
                "invalid config.json:",
                "linux.resources.devices[{i}].type \"{t}\" is not a, b or c"
            ),
        };
        let acc = access(d.access.unwrap_or("rwm")).ok_or_else(|| {
            err!(
                "invalid config.json:",
                "linux.resources.devices[{i}].access is not of r, w, m"
            )
        })?;
        out.push(Rule {
            allow: d.allow,
            typ,
            major: d.major.unwrap_or(-1),
            minor: d.minor.unwrap_or(-1),
            access: acc,
        });
    }
    for &(typ, major, minor, access) in DEFAULTS {
        out.push(Rule {
            allow: true,
            typ,
            major,
            minor,
            access,
        });
    }
    if let Some(l) = spec.and_then(|s| s.linux.as_ref()) {
        for d in l.devices.iter() {
            let typ = match d.typ {
                "b" => b'b',
                "c" | "u" => b'c',
                _ => continue,
            };
            out.push(Rule {
                allow: true,
                typ,
                major: d.major,
                minor: d.minor,
                access: ACC_ALL,
            });
        }
    }
    Ok(out)
}

/// The v1 text of a rule: `c 1:3 rwm`.
pub fn v1_text(r: &Rule) -> String {
    let n = |v: i64| {
        if v < 0 {
            "*".to_string()
        } else {
            v.to_string()
        }
    };
    let mut acc = String::new();
    for (bit, c) in [(ACC_READ, 'r'), (ACC_WRITE, 'w'), (ACC_MKNOD, 'm')] {
        if r.access & bit != 0 {
            acc.push(c);
        }
    }
    if r.typ == b'a' {
        return format!("a *:* {acc}");
    }
    format!("{} {}:{} {acc}", r.typ as char, n(r.major), n(r.minor))
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

const LDX_W: u8 = 0x61;
const AND_K: u8 = 0x57;
const RSH_K: u8 = 0x77;
const MOV_K: u8 = 0xb7;
const MOV_X: u8 = 0xbf;
const JEQ_K: u8 = 0x15;
const JNE_K: u8 = 0x55;
const EXIT: u8 = 0x95;

/// The device program for `rules`: r2 = type, r3 = access, r4 = major,
/// r5 = minor from struct bpf_cgroup_dev_ctx, then one block per rule,
/// last rule first; r0 = 1 allows, 0 denies.
pub fn program(rules: &[Rule]) -> Vec<Insn> {
    let mut p = vec![
        insn(LDX_W, 2, 1, 0, 0),
        insn(AND_K, 2, 0, 0, 0xffff),
        insn(LDX_W, 3, 1, 0, 0),
        insn(RSH_K, 3, 0, 0, 16),
        insn(LDX_W, 4, 1, 4, 0),
        insn(LDX_W, 5, 1, 8, 0),
    ];
    for r in rules.iter().rev() {
        // Each jump skips to the next block: patched once the block's length is known.
        let mut b: Vec<Insn> = Vec::new();
        let mut jumps = Vec::new();
        if r.typ != b'a' {
            jumps.push(b.len());
            b.push(insn(JNE_K, 2, 0, 0, if r.typ == b'b' { 1 } else { 2 }));
        }
        if r.access & ACC_ALL != ACC_ALL {
            b.push(insn(MOV_X, 0, 3, 0, 0));
            jumps.push(b.len() + 1);
            if r.allow {
                // Every requested bit must be allowed.
                b.push(insn(AND_K, 0, 0, 0, i32::from(!r.access & ACC_ALL)));
                b.push(insn(JNE_K, 0, 0, 0, 0));
            } else {
                // Any requested bit denied denies.
                b.push(insn(AND_K, 0, 0, 0, i32::from(r.access)));
                b.push(insn(JEQ_K, 0, 0, 0, 0));
            }
        }
        for (reg, v) in [(4u8, r.major), (5u8, r.minor)] {
            if v >= 0 {
                jumps.push(b.len());
                b.push(insn(JNE_K, reg, 0, 0, v as i32));
            }
        }
        b.push(insn(MOV_K, 0, 0, 0, i32::from(r.allow)));
        b.push(insn(EXIT, 0, 0, 0, 0));
        let len = b.len();
        for j in &jumps {
            if let Some(i) = b.get_mut(*j) {
                i.off = (len - j - 1) as i16;
            }
        }
        let terminal = jumps.is_empty();
        p.extend(b);
        if terminal {
            // Matches everything: earlier rules can never decide.
            return p;
        }
    }
    p.push(insn(MOV_K, 0, 0, 0, 1));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

/// Load `rules` as a program and make it the only one husk has on `dir`.
pub fn attach_v2(dir: &str, rules: &[Rule]) -> Result<()> {
    let prog = program(rules);
    let mut log = [0u8; 0];
    let fd = bpf::load_device_prog(&prog, &mut log).ctx(
        "bpf load",
        format_args!("device program ({} insns) for {dir}", prog.len()),
    )?;
    let cg = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open cgroup", format_args!("{dir}"))?;
    let mut ids = [0u32; 16];
    let old = bpf::query_device_progs(cg.as_fd(), &mut ids).unwrap_or(0);
    bpf::attach_device_prog(cg.as_fd(), fd.as_fd())
        .ctx("bpf attach", format_args!("device program to {dir}"))?;
    for id in ids.iter().take(old) {
        if let Ok(p) = bpf::prog_fd_by_id(*id) {
            let _ = bpf::detach_device_prog(cg.as_fd(), p.as_fd());
        }
    }
    Ok(())
}

/// Apply the device rules of `res` (and `spec`'s linux.devices) to the
/// container's cgroups.
pub fn apply_with(
    g: &Global,
    cg: &Cgroup,
    res: &Resources<'_>,
    spec: Option<&Spec<'_>>,
) -> Result<()> {
    let rules = rules(res, spec)?;
    let v1 = cg.dirs.iter().find(|d| !d.hier.v2 && d.hier.has("devices"));
    if let Some(d) = v1 {
        for r in &rules {
            let f = if r.allow {
                "devices.allow"
            } else {
                "devices.deny"
            };
            files::write(&d.path, f, &v1_text(r), "devices")?;
        }
    }
    match cg.v2() {
        Some(d) => match attach_v2(&d.path, &rules) {
            Err(e) if v1.is_some() => {
                crate::log::debug(
                    g,
                    format_args!("v2 device program not attached (v1 devices rules apply): {e}"),
                );
                Ok(())
            }
            r => r,
        },
        None if v1.is_none() && !res.devices.is_empty() => {
            bail!(
                "cgroup controller not available on this host:",
                "devices (for linux.resources.devices)"
            )
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run the program on one access, as the kernel would (a tiny interpreter
    /// of the few opcodes `program` emits).
    fn run(p: &[Insn], typ: u32, acc: u32, major: u32, minor: u32) -> u64 {
        let ctx = [(acc << 16) | typ, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = p[pc];
            let (dst, src) = ((i.regs & 15) as usize, (i.regs >> 4) as usize);
            pc += 1;
            match i.code {
                LDX_W => r[dst] = u64::from(ctx[(i.off / 4) as usize]),
                AND_K => r[dst] &= i.imm as i64 as u64,
                RSH_K => r[dst] >>= i.imm,
                MOV_K => r[dst] = i.imm as i64 as u64,
                MOV_X => r[dst] = r[src],
                JEQ_K if r[dst] == i.imm as i64 as u64 => pc += i.off as usize,
                JNE_K if r[dst] != i.imm as i64 as u64 => pc += i.off as usize,
                JEQ_K | JNE_K => {}
                EXIT => return r[0],
                c => panic!("opcode {c:#x}"),
            }
        }
    }

    fn rule(allow: bool, typ: u8, major: i64, minor: i64, acc: &str) -> Rule {
        Rule {
            allow,
            typ,
            major,
            minor,
            access: access(acc).unwrap(),
        }
    }

    #[test]
    fn program_semantics() {
        let mut rs = vec![rule(false, b'a', -1, -1, "rwm")];
        rs.extend(DEFAULTS.iter().map(|&(typ, major, minor, access)| Rule {
            allow: true,
            typ,
            major,
            minor,
            access,
        }));
        rs.push(rule(true, b'c', 4, -1, "r"));
        rs.push(rule(false, b'c', 1, 9, "w"));
        let p = program(&rs);
        let (c, b) = (2, 1);
        let (r, w, m) = (ACC_READ as u32, ACC_WRITE as u32, ACC_MKNOD as u32);
        assert_eq!(run(&p, c, r | w, 1, 3), 1, "null rw");
        assert_eq!(run(&p, c, r, 1, 4), 0, "1:4 not listed");
        assert_eq!(run(&p, b, m, 8, 0), 1, "mknod of any block");
        assert_eq!(run(&p, b, r, 8, 0), 0, "read of a block device");
        assert_eq!(run(&p, c, r, 4, 7), 1, "c 4:* r");
        assert_eq!(run(&p, c, r | w, 4, 7), 0, "c 4:* only r");
        assert_eq!(run(&p, c, r, 1, 9), 1, "urandom read");
        assert_eq!(
            run(&p, c, w, 1, 9),
            0,
            "urandom write denied by the last rule"
        );
        assert_eq!(run(&p, c, r, 136, 5), 1, "pts");
        // No deny-all: everything not denied is allowed.
        let p = program(&[rule(false, b'c', 1, 3, "rwm")]);
        assert_eq!(run(&p, c, r, 1, 3), 0);
        assert_eq!(run(&p, c, r, 1, 5), 1);
        assert_eq!(v1_text(&rule(true, b'c', 136, -1, "rwm")), "c 136:* rwm");
        assert_eq!(v1_text(&rule(false, b'a', -1, -1, "rwm")), "a *:* rwm");
    }
}
