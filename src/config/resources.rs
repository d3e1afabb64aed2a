//! `linux.resources`: cgroup limits (config-linux.md#control-groups).

use super::list::{List, Map};
use crate::caps::*;

#[derive(Debug, Default)]
pub struct Resources<'a> {
    pub devices: List<DeviceRule<'a>, MAX_DEVICE_RULES>,
    pub memory: Option<Memory>,
    pub cpu: Option<Cpu<'a>>,
    pub pids: Option<Pids>,
    pub block_io: Option<BlockIo>,
    pub hugepage_limits: List<HugepageLimit<'a>, MAX_HUGEPAGE_LIMITS>,
    pub network: Option<Network<'a>>,
    pub rdma: Map<'a, Rdma, 8>,
    pub unified: Map<'a, &'a str, MAX_UNIFIED>,
}

json_object!(Resources<'a> {
    required {  }
    optional { devices: "devices", memory: "memory", cpu: "cpu", pids: "pids", block_io: "blockIO", hugepage_limits: "hugepageLimits", network: "network", rdma: "rdma", unified: "unified" }
});

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

#[derive(Debug, Default)]
pub struct DeviceRule<'a> {
    pub allow: bool,
    pub typ: Option<&'a str>,
    pub major: Option<i64>,
    pub minor: Option<i64>,
    pub access: Option<&'a str>,
}

json_object!(DeviceRule<'a> {
    required { allow: "allow" }
    optional { typ: "type", major: "major", minor: "minor", access: "access" }
});

#[derive(Debug, Default)]
pub struct Memory {
    pub limit: Option<i64>,
    pub reservation: Option<i64>,
    pub swap: Option<i64>,
    pub kernel: Option<i64>,
    pub kernel_tcp: Option<i64>,
    pub swappiness: Option<u64>,
    pub disable_oom_killer: Option<bool>,
    pub use_hierarchy: Option<bool>,
    pub check_before_update: Option<bool>,
}

json_object!(Memory {
    required {  }
    optional { limit: "limit", reservation: "reservation", swap: "swap", kernel: "kernel", kernel_tcp: "kernelTCP", swappiness: "swappiness", disable_oom_killer: "disableOOMKiller", use_hierarchy: "useHierarchy", check_before_update: "checkBeforeUpdate" }
});

#[derive(Debug, Default)]
pub struct Cpu<'a> {
    pub shares: Option<u64>,
    pub quota: Option<i64>,
    pub burst: Option<u64>,
    pub period: Option<u64>,
    pub realtime_runtime: Option<i64>,
    pub realtime_period: Option<u64>,
    pub cpus: Option<&'a str>,
    pub mems: Option<&'a str>,
    pub idle: Option<i64>,
}

json_object!(Cpu<'a> {
    required {  }
    optional { shares: "shares", quota: "quota", burst: "burst", period: "period", realtime_runtime: "realtimeRuntime", realtime_period: "realtimePeriod", cpus: "cpus", mems: "mems", idle: "idle" }
});

#[derive(Debug, Default)]
pub struct Pids {
    pub limit: i64,
}

json_object!(Pids {
    required { limit: "limit" }
    optional {  }
});

#[derive(Debug, Default)]
pub struct BlockIo {
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
    pub weight_device: List<WeightDevice, MAX_WEIGHT_DEVICES>,
    pub throttle_read_bps_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
    pub throttle_write_bps_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
    pub throttle_read_iops_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
    pub throttle_write_iops_device: List<ThrottleDevice, MAX_WEIGHT_DEVICES>,
}

json_object!(BlockIo {
    required {  }
    optional { weight: "weight", leaf_weight: "leafWeight", weight_device: "weightDevice", throttle_read_bps_device: "throttleReadBpsDevice", throttle_write_bps_device: "throttleWriteBpsDevice", throttle_read_iops_device: "throttleReadIOPSDevice", throttle_write_iops_device: "throttleWriteIOPSDevice" }
});

#[derive(Debug, Default)]
pub struct WeightDevice {
    pub major: i64,
    pub minor: i64,
    pub weight: Option<u16>,
    pub leaf_weight: Option<u16>,
}

json_object!(WeightDevice {
    required { major: "major", minor: "minor" }
    optional { weight: "weight", leaf_weight: "leafWeight" }
});

#[derive(Debug, Default)]
pub struct ThrottleDevice {
    pub major: i64,
    pub minor: i64,
    pub rate: u64,
}

json_object!(ThrottleDevice {
    required { major: "major", minor: "minor", rate: "rate" }
    optional {  }
});

#[derive(Debug, Default)]
pub struct HugepageLimit<'a> {
    pub page_size: &'a str,
    pub limit: u64,
}

json_object!(HugepageLimit<'a> {
    required { page_size: "pageSize", limit: "limit" }
    optional {  }
});

#[derive(Debug, Default)]
pub struct Network<'a> {
    pub class_id: Option<u32>,
    pub priorities: List<NetPriority<'a>, 16>,
}

json_object!(Network<'a> {
    required {  }
    optional { class_id: "classID", priorities: "priorities" }
});

#[derive(Debug, Default)]
pub struct NetPriority<'a> {
    pub name: &'a str,
    pub priority: u32,
}

json_object!(NetPriority<'a> {
    required { name: "name", priority: "priority" }
    optional {  }
});

#[derive(Debug, Default)]
pub struct Rdma {
    pub hca_handles: Option<u32>,
    pub hca_objects: Option<u32>,
}

json_object!(Rdma {
    required {  }
    optional { hca_handles: "hcaHandles", hca_objects: "hcaObjects" }
});
