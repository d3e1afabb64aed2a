#!/usr/bin/env bash
# targets/vm.sh ARCH [options] — boot a Debian kernel for ARCH under qemu-system (TCG) with a
# gzip cpio initramfs holding husk, busybox-static and the checks of tests/vm/, run the container
# lifecycle from the initramfs (/ stays rootfs, so husk's automatic MS_MOVE+chroot fallback is
# what runs), print the results and power off.
#
# ARCH: x86_64 | aarch64 | armv7 | riscv64   (inputs from targets/setup.sh)
# Options:
#   --cgroup-v2           boot with cgroup_no_v1=all, cgroup2 mounted at /sys/fs/cgroup
#   --cgroup MODE         v2 | v1 | hybrid (default: hybrid, like this machine family) | none
#   --bundle-script F     extra check script, sourced in the VM after tests/vm/checks.sh with
#                         the helpers of tests/vm/lib.sh (repeatable)
#   --add SRC=DEST        put host file SRC at DEST in the initramfs (e.g. a test payload built
#                         for ARCH; repeatable)
#   --seccomp             also run the seccomp enforcement checks of tests/vm/seccomp.sh: builds
#                         examples/payload.rs for ARCH (/bin/payload; on aarch64 also the armv7
#                         build as /bin/payload-arm, for the compat arm ABI) and adds
#                         tests/fixtures/seccomp-default.json (qemu-user cannot load seccomp)
#   --payload PATH        with --seccomp: use this payload binary (built for ARCH) instead
#   --only "A B"          run only the named checks
#   --husk PATH           use this husk binary (default: targets/build.sh ARCH)
#   --tiny                use the tiny build of husk
#   --timeout S           kill the VM after S seconds (default 600; TCG is slow)
#   --smp N               virtual CPUs (default 1: the host has 2 cores for everyone)
#   --verbose             full kernel log on the console (default: quiet)
# Output: the VM's console goes to target/cross/vm/ARCH/console.log; the HUSKVM lines are printed
# as they arrive with seconds since qemu started, then a summary:
#   VM ARCH: N passed, M failed, K skipped; boot-to-result S s
# Exit status: 0 when the VM reported "done" with no failure, 1 on failures, 2 on usage or
# missing prerequisites, 3 when the VM never reported "done" (boot problem or timeout).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/targets/arch.sh"
CACHE=${HUSK_CACHE:-$ROOT/target/cross}
ARCH=""
CGROUP=hybrid
EXTRA_SCRIPTS=()
ADDS=()
ONLY=""
HUSK_BIN=""
TINY=0
SECCOMP=0
PAYLOAD_BIN=""
TIMEOUT=${HUSK_VM_TIMEOUT:-600}
SMP=${HUSK_VM_SMP:-1}
VERBOSE=0
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    --cgroup-v2) CGROUP=v2 ;;
    --cgroup) CGROUP=$2; shift ;;
    --bundle-script) EXTRA_SCRIPTS+=("$2"); shift ;;
    --add) ADDS+=("$2"); shift ;;
    --seccomp) SECCOMP=1 ;;
    --payload) PAYLOAD_BIN=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --husk) HUSK_BIN=$2; shift ;;
    --tiny) TINY=1 ;;
    --timeout) TIMEOUT=$2; shift ;;
    --smp) SMP=$2; shift ;;
    --verbose) VERBOSE=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
    *) ARCH=$1 ;;
    esac
    shift
done
[ -n "$ARCH" ] || { usage >&2; exit 2; }
arch_vars "$ARCH" || exit 2
case $CGROUP in v1 | v2 | hybrid | none) ;; *) echo "vm.sh: bad --cgroup $CGROUP" >&2; exit 2 ;; esac

VMDIR=$CACHE/vm/$ARCH
for f in kernel busybox; do
    [ -s "$VMDIR/$f" ] || { echo "vm.sh: $VMDIR/$f missing: run targets/setup.sh" >&2; exit 2; }
done
command -v "$QEMU_SYSTEM" >/dev/null || { echo "vm.sh: $QEMU_SYSTEM not installed: run targets/setup.sh" >&2; exit 2; }
command -v cpio >/dev/null || { echo "vm.sh: cpio not installed: run targets/setup.sh" >&2; exit 2; }

if [ -z "$HUSK_BIN" ]; then
    b=(--print-path)
    [ "$TINY" = 1 ] && b+=(--tiny)
    HUSK_BIN=$("$ROOT/targets/build.sh" "$ARCH" "${b[@]}") || { echo "vm.sh: building husk for $ARCH failed" >&2; exit 2; }
