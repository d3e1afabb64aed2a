#!/usr/bin/env bash
# targets/setup.sh — make a fresh Debian 12 (bookworm) x86_64 machine ready to cross-build husk
# for x86_64, aarch64, armv7 and riscv64 and to boot the initramfs test VMs (targets/vm.sh).
#
# Idempotent: every step checks what is already there, so a rerun on a warm cache takes seconds.
#
# What it does:
#   1. host packages: qemu-system-{x86,arm,misc} and qemu-user-static from bookworm-backports
#      (this image's qemu-utils comes from backports and conflicts with bookworm's
#      qemu-system-common), clang + llvm (libunwind build), cpio, busybox-static;
#      registers qemu-user binfmt handlers when binfmt_misc is not set up.
#   2. rustup: stable x86_64/aarch64 musl targets; nightly with rust-src (build-std for
#      armv7/riscv64 and the tiny builds; the dist server has no nightly aarch64-musl rust-std).
#   3. per-arch .debs (musl-dev, busybox-static, linux-image) fetched with `apt-get download`
#      under a PRIVATE apt configuration in $HUSK_CACHE/apt (own sources.list, lists, status,
#      cache; the host's dpkg architectures are never touched).
#   4. musl sysroots in $HUSK_CACHE/sysroots/ARCH (crt1.o crti.o crtn.o libc.a libunwind.a):
#      armv7 and riscv64 from Debian's musl-dev plus libunwind.a built with clang from nightly's
#      rust-src; x86_64 and aarch64 copied from stable's rust-std "self-contained" directory
#      (used by the tiny builds, which link with link-self-contained=no on nightly).
#   5. per-arch VM inputs in $HUSK_CACHE/vm/ARCH: the kernel and busybox (used by targets/vm.sh).
#
# Usage: targets/setup.sh [--no-vm] [--no-host]
#   --no-vm    skip kernels (cross-building only)
#   --no-host  skip apt-get install / binfmt on the host (for machines that have them already)
# Cache: $HUSK_CACHE (default: <repo>/target/cross). Delete it to start cold.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/targets/arch.sh"
CACHE=${HUSK_CACHE:-$ROOT/target/cross}
WANT_VM=1
WANT_HOST=1
for a in "$@"; do
    case $a in
    --no-vm) WANT_VM=0 ;;
    --no-host) WANT_HOST=0 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
START=$(date +%s.%N)
mkdir -p "$CACHE"
say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# 1. Host packages
# ---------------------------------------------------------------------------------------------
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

