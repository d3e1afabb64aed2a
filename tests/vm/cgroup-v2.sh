# shellcheck shell=sh disable=SC2034,SC2016,SC2015 # BUNDLE_* are read by mkbundle; container scripts are single-quoted on purpose
# tests/vm/cgroup-v2.sh — husk's pure cgroup v2 paths (issue 4), asserted on their effects in
# real containers. Sourced after checks.sh by
#   targets/vm.sh x86_64 --cgroup-v2 --bundle-script tests/vm/cgroup-v2.sh \
#       --add target/x86_64-unknown-linux-musl/release/examples/payload=/bin/payload
# (tests/vm.rs does this): the kernel runs with cgroup_no_v1=all and cgroup2 at /sys/fs/cgroup.
#
# Five containers keep the boot short (a container start costs ~0.5 s under TCG):
#   v2res   memory/cpu/pids/unified/devices at create, cgroup namespace, `update`, cpu.max
#           throttling seen by `events --stats`, a device the rules deny, the pids limit (fork)
#   v2oom   memory.max + memory.swap.max 0: a hog is OOM-killed, `events` streams the OOM event
#   v2dev   control for the device rules (no rules: the same device opens)
#   v2frz   no pid namespace: pause/resume (cgroup.freeze), ps --format json, kill --all
#   v2bad   `unified` with an unknown key: refused, nothing left behind
# Every container is deleted and its cgroup must be gone afterwards (no leak).

CG2=/sys/fs/cgroup
PAYLOAD=${PAYLOAD:-/bin/payload}

# cg2_bundle DIR RESOURCES FLAGS SCRIPT: a bundle (mkbundle) whose process runs the shell script
# SCRIPT (written to /test.sh in the rootfs: the config's args stay one line), with
# linux.resources RESOURCES (JSON, "" for none), /payload in the rootfs, and FLAGS: "cgns" adds
# a cgroup namespace and mounts cgroup at /sys/fs/cgroup (read-only); "nopidns" drops the pid
# namespace; "path=P" sets linux.cgroupsPath.
cg2_bundle() {
    d=$1 res=$2 flags=$3 script=$4
    extra=""
    [ -n "$res" ] && extra=",\"resources\":$res"
    for f in $flags; do
        case $f in path=*) extra="$extra,\"cgroupsPath\":\"${f#path=}\"" ;; esac
    done
    BUNDLE_LINUX_EXTRA=$extra
    mkbundle "$d" sh /test.sh
    BUNDLE_LINUX_EXTRA=""
    printf '%s\n' "$script" >"$d/rootfs/test.sh"
    for f in $flags; do
        case $f in
        cgns)
            sed -i 's|{"type": "network"}|{"type": "network"}, {"type": "cgroup"}|;
                s|\("destination": "/sys".*\)}$|\1}, {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}|' \
                "$d/config.json"
            ;;
        nopidns) sed -i 's|{"type": "pid"}, ||' "$d/config.json" ;;
        esac
    done
    ln "$PAYLOAD" "$d/rootfs/payload" 2>/dev/null || cp "$PAYLOAD" "$d/rootfs/payload"
    for a in tr sed; do ln -sf busybox "$d/rootfs/bin/$a"; done
}

# cg2_pid ID: the container's host pid (from husk state).
cg2_pid() { "$HUSK" state "$1" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }

# cg2_dir PID: the host directory of PID's cgroup (from /proc/PID/cgroup, "0::/path").
cg2_dir() { sed -n 's|^0::||p' "/proc/$1/cgroup" | sed "s|^|$CG2|; s|/$||"; }

# cg2_wait FILE PATTERN [TRIES]: poll (0.1 s apart, default 15 s) until FILE has a line matching
# the grep pattern.
cg2_wait() {
    i=0
    while [ "$i" -lt "${3:-150}" ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "no '$2' in $1 after $((${3:-150} / 10)) s: $(tr '\n' ' ' <"$1" 2>/dev/null | cut -c1-300)"
    return 1
}

# cg2_val FILE KEY: value of the first KEY=value line of FILE.
cg2_val() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# cg2_gone ID DIR: after delete, the state and the cgroup directory DIR must be gone.
cg2_gone() {
    if "$HUSK" state "$1" >/dev/null 2>&1; then echo "$1: state still there"; return 1; fi
    if [ -n "$2" ] && [ -e "$2" ]; then echo "$1: cgroup $2 left behind"; return 1; fi
}

# runc's cgroup v2 conversions (opencontainers/cgroups utils.go). shares→weight is
# ceil(10^((l² + 125 l) / 612 - 7/34)) with l = log2(shares); busybox awk has no math, so the
# values used here are listed (2→1 and 1024→100 are the fixed points of the formula).
cg2_weight() {
    case $1 in 2) echo 1 ;; 512) echo 59 ;; 1024) echo 100 ;; 2048) echo 174 ;; *) echo "no table entry for $1" ;; esac
}
# blkio weight [10, 1000] → io.weight [1, 10000]: 1 + (w - 10) * 9999 / 990.
cg2_io_weight() { echo $((1 + ($1 - 10) * 9999 / 990)); }

