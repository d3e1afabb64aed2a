//! OCI hooks (config.md#posix-platform-hooks, runtime.md#lifecycle).
//!
//! | hook            | run by                      | namespace | status   | pid       |
//! | --------------- | --------------------------- | --------- | -------- | --------- |
//! | prestart        | `husk create` (HOOKS_REQ)   | runtime   | creating | host      |
//! | createRuntime   | `husk create` (HOOKS_REQ)   | runtime   | creating | host      |
//! | createContainer | container process, pre-pivot | container | creating | container |
//! | startContainer  | container process, pre-exec | container | created  | container |
//! | poststart       | `husk start` / `husk run`   | runtime   | running  | host      |
//! | poststop        | `husk delete` / `husk run`  | runtime   | stopped  | host      |
//!
//! Each hook gets the state JSON on stdin, exactly its `env`, and its `args`
//! (or its path as argv[0]); its stdout and stderr are kept (the tail) for
//! the error. A `timeout` kills it with SIGKILL. A failing prestart,
//! createRuntime, createContainer or startContainer hook ends the container;
//! poststart and poststop failures are logged as warnings.
//!
//! `start` and `delete` run in later processes than `create`: when the
//! config has poststart or poststop hooks, create saves config.json in the
//! state dir ([`SAVED`]) and they read the hooks from there.

