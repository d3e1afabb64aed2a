//! The test rootfs: busybox-static with its applet links plus the static payload, built once per
//! test binary and cached under `<target>/test-rootfs/<key>` (the key changes with busybox or the
//! payload); each bundle gets a copy (hard links where possible).

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn busybox() -> PathBuf {
    std::env::var_os("HUSK_TEST_BUSYBOX").map_or_else(|| "/bin/busybox".into(), PathBuf::from)
}

/// target/<triple>/<profile>: where cargo put this test binary's sibling artifacts.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary under <profile>/deps")
        .to_path_buf()
}

/// The cargo target dir (the profile dir's parent, or grandparent when a triple is in between).
fn target_dir() -> PathBuf {
    let up = profile_dir().parent().expect("target dir").to_path_buf();
    if up
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("-linux-"))
    {
        up.parent().expect("target dir").to_path_buf()
    } else {
        up
    }
}

fn mtime(p: &Path) -> i64 {
    fs::metadata(p).map_or(0, |m| m.mtime())
}

/// An example binary of this build (cargo test builds every example), e.g. `recvtty`.
pub fn example(name: &str) -> PathBuf {
    profile_dir().join("examples").join(name)
}

/// The static payload binary; built with cargo if missing or older than its source.
pub fn payload() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = profile_dir();
        let bin = dir.join("examples/payload");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/payload.rs");
        if !bin.exists() || mtime(&bin) < mtime(&src) {
            let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            c.current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["build", "--example", "payload"]);
            match dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") => {}
                Some("release") => {
                    c.arg("--release");
                }
                Some(p) => {
                    c.args(["--profile", p]);
                }
                None => {}
            }
            let triple = dir
                .parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned());
            if let Some(t) = triple.filter(|t| t.contains("-linux-")) {
                c.args(["--target", &t]);
            }
            c.arg("--target-dir").arg(target_dir());
            let st = c.status().expect("run cargo to build the payload");
            assert!(st.success(), "building the payload failed: {c:?}");
        }
        bin
    })
}

/// The cached rootfs (busybox + applet links + /payload + a few dirs and files).
pub fn rootfs_cache() -> &'static Path {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| {
        let (bb, pl) = (busybox(), payload());
        let mut h = DefaultHasher::new();
        for p in [&bb, &pl.to_path_buf()] {
            let m = fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, m.len(), m.mtime(), m.mtime_nsec(), m.ino()).hash(&mut h);
        }
        let base = target_dir().join("test-rootfs");
        let dir = base.join(format!("{:016x}", h.finish()));
        if dir.join("rootfs/.complete").exists() {
            return dir.join("rootfs");
        }
        let tmp = base.join(format!("tmp-{}-{}", std::process::id(), h.finish()));
        let _ = fs::remove_dir_all(&tmp);
        build_rootfs(&tmp.join("rootfs"), &bb, pl);
        fs::write(tmp.join("rootfs/.complete"), "").expect("mark rootfs complete");
        // Another test binary may have won the race: then use theirs.
        if fs::rename(&tmp, &dir).is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        dir.join("rootfs")
    })
}

fn build_rootfs(root: &Path, busybox: &Path, payload: &Path) {
    for d in [
        "bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "etc", "root", "tmp", "mnt",
        "run", "var",
    ] {
        fs::create_dir_all(root.join(d)).expect("mkdir rootfs");
    }
    fs::set_permissions(root.join("tmp"), fs::Permissions::from_mode(0o1777)).expect("chmod tmp");
    fs::copy(busybox, root.join("bin/busybox")).expect("copy busybox");
    fs::copy(payload, root.join("payload")).expect("copy payload");
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if !applet.is_empty() && applet != "busybox" {
            let _ = std::os::unix::fs::symlink("busybox", root.join("bin").join(applet));
        }
    }
    fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    )
    .expect("passwd");
    fs::write(
        root.join("etc/group"),
        "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
    )
    .expect("group");
}

/// Copies a tree, hard-linking regular files where possible and recreating symlinks as they are.
pub fn copy_tree(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("mkdir");
    let mode = fs::metadata(src).map_or(0o755, |m| m.permissions().mode());
    fs::set_permissions(dst, fs::Permissions::from_mode(mode)).expect("chmod");
    for e in fs::read_dir(src).expect("read_dir").flatten() {
        let (s, d) = (e.path(), dst.join(e.file_name()));
        let ft = e.file_type().expect("file_type");
        if ft.is_dir() {
            copy_tree(&s, &d);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&s).expect("readlink"), &d).expect("symlink");
        } else if fs::hard_link(&s, &d).is_err() {
            fs::copy(&s, &d).expect("copy");
        }
    }
}
