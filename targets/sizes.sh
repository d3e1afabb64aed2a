#!/usr/bin/env bash
# targets/sizes.sh [-- CARGO_ARGS...] — build husk for every arch, standard and tiny, and print a
# markdown table of the binary sizes (bytes and KiB). Uses targets/build.sh; needs targets/setup.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/targets/arch.sh"
kib() { awk -v s="$1" 'BEGIN {printf "%.1f KiB", s / 1024}'; }
rows=()
for arch in $ALL_ARCHES; do
    arch_vars "$arch"
    std=$("$ROOT/targets/build.sh" "$arch" --print-path "$@" 2>/dev/null) || std=""
    tiny=$("$ROOT/targets/build.sh" "$arch" --tiny --print-path "$@" 2>/dev/null) || tiny=""
    s=$([ -n "$std" ] && stat -c %s "$std" || echo 0)
    t=$([ -n "$tiny" ] && stat -c %s "$tiny" || echo 0)
    rows+=("| $arch | $TRIPLE | $([ "$s" -gt 0 ] && echo "$s ($(kib "$s"))" || echo "build failed") | $([ "$t" -gt 0 ] && echo "$t ($(kib "$t"))" || echo "build failed") |")
done
echo "| arch | target | standard (bytes) | tiny (bytes) |"
echo "| --- | --- | ---: | ---: |"
printf '%s\n' "${rows[@]}"
