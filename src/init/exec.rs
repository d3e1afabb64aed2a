//! `husk init` in exec mode (flag INIT_EXEC, see controller/exec.rs): the
//! controller is moved into the container's cgroups, joins every namespace
//! of the container process through /proc/PID/ns (user first, so the others
//! are joined with its rights; pid before the fork, so the child is inside),
//! takes the container's root from /proc/PID/root, and forks. The child walks
//! [`STEPS`], the process part of create's table (no rootfs set-up: it is
//! there), and executes the program; errors go to `husk exec` over the sync
//! socket as in create, up to and including a failed execve.
//!
//! References: setns(2), namespaces(7), runc's libcontainer/setns_init_linux.go.

use super::{lsm, process, rlimits, sched, seccomp, terminal, Ctx, Step};
use crate::config::{Process, Spec};
use crate::controller::sync::{self, Kind};
use crate::error::{Context, Result};
use crate::sys::{self, Forked};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::thread::LinkNameSpaceType as Ns;

/// The exec'd process's set-up, in create's order (init/mod.rs's STEPS).
pub const STEPS: &[Step] = &[
    ("seccomp compile", seccomp::compile),
    ("terminal", terminal::setup),
    ("keyring", process::session_keyring),
    ("rlimits", rlimits::apply),
    ("io priority", sched::io_priority),
    ("scheduler", sched::scheduler),
    ("find executable", process::find_executable),
    ("seccomp", seccomp::install_early),
    ("user", process::set_user),
    ("cwd", process::chdir_cwd),
    ("security labels", lsm::exec_labels),
];

/// The namespaces of /proc/PID/ns, in the order they are joined.
const NAMESPACES: &[(&str, Ns)] = &[
    ("user", Ns::User),
    ("ipc", Ns::InterProcessCommunication),
    ("uts", Ns::HostNameAndNISDomainName),
    ("net", Ns::Network),
    ("pid", Ns::ProcessID),
    ("cgroup", Ns::ControlGroup),
    ("time", Ns::Time),
    ("mnt", Ns::Mount),
];

/// The process of process.json, with the container's capabilities, rlimits
/// and LSM labels where it has none (runc's newInitConfig).
pub fn merge<'a>(spec: &mut Spec<'a>, mut p: Process<'a>) {
    if let Some(c) = spec.process.take() {
        if p.capabilities.is_none() {
            p.capabilities = c.capabilities;
        }
        if p.rlimits.is_empty() {
            p.rlimits = c.rlimits;
        }
        if p.apparmor_profile.is_none() {
            p.apparmor_profile = c.apparmor_profile;
        }
        if p.selinux_label.is_none() {
            p.selinux_label = c.selinux_label;
        }
    }
    spec.process = Some(p);
}

/// The exec controller: cgroups, namespaces, fork; the child runs [`STEPS`].
/// `pid` and `start`: the container process and its start time.
pub fn controller(ctx: &mut Ctx<'_>, sync: BorrowedFd<'_>, pid: i32, start: u64) -> Result<()> {
    let affinity = ctx
        .spec
        .process
        .as_ref()
        .and_then(|p| p.exec_cpu_affinity.as_ref());
    sched::set_affinity(affinity.and_then(|a| a.initial), "initial")?;
    // Inherited by the child; written while /proc is the host's.
    process::oom_score_adj(ctx)?;
    sync::request(sync, Kind::CgroupReq, Kind::CgroupAck)?;
    join(pid, start)?;
    match sys::fork_process().ctx("fork", format_args!("the exec process"))? {
        Forked::Parent(child) => sync::send(sync, Kind::Pid, child),
        Forked::Child => {
            let code = run(ctx, sync);
            sys::exit_now(code)
        }
    }
}

/// Join the namespaces of `pid` that are not ours already, then its root.
fn join(pid: i32, start: u64) -> Result<()> {
    let mut fds: Vec<(&str, Ns, OwnedFd)> = Vec::new();
    for (name, typ) in NAMESPACES {
        let path = format!("/proc/{pid}/ns/{name}");
        let fd = match rustix::fs::open(
            path.as_str(),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            // A kernel without this namespace type.
            Err(rustix::io::Errno::NOENT) if *name == "time" || *name == "cgroup" => continue,
            Err(e) => return Err(e).ctx("open namespace", format_args!("{path}")),
        };
        let ours = rustix::fs::stat(format!("/proc/self/ns/{name}").as_str());
        let theirs = rustix::fs::fstat(&fd).ctx("stat", format_args!("{path}"))?;
        // setns into one's own user namespace is EINVAL; skip every shared one.
        if ours.is_ok_and(|o| o.st_dev == theirs.st_dev && o.st_ino == theirs.st_ino) {
            continue;
        }
        fds.push((name, *typ, fd));
    }
    let root_path = format!("/proc/{pid}/root");
    let root = rustix::fs::open(
        root_path.as_str(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open", format_args!("{root_path}"))?;
    // The fds are the container's only if `pid` is still its process.
    if !crate::state::alive(pid, start) {
        bail!("container not running:", "its process {pid} exited");
    }
    for (name, typ, fd) in &fds {
        rustix::thread::move_into_link_name_space(fd.as_fd(), Some(*typ))
            .ctx("setns", format_args!("{name} namespace of pid {pid}"))?;
        if *name == "user" {
            // Root of the namespace where it is mapped, as create does.
            let g = rustix::process::Gid::ROOT;
            let _ = rustix::thread::set_thread_res_gid(g, g, g);
            let u = rustix::process::Uid::ROOT;
            let _ = rustix::thread::set_thread_res_uid(u, u, u);
        }
    }
    // The container's root as its process sees it (pivot_root or chroot).
    rustix::process::fchdir(&root).ctx("fchdir", format_args!("{root_path}"))?;
    rustix::process::chroot(".").ctx("chroot", format_args!("{root_path}"))?;
    rustix::process::chdir("/").ctx("chdir", format_args!("/ of the container"))
}

/// The exec'd process: the steps, then execve; any error goes to `husk exec`.
fn run(ctx: &mut Ctx<'_>, sync: BorrowedFd<'_>) -> i32 {
    let _ = rustix::thread::set_name(c"husk:[3:exec]");
    let _ = rustix::process::set_parent_process_death_signal(None);
    for (name, step) in STEPS {
        if let Err(e) = step(ctx) {
            let _ = sync::send_error(sync, name, &e);
            return 1;
        }
    }
    let e = process::wait_start_and_exec(ctx);
    let _ = sync::send_error(sync, "exec", &e);
    1
}
