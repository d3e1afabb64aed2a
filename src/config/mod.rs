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
    pub uid_mappings: List<linux::IdMapping, MAX_ID_MAPPINGS>,
    #[serde(default)]
    pub gid_mappings: List<linux::IdMapping, MAX_ID_MAPPINGS>,
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
mod size_tests {
    #[test]
    fn print_sizes() {
        eprintln!("Spec {} Linux {} Process {} Resources {} Mount {} Seccomp {}", core::mem::size_of::<super::Spec>(), core::mem::size_of::<super::Linux>(), core::mem::size_of::<super::Process>(), core::mem::size_of::<super::resources::Resources>(), core::mem::size_of::<super::Mount>(), core::mem::size_of::<super::seccomp::Seccomp>());
    }
}
