//! Mount options beyond the common ones.

#[macro_use]
mod common;

use common::*;
use std::fs;

#[test]
fn tmpcopyup_fills_the_tmpfs_with_the_image_directory() {
    let t = ctx!();
    let spec = Spec::new(&["sh", "-c", "cat /data/hello /data/sub/deep; readlink /data/link; stat -c '%a %u' /data/sub; echo changed > /data/hello; grep ' /data ' /proc/self/mountinfo"])
        .mount("/data", "tmpfs", "tmpfs", &["tmpcopyup", "nosuid", "mode=755"]);
    t.bundle(&spec);
    let data = t.bundle.join("rootfs/data");
    fs::create_dir_all(data.join("sub")).unwrap();
    fs::write(data.join("hello"), "hello\n").unwrap();
    fs::write(data.join("sub/deep"), "deep\n").unwrap();
    std::os::unix::fs::symlink("sub/deep", data.join("link")).unwrap();
    std::os::unix::fs::chown(data.join("sub"), Some(1234), Some(1234)).unwrap();
    fs::set_permissions(
        data.join("sub"),
        std::os::unix::fs::PermissionsExt::from_mode(0o710),
    )
    .unwrap();
    let out = t
        .rt(&["run", "--bundle", t.bundle.to_str().unwrap(), &t.id])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        &lines[..4],
        ["hello", "deep", "sub/deep", "710 1234"],
        "{}",
        out.stdout
    );
    assert!(lines[4].contains(" - tmpfs "), "not a tmpfs: {}", lines[4]);
    // The copy is the container's: the image is untouched.
    assert_eq!(fs::read_to_string(data.join("hello")).unwrap(), "hello\n");
    t.assert_clean();
}

#[test]
fn tmpcopyup_needs_a_tmpfs() {
    let t = ctx!();
    if !is_husk() {
        return;
    }
    let spec = Spec::payload(&["report"]).mount("/data", "proc", "proc", &["tmpcopyup"]);
    t.bundle(&spec);
    t.rt(&["run", "--bundle", t.bundle.to_str().unwrap(), &t.id])
        .fails()
        .says(&["tmpcopyup", "tmpfs"]);
    t.assert_clean();
}
