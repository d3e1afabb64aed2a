//! Test-only: a classic-BPF interpreter for seccomp programs, the kernel's
//! load-time checks (seccomp_check_filter + bpf_check_classic), and a
//! disassembler producing the readable listings of the golden tests.

use crate::seccomp::{Abi, SockFilter};
use linux_raw_sys::ptrace::*;
use std::fmt::Write;

/// `struct seccomp_data`, as the kernel fills it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Data {
    pub nr: u32,
    pub arch: u32,
    pub ip: u64,
    pub args: [u64; 6],
}

impl Data {
    pub fn call(abi: Abi, nr: u32, args: [u64; 6]) -> Data {
        Data {
            nr,
            arch: abi.audit_arch(),
            ip: 0,
            args,
        }
    }

    /// The 32-bit word at byte offset `off` (little-endian layout).
    fn word(&self, off: u32) -> u32 {
        let half = |x: u64| {
            if off.is_multiple_of(8) {
                x as u32
            } else {
                (x >> 32) as u32
            }
        };
        match off {
            0 => self.nr,
            4 => self.arch,
            8 | 12 => half(self.ip),
            _ => half(self.args[(off as usize - 16) / 8]),
        }
    }
}

const LD: u16 = (BPF_LD | BPF_W | BPF_ABS) as u16;
const AND: u16 = (BPF_ALU | BPF_AND | BPF_K) as u16;
const JA: u16 = (BPF_JMP | BPF_JA) as u16;
const JEQ: u16 = (BPF_JMP | BPF_JEQ | BPF_K) as u16;
const JGT: u16 = (BPF_JMP | BPF_JGT | BPF_K) as u16;
const JGE: u16 = (BPF_JMP | BPF_JGE | BPF_K) as u16;
const JSET: u16 = (BPF_JMP | BPF_JSET | BPF_K) as u16;
const RET: u16 = (BPF_RET | BPF_K) as u16;

/// What the kernel checks when the filter is loaded: length, opcodes
/// seccomp allows (of those the compiler may emit), aligned in-bounds loads,
/// jumps inside the program, and a final return.
pub fn check(prog: &[SockFilter]) -> Result<(), String> {
    if prog.is_empty() || prog.len() > BPF_MAXINSNS as usize {
        return Err(format!("bad length {}", prog.len()));
    }
    for (pc, i) in prog.iter().enumerate() {
        let rest = prog.len() - pc - 1;
        match i.code {
            LD if i.k % 4 != 0 || i.k as usize >= core::mem::size_of::<seccomp_data>() => {
                return Err(format!("{pc}: bad load offset {}", i.k))
            }
            LD | AND | RET => {}
            JA if i.k as usize >= rest => return Err(format!("{pc}: ja out of range")),
            JA => {}
            JEQ | JGT | JGE | JSET if usize::from(i.jt) >= rest || usize::from(i.jf) >= rest => {
                return Err(format!("{pc}: jump out of range"))
            }
            JEQ | JGT | JGE | JSET => {}
            c => return Err(format!("{pc}: opcode {c:#x} not expected")),
        }
    }
    match prog.last() {
        Some(i) if i.code == RET => Ok(()),
        _ => Err("does not end in ret".into()),
    }
}

/// Run `prog` over `d`; returns the SECCOMP_RET_* verdict and the number of
/// instructions executed.
pub fn run(prog: &[SockFilter], d: &Data) -> (u32, usize) {
    let (mut a, mut pc, mut steps) = (0u32, 0usize, 0usize);
    loop {
        let i = prog[pc];
        steps += 1;
        pc += 1;
        match i.code {
            LD => a = d.word(i.k),
            AND => a &= i.k,
            JA => pc += i.k as usize,
            JEQ | JGT | JGE | JSET => {
                let t = match i.code {
                    JEQ => a == i.k,
                    JGT => a > i.k,
                    JGE => a >= i.k,
                    _ => a & i.k != 0,
                };
                pc += usize::from(if t { i.jt } else { i.jf });
            }
            RET => return (i.k, steps),
            c => panic!("opcode {c:#x}"),
        }
    }
}