fi
[ -x "$HUSK_BIN" ] || { echo "vm.sh: no husk binary at $HUSK_BIN" >&2; exit 2; }
if [ "$SECCOMP" = 1 ]; then
    # The payload shares husk's target dir, profile and dependencies: an incremental build.
    if [ -z "$PAYLOAD_BIN" ]; then
        PAYLOAD_BIN=$("$ROOT/targets/build.sh" "$ARCH" --print-path -- --example payload) ||
            { echo "vm.sh: building the payload for $ARCH failed" >&2; exit 2; }
    fi
    [ -x "$PAYLOAD_BIN" ] || { echo "vm.sh: no payload binary at $PAYLOAD_BIN" >&2; exit 2; }
    ADDS+=("$PAYLOAD_BIN=/bin/payload")
    if [ "$ARCH" = aarch64 ] && [ -s "$CACHE/sysroots/armv7/lib/libc.a" ]; then
        p=$("$ROOT/targets/build.sh" armv7 --print-path -- --example payload) ||
            { echo "vm.sh: building the armv7 payload failed" >&2; exit 2; }
        ADDS+=("$p=/bin/payload-arm")
    fi
    ADDS+=("$ROOT/tests/fixtures/seccomp-default.json=/checks/seccomp-default.json")
    EXTRA_SCRIPTS+=("$ROOT/tests/vm/seccomp.sh")
fi

# --- the initramfs ----------------------------------------------------------------------------
STAGE=$VMDIR/initramfs
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,dev,proc,sys,run,tmp,etc,checks/extra,bundles}
cp "$VMDIR/busybox" "$STAGE/bin/busybox"
cp "$HUSK_BIN" "$STAGE/bin/husk"
cp "$ROOT/tests/vm/init.sh" "$STAGE/init"
cp "$ROOT/tests/vm/lib.sh" "$ROOT/tests/vm/checks.sh" "$ROOT/tests/vm/run.sh" "$STAGE/checks/"
chmod 755 "$STAGE/init" "$STAGE/bin/busybox" "$STAGE/bin/husk"
ln -s busybox "$STAGE/bin/sh"
i=0
for f in "${EXTRA_SCRIPTS[@]}"; do
    i=$((i + 1))
    cp "$f" "$STAGE/checks/extra/$(printf '%02d' "$i")-$(basename "$f" .sh).sh"
done
for a in "${ADDS[@]}"; do
    src=${a%%=*}
    dst=${a#*=}
    mkdir -p "$STAGE/$(dirname "$dst")"
    cp -a "$src" "$STAGE/$dst"
done
{
    echo "HUSKVM_ARCH=$ARCH"
    echo "HUSKVM_CGROUP=$CGROUP"
    echo "HUSKVM_ONLY=\"$ONLY\""
    echo "export HUSKVM_ARCH HUSKVM_CGROUP HUSKVM_ONLY"
} >"$STAGE/etc/huskvm.conf"
# The kernel opens /dev/console for /init before anything is mounted.
if [ "$(id -u)" = 0 ]; then
    mknod -m 600 "$STAGE/dev/console" c 5 1
    mknod -m 666 "$STAGE/dev/null" c 1 3
fi
INITRD=$VMDIR/initramfs.cpio.gz
(cd "$STAGE" && find . -print0 | sort -z | cpio --null -o -H newc -R 0:0 --quiet | gzip -1) >"$INITRD"

# --- boot -------------------------------------------------------------------------------------
APPEND="console=$CONSOLE panic=-1 rdinit=/init"
[ "$VERBOSE" = 1 ] || APPEND="$APPEND quiet loglevel=3"
[ "$CGROUP" = v2 ] && APPEND="$APPEND cgroup_no_v1=all"
# shellcheck disable=SC2206
QEMU=("$QEMU_SYSTEM" $QEMU_MACHINE -m 512 -smp "$SMP" -display none -monitor none
    -serial stdio -no-reboot -kernel "$VMDIR/kernel" -initrd "$INITRD" -append "$APPEND")
LOG=$VMDIR/console.log
echo "vm.sh: booting $ARCH (kernel $(cat "$VMDIR/kernel.version" 2>/dev/null), husk $(stat -c %s "$HUSK_BIN") bytes, initramfs $(stat -c %s "$INITRD") bytes, cgroup $CGROUP)" >&2
[ "$VERBOSE" = 1 ] && echo "vm.sh: ${QEMU[*]}" >&2

T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'; }
PASSED=0 FAILED=0 SKIPPED=0 DONE="" RESULT_T=""
: >"$LOG"
while IFS= read -r line; do
    line=${line%$'\r'}
    printf '%s\n' "$line" >>"$LOG"
    case $line in
    *HUSKVM\ *)
        line=HUSKVM${line#*HUSKVM}
        printf '[%6ss] %s\n' "$(elapsed)" "$line"
        case $line in
        "HUSKVM done "*)
            DONE=$line
            RESULT_T=$(elapsed)
            read -r _ _ PASSED _ FAILED _ SKIPPED _ <<<"${line//,/}"
            ;;
        esac
        ;;
    esac
done < <(timeout --foreground -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1 || echo "HUSKVM-EXIT $?")
TOTAL=$(elapsed)

if [ -z "$DONE" ]; then
    echo "VM $ARCH: no result after ${TOTAL} s (timeout ${TIMEOUT} s or boot failure); last console lines:" >&2
    tail -n 25 "$LOG" >&2
    exit 3
fi
echo "VM $ARCH: $PASSED passed, $FAILED failed, $SKIPPED skipped; boot-to-result $RESULT_T s (qemu exit after $TOTAL s)"
[ "$FAILED" = 0 ] || exit 1
