//! Classic BPF as seccomp uses it (linux/filter.h, linux/bpf_common.h,
//! Documentation/userspace-api/seccomp_filter.rst): the instruction type, the
//! few instructions the compiler emits, `seccomp_data` offsets, and the
//! SECCOMP_RET_* value of each profile action.
//!
//! Conditional jumps carry 8-bit offsets (`jt`, `jf`, counted from the next
//! instruction); only `ja` has a 32-bit one. [`off`] turns a distance into an
//! 8-bit offset or an error; the compiler lays code out so that distances
//! that can grow (tree jumps over a large subtree) use `ja`.

use crate::config::seccomp::Action;
use crate::error::Result;
use linux_raw_sys::ptrace::{
    BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_K, BPF_LD, BPF_RET,
    BPF_W, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
    SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
};

/// `struct sock_filter`: one classic-BPF instruction.
pub type SockFilter = linux_raw_sys::ptrace::sock_filter;

/// `offsetof(struct seccomp_data, nr)`.
pub const OFF_NR: u32 = 0;
/// `offsetof(struct seccomp_data, arch)`.
pub const OFF_ARCH: u32 = 4;
/// `offsetof(struct seccomp_data, args)`.
pub const OFF_ARGS: u32 = 16;

/// Offsets of the low and high 32-bit words of `args[i]`. All four husk
/// architectures are little-endian, so the low word comes first.
pub fn arg_words(i: u32) -> (u32, u32) {
    let lo = OFF_ARGS + 8 * i;
    (lo, lo + 4)
}

fn insn(code: u32, jt: u8, jf: u8, k: u32) -> SockFilter {
    // Every code used here fits in 16 bits (BPF_* class|size|mode|op).
    SockFilter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// `ld [k]`: A = 32-bit word of seccomp_data at offset k.
pub fn ld(k: u32) -> SockFilter {
    insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, k)
}

/// `and #k`: A &= k.
pub fn and(k: u32) -> SockFilter {
    insn(BPF_ALU | BPF_AND | BPF_K, 0, 0, k)
}

/// `jeq #k, jt, jf`.
pub fn jeq(k: u32, jt: u8, jf: u8) -> SockFilter {
    insn(BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k)
}

/// `jgt #k, jt, jf` (unsigned A > k).
pub fn jgt(k: u32, jt: u8, jf: u8) -> SockFilter {
    insn(BPF_JMP | BPF_JGT | BPF_K, jt, jf, k)
}

/// `jge #k, jt, jf` (unsigned A >= k).
pub fn jge(k: u32, jt: u8, jf: u8) -> SockFilter {
    insn(BPF_JMP | BPF_JGE | BPF_K, jt, jf, k)
}

/// `ja +k`: unconditional jump, 32-bit offset.
pub fn ja(k: u32) -> SockFilter {
    insn(BPF_JMP | BPF_JA, 0, 0, k)
}

/// `ret #k`: the filter's verdict.
pub fn ret(k: u32) -> SockFilter {
    insn(BPF_RET | BPF_K, 0, 0, k)
}

/// The 8-bit offset of a conditional jump at `pc` to `target`.
pub fn off(pc: usize, target: usize) -> Result<u8> {
    target
        .checked_sub(pc + 1)
        .and_then(|d| u8::try_from(d).ok())
        .ok_or_else(|| {
            err!(
                "seccomp compile:",
                "jump from {pc} to {target} does not fit 8 bits"
            )
        })
}

/// SECCOMP_RET_* of `action`; `data` is the errno (ERRNO) or message
/// (TRACE), EPERM when unset as the spec says. SCMP_ACT_KILL is libseccomp's
/// KILL_THREAD.
pub fn ret_value(action: Action, data: Option<u32>) -> u32 {
    let data = data.unwrap_or(linux_raw_sys::errno::EPERM) & 0xffff;
    match action {
        Action::Kill | Action::KillThread => SECCOMP_RET_KILL_THREAD,
        Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
        Action::Trap => SECCOMP_RET_TRAP,
        Action::Errno => SECCOMP_RET_ERRNO | data,
        Action::Trace => SECCOMP_RET_TRACE | data,
        Action::Allow => SECCOMP_RET_ALLOW,
        Action::Log => SECCOMP_RET_LOG,
        Action::Notify => SECCOMP_RET_USER_NOTIF,
    }
}

/// libseccomp's name of a SECCOMP_RET_* value, for messages and listings.
pub fn action_name(ret: u32) -> &'static str {
    match ret & linux_raw_sys::ptrace::SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_KILL_PROCESS => "SCMP_ACT_KILL_PROCESS",
        SECCOMP_RET_KILL_THREAD => "SCMP_ACT_KILL_THREAD",
        SECCOMP_RET_TRAP => "SCMP_ACT_TRAP",
        SECCOMP_RET_ERRNO => "SCMP_ACT_ERRNO",
        SECCOMP_RET_TRACE => "SCMP_ACT_TRACE",
        SECCOMP_RET_ALLOW => "SCMP_ACT_ALLOW",
        SECCOMP_RET_LOG => "SCMP_ACT_LOG",
        SECCOMP_RET_USER_NOTIF => "SCMP_ACT_NOTIFY",
        _ => "unknown action",
    }
}
