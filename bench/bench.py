#!/usr/bin/env python3
"""husk's benchmark: lifecycle timings side by side with runc and crun.

Runs every runtime found, interleaved in one loop (so machine noise hits all
alike), and prints medians, ratios to crun, peak RSS of `create` (wait4's
ru_maxrss: the CLI and the controller it reaps) and binary sizes.

Usage: bench/bench.sh [ROUNDS]   (needs root; see bench.sh for why it unshares)
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
HERE = os.path.dirname(os.path.abspath(__file__))
REL = os.path.join(HERE, "..", "target", "x86_64-unknown-linux-musl", "release")
HUSK = os.environ.get("HUSK", os.path.join(REL, "husk"))
PEAK = os.path.join(REL, "examples", "peak_rss")
# The tiny build (targets/build.sh x86_64 --tiny), benchmarked too when it is there.
TINY = os.environ.get("HUSK_TINY", os.path.join(HERE, "..", "target", "tiny",
                                                 "x86_64-unknown-linux-musl", "release", "husk"))


def runtimes():
    rts = [("husk", os.path.abspath(HUSK), [])]
    if os.path.exists(TINY):
        rts.append(("husk-tiny", os.path.abspath(TINY), []))
    for name in ("crun", "runc"):
        path = shutil.which(name)
        if path:
            # All three make a cgroup per container (cgroupfs); crun sees a v1 host
            # here (bench.sh hides the hybrid's cgroup2, which crun 1.8 refuses).
            extra = []
            rts.append((name, path, extra))
    return rts


# A typical containerd resource block (memory, cpu, pids, the default device rules).
RESOURCES = '''"resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 136, "access": "rwm"}],
      "memory": {"limit": 268435456},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000},
      "pids": {"limit": 512}
    },
    "namespaces"'''


def make_bundle(root, args, resources=False):
    b = tempfile.mkdtemp(prefix="husk-bench-", dir=root)
    rootfs = os.path.join(b, "rootfs", "bin")
    os.makedirs(rootfs)
    shutil.copy("/bin/busybox", rootfs)
    for a in ("sh", "true", "sleep"):
        os.symlink("busybox", os.path.join(rootfs, a))
    subprocess.run([HUSK, "spec", "--bundle", b], check=True)
    cfg = open(os.path.join(b, "config.json")).read()
    # crun 1.8 refuses ociVersion 1.2.0 ("unknown version specified").
    cfg = cfg.replace('"ociVersion": "1.2.0"', '"ociVersion": "1.0.2"')
    cfg = cfg.replace('"args": ["sh"]', '"args": ' + args)
    cfg = cfg.replace('"terminal": true', '"terminal": false')
    if resources:
        cfg = cfg.replace('"namespaces"', RESOURCES, 1)
    open(os.path.join(b, "config.json"), "w").write(cfg)
    return b


ERR = tempfile.TemporaryFile()


def run(cmd):
    """Run cmd with stderr in a file: the container inherits create's stdio,
    so a pipe would stay open (and a reader wait) as long as the container."""
    ERR.seek(0)
    ERR.truncate()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=ERR)
    ERR.seek(0)
    err = ERR.read().decode()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.strip()}")
    return err


def timed(cmd):
    t0 = time.perf_counter_ns()
    run(cmd)
    return (time.perf_counter_ns() - t0) / 1e6


def peak_rss(cmd):
    """Peak RSS (KiB) of cmd and the children it reaps, via examples/peak_rss
    (a Python fork would count Python's own memory: ru_maxrss includes the
    memory a process had before its exec)."""
    for line in run([PEAK] + cmd).splitlines():
        if line.startswith("peak_rss_kib="):
            return int(line.split("=")[1])
    raise RuntimeError(f"{' '.join(cmd)}: no peak_rss line")


def main():
    work = tempfile.mkdtemp(prefix="husk-bench-")
    true_b = make_bundle(work, '["true"]')
    sleep_b = make_bundle(work, '["sleep", "1000"]')
    res_b = make_bundle(work, '["sleep", "1000"]', resources=True)
    rts = runtimes()
    ops = ["run", "create", "start", "state", "kill", "delete", "create+res"]
    times = {(n, o): [] for n, _, _ in rts for o in ops}
    rss = {n: [] for n, _, _ in rts}
    for i in range(ROUNDS):
        # Rotate the order each round: a kernel's cgroup migration is slow
        # right after a pause and fast right after another one, so a fixed
        # order would favour whoever comes second.
        k = i % len(rts)
        for name, path, extra in rts[k:] + rts[:k]:
            root = os.path.join(work, "root-" + name)
            base = [path, "--root", root] + extra
            cid = f"b{i}"
            # Let the kernel finish the previous runtime's teardown (cgroup and
            # namespace release wait for RCU grace periods), or `run`, the first
            # op of each block, pays for whoever came before it.
            time.sleep(0.05)
            times[(name, "run")].append(timed(base + ["run", "--bundle", true_b, "r" + cid]))
            times[(name, "create")].append(timed(base + ["create", "--bundle", sleep_b, cid]))
            times[(name, "start")].append(timed(base + ["start", cid]))
            times[(name, "state")].append(timed(base + ["state", cid]))
            times[(name, "kill")].append(timed(base + ["kill", cid, "KILL"]))
            time.sleep(0.02)
            times[(name, "delete")].append(timed(base + ["delete", "--force", cid]))
            rss[name].append(peak_rss(base + ["create", "--bundle", sleep_b, "m" + cid]))
            timed(base + ["delete", "--force", "m" + cid])
            times[(name, "create+res")].append(timed(base + ["create", "--bundle", res_b, "c" + cid]))
            run(base + ["delete", "--force", "c" + cid])
    names = [n for n, _, _ in rts]
    print(f"husk benchmark: {ROUNDS} interleaved rounds, median ms (ratio to crun)")
    print(f"{'op':<11}" + "".join(f"{n:>18}" for n in names))
    for o in ops:
        row = f"{o:<11}"
        crun = statistics.median(times[("crun", o)]) if "crun" in names else None
        for n in names:
            m = statistics.median(times[(n, o)])
            row += f"{m:>10.2f}" + (f" ({m / crun:.2f}x)" if crun else "")
        print(row)
    print(f"{'peak RSS':<11}" + "".join(f"{max(rss[n]):>18}" for n in names) + "   (KiB, create, max of rounds)")
    for n, path, _ in rts:
        print(f"binary {n}: {os.path.getsize(os.path.realpath(path))} bytes ({path})")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
