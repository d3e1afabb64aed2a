//! process.terminal (config.md#process): a pty made in the container's own
//! devpts, its master sent to `husk create` (CONSOLE_FD), which passes it to
//! --console-socket; the slave becomes the controlling terminal and stdio,
//! and is bind-mounted on /dev/console, as runc does.

use super::Ctx;
use crate::controller::sync::{self, Kind};
use crate::error::{Context, Result};
use crate::sys;
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;

/// Step (after pivot_root, so /dev/ptmx is the container's devpts).
pub fn setup(ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(p) = ctx.spec.process.as_ref().filter(|p| p.terminal) else {
        return Ok(());
    };
    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .ctx("open", format_args!("/dev/ptmx (is /dev/pts mounted?)"))?;
    rustix::pty::unlockpt(&master).ctx("unlockpt", format_args!("/dev/ptmx"))?;
    let name =
        rustix::pty::ptsname(&master, Vec::new()).ctx("ptsname", format_args!("/dev/ptmx"))?;
    let slave = rustix::pty::ioctl_tiocgptpeer(&master, OpenptFlags::RDWR | OpenptFlags::NOCTTY)
        .ctx("open", format_args!("pty slave {name:?}"))?;
    // containerd/console's default for new ptys: no \n -> \r\n translation.
    if let Ok(mut t) = rustix::termios::tcgetattr(&slave) {
        t.output_modes.remove(rustix::termios::OutputModes::ONLCR);
        let _ = rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &t);
    }
    if let Some(size) = p.console_size {
        let ws = rustix::termios::Winsize {
            ws_row: size.height.min(u64::from(u16::MAX)) as u16,
            ws_col: size.width.min(u64::from(u16::MAX)) as u16,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&slave, ws).ctx(
            "set terminal size",
            format_args!("{}x{}", size.height, size.width),
        )?;
    }
    // An exec'd process gets a pty of its own; /dev/console stays the init's.
    if ctx.flags & crate::controller::INIT_EXEC == 0 {
        console(&name)?;
    }
    sync::send_fd(ctx.sync, Kind::ConsoleFd, master.as_fd())?;
    drop(master);
    rustix::process::setsid().ctx("setsid", format_args!("for the terminal"))?;
    rustix::process::ioctl_tiocsctty(&slave).ctx("TIOCSCTTY", format_args!("{name:?}"))?;
    rustix::stdio::dup2_stdin(&slave).ctx("dup2", format_args!("pty to stdin"))?;
    rustix::stdio::dup2_stdout(&slave).ctx("dup2", format_args!("pty to stdout"))?;
    rustix::stdio::dup2_stderr(&slave).ctx("dup2", format_args!("pty to stderr"))?;
    Ok(())
}

/// Bind the slave on /dev/console (an empty file made for it).
fn console(slave: &std::ffi::CStr) -> Result<()> {
    match rustix::fs::open(
        "/dev/console",
        OFlags::CREATE | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    ) {
        Ok(_) => {}
        // A node already there (a host /dev): mount over it all the same.
        Err(rustix::io::Errno::ACCESS)
        | Err(rustix::io::Errno::PERM)
        | Err(rustix::io::Errno::NXIO) => {}
        Err(e) => return Err(e).ctx("create", format_args!("/dev/console")),
    }
    sys::mount(
        Some(slave),
        c"/dev/console",
        None,
        linux_raw_sys::general::MS_BIND as u64,
        None,
    )
    .ctx("bind mount", format_args!("{slave:?} on /dev/console"))
}
