#!/usr/bin/env bash
# Run bench.py in a private mount namespace where the hybrid host's cgroup2
# (/sys/fs/cgroup/unified) is unmounted: crun 1.8 refuses hybrid hosts
# ("cgroups in hybrid mode not supported"), husk and runc do not care. All
# runtimes run in the same namespace, so the comparison stays fair.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin husk --example peak_rss
# The tiny build is benchmarked too when it builds here (nightly, targets/setup.sh's sysroot).
targets/build.sh x86_64 --tiny >/dev/null 2>&1 || echo "bench.sh: no tiny build (see targets/README.md)" >&2
exec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec python3 bench/bench.py "$@"' bench "$@"
