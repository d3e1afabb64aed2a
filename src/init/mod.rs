//! The re-executed side of create:
//! `husk init SYNC CONFIG FIFO FLAGS ROOTFS ID BUNDLE LISTEN_FDS EXTRA_FDS`,
//! and of exec (flag INIT_EXEC, FIFO -1): `… PROCESS_JSON_FD PID START_TIME`
//! (src/init/exec.rs: join the container's namespaces, the steps of
//! [`exec::STEPS`] only).
//!
//! The controller joins or creates the namespaces, then forks the container
//! process (pid 1 of a new pid namespace) and exits. The container process
//! walks the ordered step table below, reports READY, blocks on the exec
//! fifo until `start`, and executes the user's program. Any error is sent to
//! `husk create` with the step's name; nothing here prints.

pub mod caps;
mod copyup;
pub mod devices;
mod exec;
mod hooks;
pub mod lsm;
pub mod mounts;
mod namespaces;
mod process;
pub mod rlimits;
mod rootfs;
pub mod sched;
mod seccomp;
pub mod sysctl;
mod terminal;

use crate::config::{self, Spec};
use crate::controller::sync::{self, Kind};
use crate::error::{Context, Result};
use crate::sys::{self, Forked};
use rustix::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ffi::OsString;

/// What every step can see.
pub struct Ctx<'a> {
    pub spec: &'a Spec<'a>,
    /// The exec fifo `start` opens; `None` in an exec process.
    pub fifo: Option<OwnedFd>,
    pub flags: u32,
    pub rootfs: &'a str,
    pub id: &'a str,
    pub bundle: &'a str,
    /// Socket-activation fds among `extra_fds` (LISTEN_FDS for the program).
    pub listen_fds: u32,
    /// Fds from 3 on that the program keeps (LISTEN_FDS + --preserve-fds).
    pub extra_fds: u32,
    /// The user's program, resolved before READY so a missing one fails create.
    pub exe: Option<std::ffi::CString>,
    /// The sync socket to `husk create`.
    pub sync: BorrowedFd<'a>,
    /// The compiled seccomp filter until it is installed.
    pub filter: Option<Box<seccomp::Filter>>,
}

/// A step of the container process: its name (shown in errors) and action.
type Step = (&'static str, fn(&mut Ctx<'_>) -> Result<()>);

/// The container process's set-up, in order (bubblewrap style: the whole
/// order fits on one screen).
const STEPS: &[Step] = &[
    ("seccomp compile", seccomp::compile),
    ("oom score", process::oom_score_adj),
    ("root propagation", rootfs::prepare),
    ("mounts", mounts::mount_all),
    ("devices", devices::create_defaults),
    ("config devices", devices::create_config),
    ("runtime hooks", hooks::runtime),
    ("createContainer hooks", hooks::create_container),
    ("pivot root", rootfs::enter),
    ("terminal", terminal::setup),
    ("sysctl", sysctl::apply),
    ("masked paths", rootfs::masked_paths),
    ("readonly paths", rootfs::readonly_paths),
    ("readonly root", rootfs::readonly_root),
    ("hostname", namespaces::hostname),
    ("keyring", process::session_keyring),
    ("rlimits", rlimits::apply),
    ("personality", sched::personality),
    ("io priority", sched::io_priority),
    ("scheduler", sched::scheduler),
    ("find executable", process::find_executable),
    ("seccomp", seccomp::install_early),
    ("user", process::set_user),
    ("cwd", process::chdir_cwd),
    ("security labels", lsm::exec_labels),
];

