//! `linux`: namespaces, id maps, devices, paths and the rest of
//! config-linux.md. Resources live in resources.rs, seccomp in seccomp.rs.

use super::list::{List, Map};
use super::resources::Resources;
use super::seccomp::Seccomp;
use crate::caps::*;
use serde::Deserialize;

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Linux<'a> {
    #[serde(borrow, default)]
    pub namespaces: List<Namespace<'a>, MAX_NAMESPACES>,
    #[serde(default)]
    pub uid_mappings: List<IdMapping, MAX_ID_MAPPINGS>,
    #[serde(default)]
    pub gid_mappings: List<IdMapping, MAX_ID_MAPPINGS>,
    #[serde(borrow, default)]
    pub time_offsets: Map<'a, TimeOffset, 2>,
    #[serde(borrow, default)]
    pub devices: List<Device<'a>, MAX_DEVICES>,
    #[serde(borrow, default)]
    pub net_devices: Map<'a, NetDevice<'a>, 8>,
    #[serde(borrow)]
    pub cgroups_path: Option<&'a str>,
    #[serde(borrow)]
    pub rootfs_propagation: Option<&'a str>,
    #[serde(borrow)]
    pub resources: Option<Resources<'a>>,
    #[serde(borrow)]
    pub intel_rdt: Option<IntelRdt<'a>>,
    #[serde(borrow, default)]
    pub sysctl: Map<'a, &'a str, MAX_SYSCTL>,
    #[serde(borrow)]
    pub seccomp: Option<Seccomp<'a>>,
    #[serde(borrow, default)]
    pub masked_paths: List<&'a str, MAX_PATHS>,
    #[serde(borrow, default)]
    pub readonly_paths: List<&'a str, MAX_PATHS>,
    #[serde(borrow)]
    pub mount_label: Option<&'a str>,
    #[serde(borrow)]
    pub personality: Option<Personality<'a>>,
    #[serde(borrow)]
    pub memory_policy: Option<MemoryPolicy<'a>>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Namespace<'a> {
    #[serde(rename = "type")]
    pub typ: &'a str,
    #[serde(borrow)]
    pub path: Option<&'a str>,
}

#[derive(Deserialize, Debug, Default, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub struct IdMapping {
    #[serde(rename = "containerID")]
    pub container_id: u32,
    #[serde(rename = "hostID")]
    pub host_id: u32,
    pub size: u32,
}

#[derive(Deserialize, Debug, Default, Clone, Copy)]
pub struct TimeOffset {
    #[serde(default)]
    pub secs: i64,
    #[serde(default)]
    pub nanosecs: u32,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Device<'a> {
    #[serde(rename = "type")]
    pub typ: &'a str,
    pub path: &'a str,
    #[serde(default)]
    pub major: i64,
    #[serde(default)]
    pub minor: i64,
    pub file_mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Deserialize, Debug, Default)]
pub struct NetDevice<'a> {
    #[serde(borrow)]
    pub name: Option<&'a str>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct IntelRdt<'a> {
    #[serde(borrow, rename = "closID")]
    pub clos_id: Option<&'a str>,
    #[serde(borrow)]
    pub l3_cache_schema: Option<&'a str>,
    #[serde(borrow)]
    pub mem_bw_schema: Option<&'a str>,
    #[serde(borrow, default)]
    pub schemata: List<&'a str, 8>,
    pub enable_monitoring: Option<bool>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Personality<'a> {
    pub domain: &'a str,
    #[serde(borrow, default)]
    pub flags: List<&'a str, 8>,
}

#[derive(Deserialize, Debug, Default)]
pub struct MemoryPolicy<'a> {
    pub mode: &'a str,
    #[serde(borrow)]
    pub nodes: Option<&'a str>,
    #[serde(borrow, default)]
    pub flags: List<&'a str, 8>,
}
