#!/usr/bin/env bash
# targets/test.sh ARCH [CARGO_TEST_ARGS...] — run husk's unit tests for ARCH under qemu-user
# (the runner in .cargo/config.toml; binfmt is registered by targets/setup.sh).
# Default arguments: --bins (the unit tests). The integration tests need namespaces, which
# qemu-user cannot create: those run in the VMs (targets/vm.sh, tests/vm.rs).
# armv7/riscv64 build the standard library with nightly -Zbuild-std (with panic_unwind: the
# test harness unwinds). The tests run with the default thread stack (2 MiB): the config's
# arrays live on the heap, so even the containerd-style config parses in a debug build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/targets/arch.sh"
[ $# -ge 1 ] || { echo "usage: targets/test.sh ARCH [cargo test args] (ARCH: $ALL_ARCHES)" >&2; exit 2; }
arch_vars "$1"
shift
[ $# -gt 0 ] || set -- --bins
cd "$ROOT"
if [ "$TOOLCHAIN" = nightly ]; then
    exec cargo +nightly test -j "${HUSK_JOBS:-2}" -Zbuild-std --target "$TRIPLE" "$@"
fi
exec cargo test -j "${HUSK_JOBS:-2}" --target "$TRIPLE" "$@"
