//! The compiler: a validated `linux.seccomp` → a classic-BPF program.
//!
//! Layout (one section per `seccomp_data.arch` value, native first):
//!
//! ```text
//!        ld  [4]                       arch
//!        jeq #AUDIT_ARCH_1, 1, 0
//!        ja  next                      (last section: ret BAD_ARCH)
//!        ld  [0]                       nr
//!        <binary search tree over the section's intervals>
//!          inner node: jge #first_nr_of_right_half   (then left half follows)
//!          leaf:       ret #verdict  |  ja block
//!        <blocks: argument checks of rules with args, each ending in ret #default>
//! next:  jeq #AUDIT_ARCH_2, 1, 0 ...
//! ```
//!
//! A lookup costs about log2(intervals) compares: the docker default profile
//! on x86_64 takes ~8 instead of ~370. Conditional jumps have 8-bit offsets:
//! a tree node whose left half is longer than 255 instructions jumps to the
//! right half through a `ja`; leaves reach blocks with `ja` (32-bit), and the
//! jumps inside a block stay within one rule (a few dozen instructions).

use super::bpf::{self, and, arg_words, ja, jeq, jge, jgt, ld, off, ret, SockFilter};
use super::plan::{rule_ret, Plan, Section, Verdicts, BLOCK_TAG};
use super::{Abi, Arch};
use crate::caps::MAX_BPF_INSNS;
use crate::config::seccomp::{Action, ArchName, Arg, Op, Seccomp, Word};
use crate::error::Result;
use linux_raw_sys::ptrace::{SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};

/// The program, bounded by the capacity (the kernel's limit is BPF_MAXINSNS, 4096).
pub type Program = heapless::Vec<SockFilter, MAX_BPF_INSNS>;

/// Verdict for a syscall from an ABI the profile does not list.
const BAD_ARCH: u32 = SECCOMP_RET_KILL_PROCESS;

fn too_long() -> crate::error::Error {
    err!(
        "invalid config.json:",
        "linux.seccomp: compiled filter longer than {MAX_BPF_INSNS} instructions (MAX_BPF_INSNS; kernel limit 4096)"
    )
}

fn push(out: &mut Program, i: SockFilter) -> Result<()> {
    out.push(i).map_err(|_| too_long())
}

/// Compile `cfg` for `arch` into `out` (cleared first). Validates `cfg`.
pub fn compile(cfg: &Seccomp<'_>, arch: Arch, out: &mut Program) -> Result<()> {
    cfg.validate()?;
    out.clear();
    let Word::Known(default_action) = cfg.default_action else {
        return Err(err!(
            "invalid config.json:",
            "linux.seccomp.defaultAction: unknown action"
        ));
    };
    let default = bpf::ret_value(default_action, cfg.default_errno_ret);
    let permissive = matches!(default_action, Action::Allow | Action::Log | Action::Trace);
    let v = Verdicts {
        default,
        enosys: (!permissive).then_some(SECCOMP_RET_ERRNO | linux_raw_sys::errno::ENOSYS),
        bad_arch: BAD_ARCH,
    };
    let sections = sections(cfg, arch)?;

    let mut plan = Plan::new();
    push(out, ld(bpf::OFF_ARCH))?;
    for (i, sec) in sections.iter().enumerate() {
        let last = i + 1 == sections.len();
        push(out, jeq(sec.audit, 1, 0))?;
        let skip_at = out.len();
        push(out, if last { ret(BAD_ARCH) } else { ja(0) })?;
        let start = out.len();
        plan.build(cfg, sec, &v)?;
        section(cfg, sec, &plan, default, out)?;
        if !last {
            let len = u32::try_from(out.len() - start).map_err(|_| too_long())?;
            if let Some(j) = out.get_mut(skip_at) {
                j.k = len;
            }
        }
    }
    if out.len() > linux_raw_sys::ptrace::BPF_MAXINSNS as usize {
        return Err(too_long());
    }
    Ok(())
}

/// Instructions `compile` emits for `cfg` on `arch` (the tracked figure).
#[allow(dead_code)] // a tracked figure: tests and the default-profile report
pub fn program_len(cfg: &Seccomp<'_>, arch: Arch) -> Result<usize> {
    let mut out = Program::new();
    compile(cfg, arch, &mut out)?;
    Ok(out.len())
}

