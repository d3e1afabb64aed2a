//! The few system calls rustix does not offer, behind small safe wrappers.
//!
//! Everything here goes through musl's `syscall(3)` (or fork/exec from libc,
//! which std already links), with numbers from linux-raw-sys for the target
//! architecture, so the same code serves x86_64, aarch64, arm and riscv64.

pub mod bpf;
pub mod fs;
pub mod run;
pub mod seccomp;

use core::ffi::{c_char, c_int, c_long, CStr};
use rustix::io::Errno;

extern "C" {
    fn syscall(nr: c_long, ...) -> c_long;
    fn fork() -> c_int;
    fn __errno_location() -> *mut c_int;
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
        -> c_int;
}

/// errno of the last failed libc call.
pub fn last_errno() -> Errno {
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    Errno::from_raw_os_error(unsafe { *__errno_location() })
}

/// Raw system call with up to six arguments, errno on failure.
///
/// # Safety
/// The caller must pass arguments valid for that system call (pointers to live
/// memory of the right layout).
pub unsafe fn raw_syscall(nr: u32, a: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller's contract.
    let r = unsafe { syscall(nr as c_long, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r as usize)
    }
}

/// Who we are after `fork_process`.
pub enum Forked {
    Child,
    Parent(i32),
}

/// `fork(2)` through libc, so musl's per-process state (tid, locks) stays
/// right in the child. husk is single-threaded, which makes fork sound here.
#[doc(alias = "fork")]
pub fn fork_process() -> Result<Forked, Errno> {
    // SAFETY: husk runs no other threads, so no lock can be held across fork.
    let r = unsafe { fork() };
    match r {
        0 => Ok(Forked::Child),
        p if p > 0 => Ok(Forked::Parent(p)),
        _ => Err(last_errno()),
    }
}

/// `execve(path, argv, envp)`: replace this process. Returns only on failure.
///
/// `argv` and `envp` are NULL-terminated arrays of pointers to NUL-terminated
/// strings; `path` is NUL-terminated.
pub fn exec(path: &core::ffi::CStr, argv: &[*const c_char], envp: &[*const c_char]) -> Errno {
    if argv.last() != Some(&core::ptr::null()) || envp.last() != Some(&core::ptr::null()) {
        return Errno::INVAL;
    }
    // SAFETY: all three are NUL-terminated as checked above and point to live
    // memory owned by the caller for the duration of the call.
    unsafe { execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    last_errno()
}

/// `execveat(fd, "", argv, envp, AT_EMPTY_PATH)`: execute an open file (the
/// sealed copy of husk). Returns only on failure.
pub fn exec_fd(fd: c_int, argv: &[*const c_char], envp: &[*const c_char]) -> Errno {
    if argv.last() != Some(&core::ptr::null()) || envp.last() != Some(&core::ptr::null()) {
        return Errno::INVAL;
    }
    let empty = c"";
    // SAFETY: pointers are valid and NUL-terminated (checked above); on
    // success execveat does not return.
    let r = unsafe {
        raw_syscall(
            linux_raw_sys::general::__NR_execveat,
            [
                fd as usize,
                empty.as_ptr() as usize,
                argv.as_ptr() as usize,
                envp.as_ptr() as usize,
                linux_raw_sys::general::AT_EMPTY_PATH as usize,
                0,
            ],
        )
    };
    match r {
        Err(e) => e,
        Ok(_) => Errno::INVAL,
    }
}

/// `mount(2)` with raw MS_* flags. rustix splits mount(2) into typed
/// wrappers that cannot express every combination an OCI mount needs
/// (e.g. `MS_BIND|MS_REMOUNT|MS_RDONLY|MS_NOSUID` with data), so husk calls it directly.
pub fn mount(
    src: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u64,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    let p = |c: Option<&CStr>| c.map_or(0, |c| c.as_ptr() as usize);
    // SAFETY: every pointer is NULL or a live NUL-terminated string.
    unsafe {
        raw_syscall(
            linux_raw_sys::general::__NR_mount,
            [
                p(src),
                target.as_ptr() as usize,
                p(fstype),
                flags as usize,
                p(data),
                0,
            ],
        )
    }
    .map(drop)
}

/// `close_range(first, ~0, CLOSE_RANGE_CLOEXEC)`: mark every fd from
/// `first` on close-on-exec, so none leaks into the container.
pub fn cloexec_from(first: u32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments.
    unsafe {
        raw_syscall(
            linux_raw_sys::general::__NR_close_range,
            [first as usize, u32::MAX as usize, 1 << 2, 0, 0, 0],
        )
    }
    .map(drop)
}

/// `_exit(2)`: leave at once, without running atexit handlers or flushing
/// stdio buffers inherited from the parent (used in forked children).
pub fn exit_now(code: i32) -> ! {
    extern "C" {
        fn _exit(code: c_int) -> !;
    }
    // SAFETY: _exit never returns and takes a plain integer.
    unsafe { _exit(code) }
}

/// A signal set (musl's sigset_t is 128 bytes).
#[repr(C, align(8))]
pub struct SigSet([u8; 128]);

extern "C" {
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigfillset(set: *mut SigSet) -> c_int;
    fn sigdelset(set: *mut SigSet, sig: c_int) -> c_int;
    fn sigprocmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwaitinfo(set: *const SigSet, info: *mut [u64; 16]) -> c_int;
}

impl SigSet {
    /// Every signal but those that cannot or should not be caught.
    pub fn forwardable() -> SigSet {
        let mut s = SigSet([0; 128]);
        // SAFETY: s is a valid, writable sigset_t-sized buffer.
        unsafe {
            sigfillset(&mut s);
            for sig in [9, 19, 11, 7, 4, 8, 5] {
                // SIGKILL, SIGSTOP and the synchronous fault signals stay as they are.
                sigdelset(&mut s, sig);
            }
        }
        s
    }
    pub fn empty() -> SigSet {
        let mut s = SigSet([0; 128]);
        // SAFETY: s is a valid, writable sigset_t-sized buffer.
        unsafe { sigemptyset(&mut s) };
        s
    }
    /// Block this set (SIG_BLOCK), returning the old mask.
    pub fn block(&self) -> SigSet {
        let mut old = SigSet::empty();
        // SAFETY: both pointers are valid sigset_t buffers.
        unsafe { sigprocmask(0, self, &mut old) };
        old
    }
    /// Unblock every signal (SIG_SETMASK to the empty set): a blocked mask
    /// survives fork and exec, and the container must not inherit husk's.
    pub fn unblock_all() {
        let empty = SigSet::empty();
        // SAFETY: valid sigset_t; the old mask is not wanted (NULL).
        unsafe { sigprocmask(2, &empty, core::ptr::null_mut()) };
    }
    /// Wait for a signal of this (blocked) set; returns its number.
    pub fn wait(&self) -> Result<i32, Errno> {
        let mut info = [0u64; 16];
        // SAFETY: valid set; info is a 128-byte siginfo_t buffer.
        let r = unsafe { sigwaitinfo(self, &mut info) };
        if r < 0 {
            Err(last_errno())
        } else {
            Ok(r)
        }
    }
}
