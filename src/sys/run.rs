//! Running a host program and collecting what it prints: `husk ps` runs
//! ps(1), rootless id mapping runs newuidmap(1)/newgidmap(1). fork, execvp(3)
//! (PATH lookup as a shell does), wait. std's `Command` does the same with
//! about 12 KB of code in a static binary; this is a few hundred bytes.

use super::{fork_process, last_errno, Forked};
use core::ffi::{c_char, c_int};
use rustix::event::{poll, PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::pipe::{pipe_with, PipeFlags};
use rustix::process::{waitpid, Pid, WaitOptions};
use std::ffi::CString;

extern "C" {
    fn execvp(file: *const c_char, argv: *const *const c_char) -> c_int;
}

/// What a finished program left.
pub struct Output {
    /// The wait status (waitpid(2)).
    pub status: rustix::process::WaitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.exit_status() == Some(0)
    }
    /// "exit status N" or "killed by signal N", for messages.
    pub fn describe(&self) -> String {
        match (self.status.exit_status(), self.status.terminating_signal()) {
            (Some(c), _) => format!("exit status {c}"),
            (_, Some(s)) => format!("killed by signal {s}"),
            _ => "an unknown status".into(),
        }
    }
}

/// Run `argv` (argv[0] looked up in PATH) with husk's environment and stdin,
/// stdout and stderr collected; wait for it. An error is about starting it:
/// ENOENT when it is not installed, as exec reported it.
pub fn output(argv: &[String]) -> Result<Output, Errno> {
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| Errno::INVAL))
        .collect::<Result<_, _>>()?;
    let Some(file) = args.first() else {
        return Err(Errno::INVAL);
    };
    let mut ptrs: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(core::ptr::null());
    let (out_r, out_w) = pipe_with(PipeFlags::CLOEXEC)?;
    let (err_r, err_w) = pipe_with(PipeFlags::CLOEXEC)?;
    // Tells the parent the exec's errno; closed (CLOEXEC) when exec works.
    let (st_r, st_w) = pipe_with(PipeFlags::CLOEXEC)?;
    let pid = match fork_process()? {
        Forked::Child => {
            let _ = rustix::stdio::dup2_stdout(&out_w);
            let _ = rustix::stdio::dup2_stderr(&err_w);
            // The strings (file, each ptrs entry) outlive the call; ptrs ends with NULL.
            // SAFETY: execvp gets live NUL-terminated strings and a NULL-terminated array.
            unsafe { execvp(file.as_ptr(), ptrs.as_ptr()) };
            let e = last_errno().raw_os_error();
            let _ = rustix::io::write(&st_w, &e.to_ne_bytes());
            super::exit_now(127);
        }
        Forked::Parent(p) => p,
    };
    drop((out_w, err_w, st_w));
    let mut code = [0u8; 4];
    let failed = matches!(rustix::io::read(&st_r, &mut code), Ok(4));
    let (stdout, stderr) = collect(out_r, err_r);
    let status = loop {
        match waitpid(Pid::from_raw(pid), WaitOptions::empty()) {
            Ok(Some((_, st))) => break st,
            Err(Errno::INTR) => continue,
            Ok(None) | Err(_) => return Err(Errno::CHILD),
        }
    };
    if failed {
        return Err(Errno::from_raw_os_error(i32::from_ne_bytes(code)));
    }
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Read both pipes to their ends, whichever has data (a full pipe would
/// block the program otherwise).
fn collect(out: OwnedFd, err: OwnedFd) -> (Vec<u8>, Vec<u8>) {
    let mut bufs = [Vec::new(), Vec::new()];
    let fds = [out, err];
    let mut open = [true, true];
    let mut chunk = [0u8; 4096];
    while open[0] || open[1] {
        let which: Vec<usize> = (0..2).filter(|&i| open[i]).collect();
        let mut polled: Vec<PollFd> = which
            .iter()
            .map(|&i| PollFd::new(&fds[i], PollFlags::IN))
            .collect();
        match poll(&mut polled, None) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(_) => break,
        }
        let ready: Vec<bool> = polled.iter().map(|p| !p.revents().is_empty()).collect();
        for (&i, r) in which.iter().zip(ready) {
            if !r {
                continue;
            }
            match rustix::io::read(&fds[i], &mut chunk) {
                Ok(0) | Err(_) => open[i] = false,
                Ok(n) => bufs[i].extend_from_slice(&chunk[..n]),
            }
        }
    }
    let [o, e] = bufs;
    (o, e)
}