# cg2_note TEXT: a measurement for the console (check output is captured; printed at the end).
cg2_note() { echo "$*" >>/tmp/cg2.notes; }

# --- v2res -----------------------------------------------------------------------------------
# memory 48M (+16M swap: memory+swap 64M), reservation 8M, unified memory.high 40M, cpu shares 512,
# quota 50 ms per 100 ms, pids 8, devices: deny all, then allow c 1:11 read only (husk appends
# runc's defaults). The container prints what it sees, forks 20 under pids.max 8, writes a device
# the rules deny (/kmsg1: c 1:11; write-only opens of kmsg need no capability) and the default
# ones, spins 1.5 s, then
# waits for /go (the host runs `update` before it) and prints and forks again.
V2RES_SCRIPT='
echo "cgroup=$(cat /proc/self/cgroup)"
for f in memory.max memory.low memory.high memory.swap.max cpu.weight cpu.max pids.max; do
    echo "$f=$(cat /sys/fs/cgroup/$f 2>&1)"
done
echo "procs=$(tr "\n" " " </sys/fs/cgroup/cgroup.procs)"
echo "fork1<<"; /payload fork 20; echo ">>"
echo "kmsg=$(/payload write /kmsg1 husk-devtest)"
echo "null=$(/payload write /dev/null x)"
echo "zero=$(/payload open /dev/zero)"
echo "urandom=$(/payload open /dev/urandom)"
sh -c "while :; do :; done" & spin=$!
sleep 1.5
kill $spin
wait $spin
echo phase1
while [ ! -e /go ]; do sleep 0.1; done
for f in pids.max memory.max io.weight io.bfq.weight; do
    echo "after.$f=$(cat /sys/fs/cgroup/$f 2>/dev/null)"
done
echo "fork2<<"; /payload fork 20; echo ">>"
echo phase2
while :; do sleep 1; done
'
V2RES_RES='{"memory":{"limit":50331648,"reservation":8388608,"swap":67108864},
 "cpu":{"shares":512,"quota":50000,"period":100000},"pids":{"limit":8},
 "unified":{"memory.high":"41943040"},"devices":[{"allow":false,"access":"rwm"},
   {"allow":true,"type":"c","major":1,"minor":11,"access":"r"}]}'

# Start v2res (run -d) and wait for its first phase. Output: /tmp/v2res.out, husk's debug
# lines: /tmp/v2res.err.
c_v2_start() {
    d=$BUNDLES/v2res
    cg2_bundle "$d" "$V2RES_RES" cgns "$V2RES_SCRIPT"
    mknod "$d/rootfs/kmsg1" c 1 11
    "$HUSK" --debug run -d --bundle "$d" v2res </dev/null >/tmp/v2res.out 2>/tmp/v2res.err || {
        echo "run -d failed: $(tail -n 3 /tmp/v2res.err)"
        return 1
    }
    grep -q "cgroup layout v2" /tmp/v2res.err || { echo "--debug has no 'cgroup layout v2': $(grep -i cgroup /tmp/v2res.err | head -n 2)"; return 1; }
    pid=$(cg2_pid v2res)
    dir=$(cg2_dir "$pid")
    expect_eq "host cgroup of the container" "$dir" "$CG2/husk/v2res" || return 1
    cg2_wait /tmp/v2res.out '^phase1' 300
}

