# shellcheck shell=sh
# tests/vm/checks.sh — the checks run inside every test VM (busybox sh, / is the initramfs).
# Sourced after tests/vm/lib.sh. Add a check: write a function, then `check NAME function`.
# Issue-specific checks (seccomp, cgroups) can live in their own file, passed to targets/vm.sh
# with --bundle-script FILE (sourced after this one, same helpers).

# / must still be the initramfs (rootfs), so husk's pivot_root -> MS_MOVE+chroot fallback runs.
c_root_is_rootfs() {
    fstype=$(awk '$5 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); exit } }' /proc/self/mountinfo)
    expect_eq "fstype of /" "$fstype" rootfs
}

c_husk_version() {
    "$HUSK" --version
}

# `husk run` of a busybox container: its hostname and its pid (1 in its pid namespace).
c_run_hostname_pid() {
    mkbundle "$BUNDLES/run" sh -c 'echo "$(hostname) $$"'
    out=$("$HUSK" run --bundle "$BUNDLES/run" run-hostname-pid </dev/null) || {
        echo "husk run failed: $out"
        return 1
    }
    expect_eq "container output" "$out" "huskvm 1" || return 1
    # run deletes the container afterwards
    if "$HUSK" state run-hostname-pid >/dev/null 2>&1; then
        echo "container still exists after run"
        return 1
    fi
}

# The container's / is its own rootfs (moved there by husk), not the initramfs.
c_container_root() {
    mkbundle "$BUNDLES/root" sh -c 'test -e /bin/busybox && ! test -e /init && echo isolated'
    out=$("$HUSK" run --bundle "$BUNDLES/root" container-root </dev/null 2>&1)
    expect_eq "container view of /" "$out" isolated
}

# `husk run` exits with the container's exit status.
c_run_exit_code() {
    mkbundle "$BUNDLES/exit" sh -c 'exit 7'
    "$HUSK" run --bundle "$BUNDLES/exit" run-exit-code </dev/null
    rc=$?
    expect_eq "exit code" "$rc" 7
}

# create -> created -> start -> running -> kill -> stopped -> delete -> gone.
c_lifecycle() {
    id=lifecycle
    mkbundle "$BUNDLES/life" sleep 600
    "$HUSK" create --bundle "$BUNDLES/life" --pid-file /run/life.pid "$id" </dev/null >/tmp/life.out 2>&1 || {
        echo "create failed: $(cat /tmp/life.out)"
        return 1
    }
    expect_eq "status after create" "$(husk_state_status $id)" created || { cleanup $id; return 1; }
    pid=$(cat /run/life.pid 2>/dev/null)
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || { echo "pid-file pid '$pid' not alive"; cleanup $id; return 1; }
    if "$HUSK" start "$id"; then :; else echo "start failed"; cleanup $id; return 1; fi
    wait_status $id running || { cleanup $id; return 1; }
    "$HUSK" state "$id" | grep -q "\"pid\": *$pid" || { echo "state pid != pid-file $pid"; cleanup $id; return 1; }
    "$HUSK" kill "$id" KILL || { echo "kill failed"; cleanup $id; return 1; }
    wait_status $id stopped || { cleanup $id; return 1; }
    "$HUSK" delete "$id" || { echo "delete failed"; cleanup $id; return 1; }
    if "$HUSK" state "$id" >/dev/null 2>&1; then
        echo "state still works after delete"
        return 1
    fi
    [ ! -e "/run/husk/$id" ] || { echo "/run/husk/$id left behind"; return 1; }
}

# Error cases from runtime.md: start twice, kill a stopped container, delete a running one.
# The default signal (TERM) is caught by the container's shell: pid 1 of a pid namespace
# ignores signals it has no handler for, so a plain `sleep` would not stop.
c_lifecycle_errors() {
    id=errors
    mkbundle "$BUNDLES/err" sh -c 'trap "exit 143" TERM; while :; do sleep 0.2; done'
    "$HUSK" create --bundle "$BUNDLES/err" "$id" </dev/null >/dev/null 2>&1 || { echo "create failed"; return 1; }
    "$HUSK" start "$id" || { cleanup $id; echo "start failed"; return 1; }
    if "$HUSK" start "$id" 2>/dev/null; then cleanup $id; echo "second start succeeded"; return 1; fi
    if "$HUSK" delete "$id" 2>/dev/null; then echo "delete of a running container succeeded"; return 1; fi
    sleep 0.3 # let the shell install its trap
    "$HUSK" kill "$id" || { cleanup $id; echo "kill (TERM) failed"; return 1; }
    wait_status $id stopped || { cleanup $id; return 1; }
    if err=$("$HUSK" kill "$id" KILL 2>&1); then cleanup $id; echo "kill of a stopped container succeeded"; return 1; fi
    echo "$err" | grep -q "not running" || { cleanup $id; echo "kill error: $err"; return 1; }
    "$HUSK" delete "$id" || { echo "delete failed"; return 1; }
    if err=$("$HUSK" state nosuch 2>&1); then echo "state of unknown id succeeded"; return 1; fi
    echo "$err" | grep -q "does not exist" || { echo "unknown id error: $err"; return 1; }
}

# delete --force kills a running container and removes it.
c_delete_force() {
    id=delforce
    mkbundle "$BUNDLES/del" sleep 600
    "$HUSK" run --detach --bundle "$BUNDLES/del" "$id" </dev/null >/dev/null 2>&1 || { echo "run -d failed"; return 1; }
    wait_status $id running || { cleanup $id; return 1; }
    "$HUSK" delete --force "$id" || { echo "delete --force failed"; return 1; }
    if "$HUSK" state "$id" >/dev/null 2>&1; then echo "still there"; return 1; fi
}

# `husk spec` writes a config that husk runs as written (with terminal off: no tty here).
c_spec_runs() {
    d=$BUNDLES/spec
    mkbundle "$d" true
    rm -f "$d/config.json"
    (cd "$d" && "$HUSK" spec) || { echo "spec failed"; return 1; }
    sed -i 's/"terminal": *true/"terminal": false/' "$d/config.json"
    "$HUSK" run --bundle "$d" spec-runs </dev/null
}

vm_info husk "$("$HUSK" --version 2>&1 | head -n 1)"
check root_is_rootfs c_root_is_rootfs
check husk_version c_husk_version
check run_hostname_pid c_run_hostname_pid
check container_root c_container_root
check run_exit_code c_run_exit_code
check lifecycle c_lifecycle
check lifecycle_errors c_lifecycle_errors
check delete_force c_delete_force
check spec_runs c_spec_runs
