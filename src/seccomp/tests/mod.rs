//! Tests of the seccomp compiler without a kernel: golden listings, an
//! interpreter checked against a model of the profile's meaning, the
//! docker/containerd default profile; and loading, where the host allows.

mod golden;
mod interp;
mod load;
mod model;
mod profile;
mod semantics;

use crate::config::seccomp::Seccomp;
use crate::seccomp::{compile, Arch, Program};

/// Parse a `linux.seccomp` object as config.json parsing does (raw strings).
pub fn parse(json: &str) -> Seccomp<'_> {
    match serde_json_core::from_str::<Seccomp>(json) {
        Ok((s, _)) => s,
        Err(e) => panic!("parse: {e:?}\n{json}"),
    }
}

/// Compile and run the kernel's load-time checks on the result.
pub fn compile_for(cfg: &Seccomp<'_>, arch: Arch) -> Program {
    let mut out = Program::new();
    if let Err(e) = compile(cfg, arch, &mut out) {
        panic!("compile for {arch:?}: {e}");
    }
    if let Err(e) = interp::check(&out) {
        panic!(
            "kernel would refuse the program for {arch:?}: {e}\n{}",
            interp::listing(&out)
        );
    }
    out
}
