//! `linux.resources`: cgroup limits (config-linux.md#control-groups).

use super::list::{List, Map};
use crate::caps::*;
use serde::Deserialize;

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Resources<'a> {
    #[serde(borrow, default)]
    pub devices: List<DeviceRule<'a>, MAX_DEVICE_RULES>,
    pub memory: Option<Memory>,
    #[serde(borrow)]
    pub cpu: Option<Cpu<'a>>,
    pub pids: Option<Pids>,
    #[serde(rename = "blockIO")]
    pub block_io: Option<BlockIo>,
    #[serde(borrow, default)]
    pub hugepage_limits: List<HugepageLimit<'a>, MAX_HUGEPAGE_LIMITS>,
    #[serde(borrow)]
    pub network: Option<Network<'a>>,
    #[serde(borrow, default)]
    pub rdma: Map<'a, Rdma, 8>,
    #[serde(borrow, default)]
    pub unified: Map<'a, &'a str, MAX_UNIFIED>,
}

impl Resources<'_> {
    /// Names of the resource groups this block sets (for "not supported" errors).
    pub fn first_set(&self) -> Option<&'static str> {
        if !self.devices.is_empty() {
            Some("devices")
        } else if self.memory.is_some() {
            Some("memory")
        } else if self.cpu.is_some() {
            Some("cpu")
        } else if self.pids.is_some() {
            Some("pids")
        } else if self.block_io.is_some() {
            Some("blockIO")
        } else if !self.hugepage_limits.is_empty() {
            Some("hugepageLimits")
        } else if self.network.is_some() {
            Some("network")
        } else if !self.rdma.is_empty() {
            Some("rdma")
        } else if !self.unified.is_empty() {
            Some("unified")
        } else {
            None
        }
    }
}

#[derive(Deserialize, Debug, Default)]
pub struct DeviceRule<'a> {
    pub allow: bool,
    #[serde(rename = "type")]
    pub typ: Option<&'a str>,
    pub major: Option<i64>,
    pub minor: Option<i64>,
    pub access: Option<&'a str>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Memory {
    pub limit: Option<i64>,
    pub reservation: Option<i64>,
    pub swap: Option<i64>,
    pub kernel: Option<i64>,
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: Option<i64>,
    pub swappiness: Option<u64>,
    #[serde(rename = "disableOOMKiller")]
    pub disable_oom_killer: Option<bool>,
    pub use_hierarchy: Option<bool>,
    pub check_before_update: Option<bool>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Cpu<'a> {
    pub shares: Option<u64>,
    pub quota: Option<i64>,
    pub burst: Option<u64>,
    pub period: Option<u64>,
    pub realtime_runtime: Option<i64>,
    pub realtime_period: Option<u64>,
    #[serde(borrow)]
    pub cpus: Option<&'a str>,
    #[serde(borrow)]
    pub mems: Option<&'a str>,
    pub idle: Option<i64>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Pids {
    pub limit: i64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct BlockIo {
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
    #[serde(default)]
    pub weight_device: List<WeightDevice, MAX_WEIGHT_DEVICES>,
    #[serde(default)]
    pub throttle_read_bps_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
    #[serde(default)]
    pub throttle_write_bps_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
    #[serde(default, rename = "throttleReadIOPSDevice")]
    pub throttle_read_iops_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
    #[serde(default, rename = "throttleWriteIOPSDevice")]
    pub throttle_write_iops_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct WeightDevice {
    pub major: i64,
    pub minor: i64,
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
}

#[derive(Deserialize, Debug, Default)]
pub struct ThrottleDevice {
    pub major: i64,
    pub minor: i64,
    pub rate: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct HugepageLimit<'a> {
    pub page_size: &'a str,
    pub limit: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Network<'a> {
    #[serde(rename = "classID")]
    pub class_id: Option<u32>,
    #[serde(borrow, default)]
    pub priorities: List<NetPriority<'a>, 16>,
}

#[derive(Deserialize, Debug, Default)]
pub struct NetPriority<'a> {
    pub name: &'a str,
    pub priority: u32,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Rdma {
    pub hca_handles: Option<u32>,
    pub hca_objects: Option<u32>,
}
