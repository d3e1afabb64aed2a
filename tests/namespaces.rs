//! Namespaces beyond the defaults (issue 2): a user namespace with id maps
//! written from outside, a time namespace with offsets, namespaces joined by
//! path, and what `state` says about a damaged record.

#[macro_use]
mod common;

use common::*;
use std::fs;

#[test]
fn user_namespace_maps_ids() {
    let t = ctx!();
    let spec = Spec::payload(&["cat", "/proc/self/uid_map"])
        .namespaces(&["pid", "mount", "uts", "ipc", "user"])
        .linux_raw(
            r#""uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
               "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]"#,
        );
    let out = t.run(&spec).ok();
    let fields: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(
        fields,
        ["0", "100000", "65536"],
        "uid_map seen inside: {}",
        out.stdout
    );
    t.assert_clean();
}

#[test]
fn user_namespace_root_owns_its_files_as_the_mapped_host_uid() {
    let t = ctx!();
    let spec = Spec::payload(&["report"])
        .namespaces(&["pid", "mount", "uts", "ipc", "user"])
        .linux_raw(
            r#""uidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}],
               "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}]"#,
        );
    let r = t.run(&spec).ok().report();
    assert_eq!(r.get("uid"), "0");
    assert_ne!(r.get("ns.user"), host_ns("user"));
    t.assert_clean();
}

#[test]
fn a_new_user_namespace_needs_maps() {
    let t = ctx!();
    if !is_husk() {
        return;
    }
    let spec = Spec::payload(&["report"]).namespaces(&["pid", "mount", "user"]);
    t.bundle(&spec);
    t.rt(&["create", "--bundle", t.bundle.to_str().unwrap(), &t.id])
        .fails()
        .says(&["uidMappings"]);
    t.assert_clean();
}

#[test]
fn time_namespace_offsets() {
    let t = ctx!();
    if host_ns("time").is_empty() {
        eprintln!("SKIP: this kernel has no time namespaces");
        return;
    }
    // CLOCK_BOOTTIME shows in /proc/uptime: ten days on, inside.
    let spec = Spec::payload(&["cat", "/proc/uptime"])
        .namespaces(&["pid", "mount", "uts", "time"])
        .linux_raw(r#""timeOffsets": {"boottime": {"secs": 864000, "nanosecs": 0}}"#);
    let out = t.run(&spec).ok();
    let inside: f64 = out
        .stdout
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let host: f64 = fs::read_to_string("/proc/uptime")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        inside - host > 863_000.0,
        "uptime inside {inside}, host {host}"
    );
    t.assert_clean();
}

#[test]
fn namespaces_joined_by_path() {
    let t = ctx!();
    // A first container holds a network and a uts namespace...
    let holder = ctx!();
    holder
        .create(&Spec::payload(&["sleep", "60"]).hostname("holder"))
        .ok();
    let pid = holder.state().get("pid").and_then(|p| p.int()).unwrap();
    // ...that a second one joins by path.
    // No hostname of its own: it would be set in the joined uts namespace.
    let spec = Spec::payload(&["report"])
        .hostname("")
        .namespaces(&["pid", "mount", "ipc"])
        .join_namespace("network", &format!("/proc/{pid}/ns/net"))
        .join_namespace("uts", &format!("/proc/{pid}/ns/uts"));
    let r = t.run(&spec).ok().report();
    let link = |ns: &str| {
        fs::read_link(format!("/proc/{pid}/ns/{ns}"))
            .unwrap()
            .display()
            .to_string()
    };
    assert_eq!(r.get("ns.net"), link("net"));
    assert_eq!(r.get("ns.uts"), link("uts"));
    assert_eq!(r.get("hostname"), "holder");
    assert_ne!(r.get("ns.ipc"), link("ipc"));
    holder.kill("KILL").ok();
    holder.wait_status("stopped");
    holder.delete().ok();
    t.assert_clean();
    holder.assert_clean();
}

#[test]
fn a_damaged_state_record_is_a_clear_error() {
    let t = ctx!();
    if !is_husk() {
        return;
    }
    t.create(&Spec::payload(&["sleep", "60"])).ok();
    let record = t.root.join(&t.id).join("state");
    let text = fs::read_to_string(&record).unwrap();
    // A torn write: half the record.
    fs::write(&record, &text[..text.len() / 2]).unwrap();
    t.rt(&["state", &t.id])
        .fails()
        .says(&["corrupt state record", &t.id]);
    // An edited pid fails the checksum too.
    fs::write(&record, text.replace("pid=", "pid=1")).unwrap();
    t.rt(&["state", &t.id])
        .fails()
        .says(&["corrupt state record"]);
    fs::write(&record, &text).unwrap();
    assert_eq!(t.status(), "created");
    t.rt(&["delete", "--force", &t.id]).ok();
    t.assert_clean();
}
