//! process.terminal in the foreground without --console-socket (runc's default mode): `run` and
//! `exec -t` keep the pty master and proxy it to their own terminal. Each runtime command runs on
//! a pty of its own (util-linux `script`), whose size is set with `stty` first and whose input is
//! what the test types; the payload reports what the container sees.
#[macro_use]
mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

/// `s` quoted for sh.
fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `RUNTIME --root R --log L ARGS…` as one sh word list.
fn rt_line(t: &Test, args: &[&str]) -> String {
    let mut w = vec![runtime().to_string_lossy().into_owned()];
    w.extend(
        [
            "--root",
            &t.root.to_string_lossy(),
            "--log",
            &t.log.to_string_lossy(),
        ]
        .map(String::from),
    );
    w.extend(args.iter().map(|a| a.to_string()));
    w.iter().map(|a| sq(a)).collect::<Vec<_>>().join(" ")
}

/// `sh -c LINE` on a new pty (`script`), with `input` typed on it (it may arrive before the
/// runtime reads it, as typing ahead does); stdout is what the pty showed, CRs dropped, and the
/// exit code is LINE's.
fn on_pty(t: &Test, name: &str, line: &str, input: &str) -> Out {
    let inp = t.dir.join(format!("{name}.input"));
    fs::write(&inp, input).expect("write input");
    let outer = format!(
        "exec script -qec {} /dev/null < {}",
        sq(line),
        sq(&inp.to_string_lossy())
    );
    let mut c = Command::new("/bin/sh");
    c.args(["-c", &outer]).env("SHELL", "/bin/sh");
    let mut out = exec(&mut c, &t.dir.join(name), TIMEOUT);
    out.stdout = out.stdout.replace('\r', "");
    out.log = Some(t.log.clone());
    out
}

/// A test world, or None (printed) when `script` is missing.
fn pty_test() -> Option<Test> {
    let t = Test::new()?;
    if !Path::new("/usr/bin/script").exists() {
        eprintln!(
            "SKIP {}: no /usr/bin/script (util-linux) to make a pty",
            t.name
        );
        return None;
    }
    Some(t)
}

fn terminal(spec: Spec) -> Spec {
    let mut s = spec;
    s.terminal = true;
    s
}

/// `then` in sh, on a terminal that has its size. husk sizes the pty before the program runs;
/// runc resizes it after the start, racing with the program, so for another runtime `then`
/// waits (at most 5 s) until the pty has a size.
fn sized(then: &str) -> String {
    if is_husk() {
        return then.to_string();
    }
    format!(
        "i=0; s=$(stty size 2>/dev/null); \
         while {{ [ -z \"$s\" ] || [ \"$s\" = '0 0' ]; }} && [ $i -lt 100 ]; do \
         sleep 0.05; i=$((i+1)); s=$(stty size 2>/dev/null); done; {then}"
    )
}

/// The report of a process whose stdio is a pty.
#[track_caller]
fn on_a_pty(out: &Out) -> Report {
    let r = out.report();
    for fd in ["stdin", "stdout", "stderr"] {
        assert_eq!(r.get(&format!("tty.{fd}")), "true", "{}", out.stdout);
    }
    assert!(r.get("fd.0").starts_with("/dev/pts/"), "{}", out.stdout);
    r
}

#[test]
fn run_proxies_its_terminal() {
    let Some(t) = pty_test() else { return };
    let report = sized("exec /payload report");
    t.bundle(&terminal(Spec::new(&["sh", "-c", &report])));
    let b = t.bundle.to_string_lossy().into_owned();
    let run = rt_line(&t, &["run", "--bundle", &b, &t.id]);
    let out = on_pty(&t, "report", &format!("stty rows 33 cols 101; {run}"), "").ok();
    let r = on_a_pty(&out);
    assert_eq!(r.get("pid"), "1");
    assert_eq!(r.get("winsize.stdout"), "33x101", "{}", out.stdout);
    t.assert_clean();

    // Typed input reaches the container, its exit code comes back, and the outer terminal's
    // modes are as before (raw only while the container ran).
    t.bundle(&terminal(Spec::new(&[
        "sh",
        "-c",
        "read x; echo got:$x; exit 7",
    ])));
    let (before, after) = (t.dir.join("before"), t.dir.join("after"));
    let line = format!(
        "stty -g > {}; {run}; rc=$?; stty -g > {}; exit $rc",
        sq(&before.to_string_lossy()),
        sq(&after.to_string_lossy())
    );
    let out = on_pty(&t, "input", &line, "hello\n").code(7);
    assert!(out.stdout.contains("got:hello\n"), "{}", out.stdout);
    let modes = |p: &Path| fs::read_to_string(p).unwrap_or_default();
    assert!(!modes(&before).is_empty());
    assert_eq!(modes(&before), modes(&after), "terminal modes not restored");
    t.assert_clean();
}

