//! `seccomp(2)` (rustix has no wrapper): install a filter, probe the flags
//! and actions the running kernel accepts. Constants from linux-raw-sys
//! (linux/seccomp.h, linux/filter.h); the syscall number is the target's.
//!
//! References: seccomp(2), Documentation/userspace-api/seccomp_filter.rst.

use super::raw_syscall;
use linux_raw_sys::general::__NR_seccomp;
use linux_raw_sys::ptrace::{
    sock_filter, sock_fprog, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_GET_ACTION_AVAIL,
    SECCOMP_SET_MODE_FILTER,
};
use rustix::fd::{FromRawFd, OwnedFd};
use rustix::io::Errno;

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`—Install a filter on the
/// calling thread. Needs no_new_privs or CAP_SYS_ADMIN (else EACCES).
/// Returns the notification listener when `flags` has
/// SECCOMP_FILTER_FLAG_NEW_LISTENER.
#[doc(alias = "seccomp")]
pub fn set_mode_filter(flags: u32, prog: &[sock_filter]) -> Result<Option<OwnedFd>, Errno> {
    let len = u16::try_from(prog.len()).map_err(|_| Errno::INVAL)?;
    let fprog = sock_fprog {
        len,
        // The kernel only reads the program.
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` points to `prog`, both alive for the whole call; the
    // kernel copies the program and does not keep the pointer.
    let r = unsafe {
        raw_syscall(
            __NR_seccomp,
            [
                SECCOMP_SET_MODE_FILTER as usize,
                flags as usize,
                core::ptr::addr_of!(fprog) as usize,
                0,
                0,
                0,
            ],
        )
    }?;
    if flags & SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
        return Ok(None);
    }
    let fd = i32::try_from(r).map_err(|_| Errno::BADF)?;
    // SAFETY: with NEW_LISTENER the kernel returned a new fd that nothing
    // else owns.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Does the kernel accept filter flag `flag`? Probed as libseccomp does:
/// SECCOMP_SET_MODE_FILTER with a NULL program fails with EFAULT once the
/// flags passed the check, EINVAL when a flag is unknown. Nothing is installed.
pub fn flag_supported(flag: u32) -> bool {
    // SAFETY: a NULL program makes the kernel fail with EFAULT before it
    // installs anything; no memory is read or written.
    let r = unsafe {
        raw_syscall(
            __NR_seccomp,
            [SECCOMP_SET_MODE_FILTER as usize, flag as usize, 0, 0, 0, 0],
        )
    };
    r == Err(Errno::FAULT)
}

/// `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action)`: Ok(true) if the kernel
/// knows `action` (a SECCOMP_RET_* value), Ok(false) if not, Err(EINVAL)
/// when the kernel predates this operation (< 4.14).
pub fn action_available(action: u32) -> Result<bool, Errno> {
    let a = action;
    // SAFETY: the kernel reads one u32 from `a`, alive for the call.
    let r = unsafe {
        raw_syscall(
            __NR_seccomp,
            [
                SECCOMP_GET_ACTION_AVAIL as usize,
                0,
                core::ptr::addr_of!(a) as usize,
                0,
                0,
                0,
            ],
        )
    };
    match r {
        Ok(_) => Ok(true),
        Err(Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e),
    }
}
