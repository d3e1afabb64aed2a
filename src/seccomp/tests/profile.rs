//! The docker/containerd-style default profile (tests/fixtures/seccomp-default.json:
//! 378 names in 17 rules, args rules for socket, personality and clone):
//! parses and compiles on a 256 KiB stack for all four arches, blocks what
//! docker blocks, and a lookup stays logarithmic. Prints the tracked
//! figures: `cargo test --release default_profile -- --nocapture`.

use super::interp::{check, run, verdict, Data};
use super::model::expected;
use crate::config::seccomp::Seccomp;
use crate::seccomp::{compile, program_len, Abi, Arch, Program};
use std::time::Instant;

const PROFILE: &str = include_str!("../../../tests/fixtures/seccomp-default.json");
const STACK: usize = 256 * 1024;

/// Run `f` on a thread with a 256 KiB stack.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    small_stack_of(STACK, f)
}

fn small_stack_of<T: Send + 'static>(size: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(size)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn parse() -> Seccomp<'static> {
    let (cfg, _) = serde_json_core::from_str::<Seccomp>(PROFILE).unwrap();
    cfg
}

/// Parse the profile and compile it for all four arches.
fn parse_and_compile_all() {
    let cfg = parse();
    assert_eq!((cfg.syscalls.len(), cfg.names.len()), (17, 378));
    let mut out = Program::new();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm, Arch::Riscv64] {
        compile(&cfg, arch, &mut out).unwrap();
        assert!(
            !out.is_empty() && out.len() < 1024,
            "{arch:?}: {}",
            out.len()
        );
    }
}

#[test]
fn default_profile_parses_and_compiles_on_a_256k_stack() {
    let parse_only = || {
        std::hint::black_box(parse());
    };
    let used = stack_use(parse_and_compile_all);
    match (stack_use(parse_only), used) {
        (Some(p), Some(all)) => println!(
            "seccomp default profile: parse uses {} KiB of stack, parse + compile {} KiB",
            p / 1024,
            all / 1024
        ),
        _ => println!("stack use not measured: /proc/self/mem unreadable"),
    }
    if cfg!(debug_assertions) {
        // Unoptimised frames keep a copy of the 24 KB `Seccomp` at every
        // serde layer (~400 KiB in all); the release build keeps ~6.
        println!("skipped the 256 KiB run: unoptimised build; run `cargo test --release default_profile`");
        return;
    }
    if let Some(used) = used {
        assert!(used <= STACK, "{used} bytes of stack");
    }
    small_stack(parse_and_compile_all);
}

/// Bytes the stack is painted over to measure use.
const PAINT: usize = 1536 * 1024;

#[inline(never)]
fn paint() {
    let mut a = [0xa5u8; PAINT];
    std::hint::black_box(&mut a);
}

/// Stack bytes `f` uses: paint the stack below here, run `f`, read the
/// painted region back through /proc/self/mem and find the deepest change.
fn stack_use(f: fn()) -> Option<usize> {
    small_stack_of(PAINT + 512 * 1024, move || {
        use std::io::{Read, Seek, SeekFrom};
        let here = 0u8;
        let top = std::hint::black_box(&here) as *const u8 as usize;
        paint();
        f();
        let base = top - PAINT;
        let mut mem = std::fs::File::open("/proc/self/mem").ok()?;
        mem.seek(SeekFrom::Start(base as u64)).ok()?;
        let mut buf = vec![0u8; PAINT];
        mem.read_exact(&mut buf).ok()?;
        let deepest = buf.iter().position(|&b| b != 0xa5)?;
        Some(top - (base + deepest))
    })
}

