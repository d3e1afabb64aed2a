# shellcheck shell=bash disable=SC2034
# targets/arch.sh — per-architecture data for setup.sh, build.sh and vm.sh (sourced, not run).
#
# One function, arch_vars ARCH, sets every fact the scripts need about a board family:
#   TRIPLE         Rust target triple
#   TOOLCHAIN      stable | nightly (nightly = -Zbuild-std, the target has no rust-std on stable)
#   DEB_ARCH       Debian architecture name
#   MUSL_SUITE     Debian suite holding musl-dev (armv7, riscv64 only: the sysroot)
#   CLANG_TRIPLE   clang --target for building libunwind.a
#   CLANG_FLAGS    extra clang flags (float ABI, ISA)
#   BUSYBOX_SUITE  Debian suite of the busybox-static .deb put in the VM
#   KERNEL_SUITE, KERNEL_META  Debian linux-image metapackage booted in the VM
#   QEMU_SYSTEM, QEMU_MACHINE  qemu-system binary and its machine/cpu options (TCG)
#   CONSOLE        serial console device for the kernel command line
#   QEMU_USER      qemu-user-static binary (cargo runner)

ALL_ARCHES="x86_64 aarch64 armv7 riscv64"

arch_vars() {
    MUSL_SUITE=""
    CLANG_TRIPLE=""
    CLANG_FLAGS=""
    case $1 in
    x86_64)
        TRIPLE=x86_64-unknown-linux-musl
        TOOLCHAIN=stable
        DEB_ARCH=amd64
        BUSYBOX_SUITE=bookworm
        KERNEL_SUITE=bookworm
        KERNEL_META=linux-image-amd64
        QEMU_SYSTEM=qemu-system-x86_64
        QEMU_MACHINE="-M q35 -accel tcg -cpu max"
        CONSOLE=ttyS0
        QEMU_USER=""
        ;;
    aarch64)
        TRIPLE=aarch64-unknown-linux-musl
        TOOLCHAIN=stable
        DEB_ARCH=arm64
        BUSYBOX_SUITE=bookworm
        KERNEL_SUITE=bookworm
        KERNEL_META=linux-image-arm64
        QEMU_SYSTEM=qemu-system-aarch64
        QEMU_MACHINE="-M virt -cpu cortex-a57 -accel tcg"
        CONSOLE=ttyAMA0
        QEMU_USER=qemu-aarch64-static
        ;;
    armv7)
        TRIPLE=armv7-unknown-linux-musleabihf
        TOOLCHAIN=nightly
        DEB_ARCH=armhf
        MUSL_SUITE=bookworm
        CLANG_TRIPLE=armv7-unknown-linux-musleabihf
        CLANG_FLAGS="-mfloat-abi=hard -mfpu=vfpv3-d16 -mthumb"
        BUSYBOX_SUITE=bookworm
        KERNEL_SUITE=bookworm
        KERNEL_META=linux-image-armmp
        QEMU_SYSTEM=qemu-system-arm
        # highmem=off: the armmp kernel has no LPAE, so keep every device below 4 GiB.
        QEMU_MACHINE="-M virt,highmem=off -cpu cortex-a15 -accel tcg"
        CONSOLE=ttyAMA0
        QEMU_USER=qemu-arm-static
        ;;
    riscv64)
        TRIPLE=riscv64gc-unknown-linux-musl
        TOOLCHAIN=nightly
        DEB_ARCH=riscv64
        MUSL_SUITE=trixie
        CLANG_TRIPLE=riscv64-unknown-linux-musl
        CLANG_FLAGS="-march=rv64gc -mabi=lp64d -mno-relax"
        BUSYBOX_SUITE=trixie
        KERNEL_SUITE=trixie
        KERNEL_META=linux-image-riscv64
        QEMU_SYSTEM=qemu-system-riscv64
        QEMU_MACHINE="-M virt -bios default -accel tcg"
        CONSOLE=ttyS0
        QEMU_USER=qemu-riscv64-static
        ;;
    *)
        echo "unknown arch '$1' (expected one of: $ALL_ARCHES)" >&2
        return 2
        ;;
    esac
}
