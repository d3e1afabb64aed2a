#!/usr/bin/env bash
# targets/build.sh ARCH [--tiny] [--print-path] [-- CARGO_ARGS...]
#   Build husk (release) for ARCH = x86_64 | aarch64 | armv7 | riscv64 and print its size.
#
#   x86_64, aarch64   stable cargo, rustup's rust-std (musl crt objects self-contained).
#   armv7, riscv64    cargo +nightly -Zbuild-std=std,panic_abort; linked by targets/link/ARCH-ld
#                     (rust-lld + the musl sysroot from targets/setup.sh).
#   --tiny            any arch: nightly build-std with -Zbuild-std-features=optimize_for_size and
#                     panic = "immediate-abort" (a panic is a trap: no message, no unwinding
#                     code), linked against the sysroot by targets/link/ARCH-ld. Output goes to
#                     $CARGO_TARGET_DIR/tiny so it never overwrites the standard build.
#   --print-path      print only the binary's path on stdout (for scripts)
#   Extra cargo arguments follow "--" (e.g. `-- --manifest-path other/Cargo.toml --bin x`);
#   `-- --example payload` builds the test payload (examples/payload.rs) for ARCH.
#
# The per-target linker/rustflags/runner live in .cargo/config.toml; this script only adds what
# cannot live there (toolchain choice, -Z flags, the tiny profile). Jobs: $HUSK_JOBS (default 2).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/targets/arch.sh"
ARCH=""
TINY=0
PRINT_PATH=0
EXTRA=()
while [ $# -gt 0 ]; do
    case $1 in
    --tiny) TINY=1 ;;
    --print-path) PRINT_PATH=1 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) ARCH=$1 ;;
    esac
    shift
done
[ -n "$ARCH" ] || { echo "usage: targets/build.sh ARCH [--tiny] [--print-path] (ARCH: $ALL_ARCHES)" >&2; exit 2; }
arch_vars "$ARCH"

cd "$ROOT" # .cargo/config.toml is found from the working directory
TDIR=${CARGO_TARGET_DIR:-$ROOT/target}
JOBS=${HUSK_JOBS:-2}
CARGO=(cargo)
ARGS=(build --release --target "$TRIPLE" -j "$JOBS")
if [ "$TINY" = 1 ]; then
    TDIR=$TDIR/tiny
    CARGO=(cargo +nightly)
    # Each flag and what it saves on x86_64 (bytes, measured with this script):
    #   link-self-contained=no, the ARCH-ld linker: link against the sysroot's musl
    #   force-unwind-tables=no          no .eh_frame: nothing unwinds (panics are traps)   ~100 K
    #   -Zlocation-detail=none          no file/line strings for panics that cannot print      ~1 K
    #   relocation-model=static         a plain static executable, no .rela.dyn (no ASLR)    ~16 K
    #   --icf=all                       identical functions folded by the linker              ~1 K
    #   -enable-machine-outliner=always repeated instruction sequences become calls           ~6 K
    #   -inline-threshold=0             inline only what is called once or is trivial         ~2 K
    # Both LLVM flags make code a little slower; husk's time is in system calls.
    # The integration tests run against this build too (.ci/run, HUSK_TEST_RUNTIME).
    flags=(-C link-self-contained=no -C force-unwind-tables=no -Zlocation-detail=none
        -C relocation-model=static -C link-arg=--icf=all
        -C llvm-args=-enable-machine-outliner=always -C llvm-args=-inline-threshold=0)
    toml=$(printf '"%s",' "${flags[@]}")
    # shellcheck disable=SC2054 # commas belong to the -Z values
    ARGS+=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
        -Zpanic-immediate-abort --config 'profile.release.panic="immediate-abort"'
        --config "target.$TRIPLE.linker=\"targets/link/$ARCH-ld\""
        --config "target.$TRIPLE.rustflags=[${toml%,}]")
    # rustflags arrays from --config are appended to those of .cargo/config.toml; x86_64 and
    # aarch64 already carry +crt-static there, armv7/riscv64 also link-self-contained=no.
elif [ "$TOOLCHAIN" = nightly ]; then
    CARGO=(cargo +nightly)
    # shellcheck disable=SC2054
    ARGS+=(-Zbuild-std=std,panic_abort)
fi

SYS=${HUSK_CACHE:-$ROOT/target/cross}/sysroots/$ARCH
if { [ "$TINY" = 1 ] || [ "$TOOLCHAIN" = nightly ]; } && [ ! -s "$SYS/lib/libc.a" ]; then
    echo "build.sh: no musl sysroot in $SYS: run targets/setup.sh first" >&2
    exit 1
fi

# The package name decides the binary's name (husk, unless --manifest-path points elsewhere);
# `--example NAME` builds an example (e.g. the test payload), found under release/examples/.
BIN=husk
SUB=""
for ((i = 0; i < ${#EXTRA[@]}; i++)); do
    case ${EXTRA[$i]} in
    --bin) BIN=${EXTRA[$((i + 1))]:-husk} ;;
    --example) BIN=${EXTRA[$((i + 1))]:-payload} SUB=examples/ ;;
    --manifest-path) BIN=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "${EXTRA[$((i + 1))]}" | head -n1) ;;
    esac
done

if [ "$PRINT_PATH" = 1 ]; then
    CARGO_TARGET_DIR=$TDIR "${CARGO[@]}" "${ARGS[@]}" "${EXTRA[@]}" >&2
else
    CARGO_TARGET_DIR=$TDIR "${CARGO[@]}" "${ARGS[@]}" "${EXTRA[@]}"
fi
OUT=$TDIR/$TRIPLE/release/$SUB$BIN
[ -x "$OUT" ] || { echo "build.sh: no binary at $OUT" >&2; exit 1; }
if [ "$PRINT_PATH" = 1 ]; then
    printf '%s\n' "$OUT"
else
    size=$(stat -c %s "$OUT")
    printf '%s %s%s: %d bytes (%.1f KiB) %s\n' "$BIN" "$ARCH" "$([ "$TINY" = 1 ] && echo ' tiny')" \
        "$size" "$(awk -v s="$size" 'BEGIN {print s / 1024}')" "$OUT"
fi
