//! The compiled programs, run in the test interpreter, against the model
//! (model.rs) and against hand-written expectations: operators, 64-bit
//! halves, arches and compat ABIs, x32, ENOSYS, rule precedence, long jumps.

use super::interp::{check, run, verdict, Data};
use super::model::expected;
use super::{compile_for, parse};
use crate::config::seccomp::Seccomp;
use crate::seccomp::tables::{ARM_NR_BASE, X32_SYSCALL_BIT};
use crate::seccomp::{Abi, Arch, Program};

const ARCHES: [Arch; 4] = [Arch::X86_64, Arch::Aarch64, Arch::Arm, Arch::Riscv64];

/// Values worth trying as arguments for `cfg`: each condition's value and
/// datum, their neighbours, and the same with the other 32-bit half changed.
fn interesting(cfg: &Seccomp<'_>) -> Vec<u64> {
    let mut v = vec![0, 1, 0xffff_ffff, 1 << 32, u64::MAX, 0x8000_0000_0000_0000];
    for a in cfg.args.iter() {
        for x in [
            a.value,
            a.value_two,
            a.value & !a.value_two,
            a.value_two | !a.value,
        ] {
            for y in [
                x,
                x.wrapping_add(1),
                x.wrapping_sub(1),
                x ^ (1 << 32),
                x ^ 1,
                x.wrapping_add(1 << 32),
            ] {
                v.push(y);
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Numbers worth trying on `abi`: each named number and its neighbours,
/// range borders, and a few far ones.
fn numbers(cfg: &Seccomp<'_>, abi: Abi) -> Vec<u32> {
    let mut v = vec![
        0,
        1,
        500,
        0xfff,
        X32_SYSCALL_BIT - 1,
        X32_SYSCALL_BIT,
        X32_SYSCALL_BIT + 600,
    ];
    v.extend([
        ARM_NR_BASE - 1,
        ARM_NR_BASE,
        ARM_NR_BASE + 7,
        0x7fff_ffff,
        0x8000_0000,
        u32::MAX,
    ]);
    for n in cfg.names.iter() {
        if let Some(nr) = abi.lookup(n) {
            v.extend([
                nr.wrapping_sub(1),
                nr,
                nr.wrapping_add(1),
                nr.wrapping_add(2),
            ]);
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Compare program and model on many inputs; returns the inputs tried.
/// Named numbers get every interesting value in every argument, or, with
/// `sample`, that many random argument vectors drawn from those values.
fn agree_with(
    cfg: &Seccomp<'_>,
    arch: Arch,
    prog: &Program,
    what: &str,
    sample: Option<usize>,
) -> usize {
    let vals = interesting(cfg);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut tried = 0;
    let mut probe = |d: Data| {
        let (got, _) = run(prog, &d);
        let want = expected(cfg, arch, &d);
        assert_eq!(
            verdict(got),
            verdict(want),
            "{what} on {arch:?}: nr {:#x} arch {:#x} args {:x?}",
            d.nr,
            d.arch,
            d.args
        );
        tried += 1;
    };
    for &abi in Abi::ALL.iter() {
        for nr in numbers(cfg, abi) {
            let named = cfg.names.iter().any(|n| abi.lookup(n) == Some(nr));
            probe(Data::call(abi, nr, [0; 6]));
            if !named || cfg.args.is_empty() {
                continue;
            }
            if let Some(n) = sample {
                for _ in 0..n {
                    let args = core::array::from_fn(|_| *rng.pick(&vals));
                    probe(Data::call(abi, nr, args));
                }
                continue;
            }
            for &x in &vals {
                for i in 0..6 {
                    let mut args = [0; 6];
                    args[i] = x;
                    probe(Data::call(abi, nr, args));
                }
                probe(Data::call(abi, nr, [x; 6]));
            }
        }
    }
    probe(Data {
        nr: 0,
        arch: 0x8000_0016,
        ip: 0,
        args: [0; 6],
    }); // s390x
    tried
}

fn agree(cfg: &Seccomp<'_>, arch: Arch, prog: &Program, what: &str) -> usize {
    agree_with(cfg, arch, prog, what, None)
}

fn compiled(json: &str, arch: Arch) -> (Seccomp<'_>, Program) {
    let cfg = parse(json);
    let prog = compile_for(&cfg, arch);
    (cfg, prog)
}

#[test]
fn every_operator_on_every_arch() {
    let values = [
        0u64,
        1,
        0x7e02_0000,
        0xffff_ffff,
        1 << 32,
        (1 << 32) + 1,
        u64::MAX,
        0x8000_0000_0000_0000,
    ];
    let ops = ["EQ", "NE", "LT", "LE", "GT", "GE", "MASKED_EQ"];
    for arch in ARCHES {
        for op in ops {
            for &v in &values {
                for &w in &[0u64, v & 0xf0f0_f0f0_0000_ffff] {
                    let json = format!(
                        r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":7,
                        "args":[{{"index":2,"value":{v},"valueTwo":{w},"op":"SCMP_CMP_{op}"}}]}}]}}"#
                    );
                    let (cfg, prog) = compiled(&json, arch);
                    agree(&cfg, arch, &prog, &json);
                }
            }
        }
    }
}

#[test]
fn operators_by_hand() {
    // 64-bit halves: 0x1_0000_0000 > 0xffff_ffff only when the high word counts.
    let json = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO",
        "args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_GT"}]}]}"#;
    let (_, prog) = compiled(json, Arch::Aarch64);
    let nr = Abi::Aarch64.lookup("getppid").unwrap();
    let call = |x: u64| verdict(run(&prog, &Data::call(Abi::Aarch64, nr, [x, 0, 0, 0, 0, 0])).0);
    assert_eq!(call(0xffff_ffff), "ALLOW");
    assert_eq!(call(1 << 32), "ERRNO(1)");
    assert_eq!(call(5), "ALLOW");
    // arm compares the low word only: 1<<32 is 0 there.
    let (_, prog) = compiled(json, Arch::Arm);
    let nr = Abi::Arm.lookup("getppid").unwrap();
    assert_eq!(
        verdict(run(&prog, &Data::call(Abi::Arm, nr, [1 << 32, 0, 0, 0, 0, 0])).0),
        "ALLOW"
    );
    // MASKED_EQ: (arg & value) == valueTwo; docker's clone rule.
    let json = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW",
        "args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]}"#;
    let (_, prog) = compiled(json, Arch::X86_64);
    let nr = Abi::X86_64.lookup("clone").unwrap();
    let clone =
        |flags: u64| verdict(run(&prog, &Data::call(Abi::X86_64, nr, [flags, 0, 0, 0, 0, 0])).0);
    let newuser = u64::from(linux_raw_sys::general::CLONE_NEWUSER);
    let thread = u64::from(linux_raw_sys::general::CLONE_THREAD | linux_raw_sys::general::CLONE_VM);
    assert_eq!(clone(thread), "ALLOW");
    assert_eq!(clone(thread | newuser), "ERRNO(1)");
}

