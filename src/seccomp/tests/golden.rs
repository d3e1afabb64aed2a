//! Golden tests: small profiles compile to exactly these instructions.
//! Each listing was checked by hand against the layout in compile.rs; the
//! semantics are proven separately (semantics.rs). To see a listing after a
//! deliberate change, run `cargo test golden -- --nocapture` and review it.

use super::interp::listing;
use super::{compile_for, parse};
use crate::seccomp::Arch;

/// (name, arch, profile, what it shows, expected listing)
const CASES: &[(&str, Arch, &str, &str, &str)] = &[
    (
        "x86_64_allow_default_one_errno",
        Arch::X86_64,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
    {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#,
        "One ERRNO rule under an ALLOW default: four intervals, a three-node tree; x32 numbers (not listed) are a bad arch.",
        "\
000 ld  arch
001 jeq AUDIT_ARCH_X86_64 ? 003 : 002
002 ret KILL_PROCESS
003 ld  nr
004 jge 111 (getpgrp) ? 008 : 005
005 jge 110 (getppid) ? 007 : 006
006 ret ALLOW
007 ret ERRNO(1)
008 jge 0x40000000 (x32 read) ? 010 : 009
009 ret ALLOW
010 ret KILL_PROCESS
",
    ),
    (
        "aarch64_errno_default_enosys_and_args",
        Arch::Aarch64,
        r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
    {"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"},
    {"names":["kill"],"action":"SCMP_ACT_ALLOW","args":[
        {"index":1,"value":15,"op":"SCMP_CMP_EQ"},{"index":0,"value":1,"op":"SCMP_CMP_GT"}]}]}"#,
        "read/write merge into one interval; kill goes to its argument block (AND of two conditions, 64-bit halves); numbers above kill (the highest named) get ENOSYS.",
        "\
000 ld  arch
001 jeq AUDIT_ARCH_AARCH64 ? 003 : 002
002 ret KILL_PROCESS
003 ld  nr
004 jge 94 (exit_group) ? 010 : 005
005 jge 63 (read) ? 007 : 006
006 ret ERRNO(1)
007 jge 65 (readv) ? 009 : 008
008 ret ALLOW
009 ret ERRNO(1)
010 jge 129 (kill) ? 014 : 011
011 jge 95 (waitid) ? 013 : 012
012 ret ALLOW
013 ret ERRNO(1)
014 jge 130 (tkill) ? 016 : 015
015 ja  017
016 ret ERRNO(38)
017 ld  args[1].hi
018 jeq 0x0 ? 019 : 027
019 ld  args[1].lo
020 jeq 0xf ? 021 : 027
021 ld  args[0].hi
022 jgt 0x0 ? 026 : 023
023 jeq 0x0 ? 024 : 027
024 ld  args[0].lo
025 jgt 0x1 ? 026 : 027
026 ret ALLOW
027 ret ERRNO(1)
",
    ),
    (
        "x86_64_with_i386_and_x32",
        Arch::X86_64,
        r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS",
    "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[
    {"names":["getppid","socketcall"],"action":"SCMP_ACT_ALLOW"},
    {"names":["uname"],"action":"SCMP_ACT_LOG"}]}"#,
        "Two sections: x86_64 with x32 merged (same AUDIT_ARCH, x32 numbers above bit 30), then i386 reached by `ja`; socketcall exists only on i386.",
        "\
000 ld  arch
001 jeq AUDIT_ARCH_X86_64 ? 003 : 002
002 ja  023
003 ld  nr
004 jge 0x40000000 (x32 read) ? 014 : 005
005 jge 64 (semget) ? 009 : 006
006 jge 63 (uname) ? 008 : 007
007 ret KILL_PROCESS
008 ret LOG
009 jge 110 (getppid) ? 011 : 010
010 ret KILL_PROCESS
011 jge 111 (getpgrp) ? 013 : 012
012 ret ALLOW
013 ret ERRNO(38)
014 jge 0x40000040 (x32 semget) ? 018 : 015
015 jge 0x4000003f (x32 uname) ? 017 : 016
016 ret KILL_PROCESS
017 ret LOG
018 jge 0x4000006e (x32 getppid) ? 020 : 019
019 ret KILL_PROCESS
020 jge 0x4000006f (x32 getpgrp) ? 022 : 021
021 ret ALLOW
022 ret ERRNO(38)
023 jeq AUDIT_ARCH_I386 ? 025 : 024
024 ret KILL_PROCESS
025 ld  nr
026 jge 102 (socketcall) ? 032 : 027
027 jge 64 (getppid) ? 029 : 028
028 ret KILL_PROCESS
029 jge 65 (getpgrp) ? 031 : 030
030 ret ALLOW
031 ret KILL_PROCESS
032 jge 122 (uname) ? 036 : 033
033 jge 103 (syslog) ? 035 : 034
034 ret ALLOW
035 ret KILL_PROCESS
036 jge 123 (modify_ldt) ? 038 : 037
037 ret LOG
038 ret ERRNO(38)
",
    ),
    (
        "arm_32bit_args_split_and_shared_block",
        Arch::Arm,
        r#"{"defaultAction":"SCMP_ACT_TRAP","syscalls":[
    {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[
        {"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]},
    {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[
        {"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ","valueTwo":268435456}]},
    {"names":["mmap2","set_tls"],"action":"SCMP_ACT_ALLOW","args":[
        {"index":2,"value":7,"op":"SCMP_CMP_LE"},{"index":3,"value":34,"op":"SCMP_CMP_NE"}]}]}"#,
        "32-bit ABI: low words only. personality's two conditions on one argument split into two rules (runc); mmap2 and set_tls (a private arm call, own ENOSYS range) share one block.",
        "\
000 ld  arch
001 jeq AUDIT_ARCH_ARM ? 003 : 002
002 ret KILL_PROCESS
003 ld  nr
004 jge 192 (mmap2) ? 014 : 005
005 jge 121 (setdomainname) ? 009 : 006
006 jge 120 (clone) ? 008 : 007
007 ret TRAP
008 ja  023
009 jge 136 (personality) ? 011 : 010
010 ret TRAP
011 jge 137 ? 013 : 012
012 ja  028
013 ret TRAP
014 jge 0xf0000 ? 018 : 015
015 jge 193 (truncate64) ? 017 : 016
016 ja  035
017 ret ERRNO(38)
018 jge 0xf0005 (set_tls) ? 020 : 019
019 ret TRAP
020 jge 0xf0006 (get_tls) ? 022 : 021
021 ja  035
022 ret ERRNO(38)
023 ld  args[0].lo
024 and 0x7e020000
025 jeq 0x10000000 ? 026 : 027
026 ret ERRNO(1)
027 ret TRAP
028 ld  args[0].lo
029 jeq 0x8 ? 030 : 031
030 ret ALLOW
031 ld  args[0].lo
032 jeq 0xffffffff ? 033 : 034
033 ret ALLOW
034 ret TRAP
035 ld  args[2].lo
036 jgt 0x7 ? 040 : 037
037 ld  args[3].lo
038 jeq 0x22 ? 040 : 039
039 ret ALLOW
040 ret TRAP
",
    ),
    (
        "riscv64_64bit_halves",
        Arch::Riscv64,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
    {"names":["getppid"],"action":"SCMP_ACT_KILL","args":[
        {"index":0,"value":4294967296,"op":"SCMP_CMP_GE"},
        {"index":1,"value":5,"op":"SCMP_CMP_LT"},
        {"index":2,"value":18446744069414584320,"valueTwo":4294967296,"op":"SCMP_CMP_MASKED_EQ"}]},
    {"names":["getpid"],"action":"SCMP_ACT_TRACE","errnoRet":3}]}"#,
        "GE, LT and MASKED_EQ on 64-bit values, compared as high then low word; SCMP_ACT_KILL is KILL_THREAD.",
        "\
000 ld  arch
001 jeq AUDIT_ARCH_RISCV64 ? 003 : 002
002 ret KILL_PROCESS
003 ld  nr
004 jge 173 (getppid) ? 008 : 005
005 jge 172 (getpid) ? 007 : 006
006 ret ALLOW
007 ret TRACE(3)
008 jge 174 (getuid) ? 010 : 009
009 ja  011
010 ret ALLOW
011 ld  args[0].hi
012 jgt 0x1 ? 016 : 013
013 jeq 0x1 ? 014 : 028
014 ld  args[0].lo
015 jge 0x0 ? 016 : 028
016 ld  args[1].hi
017 jgt 0x0 ? 028 : 018
018 jeq 0x0 ? 019 : 021
019 ld  args[1].lo
020 jge 0x5 ? 028 : 021
021 ld  args[2].hi
022 and 0xffffffff
023 jeq 0x1 ? 024 : 028
024 ld  args[2].lo
025 and 0x0
026 jeq 0x0 ? 027 : 028
027 ret KILL_THREAD
028 ret ALLOW
",
    ),
];

#[test]
fn golden_listings() {
    let mut failed = Vec::new();
    for (name, arch, json, _, want) in CASES {
        let got = listing(&compile_for(&parse(json), *arch));
        if got != *want {
            println!("==== {name} ({arch:?}): got\n{got}");
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "listings differ: {failed:?}");
}
