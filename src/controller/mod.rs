//! The create side of the lifecycle (DESIGN.md's diagram): validate, make the
//! state dir, start the re-executed controller, answer its requests, and
//! record the container once its process reports it is set up.
//!
//! Any failure undoes what was made: the children are killed (their mounts
//! die with their mount namespace) and the state dir is removed.

pub mod console;
pub mod exec;
pub mod hooks;
mod rootless;
pub mod spawn;
pub mod sync;

use crate::cli::Global;
use crate::config::{self, Spec};
use crate::error::{Context, Error, Result};
use crate::state::{self, Record};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags};
use rustix::process::{Pid, Signal};
use std::path::{Path, PathBuf};
use sync::Kind;

/// argv[1] of the re-executed controller.
pub const INIT_ARG: &str = "init";

/// Init flag: use MS_MOVE + chroot instead of pivot_root.
pub const INIT_NO_PIVOT: u32 = 1;
/// Init flag: do not create a session keyring.
pub const INIT_NO_NEW_KEYRING: u32 = 2;
/// Init flag: `husk exec`: join the container's namespaces, run the process steps only.
pub const INIT_EXEC: u32 = 4;

/// Options of `create` (and `run`).
#[derive(Debug, Default)]
pub struct Options {
    pub bundle: Option<PathBuf>,
    pub pid_file: Option<PathBuf>,
    pub console_socket: Option<PathBuf>,
    pub no_pivot: bool,
    pub no_new_keyring: bool,
    pub preserve_fds: u32,
    /// `run` without -d: a terminal without --console-socket stays with
    /// husk (`Created::console`), which proxies it (cli/tty.rs).
    pub foreground: bool,
}

/// A container that create made: its locked state dir and record.
pub struct Created {
    pub dir: state::Dir,
    pub record: Record,
    /// The pty master, in the foreground without --console-socket.
    pub console: Option<OwnedFd>,
}

/// Create container `id` and leave it blocked before the user process.
pub fn create(g: &Global, id: &str, o: &Options) -> Result<Created> {
    state::check_id(id)?;
    let bundle = o.bundle.clone().unwrap_or_else(|| PathBuf::from("."));
    let bundle =
        std::fs::canonicalize(&bundle).ctx("bundle", format_args!("{}", bundle.display()))?;
    let buf = config::load::read(&bundle)?;
    let spec = config::load::parse(&buf)?;
    config::validate::validate(&spec, true)?;
    let terminal = spec.process.as_ref().is_some_and(|p| p.terminal);
    console::check(o.console_socket.as_deref(), terminal, o.foreground)?;
    crate::init::caps::note_missing(g, &spec);
    let rootfs = rootfs_path(&bundle, &spec)?;
    let bundle_s = utf8(&bundle, "bundle")?;
    let rootfs_s = utf8(&rootfs, "rootfs")?;
    let dir = state::create_dir(&g.root, id)?;
    // The cgroups come first: the controller joins them before any namespace.
    let cg = match rootless::cgroup(g, &spec, crate::cgroup::Cgroup::create(g, id, &spec)) {
        Ok(cg) => cg,
        Err(e) => {
            let _ = dir.remove();
            return Err(e);
        }
    };
    match spawn_container(g, id, o, &spec, &buf, &dir, bundle_s, rootfs_s, &cg) {
        Ok((pid, console)) => {
            let finish = || -> Result<Record> {
                let (start_time, _) = state::proc_stat(pid)
                    .ok_or_else(|| err!("container process exited during create:", "pid {pid}"))?;
                let record = Record {
                    id: id.into(),
                    pid,
                    start_time,
                    created: crate::log::rfc3339_now(),
                    bundle: bundle_s.into(),
                    rootfs: rootfs_s.into(),
                    owner: rustix::process::geteuid().as_raw(),
                    flags: if own_pid_ns(&spec) {
                        state::FLAG_PIDNS
                    } else {
                        0
                    },
                    annotations: annotations_json(&spec),
                    cgroups: cg.paths(),
                };
                dir.save(&record)?;
                hooks::save(&dir, spec.hooks.as_ref(), &buf)?;
                if let Some(pf) = &o.pid_file {
                    write_pid_file(pf, pid)?;
                }
                Ok(record)
            };
            match finish() {
                Ok(record) => Ok(Created {
                    dir,
                    record,
                    console,
                }),
                Err(e) => {
                    kill_quietly(pid);
                    let _ = cg.remove();
                    let _ = dir.remove();
                    hooks::poststop_after_failed_create(g, &spec, id, bundle_s);
                    Err(e)
                }
            }
        }
        Err(e) => {
            let _ = cg.remove();
            let _ = dir.remove();
            hooks::poststop_after_failed_create(g, &spec, id, bundle_s);
            Err(e)
        }
    }
}

