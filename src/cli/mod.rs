//! Command line: global flags, then one subcommand, each in its own file.
//!
//! Flags follow runc (see DESIGN.md, "Compatibility contract"): options may
//! come before or after the container id, `--flag=value` and `--flag value`
//! both work, and Go-style single-dash long flags (`-bundle`) are accepted.

mod create;
mod delete;
mod events;
mod exec;
mod features;
mod kill;
mod list;
mod pause;
mod ps;
mod resume;
mod run;
mod spec;
mod start;
mod state;
mod tty;
mod update;

use crate::error::Result;
use lexopt::{Arg, Parser, ValueExt};
use std::ffi::OsString;
use std::path::PathBuf;

/// Options given before the subcommand.
#[derive(Debug)]
pub struct Global {
    pub root: PathBuf,
    pub log: Option<PathBuf>,
    pub log_json: bool,
    pub debug: bool,
    pub systemd_cgroup: bool,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            root: default_root(),
            log: None,
            log_json: false,
            debug: false,
            systemd_cgroup: false,
        }
    }
}

/// /run/husk for root; $XDG_RUNTIME_DIR/husk otherwise (as runc does).
fn default_root() -> PathBuf {
    if !rustix::process::geteuid().is_root() {
        if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
            return PathBuf::from(dir).join("husk");
        }
    }
    PathBuf::from("/run/husk")
}

/// (name, summary, handler)
type Command = (
    &'static str,
    &'static str,
    fn(&Global, &mut Parser) -> Result<u8>,
);

/// The subcommands, in the order `--help` lists them.
const COMMANDS: &[Command] = &[
    ("create", "create a container", create::main),
    ("start", "start a created container", start::main),
    ("state", "print the state of a container", state::main),
    (
        "kill",
        "send a signal to the container's init process",
        kill::main,
    ),
    (
        "delete",
        "delete a container and what create made",
        delete::main,
    ),
    ("run", "create and start a container", run::main),
    (
        "exec",
        "run a new process in a running container",
        exec::main,
    ),
    ("list", "list containers", list::main),
    ("spec", "write a default config.json", spec::main),
    (
        "features",
        "print the features this build supports",
        features::main,
    ),
    ("pause", "freeze every process of a container", pause::main),
    ("resume", "thaw a paused container", resume::main),
    ("ps", "list the processes of a container", ps::main),
    (
        "update",
        "change the cgroup limits of a container",
        update::main,
    ),
    (
        "events",
        "print resource usage and OOM events of a container",
        events::main,
    ),
];

/// Long flags that callers pass Go-style with one dash.
const LONG_FLAGS: &[&str] = &[
    "root",
    "log",
    "log-format",
    "debug",
    "systemd-cgroup",
    "rootless",
    "bundle",
    "pid-file",
    "console-socket",
    "no-pivot",
    "no-new-keyring",
    "preserve-fds",
    "detach",
    "force",
    "all",
    "format",
    "quiet",
    "help",
    "version",
    "stats",
    "interval",
    "process",
    "tty",
    "cwd",
    "env",
    "user",
    "additional-gids",
    "cap",
    "no-new-privs",
    "apparmor",
    "process-label",
    "ignore-paused",
];

/// Flags that take a separate value, before the command or before exec's id:
/// after exec's id come the program's own arguments, never rewritten.
const VALUE_FLAGS: &[&str] = &[
    "root",
    "log",
    "log-format",
    "process",
    "p",
    "pid-file",
    "console-socket",
    "cwd",
    "env",
    "e",
    "user",
    "u",
    "additional-gids",
    "g",
    "cap",
    "c",
    "apparmor",
    "process-label",
    "preserve-fds",
];

/// Turn `-bundle` into `--bundle` (also `-log-format=json`).
fn normalize(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    // Positionals seen (command, then exec's id), and whether the next
    // argument is a flag's value.
    let (mut positionals, mut exec, mut value_next) = (0, false, false);
    args.map(|a| {
        if exec && positionals >= 2 {
            return a;
        }
        if let Some(s) = a.to_str() {
            let name = s.trim_start_matches('-').split('=').next().unwrap_or("");
            if value_next {
                value_next = false;
            } else if !s.starts_with('-') {
                positionals += 1;
                exec |= positionals == 1 && s == "exec";
            } else if !s.contains('=') && VALUE_FLAGS.contains(&name) {
                value_next = true;
            }
        }
        if let Some(s) = a.to_str() {
            if let Some(rest) = s.strip_prefix('-') {
                let name = rest.split('=').next().unwrap_or("");
                if !rest.starts_with('-')
                    && name.len() > 1
                    && (LONG_FLAGS.contains(&name) || update::FLAGS.contains(&name))
                {
                    return OsString::from(format!("-{s}"));
                }
            }
        }
        a
    })
    .collect()
}

