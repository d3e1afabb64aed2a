//! The OCI runtime configuration (config.json), parsed once from one buffer
//! into borrowed, fixed-capacity types. See oci-spec config.md and
//! config-linux.md; field names follow the JSON.
//!
//! Strings borrow the file buffer and keep their JSON escapes (serde-json-core
//! does not unescape borrowed strings); [`json::unescape`] decodes them where
//! they leave husk (paths, args, env for the kernel).

#[macro_use]
pub mod de;
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

pub use linux::Linux;
pub use process::Process;

/// Top level of config.json.
#[derive(Debug, Default)]
pub struct Spec<'a> {
    pub oci_version: &'a str,
    pub root: Option<Root<'a>>,
    pub mounts: List<Mount<'a>, MAX_MOUNTS>,
    pub process: Option<Process<'a>>,
    pub hostname: Option<&'a str>,
    pub domainname: Option<&'a str>,
    pub hooks: Option<Hooks<'a>>,
    pub annotations: Map<'a, &'a str, MAX_ANNOTATIONS>,
    pub linux: Option<Linux<'a>>,
}

json_object!(Spec<'a> {
    required { oci_version: "ociVersion" }
    optional { root: "root", mounts: "mounts", process: "process", hostname: "hostname", domainname: "domainname", hooks: "hooks", annotations: "annotations", linux: "linux" }
});

/// `root`: the container's root filesystem.
#[derive(Debug, Default)]
pub struct Root<'a> {
    pub path: &'a str,
    pub readonly: bool,
}

json_object!(Root<'a> {
    required { path: "path" }
    optional { readonly: "readonly" }
});

/// One entry of `mounts`.
#[derive(Debug, Default)]
pub struct Mount<'a> {
    pub destination: &'a str,
    pub typ: Option<&'a str>,
    pub source: Option<&'a str>,
    pub options: List<&'a str, MAX_MOUNT_OPTIONS>,
    pub uid_mappings: List<linux::IdMapping, MAX_MOUNT_ID_MAPPINGS>,
    pub gid_mappings: List<linux::IdMapping, MAX_MOUNT_ID_MAPPINGS>,
}

json_object!(Mount<'a> {
    required { destination: "destination" }
    optional { typ: "type", source: "source", options: "options", uid_mappings: "uidMappings", gid_mappings: "gidMappings" }
});

/// `hooks`: programs run at points of the lifecycle (config.md#posix-platform-hooks).
#[derive(Debug, Default)]
pub struct Hooks<'a> {
    pub prestart: List<Hook<'a>, MAX_HOOKS>,
    pub create_runtime: List<Hook<'a>, MAX_HOOKS>,
    pub create_container: List<Hook<'a>, MAX_HOOKS>,
    pub start_container: List<Hook<'a>, MAX_HOOKS>,
    pub poststart: List<Hook<'a>, MAX_HOOKS>,
    pub poststop: List<Hook<'a>, MAX_HOOKS>,
}

json_object!(Hooks<'a> {
    required {  }
    optional { prestart: "prestart", create_runtime: "createRuntime", create_container: "createContainer", start_container: "startContainer", poststart: "poststart", poststop: "poststop" }
});

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

#[derive(Debug, Default)]
pub struct Hook<'a> {
    pub path: &'a str,
    pub args: List<&'a str, MAX_HOOK_ARGS>,
    pub env: List<&'a str, MAX_HOOK_ARGS>,
    pub timeout: Option<i64>,
}

json_object!(Hook<'a> {
    required { path: "path" }
    optional { args: "args", env: "env", timeout: "timeout" }
});

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