fn utf8<'p>(p: &'p Path, what: &str) -> Result<&'p str> {
    p.to_str()
        .ok_or_else(|| err!("path is not UTF-8:", "{what} {}", p.display()))
}

/// root.path made absolute against the bundle; it must be a directory.
fn rootfs_path(bundle: &Path, spec: &Spec<'_>) -> Result<PathBuf> {
    let raw = spec.root.as_ref().map_or("rootfs", |r| r.path);
    let p = PathBuf::from(config::json::string(raw, "root.path")?);
    let p = if p.is_absolute() { p } else { bundle.join(p) };
    let p = std::fs::canonicalize(&p).ctx("rootfs", format_args!("{}", p.display()))?;
    if !p.is_dir() {
        bail!("rootfs is not a directory:", "{}", p.display());
    }
    Ok(p)
}

fn own_pid_ns(spec: &Spec<'_>) -> bool {
    spec.linux
        .as_ref()
        .is_some_and(|l| l.namespaces.iter().any(|n| n.typ == "pid"))
}

/// The annotations as one JSON object text (strings are still escaped).
fn annotations_json(spec: &Spec<'_>) -> String {
    if spec.annotations.is_empty() {
        return String::new();
    }
    let mut s = String::from("{");
    for (i, (k, v)) in spec.annotations.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(k);
        s.push_str("\":\"");
        s.push_str(v);
        s.push('"');
    }
    s.push('}');
    s
}

/// The pid file, written atomically (runc writes it the same way).
pub(crate) fn write_pid_file(path: &Path, pid: i32) -> Result<()> {
    let tmp = path.with_extension("husk-tmp");
    crate::sys::fs::write(&tmp, pid.to_string())
        .ctx("write pid file", format_args!("{}", tmp.display()))?;
    rustix::fs::rename(&tmp, path).ctx("write pid file", format_args!("{}", path.display()))
}

pub fn kill_quietly(pid: i32) {
    if let Some(p) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(p, Signal::KILL);
    }
}