/// Entry point of the re-executed controller.
pub fn main(args: Vec<OsString>) -> Result<u8> {
    let arg = |i: usize| args.get(i).and_then(|a| a.to_str()).unwrap_or("");
    let fd = |i: usize| -> Result<OwnedFd> {
        let n: i32 = arg(i)
            .parse()
            .map_err(|_| err!("husk init:", "bad fd argument"))?;
        if n < 3 {
            bail!("husk init:", "bad fd argument");
        }
        // SAFETY: `husk create` passed these fds open and owned by nobody else
        // in this freshly executed process.
        Ok(unsafe { OwnedFd::from_raw_fd(n) })
    };
    let sync = fd(0)?;
    let _ = rustix::thread::set_name(c"husk:[1:ctl]");
    let r = (|| -> Result<()> {
        let cfg = fd(1)?;
        let flags: u32 = arg(3).parse().unwrap_or(0);
        let exec = flags & crate::controller::INIT_EXEC != 0;
        let fifo = if exec { None } else { Some(fd(2)?) };
        let pbuf = if exec {
            read_config(&fd(9)?)?
        } else {
            Vec::new()
        };
        // Relative paths of the config (bind sources) are the bundle's, as in runc.
        rustix::process::chdir(arg(6)).ctx("chdir", format_args!("to the bundle {}", arg(6)))?;
        let buf = read_config(&cfg)?;
        drop(cfg);
        let mut spec = config::load::parse(&buf)?;
        if exec {
            exec::merge(&mut spec, config::load::parse_process(&pbuf)?);
        }
        let mut ctx = Ctx {
            spec: &spec,
            fifo,
            flags,
            rootfs: arg(4),
            id: arg(5),
            bundle: arg(6),
            listen_fds: arg(7).parse().unwrap_or(0),
            extra_fds: arg(8).parse().unwrap_or(0),
            exe: None,
            sync: sync.as_fd(),
            filter: None,
        };
        if exec {
            let pid = arg(10)
                .parse()
                .map_err(|_| err!("husk init:", "bad pid argument"))?;
            return exec::controller(&mut ctx, sync.as_fd(), pid, arg(11).parse().unwrap_or(0));
        }
        controller(&mut ctx, sync.as_fd())
    })();
    match r {
        Ok(()) => Ok(0),
        Err(e) => {
            let _ = sync::send_error(sync.as_fd(), "controller", &e);
            Ok(1)
        }
    }
}

fn read_config(fd: &OwnedFd) -> Result<Vec<u8>> {
    let size = rustix::fs::fstat(fd)
        .ctx("stat", format_args!("config memfd"))?
        .st_size as usize;
    let mut buf = vec![0u8; size];
    let mut off = 0;
    while off < size {
        match rustix::io::pread(fd, &mut buf[off..], off as u64)
            .ctx("read", format_args!("config memfd"))?
        {
            0 => break,
            n => off += n,
        }
    }
    buf.truncate(off);
    Ok(buf)
}

/// Namespaces, then fork the container process; the controller then exits.
fn controller(ctx: &mut Ctx<'_>, sync: BorrowedFd<'_>) -> Result<()> {
    // execCPUAffinity.initial: before the move into the container's cgroups.
    let affinity = ctx
        .spec
        .process
        .as_ref()
        .and_then(|p| p.exec_cpu_affinity.as_ref());
    sched::set_affinity(affinity.and_then(|a| a.initial), "initial")?;
    namespaces::enter(ctx.spec, sync)?;
    match sys::fork_process().ctx("fork", format_args!("the container process"))? {
        Forked::Parent(pid) => sync::send(sync, Kind::Pid, pid),
        Forked::Child => {
            let code = container(ctx, sync);
            sys::exit_now(code)
        }
    }
}

/// The container process: run the steps, report READY, wait, exec.
fn container(ctx: &mut Ctx<'_>, sync: BorrowedFd<'_>) -> i32 {
    let _ = rustix::thread::set_name(c"husk:[2:init]");
    // The controller had a death signal tied to `husk create`; this process
    // outlives both.
    let _ = rustix::process::set_parent_process_death_signal(None);
    for (name, step) in STEPS {
        if let Err(e) = step(ctx) {
            let _ = sync::send_error(sync, name, &e);
            return 1;
        }
    }
    if sync::send(sync, Kind::Ready, 0).is_err() {
        return 1;
    }
    // From here `husk create` is gone; errors end the process with the
    // message on its stderr, as runc's init does after start.
    let e = process::wait_start_and_exec(ctx);
    crate::sys::fs::eprint(format_args!("husk: {e}\n"));
    match e.errno() {
        Some(rustix::io::Errno::NOENT) => 127,
        Some(rustix::io::Errno::ACCESS) | Some(rustix::io::Errno::NOEXEC) => 126,
        _ => 1,
    }
}