#[test]
fn conditions_and_within_a_rule_or_across_rules() {
    let json = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":11,
         "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":9,"op":"SCMP_CMP_EQ"}]},
        {"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":22,
         "args":[{"index":1,"value":15,"op":"SCMP_CMP_EQ"}]},
        {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":33,
         "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":9,"op":"SCMP_CMP_EQ"}]}]}"#;
    for arch in ARCHES {
        let abi = arch.abis()[0];
        let (cfg, prog) = compiled(json, arch);
        let kill = abi.lookup("kill").unwrap();
        let v =
            |nr, a: u64, b: u64| verdict(run(&prog, &Data::call(abi, nr, [a, b, 0, 0, 0, 0])).0);
        assert_eq!(v(kill, 1, 9), "ERRNO(11)", "both conditions of rule 0");
        assert_eq!(v(kill, 1, 8), "ALLOW", "only one condition of rule 0");
        assert_eq!(v(kill, 2, 9), "ALLOW");
        assert_eq!(v(kill, 7, 15), "ERRNO(22)", "rule 1");
        assert_eq!(v(kill, 1, 15), "ERRNO(22)");
        // runc: same-index conditions split into separate rules (OR).
        let pers = abi.lookup("personality").unwrap();
        assert_eq!(v(pers, 8, 0), "ERRNO(33)");
        assert_eq!(v(pers, 9, 0), "ERRNO(33)");
        assert_eq!(v(pers, 10, 0), "ALLOW");
        agree(&cfg, arch, &prog, json);
    }
}

