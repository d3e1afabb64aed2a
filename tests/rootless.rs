//! Rootless: an unprivileged user (created for the test) runs a container from the config
//! `spec --rootless` writes, with its state under $XDG_RUNTIME_DIR/husk.

#[macro_use]
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const USER: &str = "husk-rootless";

/// The test user's uid, created when missing; None (printed) when that is not possible.
fn test_user() -> Option<u32> {
    let id = || {
        let out = Command::new("id").args(["-u", USER]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    if let Some(uid) = id() {
        return Some(uid);
    }
    let made = Command::new("useradd")
        .args(["-M", "-s", "/usr/sbin/nologin", USER])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIP rootless: cannot create the test user {USER} (useradd)");
        return None;
    }
    id()
}

#[test]
fn unprivileged_user_runs_spec_rootless() {
    let t = ctx!();
    if !common::is_husk() {
        eprintln!("SKIP unprivileged_user_runs_spec_rootless: husk-only (spec output differs)");
        return;
    }
    let Some(uid) = test_user() else { return };
    if Command::new("setpriv").arg("--help").output().is_err() {
        eprintln!("SKIP unprivileged_user_runs_spec_rootless: setpriv (util-linux) missing");
        return;
    }
    t.config("{}");
    fs::remove_file(t.bundle.join("config.json")).unwrap();
    let xdg = t.dir.join("xdg");
    fs::create_dir_all(&xdg).unwrap();
    for d in [&t.dir, &t.bundle] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    }
    Command::new("chown")
        .arg(format!("{uid}:{uid}"))
        .arg(&xdg)
        .arg(&t.bundle)
        .status()
        .unwrap();
    let as_user = |args: &[&str], what: &str| {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid",
            &uid.to_string(),
            "--regid",
            &uid.to_string(),
            "--clear-groups",
            "env",
        ])
        .arg(format!("XDG_RUNTIME_DIR={}", xdg.display()))
        .arg(common::runtime())
        .args(args)
        .current_dir(&t.bundle);
        common::exec(&mut c, &t.dir.join(what), common::TIMEOUT)
    };
    as_user(&["spec", "--rootless"], "spec").ok();
    let cfg = fs::read_to_string(t.bundle.join("config.json")).unwrap();
    assert!(cfg.contains(&format!("\"hostID\": {uid}")), "{cfg}");
    // spec writes runc's default "terminal": true; this run has no terminal to proxy.
    let cfg = cfg
        .replace(r#""args": ["sh"]"#, r#""args": ["/payload", "report"]"#)
        .replace(r#""terminal": true"#, r#""terminal": false"#);
    fs::write(t.bundle.join("config.json"), cfg).unwrap();
    let r = as_user(&["run", &t.id], "run").ok().report();
    assert_eq!(r.get("uid"), "0");
    assert_ne!(
        r.get("ns.user"),
        fs::read_link("/proc/self/ns/user")
            .unwrap()
            .display()
            .to_string()
    );
    assert_eq!(r.get("hostname"), "husk");
    assert!(
        !xdg.join("husk").join(&t.id).exists(),
        "state left under $XDG_RUNTIME_DIR/husk"
    );
    // The state went to $XDG_RUNTIME_DIR/husk while it ran: a second, detached one shows it.
    as_user(&["run", "-d", &t.id], "run-d").ok();
    assert!(
        xdg.join("husk").join(&t.id).join("state").exists(),
        "no state under $XDG_RUNTIME_DIR/husk"
    );
    let st = as_user(&["state", &t.id], "state").ok().stdout;
    assert!(
        st.contains(&format!("\"owner\":\"{USER}\"")) || st.contains(&format!("{uid}")),
        "{st}"
    );
    as_user(&["delete", "--force", &t.id], "delete").ok();
    assert!(!xdg.join("husk").join(&t.id).exists());
    t.assert_clean();
}