/// The sections for `arch`: the native ABI always (as libseccomp), compat
/// ABIs when the profile lists them; listed ABIs this machine cannot run are
/// ignored. ABIs sharing an AUDIT_ARCH (x86_64 and x32) share a section.
fn sections(cfg: &Seccomp<'_>, arch: Arch) -> Result<heapless::Vec<Section, 3>> {
    let mut out: heapless::Vec<Section, 3> = heapless::Vec::new();
    for (i, &abi) in arch.abis().iter().enumerate() {
        let listed = cfg
            .architectures
            .iter()
            .any(|w| w.known().and_then(abi_of) == Some(abi));
        if i > 0 && !listed {
            continue;
        }
        if !abi.available() {
            return Err(err!(
                "seccomp compile:",
                "{}: syscall table not built into this husk (built for {})",
                abi.scmp_name(),
                Arch::native().name()
            ));
        }
        let full = || err!("seccomp compile:", "too many sections");
        match out.iter_mut().find(|s| s.audit == abi.audit_arch()) {
            Some(s) => s.abis.push(abi).map_err(|_| full())?,
            None => {
                let mut abis = heapless::Vec::new();
                abis.push(abi).map_err(|_| full())?;
                out.push(Section {
                    audit: abi.audit_arch(),
                    abis,
                })
                .map_err(|_| full())?;
            }
        }
    }
    Ok(out)
}

fn abi_of(a: ArchName) -> Option<Abi> {
    match a {
        ArchName::X86 => Some(Abi::X86),
        ArchName::X86_64 => Some(Abi::X86_64),
        ArchName::X32 => Some(Abi::X32),
        ArchName::Arm => Some(Abi::Arm),
        ArchName::Aarch64 => Some(Abi::Aarch64),
        ArchName::Riscv64 => Some(Abi::Riscv64),
        ArchName::Foreign => None,
    }
}

/// One section: load nr, the search tree, then the blocks.
fn section(
    cfg: &Seccomp<'_>,
    sec: &Section,
    plan: &Plan,
    default: u32,
    out: &mut Program,
) -> Result<()> {
    push(out, ld(bpf::OFF_NR))?;
    let wide = sec.args_64bit();
    // Where each block will start, so tree leaves can `ja` to it.
    let mut at: heapless::Vec<usize, { 2 * crate::caps::MAX_SECCOMP_NAMES }> = heapless::Vec::new();
    let mut pos = out.len() + tree_size(&plan.intervals);
    for b in 0..plan.block_count() {
        at.push(pos).map_err(|_| too_long())?;
        pos += block_size(cfg, plan.block(b), wide);
    }
    tree(&plan.intervals, &at, out)?;
    for b in 0..plan.block_count() {
        block(cfg, plan.block(b), wide, default, out)?;
    }
    Ok(())
}

/// Size of the tree over `iv` (see `tree`).
fn tree_size(iv: &[(u32, u32)]) -> usize {
    if iv.len() <= 1 {
        return 1;
    }
    let (left, right) = iv.split_at(iv.len() / 2);
    let l = tree_size(left);
    l + tree_size(right) + if l <= 255 { 1 } else { 2 }
}

/// A balanced binary search over the interval starts; depth ~log2(len).
fn tree(iv: &[(u32, u32)], at: &[usize], out: &mut Program) -> Result<()> {
    if iv.len() <= 1 {
        let code = iv.first().map_or(BAD_ARCH, |i| i.1);
        if code & BLOCK_TAG != BLOCK_TAG {
            return push(out, ret(code));
        }
        let target = *at.get((code & 0xffff) as usize).ok_or_else(too_long)?;
        let k = target.checked_sub(out.len() + 1).ok_or_else(too_long)?;
        return push(out, ja(u32::try_from(k).map_err(|_| too_long())?));
    }
    let (left, right) = iv.split_at(iv.len() / 2);
    let pivot = right.first().map_or(0, |i| i.0);
    let l = tree_size(left);
    match u8::try_from(l) {
        Ok(l) => push(out, jge(pivot, l, 0))?,
        Err(_) => {
            push(out, jge(pivot, 0, 1))?;
            push(out, ja(u32::try_from(l).map_err(|_| too_long())?))?;
        }
    }
    tree(left, at, out)?;
    tree(right, at, out)
}

