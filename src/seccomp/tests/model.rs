//! Test-only: the profile's meaning evaluated directly from the config — no
//! plan, no tree, no BPF — written from the rules in plan.rs's doc. The
//! compiled program must agree with it on every input the tests try.

use super::interp::Data;
use crate::config::seccomp::{Action, ArchName, Arg, Op, Seccomp, Word};
use crate::seccomp::bpf::ret_value;
use crate::seccomp::tables::X32_SYSCALL_BIT;
use crate::seccomp::{Abi, Arch};
use linux_raw_sys::ptrace::{SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};

fn listed(cfg: &Seccomp<'_>, abi: Abi) -> bool {
    let name = match abi {
        Abi::X86_64 => ArchName::X86_64,
        Abi::X86 => ArchName::X86,
        Abi::X32 => ArchName::X32,
        Abi::Aarch64 => ArchName::Aarch64,
        Abi::Arm => ArchName::Arm,
        Abi::Riscv64 => ArchName::Riscv64,
    };
    cfg.architectures.contains(&Word::Known(name))
}

fn holds(a: &Arg<'_>, args: &[u64; 6], wide: bool) -> bool {
    let trunc = |x: u64| if wide { x } else { x & 0xffff_ffff };
    let x = trunc(args[a.index as usize]);
    let (v, d) = (trunc(a.value), trunc(a.value_two));
    match a.op {
        Word::Known(Op::Eq) => x == v,
        Word::Known(Op::Ne) => x != v,
        Word::Known(Op::Lt) => x < v,
        Word::Known(Op::Le) => x <= v,
        Word::Known(Op::Gt) => x > v,
        Word::Known(Op::Ge) => x >= v,
        Word::Known(Op::MaskedEq) => x & v == d,
        Word::Unknown(_) => panic!("unknown op"),
    }
}

/// Does rule `args` match, with runc's split of same-index conditions?
fn rule_matches(args: &[Arg<'_>], d: &Data, wide: bool) -> bool {
    let split = args
        .iter()
        .enumerate()
        .any(|(i, a)| args[i + 1..].iter().any(|b| b.index == a.index));
    if split {
        args.iter().any(|a| holds(a, &d.args, wide))
    } else {
        args.iter().all(|a| holds(a, &d.args, wide))
    }
}

/// The verdict the profile gives `d` on a machine of `arch`.
pub fn expected(cfg: &Seccomp<'_>, arch: Arch, d: &Data) -> u32 {
    let Word::Known(default_action) = cfg.default_action else {
        panic!()
    };
    let default = ret_value(default_action, cfg.default_errno_ret);
    let permissive = matches!(default_action, Action::Allow | Action::Log | Action::Trace);
    let abi = arch.abis().iter().enumerate().find(|&(i, &abi)| {
        (i == 0 || listed(cfg, abi))
            && abi.audit_arch() == d.arch
            && match abi {
                Abi::X86_64 => d.nr < X32_SYSCALL_BIT,
                Abi::X32 => d.nr >= X32_SYSCALL_BIT,
                _ => true,
            }
    });
    let Some((_, &abi)) = abi else {
        return SECCOMP_RET_KILL_PROCESS;
    };
    let rule_ret = |r: usize| {
        let rule = &cfg.syscalls[r];
        let Word::Known(a) = rule.action else {
            panic!()
        };
        ret_value(a, rule.errno_ret)
    };
    let naming: Vec<usize> = (0..cfg.syscalls.len())
        .filter(|&r| {
            cfg.names_of(&cfg.syscalls[r])
                .iter()
                .any(|n| abi.lookup(n) == Some(d.nr))
        })
        .collect();
    let effective: Vec<usize> = naming
        .iter()
        .copied()
        .filter(|&r| rule_ret(r) != default)
        .collect();
    if let Some(&r) = effective
        .iter()
        .find(|&&r| cfg.args_of(&cfg.syscalls[r]).is_empty())
    {
        return rule_ret(r);
    }
    for &r in &effective {
        if rule_matches(cfg.args_of(&cfg.syscalls[r]), d, abi.args_64bit()) {
            return rule_ret(r);
        }
    }
    if !naming.is_empty() || permissive {
        return default;
    }
    // runc's ENOSYS: above the highest number the profile names in this range.
    let (lo, hi) = *abi
        .ranges()
        .iter()
        .find(|(lo, hi)| *lo <= d.nr && u64::from(d.nr) < *hi)
        .unwrap();
    let max = cfg
        .names
        .iter()
        .filter_map(|n| abi.lookup(n))
        .filter(|&nr| lo <= nr && u64::from(nr) < hi)
        .max();
    match max {
        Some(max) if d.nr > max => SECCOMP_RET_ERRNO | linux_raw_sys::errno::ENOSYS,
        _ => default,
    }
}
