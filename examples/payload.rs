//! The test payload: a small static program that the integration tests copy into the rootfs as
//! `/payload` and run inside containers. It reports what the container sees, one `key=value` per
//! line (keys may repeat, e.g. `mount=` and `group=`), so tests assert on the container's view
//! (youki's idea). std only; the few libc calls std does not wrap are declared below (std links libc).
//!
//! Subcommands:
//! - `report`: hostname, ids, groups, cwd, umask, env, namespaces, mounts, fds, status lines,
//!   rlimits, oom_score_adj, ttys and terminal size.
//! - `syscall NAME [ARG…]` / `syscall-nr N [ARG…]`: make one raw syscall and print `ret=N` or
//!   `errno=N`. An ARG is a number (decimal, `0x` hex, negative) or `s:TEXT` (a pointer to the C
//!   string TEXT); missing args are 0.
//! - `exit N`, `sleep SECS`, `cat FILE`, `write FILE [TEXT]`, `open FILE`, `fork N`.
//!
//! Errors print `errno=N` (and exit 1); success of write/open prints `errno=0`.

use std::ffi::{c_int, c_long, c_uint, c_ulong, CString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::FileTypeExt as _;

extern "C" {
    fn syscall(n: c_long, ...) -> c_long;
    fn getuid() -> c_uint;
    fn getgid() -> c_uint;
    fn geteuid() -> c_uint;
    fn getegid() -> c_uint;
    fn getgroups(size: c_int, list: *mut c_uint) -> c_int;
    fn umask(mask: c_uint) -> c_uint;
    fn isatty(fd: c_int) -> c_int;
    fn fork() -> c_int;
    fn pause() -> c_int;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn _exit(code: c_int) -> !;
}

/// Syscall numbers (from the kernel's tables, as in linux-raw-sys) for the arches husk targets.
/// Columns: x86_64, aarch64, arm (EABI), riscv64.
const SYSCALLS: &[(&str, [c_long; 4])] = &[
    ("getpid", [39, 172, 20, 172]),
    ("getppid", [110, 173, 64, 173]),
    ("getuid", [102, 174, 24, 174]),
    ("ioctl", [16, 29, 54, 29]),
    ("unshare", [272, 97, 337, 97]),
    ("setns", [308, 268, 375, 268]),
    ("mount", [165, 40, 21, 40]),
    ("umount2", [166, 39, 52, 39]),
    ("pivot_root", [155, 41, 218, 41]),
    ("chroot", [161, 51, 61, 51]),
    ("sethostname", [170, 161, 74, 161]),
    ("keyctl", [250, 219, 311, 219]),
    ("add_key", [248, 217, 309, 217]),
    ("request_key", [249, 218, 310, 218]),
    ("userfaultfd", [323, 282, 388, 282]),
    ("personality", [135, 92, 136, 92]),
    ("ptrace", [101, 117, 26, 117]),
    ("bpf", [321, 280, 386, 280]),
    ("perf_event_open", [298, 241, 364, 241]),
    ("reboot", [169, 142, 88, 142]),
    ("swapon", [167, 224, 87, 224]),
    ("kexec_load", [246, 104, 347, 104]),
    ("init_module", [175, 105, 128, 105]),
    ("delete_module", [176, 106, 129, 106]),
    ("clock_settime", [227, 112, 262, 112]),
    ("acct", [163, 89, 51, 89]),
    ("open_by_handle_at", [304, 265, 371, 265]),
    ("io_uring_setup", [425, 425, 425, 425]),
    ("ioprio_get", [252, 31, 315, 31]),
];

const ARCH: usize = if cfg!(target_arch = "x86_64") {
    0
} else if cfg!(target_arch = "aarch64") {
    1
} else if cfg!(target_arch = "arm") {
    2
} else {
    3
};

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn io_errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cmd = args.get(1).map(String::as_str).unwrap_or("report");
    let rest = args.get(2..).unwrap_or(&[]);
    let arg = |i: usize| rest.get(i).map(String::as_str).unwrap_or("");
    let mut out = String::new();
    let code = match cmd {
        "report" => {
            report(&mut out);
            0
        }
        "syscall" => match SYSCALLS.iter().find(|(n, _)| *n == arg(0)) {
            Some((_, nrs)) => raw_syscall(&mut out, nrs[ARCH], rest.get(1..).unwrap_or(&[])),
            None => {
                let _ = writeln!(out, "error=unknown syscall {}", arg(0));
                2
            }
        },
        "syscall-nr" => match parse_num(arg(0)) {
            Some(nr) => raw_syscall(&mut out, nr as c_long, rest.get(1..).unwrap_or(&[])),
            None => 2,
        },
        "exit" => arg(0).parse().unwrap_or(2),
        "sleep" => {
            let secs: f64 = arg(0).parse().unwrap_or(1.0);
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            0
        }
        "cat" => match std::fs::read(arg(0)) {
            Ok(data) => {
                let _ = std::io::stdout().write_all(&data);
                0
            }
            Err(e) => errno_line(&mut out, io_errno(&e)),
        },
        "write" => {
            let text = rest.get(1).map(String::as_str).unwrap_or("husk-payload\n");
            match std::fs::write(arg(0), text) {
                Ok(()) => errno_line(&mut out, 0),
                Err(e) => errno_line(&mut out, io_errno(&e)),
            }
        }
        "open" => match std::fs::File::open(arg(0)) {
            Ok(_) => errno_line(&mut out, 0),
            Err(e) => errno_line(&mut out, io_errno(&e)),
        },
        "fork" => fork_children(&mut out, arg(0).parse().unwrap_or(1)),
        _ => {
            let _ = writeln!(out, "error=unknown subcommand {cmd}");
            2
        }
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn errno_line(out: &mut String, e: i32) -> i32 {
    let _ = writeln!(out, "errno={e}");
    i32::from(e != 0)
}

fn parse_num(s: &str) -> Option<i64> {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let v = match s.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16).ok()?,
        None => s.parse().ok()?,
    };
    Some(if neg { -v } else { v })
}

