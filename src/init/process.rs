//! The user's process: oom score, keyring, executable lookup, user and
//! capabilities, cwd, and the final wait for `start` and exec.

use super::Ctx;
use crate::config::json;
use crate::controller::INIT_NO_NEW_KEYRING;
use crate::error::{Context, Error, Result};
use crate::sys;
use core::ffi::c_char;
use rustix::fd::AsRawFd;
use rustix::fs::{self, Mode, OFlags};
use std::ffi::CString;

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// process.oomScoreAdj, written while /proc is still the host's.
pub fn oom_score_adj(ctx: &mut Ctx<'_>) -> Result<()> {
    if let Some(v) = ctx.spec.process.as_ref().and_then(|p| p.oom_score_adj) {
        crate::sys::fs::write("/proc/self/oom_score_adj", v.to_string())
            .ctx("write", format_args!("oom_score_adj {v}"))?;
    }
    Ok(())
}

/// A new session keyring named after the container (runc does the same),
/// unless --no-new-keyring. Kernels without keyrings are fine.
pub fn session_keyring(ctx: &mut Ctx<'_>) -> Result<()> {
    if ctx.flags & INIT_NO_NEW_KEYRING != 0 {
        return Ok(());
    }
    let name = CString::new(ctx.id).map_err(|_| err!("bad container id"))?;
    const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;
    // SAFETY: keyctl(JOIN_SESSION_KEYRING, name) with a live NUL-terminated name.
    let r = unsafe {
        sys::raw_syscall(
            linux_raw_sys::general::__NR_keyctl,
            [
                KEYCTL_JOIN_SESSION_KEYRING,
                name.as_ptr() as usize,
                0,
                0,
                0,
                0,
            ],
        )
    };
    match r {
        Ok(_) | Err(rustix::io::Errno::NOSYS) => Ok(()),
        Err(e) => Err(e).ctx("join session keyring", format_args!("{}", ctx.id)),
    }
}

/// Value of `key` in the config's env (raw JSON text).
fn env_value<'a>(env: &[&'a str], key: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find_map(|e| e.strip_prefix(key)?.strip_prefix('='))
}

/// Resolve process.args[0] as execvp would, so that a missing program fails
/// `create` with a clear error (runc's wording, which podman matches).
pub fn find_executable(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(p) = &ctx.spec.process else {
        return Ok(());
    };
    let arg0 = json::string(p.args.first().copied().unwrap_or(""), "process.args[0]")?;
    let cwd = json::string(p.cwd, "process.cwd")?;
    // runc creates a missing cwd.
    if fs::stat(cwd.as_str()).is_err() {
        crate::sys::fs::create_dir_all(std::path::Path::new(&cwd))
            .ctx("create cwd", format_args!("{cwd}"))?;
    }
    if arg0.contains('/') {
        let full = if arg0.starts_with('/') {
            arg0.clone()
        } else {
            format!("{}/{arg0}", cwd.trim_end_matches('/'))
        };
        check_exec(&full).map_err(|e| {
            Error::with_errno(e.raw_os_error(), "exec:", format_args!("\"{arg0}\""))
        })?;
        ctx.exe = Some(CString::new(full).map_err(|_| err!("bad process.args[0]"))?);
        return Ok(());
    }
    let path = env_value(&p.env, "PATH")
        .map(|v| json::string(v, "PATH"))
        .transpose()?;
    let path = path.as_deref().unwrap_or(DEFAULT_PATH);
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let full = format!("{dir}/{arg0}");
        if check_exec(&full).is_ok() {
            ctx.exe = Some(CString::new(full).map_err(|_| err!("bad process.args[0]"))?);
            return Ok(());
        }
    }
    bail!("exec:", "\"{arg0}\": executable file not found in $PATH")
}

fn check_exec(path: &str) -> core::result::Result<(), rustix::io::Errno> {
    let st = fs::stat(path)?;
    if fs::FileType::from_raw_mode(st.st_mode) != fs::FileType::RegularFile {
        return Err(rustix::io::Errno::ACCESS);
    }
    if st.st_mode & 0o111 == 0 {
        return Err(rustix::io::Errno::ACCESS);
    }
    Ok(())
}