# Files as runc's fs2 writes them, read on the host and from inside (the cgroup namespace mount).
c_v2_files() {
    dir=$CG2/husk/v2res
    for fv in "memory.max 50331648" "memory.low 8388608" "memory.high 41943040" \
        "memory.swap.max 16777216" "cpu.weight $(cg2_weight 512)" "cpu.max 50000 100000" "pids.max 8"; do
        f=${fv%% *} want=${fv#* }
        expect_eq "host $f" "$(cat "$dir/$f" 2>&1)" "$want" || return 1
        expect_eq "container's $f" "$(cg2_val /tmp/v2res.out "$f")" "$want" || return 1
    done
    expect_eq "cpu.weight of shares 1024 (runc's formula)" "$(cg2_weight 1024)" 100
}

# The cgroup namespace: the container's cgroup is its root ("0::/"), the cgroup mount shows it
# (the container's own limits at the top, its pid 1 in cgroup.procs).
c_v2_cgroupns() {
    expect_eq "/proc/self/cgroup inside" "$(cg2_val /tmp/v2res.out cgroup)" "0::/" || return 1
    case " $(cg2_val /tmp/v2res.out procs) " in
    *" 1 "*) ;;
    *) echo "cgroup.procs at the container's /sys/fs/cgroup lacks its pid 1: $(cg2_val /tmp/v2res.out procs)"; return 1 ;;
    esac
}

# fork N: the output block between "NAME<<" and ">>" of /tmp/v2res.out.
cg2_block() { sed -n "/^$1<</,/^>>/p" /tmp/v2res.out | tr '\n' ' '; }

# pids.max 8: the payload cannot fork 20 children (EAGAIN) but forks some.
c_v2_pids() {
    b=$(cg2_block fork1)
    n=$(echo "$b" | sed -n 's/.*forked=\([0-9]*\).*/\1/p')
    case $b in *errno=11*) ;; *) echo "fork under pids.max 8: no EAGAIN: $b"; return 1 ;; esac
    [ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -lt 8 ] || { echo "forked '$n' under pids.max 8: $b"; return 1; }
}

# Device program: writing c 1:11 denied (deny-all, then only "r" allowed), the runc defaults
# allowed. c_v2_devices_allowed is the control (the same node, "w" allowed).
c_v2_devices_deny() {
    expect_eq "write to the denied c 1:11" "$(cg2_val /tmp/v2res.out kmsg)" "errno=1" || return 1
    expect_eq "write to /dev/null" "$(cg2_val /tmp/v2res.out null)" "errno=0" || return 1
    expect_eq "open /dev/zero" "$(cg2_val /tmp/v2res.out zero)" "errno=0" || return 1
    expect_eq "open /dev/urandom" "$(cg2_val /tmp/v2res.out urandom)" "errno=0"
}

# cpu.max 50 ms/100 ms: the 1.5 s spin was throttled; `events --stats` reports it.
c_v2_cpu_throttled() {
    s=$("$HUSK" events --stats v2res 2>&1) || { echo "events --stats: $s"; return 1; }
    thr=$(echo "$s" | sed -n 's/.*"throttledPeriods":\([0-9]*\).*/\1/p')
    per=$(echo "$s" | sed -n 's/.*"periods":\([0-9]*\).*/\1/p')
    cg2_note "v2_cpu periods $per throttled $thr $(echo "$s" | grep -o '"usage":{"total":[0-9]*')"
    [ -n "$thr" ] && [ "$thr" -gt 0 ] || { echo "no throttled periods under cpu.max 50000 100000: $(echo "$s" | cut -c1-300)"; return 1; }
    expect_eq "pids limit in stats" "$(echo "$s" | sed -n 's/.*"pids":{"current":[0-9]*,"limit":\([0-9]*\)}.*/\1/p')" 8 || return 1
    expect_eq "memory limit in stats" "$(echo "$s" | sed -n 's/.*"memory":{.*"usage":{"limit":\([0-9]*\).*/\1/p')" 50331648
}