#[test]
fn precedence_unconditional_wins_and_default_rules_drop() {
    let json = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
        {"names":["uname"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
        {"names":["uname"],"action":"SCMP_ACT_LOG"},
        {"names":["getppid"],"action":"SCMP_ACT_ERRNO"},
        {"names":["getppid"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}"#;
    let (cfg, prog) = compiled(json, Arch::X86_64);
    let v = |name, a| {
        verdict(
            run(
                &prog,
                &Data::call(
                    Abi::X86_64,
                    Abi::X86_64.lookup(name).unwrap(),
                    [a, 0, 0, 0, 0, 0],
                ),
            )
            .0,
        )
    };
    assert_eq!(v("uname", 0), "LOG", "the rule without args supersedes");
    assert_eq!(
        v("getppid", 0),
        "ALLOW",
        "the rule equal to the default is dropped"
    );
    assert_eq!(v("getppid", 1), "ERRNO(1)");
    agree(&cfg, Arch::X86_64, &prog, json);
}

#[test]
fn arches_compat_abis_and_x32() {
    let all = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32","SCMP_ARCH_ARM"],
        "syscalls":[{"names":["getppid","socketcall"],"action":"SCMP_ACT_ALLOW"}]}"#;
    let native = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["getppid","socketcall"],"action":"SCMP_ACT_ALLOW"}]}"#;
    let (cfg, prog) = compiled(all, Arch::X86_64);
    let v = |prog: &Program, abi: Abi, name: &str| {
        verdict(run(prog, &Data::call(abi, abi.lookup(name).unwrap(), [0; 6])).0)
    };
    assert_eq!(v(&prog, Abi::X86_64, "getppid"), "ALLOW");
    assert_eq!(v(&prog, Abi::X86, "getppid"), "ALLOW");
    assert_eq!(
        v(&prog, Abi::X86, "socketcall"),
        "ALLOW",
        "i386-only name resolves on the i386 section"
    );
    assert_eq!(v(&prog, Abi::X32, "getppid"), "ALLOW");
    assert_eq!(v(&prog, Abi::X32, "getpid"), "ERRNO(1)");
    assert_eq!(
        v(&prog, Abi::Arm, "getppid"),
        "KILL_PROCESS",
        "SCMP_ARCH_ARM cannot occur on x86_64"
    );
    agree(&cfg, Arch::X86_64, &prog, all);
    let (cfg, prog) = compiled(native, Arch::X86_64);
    assert_eq!(v(&prog, Abi::X86_64, "getppid"), "ALLOW");
    assert_eq!(
        v(&prog, Abi::X86, "getppid"),
        "KILL_PROCESS",
        "i386 not listed"
    );
    assert_eq!(
        v(&prog, Abi::X32, "getppid"),
        "KILL_PROCESS",
        "x32 not listed"
    );
    agree(&cfg, Arch::X86_64, &prog, native);
    // aarch64 with its arm compat ABI.
    let (cfg, prog) = compiled(all, Arch::Aarch64);
    assert_eq!(v(&prog, Abi::Aarch64, "getppid"), "ALLOW");
    assert_eq!(v(&prog, Abi::Arm, "getppid"), "ALLOW");
    assert_eq!(v(&prog, Abi::X86_64, "getppid"), "KILL_PROCESS");
    agree(&cfg, Arch::Aarch64, &prog, all);
}