/// Calls syscall `nr` with up to six args; `s:TEXT` args become pointers to C strings.
fn raw_syscall(out: &mut String, nr: c_long, args: &[String]) -> i32 {
    let strings: Vec<Option<CString>> = args
        .iter()
        .map(|a| a.strip_prefix("s:").and_then(|s| CString::new(s).ok()))
        .collect();
    let mut v = [0 as c_long; 6];
    for (i, a) in args.iter().take(6).enumerate() {
        v[i] = match strings.get(i).and_then(Option::as_ref) {
            Some(c) => c.as_ptr() as c_long,
            None => parse_num(a).unwrap_or(0) as c_long,
        };
    }
    // SAFETY: a raw syscall is what this tool is for; pointer args point into `strings`, alive here.
    let ret = unsafe { syscall(nr, v[0], v[1], v[2], v[3], v[4], v[5]) };
    if ret == -1 {
        errno_line(out, errno())
    } else {
        let _ = writeln!(out, "ret={ret}");
        0
    }
}

/// Forks up to `n` children that wait (so they count against pids limits together), then kills
/// and reaps them; prints `forked=K` and, if a fork failed, its `errno=N`.
fn fork_children(out: &mut String, n: usize) -> i32 {
    let mut pids = Vec::new();
    let mut err = 0;
    for _ in 0..n {
        // SAFETY: single-threaded program; the child only calls async-signal-safe pause/_exit.
        let pid = unsafe { fork() };
        if pid == 0 {
            // SAFETY: in the child: wait to be killed, never return into Rust code.
            unsafe {
                pause();
                _exit(0)
            }
        }
        if pid < 0 {
            err = errno();
            break;
        }
        pids.push(pid);
    }
    for &pid in &pids {
        let mut status = 0;
        // SAFETY: pid is our own child; status is a valid out pointer.
        unsafe {
            kill(pid, 9);
            waitpid(pid, &mut status, 0);
        }
    }
    let _ = writeln!(out, "forked={}", pids.len());
    if err != 0 {
        errno_line(out, err)
    } else {
        0
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn report(out: &mut String) {
    let mut kv = |k: &str, v: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{k}={v}");
    };
    let uts = uname();
    kv("hostname", &uts[1]);
    kv("domainname", &uts[5]);
    kv("pid", &std::process::id());
    kv("ppid", &std::os::unix::process::parent_id());
    // SAFETY: these id getters cannot fail and touch no memory.
    let (uid, gid, euid, egid) = unsafe { (getuid(), getgid(), geteuid(), getegid()) };
    kv("uid", &uid);
    kv("gid", &gid);
    kv("euid", &euid);
    kv("egid", &egid);
    let mut groups = [0 as c_uint; 256];
    // SAFETY: the buffer holds 256 entries, as passed.
    let n = unsafe { getgroups(256, groups.as_mut_ptr()) };
    let groups = groups.get(..usize::try_from(n).unwrap_or(0)).unwrap_or(&[]);
    kv(
        "groups",
        &groups
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    let cwd = std::env::current_dir().map(|p| p.display().to_string());
    kv(
        "cwd",
        &cwd.unwrap_or_else(|e| format!("errno:{}", io_errno(&e))),
    );
    // SAFETY: umask cannot fail; the old mask is restored right away.
    let mask = unsafe {
        let m = umask(0o22);
        umask(m);
        m
    };
    kv("umask", &format_args!("{mask:04o}"));
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    kv("env_count", &env.len());
    for (k, v) in &env {
        kv(&format!("env.{k}"), v);
    }
    for e in dir_sorted("/proc/self/ns") {
        kv(&format!("ns.{e}"), &link(&format!("/proc/self/ns/{e}")));
    }
    // mountinfo: id parent major:minor root mountpoint options [optional…] - fstype source super
    for line in read("/proc/self/mountinfo").lines() {
        let (left, right) = line.split_once(" - ").unwrap_or((line, ""));
        let l: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        let get = |v: &Vec<&str>, i: usize| v.get(i).copied().unwrap_or("?").to_string();
        kv(
            "mount",
            &format_args!(
                "{} {} {} {}",
                get(&l, 4),
                get(&r, 0),
                get(&l, 5),
                get(&r, 2)
            ),
        );
    }
    let mut fds: Vec<u32> = dir_sorted("/proc/self/fd")
        .iter()
        .filter_map(|f| f.parse().ok())
        .collect();
    fds.sort_unstable();
    for fd in fds {
        // The fd that listed the directory is closed by now: skip what no longer resolves.
        if let Ok(target) = std::fs::read_link(format!("/proc/self/fd/{fd}")) {
            kv(&format!("fd.{fd}"), &target.display());
        }
    }
    for line in read("/proc/self/status").lines() {
        if let Some((k, v)) = line.split_once(':') {
            if k.starts_with("Cap") || matches!(k, "NoNewPrivs" | "Seccomp" | "Seccomp_filters") {
                kv(&format!("status.{k}"), &v.trim());
            }
        }
    }
    report_rlimits(&mut kv);
    kv("oom_score_adj", &read("/proc/self/oom_score_adj").trim());
    for (fd, name) in [(0, "stdin"), (1, "stdout"), (2, "stderr")] {
        // SAFETY: isatty only inspects the fd.
        kv(&format!("tty.{name}"), &(unsafe { isatty(fd) } == 1));
        if name != "stderr" {
            let mut ws = [0u16; 4];
            let ioctl = SYSCALLS
                .iter()
                .find(|(n, _)| *n == "ioctl")
                .map_or(16, |(_, nr)| nr[ARCH]);
            // SAFETY: TIOCGWINSZ writes one struct winsize (4 u16) into ws.
            let r = unsafe { syscall(ioctl, fd as c_long, 0x5413 as c_ulong, ws.as_mut_ptr()) };
            if r == 0 {
                kv(
                    &format!("winsize.{name}"),
                    &format_args!("{}x{}", ws[0], ws[1]),
                );
            }
        }
    }
    let dev_null = std::fs::metadata("/dev/null").map(|m| m.file_type().is_char_device());
    kv("dev_null_is_char", &dev_null.unwrap_or(false));
}

/// Rlimits from getrlimit (resource numbers are the generic ones, same on all husk arches).
fn report_rlimits(kv: &mut dyn FnMut(&str, &dyn std::fmt::Display)) {
    const NAMES: [&str; 16] = [
        "CPU",
        "FSIZE",
        "DATA",
        "STACK",
        "CORE",
        "RSS",
        "NPROC",
        "NOFILE",
        "MEMLOCK",
        "AS",
        "LOCKS",
        "SIGPENDING",
        "MSGQUEUE",
        "NICE",
        "RTPRIO",
        "RTTIME",
    ];
    extern "C" {
        fn getrlimit(resource: c_int, rlim: *mut [u64; 2]) -> c_int;
    }
    for (i, name) in NAMES.iter().enumerate() {
        let mut lim = [0u64; 2];
        // SAFETY: musl's struct rlimit is two u64 (rlim_t is unsigned long long) on every arch.
        if unsafe { getrlimit(i as c_int, &mut lim) } == 0 {
            let show = |v: u64| {
                if v == u64::MAX {
                    "unlimited".to_string()
                } else {
                    v.to_string()
                }
            };
            kv(
                &format!("rlimit.{name}"),
                &format_args!("{} {}", show(lim[0]), show(lim[1])),
            );
        }
    }
}

fn dir_sorted(path: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(path)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn link(path: &str) -> String {
    std::fs::read_link(path).map_or_else(
        |e| format!("errno:{}", io_errno(&e)),
        |p| p.display().to_string(),
    )
}

/// uname(2) fields: sysname, nodename, release, version, machine, domainname.
fn uname() -> Vec<String> {
    extern "C" {
        fn uname(buf: *mut [[u8; 65]; 6]) -> c_int;
    }
    let mut buf = [[0u8; 65]; 6];
    // SAFETY: struct utsname on Linux is six 65-byte fields.
    unsafe { uname(&mut buf) };
    buf.iter()
        .map(|f| String::from_utf8_lossy(f.split(|&b| b == 0).next().unwrap_or(&[])).into_owned())
        .collect()
}
