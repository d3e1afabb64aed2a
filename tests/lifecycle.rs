//! Lifecycle tests: each transition of runtime.md and what the container sees (through the
//! payload's `key=value` report). Run as root; `HUSK_TEST_RUNTIME=/usr/sbin/runc` checks the
//! tests themselves against runc.

#[macro_use]
mod common;
/// What the container sees: identity, namespaces, mounts, /dev, root.
#[path = "lifecycle/view.rs"]
mod view;

use common::{host_ns, Json, Report, Spec};
use std::fs;
use std::time::{Duration, Instant};

/// A container that reports, then stays alive until killed.
fn report_then_sleep() -> Spec {
    Spec::new(&["/bin/sh", "-c", "/payload report; exec /payload sleep 60"])
}

/// Waits until the container's output contains `what` (fails after 10 s).
fn wait_output(t: &common::Test, what: &str) -> String {
    let start = Instant::now();
    loop {
        let out = t.output();
        if out.contains(what) {
            return out;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "container never printed {what:?}; got:\n{out}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The harness's own check: a live container is seen as a leak, and gone after delete --force.
#[test]
fn leak_check_sees_a_live_container() {
    let t = ctx!();
    t.create(&Spec::payload(&["sleep", "60"])).ok();
    t.start().ok();
    let l = t.leaks_now().join("\n");
    assert!(l.contains("state dir"), "{l}");
    assert!(l.contains("container process"), "{l}");
    assert!(l.contains("mount namespace holds the bundle"), "{l}");
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn run_propagates_output_and_exit_code() {
    let t = ctx!();
    let out = t
        .run(&Spec::new(&[
            "/bin/sh",
            "-c",
            "echo hello from the container; exit 7",
        ]))
        .code(7);
    assert_eq!(out.stdout, "hello from the container\n");
    t.run(&Spec::payload(&["exit", "0"])).ok();
    t.assert_clean();
}

#[test]
fn create_start_kill_delete() {
    let t = ctx!();
    t.create(&report_then_sleep()).ok();
    // created: a pid, the same absolute host pid in --pid-file, and the program not run yet
    let st = t.state();
    assert_eq!(
        st.get("status").and_then(Json::str),
        Some("created"),
        "{st:?}"
    );
    assert_eq!(st.get("id").and_then(Json::str), Some(t.id.as_str()));
    assert_eq!(
        st.get("bundle").and_then(Json::str),
        Some(t.bundle.to_str().unwrap_or(""))
    );
    assert!(
        st.get("ociVersion").and_then(Json::str).is_some(),
        "no ociVersion: {st:?}"
    );
    let pid = st.get("pid").and_then(Json::int).expect("state has a pid");
    let pid_file =
        fs::read_to_string(&t.pid_file).expect("pid file written before create returned");
    assert_eq!(
        pid_file.trim().parse::<i64>().ok(),
        Some(pid),
        "pid file {pid_file:?} vs state pid {pid}"
    );
    assert!(
        fs::metadata(format!("/proc/{pid}")).is_ok(),
        "pid {pid} is not a live host process"
    );
    assert_eq!(
        fs::read_link(format!("/proc/{pid}/ns/pid"))
            .ok()
            .map(|p| p.display().to_string())
            .as_deref()
            .map(|s| s == host_ns("pid")),
        Some(false),
        "container pid {pid} not in its own pid ns"
    );
    assert_eq!(t.output(), "", "the program ran before start");
    // runc's extra fields
    assert_eq!(
        st.get("rootfs").and_then(Json::str),
        Some(t.bundle.join("rootfs").to_str().unwrap_or(""))
    );
    let created = st.get("created").and_then(Json::str).unwrap_or("");
    assert!(
        created.len() >= 20 && created.as_bytes().get(10) == Some(&b'T'),
        "created is not RFC 3339: {created:?}"
    );
    assert!(st.get("owner").is_some(), "no owner: {st:?}");

    t.start().ok();
    let st = t.state();
    assert_eq!(st.get("status").and_then(Json::str), Some("running"));
    assert_eq!(
        st.get("pid").and_then(Json::int),
        Some(pid),
        "pid changed at start"
    );
    let r = Report::parse(&wait_output(&t, "tty.stdout="));
    assert_eq!(r.get("ppid"), "1", "the shell is not pid 1");
    // the container inherited create's stdout
    assert!(
        r.get("fd.1").ends_with("-create.out"),
        "stdout is not create's: {}",
        r.get("fd.1")
    );

    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.rt(&["state", &t.id]).fails().says(&["does not exist"]);
    t.assert_clean();
}

#[test]
fn kill_accepts_signal_forms() {
    let t = ctx!();
    for sig in ["9", "SIGKILL"] {
        t.create(&Spec::payload(&["sleep", "60"])).ok();
        t.kill(sig).ok();
        t.wait_status("stopped");
        t.delete().ok();
        t.assert_clean();
    }
}

#[test]
fn kill_default_signal_is_term() {
    let t = ctx!();
    // pid 1 of a pid namespace ignores TERM unless it has a handler: use a shell that traps it.
    let spec = Spec::new(&[
        "/bin/sh",
        "-c",
        "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.05; done",
    ]);
    t.create(&spec).ok();
    t.start().ok();
    wait_output(&t, "ready");
    t.rt(&["kill", &t.id]).ok();
    wait_output(&t, "got-term");
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn run_detached() {
    let t = ctx!();
    t.bundle(&report_then_sleep());
    let start = Instant::now();
    let out = t
        .rt(&["run", "-d", "--bundle", t.bundle.to_str().unwrap(), &t.id])
        .ok();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "run -d did not return promptly"
    );
    assert_eq!(t.status(), "running", "{out:?}");
    let pid = t.state().get("pid").and_then(Json::int).unwrap_or(0);
    t.track(pid as i32);
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn list_shows_the_container() {
    let t = ctx!();
    t.create(&Spec::payload(&["sleep", "60"])).ok();
    let out = t.rt(&["list"]).ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(t.id.as_str()));
    let line = line.unwrap_or_else(|| panic!("{} not listed:\n{}", t.id, out.stdout));
    assert!(line.contains("created"), "{line}");
    assert!(line.contains(t.bundle.to_str().unwrap()), "{line}");
    let quiet = t.rt(&["list", "-q"]).ok();
    assert_eq!(quiet.stdout.trim(), t.id);
    let json = t.rt(&["list", "--format", "json"]).ok();
    let v = Json::parse(&json.stdout).unwrap_or_else(|e| panic!("list json: {e}: {}", json.stdout));
    let Json::Arr(items) = v else {
        panic!("list json is not an array: {}", json.stdout)
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].get("id").and_then(Json::str), Some(t.id.as_str()));
    assert_eq!(items[0].get("status").and_then(Json::str), Some("created"));
    t.rt(&["delete", "--force", &t.id]).ok();
    assert_eq!(t.rt(&["list", "-q"]).ok().stdout.trim(), "");
    t.assert_clean();
}

/// Replaces the value of `"key": …` (up to the matching bracket for arrays, else the next `,`/`}`).
fn replace_member(json: &str, key: &str, value: &str) -> String {
    let k = format!("\"{key}\"");
    let at = json
        .find(&k)
        .unwrap_or_else(|| panic!("no {key} in:\n{json}"));
    let colon = at + json[at..].find(':').expect("colon");
    let rest = &json[colon + 1..];
    let skip = rest.len() - rest.trim_start().len();
    let start = colon + 1 + skip;
    let end = if json[start..].starts_with('[') {
        start + json[start..].find(']').expect("]") + 1
    } else {
        start + json[start..].find([',', '}', '\n']).expect("end of value")
    };
    format!("{}{}{}", &json[..start], value, &json[end..])
}

#[test]
fn spec_writes_a_config_that_runs() {
    let t = ctx!();
    t.config("{}");
    fs::remove_file(t.bundle.join("config.json")).unwrap();
    t.rt(&["spec", "--bundle", t.bundle.to_str().unwrap()]).ok();
    let text = fs::read_to_string(t.bundle.join("config.json")).expect("spec wrote config.json");
    Json::parse(&text).unwrap_or_else(|e| panic!("spec output is not JSON: {e}\n{text}"));
    let text = replace_member(
        &replace_member(&text, "args", "[\"/payload\", \"report\"]"),
        "terminal",
        "false",
    );
    fs::write(t.bundle.join("config.json"), &text).unwrap();
    let r = t
        .rt(&["run", "--bundle", t.bundle.to_str().unwrap(), &t.id])
        .ok()
        .report();
    assert_eq!(r.get("pid"), "1");
    assert_ne!(r.get("ns.mnt"), host_ns("mnt"));
    t.assert_clean();
}

#[test]
fn run_forwards_signals_and_exit_status() {
    let t = ctx!();
    let script = "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done";
    t.bundle(&Spec::new(&["/bin/sh", "-c", script]));
    let run = t.spawn(&["run", "--bundle", t.bundle.to_str().unwrap(), &t.id]);
    let start = Instant::now();
    while !run.stdout_now().contains("ready") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "container never got ready: {}",
            run.stdout_now()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    run.signal(15);
    let out = run.wait().code(3);
    assert_eq!(out.stdout, "ready\ngot-term\n");
    t.assert_clean();
}

#[test]
fn create_accepts_options_after_the_id() {
    let t = ctx!();
    t.bundle(&Spec::payload(&["sleep", "60"]));
    let pid_file = t.pid_file.to_str().unwrap().to_string();
    t.rt(&[
        "create",
        &t.id,
        "--bundle",
        t.bundle.to_str().unwrap(),
        "--pid-file",
        &pid_file,
    ])
    .ok();
    assert_eq!(t.status(), "created");
    let pid: i32 = fs::read_to_string(&t.pid_file)
        .unwrap_or_default()
        .trim()
        .parse()
        .expect("pid file");
    t.track(pid);
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}

#[test]
fn kill_all() {
    let t = ctx!();
    t.create(&Spec::new(&[
        "/bin/sh",
        "-c",
        "/payload sleep 60 & /payload sleep 60",
    ]))
    .ok();
    t.start().ok();
    t.rt(&["kill", "--all", &t.id, "KILL"]).ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn features_document() {
    let t = ctx!();
    let out = t.rt(&["features"]).ok();
    let f = Json::parse(&out.stdout)
        .unwrap_or_else(|e| panic!("features is not JSON ({e}):\n{}", out.stdout));
    let min = f.get("ociVersionMin").and_then(Json::str).unwrap_or("");
    let max = f.get("ociVersionMax").and_then(Json::str).unwrap_or("");
    assert!(
        min.starts_with("1.") && max.starts_with("1."),
        "{min} .. {max}"
    );
    let Some(Json::Arr(opts)) = f.get("mountOptions") else {
        panic!("no mountOptions: {}", out.stdout)
    };
    for o in ["ro", "nosuid", "bind", "rbind"] {
        assert!(
            opts.iter().any(|x| x.str() == Some(o)),
            "mountOptions lacks {o}"
        );
    }
}

#[test]
fn version_and_help() {
    let t = ctx!();
    let v = t.rt(&["--version"]).ok();
    assert!(!v.stdout.trim().is_empty(), "--version printed nothing");
    let h = t.rt(&["--help"]).ok();
    for cmd in [
        "create", "start", "state", "kill", "delete", "run", "list", "spec",
    ] {
        assert!(
            h.stdout.contains(cmd),
            "--help does not mention {cmd}:\n{}",
            h.stdout
        );
    }
}