/// Start the controller and drive the sync protocol until READY.
#[allow(clippy::too_many_arguments)] // one call site; the pieces of one create
/// Returns the container process's host pid and the pty master kept.
fn spawn_container(
    g: &Global,
    id: &str,
    o: &Options,
    spec: &Spec<'_>,
    buf: &[u8],
    dir: &state::Dir,
    bundle: &str,
    rootfs: &str,
    cg: &crate::cgroup::Cgroup,
) -> Result<(i32, Option<OwnedFd>)> {
    let exe = spawn::sealed_self()?;
    let cfg = spawn::config_memfd(buf)?;
    fs::mknodat(
        dir.fd(),
        state::FIFO,
        fs::FileType::Fifo,
        Mode::from_raw_mode(0o622),
        0,
    )
    .ctx(
        "mkfifo",
        format_args!("{}/{}", dir.path.display(), state::FIFO),
    )?;
    // The container opens it as its user, after the uid change: give it to
    // that user's host uid (umask left aside).
    let (uid, gid) = host_ids(spec);
    fs::chownat(
        dir.fd(),
        state::FIFO,
        Some(rustix::process::Uid::from_raw(uid)),
        Some(rustix::process::Gid::from_raw(gid)),
        fs::AtFlags::empty(),
    )
    .ctx(
        "chown",
        format_args!("{}/{}", dir.path.display(), state::FIFO),
    )?;
    fs::chmodat(
        dir.fd(),
        state::FIFO,
        Mode::from_raw_mode(0o600),
        fs::AtFlags::empty(),
    )
    .ctx(
        "chmod",
        format_args!("{}/{}", dir.path.display(), state::FIFO),
    )?;
    let fifo = fs::openat(
        dir.fd(),
        state::FIFO,
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx(
        "open",
        format_args!("{}/{}", dir.path.display(), state::FIFO),
    )?;
    let (parent, child) = rustix::net::socketpair(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::SEQPACKET,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    )
    .ctx("socketpair", format_args!("for the sync protocol"))?;
    let (listen_fds, extra_fds) = console::extra_fds(o.preserve_fds, true)?;
    let console_sock = console::connect(o.console_socket.as_deref())?;
    let mut flags = 0;
    if o.no_pivot {
        flags |= INIT_NO_PIVOT;
    }
    if o.no_new_keyring {
        flags |= INIT_NO_NEW_KEYRING;
    }
    let args = spawn::InitArgs {
        sync: child.as_fd(),
        config: cfg.as_fd(),
        fifo: Some(fifo.as_fd()),
        flags,
        bundle,
        rootfs,
        id,
        listen_fds,
        extra_fds,
        exec: None,
    };
    let ctl = spawn::controller(exe.as_fd(), &args)?;
    drop(child);
    crate::log::debug(g, format_args!("controller pid {ctl}"));
    let r = drive(
        spec,
        ctl,
        &parent,
        cg,
        (id, bundle, console_sock.as_ref()),
        false,
    )
    .and_then(|(pid, listener, console)| {
        if let Some(fd) = listener {
            send_seccomp_listener(spec, id, bundle, pid, fd.as_fd())?;
        }
        Ok((pid, console))
    });
    // The controller exits right after reporting the pid; reap it.
    if r.is_err() {
        kill_quietly(ctl);
    }
    if let Some(p) = Pid::from_raw(ctl) {
        let _ = rustix::process::waitpid(Some(p), rustix::process::WaitOptions::empty());
    }
    r
}

/// Answer the controller and container until both PID and READY arrived
/// (`exec`: until PID and EOF, i.e. the process executed its program).
/// Returns the container's pid, the seccomp listener if one was sent, and
/// the pty master when there is no console socket to send it to (sized
/// as husk's terminal at once, before the program can look).
/// `side`: id, bundle and console socket, for hooks and the terminal.
pub(crate) fn drive(
    spec: &Spec<'_>,
    ctl: i32,
    sock: &OwnedFd,
    cg: &crate::cgroup::Cgroup,
    side: (&str, &str, Option<&OwnedFd>),
    exec: bool,
) -> Result<Driven> {
    let mut pid = None;
    let mut listener = None;
    let mut console = None;
    // PID comes from the controller, READY from the container process: two
    // writers, so either may arrive first.
    let mut ready = false;
    let fail = |pid: Option<i32>, e: Error| -> Result<Driven> {
        if let Some(p) = pid {
            kill_quietly(p);
        }
        Err(e)
    };
    loop {
        let msg = match sync::recv(sock) {
            Ok(Some(m)) => m,
            Ok(None) if exec && pid.is_some() => return Ok((pid.unwrap_or(0), listener, console)),
            Ok(None) => {
                return fail(
                    pid,
                    err!(
                        "container process exited during set-up:",
                        "no error was reported"
                    ),
                )
            }
            Err(e) => return fail(pid, e),
        };
        match msg.kind {
            Kind::IdmapReq => {
                if let Err(e) = write_id_maps(spec, ctl) {
                    return fail(pid, e);
                }
                sync::send(sock.as_fd(), Kind::IdmapAck, 0)?;
            }
            Kind::CgroupReq => {
                if let Err(e) = cg.join(ctl) {
                    return fail(pid, e);
                }
                sync::send(sock.as_fd(), Kind::CgroupAck, 0)?;
            }
            Kind::Pid => pid = Some(msg.value),
            Kind::SeccompFd => listener = msg.fd,
            Kind::Ready => ready = true,
            Kind::Error => return fail(pid, msg.to_error()),
            Kind::HooksReq => {
                // The container sends its host pid: PID may not be here yet.
                let p = if msg.value > 0 {
                    msg.value
                } else {
                    pid.unwrap_or(0)
                };
                if let Err(e) = hooks::create_runtime(spec, side.0, side.1, p) {
                    return fail(pid.or(Some(p).filter(|p| *p > 0)), e);
                }
                sync::send(sock.as_fd(), Kind::HooksAck, 0)?;
            }
            Kind::ConsoleFd if side.2.is_none() && msg.fd.is_some() => {
                console = msg.fd;
                if let Some(m) = &console {
                    console::copy_size(m);
                }
            }
            Kind::ConsoleFd => {
                if let Err(e) = console::send_master(side.2, msg.fd) {
                    return fail(pid, e);
                }
            }
            Kind::IdmapAck | Kind::CgroupAck | Kind::HooksAck => {
                return fail(pid, err!("sync protocol:", "unexpected {:?}", msg.kind))
            }
        }
        if let (Some(p), true) = (pid, ready) {
            return Ok((p, listener, console));
        }
    }
}

/// What `drive` returns: pid, seccomp listener, pty master.
pub(crate) type Driven = (i32, Option<OwnedFd>, Option<OwnedFd>);

/// Give the SCMP_ACT_NOTIFY listener to the agent at listenerPath, with the
/// container's state as "creating" (runc does this at the same point).
pub(crate) fn send_seccomp_listener(
    spec: &Spec<'_>,
    id: &str,
    bundle: &str,
    pid: i32,
    fd: rustix::fd::BorrowedFd<'_>,
) -> Result<()> {
    let Some(sc) = spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) else {
        return Ok(());
    };
    let Some(path) = sc.listener_path else {
        return Ok(());
    };
    let mut state = String::from("{\"ociVersion\":\"1.3.0\",\"id\":\"");
    config::json::escape_into(id, &mut state);
    state.push_str(&format!(
        "\",\"status\":\"creating\",\"pid\":{pid},\"bundle\":\""
    ));
    config::json::escape_into(bundle, &mut state);
    state.push('"');
    let ann = annotations_json(spec);
    if !ann.is_empty() {
        state.push_str(",\"annotations\":");
        state.push_str(&ann);
    }
    state.push('}');
    crate::seccomp::load::send_listener(
        fd,
        path,
        state.as_bytes(),
        sc.listener_metadata.unwrap_or(""),
    )
}

/// Host uid and gid of the container's process user, through the id maps.
fn host_ids(spec: &Spec<'_>) -> (u32, u32) {
    let user = spec
        .process
        .as_ref()
        .map_or((0, 0), |p| (p.user.uid, p.user.gid));
    let map = |id: u32, maps: &[config::linux::IdMapping]| {
        maps.iter()
            .find(|m| id >= m.container_id && id - m.container_id < m.size)
            .map_or(id, |m| m.host_id + (id - m.container_id))
    };
    match &spec.linux {
        Some(l) if !l.uid_mappings.is_empty() => {
            (map(user.0, &l.uid_mappings), map(user.1, &l.gid_mappings))
        }
        _ => user,
    }
}

/// Write /proc/PID/uid_map and gid_map of the controller from outside.
fn write_id_maps(spec: &Spec<'_>, pid: i32) -> Result<()> {
    let Some(l) = &spec.linux else { return Ok(()) };
    for (file, maps) in [("uid_map", &l.uid_mappings), ("gid_map", &l.gid_mappings)] {
        rootless::write_map(pid, file, maps)?;
    }
    Ok(())
}