/// runc: when one rule has several conditions on the same argument, each
/// condition becomes a rule of its own (OR); otherwise they AND together.
fn splits(args: &[Arg<'_>]) -> bool {
    args.iter()
        .enumerate()
        .any(|(i, a)| args.iter().skip(i + 1).any(|b| b.index == a.index))
}

fn block_size(cfg: &Seccomp<'_>, rules: &[u16], wide: bool) -> usize {
    let mut n = 1; // the final ret default
    for &ri in rules {
        let Some(rule) = cfg.syscalls.get(usize::from(ri)) else {
            continue;
        };
        let args = cfg.args_of(rule);
        let conds: usize = args.iter().map(|a| cond_size(a, wide)).sum();
        n += conds + if splits(args) { args.len() } else { 1 };
    }
    n
}

/// The rules of one block in order, then the default verdict.
fn block(
    cfg: &Seccomp<'_>,
    rules: &[u16],
    wide: bool,
    default: u32,
    out: &mut Program,
) -> Result<()> {
    for &ri in rules {
        let rule = cfg.syscalls.get(usize::from(ri)).ok_or_else(too_long)?;
        let verdict = rule_ret(cfg, usize::from(ri))?;
        let args = cfg.args_of(rule);
        if splits(args) {
            for a in args {
                all_of(core::slice::from_ref(a), wide, verdict, out)?;
            }
        } else {
            all_of(args, wide, verdict, out)?;
        }
    }
    push(out, ret(default))
}

/// `ret verdict` if every condition holds, else fall through to what follows.
fn all_of(args: &[Arg<'_>], wide: bool, verdict: u32, out: &mut Program) -> Result<()> {
    let size: usize = args.iter().map(|a| cond_size(a, wide)).sum();
    let fail = out.len() + size + 1;
    for a in args {
        cond(a, wide, fail, out)?;
    }
    push(out, ret(verdict))
}

fn cond_size(a: &Arg<'_>, wide: bool) -> usize {
    match (a.op, wide) {
        (Word::Known(Op::MaskedEq), true) => 6,
        (Word::Known(Op::MaskedEq), false) => 3,
        (Word::Known(Op::Eq | Op::Ne), true) => 4,
        (_, true) => 5,
        (_, false) => 2,
    }
}

/// One condition: falls through when it holds, jumps to `fail` otherwise.
/// 64-bit ABIs compare the high word, then the low word; 32-bit ABIs only
/// the low word, with the value truncated (as libseccomp).
fn cond(a: &Arg<'_>, wide: bool, fail: usize, out: &mut Program) -> Result<()> {
    let Word::Known(op) = a.op else {
        return Err(err!(
            "invalid config.json:",
            "linux.seccomp: unknown operator"
        ));
    };
    let (lo_off, hi_off) = arg_words(a.index);
    let (v, d) = if op == Op::MaskedEq {
        (a.value, a.value_two)
    } else {
        (a.value, 0)
    };
    let (vhi, vlo) = ((v >> 32) as u32, v as u32);
    let (dhi, dlo) = ((d >> 32) as u32, d as u32);
    let f = |out: &Program| off(out.len(), fail);
    if !wide {
        push(out, ld(lo_off))?;
        let i = match op {
            Op::Eq => jeq(vlo, 0, f(out)?),
            Op::Ne => jeq(vlo, f(out)?, 0),
            Op::Gt => jgt(vlo, 0, f(out)?),
            Op::Ge => jge(vlo, 0, f(out)?),
            Op::Lt => jge(vlo, f(out)?, 0),
            Op::Le => jgt(vlo, f(out)?, 0),
            Op::MaskedEq => {
                push(out, and(vlo))?;
                jeq(dlo, 0, f(out)?)
            }
        };
        return push(out, i);
    }
    push(out, ld(hi_off))?;
    match op {
        Op::Eq => {
            push(out, jeq(vhi, 0, f(out)?))?;
            push(out, ld(lo_off))?;
            push(out, jeq(vlo, 0, f(out)?))
        }
        Op::Ne => {
            push(out, jeq(vhi, 0, 2))?; // high words differ: holds
            push(out, ld(lo_off))?;
            push(out, jeq(vlo, f(out)?, 0))
        }
        Op::Gt | Op::Ge => {
            push(out, jgt(vhi, 3, 0))?; // high word greater: holds
            push(out, jeq(vhi, 0, f(out)?))?;
            push(out, ld(lo_off))?;
            let lo = if op == Op::Gt {
                jgt(vlo, 0, f(out)?)
            } else {
                jge(vlo, 0, f(out)?)
            };
            push(out, lo)
        }
        Op::Lt | Op::Le => {
            push(out, jgt(vhi, f(out)?, 0))?;
            push(out, jeq(vhi, 0, 2))?; // high word smaller: holds
            push(out, ld(lo_off))?;
            let lo = if op == Op::Lt {
                jge(vlo, f(out)?, 0)
            } else {
                jgt(vlo, f(out)?, 0)
            };
            push(out, lo)
        }
        Op::MaskedEq => {
            push(out, and(vhi))?;
            push(out, jeq(dhi, 0, f(out)?))?;
            push(out, ld(lo_off))?;
            push(out, and(vlo))?;
            push(out, jeq(dlo, 0, f(out)?))
        }
    }
}
