# shellcheck shell=sh disable=SC2034 # BUNDLE_* are read by mkbundle (lib.sh)
# tests/vm/seccomp.sh — linux.seccomp enforced in real containers inside the booted VMs (qemu-user
# cannot load seccomp filters). Sourced after checks.sh by `targets/vm.sh ARCH --seccomp`, which
# puts the test payload (examples/payload.rs) built for ARCH at /bin/payload — on aarch64 also
# the armv7 build at /bin/payload-arm, for the compat arm ABI — and the docker/containerd default
# profile at /checks/seccomp-default.json.
#
# The payload makes one raw syscall by name (its own per-arch number table) and prints `ret=N` or
# `errno=N`. Every "blocked" assertion has a control run without the filter (or with a value the
# rule does not match), so an errno that would come from the kernel anyway proves nothing.
# The filtered syscalls are ones husk itself does not make after loading the filter
# (userfaultfd, personality, unshare, mount, keyctl) — husk execs right after.

SC_DEFAULT=/checks/seccomp-default.json
# CLONE_NEWUTS: unshare needs CAP_SYS_ADMIN for it, which the default-profile containers get.
SC_NEWUTS=0x04000000
SC_ADMIN_CAPS=',"capabilities":{"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"],"permitted":["CAP_SYS_ADMIN"]}'

# sc_run ID PAYLOAD PROFILE ARGS...: run ARGS in a container whose rootfs holds PAYLOAD as
# /payload and whose linux.seccomp is PROFILE (JSON; "" for none). Sets SC_OUT (stdout+stderr) and
# SC_RC (husk run's exit status: the container's, 128+N for signal N). Extra process fields:
# $SC_PROCESS.
sc_run() {
    sc_id=$1
    sc_payload=$2
    sc_prof=$3
    shift 3
    BUNDLE_LINUX_EXTRA=""
    [ -n "$sc_prof" ] && BUNDLE_LINUX_EXTRA=",\"seccomp\":$sc_prof"
    BUNDLE_PROCESS_EXTRA=${SC_PROCESS:-}
    mkbundle "$BUNDLES/$sc_id" "$@"
    BUNDLE_LINUX_EXTRA="" BUNDLE_PROCESS_EXTRA=""
    ln "$sc_payload" "$BUNDLES/$sc_id/rootfs/payload" 2>/dev/null || cp "$sc_payload" "$BUNDLES/$sc_id/rootfs/payload"
    SC_OUT=$("$HUSK" run --bundle "$BUNDLES/$sc_id" "$sc_id" </dev/null 2>&1)
    SC_RC=$?
    rm -rf "${BUNDLES:?}/$sc_id"
}

# sc_get KEY: the first KEY=value of SC_OUT ("" when absent).
sc_get() { printf '%s\n' "$SC_OUT" | sed -n "s/^$1=//p" | head -n 1; }

# sc_expect ID PAYLOAD PROFILE "WANT ARGS..." ...: one container (one filter) runs
# `/payload ARGS...` for each call from a busybox shell, which reports each exit status; WANT is
#   errno=N   the payload reports that errno
#   ret       the call was let through (any return value)
#   killed    the payload died of SIGSYS (status 128+31) before it could report
# Fails naming every call that did not get what it wanted. Batching keeps the VM time down: a
# container start costs ~0.5 s under TCG.
sc_expect() {
    sc_eid=$1
    sc_epl=$2
    sc_eprof=$3
    shift 3
    sc_script=""
    for c in "$@"; do
        sc_script="$sc_script/payload ${c#* }; echo rc=\$?; "
    done
    sc_run "$sc_eid" "$sc_epl" "$sc_eprof" sh -c "$sc_script"
    if [ "$SC_RC" != 0 ]; then
        echo "husk run ($sc_epl, $(printf '%s' "$sc_eprof" | cut -c1-80)): rc=$SC_RC: $(printf '%s' "$SC_OUT" | tr '\n' ' ' | cut -c1-200)"
        return 1
    fi
    printf '%s\n' "$SC_OUT" >/tmp/sc.out
    n=0
    bad=0
    for c in "$@"; do
        n=$((n + 1))
        want=${c%% *}
        # The lines of call n: after the (n-1)th "rc=" line, up to and with the nth.
        block=$(awk -v n=$n '/^rc=/ { k++; if (k == n) { print; exit } next } k == n - 1' /tmp/sc.out)
        rc=$(printf '%s\n' "$block" | sed -n 's/^rc=//p')
        errno=$(printf '%s\n' "$block" | sed -n 's/^errno=//p')
        ret=$(printf '%s\n' "$block" | sed -n 's/^ret=//p')
        case $want in
        errno=*) [ "errno=$errno" = "$want" ] && [ "$rc" = 1 ] && continue ;;
        ret) [ -n "$ret" ] && [ "$rc" = 0 ] && continue ;;
        killed) [ "$rc" = 159 ] && [ -z "$ret$errno" ] && continue ;; # SIGSYS is 31 everywhere
        esac
        echo "$(basename "$sc_epl") ${c#* }: want $want, got $(printf '%s' "$block" | tr '\n' ' ')"
        bad=1
    done
    return $bad
}

