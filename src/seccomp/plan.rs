//! What one architecture section of the filter decides, before any code is
//! laid out: the whole 32-bit syscall-number line cut into intervals, each
//! with one outcome — a SECCOMP_RET_* value, or a block of argument checks.
//!
//! Semantics (libseccomp's and runc's, which profiles are written for):
//! - names unknown on this ABI are skipped;
//! - a rule whose action equals the default action is dropped (runc);
//! - for one syscall, a rule without args decides alone (libseccomp: the
//!   shorter rule supersedes); otherwise its rules with args are tried in
//!   profile order and the first whose conditions all hold decides (rules
//!   OR together, conditions of one rule AND together);
//! - numbers no rule names get the default action, except, when the default
//!   is not permissive (not ALLOW/LOG/TRACE), numbers above the highest one
//!   the profile names get ENOSYS (runc's patchbpf), per number range;
//! - numbers outside every listed ABI's ranges (x32 numbers when X32 is not
//!   listed) get the bad-arch verdict.
//!
//! Adjacent numbers with the same outcome share one interval, so a profile
//! allowing most syscalls needs far fewer intervals than names.

use super::tables::Abi;
use crate::caps::{MAX_SECCOMP_NAMES, MAX_SECCOMP_RULES};
use crate::config::seccomp::{Seccomp, Word};
use crate::error::Result;

/// An outcome code is a SECCOMP_RET_* value, or `BLOCK_TAG | block index`.
/// SECCOMP_RET_ACTION_FULL 0xffff is no seccomp action, so they never collide.
pub const BLOCK_TAG: u32 = 0xffff_0000;

/// Syscall numbers of one section: a name resolves once per ABI.
const ENTRIES: usize = 2 * MAX_SECCOMP_NAMES;
/// Each named number opens at most two intervals; plus the range borders.
const INTERVALS: usize = 2 * ENTRIES + 16;

/// The ABIs sharing one `seccomp_data.arch` value (x86_64 and x32 do).
#[derive(Clone, Debug)]
pub struct Section {
    pub audit: u32,
    pub abis: heapless::Vec<Abi, 2>,
}

impl Section {
    pub fn args_64bit(&self) -> bool {
        self.abis.first().is_some_and(|a| a.args_64bit())
    }
}

/// The verdicts that do not come from a rule.
#[derive(Clone, Copy, Debug)]
pub struct Verdicts {
    pub default: u32,
    /// ERRNO(ENOSYS) when the default is not permissive.
    pub enosys: Option<u32>,
    pub bad_arch: u32,
}

/// The plan of one section; reused for each section (it is large).
pub struct Plan {
    entries: heapless::Vec<(u32, u16), ENTRIES>,
    /// (first number, outcome code), sorted, starting at 0; neighbours differ.
    pub intervals: heapless::Vec<(u32, u32), INTERVALS>,
    /// Blocks of rules with args: spans of `block_rules` (rule indices, in order).
    blocks: heapless::Vec<(u16, u16), ENTRIES>,
    block_rules: heapless::Vec<u16, ENTRIES>,
}

fn full() -> crate::error::Error {
    err!(
        "seccomp compile:",
        "profile too large for the plan (MAX_SECCOMP_NAMES)"
    )
}

impl Plan {
    pub const fn new() -> Self {
        Plan {
            entries: heapless::Vec::new(),
            intervals: heapless::Vec::new(),
            blocks: heapless::Vec::new(),
            block_rules: heapless::Vec::new(),
        }
    }

    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// The rule indices of block `b`.
    pub fn block(&self, b: usize) -> &[u16] {
        match self.blocks.get(b) {
            Some(&(start, len)) => {
                let s = usize::from(start);
                self.block_rules.get(s..s + usize::from(len)).unwrap_or(&[])
            }
            None => &[],
        }
    }