use crate::cli::Global;
use crate::config::{json, Hook, Hooks};
use crate::error::{Context, Result};
use crate::state::{self, Record};
use crate::sys::{self, Forked};
use core::ffi::c_char;
use rustix::event::{poll, PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::process::{Pid, Signal, WaitOptions};
use std::ffi::CString;
use std::time::{Duration, Instant};

/// The config saved in the state dir for poststart/poststop.
pub const SAVED: &str = "config.json";

/// Bytes of a hook's output kept for the error message.
const OUTPUT_TAIL: usize = 120;

/// At validation: absolute paths, positive timeouts.
pub fn check(h: &Hooks<'_>) -> Result<()> {
    for (list, kind) in kinds(h) {
        for (i, hk) in list.iter().enumerate() {
            if !hk.path.starts_with('/') {
                bail!(
                    "invalid config.json:",
                    "hooks.{kind}[{i}].path \"{}\" is not absolute",
                    hk.path
                );
            }
            if hk.timeout.is_some_and(|t| t <= 0) {
                bail!(
                    "invalid config.json:",
                    "hooks.{kind}[{i}].timeout must be greater than zero"
                );
            }
        }
    }
    Ok(())
}

fn kinds<'h, 'a>(h: &'h Hooks<'a>) -> [(&'h [Hook<'a>], &'static str); 6] {
    [
        (&h.prestart, "prestart"),
        (&h.create_runtime, "createRuntime"),
        (&h.create_container, "createContainer"),
        (&h.start_container, "startContainer"),
        (&h.poststart, "poststart"),
        (&h.poststop, "poststop"),
    ]
}

/// The OCI state (runtime.md#state) handed to a hook. `annotations` is a
/// JSON object text (still escaped, as in the config) or empty.
pub fn state_json(id: &str, status: &str, pid: i32, bundle: &str, annotations: &str) -> String {
    let mut s = String::from("{\"ociVersion\":\"1.3.0\",\"id\":\"");
    json::escape_into(id, &mut s);
    s.push_str("\",\"status\":\"");
    s.push_str(status);
    s.push('"');
    if pid > 0 {
        s.push_str(&format!(",\"pid\":{pid}"));
    }
    s.push_str(",\"bundle\":\"");
    json::escape_into(bundle, &mut s);
    s.push('"');
    if !annotations.is_empty() {
        s.push_str(",\"annotations\":");
        s.push_str(annotations);
    }
    s.push('}');
    s
}

/// Run the hooks of one kind in order; the first failure is the error.
pub fn run_all(list: &[Hook<'_>], kind: &str, state: &str) -> Result<()> {
    for (i, h) in list.iter().enumerate() {
        run(h, state).map_err(|e| {
            crate::error::Error::with_errno(
                0,
                "hook failed:",
                format_args!("{kind}[{i}] {}: {e}", h.path),
            )
        })?;
    }
    Ok(())
}

/// Run one hook: fork, exec, the state on stdin, wait (with its timeout).
pub fn run(h: &Hook<'_>, state: &str) -> Result<()> {
    let path = json::cstring(h.path, "hooks[].path")?;
    let mut store = Vec::with_capacity(h.args.len() + h.env.len() + 1);
    for a in h.args.iter() {
        store.push(json::cstring(a, "hooks[].args")?);
    }
    if store.is_empty() {
        store.push(path.clone());
    }
    let nargs = store.len();
    for e in h.env.iter() {
        store.push(json::cstring(e, "hooks[].env")?);
    }
    let ptrs = |v: &[CString]| -> Vec<*const c_char> {
        v.iter()
            .map(|c| c.as_ptr())
            .chain(core::iter::once(core::ptr::null()))
            .collect()
    };
    let (argv, envp) = (ptrs(&store[..nargs]), ptrs(&store[nargs..]));
    let pipe = || {
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .ctx("pipe", format_args!("for a hook"))
    };
    let (in_r, in_w) = pipe()?;
    let (out_r, out_w) = pipe()?;
    let pid = match sys::fork_process().ctx("fork", format_args!("a hook"))? {
        Forked::Child => {
            let _ = rustix::stdio::dup2_stdin(&in_r);
            let _ = rustix::stdio::dup2_stdout(&out_w);
            let _ = rustix::stdio::dup2_stderr(&out_w);
            let e = sys::exec(&path, &argv, &envp);
            let msg = format!("exec: {}", crate::error::strerror(e.raw_os_error()));
            let _ = rustix::io::write(rustix::stdio::stderr(), msg.as_bytes());
            sys::exit_now(127)
        }
        Forked::Parent(pid) => pid,
    };
    drop((in_r, out_w));
    // The state is small; a hook that does not read it must not block us.
    let _ = rustix::fs::fcntl_setfl(&in_w, OFlags::NONBLOCK);
    let _ = rustix::io::write(&in_w, state.as_bytes());
    drop(in_w);
    let deadline = h
        .timeout
        .map(|t| Instant::now() + Duration::from_secs(t.max(1) as u64));
    let (status, tail) = wait(pid, out_r, deadline, h.timeout.unwrap_or(0))?;
    let tail = String::from_utf8_lossy(&tail);
    let tail = tail.trim();
    match (status.exit_status(), status.terminating_signal()) {
        (Some(0), _) => Ok(()),
        (Some(c), _) => bail!("exit", "status {c}; output: {tail:?}"),
        (_, Some(s)) => bail!("killed", "by signal {s}; output: {tail:?}"),
        _ => bail!("ended oddly", "output: {tail:?}"),
    }
}

/// Read the hook's output (keeping the tail) until it exits; kill it at the deadline.
fn wait(
    pid: i32,
    out: OwnedFd,
    deadline: Option<Instant>,
    timeout: i64,
) -> Result<(rustix::process::WaitStatus, Vec<u8>)> {
    let p = Pid::from_raw(pid).ok_or_else(|| err!("bad pid", "{pid}"))?;
    let _ = rustix::fs::fcntl_setfl(&out, OFlags::NONBLOCK);
    let mut tail = Vec::new();
    let mut buf = [0u8; 512];
    let mut drain = |tail: &mut Vec<u8>| {
        while let Ok(n @ 1..) = rustix::io::read(&out, &mut buf) {
            tail.extend_from_slice(buf.get(..n).unwrap_or(&[]));
            if tail.len() > OUTPUT_TAIL {
                tail.drain(..tail.len() - OUTPUT_TAIL);
            }
        }
    };
    loop {
        if let Some((_, st)) = rustix::process::waitpid(Some(p), WaitOptions::NOHANG)
            .ctx("wait", format_args!("for a hook"))?
        {
            drain(&mut tail);
            return Ok((st, tail));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = rustix::process::kill_process(p, Signal::KILL);
            let _ = rustix::process::waitpid(Some(p), WaitOptions::empty());
            bail!("hook ran past its timeout", "of {timeout} s");
        }
        let mut fds = [PollFd::new(&out, PollFlags::IN)];
        let t = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        };
        let _ = poll(&mut fds, Some(&t));
        drain(&mut tail);
    }
}

/// At create, when poststart/poststop hooks exist: keep the config for later commands.
pub fn save(dir: &state::Dir, hooks: Option<&Hooks<'_>>, buf: &[u8]) -> Result<()> {
    if !hooks.is_some_and(|h| !h.poststart.is_empty() || !h.poststop.is_empty()) {
        return Ok(());
    }
    let f = rustix::fs::openat(
        dir.fd(),
        SAVED,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .ctx("save hooks", format_args!("{}/{SAVED}", dir.path.display()))?;
    sys::fs::write_fd(&f, buf).ctx("save hooks", format_args!("{}/{SAVED}", dir.path.display()))
}

/// The saved config, if create saved one.
pub fn load_saved(dir: &state::Dir) -> Option<Vec<u8>> {
    let f = rustix::fs::openat(
        dir.fd(),
        SAVED,
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    sys::fs::read_fd(f).ok()
}

/// Run saved hooks of `kind` ("poststart" or "poststop"); failures are
/// warnings (the brief and runc agree these do not undo the lifecycle step).
fn run_saved(g: &Global, saved: Option<&[u8]>, r: &Record, kind: &str, status: &str) {
    let Some(buf) = saved else { return };
    let spec = match crate::config::load::parse(buf) {
        Ok(s) => s,
        Err(e) => {
            return crate::log::warn(g, format_args!("{kind} hooks not run: saved config: {e}"))
        }
    };
    let Some(h) = &spec.hooks else { return };
    let list = if kind == "poststart" {
        &h.poststart
    } else {
        &h.poststop
    };
    let state = state_json(&r.id, status, r.pid, &r.bundle, &r.annotations);
    for (i, hk) in list.iter().enumerate() {
        if let Err(e) = run(hk, &state) {
            crate::log::warn(g, format_args!("{kind} hook #{i} {} failed: {e}", hk.path));
        }
    }
}

/// After `start` released the program (runtime.md#lifecycle step 9).
pub fn poststart(g: &Global, dir: &state::Dir, r: &Record) {
    run_saved(g, load_saved(dir).as_deref(), r, "poststart", "running");
}

/// After the container is deleted (step 13): `saved` was read before the
/// state dir went.
pub fn poststop(g: &Global, saved: Option<&[u8]>, r: &Record) {
    run_saved(g, saved, r, "poststop", "stopped");
}

/// A create that failed after the container process existed continues at
/// delete (runtime.md step 12), so its poststop hooks run too.
pub fn poststop_after_failed_create(
    g: &Global,
    spec: &crate::config::Spec<'_>,
    id: &str,
    bundle: &str,
) {
    let Some(h) = &spec.hooks else { return };
    let state = state_json(id, "stopped", 0, bundle, "");
    for (i, hk) in h.poststop.iter().enumerate() {
        if let Err(e) = run(hk, &state) {
            crate::log::warn(
                g,
                format_args!("poststop hook #{i} {} failed: {e}", hk.path),
            );
        }
    }
}

/// The config's annotations as a JSON object text (or empty), for a state.
pub fn annotations(spec: &crate::config::Spec<'_>) -> String {
    super::annotations_json(spec)
}

/// HOOKS_REQ in `husk create`: prestart, then createRuntime, in the runtime
/// namespace, with the container's host pid.
pub fn create_runtime(
    spec: &crate::config::Spec<'_>,
    id: &str,
    bundle: &str,
    pid: i32,
) -> Result<()> {
    let Some(h) = &spec.hooks else { return Ok(()) };
    let ann = super::annotations_json(spec);
    let state = state_json(id, "creating", pid, bundle, &ann);
    run_all(&h.prestart, "prestart", &state)?;
    run_all(&h.create_runtime, "createRuntime", &state)
}