/// A verdict as text: `ALLOW`, `ERRNO(1)`, …
pub fn verdict(k: u32) -> String {
    let data = k & SECCOMP_RET_DATA;
    match k & SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_KILL_PROCESS => "KILL_PROCESS".into(),
        SECCOMP_RET_KILL_THREAD => "KILL_THREAD".into(),
        SECCOMP_RET_TRAP => "TRAP".into(),
        SECCOMP_RET_ERRNO => format!("ERRNO({data})"),
        SECCOMP_RET_TRACE => format!("TRACE({data})"),
        SECCOMP_RET_ALLOW => "ALLOW".into(),
        SECCOMP_RET_LOG => "LOG".into(),
        SECCOMP_RET_USER_NOTIF => "NOTIFY".into(),
        _ => format!("{k:#x}"),
    }
}

fn arch_name(k: u32) -> Option<(&'static str, Abi)> {
    [
        ("AUDIT_ARCH_X86_64", Abi::X86_64),
        ("AUDIT_ARCH_I386", Abi::X86),
        ("AUDIT_ARCH_AARCH64", Abi::Aarch64),
        ("AUDIT_ARCH_ARM", Abi::Arm),
        ("AUDIT_ARCH_RISCV64", Abi::Riscv64),
    ]
    .into_iter()
    .find(|(_, abi)| abi.audit_arch() == k)
}

/// A listing, one instruction per line, jump targets absolute:
/// `004 jge 111 ? 008 : 005`. What the accumulator holds is tracked along
/// the layout (each section loads nr, each condition its argument word), so
/// constants are shown as arch names, syscall numbers with names, or hex.
pub fn listing(prog: &[SockFilter]) -> String {
    let mut s = String::new();
    let mut holds = "";
    let mut abi = None;
    // The arch checks: pc 1, then wherever the `ja` after a check leads.
    let mut arch_checks = vec![1];
    while let Some(&pc) = arch_checks.last() {
        match prog.get(pc + 1) {
            Some(j) if j.code == JA => arch_checks.push(pc + 2 + j.k as usize),
            _ => break,
        }
    }
    for (pc, i) in prog.iter().enumerate() {
        if arch_checks.contains(&pc) {
            holds = "arch";
        }
        let k = match holds {
            "arch" => match arch_name(i.k) {
                Some((name, a)) => {
                    abi = Some(a);
                    name.to_string()
                }
                None => format!("{:#x}", i.k),
            },
            "nr" => {
                let a = match abi {
                    Some(Abi::X86_64) if i.k & crate::seccomp::tables::X32_SYSCALL_BIT != 0 => {
                        Some(Abi::X32)
                    }
                    a => a,
                };
                let x32 = if a == Some(Abi::X32) { "x32 " } else { "" };
                match a.and_then(|a| a.name_of(i.k)) {
                    Some(n) if i.k >= 0x1000 => format!("{:#x} ({x32}{n})", i.k),
                    Some(n) => format!("{} ({n})", i.k),
                    None if i.k >= 0x1000 => format!("{:#x}", i.k),
                    None => format!("{}", i.k),
                }
            }
            _ => format!("{:#x}", i.k),
        };
        let (t, f) = (pc + 1 + usize::from(i.jt), pc + 1 + usize::from(i.jf));
        let _ = match i.code {
            LD => {
                holds = match i.k {
                    0 => "nr",
                    4 => "arch",
                    _ => "arg",
                };
                let what = match i.k {
                    0 => "nr".to_string(),
                    4 => "arch".to_string(),
                    o => format!(
                        "args[{}].{}",
                        (o - 16) / 8,
                        if o.is_multiple_of(8) { "lo" } else { "hi" }
                    ),
                };
                writeln!(s, "{pc:03} ld  {what}")
            }
            AND => writeln!(s, "{pc:03} and {:#x}", i.k),
            JA => writeln!(s, "{pc:03} ja  {:03}", pc + 1 + i.k as usize),
            JEQ => writeln!(s, "{pc:03} jeq {k} ? {t:03} : {f:03}"),
            JGT => writeln!(s, "{pc:03} jgt {k} ? {t:03} : {f:03}"),
            JGE => writeln!(s, "{pc:03} jge {k} ? {t:03} : {f:03}"),
            JSET => writeln!(s, "{pc:03} jset {k} ? {t:03} : {f:03}"),
            RET => writeln!(s, "{pc:03} ret {}", verdict(i.k)),
            c => writeln!(s, "{pc:03} ??? {c:#x}"),
        };
    }
    s
}