# sc_one NAME ACTION [EXTRA-RULE-JSON]: an allow-all profile with one rule for syscall NAME.
sc_one() { printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["%s"],"action":"%s"%s}]}' "$1" "$2" "${3:-}"; }

# The filter is in place in the container (and none outside): /proc/self/status Seccomp: 2.
c_sc_loaded() {
    sc_run sc-loaded /bin/payload "$(sc_one userfaultfd SCMP_ACT_ERRNO)" /payload report
    expect_eq "status.Seccomp with a profile" "$(sc_get status.Seccomp)" 2 || return 1
    sc_run sc-loaded /bin/payload "" /payload report
    expect_eq "status.Seccomp without" "$(sc_get status.Seccomp)" 0
}

# SCMP_ACT_ERRNO returns errnoRet (default EPERM); other syscalls pass. Both loading paths: before
# the uid change (no noNewPrivileges, CAP_SYS_ADMIN) and right before execve (noNewPrivileges).
# userfaultfd(UFFD_USER_MODE_ONLY) is allowed without privileges, so the control returns an fd.
c_sc_errno() {
    p=/bin/payload
    sc_expect sc-errno $p "" "ret syscall userfaultfd 1" || return 1
    sc_expect sc-errno $p "$(sc_one userfaultfd SCMP_ACT_ERRNO ',"errnoRet":77')" \
        "errno=77 syscall userfaultfd 1" "ret syscall getpid" || return 1
    sc_expect sc-errno $p "$(sc_one userfaultfd SCMP_ACT_ERRNO)" \
        "errno=1 syscall userfaultfd 1" "ret syscall getppid" || return 1
    SC_PROCESS=',"noNewPrivileges":true'
    sc_expect sc-errno $p "$(sc_one userfaultfd SCMP_ACT_ERRNO ',"errnoRet":78')" \
        "errno=78 syscall userfaultfd 1" "ret syscall getppid"
}

# KILL_PROCESS, KILL (thread: the payload has one) and TRAP (no SIGSYS handler) end the
# payload with SIGSYS before it can report; other syscalls pass.
c_sc_kill() {
    for a in SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
        sc_expect sc-kill /bin/payload "$(sc_one userfaultfd $a)" \
            "killed syscall userfaultfd 1" "ret syscall getpid" || {
            echo "action $a"
            return 1
        }
    done
}

# Argument rules (libseccomp semantics): personality(2) gets ERRNO(22) when arg0 == 0x20008 and
# ERRNO(13) when (arg0 & 0xff) == 8; 0xffffffff (query) and 0x109 match neither. On 64-bit ABIs
# 64-bit values are compared as two 32-bit halves: EQ 0x100000008 matches only itself (not 8),
# GE 0x100000000 holds for 0x100000000, not for 0xffffffff.
# sc_args PAYLOAD BITS [ARCHITECTURES-FIELD]
sc_args() {
    p=$1
    prof='{'"${3:-}"'"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":22,"args":[{"index":0,"value":131080,"op":"SCMP_CMP_EQ"}]},
      {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":0,"value":255,"valueTwo":8,"op":"SCMP_CMP_MASKED_EQ"}]}]}'
    sc_expect sc-args "$p" "" "ret syscall personality 131080" "ret syscall personality 0x108" || return 1
    sc_expect sc-args "$p" "$prof" "errno=22 syscall personality 131080" "errno=13 syscall personality 0x108" \
        "ret syscall personality 0xffffffff" "ret syscall personality 0x109" || return 1
    [ "$2" = 64 ] || return 0
    prof='{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":33,"args":[{"index":0,"value":4294967304,"op":"SCMP_CMP_EQ"}]},
      {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":34,"args":[{"index":0,"value":8589934592,"op":"SCMP_CMP_GE"}]}]}'
    sc_expect sc-args "$p" "$prof" "errno=33 syscall personality 0x100000008" "ret syscall personality 8" \
        "errno=34 syscall personality 0x200000000" "ret syscall personality 0x1ffffffff" \
        "ret syscall personality 0xffffffff"
}
c_sc_args() {
    case $(uname -m) in armv7* | arm) bits=32 ;; *) bits=64 ;; esac
    sc_args /bin/payload $bits
}