# `update` raises pids.max and lowers memory.max; the container sees both and can now fork 20;
# blkio weight → io.weight (runc's linear map; io.bfq.weight keeps the value) where io exists.
c_v2_update() {
    "$HUSK" update --pids-limit 100 --memory 32m v2res || { echo "update failed"; return 1; }
    expect_eq "host pids.max" "$(cat $CG2/husk/v2res/pids.max)" 100 || return 1
    expect_eq "host memory.max" "$(cat $CG2/husk/v2res/memory.max)" 33554432 || return 1
    "$HUSK" update --cpu-share 2048 --cpu-quota 80000 v2res || { echo "update --cpu-share --cpu-quota failed"; return 1; }
    expect_eq "cpu.weight after update" "$(cat $CG2/husk/v2res/cpu.weight)" "$(cg2_weight 2048)" || return 1
    expect_eq "cpu.max after update" "$(cat $CG2/husk/v2res/cpu.max)" "80000 100000" || return 1
    : >"$BUNDLES/v2res/rootfs/go"
    cg2_wait /tmp/v2res.out '^phase2' || return 1
    expect_eq "container's pids.max after update" "$(cg2_val /tmp/v2res.out after.pids.max)" 100 || return 1
    expect_eq "container's memory.max after update" "$(cg2_val /tmp/v2res.out after.memory.max)" 33554432 || return 1
    b=$(cg2_block fork2)
    case $b in *forked=20*) ;; *) echo "fork 20 after pids.max 100: $b"; return 1 ;; esac
    case $b in *errno=*) echo "fork 20 after pids.max 100: $b"; return 1 ;; esac
}

# runc's update semantics on v2 (runc tests/integration/update.bats): a period alone keeps the
# quota, a quota alone keeps the period, quota -1 lifts it; --memory -1 lifts swap too; a
# unified map given with -r - is written.
c_v2_update_runc() {
    dir=$CG2/husk/v2res
    "$HUSK" update --cpu-period 90000 v2res || { echo "update --cpu-period failed"; return 1; }
    expect_eq "cpu.max after --cpu-period 90000" "$(cat $dir/cpu.max)" "80000 90000" || return 1
    "$HUSK" update --cpu-quota 60000 v2res || { echo "update --cpu-quota failed"; return 1; }
    expect_eq "cpu.max after --cpu-quota 60000" "$(cat $dir/cpu.max)" "60000 90000" || return 1
    "$HUSK" update --cpu-quota -1 v2res || { echo "update --cpu-quota -1 failed"; return 1; }
    expect_eq "cpu.max after --cpu-quota -1" "$(cat $dir/cpu.max)" "max 90000" || return 1
    "$HUSK" update --memory 30m --memory-swap 50m v2res || { echo "update --memory 30m --memory-swap 50m failed"; return 1; }
    expect_eq "memory.swap.max after 30m/50m" "$(cat $dir/memory.swap.max)" $((20 * 1024 * 1024)) || return 1
    "$HUSK" update --memory -1 v2res || { echo "update --memory -1 failed"; return 1; }
    expect_eq "memory.max after --memory -1" "$(cat $dir/memory.max)" max || return 1
    expect_eq "memory.swap.max after --memory -1" "$(cat $dir/memory.swap.max)" max || return 1
    echo '{"unified":{"pids.max":"50","memory.high":"max"}}' | "$HUSK" update -r - v2res || { echo "update -r - (unified) failed"; return 1; }
    expect_eq "pids.max after unified update" "$(cat $dir/pids.max)" 50 || return 1
    expect_eq "memory.high after unified update" "$(cat $dir/memory.high)" max
}

c_v2_io_weight() {
    if ! grep -qw io $CG2/cgroup.controllers; then
        # No io controller: the resource must be an error naming it, not a silent success.
        if err=$("$HUSK" update --blkio-weight 500 v2res 2>&1); then echo "blkio weight without io controller succeeded"; return 1; fi
        echo "$err" | grep -q io || { echo "error does not name io: $err"; return 1; }
        echo "no io controller in $CG2/cgroup.controllers (the refusal was checked)"
        return 77
    fi
    "$HUSK" update --blkio-weight 500 v2res || { echo "update --blkio-weight failed"; return 1; }
    dir=$CG2/husk/v2res
    if [ -e "$dir/io.bfq.weight" ]; then
        cg2_note "v2_io_weight io.bfq.weight"
        expect_eq "io.bfq.weight" "$(sed -n 's/^default //p' "$dir/io.bfq.weight")" 500
    else
        cg2_note "v2_io_weight io.weight"
        expect_eq "io.weight" "$(sed -n 's/^default //p' "$dir/io.weight")" "$(cg2_io_weight 500)"
    fi
}

c_v2_res_delete() {
    "$HUSK" delete --force v2res || { echo "delete --force failed"; return 1; }
    cg2_gone v2res "$CG2/husk/v2res"
}

