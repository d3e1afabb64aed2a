#!/bin/busybox sh
# shellcheck shell=dash
# tests/vm/init.sh — /init of the test initramfs built by targets/vm.sh (pid 1, / is rootfs).
# Mounts the basics, sets up cgroups as /etc/huskvm.conf asks, runs /checks/run.sh, powers off.
# Everything it prints that matters starts with "HUSKVM " (see tests/vm/lib.sh).
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/ TERM=dumb
. /etc/huskvm.conf
echo "HUSKVM info arch $HUSKVM_ARCH kernel $(uname -r) machine $(uname -m)"

# cgroups: v2 (pure unified), hybrid (v1 controllers + cgroup2 at unified, like this machine
# family's hosts), v1, or none.
case ${HUSKVM_CGROUP:-hybrid} in
v2)
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
    ;;
v1 | hybrid)
    mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
    for c in $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups); do
        mkdir -p /sys/fs/cgroup/$c
        mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c 2>/dev/null || rmdir /sys/fs/cgroup/$c
    done
    if [ "$HUSKVM_CGROUP" = hybrid ]; then
        mkdir -p /sys/fs/cgroup/unified
        mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
    fi
    ;;
esac
echo "HUSKVM info cgroup ${HUSKVM_CGROUP:-hybrid} $(awk '$3 ~ /^cgroup/ { printf "%s:%s ", $2, $3 }' /proc/mounts)"
echo "HUSKVM info uptime-start $(cut -d' ' -f1 /proc/uptime)"

# Run the checks as a child: pid 1 stays here, in `wait`, reaping orphaned container processes.
sh /checks/run.sh &
wait $!
echo "HUSKVM info uptime-end $(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
