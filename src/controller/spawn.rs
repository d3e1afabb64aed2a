//! Starting the controller: husk re-executes itself from a sealed in-memory
//! copy, so no process in the container's namespaces ever runs (or can
//! reach through /proc/PID/exe) the host's husk file (CVE-2019-5736 class).

use super::INIT_ARG;
use crate::error::{Context, Result};
use crate::sys::{self, Forked};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, MemfdFlags, Mode, OFlags, SealFlags};
use std::ffi::CString;

/// A sealed memfd holding a copy of the running husk binary.
pub fn sealed_self() -> Result<OwnedFd> {
    let exe = fs::open(
        "/proc/self/exe",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open", format_args!("/proc/self/exe"))?;
    let size = fs::fstat(&exe)
        .ctx("stat", format_args!("/proc/self/exe"))?
        .st_size as usize;
    let mfd = fs::memfd_create("husk", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .ctx("memfd_create", format_args!("for the sealed husk copy"))?;
    let mut done = 0;
    while done < size {
        match fs::sendfile(&mfd, &exe, None, size - done)
            .ctx("copy", format_args!("/proc/self/exe"))?
        {
            0 => break,
            n => done += n,
        }
    }
    fs::fcntl_add_seals(
        &mfd,
        SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE,
    )
    .ctx("seal", format_args!("the husk copy"))?;
    Ok(mfd)
}

/// A memfd holding the config.json bytes, handed to the controller so the
/// file is read only once.
pub fn config_memfd(buf: &[u8]) -> Result<OwnedFd> {
    let mfd = fs::memfd_create("husk-config", MemfdFlags::CLOEXEC)
        .ctx("memfd_create", format_args!("for config.json"))?;
    crate::sys::fs::write_fd(&mfd, buf).ctx("write", format_args!("config memfd"))?;
    Ok(mfd)
}

/// What the controller is told on its command line.
pub struct InitArgs<'a> {
    pub sync: BorrowedFd<'a>,
    pub config: BorrowedFd<'a>,
    /// The exec fifo (create); `None` for exec.
    pub fifo: Option<BorrowedFd<'a>>,
    pub flags: u32,
    pub bundle: &'a str,
    pub rootfs: &'a str,
    pub id: &'a str,
    /// Socket-activation fds (LISTEN_FDS) among `extra_fds`.
    pub listen_fds: u32,
    /// Fds from 3 on that reach the user's program (LISTEN_FDS + --preserve-fds).
    pub extra_fds: u32,
    /// exec (flag INIT_EXEC): the process.json memfd, and the container
    /// process's pid and start time (the namespaces to join).
    pub exec: Option<(BorrowedFd<'a>, i32, u64)>,
}

/// Fork and exec the sealed copy as `husk init …`; returns the controller's pid.
pub fn controller(exe: BorrowedFd<'_>, a: &InitArgs<'_>) -> Result<i32> {
    let fd_arg = |fd: Option<BorrowedFd<'_>>| fd.map_or(-1, |f| f.as_raw_fd()).to_string();
    let mut words = vec![
        "husk".to_string(),
        INIT_ARG.to_string(),
        a.sync.as_raw_fd().to_string(),
        a.config.as_raw_fd().to_string(),
        fd_arg(a.fifo),
        a.flags.to_string(),
        a.rootfs.to_string(),
        a.id.to_string(),
        a.bundle.to_string(),
        a.listen_fds.to_string(),
        a.extra_fds.to_string(),
    ];
    if let Some((process, pid, start)) = a.exec {
        words.extend([
            process.as_raw_fd().to_string(),
            pid.to_string(),
            start.to_string(),
        ]);
    }
    let cs: Vec<CString> = words
        .iter()
        .map(|w| CString::new(w.as_bytes()).unwrap_or_default())
        .collect();
    let mut argv: Vec<*const core::ffi::c_char> = cs.iter().map(|c| c.as_ptr()).collect();
    argv.push(core::ptr::null());
    let envp = [core::ptr::null()];
    let keep = [Some(a.sync), Some(a.config), a.fifo, a.exec.map(|e| e.0)];
    match sys::fork_process().ctx("fork", format_args!("the controller"))? {
        Forked::Parent(pid) => Ok(pid),
        Forked::Child => {
            // `run` and `exec` block the signals they forward before they
            // spawn; the controller and the container start with none blocked.
            sys::SigSet::unblock_all();
            // Die with `husk create` if it dies before we are done.
            let _ = rustix::process::set_parent_process_death_signal(Some(
                rustix::process::Signal::KILL,
            ));
            for fd in keep.into_iter().flatten() {
                let _ = rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty());
            }
            let e = sys::exec_fd(exe.as_fd().as_raw_fd(), &argv, &envp);
            let err = crate::error::Error::with_errno(
                e.raw_os_error(),
                "exec",
                format_args!("the sealed husk copy"),
            );
            let _ = super::sync::send_error(a.sync, "spawn", &err);
            sys::exit_now(1)
        }
    }
}