#[test]
fn default_profile_blocks_what_docker_blocks() {
    let cfg = parse();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm, Arch::Riscv64] {
        let mut prog = Program::new();
        compile(&cfg, arch, &mut prog).unwrap();
        check(&prog).unwrap();
        let abi = arch.abis()[0];
        let call = |name: &str, args: [u64; 6]| {
            let nr = abi
                .lookup(name)
                .unwrap_or_else(|| panic!("{name} on {abi:?}"));
            verdict(run(&prog, &Data::call(abi, nr, args)).0)
        };
        let none = [0; 6];
        for name in [
            "unshare",
            "mount",
            "keyctl",
            "kexec_load",
            "bpf",
            "setns",
            "pivot_root",
        ] {
            assert_eq!(call(name, none), "ERRNO(1)", "{name} on {arch:?}");
        }
        for name in [
            "read",
            "write",
            "openat",
            "execve",
            "exit_group",
            "futex",
            "getppid",
        ] {
            assert_eq!(call(name, none), "ALLOW", "{name} on {arch:?}");
        }
        let newuser = u64::from(linux_raw_sys::general::CLONE_NEWUSER);
        let sigchld = u64::from(linux_raw_sys::general::SIGCHLD);
        assert_eq!(call("clone", [sigchld, 0, 0, 0, 0, 0]), "ALLOW");
        assert_eq!(
            call("clone", [sigchld | newuser, 0, 0, 0, 0, 0]),
            "ERRNO(1)"
        );
        assert_eq!(
            call("clone3", none),
            "ERRNO(38)",
            "clone3 falls back to clone"
        );
        assert_eq!(call("personality", [8, 0, 0, 0, 0, 0]), "ALLOW");
        assert_eq!(call("personality", [0xffff_ffff, 0, 0, 0, 0, 0]), "ALLOW");
        assert_eq!(call("personality", [1, 0, 0, 0, 0, 0]), "ERRNO(1)");
        assert_eq!(call("socket", [2, 1, 0, 0, 0, 0]), "ALLOW", "AF_INET");
        assert_eq!(call("socket", [40, 1, 0, 0, 0, 0]), "ERRNO(1)", "AF_VSOCK");
        assert_eq!(
            call("mseal", none),
            "ERRNO(38)",
            "newer than the profile: ENOSYS"
        );
        match arch {
            Arch::X86_64 => {
                assert_eq!(call("arch_prctl", none), "ALLOW");
                let i386 = |n| {
                    verdict(
                        run(
                            &prog,
                            &Data::call(Abi::X86, Abi::X86.lookup(n).unwrap(), none),
                        )
                        .0,
                    )
                };
                let x32 = |n| {
                    verdict(
                        run(
                            &prog,
                            &Data::call(Abi::X32, Abi::X32.lookup(n).unwrap(), none),
                        )
                        .0,
                    )
                };
                assert_eq!(i386("socketcall"), "ALLOW");
                assert_eq!(i386("unshare"), "ERRNO(1)");
                assert_eq!(x32("getppid"), "ALLOW");
                assert_eq!(x32("mount"), "ERRNO(1)");
            }
            Arch::Aarch64 => {
                let arm = |n| {
                    verdict(
                        run(
                            &prog,
                            &Data::call(Abi::Arm, Abi::Arm.lookup(n).unwrap(), none),
                        )
                        .0,
                    )
                };
                assert_eq!(arm("set_tls"), "ALLOW");
                assert_eq!(arm("unshare"), "ERRNO(1)");
            }
            Arch::Arm => assert_eq!(call("set_tls", none), "ALLOW"),
            Arch::Riscv64 => assert_eq!(call("riscv_flush_icache", none), "ALLOW"),
        }
        // And everything else the model says, over all numbers of all ABIs.
        for abi in Abi::ALL {
            for nr in 0..600 {
                for args in [
                    [0; 6],
                    [40, 0, 0, 0, 0, 0],
                    [u64::MAX; 6],
                    [0x7e02_0000, 8, 0, 0, 0, 0],
                ] {
                    let d = Data::call(abi, nr, args);
                    assert_eq!(
                        verdict(run(&prog, &d).0),
                        verdict(expected(&cfg, arch, &d)),
                        "{arch:?} {abi:?} {nr}"
                    );
                }
            }
        }
    }
}

#[test]
fn default_profile_figures() {
    let cfg = parse();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm, Arch::Riscv64] {
        let len = program_len(&cfg, arch).unwrap();
        let mut prog = Program::new();
        let mut times = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            compile(&cfg, arch, &mut prog).unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        // The hot path: instructions executed for each syscall of the native ABI.
        let abi = arch.abis()[0];
        let steps: Vec<usize> = (0..500)
            .map(|nr| run(&prog, &Data::call(abi, nr, [0; 6])).1)
            .collect();
        let max = steps.iter().max().copied().unwrap_or(0);
        let mean = steps.iter().sum::<usize>() as f64 / steps.len() as f64;
        println!(
            "seccomp default profile {:8}: {len:4} instructions, compile {:>7.1?} (median of 21), \
             lookup {mean:.1} mean / {max} max instructions",
            arch.name(),
            times[10]
        );
        assert_eq!(len, prog.len());
        assert!(max <= 40, "{arch:?}: a lookup runs {max} instructions");
    }
}
