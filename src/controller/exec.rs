//! The exec side of the lifecycle (runc's `exec`): a new process in a
//! running container, through the same sealed re-exec and sync protocol as
//! create (spawn.rs, sync.rs). The controller is `husk init` with the
//! INIT_EXEC flag: it is moved into the container's cgroups, joins the
//! container process's namespaces through /proc/PID/ns (src/init/exec.rs),
//! forks, and the child walks the process steps only (no rootfs set-up).
//!
//! The process is a process.json (`--process FILE`, the OCI `process`
//! object), or the container's own `process` with ARGS and the flags on top
//! (runc's getProcess). Either way the fields a process.json leaves out
//! (capabilities, rlimits, apparmorProfile, selinuxLabel) come from the
//! container's config, as in runc's newInitConfig.

use super::{console, spawn, Global};
use crate::config::{self, json, Process};
use crate::error::{Context, Result};
use crate::state::{self, Status};
use rustix::fd::AsFd;
use rustix::process::Pid;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Options of `husk exec` (runc's spellings).
#[derive(Debug, Default)]
pub struct Options {
    pub process: Option<PathBuf>,
    pub args: Vec<String>,
    pub detach: bool,
    pub pid_file: Option<PathBuf>,
    pub console_socket: Option<PathBuf>,
    pub tty: bool,
    pub cwd: Option<String>,
    pub env: Vec<String>,
    /// `UID[:GID]`.
    pub user: Option<(u32, Option<u32>)>,
    pub additional_gids: Vec<u32>,
    pub caps: Vec<String>,
    pub no_new_privs: bool,
    pub apparmor: Option<String>,
    pub process_label: Option<String>,
    pub preserve_fds: u32,
    pub ignore_paused: bool,
}

/// A started exec process: its host pid, and its pty master when husk
/// proxies the terminal (-t in the foreground without --console-socket).
pub struct Started {
    pub pid: i32,
    pub console: Option<rustix::fd::OwnedFd>,
}

/// Start the process in container `id`; returns once it executed its program.
pub fn exec(g: &Global, id: &str, o: &Options) -> Result<Started> {
    let dir = state::open_dir(&g.root, id)?;
    let record = dir.load()?;
    match dir.status(&record) {
        Status::Stopped => bail!("cannot exec in a stopped container:", "{id}"),
        Status::Paused if !o.ignore_paused => {
            bail!(
                "cannot exec in a paused container:",
                "{id} (resume it, or give --ignore-paused)"
            )
        }
        _ => {}
    }
    // The container's config: the copy create kept, else the bundle's.
    let buf = match super::hooks::load_saved(&dir) {
        Some(b) => b,
        None => config::load::read(std::path::Path::new(&record.bundle))?,
    };
    let spec = config::load::parse(&buf)?;
    let text = match &o.process {
        Some(f) => crate::sys::fs::read(f.as_path())
            .ctx("read", format_args!("--process {}", f.display()))?,
        None => process_json(spec.process.as_ref(), o)?.into_bytes(),
    };
    let p = config::load::parse_process(&text)?;
    config::validate::process(&p)?;
    let container = spec.process.as_ref();
    let apparmor = p
        .apparmor_profile
        .or(container.and_then(|c| c.apparmor_profile));
    if apparmor.is_some_and(|a| !a.is_empty()) && !crate::init::lsm::apparmor_enabled() {
        bail!(
            "apparmor is not enabled on this host:",
            "apparmorProfile \"{}\" cannot be applied",
            apparmor.unwrap_or("")
        );
    }
    console::check(o.console_socket.as_deref(), p.terminal, !o.detach)?;
    let cg = crate::cgroup::Cgroup::load(&record.cgroups)?;
    let exe = spawn::sealed_self()?;
    let cfg = spawn::config_memfd(&buf)?;
    let proc_fd = spawn::config_memfd(&text)?;
    let (parent, child) = rustix::net::socketpair(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::SEQPACKET,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    )
    .ctx("socketpair", format_args!("for the sync protocol"))?;
    let (_, extra_fds) = console::extra_fds(o.preserve_fds, false)?;
    let console_sock = console::connect(o.console_socket.as_deref())?;
    let args = spawn::InitArgs {
        sync: child.as_fd(),
        config: cfg.as_fd(),
        fifo: None,
        flags: super::INIT_EXEC,
        bundle: &record.bundle,
        rootfs: &record.rootfs,
        id,
        listen_fds: 0,
        extra_fds,
        exec: Some((proc_fd.as_fd(), record.pid, record.start_time)),
    };
    let ctl = spawn::controller(exe.as_fd(), &args)?;
    drop(child);
    crate::log::debug(g, format_args!("exec controller pid {ctl}"));
    // Other commands on this id may run while the process lives.
    drop(dir);
    let side = (id, record.bundle.as_str(), console_sock.as_ref());
    let r = super::drive(&spec, ctl, &parent, &cg, side, true).and_then(|(pid, listener, tty)| {
        if let Some(fd) = listener {
            super::send_seccomp_listener(&spec, id, &record.bundle, pid, fd.as_fd())?;
        }
        Ok((pid, tty))
    });
    if r.is_err() {
        super::kill_quietly(ctl);
    }
    if let Some(p) = Pid::from_raw(ctl) {
        let _ = rustix::process::waitpid(Some(p), rustix::process::WaitOptions::empty());
    }
    let (pid, console) = r?;
    if let Some(pf) = &o.pid_file {
        if let Err(e) = super::write_pid_file(pf, pid) {
            super::kill_quietly(pid);
            return Err(e);
        }
    }
    Ok(Started { pid, console })
}

/// The container's process with ARGS and the flags on top, as process.json
/// text (runc's getProcess). Strings from the config are raw JSON already;
/// flag values are escaped.
fn process_json(base: Option<&Process<'_>>, o: &Options) -> Result<String> {
    if o.args.is_empty() {
        bail!(
            "exec needs a command:",
            "give ARGS after the container id, or --process FILE"
        );
    }
    let dflt = Process::default();
    let b = base.unwrap_or(&dflt);
    let mut s = String::from("{");
    let _ = write!(s, "\"terminal\":{},", o.tty);
    // A terminal husk proxies starts with husk's size (the init sets it
    // before the program runs; a resize after exec would race with it).
    let proxied = o.tty && o.console_socket.is_none();
    if let Some(ws) = proxied.then(console::host_size).flatten() {
        let _ = write!(
            s,
            "\"consoleSize\":{{\"height\":{},\"width\":{}}},",
            ws.ws_row, ws.ws_col
        );
    }
    s.push_str("\"args\":");
    list(&mut s, o.args.iter().map(|a| (a.as_str(), true)));
    s.push_str(",\"env\":");
    list(
        &mut s,
        b.env
            .iter()
            .map(|e| (*e, false))
            .chain(o.env.iter().map(|e| (e.as_str(), true))),
    );
    s.push_str(",\"cwd\":");
    match &o.cwd {
        Some(c) => string(&mut s, c, true),
        None => string(&mut s, b.cwd, false),
    }
    let (uid, gid) = match o.user {
        Some((u, g)) => (u, g.unwrap_or(0)),
        None => (b.user.uid, b.user.gid),
    };
    let _ = write!(s, ",\"user\":{{\"uid\":{uid},\"gid\":{gid}");
    if let Some(m) = b.user.umask {
        let _ = write!(s, ",\"umask\":{m}");
    }
    let gids: Vec<u32> = if o.additional_gids.is_empty() {
        b.user.additional_gids.to_vec()
    } else {
        o.additional_gids.clone()
    };
    let _ = write!(s, ",\"additionalGids\":{gids:?}}}");
    if b.capabilities.is_some() || !o.caps.is_empty() {
        let c = b.capabilities.as_ref();
        s.push_str(",\"capabilities\":{");
        let sets: [(&str, &[&str]); 5] = [
            ("bounding", c.map_or(&[], |c| &c.bounding)),
            ("effective", c.map_or(&[], |c| &c.effective)),
            ("inheritable", c.map_or(&[], |c| &c.inheritable)),
            ("permitted", c.map_or(&[], |c| &c.permitted)),
            ("ambient", c.map_or(&[], |c| &c.ambient)),
        ];
        for (i, (name, set)) in sets.iter().enumerate() {
            let _ = write!(s, "{}\"{name}\":", if i > 0 { "," } else { "" });
            list(
                &mut s,
                set.iter()
                    .map(|n| (*n, false))
                    .chain(o.caps.iter().map(|n| (n.as_str(), true))),
            );
        }
        s.push('}');
    }
    s.push_str(",\"rlimits\":[");
    for (i, r) in b.rlimits.iter().enumerate() {
        let _ = write!(
            s,
            "{}{{\"type\":\"{}\",\"soft\":{},\"hard\":{}}}",
            if i > 0 { "," } else { "" },
            r.typ,
            r.soft,
            r.hard
        );
    }
    let _ = write!(
        s,
        "],\"noNewPrivileges\":{}",
        o.no_new_privs || b.no_new_privileges
    );
    for (key, flag, raw) in [
        ("apparmorProfile", &o.apparmor, b.apparmor_profile),
        ("selinuxLabel", &o.process_label, b.selinux_label),
    ] {
        match (flag, raw) {
            (Some(v), _) => {
                let _ = write!(s, ",\"{key}\":");
                string(&mut s, v, true);
            }
            (None, Some(r)) => {
                let _ = write!(s, ",\"{key}\":");
                string(&mut s, r, false);
            }
            (None, None) => {}
        }
    }
    if let Some(v) = b.oom_score_adj {
        let _ = write!(s, ",\"oomScoreAdj\":{v}");
    }
    if let Some(io) = &b.io_priority {
        let _ = write!(
            s,
            ",\"ioPriority\":{{\"class\":\"{}\",\"priority\":{}}}",
            io.class, io.priority
        );
    }
    if let Some(sc) = &b.scheduler {
        let _ = write!(
            s,
            ",\"scheduler\":{{\"policy\":\"{}\",\"nice\":{},\"priority\":{},\"runtime\":{},\"deadline\":{},\"period\":{},\"flags\":",
            sc.policy, sc.nice, sc.priority, sc.runtime, sc.deadline, sc.period
        );
        list(&mut s, sc.flags.iter().map(|f| (*f, false)));
        s.push('}');
    }
    if let Some(a) = &b.exec_cpu_affinity {
        s.push_str(",\"execCPUAffinity\":{");
        for (i, (k, v)) in [("initial", a.initial), ("final", a.final_)]
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .enumerate()
        {
            let _ = write!(s, "{}\"{k}\":\"{v}\"", if i > 0 { "," } else { "" });
        }
        s.push('}');
    }
    s.push('}');
    Ok(s)
}

/// A JSON string: `escape` for text from the command line, raw config text as is.
fn string(s: &mut String, v: &str, escape: bool) {
    s.push('"');
    if escape {
        json::escape_into(v, s);
    } else {
        s.push_str(v);
    }
    s.push('"');
}

fn list<'a>(s: &mut String, items: impl Iterator<Item = (&'a str, bool)>) {
    s.push('[');
    for (i, (v, escape)) in items.enumerate() {
        if i > 0 {
            s.push(',');
        }
        string(s, v, escape);
    }
    s.push(']');
}