/// process.user (groups, gid, uid), capabilities around the uid change, umask.
pub fn set_user(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(p) = &ctx.spec.process else {
        return Ok(());
    };
    let caps = p.capabilities.as_ref();
    super::caps::before_setuid(caps)?;
    let u = &p.user;
    let groups: Vec<rustix::process::Gid> = u
        .additional_gids
        .iter()
        .map(|g| rustix::process::Gid::from_raw(*g))
        .collect();
    match rustix::thread::set_thread_groups(&groups) {
        // setgroups is denied in some user namespaces; fine when none are asked.
        Err(rustix::io::Errno::PERM) if groups.is_empty() => {}
        r => r.ctx("setgroups", format_args!("{:?}", &u.additional_gids[..]))?,
    }
    let gid = rustix::process::Gid::from_raw(u.gid);
    rustix::thread::set_thread_res_gid(gid, gid, gid).ctx("setgid", format_args!("{}", u.gid))?;
    let uid = rustix::process::Uid::from_raw(u.uid);
    rustix::thread::set_thread_res_uid(uid, uid, uid).ctx("setuid", format_args!("{}", u.uid))?;
    super::caps::after_setuid(caps)?;
    rustix::process::umask(Mode::from_raw_mode(u.umask.unwrap_or(0o022)));
    Ok(())
}

/// process.cwd, as the user.
pub fn chdir_cwd(ctx: &mut Ctx<'_>) -> Result<()> {
    let cwd = ctx.spec.process.as_ref().map_or("/", |p| p.cwd);
    let c = json::cstring(cwd, "process.cwd")?;
    rustix::process::chdir(c.as_c_str()).ctx("chdir", format_args!("to process.cwd {cwd}"))
}

/// HOME from the container's /etc/passwd for `uid`, else "/".
fn home_of(uid: u32) -> String {
    let text = crate::sys::fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 5 && f[2].parse() == Ok(uid))
        .map(|f| f[5].to_string())
        .unwrap_or_else(|| "/".into())
}

/// Block until `start` opens the exec fifo (create; exec has none), then
/// execute the user's program. Returns only on failure.
pub fn wait_start_and_exec(ctx: &mut Ctx<'_>) -> Error {
    match exec(ctx) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn exec(ctx: &mut Ctx<'_>) -> Result<core::convert::Infallible> {
    let p = ctx
        .spec
        .process
        .as_ref()
        .ok_or_else(|| err!("no process"))?;
    let exe = ctx.exe.take().ok_or_else(|| err!("no executable"))?;
    // argv and envp, built before the wait so start-to-exec does no work.
    let mut store: Vec<CString> = Vec::with_capacity(p.args.len() + p.env.len() + 1);
    for a in p.args.iter() {
        store.push(json::cstring(a, "process.args")?);
    }
    let nargs = store.len();
    // A key given twice keeps its last value (runc's prepareEnv; exec's --env
    // comes after the container's).
    for (i, e) in p.env.iter().enumerate() {
        let key = e.split('=').next().unwrap_or(e);
        if env_value(p.env.get(i + 1..).unwrap_or(&[]), key).is_none() {
            store.push(json::cstring(e, "process.env")?);
        }
    }
    if ctx.listen_fds > 0 {
        // Socket activation as runc passes it on: the fds are 3.., for pid 1.
        store.push(
            CString::new(format!("LISTEN_FDS={}", ctx.listen_fds))
                .map_err(|_| err!("bad LISTEN_FDS"))?,
        );
        store.push(c"LISTEN_PID=1".into());
    }
    if env_value(&p.env, "HOME").is_none() {
        store.push(
            CString::new(format!("HOME={}", home_of(p.user.uid))).map_err(|_| err!("bad HOME"))?,
        );
    }
    let mut argv: Vec<*const c_char> = store[..nargs].iter().map(|c| c.as_ptr()).collect();
    argv.push(core::ptr::null());
    let mut envp: Vec<*const c_char> = store[nargs..].iter().map(|c| c.as_ptr()).collect();
    envp.push(core::ptr::null());

    // No host fd may reach the user's program (CVE-2024-21626 class), but
    // for the ones --preserve-fds / LISTEN_FDS hand on (3 .. 3+extra).
    sys::cloexec_from(3 + ctx.extra_fds).ctx(
        "close_range",
        format_args!("fds from {} on", 3 + ctx.extra_fds),
    )?;
    // exec has no fifo and runs no startContainer hooks (runc's exec neither).
    if let Some(fifo) = &ctx.fifo {
        let fifo_path = format!("/proc/self/fd/{}", fifo.as_raw_fd());
        let w = fs::open(
            fifo_path.as_str(),
            OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ctx("open exec fifo", format_args!("(waiting for start)"))?;
        rustix::io::write(&w, b"0").ctx("write exec fifo", format_args!(""))?;
        drop(w);
        super::hooks::start_container(ctx)?;
    }
    super::sched::final_affinity(ctx)?;
    if p.no_new_privileges {
        rustix::thread::set_no_new_privs(true).ctx("prctl", format_args!("PR_SET_NO_NEW_PRIVS"))?;
    }
    // Last: after it, only execve runs under the filter.
    super::seccomp::install_late(ctx)?;
    let e = sys::exec(&exe, &argv, &envp);
    Err(Error::with_errno(
        e.raw_os_error(),
        "exec",
        format_args!("{exe:?}"),
    ))
}
