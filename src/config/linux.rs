//! `linux`: namespaces, id maps, devices, paths and the rest of
//! config-linux.md. Resources live in resources.rs, seccomp in seccomp.rs.

use super::list::{List, Map};
use super::resources::Resources;
use super::seccomp::Seccomp;
use crate::caps::*;

#[derive(Debug, Default)]
pub struct Linux<'a> {
    pub namespaces: List<Namespace<'a>, MAX_NAMESPACES>,
    pub uid_mappings: List<IdMapping, MAX_ID_MAPPINGS>,
    pub gid_mappings: List<IdMapping, MAX_ID_MAPPINGS>,
    pub time_offsets: Map<'a, TimeOffset, 2>,
    pub devices: List<Device<'a>, MAX_DEVICES>,
    pub net_devices: Map<'a, NetDevice<'a>, 8>,
    pub cgroups_path: Option<&'a str>,
    pub rootfs_propagation: Option<&'a str>,
    pub resources: Option<Resources<'a>>,
    pub intel_rdt: Option<IntelRdt<'a>>,
    pub sysctl: Map<'a, &'a str, MAX_SYSCTL>,
    pub seccomp: Option<Seccomp<'a>>,
    pub masked_paths: List<&'a str, MAX_PATHS>,
    pub readonly_paths: List<&'a str, MAX_PATHS>,
    pub mount_label: Option<&'a str>,
    pub personality: Option<Personality<'a>>,
    pub memory_policy: Option<MemoryPolicy<'a>>,
}

json_object!(Linux<'a> {
    required {  }
    optional { namespaces: "namespaces", uid_mappings: "uidMappings", gid_mappings: "gidMappings", time_offsets: "timeOffsets", devices: "devices", net_devices: "netDevices", cgroups_path: "cgroupsPath", rootfs_propagation: "rootfsPropagation", resources: "resources", intel_rdt: "intelRdt", sysctl: "sysctl", seccomp: "seccomp", masked_paths: "maskedPaths", readonly_paths: "readonlyPaths", mount_label: "mountLabel", personality: "personality", memory_policy: "memoryPolicy" }
});

#[derive(Debug, Default)]
pub struct Namespace<'a> {
    pub typ: &'a str,
    pub path: Option<&'a str>,
}

json_object!(Namespace<'a> {
    required { typ: "type" }
    optional { path: "path" }
});

#[derive(Debug, Default, Clone, Copy)]
pub struct IdMapping {
    pub container_id: u32,
    pub host_id: u32,
    pub size: u32,
}

json_object!(IdMapping {
    required { container_id: "containerID", host_id: "hostID", size: "size" }
    optional {  }
});

#[derive(Debug, Default, Clone, Copy)]
pub struct TimeOffset {
    pub secs: i64,
    pub nanosecs: u32,
}

json_object!(TimeOffset {
    required {  }
    optional { secs: "secs", nanosecs: "nanosecs" }
});

#[derive(Debug, Default)]
pub struct Device<'a> {
    pub typ: &'a str,
    pub path: &'a str,
    pub major: i64,
    pub minor: i64,
    pub file_mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

json_object!(Device<'a> {
    required { typ: "type", path: "path" }
    optional { major: "major", minor: "minor", file_mode: "fileMode", uid: "uid", gid: "gid" }
});

#[derive(Debug, Default)]
pub struct NetDevice<'a> {
    pub name: Option<&'a str>,
}

json_object!(NetDevice<'a> {
    required {  }
    optional { name: "name" }
});

#[derive(Debug, Default)]
pub struct IntelRdt<'a> {
    pub clos_id: Option<&'a str>,
    pub l3_cache_schema: Option<&'a str>,
    pub mem_bw_schema: Option<&'a str>,
    pub schemata: List<&'a str, 8>,
    pub enable_monitoring: Option<bool>,
}

json_object!(IntelRdt<'a> {
    required {  }
    optional { clos_id: "closID", l3_cache_schema: "l3CacheSchema", mem_bw_schema: "memBwSchema", schemata: "schemata", enable_monitoring: "enableMonitoring" }
});

#[derive(Debug, Default)]
pub struct Personality<'a> {
    pub domain: &'a str,
    pub flags: List<&'a str, 8>,
}

json_object!(Personality<'a> {
    required { domain: "domain" }
    optional { flags: "flags" }
});

#[derive(Debug, Default)]
pub struct MemoryPolicy<'a> {
    pub mode: &'a str,
    pub nodes: Option<&'a str>,
    pub flags: List<&'a str, 8>,
}

json_object!(MemoryPolicy<'a> {
    required { mode: "mode" }
    optional { nodes: "nodes", flags: "flags" }
});