host_packages() {
    local bpo=(qemu-system-x86 qemu-system-arm qemu-system-misc qemu-user-static)
    local std=(clang llvm cpio busybox-static file)
    local missing_bpo=() missing_std=() p
    for p in "${bpo[@]}"; do have_pkg "$p" || missing_bpo+=("$p"); done
    for p in "${std[@]}"; do have_pkg "$p" || missing_std+=("$p"); done
    if [ ${#missing_bpo[@]} -eq 0 ] && [ ${#missing_std[@]} -eq 0 ]; then
        say "host packages: present"
        return
    fi
    local src=/etc/apt/sources.list.d/bookworm-backports.sources
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        say "adding bookworm-backports ($src)"
        cat >"$src" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    say "apt-get update"
    apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    if [ ${#missing_bpo[@]} -gt 0 ]; then
        say "installing from bookworm-backports: ${missing_bpo[*]}"
        apt-get install -y -qq --no-install-recommends -t bookworm-backports "${missing_bpo[@]}" >/dev/null
    fi
    if [ ${#missing_std[@]} -gt 0 ]; then
        say "installing: ${missing_std[*]}"
        apt-get install -y -qq --no-install-recommends "${missing_std[@]}" >/dev/null
    fi
}

# qemu-user-static ships binfmt.d files with the F (fix-binary) flag; register them unless
# systemd-binfmt (or binfmt-support) already did. Needed for `cargo test --target X` without
# a runner and for running foreign binaries directly.
host_binfmt() {
    local d=/proc/sys/fs/binfmt_misc
    if [ ! -e "$d/register" ]; then
        mount -t binfmt_misc binfmt_misc "$d" 2>/dev/null || { say "binfmt_misc: cannot mount (skipped)"; return; }
    fi
    local f name line n=0
    for f in /usr/lib/binfmt.d/qemu-{aarch64,arm,riscv64}.conf; do
        [ -r "$f" ] || continue
        name=$(basename "$f" .conf)
        [ -e "$d/$name" ] && continue
        line=$(grep -v '^#' "$f" | head -n1)
        printf '%s' "$line" >"$d/register" && n=$((n + 1))
    done
    local active=("$d"/qemu-*)
    [ -e "${active[0]}" ] || active=()
    say "binfmt: $n handler(s) registered (${#active[@]} qemu handlers active)"
}

# ---------------------------------------------------------------------------------------------
# 2. Rust toolchains
# ---------------------------------------------------------------------------------------------
rust_toolchains() {
    command -v rustup >/dev/null || die "rustup not found (install the Rust toolchain first)"
    local installed
    installed=$(rustup target list --installed 2>/dev/null || true)
    local t add=()
    for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
        grep -qx "$t" <<<"$installed" || add+=("$t")
    done
    if [ ${#add[@]} -gt 0 ]; then
        say "rustup target add ${add[*]} (stable)"
        rustup target add "${add[@]}" >/dev/null
    fi
    if ! rustup toolchain list | grep -q '^nightly'; then
        say "rustup toolchain install nightly"
        rustup toolchain install nightly --profile minimal --component rust-src >/dev/null
    fi
    local nsys
    nsys=$(rustc +nightly --print sysroot)
    if [ ! -d "$nsys/lib/rustlib/src/rust/library" ]; then
        say "rustup +nightly component add rust-src"
        rustup +nightly component add rust-src >/dev/null
    fi
    say "rust: stable $(rustc --version | cut -d' ' -f2), nightly $(rustc +nightly --version | cut -d' ' -f2-4)"
}

# ---------------------------------------------------------------------------------------------
# 3. Private apt: download foreign .debs without touching the host's dpkg
# ---------------------------------------------------------------------------------------------
# priv_apt SUITE ARCHES... : prepare $CACHE/apt/SUITE and run `apt-get update` there (once a day).
priv_apt_conf() {
    local suite=$1 archs=$2 a="$CACHE/apt/$1"
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/sources.list.d" "$a/preferences.d"
    [ -e "$a/status" ] || : >"$a/status"
    printf 'deb [arch=%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' \
        "$archs" "$suite" >"$a/sources.list"
    {
        printf 'Dir::Etc::SourceList "%s/sources.list";\n' "$a"
        printf 'Dir::Etc::SourceParts "%s/sources.list.d";\n' "$a"
        printf 'Dir::Etc::Preferences "%s/preferences";\n' "$a"
        printf 'Dir::Etc::PreferencesParts "%s/preferences.d";\n' "$a"
        printf 'Dir::State "%s";\n' "$a"
        printf 'Dir::State::Lists "%s/lists";\n' "$a"
        printf 'Dir::State::status "%s/status";\n' "$a"
        printf 'Dir::Cache "%s/cache";\n' "$a"
        printf 'Acquire::Languages "none";\n'
        printf 'APT::Sandbox::User "root";\n'
        printf 'APT::Architecture "amd64";\n'
        printf 'APT::Architectures { '
        local x
        for x in ${archs//,/ }; do printf '"%s"; ' "$x"; done
        printf '};\n'
    } >"$a/apt.conf"
}
priv_apt() { local suite=$1; shift; APT_CONFIG="$CACHE/apt/$suite/apt.conf" "$@"; }

priv_apt_update() {
    local suite=$1 a="$CACHE/apt/$1"
    if [ -n "$(find "$a/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
        return
    fi
    say "apt-get update (private, $suite)"
    priv_apt "$suite" apt-get update -qq
}

# fetch SUITE PKG:ARCH -> prints the path of the downloaded .deb (cached in $CACHE/debs)
fetch() {
    local suite=$1 spec=$2 debs="$CACHE/debs"
    mkdir -p "$debs"
    local name=${spec%%:*} arch=${spec##*:}
    local stamp="$debs/$suite-$name-$arch.path"
    if [ -s "$stamp" ] && [ -s "$(cat "$stamp")" ]; then
        cat "$stamp"
        return
    fi
    priv_apt_update "$suite"
    local ver
    ver=$(priv_apt "$suite" apt-cache policy "$spec" | awk '/Candidate:/ {print $2}')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $spec in $suite"
    say "downloading $spec $ver ($suite)"
    (cd "$debs" && priv_apt "$suite" apt-get download -qq "$spec=$ver" >/dev/null)
    local f
    f=$(ls -t "$debs/${name}_"*"_$arch.deb" 2>/dev/null | head -n1)
    [ -s "$f" ] || die "download of $spec failed"
    printf '%s\n' "$f" >"$stamp"
    printf '%s\n' "$f"
}

# kernel_pkg SUITE META:ARCH -> the versioned linux-image package the metapackage depends on
kernel_pkg() {
    local suite=$1 spec=$2
    priv_apt_update "$suite"
    priv_apt "$suite" apt-cache depends "$spec" | awk '/Depends: linux-image-[0-9]/ {sub(/:.*/, "", $2); print $2; exit}'
}

# ---------------------------------------------------------------------------------------------
# 4. Sysroots (armv7, riscv64): musl crt objects + libc.a + libunwind.a
# ---------------------------------------------------------------------------------------------
build_sysroot() {
    local arch=$1
    arch_vars "$arch"
    local sys="$CACHE/sysroots/$arch"
    if [ -s "$sys/lib/libunwind.a" ] && [ -s "$sys/lib/libc.a" ] && [ -s "$sys/lib/rcrt1.o" ]; then
        say "sysroot $arch: present"
        return
    fi
    if [ "$TOOLCHAIN" = stable ]; then
        local sc
        sc="$(rustc --print sysroot)/lib/rustlib/$TRIPLE/lib/self-contained"
        [ -s "$sc/libc.a" ] || die "no $sc (rustup target add $TRIPLE)"
        mkdir -p "$sys/lib"
        cp "$sc"/crt1.o "$sc"/rcrt1.o "$sc"/crti.o "$sc"/crtn.o "$sc"/libc.a "$sc"/libunwind.a "$sys/lib/"
        say "sysroot $arch: copied from stable rust-std"
        return
    fi
    local deb
    deb=$(fetch "$MUSL_SUITE" "musl-dev:$DEB_ARCH")
    local x="$CACHE/extract/musl-dev-$arch"
    rm -rf "$x" "$sys"
    mkdir -p "$x" "$sys/lib" "$sys/include"
    dpkg-deb -x "$deb" "$x"
    # Debian puts musl in /usr/lib/musl/{lib,include} (or /usr/lib/<triplet>/musl on newer releases)
    local lib inc
    lib=$(dirname "$(find "$x" -name crt1.o -path '*musl*' | head -n1)")
    inc=$(dirname "$(find "$x" -name stdio.h -path '*musl*' | head -n1)")
    [ -d "$lib" ] && [ -d "$inc" ] || die "musl-dev $arch: unexpected layout"
    cp "$lib"/crt1.o "$lib"/rcrt1.o "$lib"/crti.o "$lib"/crtn.o "$lib"/libc.a "$sys/lib/"
    cp -r "$inc"/. "$sys/include/"
    build_libunwind "$arch" "$sys"
    say "sysroot $arch: built in $sys"
}

# libunwind.a, as rust's bootstrap builds it (src/bootstrap/src/core/build_steps/llvm.rs, Libunwind)
build_libunwind() {
    local arch=$1 sys=$2
    local src
    src="$(rustc +nightly --print sysroot)/lib/rustlib/src/rust/src/llvm-project/libunwind"
    [ -d "$src/src" ] || die "nightly rust-src has no llvm-project/libunwind"
    local o="$CACHE/extract/libunwind-$arch"
    rm -rf "$o"
    mkdir -p "$o"
    # shellcheck disable=SC2206 # CLANG_FLAGS is a list of words
    local common=(--target="$CLANG_TRIPLE" $CLANG_FLAGS -nostdinc -isystem "$sys/include"
        -isystem "$(clang -print-resource-dir)/include" -I "$src/include"
        -O2 -fPIC -funwind-tables -fvisibility=hidden -fstrict-aliasing
        -D_LIBUNWIND_DISABLE_VISIBILITY_ANNOTATIONS -D_LIBUNWIND_IS_NATIVE_ONLY -DNDEBUG
        -D_LIBUNWIND_HAS_NO_THREADS=0)
    local f
    for f in UnwindLevel1.c UnwindLevel1-gcc-ext.c Unwind-sjlj.c; do
        clang "${common[@]}" -std=c99 -c "$src/src/$f" -o "$o/${f%.*}.o"
    done
    for f in libunwind.cpp Unwind-EHABI.cpp; do
        clang "${common[@]}" -x c++ -std=c++17 -nostdinc++ -fno-exceptions -fno-rtti \
            -c "$src/src/$f" -o "$o/${f%.*}.o"
    done
    for f in UnwindRegistersSave.S UnwindRegistersRestore.S; do
        clang "${common[@]}" -c "$src/src/$f" -o "$o/${f%.*}.o"
    done
    rm -f "$sys/lib/libunwind.a"
    llvm-ar rcs "$sys/lib/libunwind.a" "$o"/*.o
}

# ---------------------------------------------------------------------------------------------
# 5. VM inputs: kernel + busybox per arch
# ---------------------------------------------------------------------------------------------
vm_inputs() {
    local arch=$1
    arch_vars "$arch"
    local out="$CACHE/vm/$arch"
    if [ -s "$out/kernel" ] && [ -s "$out/busybox" ] && [ -s "$out/kernel.version" ]; then
        say "vm $arch: kernel $(cat "$out/kernel.version"), busybox present"
        return
    fi
    mkdir -p "$out"
    local x="$CACHE/extract/vm-$arch"
    rm -rf "$x"
    mkdir -p "$x/bb" "$x/k"
    local deb
    deb=$(fetch "$BUSYBOX_SUITE" "busybox-static:$DEB_ARCH")
    dpkg-deb -x "$deb" "$x/bb"
    cp "$(find "$x/bb" -type f -path "*bin/busybox" | head -n1)" "$out/busybox"
    local kpkg
    kpkg=$(kernel_pkg "$KERNEL_SUITE" "$KERNEL_META:$DEB_ARCH")
    [ -n "$kpkg" ] || die "cannot resolve $KERNEL_META:$DEB_ARCH in $KERNEL_SUITE"
    deb=$(fetch "$KERNEL_SUITE" "$kpkg:$DEB_ARCH")
    # Only /boot and the few modules vm.sh may want are kept; the rest of the .deb is dropped.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x/k" --wildcards './boot/vmlinu*' './lib/modules/*/modules.*' \
        './usr/lib/modules/*/modules.*' './boot/config-*' 2>/dev/null || true
    local k
    k=$(ls "$x"/k/boot/vmlinu* 2>/dev/null | head -n1)
    [ -s "$k" ] || die "no kernel image in $deb"
    cp "$k" "$out/kernel"
    cp "$x"/k/boot/config-* "$out/config" 2>/dev/null || true
    printf '%s\n' "${kpkg#linux-image-}" >"$out/kernel.version"
    printf '%s\n' "$deb" >"$out/kernel.deb"
    rm -rf "$x"
    say "vm $arch: kernel $(cat "$out/kernel.version"), busybox $(du -k "$out/busybox" | cut -f1) KB"
}

# ---------------------------------------------------------------------------------------------
if [ "$WANT_HOST" = 1 ]; then
    host_packages
    host_binfmt
fi
rust_toolchains
for s in bookworm trixie; do
    case $s in
    bookworm) priv_apt_conf bookworm amd64,arm64,armhf ;;
    trixie) priv_apt_conf trixie riscv64 ;;
    esac
done
for arch in $ALL_ARCHES; do build_sysroot "$arch"; done
if [ "$WANT_VM" = 1 ]; then
    for arch in $ALL_ARCHES; do vm_inputs "$arch"; done
fi
END=$(date +%s.%N)
say "done in $(awk -v a="$START" -v b="$END" 'BEGIN {printf "%.1f", b - a}') s (cache: $CACHE)"
