#!/usr/bin/env bash
# End to end on a fresh Debian machine: build husk (release) and the test payload, build a small
# busybox rootfs bundle in a temp dir, write its config.json with `husk spec`, run a real
# container that prints what it sees, then clean up. Run as root.
#
#   scripts/demo.sh                      # build and use husk
#   HUSK=/usr/sbin/runc scripts/demo.sh  # same bundle with another runtime
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: run as root (containers need it)" >&2
    exit 1
fi
if [ ! -x /bin/busybox ]; then
    echo "== installing busybox-static"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    rustup target add x86_64-unknown-linux-musl
fi

echo "== building husk and the payload (release)"
cargo build --release --bin husk --example payload
out="$(cargo metadata --format-version 1 --no-deps 2>/dev/null | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
out="${out:-target}/x86_64-unknown-linux-musl/release"
husk="${HUSK:-$out/husk}"

work="$(mktemp -d /tmp/husk-demo.XXXXXX)"
id="husk-demo-$$"
cleanup() {
    "$husk" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
    # never rm -rf through a mount left behind
    if grep -q " $work" /proc/self/mountinfo; then
        echo "demo.sh: mounts left under $work, not removing it" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

echo "== building a busybox rootfs in $work/bundle"
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs"/{bin,proc,sys,dev,etc,tmp,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
cp "$out/examples/payload" "$rootfs/payload"
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"

echo "== $husk spec"
"$husk" spec --bundle "$work/bundle"
# No terminal (stdout is whatever called us) and our own command; the rest as `spec` wrote it.
cmd='echo hello from a husk container: host $(hostname), pid $$, uid $(id -u); /payload report | grep -E "^(pid|uid|cwd|ns.pid)="'
cmd="${cmd//\"/\\\"}"
ARGS="[\"/bin/sh\", \"-c\", \"$cmd\"]" perl -0pi -e '
    s/"terminal"\s*:\s*true/"terminal": false/;
    s/"args"\s*:\s*\[[^\]]*\]/"args": $ENV{ARGS}/s;
' "$work/bundle/config.json"

echo "== $husk run"
"$husk" --root "$work/state" run --bundle "$work/bundle" "$id"
echo "== done: container exited 0, cleaning up"
