#!/usr/bin/env bash
# scripts/test-tiny.sh — build the tiny x86_64 binary (the size-tuned build for boards: nightly
# build-std, see targets/build.sh --tiny) and run the integration tests against it
# (HUSK_TEST_RUNTIME), so the build that ships is the build that is tested. Needs root, nightly
# with rust-src and the musl sysroot of targets/setup.sh; extra arguments go to `cargo test`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
tiny=$(targets/build.sh x86_64 --tiny --print-path)
echo "tiny build: $(stat -c %s "$tiny") bytes ($tiny)"
# Every integration test binary but tests/vm.rs (the VMs boot their own builds).
tests=()
for f in tests/*.rs; do
    n=$(basename "$f" .rs)
    [ "$n" = vm ] || tests+=(--test "$n")
done
HUSK_TEST_RUNTIME=$tiny cargo test --release --no-fail-fast "${tests[@]}" "$@"