#[test]
fn enosys_above_the_highest_named_syscall() {
    let json = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X32","SCMP_ARCH_ARM"],
        "syscalls":[{"names":["getppid","read","set_tls"],"action":"SCMP_ACT_ALLOW"}]}"#;
    for arch in ARCHES {
        let (cfg, prog) = compiled(json, arch);
        let abi = arch.abis()[0];
        let getppid = abi.lookup("getppid").unwrap();
        let d = |nr| verdict(run(&prog, &Data::call(abi, nr, [0; 6])).0);
        assert_eq!(d(getppid), "ALLOW");
        assert_eq!(
            d(getppid - 1),
            "ERRNO(1)",
            "below the highest named: default"
        );
        assert_eq!(
            d(getppid + 1),
            "ERRNO(38)",
            "newer than the profile: ENOSYS"
        );
        agree(&cfg, arch, &prog, json);
    }
    // arm: its private calls are a range of their own.
    let (_, prog) = compiled(json, Arch::Arm);
    let d = |nr| verdict(run(&prog, &Data::call(Abi::Arm, nr, [0; 6])).0);
    assert_eq!(d(ARM_NR_BASE + 5), "ALLOW", "set_tls");
    assert_eq!(d(ARM_NR_BASE + 2), "ERRNO(1)", "cacheflush, below set_tls");
    assert_eq!(
        d(ARM_NR_BASE + 6),
        "ERRNO(38)",
        "get_tls, newer than set_tls"
    );
    // A permissive default never turns into ENOSYS.
    let json = r#"{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}"#;
    let (_, prog) = compiled(json, Arch::Riscv64);
    assert_eq!(
        verdict(run(&prog, &Data::call(Abi::Riscv64, 400, [0; 6])).0),
        "LOG"
    );
}

#[test]
fn names_unknown_here_are_skipped_unknown_everywhere_refused() {
    let json = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["open","arch_prctl","riscv_flush_icache","s390_runtime_instr"],"action":"SCMP_ACT_ERRNO"}]}"#;
    for arch in ARCHES {
        let (cfg, prog) = compiled(json, arch);
        agree(&cfg, arch, &prog, json);
    }
    let cfg = parse(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["opne"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let mut out = Program::new();
    let e = crate::seccomp::compile(&cfg, Arch::X86_64, &mut out).unwrap_err();
    assert!(e.to_string().contains(r#"unknown syscall "opne""#), "{e}");
}

#[test]
fn long_jumps_and_far_blocks() {
    // Every other x86_64 syscall allowed, and every fourth with an argument
    // rule: hundreds of intervals, a tree whose halves exceed 255
    // instructions, and blocks far from their leaves.
    let mut allow = Vec::new();
    let mut cond = Vec::new();
    for nr in (0..450).step_by(2) {
        if let Some(n) = Abi::X86_64.name_of(nr) {
            if nr % 4 == 0 {
                cond.push(format!("\"{n}\""));
            } else {
                allow.push(format!("\"{n}\""));
            }
        }
    }
    let json = format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{{"names":[{}],"action":"SCMP_ACT_ALLOW"}},
        {{"names":[{}],"action":"SCMP_ACT_ALLOW","args":[{{"index":1,"value":4096,"op":"SCMP_CMP_LE"}},{{"index":5,"value":3,"op":"SCMP_CMP_NE"}}]}}]}}"#,
        allow.join(","),
        cond.join(",")
    );
    for arch in ARCHES {
        let (cfg, prog) = compiled(&json, arch);
        assert!(prog.len() > 256, "{arch:?}: {} instructions", prog.len());
        agree_with(&cfg, arch, &prog, "long jumps", Some(30));
    }
    let (_, prog) = compiled(&json, Arch::X86_64);
    let ja = prog.iter().filter(|i| {
        i.code == (linux_raw_sys::ptrace::BPF_JMP | linux_raw_sys::ptrace::BPF_JA) as u16
    });
    assert!(ja.count() > 0, "long jumps go through ja");
}

#[test]
fn too_long_is_an_error_not_a_panic() {
    // Each syscall named by a different window of 16 of 40 rules with args:
    // distinct blocks of ~160 instructions each, far over 4096 in all.
    let mut rules = Vec::new();
    let names: Vec<&str> = (0..64).filter_map(|nr| Abi::Riscv64.name_of(nr)).collect();
    for r in 0..40 {
        let ns: Vec<String> = names
            .iter()
            .skip(r)
            .take(16)
            .map(|n| format!("\"{n}\""))
            .collect();
        rules.push(format!(
            r#"{{"names":[{}],"action":"SCMP_ACT_ERRNO","errnoRet":{},"args":[{{"index":0,"value":{r},"op":"SCMP_CMP_EQ"}},{{"index":0,"value":99,"op":"SCMP_CMP_EQ"}}]}}"#,
            ns.join(","),
            r + 2
        ));
    }
    let json = format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{}]}}"#,
        rules.join(",")
    );
    let cfg = parse(&json);
    let mut out = Program::new();
    let e = crate::seccomp::compile(&cfg, Arch::Riscv64, &mut out).unwrap_err();
    assert!(
        e.to_string().contains("longer than") && e.to_string().contains("MAX_BPF_INSNS"),
        "{e}"
    );
}

