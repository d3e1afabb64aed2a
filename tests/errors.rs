//! Error cases of each command: each asserts a non-zero exit, a clear message naming the thing
//! (runc's wording where callers match it: "container not running", "does not exist"), no effect
//! on an existing container, and nothing left behind.

#[macro_use]
mod common;

use common::{is_husk, Json, Spec, Test};
use std::fs;

/// A created container running a long sleep once started.
fn sleeper(t: &Test) {
    t.create(&Spec::payload(&["sleep", "60"])).ok();
}

/// Asserts stderr names at least one of `names` (case-insensitive).
#[track_caller]
fn names_one_of(out: &common::Out, names: &[&str]) {
    let err = out.stderr.to_lowercase();
    assert!(
        names.iter().any(|n| err.contains(&n.to_lowercase())),
        "stderr names none of {names:?}:\n{}",
        out.stderr
    );
}

fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `config` with a valid process and a mount namespace inserted, so its only defect is the one
/// it was made for (without a mount namespace, runc leaves its rootfs bind mount on the host).
fn with_process(config: &str) -> String {
    let process = r#""process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/payload", "exit", "0"], "env": ["PATH=/bin"], "cwd": "/"},"#;
    let ns = r#""linux": {"namespaces": [{"type": "mount"}], "#;
    config
        .replacen('{', &format!("{{\n    {process}"), 1)
        .replacen(r#""linux": {"#, ns, 1)
}

#[test]
fn start_twice() {
    let t = ctx!();
    sleeper(&t);
    t.start().ok();
    t.start().fails().says(&["running"]);
    assert_eq!(
        t.status(),
        "running",
        "the failed start changed the container"
    );
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn start_of_a_stopped_container() {
    let t = ctx!();
    t.create(&Spec::payload(&["exit", "0"])).ok();
    t.start().ok();
    t.wait_status("stopped");
    t.start().fails().says(&["stopped"]);
    assert_eq!(t.status(), "stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn kill_of_a_stopped_container() {
    let t = ctx!();
    t.create(&Spec::payload(&["exit", "0"])).ok();
    t.start().ok();
    t.wait_status("stopped");
    t.kill("KILL").fails().says(&["container not running"]);
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn delete_of_a_running_container_needs_force() {
    let t = ctx!();
    sleeper(&t);
    t.start().ok();
    t.delete().fails().says(&["running"]);
    assert_eq!(
        t.status(),
        "running",
        "the failed delete changed the container"
    );
    t.rt(&["delete", "--force", &t.id]).ok();
    t.rt(&["state", &t.id]).fails().says(&["does not exist"]);
    t.assert_clean();
}

#[test]
fn delete_force_of_a_created_container() {
    let t = ctx!();
    sleeper(&t);
    t.rt(&["delete", "-f", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn unknown_id() {
    let t = ctx!();
    // (`delete --force` of an unknown id succeeds in runc, and containerd relies on that.)
    for cmd in [
        &["state", "ID"][..],
        &["start", "ID"],
        &["kill", "ID"],
        &["kill", "ID", "KILL"],
        &["delete", "ID"],
    ] {
        let args: Vec<&str> = cmd
            .iter()
            .map(|a| if *a == "ID" { t.id.as_str() } else { a })
            .collect();
        let out = t.rt(&args).fails().says(&["does not exist"]);
        if is_husk() {
            out.says(&[&t.id]);
        }
    }
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn duplicate_id() {
    let t = ctx!();
    sleeper(&t);
    let pid = t.state().get("pid").and_then(Json::int);
    t.create_raw(&[]).fails().says(&["exists"]);
    let st = t.state();
    assert_eq!(
        st.get("status").and_then(Json::str),
        Some("created"),
        "the first container was disturbed"
    );
    assert_eq!(st.get("pid").and_then(Json::int), pid);
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn invalid_id() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["exit", "0"]));
    let b = t.bundle.to_str().unwrap();
    for id in ["../escape", "a/b", ""] {
        t.rt(&["create", "--bundle", b, id]).fails();
    }
    assert!(!t.root.join("../escape").exists(), "an id escaped the root");
    t.assert_clean();
}

#[test]
fn missing_bundle() {
    let t = ctx!();
    let missing = t.dir.join("no-such-bundle");
    let out = t
        .rt(&["create", "--bundle", missing.to_str().unwrap(), &t.id])
        .fails();
    names_one_of(&out, &["no-such-bundle"]);
    t.assert_clean();
}

#[test]
fn missing_rootfs() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["exit", "0"]).root_path("no-such-rootfs"));
    t.create_raw(&[]).fails().says(&["no-such-rootfs"]);
    t.assert_clean();
}

#[test]
fn malformed_config() {
    let t = ctx!();
    for text in [
        fixture("config-bad-invalid-json.json"),
        String::new(),
        "{\"ociVersion\": \"1.0.2\", ".into(),
        "[]".into(),
    ] {
        t.config(&text);
        let out = t.create_raw(&[]).fails();
        if is_husk() {
            names_one_of(&out, &["config.json", "config"]);
        }
        t.assert_clean();
    }
}

/// One of the shared bad example configs: refused as is, and refused naming the bad field when
/// given a valid process (so the bad field is its only defect); nothing left behind either way.
fn bad_example_config(file: &str, names: &[&str]) {
    let t = ctx!();
    let text = fixture(file);
    t.config(&text);
    t.create_raw(&[]).fails();
    t.assert_clean();
    t.config(&with_process(&text));
    let out = t.create_raw(&[]);
    if is_husk() {
        names_one_of(&out.fails(), names);
    } else if out.code == Some(0) {
        eprintln!("note: {} accepts {file}", common::runtime().display());
        t.rt(&["delete", "--force", &t.id]).ok();
    }
    t.assert_clean();
}

#[test]
fn bad_config_hugepage() {
    bad_example_config("config-bad-linux-hugepage.json", &["hugepage", "pageSize"]);
}

#[test]
fn bad_config_netdevice() {
    bad_example_config("config-bad-linux-netdevice.json", &["netDevices", "name"]);
}

#[test]
fn bad_config_rdma() {
    bad_example_config("config-bad-linux-rdma.json", &["rdma", "hcaHandles"]);
}

#[test]
fn unsupported_oci_version() {
    let t = ctx!();
    if !is_husk() {
        eprintln!("SKIP unsupported_oci_version: runc 1.1 does not check ociVersion");
        return;
    }
    let mut spec = Spec::payload(&["exit", "0"]);
    spec.oci_version = "2.0.0".into();
    t.bundle(&spec);
    t.create_raw(&[]).fails().says(&["ociVersion", "2.0.0"]);
    t.assert_clean();
}

#[test]
fn config_over_capacity() {
    let t = ctx!();
    if !is_husk() {
        eprintln!("SKIP config_over_capacity: capacities are husk's (runc has none)");
        return;
    }
    let mut spec = Spec::payload(&["exit", "0"]);
    spec.env = (0..10000).map(|i| format!("V{i}=x")).collect();
    t.bundle(&spec);
    t.create_raw(&[]).fails().says(&["env"]);
    t.assert_clean();
    let mut spec = Spec::payload(&["exit", "0"]);
    for i in 0..10000 {
        spec = spec.mount(&format!("/mnt/m{i}"), "tmpfs", "tmpfs", &[]);
    }
    t.bundle(&spec);
    t.create_raw(&[]).fails().says(&["mounts"]);
    t.assert_clean();
}

#[test]
fn wrong_flag() {
    let t = ctx!();
    sleeper(&t);
    t.rt(&[
        "create",
        "--bogus-flag",
        "--bundle",
        t.bundle.to_str().unwrap(),
        &format!("{}-x", t.id),
    ])
    .fails()
    .says(&["bogus-flag"]);
    t.rt_global(&["--bogus-global"], &["state", &t.id])
        .fails()
        .says(&["bogus-global"]);
    t.rt(&["kill", "--bogus-kill", &t.id, "KILL"])
        .fails()
        .says(&["bogus-kill"]);
    assert_eq!(t.status(), "created");
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn bad_signal() {
    let t = ctx!();
    sleeper(&t);
    t.start().ok();
    for sig in ["SIGFOO", "FOO", "99999", "-1"] {
        let out = t.rt(&["kill", &t.id, sig]).fails();
        // runc hands numbers to the kernel and reports only EINVAL
        if is_husk() || !sig.ends_with(|c: char| c.is_ascii_digit()) {
            names_one_of(
                &out,
                &[sig.trim_start_matches("SIG").trim_start_matches('-')],
            );
        }
    }
    assert_eq!(t.status(), "running", "a bad signal changed the container");
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn missing_executable() {
    let t = ctx!();
    t.run(&Spec::new(&["/no-such-program-xyz"]))
        .fails()
        .says(&["no-such-program-xyz"]);
    t.rt(&["delete", "--force", &t.id]);
    t.assert_clean();
    t.run(&Spec::new(&["no-such-program-in-path"]))
        .fails()
        .says(&["no-such-program-in-path"]);
    t.rt(&["delete", "--force", &t.id]);
    t.assert_clean();
}

#[test]
fn empty_args() {
    let t = ctx!();
    t.bundle(&Spec::new(&[]));
    t.create_raw(&[]).fails().says(&["args"]);
    t.assert_clean();
}

#[test]
fn json_log_line_on_failure() {
    let t = ctx!();
    let log = t.dir.join("json.log");
    let log_s = log.to_str().unwrap().to_string();
    t.bundle(&Spec::payload(&["exit", "0"]).root_path("no-such-rootfs"));
    let b = t.bundle.to_str().unwrap().to_string();
    t.rt_global(
        &["--log", &log_s, "--log-format", "json"],
        &["create", "--bundle", &b, &t.id],
    )
    .fails();
    let text = fs::read_to_string(&log).unwrap_or_else(|e| panic!("no log file {log_s}: {e}"));
    let errors: Vec<Json> = text
        .lines()
        .map(|l| Json::parse(l).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}")))
        .filter(|j| j.get("level").and_then(Json::str) == Some("error"))
        .collect();
    let last = errors
        .last()
        .unwrap_or_else(|| panic!("no level=error line in:\n{text}"));
    let msg = last.get("msg").and_then(Json::str).unwrap_or("");
    assert!(
        msg.contains("no-such-rootfs"),
        "error msg does not name the rootfs: {msg}"
    );
    let time = last.get("time").and_then(Json::str).unwrap_or("");
    let b = time.as_bytes();
    assert!(
        b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':',
        "time is not RFC 3339: {time}"
    );
    t.assert_clean();
}

#[test]
fn bind_mount_source_missing() {
    let t = ctx!();
    let missing = t.dir.join("no-such-source");
    t.bundle(&Spec::payload(&["exit", "0"]).mount(
        "/mnt/x",
        "bind",
        missing.to_str().unwrap(),
        &["rbind"],
    ));
    t.create_raw(&[]).fails().says(&["no-such-source"]);
    t.assert_clean();
}

#[test]
fn relative_cwd() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["exit", "0"]).cwd("tmp"));
    t.create_raw(&[]).fails().says(&["cwd"]);
    t.assert_clean();
}
