//! `husk exec [--process FILE | ARGS…] [--detach|-d] [--pid-file F]
//! [--console-socket S] [--tty|-t] [--cwd D] [--env|-e K=V]… [--user|-u
//! UID[:GID]] [--additional-gids G] [--cap C]… [--no-new-privs] [--apparmor P]
//! [--process-label L] [--preserve-fds N] [--ignore-paused] ID`: run a new
//! process in a running container (runc's exec). Flags come before the id;
//! everything after it is the program and its arguments, as in runc. Without
//! -d, wait for the process, forward signals to it and exit with its status
//! (128+N when killed by signal N); with -t and no --console-socket, proxy
//! its terminal to husk's own meanwhile (tty.rs).

use super::{bad_arg, Global};
use crate::controller::exec::{self, Options};
use crate::error::{Context, Result};
use lexopt::{Arg, Parser, ValueExt};
use std::path::PathBuf;

pub fn main(g: &Global, p: &mut Parser) -> Result<u8> {
    let (id, o) = parse(p)?;
    if !o.detach {
        // The process is orphaned when the controller exits; as a subreaper
        // this process inherits it and can wait for it.
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
            .ctx("prctl", format_args!("PR_SET_CHILD_SUBREAPER"))?;
    }
    // Block the signals to forward before the process can run, so none that
    // is meant for it ends husk instead (the spawned controller unblocks).
    let forward = crate::sys::SigSet::forwardable();
    if !o.detach {
        forward.block();
    }
    let started = exec::exec(g, &id, &o)?;
    if o.detach {
        return Ok(0);
    }
    match started.console {
        Some(master) => {
            let _raw = super::tty::Raw::stdin();
            super::tty::proxy(master, started.pid, &forward)
        }
        None => super::run::wait_forwarding(started.pid, &forward),
    }
}

fn parse(p: &mut Parser) -> Result<(String, Options)> {
    let mut o = Options::default();
    let id = loop {
        let Some(arg) = p.next().map_err(bad_arg)? else {
            bail!("missing container id:", "the command needs an ID");
        };
        // Own the flag so the parser can be borrowed again for its value.
        let (long, short) = match arg {
            Arg::Value(v) => break v.string().map_err(bad_arg)?,
            Arg::Long(l) => (l.to_string(), None),
            Arg::Short(c) => (String::new(), Some(c)),
        };
        let mut text =
            || -> Result<String> { p.value().map_err(bad_arg)?.string().map_err(bad_arg) };
        match (long.as_str(), short) {
            ("process", _) | (_, Some('p')) => o.process = Some(PathBuf::from(text()?)),
            ("detach", _) | (_, Some('d')) => o.detach = true,
            ("pid-file", _) => o.pid_file = Some(PathBuf::from(text()?)),
            ("console-socket", _) => o.console_socket = Some(PathBuf::from(text()?)),
            ("tty", _) | (_, Some('t')) => o.tty = true,
            ("cwd", _) => o.cwd = Some(text()?),
            ("env", _) | (_, Some('e')) => o.env.push(text()?),
            ("user", _) | (_, Some('u')) => o.user = Some(user(&text()?)?),
            ("additional-gids", _) | (_, Some('g')) => {
                for g in text()?.split(',') {
                    o.additional_gids.push(number(g, "--additional-gids")?);
                }
            }
            ("cap", _) | (_, Some('c')) => o.caps.push(text()?),
            ("no-new-privs", _) => o.no_new_privs = true,
            ("apparmor", _) => o.apparmor = Some(text()?),
            ("process-label", _) => o.process_label = Some(text()?),
            ("preserve-fds", _) => o.preserve_fds = number(&text()?, "--preserve-fds")?,
            ("ignore-paused", _) => o.ignore_paused = true,
            (_, Some(c)) => return Err(bad_arg(Arg::Short(c).unexpected())),
            (l, None) => return Err(bad_arg(Arg::Long(l).unexpected())),
        }
    };
    // The program's own arguments, untouched ("--" first is dropped).
    let mut rest = p.raw_args().map_err(bad_arg)?.peekable();
    if rest.peek().is_some_and(|a| a == "--") {
        rest.next();
    }
    for a in rest {
        o.args.push(
            a.into_string()
                .map_err(|a| err!("bad arguments:", "{a:?} is not UTF-8"))?,
        );
    }
    if o.process.is_some() && !o.args.is_empty() {
        bail!("exec:", "give either --process FILE or ARGS, not both");
    }
    Ok((id, o))
}

fn number(s: &str, flag: &str) -> Result<u32> {
    s.trim()
        .parse()
        .map_err(|_| err!("invalid value", "{flag} {s:?}: not a number"))
}

/// `UID[:GID]` (numeric, as runc's exec).
fn user(s: &str) -> Result<(u32, Option<u32>)> {
    match s.split_once(':') {
        Some((u, g)) => Ok((number(u, "--user")?, Some(number(g, "--user")?))),
        None => Ok((number(s, "--user")?, None)),
    }
}