# --- v2oom -----------------------------------------------------------------------------------
# memory.max 16M with memory+swap 16M (memory.swap.max 0), cgroupsPath absolute. The container's
# shell waits for /go, then runs a hog (a string doubling in a child shell): the OOM killer
# kills the hog, the shell reports 137 and lives on. `events` (streaming, started before /go)
# prints {"type":"oom"}; memory.events counts the kill; `events --stats` shows the limit.
c_v2_oom() {
    d=$BUNDLES/v2oom
    cg2_bundle "$d" '{"memory":{"limit":16777216,"swap":16777216}}' "path=/huskvm/oom" '
while [ ! -e /go ]; do sleep 0.1; done
sh -c "a=0123456789abcdef; while :; do a=\$a\$a; done"
echo "hog=$?"
while :; do sleep 1; done'
    "$HUSK" run -d --bundle "$d" v2oom </dev/null >/tmp/v2oom.out 2>&1 || { echo "run -d: $(cat /tmp/v2oom.out)"; return 1; }
    dir=$CG2/huskvm/oom
    r=0
    expect_eq "cgroup of the container (absolute cgroupsPath)" "$(cg2_dir "$(cg2_pid v2oom)")" "$dir" || r=1
    expect_eq "memory.max" "$(cat $dir/memory.max 2>&1)" 16777216 || r=1
    expect_eq "memory.swap.max (memory+swap = limit)" "$(cat $dir/memory.swap.max 2>&1)" 0 || r=1
    "$HUSK" events --interval 30s v2oom >/tmp/v2oom.ev 2>&1 &
    ev=$!
    # The first stats object means events has read the OOM counter's baseline.
    cg2_wait /tmp/v2oom.ev '"type":"stats"' 100 || r=1
    : >"$d/rootfs/go"
    cg2_wait /tmp/v2oom.out '^hog=' 300 || r=1
    expect_eq "hog's status" "$(cg2_val /tmp/v2oom.out hog)" 137 || r=1
    cg2_wait /tmp/v2oom.ev '"type":"oom"' 30 || r=1
    kills=$(sed -n 's/^oom_kill //p' $dir/memory.events)
    [ "${kills:-0}" -ge 1 ] || { echo "memory.events oom_kill '$kills'"; r=1; }
    s=$("$HUSK" events --stats v2oom 2>&1)
    expect_eq "memory limit in stats" "$(echo "$s" | sed -n 's/.*"memory":{.*"usage":{"limit":\([0-9]*\).*/\1/p')" 16777216 || r=1
    kill "$ev" 2>/dev/null
    wait "$ev" 2>/dev/null
    # delete --force of a paused container (runc: kills, thaws, removes)
    "$HUSK" pause v2oom || { echo "pause failed"; r=1; }
    "$HUSK" delete --force v2oom || { echo "delete --force of the paused container failed"; r=1; }
    cg2_gone v2oom "$dir" || r=1
    return $r
}

# --- v2dev -----------------------------------------------------------------------------------
# Control for c_v2_devices_deny: deny all, then allow c 1:11 "w": the same node opens for writing
# (the last matching rule decides); /dev/full (a default) too.
c_v2_devices_allowed() {
    d=$BUNDLES/v2dev
    cg2_bundle "$d" '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}]}' "" \
        'echo "kmsg=$(/payload write /kmsg1 husk-devtest) full=$(/payload open /dev/full)"'
    mknod "$d/rootfs/kmsg1" c 1 11
    out=$("$HUSK" run --bundle "$d" v2dev </dev/null 2>&1)
    rm -rf "$d"
    expect_eq "write to c 1:11 with 'c 1:11 w' allowed" "$out" "kmsg=errno=0 full=errno=0" || return 1
    cg2_gone v2dev "$CG2/husk/v2dev"
}

# --- v2frz -----------------------------------------------------------------------------------
# No pid namespace, so killing the init alone would leave its children: two sleeps and a counter
# loop writing /tmp/count (read on the host through the bundle's rootfs).
c_v2_frz_start() {
    d=$BUNDLES/v2frz
    cg2_bundle "$d" "" nopidns 'sleep 600 & sleep 600 & i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'
    "$HUSK" run -d --bundle "$d" v2frz </dev/null >/tmp/v2frz.out 2>&1 || { echo "run -d: $(cat /tmp/v2frz.out)"; return 1; }
    cg2_wait "$d/rootfs/tmp/count" '[0-9]' 100
}

