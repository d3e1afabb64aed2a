//! The OCI runtime configuration (config.json), parsed once from one buffer
//! into borrowed, fixed-capacity types. See oci-spec config.md and
//! config-linux.md; field names follow the JSON.
//!
//! Strings borrow the file buffer and keep their JSON escapes (serde-json-core
//! does not unescape borrowed strings); [`json::unescape`] decodes them where
//! they leave husk (paths, args, env for the kernel).

pub mod json;
pub mod linux;
pub mod list;
pub mod load;
mod locate;
pub mod process;
pub mod resources;
pub mod seccomp;
pub mod validate;

use crate::caps::*;
use list::{List, Map};
use serde::Deserialize;

pub use linux::Linux;
pub use process::Process;

/// Top level of config.json.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Spec<'a> {
    #[serde(borrow)]
    pub oci_version: &'a str,
    #[serde(borrow)]
    pub root: Option<Root<'a>>,
    #[serde(borrow, default)]
    pub mounts: List<Mount<'a>, MAX_MOUNTS>,
    #[serde(borrow)]
    pub process: Option<Process<'a>>,
    #[serde(borrow)]
    pub hostname: Option<&'a str>,
    #[serde(borrow)]
    pub domainname: Option<&'a str>,
    #[serde(borrow)]
    pub hooks: Option<Hooks<'a>>,
    #[serde(borrow, default)]
    pub annotations: Map<'a, &'a str, MAX_ANNOTATIONS>,
    #[serde(borrow)]
    pub linux: Option<Linux<'a>>,
}

/// `root`: the container's root filesystem.
#[derive(Deserialize, Debug, Default)]
pub struct Root<'a> {
    pub path: &'a str,
    #[serde(default)]
    pub readonly: bool,
}

/// One entry of `mounts`.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Mount<'a> {
    pub destination: &'a str,
    #[serde(rename = "type")]
    pub typ: Option<&'a str>,
    pub source: Option<&'a str>,
    #[serde(borrow, default)]
    pub options: List<&'a str, MAX_MOUNT_OPTIONS>,
    #[serde(default)]
    pub uid_mappings: List<linux::IdMapping, MAX_MOUNT_ID_MAPPINGS>,
    #[serde(default)]
    pub gid_mappings: List<linux::IdMapping, MAX_MOUNT_ID_MAPPINGS>,
}

/// `hooks`: programs run at points of the lifecycle (config.md#posix-platform-hooks).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Hooks<'a> {
    #[serde(borrow, default)]
    pub prestart: List<Hook<'a>, MAX_HOOKS>,
    #[serde(borrow, default)]
    pub create_runtime: List<Hook<'a>, MAX_HOOKS>,
    #[serde(borrow, default)]
    pub create_container: List<Hook<'a>, MAX_HOOKS>,
    #[serde(borrow, default)]
    pub start_container: List<Hook<'a>, MAX_HOOKS>,
    #[serde(borrow, default)]
    pub poststart: List<Hook<'a>, MAX_HOOKS>,
    #[serde(borrow, default)]
    pub poststop: List<Hook<'a>, MAX_HOOKS>,
}

impl Hooks<'_> {
    pub fn is_empty(&self) -> bool {
        self.prestart.is_empty()
            && self.create_runtime.is_empty()
            && self.create_container.is_empty()
            && self.start_container.is_empty()
            && self.poststart.is_empty()
            && self.poststop.is_empty()
    }
}

#[derive(Deserialize, Debug, Default)]
pub struct Hook<'a> {
    pub path: &'a str,
    #[serde(borrow, default)]
    pub args: List<&'a str, MAX_HOOK_ARGS>,
    #[serde(borrow, default)]
    pub env: List<&'a str, MAX_HOOK_ARGS>,
    pub timeout: Option<i64>,
}

#[cfg(test)]
mod parse_tests {
    /// A containerd-style config (about 20 KB, 378 seccomp names in 17
    /// rules, 20 env, 11 mounts, annotations) parses and validates on a
    /// thread with a 256 KiB stack (DESIGN.md, "Memory"); it fits in 32 KiB
    /// (`HUSK_TEST_STACK_KB=32`), HUSK_TEST_CONFIG=FILE tries another config.
    #[test]
    fn containerd_config_on_a_small_stack() {
        let text: &'static [u8] = match std::env::var("HUSK_TEST_CONFIG") {
            Ok(p) => Vec::leak(std::fs::read(p).unwrap()),
            Err(_) => include_bytes!("../../tests/fixtures/containerd-config.json"),
        };
        assert!(
            text.len() > 18_000 || std::env::var("HUSK_TEST_CONFIG").is_ok(),
            "fixture is {} bytes",
            text.len()
        );
        let t = std::thread::Builder::new()
            .stack_size(
                std::env::var("HUSK_TEST_STACK_KB")
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(256)
                    * 1024,
            )
            .spawn(move || {
                let spec = super::load::parse(text).map_err(|e| e.to_string())?;
                let l = spec.linux.as_ref().ok_or("no linux")?;
                let sc = l.seccomp.as_ref().ok_or("no seccomp")?;
                sc.validate().map_err(|e| e.to_string())?;
                let p = spec.process.as_ref().ok_or("no process")?;
                Ok::<_, String>((
                    spec.mounts.len(),
                    p.env.len(),
                    sc.syscalls.len(),
                    spec.annotations.entries.len(),
                ))
            })
            .unwrap();
        let (mounts, env, rules, ann) = t.join().unwrap().unwrap();
        // Arrays live on the heap (list.rs): the types stay small.
        assert!(core::mem::size_of::<super::Spec>() < 4096);
        assert_eq!((mounts, env, rules, ann), (11, 20, 17, 7));
    }
}
