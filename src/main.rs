//! husk: a tiny, static OCI container runtime for embedded Linux.
//!
//! `main` is the only place that prints an error and picks the exit code.

#[allow(dead_code)]
mod caps {
    //! Build-time capacities (see build.rs).
    include!(concat!(env!("OUT_DIR"), "/capacities.rs"));
}
#[macro_use]
mod error;
mod cgroup;
mod cli;
#[allow(dead_code)] // every field of the schema is parsed; not all are used yet
mod config;
mod controller;
mod init;
mod log;
mod num;
mod seccomp;
mod state;
mod sys;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut global = cli::Global::default();
    let r = cli::main(&mut global);
    if global.debug {
        log::debug(
            &global,
            format_args!("peak RSS {} KiB", log::peak_rss_kib()),
        );
    }
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            log::error(&global, &e);
            ExitCode::from(1)
        }
    }
}