# cg2_count: the counter the container writes.
cg2_count() { cat "$BUNDLES/v2frz/rootfs/tmp/count" 2>/dev/null; }

# pause: status paused, cgroup.freeze 1, cgroup.events frozen 1, the counter stands still;
# resume: running, frozen 0, the counter moves.
c_v2_pause_resume() {
    dir=$CG2/husk/v2frz
    "$HUSK" pause v2frz || { echo "pause failed"; return 1; }
    expect_eq "status after pause" "$(husk_state_status v2frz)" paused || return 1
    expect_eq "cgroup.freeze" "$(cat $dir/cgroup.freeze)" 1 || return 1
    expect_eq "cgroup.events frozen" "$(sed -n 's/^frozen //p' $dir/cgroup.events)" 1 || return 1
    states=""
    for p in $(cat $dir/cgroup.procs); do states="$states $(awk '{print $3}' /proc/$p/stat)"; done
    cg2_note "v2_frozen_task_states$states"
    a=$(cg2_count)
    sleep 0.6
    b=$(cg2_count)
    expect_eq "counter while paused" "$b" "$a" || return 1
    if "$HUSK" pause v2frz 2>/dev/null; then echo "second pause succeeded"; return 1; fi
    "$HUSK" resume v2frz || { echo "resume failed"; return 1; }
    expect_eq "status after resume" "$(husk_state_status v2frz)" running || return 1
    expect_eq "cgroup.events frozen after resume" "$(sed -n 's/^frozen //p' $dir/cgroup.events)" 0 || return 1
    sleep 0.6
    c=$(cg2_count)
    [ "${c:-0}" -gt "${b:-0}" ] || { echo "counter did not move after resume: $b -> $c"; return 1; }
}

# ps --format json: the host pids of the cgroup tree (init, two sleeps, the loop's current
# child), including a nested cgroup: one sleep is moved (from the host) into v2frz/nested, which
# kill --all and delete must handle too.
c_v2_ps_json() {
    dir=$CG2/husk/v2frz
    mkdir $dir/nested || { echo "mkdir $dir/nested failed"; return 1; }
    nested=""
    for p in $(cat $dir/cgroup.procs); do
        [ "$(tr -d '\000' </proc/$p/cmdline 2>/dev/null)" = sleep600 ] && nested=$p && break
    done
    [ -n "$nested" ] || { echo "no 'sleep 600' in $dir/cgroup.procs"; return 1; }
    echo "$nested" >$dir/nested/cgroup.procs || { echo "moving $nested into nested failed"; return 1; }
    j=$("$HUSK" ps --format json v2frz) || { echo "ps failed"; return 1; }
    case ",$(echo "$j" | tr -d '[] ')," in *",$nested,"*) ;; *) echo "pid $nested of the nested cgroup not in $j"; return 1 ;; esac
    case $j in \[*\]) ;; *) echo "not a JSON array: $j"; return 1 ;; esac
    pids=$(echo "$j" | tr -d '[]' | tr ',' ' ')
    init=$(cg2_pid v2frz)
    case " $pids " in *" $init "*) ;; *) echo "init $init not in $j"; return 1 ;; esac
    n=0
    for p in $pids; do
        n=$((n + 1))
        [ -e /proc/$p ] || continue # the loop's short-lived sleep
        grep -q "^0::/husk/v2frz\(/nested\)\{0,1\}$" /proc/$p/cgroup || { echo "pid $p of $j is not in the container's cgroup"; return 1; }
    done
    [ "$n" -ge 3 ] || { echo "want >= 3 pids (init + 2 sleeps), got $j"; return 1; }
    # the table form runs the host's ps and keeps the container's lines
    "$HUSK" ps v2frz | grep -q 'sleep 600' || { echo "ps table has no 'sleep 600' line"; return 1; }
}

