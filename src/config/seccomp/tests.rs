//! Parsing and validation of `linux.seccomp`.

use super::*;
use crate::caps::{MAX_SECCOMP_ARCHS, MAX_SECCOMP_NAMES, MAX_SECCOMP_RULES};

fn parse(json: &str) -> Seccomp<'_> {
    match serde_json_core::from_str::<Seccomp>(json) {
        Ok((s, _)) => s,
        Err(e) => panic!("parse failed: {e:?}"),
    }
}

#[test]
fn parses_all_fields_into_pools() {
    let s = parse(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"comment":{"x":[1,2]},
        "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"flags":["SECCOMP_FILTER_FLAG_LOG"],
        "listenerPath":"/run/a\"b.sock","listenerMetadata":"m",
        "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW","comment":"x"},
                    {"names":["personality"],"action":"SCMP_ACT_ALLOW",
                     "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},
                             {"index":1,"value":18446744073709551615,"valueTwo":3,"op":"SCMP_CMP_MASKED_EQ"}]},
                    {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
    );
    assert_eq!(s.default_action, Word::Known(Action::Errno));
    assert_eq!(s.default_errno_ret, Some(38));
    assert_eq!(
        s.architectures.as_slice(),
        &[Word::Known(ArchName::X86_64), Word::Known(ArchName::X86)]
    );
    assert_eq!(s.flags.as_slice(), &[Word::Known(Flag::Log)]);
    assert_eq!(
        s.listener_path,
        Some(r#"/run/a\"b.sock"#),
        "raw escapes kept"
    );
    assert_eq!(s.syscalls.len(), 3);
    assert_eq!(s.names_of(&s.syscalls[0]), &["read", "write"]);
    assert_eq!(s.names_of(&s.syscalls[1]), &["personality"]);
    assert_eq!(s.names_of(&s.syscalls[2]), &["getppid"]);
    let args = s.args_of(&s.syscalls[1]);
    assert_eq!(args.len(), 2);
    assert_eq!(args[1].value, u64::MAX);
    assert_eq!(args[1].value_two, 3);
    assert_eq!(args[1].op, Word::Known(Op::MaskedEq));
    assert!(s.args_of(&s.syscalls[0]).is_empty());
    assert_eq!(s.syscalls[2].errno_ret, Some(1));
    assert!(!s.uses_notify());
    s.validate().unwrap();
}

#[test]
fn structural_errors_are_serde_errors() {
    assert!(
        serde_json_core::from_str::<Seccomp>(r#"{"syscalls":[]}"#).is_err(),
        "defaultAction missing"
    );
    let no_names = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ALLOW"}]}"#;
    assert!(serde_json_core::from_str::<Seccomp>(no_names).is_err());
    let no_op = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}]}"#;
    assert!(serde_json_core::from_str::<Seccomp>(no_op).is_err());
    let bad_type = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]}"#;
    assert!(serde_json_core::from_str::<Seccomp>(bad_type).is_err());
}

fn invalid(json: &str) -> String {
    match parse(json).validate() {
        Ok(()) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn semantic_errors_name_the_field() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"defaultAction":"SCMP_ACT_NOPE"}"#,
            r#"linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE""#,
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_NOTIFY"}"#,
            "cannot be the default action",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}"#,
            "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000}"#,
            "out of range",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_Z80"]}"#,
            r#"linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80""#,
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_FOO"]}"#,
            r#"linux.seccomp.flags[0]: unknown flag"#,
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","listenerMetadata":"x"}"#,
            "without listenerPath",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["read"],"action":"SCMP_ACT_FOO"}]}"#,
            r#"linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_FOO""#,
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_ERRNO"}]}"#,
            "syscalls[0].names: must name",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read","reed"],"action":"SCMP_ACT_ERRNO"}]}"#,
            r#"linux.seccomp.syscalls[0].names[1]: unknown syscall "reed""#,
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}"#,
            "linux.seccomp.syscalls[0].errnoRet: only",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
            "linux.seccomp.syscalls[0].args[0].index: 6 is not",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}"#,
            r#"linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_XX""#,
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}"#,
            "needs linux.seccomp.listenerPath",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/x","syscalls":[{"names":["write"],"action":"SCMP_ACT_NOTIFY"}]}"#,
            r#"cannot be used for "write""#,
        ),
    ];
    for (json, want) in cases {
        let got = invalid(json);
        assert!(got.contains(want), "{json}\n got: {got}\nwant: {want}");
    }
}

#[test]
fn foreign_arches_and_names_are_valid() {
    let s = parse(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_S390X"],
        "syscalls":[{"names":["s390_runtime_instr","read"],"action":"SCMP_ACT_ALLOW"}]}"#,
    );
    assert_eq!(s.architectures[0], Word::Known(ArchName::Foreign));
    s.validate().unwrap();
}

#[test]
fn over_capacity_is_an_error_naming_field_and_limit() {
    // One rule over MAX_SECCOMP_NAMES names.
    let mut json = String::from(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["#,
    );
    for i in 0..MAX_SECCOMP_NAMES {
        json.push_str(if i == 0 { "\"read\"" } else { ",\"read\"" });
    }
    json.push_str(r#"],"action":"SCMP_ACT_ALLOW"}]}"#);
    let got = invalid(&json);
    assert!(
        got.contains("linux.seccomp.syscalls[1].names: more than"),
        "{got}"
    );
    assert!(
        got.contains(&format!("{MAX_SECCOMP_NAMES}")) && got.contains("MAX_SECCOMP_NAMES"),
        "{got}"
    );

    let mut json = String::from(r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":["#);
    for i in 0..=MAX_SECCOMP_RULES {
        if i > 0 {
            json.push(',');
        }
        json.push_str(r#"{"names":["read"],"action":"SCMP_ACT_ALLOW"}"#);
    }
    json.push_str("]}");
    let got = invalid(&json);
    assert!(
        got.contains("linux.seccomp.syscalls: more than") && got.contains("MAX_SECCOMP_RULES"),
        "{got}"
    );

    let mut json = String::from(r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["#);
    for i in 0..=MAX_SECCOMP_ARCHS {
        json.push_str(if i == 0 {
            "\"SCMP_ARCH_X86\""
        } else {
            ",\"SCMP_ARCH_X86\""
        });
    }
    json.push_str("]}");
    assert!(invalid(&json).contains("linux.seccomp.architectures: more than"));
}