/// Parse and run. Returns the exit code.
pub fn main(g: &mut Global) -> Result<u8> {
    let mut args = std::env::args_os();
    let _argv0 = args.next();
    let first = args.next();
    // The re-executed controller (see controller/spawn.rs) is `husk init …`.
    if first.as_deref() == Some(std::ffi::OsStr::new(crate::controller::INIT_ARG)) {
        return crate::init::main(args.collect());
    }
    let mut p = Parser::from_args(normalize(first.into_iter().chain(args)));
    let cmd = loop {
        match p.next().map_err(bad_arg)? {
            Some(Arg::Long("root")) => g.root = PathBuf::from(p.value().map_err(bad_arg)?),
            Some(Arg::Long("log")) => g.log = Some(PathBuf::from(p.value().map_err(bad_arg)?)),
            Some(Arg::Long("log-format")) => {
                let v = p.value().map_err(bad_arg)?;
                g.log_json = match v.to_str() {
                    Some("json") => true,
                    Some("text") => false,
                    _ => bail!("invalid --log-format", "{:?}: use text or json", v),
                }
            }
            Some(Arg::Long("debug")) => g.debug = true,
            Some(Arg::Long("systemd-cgroup")) => g.systemd_cgroup = true,
            Some(Arg::Long("rootless")) => {
                // runc takes --rootless=true|false|auto; husk decides from the config.
                if p.optional_value().is_some() {}
            }
            Some(Arg::Long("version")) | Some(Arg::Short('v')) => {
                print_version();
                return Ok(0);
            }
            Some(Arg::Long("help")) | Some(Arg::Short('h')) => {
                print_help();
                return Ok(0);
            }
            Some(Arg::Value(v)) => break v.string().map_err(bad_arg)?,
            Some(other) => return Err(bad_arg(other.unexpected())),
            None => {
                print_help();
                bail!("no command given:", "see husk --help");
            }
        }
    };
    if g.systemd_cgroup {
        bail!(
            "--systemd-cgroup is not supported:",
            "husk manages cgroups through cgroupfs only (no systemd on this host path)"
        );
    }
    let (_, _, run) = COMMANDS
        .iter()
        .find(|(name, _, _)| *name == cmd)
        .ok_or_else(|| err!("unknown command", "\"{cmd}\": see husk --help"))?;
    crate::log::debug(g, format_args!("command {cmd}"));
    run(g, &mut p)
}

/// A lexopt error as ours.
pub fn bad_arg(e: lexopt::Error) -> crate::error::Error {
    err!("bad arguments:", "{e}")
}

/// Take the one required positional container id (options may follow it);
/// `opt` handles the subcommand's own flags and returns false for unknown ones.
pub fn parse_with_id(
    p: &mut Parser,
    mut opt: impl FnMut(&mut Parser, &Arg<'_>) -> Result<bool>,
    extra: &mut Vec<String>,
) -> Result<String> {
    let mut id = None;
    while let Some(arg) = p.next().map_err(bad_arg)? {
        match arg {
            Arg::Value(v) => {
                let v = v.string().map_err(bad_arg)?;
                if id.is_none() {
                    id = Some(v);
                } else {
                    extra.push(v);
                }
            }
            Arg::Long(l) => {
                // Own the name so the parser can be borrowed again for a value.
                let name = l.to_string();
                let a = Arg::Long(&name);
                if !opt(p, &a)? {
                    return Err(bad_arg(a.unexpected()));
                }
            }
            Arg::Short(c) => {
                let a = Arg::Short(c);
                if !opt(p, &a)? {
                    return Err(bad_arg(a.unexpected()));
                }
            }
        }
    }
    id.ok_or_else(|| err!("missing container id:", "the command needs an ID"))
}

/// Parse a command that takes only an id.
pub fn only_id(p: &mut Parser) -> Result<String> {
    let mut extra = Vec::new();
    let id = parse_with_id(p, |_, _| Ok(false), &mut extra)?;
    if let Some(x) = extra.first() {
        bail!("unexpected argument", "\"{x}\"");
    }
    Ok(id)
}

/// Parse a command that takes no arguments.
pub fn only_none(p: &mut Parser) -> Result<()> {
    match p.next().map_err(bad_arg)? {
        None => Ok(()),
        Some(a) => Err(bad_arg(a.unexpected())),
    }
}

fn print_version() {
    crate::outln!(
        "husk version {}\nspec: 1.3.0\nbuild: {} {}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        if cfg!(target_env = "musl") {
            "musl static"
        } else {
            "glibc"
        }
    );
}

fn print_help() {
    crate::outln!(
        "husk {}: a tiny OCI container runtime\n",
        env!("CARGO_PKG_VERSION")
    );
    crate::outln!("usage: husk [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND [OPTIONS] ID\n");
    for (name, what, _) in COMMANDS {
        crate::outln!("  {name:<10} {what}");
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn exec_program_args_are_not_rewritten() {
        let v = |a: &[&str]| {
            normalize(a.iter().map(|s| (*s).into()))
                .into_iter()
                .map(|s| s.into_string().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            v(&["-root", "/r", "exec", "-user", "1", "-e", "A=1", "ID", "find", "-user", "0"]),
            ["--root", "/r", "exec", "--user", "1", "-e", "A=1", "ID", "find", "-user", "0"]
        );
        assert_eq!(
            v(&["create", "ID", "-bundle", "b"]),
            ["create", "ID", "--bundle", "b"]
        );
    }
}