# kill --all KILL of a paused container (cgroup.kill where the kernel has it): every process
# dies, not just the init (no pid namespace here), and the cgroup is empty.
c_v2_kill_all() {
    dir=$CG2/husk/v2frz
    [ -e $dir/cgroup.kill ] || cg2_note "v2_kill_all no cgroup.kill: husk signals each pid"
    pids=$(cat $dir/cgroup.procs $dir/nested/cgroup.procs | tr '\n' ' ')
    "$HUSK" pause v2frz || { echo "pause failed"; return 1; }
    "$HUSK" kill --all v2frz KILL || { echo "kill --all failed"; return 1; }
    i=0
    while [ -n "$(cat $dir/cgroup.procs $dir/nested/cgroup.procs)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    left=$(cat $dir/cgroup.procs $dir/nested/cgroup.procs | tr '\n' ' ')
    [ -z "$left" ] || { echo "still in the cgroup: $left (before: $pids)"; return 1; }
    for p in $pids; do
        if [ -e /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status; then echo "pid $p alive after kill --all"; return 1; fi
    done
    wait_status v2frz stopped
}

c_v2_frz_delete() {
    [ -d $CG2/husk/v2frz/nested ] || { echo "nested cgroup missing before delete"; return 1; }
    "$HUSK" delete v2frz || { echo "delete failed"; "$HUSK" delete --force v2frz; return 1; }
    cg2_gone v2frz "$CG2/husk/v2frz"
}

# --- failed creates --------------------------------------------------------------------------
# An unknown unified key is an error naming the file; a cgroup.* key is refused up front; a
# container whose program does not exist fails after its cgroup was made and limited. None
# leaves a container or a cgroup behind.
c_v2_failed_create() {
    d=$BUNDLES/v2bad
    cg2_bundle "$d" '{"unified":{"memory.nosuchfile":"1"}}' "" true
    if err=$("$HUSK" create --bundle "$d" v2bad </dev/null 2>&1); then "$HUSK" delete --force v2bad; echo "unknown unified key accepted"; return 1; fi
    echo "$err" | grep -q "memory.nosuchfile" || { echo "error does not name the key: $err"; return 1; }
    cg2_gone v2bad "$CG2/husk/v2bad" || return 1
    cg2_bundle "$d" '{"unified":{"cgroup.procs":"1"}}' "" true
    if err=$("$HUSK" create --bundle "$d" v2bad </dev/null 2>&1); then "$HUSK" delete --force v2bad; echo "unified cgroup.procs accepted"; return 1; fi
    echo "$err" | grep -q "cgroup.procs" || { echo "error does not name the key: $err"; return 1; }
    cg2_gone v2bad "$CG2/husk/v2bad" || return 1
    cg2_bundle "$d" '{"memory":{"limit":33554432},"pids":{"limit":10}}' "" true
    sed -i 's|"args": \[[^]]*\]|"args": ["/nonexistent"]|' "$d/config.json"
    if err=$("$HUSK" create --bundle "$d" v2bad </dev/null 2>&1); then "$HUSK" delete --force v2bad; echo "create of /nonexistent succeeded"; return 1; fi
    rm -rf "$d"
    cg2_note "v2_failed_create /nonexistent: $err"
    cg2_gone v2bad "$CG2/husk/v2bad"
}

# Nothing husk made is left under /husk.
c_v2_no_leak() {
    left=$(find $CG2/husk $CG2/huskvm -mindepth 1 -type d 2>/dev/null | tr '\n' ' ')
    [ -z "$left" ] || { echo "cgroups left behind: $left"; return 1; }
}

if [ "${HUSKVM_CGROUP:-}" = v2 ] && [ -x "$PAYLOAD" ]; then
    vm_info cgroup2 controllers "$(cat $CG2/cgroup.controllers)"
    : >/tmp/cg2.notes
    check v2_start c_v2_start
    check v2_files c_v2_files
    check v2_cgroupns c_v2_cgroupns
    check v2_pids c_v2_pids
    check v2_devices_deny c_v2_devices_deny
    check v2_cpu_throttled c_v2_cpu_throttled
    check v2_update c_v2_update
    check v2_update_runc c_v2_update_runc
    check v2_io_weight c_v2_io_weight
    check v2_res_delete c_v2_res_delete
    check v2_oom c_v2_oom
    check v2_devices_allowed c_v2_devices_allowed
    check v2_frz_start c_v2_frz_start
    check v2_pause_resume c_v2_pause_resume
    check v2_ps_json c_v2_ps_json
    check v2_kill_all c_v2_kill_all
    check v2_frz_delete c_v2_frz_delete
    check v2_failed_create c_v2_failed_create
    check v2_no_leak c_v2_no_leak
    while read -r l; do vm_info "$l"; done </tmp/cg2.notes
else
    vm_skip cgroup_v2 "not a pure cgroup v2 VM (HUSKVM_CGROUP=${HUSKVM_CGROUP:-}) or no $PAYLOAD"
fi
