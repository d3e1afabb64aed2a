//! Boots husk in a VM per architecture (targets/vm.sh: a Debian kernel under qemu-system TCG,
//! an initramfs with husk, busybox and tests/vm/*.sh) and asserts on the results the VM prints
//! on its serial console (`HUSKVM ok|fail|skip NAME ...`, `HUSKVM done ...`).
//!
//! Skipped, with the reason printed, when `HUSK_SKIP_VM=1`, when not root, or when an arch's
//! prerequisites (from `targets/setup.sh`) are missing. `HUSK_VM_ARCHES="x86_64 aarch64"`
//! picks a subset. The VMs run one at a time (the machine has 2 cores); each builds husk for
//! its arch with targets/build.sh into `$HUSK_VM_TARGET_DIR` (default: target/tmp/vm-build).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// VMs are serialized: TCG is CPU-bound and the cargo builds share one target dir.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Checks every VM must pass (tests/vm/checks.sh names).
const REQUIRED: &[&str] = &[
    "root_is_rootfs",
    "run_hostname_pid",
    "container_root",
    "run_exit_code",
    "lifecycle",
    "lifecycle_errors",
    "delete_force",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parsed `HUSKVM` lines of one VM run.
#[derive(Default, Debug)]
struct Results {
    ok: Vec<String>,
    failed: Vec<(String, String)>,
    skipped: Vec<(String, String)>,
    done: Option<(u32, u32, u32)>,
}

fn parse(output: &str) -> Results {
    let mut r = Results::default();
    for line in output.lines().map(str::trim_end) {
        let Some(pos) = line.find("HUSKVM ") else {
            continue;
        };
        let rest = &line[pos + "HUSKVM ".len()..];
        let mut words = rest.splitn(3, ' ');
        let kind = words.next().unwrap_or("");
        let name = words.next().unwrap_or("").to_string();
        let reason = words.next().unwrap_or("").to_string();
        match kind {
            "ok" => r.ok.push(name),
            "fail" => r.failed.push((name, reason)),
            "skip" => r.skipped.push((name, reason)),
            "done" => {
                // "done N passed, M failed, K skipped"
                let n: Vec<u32> = rest
                    .split([' ', ','])
                    .filter_map(|w| w.parse().ok())
                    .collect();
                if let [p, f, s] = n[..] {
                    r.done = Some((p, f, s));
                }
            }
            _ => {}
        }
    }
    r
}

/// Why this arch's VM cannot run here, if it cannot.
fn missing_prerequisite(arch: &str, qemu: &str, nightly: bool) -> Option<String> {
    if std::env::var("HUSK_SKIP_VM").is_ok_and(|v| v == "1") {
        return Some("HUSK_SKIP_VM=1".into());
    }
    if let Ok(list) = std::env::var("HUSK_VM_ARCHES") {
        if !list.split_whitespace().any(|a| a == arch) {
            return Some(format!("{arch} not in HUSK_VM_ARCHES={list}"));
        }
    }
    if !rustix::process::geteuid().is_root() {
        return Some("not root (the initramfs needs /dev/console made with mknod)".into());
    }
    let cache = std::env::var_os("HUSK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/cross"));
    for f in ["kernel", "busybox"] {
        let p = cache.join("vm").join(arch).join(f);
        if !p.exists() {
            return Some(format!("{} missing: run targets/setup.sh", p.display()));
        }
    }
    if nightly
        && !cache
            .join("sysroots")
            .join(arch)
            .join("lib/libc.a")
            .exists()
    {
        return Some(format!("no musl sysroot for {arch}: run targets/setup.sh"));
    }
    let on_path = |prog: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
    };
    for prog in [qemu, "cpio"] {
        if !on_path(prog) {
            return Some(format!("{prog} not installed: run targets/setup.sh"));
        }
    }
    None
}

fn run_vm(arch: &str, qemu: &str, nightly: bool, extra: &[&str]) {
    if let Some(why) = missing_prerequisite(arch, qemu, nightly) {
        println!("SKIPPED vm {arch}: {why}");
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let target_dir = std::env::var_os("HUSK_VM_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-build"));
    let out = Command::new("bash")
        .arg(root().join("targets/vm.sh"))
        .arg(arch)
        .args(extra)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("run targets/vm.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let r = parse(&stdout);
    let tail: Vec<&str> = stderr
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        r.done.is_some(),
        "vm {arch}: no HUSKVM done line (exit {:?}); stderr tail:\n{}",
        out.status.code(),
        tail.join("\n")
    );
    assert!(
        r.failed.is_empty(),
        "vm {arch}: failed checks: {:?}",
        r.failed
    );
    for name in REQUIRED {
        assert!(
            r.ok.iter().any(|n| n == name),
            "vm {arch}: required check {name} did not pass (ok: {:?}, skipped: {:?})",
            r.ok,
            r.skipped
        );
    }
    let (passed, failed, skipped) = r.done.unwrap_or_default();
    assert_eq!(
        (passed as usize, failed, skipped as usize),
        (r.ok.len(), 0, r.skipped.len())
    );
    assert!(
        out.status.success(),
        "vm {arch}: vm.sh exit {:?}",
        out.status.code()
    );
}

#[test]
fn vm_x86_64() {
    run_vm("x86_64", "qemu-system-x86_64", false, &[]);
}

#[test]
fn vm_x86_64_cgroup_v2() {
    run_vm("x86_64", "qemu-system-x86_64", false, &["--cgroup-v2"]);
}

#[test]
fn vm_aarch64() {
    run_vm("aarch64", "qemu-system-aarch64", false, &[]);
}

#[test]
fn vm_armv7() {
    run_vm("armv7", "qemu-system-arm", true, &[]);
}

#[test]
fn vm_riscv64() {
    run_vm("riscv64", "qemu-system-riscv64", true, &[]);
}

#[test]
fn parse_reads_the_protocol() {
    let r = parse(
        "noise\n[  1.0s] HUSKVM ok a\r\nHUSKVM fail b rc=1: why not\nxxHUSKVM skip c no cgroup\n\
         HUSKVM info arch x\nHUSKVM done 1 passed, 1 failed, 1 skipped\n",
    );
    assert_eq!(r.ok, ["a"]);
    assert_eq!(r.failed, [("b".to_string(), "rc=1: why not".to_string())]);
    assert_eq!(r.skipped, [("c".to_string(), "no cgroup".to_string())]);
    assert_eq!(r.done, Some((1, 1, 1)));
}
