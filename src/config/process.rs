//! `process`: what runs in the container and with which rights (config.md#process).

use super::list::List;
use crate::caps::*;
use serde::Deserialize;

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Process<'a> {
    #[serde(default)]
    pub terminal: bool,
    pub console_size: Option<ConsoleSize>,
    #[serde(default)]
    pub user: User,
    #[serde(borrow, default)]
    pub args: List<&'a str, MAX_ARGS>,
    /// Windows only; refused on Linux.
    pub command_line: Option<&'a str>,
    #[serde(borrow, default)]
    pub env: List<&'a str, MAX_ENV>,
    #[serde(default = "root_dir")]
    pub cwd: &'a str,
    #[serde(borrow)]
    pub capabilities: Option<Capabilities<'a>>,
    #[serde(borrow, default)]
    pub rlimits: List<Rlimit<'a>, MAX_RLIMITS>,
    #[serde(default)]
    pub no_new_privileges: bool,
    pub apparmor_profile: Option<&'a str>,
    pub oom_score_adj: Option<i32>,
    pub selinux_label: Option<&'a str>,
    #[serde(borrow)]
    pub io_priority: Option<IoPriority<'a>>,
    #[serde(borrow)]
    pub scheduler: Option<Scheduler<'a>>,
    #[serde(borrow, rename = "execCPUAffinity")]
    pub exec_cpu_affinity: Option<ExecCpuAffinity<'a>>,
}

fn root_dir() -> &'static str {
    "/"
}

#[derive(Deserialize, Debug, Default, Clone, Copy)]
pub struct ConsoleSize {
    pub height: u64,
    pub width: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
    pub umask: Option<u32>,
    #[serde(default)]
    pub additional_gids: List<u32, MAX_GIDS>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Capabilities<'a> {
    #[serde(borrow, default)]
    pub bounding: List<&'a str, MAX_CAPS>,
    #[serde(borrow, default)]
    pub effective: List<&'a str, MAX_CAPS>,
    #[serde(borrow, default)]
    pub inheritable: List<&'a str, MAX_CAPS>,
    #[serde(borrow, default)]
    pub permitted: List<&'a str, MAX_CAPS>,
    #[serde(borrow, default)]
    pub ambient: List<&'a str, MAX_CAPS>,
}

#[derive(Deserialize, Debug, Default)]
pub struct Rlimit<'a> {
    #[serde(rename = "type")]
    pub typ: &'a str,
    pub soft: u64,
    pub hard: u64,
}

#[derive(Deserialize, Debug, Default)]
pub struct IoPriority<'a> {
    pub class: &'a str,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Deserialize, Debug, Default)]
pub struct Scheduler<'a> {
    pub policy: &'a str,
    #[serde(default)]
    pub nice: i32,
    #[serde(default)]
    pub priority: i32,
    #[serde(borrow, default)]
    pub flags: List<&'a str, 8>,
    #[serde(default)]
    pub runtime: u64,
    #[serde(default)]
    pub deadline: u64,
    #[serde(default)]
    pub period: u64,
}

#[derive(Deserialize, Debug, Default)]
pub struct ExecCpuAffinity<'a> {
    pub initial: Option<&'a str>,
    #[serde(rename = "final")]
    pub final_: Option<&'a str>,
}