#[test]
fn run_passes_resizes_on() {
    let Some(t) = pty_test() else { return };
    // The container shows its size, says it is ready (a file in its rootfs), and waits (at most
    // 10 s) for the size the outer terminal gets once it is ready: SIGWINCH to the runtime.
    let script = sized(
        "stty size; touch /ready; i=0; \
         while [ \"$(stty size)\" != '40 90' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; \
         echo now $(stty size)",
    );
    t.bundle(&terminal(Spec::new(&["sh", "-c", &script])));
    let b = t.bundle.to_string_lossy().into_owned();
    let ready = sq(&t.bundle.join("rootfs/ready").to_string_lossy());
    let line = format!(
        "stty rows 33 cols 101; \
         (while [ ! -e {ready} ]; do sleep 0.05; done; stty rows 40 cols 90 < /dev/tty) & \
         {}; rc=$?; wait; exit $rc",
        rt_line(&t, &["run", "--bundle", &b, &t.id])
    );
    let out = on_pty(&t, "resize", &line, "").ok();
    let at = |s: &str| {
        out.stdout
            .find(s)
            .unwrap_or_else(|| panic!("no {s:?}: {}", out.stdout))
    };
    assert!(at("33 101\n") < at("now 40 90\n"), "{}", out.stdout);
    t.assert_clean();
}

#[test]
fn exec_t_proxies_its_terminal() {
    let Some(t) = pty_test() else { return };
    t.create(&Spec::payload(&["sleep", "60"])).ok();
    t.start().ok();
    let exec_t = |args: &[&str]| rt_line(&t, &[&["exec", "-t", &t.id][..], args].concat());
    let report = sized("exec /payload report");
    let line = format!("stty rows 33 cols 101; {}", exec_t(&["sh", "-c", &report]));
    let out = on_pty(&t, "exec-report", &line, "").ok();
    let r = on_a_pty(&out);
    assert_ne!(r.get("pid"), "1");
    assert_eq!(r.get("winsize.stdout"), "33x101", "{}", out.stdout);
    let sh = exec_t(&["sh", "-c", "read x; echo got:$x; exit 5"]);
    let out = on_pty(&t, "exec-input", &sh, "hello\n").code(5);
    assert!(out.stdout.contains("got:hello\n"), "{}", out.stdout);
    assert_eq!(t.status(), "running");
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn detached_terminal_still_needs_a_console_socket() {
    let Some(t) = pty_test() else { return };
    t.bundle(&terminal(Spec::payload(&["report"])));
    let b = t.bundle.to_string_lossy().into_owned();
    // On a terminal all the same: -d leaves nobody to proxy it.
    let line = rt_line(&t, &["run", "-d", "--bundle", &b, &t.id]);
    let out = on_pty(&t, "run-d", &line, "").fails();
    let text = out.stdout.to_lowercase();
    assert!(
        text.contains("console") && text.contains("socket"),
        "{}",
        out.stdout
    );
    t.assert_clean();
    t.create(&Spec::payload(&["sleep", "60"])).ok();
    t.start().ok();
    let line = rt_line(&t, &["exec", "-d", "-t", &t.id, "/payload", "report"]);
    let out = on_pty(&t, "exec-d", &line, "").fails();
    let text = out.stdout.to_lowercase();
    assert!(
        text.contains("console") && text.contains("socket"),
        "{}",
        out.stdout
    );
    t.kill("KILL").ok();
    t.wait_status("stopped");
    t.delete().ok();
    t.assert_clean();
}

#[test]
fn spec_then_run_on_a_terminal() {
    let Some(t) = pty_test() else { return };
    copy_tree(rootfs_cache(), &t.bundle.join("rootfs"));
    let b = t.bundle.to_string_lossy().into_owned();
    t.rt(&["spec", "--bundle", &b]).ok();
    // As written: busybox sh on the container's terminal, fed a command.
    let line = rt_line(&t, &["run", "--bundle", &b, &t.id]);
    let out = on_pty(&t, "spec-run", &line, "echo in-$((40+2))\nexit 3\n").code(3);
    assert!(out.stdout.contains("in-42\n"), "{}", out.stdout);
    t.assert_clean();
}
