//! `peak_rss CMD [ARGS…]`: run CMD, print its exit code and peak RSS in KiB
//! to stderr as `peak_rss_kib=N`, for the benchmark.
//!
//! The kernel's ru_maxrss of a child includes the memory its process had
//! before exec (the forked parent's). Spawned from this small static binary,
//! that floor is tiny, unlike a fork of Python.

use std::ffi::c_int;

#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn wait4(pid: c_int, status: *mut c_int, options: c_int, ru: *mut Rusage) -> c_int;
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("usage: peak_rss CMD [ARGS…]");
        std::process::exit(2);
    };
    let child = match std::process::Command::new(cmd).args(args).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("peak_rss: {e}");
            std::process::exit(127);
        }
    };
    let mut status = 0;
    let mut ru = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        maxrss: 0,
        rest: [0; 13],
    };
    // SAFETY: valid pointers to a c_int and a struct rusage-sized buffer.
    let r = unsafe { wait4(child.id() as c_int, &mut status, 0, &mut ru) };
    if r < 0 {
        eprintln!("peak_rss: wait4 failed");
        std::process::exit(1);
    }
    eprintln!("peak_rss_kib={}", ru.maxrss);
    let code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    };
    std::process::exit(code);
}