# The docker/containerd default profile, as shipped (all six architectures: the ones this
# machine cannot run are ignored). With CAP_SYS_ADMIN, unshare/mount/keyctl work without it and
# get EPERM with it; getppid and the allowed personality query pass; bpf (named, not allowed)
# gets EPERM; a number above the highest the profile names gets ENOSYS (runc's rule).
sc_default() {
    p=$1
    SC_PROCESS=$SC_ADMIN_CAPS
    sc_expect sc-default "$p" "" "ret syscall unshare $SC_NEWUTS" "ret syscall mount s:none s:/tmp s:tmpfs" \
        "ret syscall keyctl 0 -2 1" || return 1
    # keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, create)
    sc_expect sc-default "$p" "$(cat "$SC_DEFAULT")" "errno=1 syscall unshare $SC_NEWUTS" \
        "errno=1 syscall mount s:none s:/tmp s:tmpfs" "errno=1 syscall keyctl 0 -2 1" \
        "ret syscall getppid" "ret syscall personality 0xffffffff" "errno=1 syscall bpf" \
        "errno=38 syscall-nr 1000"
}
c_sc_default_blocks() { sc_default /bin/payload; }

# A busybox shell runs normally under the default profile (fork, exec, pipes, /proc).
c_sc_default_shell() {
    BUNDLE_LINUX_EXTRA=",\"seccomp\":$(cat "$SC_DEFAULT")"
    mkbundle "$BUNDLES/sc-shell" sh -c 'echo start; ls / | wc -l >/dev/null; grep "^Seccomp:" /proc/self/status; cat /proc/self/status >/dev/null; echo done'
    BUNDLE_LINUX_EXTRA=""
    out=$("$HUSK" run --bundle "$BUNDLES/sc-shell" sc-shell </dev/null 2>&1)
    rc=$?
    rm -rf "$BUNDLES/sc-shell"
    expect_eq "shell output (rc $rc)" "$(printf '%s' "$out" | tr -s '\t\n' '  ')" "start Seccomp: 2 done"
}

# aarch64 running 32-bit arm programs (CONFIG_COMPAT): a listed SCMP_ARCH_ARM gets its own
# section with arm's numbers; an ABI the profile does not list is killed.
c_sc_compat_arm() {
    pa=/bin/payload-arm
    skip_unless "[ -x $pa ]" "no armv7 payload in this VM"
    skip_unless "$pa syscall getpid | grep -q ^ret=" "this kernel does not run 32-bit arm programs (no CONFIG_COMPAT)"
    both='"architectures":["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"],'
    native='"architectures":["SCMP_ARCH_AARCH64"],'
    sc_expect sc-compat $pa "" "ret syscall userfaultfd 1" || return 1
    sc_expect sc-compat $pa "$(sc_one userfaultfd SCMP_ACT_ERRNO ',"errnoRet":77' | sed "s/^{/{$both/")" \
        "errno=77 syscall userfaultfd 1" "ret syscall getpid" "ret syscall-nr 20" || return 1
    # arm's userfaultfd is 388; on aarch64 388 is not a syscall: the rule must not leak across.
    sc_expect sc-compat /bin/payload "$(sc_one userfaultfd SCMP_ACT_ERRNO ',"errnoRet":77' | sed "s/^{/{$both/")" \
        "errno=77 syscall userfaultfd 1" "errno=38 syscall-nr 388" || return 1
    sc_expect sc-compat $pa "$(sc_one userfaultfd SCMP_ACT_ERRNO | sed "s/^{/{$native/")" \
        "killed syscall getpid" || return 1
    sc_args $pa 32 "$both" || return 1
    sc_default $pa
}

check seccomp_loaded c_sc_loaded
check seccomp_errno c_sc_errno
check seccomp_kill c_sc_kill
check seccomp_args c_sc_args
check seccomp_default_blocks c_sc_default_blocks
check seccomp_default_shell c_sc_default_shell
[ "$HUSKVM_ARCH" = aarch64 ] && check seccomp_compat_arm c_sc_compat_arm
