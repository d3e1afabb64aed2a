//! OCI hooks: order, namespace, the state each hook gets on stdin, args/env, timeout, and what a
//! failing hook does to the lifecycle (config.md#posix-platform-hooks, runtime.md#lifecycle).

#[macro_use]
mod common;

use common::{Spec, Test};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A hook script that appends `KIND env=… state=…` to `log`, then exits with `code`.
fn script(path: &Path, log: &Path, code: i32) -> PathBuf {
    let text = format!(
        "#!/bin/sh\nstate=$(cat)\necho \"$1 env=$HOOK_ENV args=$# ns=$(readlink /proc/self/ns/uts) state=$state\" >> {}\necho boom-$1\nexit {code}\n",
        log.display()
    );
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    path.to_path_buf()
}

fn hook(path: &Path, kind: &str, extra: &str) -> String {
    format!(
        r#"{{"path": "{}", "args": ["hook", "{kind}"], "env": ["HOOK_ENV={kind}-env", "PATH=/usr/bin:/bin"]{extra}}}"#,
        path.display()
    )
}

fn lines(p: &Path) -> Vec<String> {
    fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn all_hooks_in_order_with_their_state() {
    let t = ctx!();
    let log = t.dir.join("hooks.log");
    let host = script(&t.dir.join("hook.sh"), &log, 0);
    t.bundle(&Spec::new(&["true"]));
    // startContainer's path resolves in the container: a script in the rootfs, logging there.
    script(&t.bundle.join("rootfs/hook.sh"), Path::new("/start.log"), 0);
    let hooks = format!(
        r#""hooks": {{"prestart": [{}], "createRuntime": [{}], "createContainer": [{}], "startContainer": [{}], "poststart": [{}], "poststop": [{}]}}, "annotations": {{"org.test": "yes"}}"#,
        hook(&host, "prestart", ""),
        hook(&host, "createRuntime", r#", "timeout": 10"#),
        hook(&host, "createContainer", ""),
        hook(Path::new("/hook.sh"), "startContainer", ""),
        hook(&host, "poststart", ""),
        hook(&host, "poststop", ""),
    );
    t.create(&Spec::new(&["sleep", "0.2"]).top_raw(&hooks)).ok();
    let pid = fs::read_to_string(&t.pid_file).unwrap().trim().to_string();
    let host_uts = fs::read_link("/proc/self/ns/uts")
        .unwrap()
        .display()
        .to_string();
    let container_uts = fs::read_link(format!("/proc/{pid}/ns/uts"))
        .unwrap()
        .display()
        .to_string();
    let l = lines(&log);
    assert_eq!(l.len(), 3, "{l:#?}");
    for (line, kind) in l
        .iter()
        .zip(["prestart", "createRuntime", "createContainer"])
    {
        assert!(
            line.starts_with(&format!("{kind} env={kind}-env args=1 ")),
            "{line}"
        );
        assert!(line.contains(r#""status":"creating""#), "{line}");
        assert!(line.contains(&format!(r#""id":"{}""#, t.id)), "{line}");
        assert!(
            line.contains(&format!(r#""bundle":"{}""#, t.bundle.display())),
            "{line}"
        );
        assert!(
            line.contains(r#""annotations":{"org.test":"yes"}"#),
            "{line}"
        );
    }
    // Runtime namespace and host pid; the container's namespace and its own pid.
    assert!(
        l[0].contains(&format!("ns={host_uts} ")) && l[0].contains(&format!(r#""pid":{pid},"#)),
        "{}",
        l[0]
    );
    assert!(
        l[1].contains(&format!("ns={host_uts} ")) && l[1].contains(&format!(r#""pid":{pid},"#)),
        "{}",
        l[1]
    );
    assert!(
        l[2].contains(&format!("ns={container_uts} ")) && l[2].contains(r#""pid":1,"#),
        "{}",
        l[2]
    );
    assert_eq!(t.status(), "created");
    t.start().ok();
    let l = lines(&log);
    assert_eq!(l.len(), 4, "{l:#?}");
    assert!(
        l[3].starts_with("poststart ") && l[3].contains(r#""status":"running""#),
        "{}",
        l[3]
    );
    assert!(l[3].contains(&format!(r#""pid":{pid},"#)), "{}", l[3]);
    // startContainer runs in the container after `start` returned (as runc): done once it stopped.
    t.wait_status("stopped");
    let start = lines(&t.bundle.join("rootfs/start.log"));
    assert_eq!(start.len(), 1, "{start:#?}");
    assert!(
        start[0].starts_with("startContainer ") && start[0].contains(r#""status":"created""#),
        "{}",
        start[0]
    );
    assert!(
        start[0].contains(&format!("ns={container_uts} ")) && start[0].contains(r#""pid":1,"#),
        "{}",
        start[0]
    );
    t.delete().ok();
    let l = lines(&log);
    assert_eq!(l.len(), 5, "{l:#?}");
    assert!(
        l[4].starts_with("poststop ") && l[4].contains(r#""status":"stopped""#),
        "{}",
        l[4]
    );
    t.assert_clean();
}

fn failing(t: &Test, kind: &str, extra: &str, code: i32) -> PathBuf {
    let log = t.dir.join("hooks.log");
    let bad = script(&t.dir.join("bad.sh"), &log, code);
    t.bundle(&Spec::new(&["sleep", "10"]).top_raw(&format!(
        r#""hooks": {{"{kind}": [{}]}}"#,
        hook(&bad, kind, extra)
    )));
    log
}

#[test]
fn failing_create_runtime_hook_stops_create() {
    let t = ctx!();
    failing(&t, "createRuntime", "", 3);
    t.create_raw(&[])
        .fails()
        .says(&["createRuntime", "exit status 3", "boom-createRuntime"]);
    t.assert_clean();
}

#[test]
fn failing_prestart_and_create_container_hooks_stop_create() {
    let t = ctx!();
    failing(&t, "prestart", "", 4);
    t.create_raw(&[])
        .fails()
        .says(&["prestart", "exit status 4"]);
    t.assert_clean();
    let t = ctx!();
    failing(&t, "createContainer", "", 5);
    t.create_raw(&[])
        .fails()
        .says(&["createContainer", "exit status 5"]);
    t.assert_clean();
}

#[test]
fn hook_timeout_kills_it() {
    let t = ctx!();
    let slow = t.dir.join("slow.sh");
    fs::write(&slow, "#!/bin/sh\nexec sleep 30\n").unwrap();
    fs::set_permissions(&slow, fs::Permissions::from_mode(0o755)).unwrap();
    t.bundle(&Spec::new(&["true"]).top_raw(&format!(
        r#""hooks": {{"createRuntime": [{{"path": "{}", "timeout": 1}}]}}"#,
        slow.display()
    )));
    let begin = std::time::Instant::now();
    t.create_raw(&[])
        .fails()
        .says(&["createRuntime", "timeout"]);
    assert!(begin.elapsed().as_secs() < 10, "took {:?}", begin.elapsed());
    t.assert_clean();
}

#[test]
fn bad_hooks_are_refused() {
    let t = ctx!();
    t.create(
        &Spec::new(&["true"]).top_raw(r#""hooks": {"poststart": [{"path": "relative/hook"}]}"#),
    )
    .fails()
    .says(&["absolute"]);
    t.create(
        &Spec::new(&["true"])
            .top_raw(r#""hooks": {"poststart": [{"path": "/bin/true", "timeout": 0}]}"#),
    )
    .fails()
    .says(&["timeout"]);
    t.assert_clean();
}

#[test]
fn failing_poststart_is_logged_not_fatal() {
    let t = ctx!();
    let log = failing(&t, "poststart", "", 6);
    t.create_raw(&[]).ok();
    t.start().ok();
    assert_eq!(lines(&log).len(), 1);
    assert_eq!(t.status(), "running");
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    assert!(
        fs::read_to_string(&t.log)
            .unwrap_or_default()
            .contains("poststart"),
        "no warning logged"
    );
    t.assert_clean();
}

#[test]
fn failing_poststop_is_logged_and_delete_completes() {
    let t = ctx!();
    let log = failing(&t, "poststop", "", 7);
    t.create_raw(&[]).ok();
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    assert_eq!(lines(&log).len(), 1, "poststop did not run");
    assert!(
        fs::read_to_string(&t.log)
            .unwrap_or_default()
            .contains("poststop"),
        "no warning logged"
    );
    t.rt(&["state", &t.id]).fails();
    t.assert_clean();
}

#[test]
fn failing_start_container_hook_ends_the_container() {
    let t = ctx!();
    t.bundle(&Spec::new(&["true"]));
    fs::write(t.bundle.join("rootfs/bad.sh"), "#!/bin/sh\nexit 9\n").unwrap();
    fs::set_permissions(
        t.bundle.join("rootfs/bad.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let marker = "/ran-the-program";
    t.bundle(
        &Spec::new(&["touch", marker])
            .top_raw(r#""hooks": {"startContainer": [{"path": "/bad.sh"}]}"#),
    );
    t.create_raw(&[]).ok();
    t.start().ok();
    t.wait_status("stopped");
    assert!(
        !t.bundle.join("rootfs/ran-the-program").exists(),
        "the program ran after a failing startContainer hook"
    );
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn features_lists_every_hook() {
    let t = ctx!();
    let out = t.rt(&["features"]).ok();
    let f = common::Json::parse(&out.stdout)
        .unwrap_or_else(|e| panic!("features is not JSON ({e}):\n{}", out.stdout));
    let Some(common::Json::Arr(hooks)) = f.get("hooks") else {
        panic!("no hooks: {}", out.stdout)
    };
    for h in [
        "prestart",
        "createRuntime",
        "createContainer",
        "startContainer",
        "poststart",
        "poststop",
    ] {
        assert!(hooks.iter().any(|x| x.str() == Some(h)), "hooks lacks {h}");
    }
}