    /// Plan `sec` for the validated profile `cfg`.
    pub fn build(&mut self, cfg: &Seccomp<'_>, sec: &Section, v: &Verdicts) -> Result<()> {
        self.entries.clear();
        self.intervals.clear();
        self.blocks.clear();
        self.block_rules.clear();

        // Number ranges of the section's ABIs, with the highest named number.
        let mut ranges: heapless::Vec<(u32, u64, Option<u32>), 4> = heapless::Vec::new();
        for abi in &sec.abis {
            for &(lo, hi) in abi.ranges() {
                ranges.push((lo, hi, None)).map_err(|_| full())?;
            }
        }
        ranges.sort_unstable_by_key(|r| r.0);

        for (ri, rule) in cfg.syscalls.iter().enumerate() {
            let ri = u16::try_from(ri).map_err(|_| full())?;
            for name in cfg.names_of(rule) {
                for abi in &sec.abis {
                    let Some(nr) = abi.lookup(name) else { continue };
                    self.entries.push((nr, ri)).map_err(|_| full())?;
                    for r in ranges.iter_mut() {
                        if r.0 <= nr && u64::from(nr) < r.1 {
                            r.2 = Some(r.2.map_or(nr, |m| m.max(nr)));
                        }
                    }
                }
            }
        }
        self.entries.sort_unstable();

        // What a number no rule names gets, as segments starting at 0.
        let mut base: heapless::Vec<(u64, u32), 16> = heapless::Vec::new();
        let mut pos = 0u64;
        for &(lo, hi, max) in &ranges {
            if u64::from(lo) > pos {
                base.push((pos, v.bad_arch)).map_err(|_| full())?;
            }
            base.push((u64::from(lo), v.default)).map_err(|_| full())?;
            if let (Some(enosys), Some(max)) = (v.enosys, max) {
                if u64::from(max) + 1 < hi {
                    base.push((u64::from(max) + 1, enosys))
                        .map_err(|_| full())?;
                }
            }
            pos = hi;
        }
        if pos < 1 << 32 {
            base.push((pos, v.bad_arch)).map_err(|_| full())?;
        }

        // Walk the named numbers in order, filling the gaps from `base`.
        let mut pos = 0u64;
        let mut i = 0;
        while let Some(&(nr, _)) = self.entries.get(i) {
            let mut j = i;
            while self.entries.get(j).is_some_and(|e| e.0 == nr) {
                j += 1;
            }
            self.fill(&base, pos, u64::from(nr))?;
            let code = self.outcome(cfg, i, j, v)?;
            self.push(nr, code)?;
            pos = u64::from(nr) + 1;
            i = j;
        }
        self.fill(&base, pos, 1 << 32)
    }

    /// Append the base segments over `[a, b)`.
    fn fill(&mut self, base: &[(u64, u32)], a: u64, b: u64) -> Result<()> {
        if a >= b {
            return Ok(());
        }
        for (k, &(start, code)) in base.iter().enumerate() {
            let end = base.get(k + 1).map_or(1 << 32, |n| n.0);
            if start < b && end > a {
                // start.max(a) < b <= 2^32, so it fits.
                self.push(start.max(a) as u32, code)?;
            }
        }
        Ok(())
    }

    fn push(&mut self, start: u32, code: u32) -> Result<()> {
        if self.intervals.last().is_some_and(|l| l.1 == code) {
            return Ok(());
        }
        self.intervals.push((start, code)).map_err(|_| full())
    }

    /// The outcome for the number of `entries[i..j]` (its rules, in order).
    fn outcome(&mut self, cfg: &Seccomp<'_>, i: usize, j: usize, v: &Verdicts) -> Result<u32> {
        let run = self.entries.get(i..j).unwrap_or(&[]);
        let mut conditional: heapless::Vec<u16, MAX_SECCOMP_RULES> = heapless::Vec::new();
        let mut unconditional = None;
        for &(_, ri) in run {
            if conditional.last() == Some(&ri) {
                continue; // the same name twice in one rule
            }
            let rule = cfg.syscalls.get(usize::from(ri)).ok_or_else(full)?;
            let ret = rule_ret(cfg, usize::from(ri))?;
            if ret == v.default {
                continue;
            }
            if cfg.args_of(rule).is_empty() {
                unconditional.get_or_insert(ret);
            } else {
                conditional.push(ri).map_err(|_| full())?;
            }
        }
        if let Some(ret) = unconditional {
            return Ok(ret);
        }
        if conditional.is_empty() {
            return Ok(v.default);
        }
        for b in 0..self.blocks.len() {
            if self.block(b) == conditional.as_slice() {
                return tag(b);
            }
        }
        let start = u16::try_from(self.block_rules.len()).map_err(|_| full())?;
        let len = u16::try_from(conditional.len()).map_err(|_| full())?;
        self.block_rules
            .extend_from_slice(&conditional)
            .map_err(|_| full())?;
        self.blocks.push((start, len)).map_err(|_| full())?;
        tag(self.blocks.len() - 1)
    }
}

fn tag(b: usize) -> Result<u32> {
    u16::try_from(b)
        .map(|b| BLOCK_TAG | u32::from(b))
        .map_err(|_| full())
}

/// SECCOMP_RET_* of rule `ri` (validated: its action is known).
pub fn rule_ret(cfg: &Seccomp<'_>, ri: usize) -> Result<u32> {
    let rule = cfg.syscalls.get(ri).ok_or_else(full)?;
    match rule.action {
        Word::Known(a) => Ok(super::bpf::ret_value(a, rule.errno_ret)),
        Word::Unknown(s) => Err(err!(
            "invalid config.json:",
            "linux.seccomp.syscalls[{ri}].action: unknown action \"{s}\""
        )),
    }
}
