# shellcheck shell=sh
# tests/vm/run.sh — runs inside the VM (started by /init): the standard checks, then every extra
# script given to targets/vm.sh with --bundle-script (copied to /checks/extra/NN-name.sh).
. /checks/lib.sh
mkdir -p "$BUNDLES"
. /checks/checks.sh
for f in /checks/extra/*.sh; do
    [ -e "$f" ] || continue
    vm_info extra "$(basename "$f")"
    # shellcheck disable=SC1090
    . "$f"
done
vm_done
