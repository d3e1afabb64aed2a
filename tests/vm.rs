//! Boots husk in a VM per architecture (targets/vm.sh: a Debian kernel under qemu-system TCG,
//! an initramfs with husk, busybox and tests/vm/*.sh) and asserts on the results the VM prints
//! on its serial console (`HUSKVM ok|fail|skip NAME ...`, `HUSKVM done ...`).
//!
//! Skipped, with the reason printed, when `HUSK_SKIP_VM=1`, when not root, or when an arch's
//! prerequisites (from `targets/setup.sh`) are missing. `HUSK_VM_ARCHES="x86_64 aarch64"`
//! picks a subset. The VMs run one at a time (the machine has 2 cores).
//!
//! One boot per arch runs everything: the lifecycle checks of tests/vm/checks.sh and the seccomp
//! enforcement checks of tests/vm/seccomp.sh (`vm.sh --seccomp`: the payload of
//! examples/payload.rs built for the arch; on aarch64 also the armv7 payload, for the compat arm
//! ABI). Builds: x86_64 reuses the husk and payload this `cargo test` built; the other arches
//! build husk and the payload once with targets/build.sh into `$HUSK_VM_TARGET_DIR` (default:
//! target/tmp/vm-build), shared by every VM test (armv7's standard library serves aarch64's
//! compat payload too).

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

/// Seccomp checks (tests/vm/seccomp.sh) every VM booted with `--seccomp` must pass.
const REQUIRED_SECCOMP: &[&str] = &[
    "seccomp_loaded",
    "seccomp_errno",
    "seccomp_kill",
    "seccomp_args",
    "seccomp_default_blocks",
    "seccomp_default_shell",
];

/// Checks of tests/vm/cgroup-v2.sh (issue 4's pure cgroup v2 paths) the `--cgroup-v2` VM must
/// pass. (v2_io_weight may skip: a kernel without the io controller.)
const REQUIRED_CGROUP_V2: &[&str] = &[
    "v2_start",
    "v2_files",
    "v2_cgroupns",
    "v2_pids",
    "v2_devices_deny",
    "v2_cpu_throttled",
    "v2_update",
    "v2_update_runc",
    "v2_res_delete",
    "v2_oom",
    "v2_devices_allowed",
    "v2_frz_start",
    "v2_pause_resume",
    "v2_ps_json",
    "v2_kill_all",
    "v2_frz_delete",
    "v2_failed_create",
    "v2_no_leak",
];

/// What a VM runs besides the lifecycle checks.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Also the seccomp checks (the main VM of each arch).
    Seccomp,
    /// Lifecycle only, with extra vm.sh options (e.g. `--cgroup-v2`).
    Plain,
}

/// husk and the payload this `cargo test` built (x86_64 musl, release or debug): the x86_64 VM
/// boots these instead of building its own.
fn host_build() -> Option<(PathBuf, PathBuf)> {
    if !cfg!(target_arch = "x86_64") {
        return None;
    }
    let husk = PathBuf::from(env!("CARGO_BIN_EXE_husk"));
    let payload = husk.parent()?.join("examples/payload");
    (husk.is_file() && payload.is_file()).then_some((husk, payload))
}

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

/// targets/setup.sh's cache (kernels, busybox, sysroots).
fn cache() -> PathBuf {
    std::env::var_os("HUSK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/cross"))
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
    let cache = cache();
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

/// Boots the VM and asserts on its results; returns them (None when skipped) for the caller's
/// own assertions.
fn run_vm(arch: &str, qemu: &str, nightly: bool, mode: Mode, extra: &[&str]) -> Option<Results> {
    if let Some(why) = missing_prerequisite(arch, qemu, nightly) {
        println!("SKIPPED vm {arch}: {why}");
        return None;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let target_dir = std::env::var_os("HUSK_VM_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-build"));
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("targets/vm.sh")).arg(arch).args(extra);
    if mode == Mode::Seccomp {
        cmd.arg("--seccomp");
    }
    if arch == "x86_64" {
        if let Some((husk, payload)) = host_build() {
            cmd.arg("--husk").arg(husk);
            if mode == Mode::Seccomp {
                cmd.arg("--payload").arg(payload);
            }
        }
    }
    let out = cmd
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
    let mut required = REQUIRED.to_vec();
    if mode == Mode::Seccomp {
        required.extend_from_slice(REQUIRED_SECCOMP);
        // The armv7 payload on the arm64 kernel (CONFIG_COMPAT): SCMP_ARCH_ARM enforced. vm.sh
        // builds that payload when armv7's sysroot is there (setup.sh makes it).
        if arch == "aarch64" && cache().join("sysroots/armv7/lib/libc.a").exists() {
            required.push("seccomp_compat_arm");
        }
    }
    for name in required {
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
    Some(r)
}

#[test]
fn vm_x86_64() {
    run_vm("x86_64", "qemu-system-x86_64", false, Mode::Seccomp, &[]);
}

/// The x86_64 payload for tests/vm/cgroup-v2.sh: the one this `cargo test` built, else built by
/// targets/build.sh into the VM build dir (`$HUSK_VM_TARGET_DIR`, as run_vm's husk).
fn x86_64_payload() -> PathBuf {
    if let Some((_, payload)) = host_build() {
        return payload;
    }
    let target_dir = std::env::var_os("HUSK_VM_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-build"));
    let out = Command::new("bash")
        .arg(root().join("targets/build.sh"))
        .args(["x86_64", "--print-path", "--", "--example", "payload"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("run targets/build.sh");
    assert!(
        out.status.success(),
        "building the x86_64 payload failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(path.lines().last().unwrap_or("").trim())
}

/// Pure cgroup v2 (kernel booted with cgroup_no_v1=all): the lifecycle checks and the cgroup v2
/// checks of tests/vm/cgroup-v2.sh (limits asserted through their effects, update, pause/resume,
/// ps, kill --all, the device program, no leak), in one boot.
#[test]
fn vm_x86_64_cgroup_v2() {
    let (arch, qemu) = ("x86_64", "qemu-system-x86_64");
    if let Some(why) = missing_prerequisite(arch, qemu, false) {
        println!("SKIPPED vm {arch} --cgroup-v2: {why}");
        return;
    }
    let add = format!("{}=/bin/payload", x86_64_payload().display());
    let script = root().join("tests/vm/cgroup-v2.sh");
    let script = script.to_string_lossy();
    let extra = ["--cgroup-v2", "--bundle-script", &script, "--add", &add];
    let Some(r) = run_vm(arch, qemu, false, Mode::Plain, &extra) else {
        return;
    };
    for name in REQUIRED_CGROUP_V2 {
        assert!(
            r.ok.iter().any(|n| n == name),
            "vm {arch} --cgroup-v2: required check {name} did not pass (ok: {:?}, skipped: {:?})",
            r.ok,
            r.skipped
        );
    }
}

#[test]
fn vm_aarch64() {
    run_vm("aarch64", "qemu-system-aarch64", false, Mode::Seccomp, &[]);
}

#[test]
fn vm_armv7() {
    run_vm("armv7", "qemu-system-arm", true, Mode::Seccomp, &[]);
}

#[test]
fn vm_riscv64() {
    run_vm("riscv64", "qemu-system-riscv64", true, Mode::Seccomp, &[]);
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
