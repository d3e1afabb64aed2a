# shellcheck shell=sh
# tests/vm/lib.sh — helpers for the checks that run inside the test VMs (busybox sh).
# Sourced by tests/vm/run.sh before tests/vm/checks.sh and any --bundle-script file.
#
# Output protocol (one line each on the serial console, parsed by targets/vm.sh and tests/vm.rs):
#   HUSKVM ok NAME
#   HUSKVM fail NAME REASON...
#   HUSKVM skip NAME REASON...
#   HUSKVM info KEY VALUE...
#   HUSKVM done N passed, M failed, K skipped
# NAME is one word ([a-z0-9_.-]); REASON is the rest of the line.
#
# Writing a check: a shell function that exits/returns 0 on success and prints why on failure,
# then `check NAME FUNCTION [ARGS...]`. Helpers: mkbundle (a busybox bundle with chosen args),
# expect_eq, husk_state_status, wait_status. Containers get ids "NAME" by convention so a
# failing check does not disturb the next one; `cleanup ID` force-deletes.

HUSKVM_PASSED=0
HUSKVM_FAILED=0
HUSKVM_SKIPPED=0
HUSK=${HUSK:-/bin/husk}
BUNDLES=${BUNDLES:-/bundles}

vm_ok() { echo "HUSKVM ok $1"; HUSKVM_PASSED=$((HUSKVM_PASSED + 1)); }
vm_fail() {
    n=$1
    shift
    echo "HUSKVM fail $n $*"
    HUSKVM_FAILED=$((HUSKVM_FAILED + 1))
}
vm_skip() {
    n=$1
    shift
    echo "HUSKVM skip $n $*"
    HUSKVM_SKIPPED=$((HUSKVM_SKIPPED + 1))
}
vm_info() { echo "HUSKVM info $*"; }

# check NAME FUNC [ARGS...]: run FUNC in a subshell with its output captured; ok when it
# returns 0, skip when it returns 77 (last output line is the reason), fail otherwise (the last
# lines of its output become the reason). Set HUSKVM_ONLY="name1 name2" to run a subset.
check() {
    name=$1
    shift
    if [ -n "${HUSKVM_ONLY:-}" ]; then
        case " $HUSKVM_ONLY " in *" $name "*) ;; *) return 0 ;; esac
    fi
    out=$( ("$@") 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        vm_ok "$name"
    elif [ "$rc" -eq 77 ]; then
        vm_skip "$name" "$(printf '%s\n' "$out" | tail -n 1)"
    else
        vm_fail "$name" "rc=$rc: $(printf '%s\n' "$out" | tail -n 4 | tr '\n' ' ' | cut -c1-400)"
    fi
}

# skip_unless COND-COMMAND REASON: inside a check, skip (rc 77) unless the command succeeds.
skip_unless() {
    if ! eval "$1" >/dev/null 2>&1; then
        echo "$2"
        exit 77
    fi
}

vm_done() {
    echo "HUSKVM done $HUSKVM_PASSED passed, $HUSKVM_FAILED failed, $HUSKVM_SKIPPED skipped"
}

# json_str S: S as a JSON string literal (escapes \ and ").
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# mkbundle DIR ARG...: a bundle in DIR whose rootfs holds busybox (hard-linked: no copy in RAM)
# with its applets, and a config.json running ARG... as root with new pid, mount, uts, ipc and
# net namespaces, hostname "huskvm", /proc, /dev and /sys mounted.
# Extra JSON for "linux" can be given in $BUNDLE_LINUX_EXTRA (e.g. ',"seccomp":{...}'), extra
# process fields in $BUNDLE_PROCESS_EXTRA, extra top-level fields in $BUNDLE_EXTRA.
mkbundle() {
    dir=$1
    shift
    rm -rf "$dir"
    mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys" \
        "$dir/rootfs/tmp" "$dir/rootfs/etc"
    ln /bin/busybox "$dir/rootfs/bin/busybox" 2>/dev/null || cp /bin/busybox "$dir/rootfs/bin/busybox"
    for a in sh echo cat hostname sleep true false ls mount grep id ps stat test wc readlink; do
        ln -s busybox "$dir/rootfs/bin/$a"
    done
    args=""
    for a in "$@"; do
        args="$args${args:+, }$(json_str "$a")"
    done
    cat >"$dir/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": [$args],
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/"${BUNDLE_PROCESS_EXTRA:-}
  },
  "root": {"path": "rootfs", "readonly": false},
  "hostname": "huskvm",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "network"}
    ]${BUNDLE_LINUX_EXTRA:-}
  }${BUNDLE_EXTRA:-}
}
EOF
}

# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" != "$3" ]; then
        echo "$1: got '$2', want '$3'"
        return 1
    fi
}

# husk_state_status ID: the "status" field of `husk state ID` (empty on error).
husk_state_status() {
    "$HUSK" state "$1" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

# wait_status ID WANT [TRIES]: poll `husk state` (0.1 s apart) until status is WANT.
wait_status() {
    i=0
    while [ "$i" -lt "${3:-50}" ]; do
        [ "$(husk_state_status "$1")" = "$2" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "$1: status '$(husk_state_status "$1")', want '$2'"
    return 1
}

# cleanup ID: remove a container whatever its state (quietly).
cleanup() { "$HUSK" delete --force "$1" >/dev/null 2>&1 || true; }