/// xorshift64*: a small deterministic generator for random profiles.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'t, T>(&mut self, t: &'t [T]) -> &'t T {
        &t[(self.next() % t.len() as u64) as usize]
    }
}

fn random_profile(rng: &mut Rng) -> String {
    const ACTIONS: &[&str] = &[
        r#""SCMP_ACT_ALLOW""#,
        r#""SCMP_ACT_ERRNO""#,
        r#""SCMP_ACT_ERRNO","defaultErrnoRet":38"#,
        r#""SCMP_ACT_KILL_PROCESS""#,
        r#""SCMP_ACT_KILL""#,
        r#""SCMP_ACT_TRAP""#,
        r#""SCMP_ACT_LOG""#,
        r#""SCMP_ACT_TRACE","defaultErrnoRet":5"#,
    ];
    const NAMES: &[&str] = &[
        "read",
        "write",
        "getppid",
        "open",
        "openat",
        "socketcall",
        "socket",
        "set_tls",
        "cacheflush",
        "riscv_flush_icache",
        "arch_prctl",
        "personality",
        "clone",
        "clone3",
        "mseal",
        "io_setup",
        "s390_runtime_instr",
        "_llseek",
        "uname",
        "kill",
        "mmap2",
        "futex_wake",
        "restart_syscall",
        "recv",
    ];
    const ARCHS: &[&str] = &[
        "SCMP_ARCH_X86_64",
        "SCMP_ARCH_X86",
        "SCMP_ARCH_X32",
        "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_ARM",
        "SCMP_ARCH_RISCV64",
        "SCMP_ARCH_S390X",
    ];
    const OPS: &[&str] = &["NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"];
    const VALUES: &[u64] = &[
        0,
        1,
        8,
        40,
        0x7e02_0000,
        0xffff_ffff,
        1 << 32,
        (1 << 32) + 5,
        u64::MAX,
        1 << 63,
    ];
    let default = *rng.pick(ACTIONS);
    let archs: Vec<String> = ARCHS
        .iter()
        .filter(|_| rng.next().is_multiple_of(2))
        .map(|a| format!("\"{a}\""))
        .collect();
    let mut rules = Vec::new();
    for _ in 0..1 + rng.next() % 12 {
        let names: Vec<String> = (0..1 + rng.next() % 8)
            .map(|_| format!("\"{}\"", rng.pick(NAMES)))
            .collect();
        let action = rng.pick(ACTIONS).replace("defaultErrnoRet", "errnoRet");
        let args: Vec<String> = (0..rng.next() % 4)
            .map(|_| {
                let (i, v, w) = (
                    rng.next() % 6,
                    *rng.pick(VALUES),
                    *rng.pick(VALUES) & rng.next(),
                );
                format!(
                    r#"{{"index":{i},"value":{v},"valueTwo":{w},"op":"SCMP_CMP_{}"}}"#,
                    rng.pick(OPS)
                )
            })
            .collect();
        rules.push(format!(
            r#"{{"names":[{}],"action":{action},"args":[{}]}}"#,
            names.join(","),
            args.join(",")
        ));
    }
    format!(
        r#"{{"defaultAction":{default},"architectures":[{}],"syscalls":[{}]}}"#,
        archs.join(","),
        rules.join(",")
    )
}

#[test]
fn random_profiles_agree_with_the_model() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tried = 0;
    for _ in 0..60 {
        let json = random_profile(&mut rng);
        let cfg = parse(&json);
        for arch in ARCHES {
            let prog = compile_for(&cfg, arch);
            check(&prog).unwrap();
            tried += agree_with(&cfg, arch, &prog, &json, Some(40));
        }
    }
    println!("random profiles: {tried} inputs agreed with the model");
}
