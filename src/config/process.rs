//! `process`: what runs in the container and with which rights (config.md#process).

use super::list::List;
use crate::caps::*;

#[derive(Debug, Default)]
pub struct Process<'a> {
    pub terminal: bool,
    pub console_size: Option<ConsoleSize>,
    pub user: User,
    pub args: List<&'a str, MAX_ARGS>,
    /// Windows only; refused on Linux.
    pub command_line: Option<&'a str>,
    pub env: List<&'a str, MAX_ENV>,
    pub cwd: &'a str,
    pub capabilities: Option<Capabilities<'a>>,
    pub rlimits: List<Rlimit<'a>, MAX_RLIMITS>,
    pub no_new_privileges: bool,
    pub apparmor_profile: Option<&'a str>,
    pub oom_score_adj: Option<i32>,
    pub selinux_label: Option<&'a str>,
    pub io_priority: Option<IoPriority<'a>>,
    pub scheduler: Option<Scheduler<'a>>,
    pub exec_cpu_affinity: Option<ExecCpuAffinity<'a>>,
}

json_object!(Process<'a> {
    init { cwd: root_dir() }
    required {  }
    optional { terminal: "terminal", console_size: "consoleSize", user: "user", args: "args", command_line: "commandLine", env: "env", cwd: "cwd", capabilities: "capabilities", rlimits: "rlimits", no_new_privileges: "noNewPrivileges", apparmor_profile: "apparmorProfile", oom_score_adj: "oomScoreAdj", selinux_label: "selinuxLabel", io_priority: "ioPriority", scheduler: "scheduler", exec_cpu_affinity: "execCPUAffinity" }
});

fn root_dir() -> &'static str {
    "/"
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleSize {
    pub height: u64,
    pub width: u64,
}

json_object!(ConsoleSize {
    required { height: "height", width: "width" }
    optional {  }
});

#[derive(Debug, Default)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub umask: Option<u32>,
    pub additional_gids: List<u32, MAX_GIDS>,
}

json_object!(User {
    required {  }
    optional { uid: "uid", gid: "gid", umask: "umask", additional_gids: "additionalGids" }
});

#[derive(Debug, Default)]
pub struct Capabilities<'a> {
    pub bounding: List<&'a str, MAX_CAPS>,
    pub effective: List<&'a str, MAX_CAPS>,
    pub inheritable: List<&'a str, MAX_CAPS>,
    pub permitted: List<&'a str, MAX_CAPS>,
    pub ambient: List<&'a str, MAX_CAPS>,
}

json_object!(Capabilities<'a> {
    required {  }
    optional { bounding: "bounding", effective: "effective", inheritable: "inheritable", permitted: "permitted", ambient: "ambient" }
});

#[derive(Debug, Default)]
pub struct Rlimit<'a> {
    pub typ: &'a str,
    pub soft: u64,
    pub hard: u64,
}

json_object!(Rlimit<'a> {
    required { typ: "type", soft: "soft", hard: "hard" }
    optional {  }
});

#[derive(Debug, Default)]
pub struct IoPriority<'a> {
    pub class: &'a str,
    pub priority: i32,
}

json_object!(IoPriority<'a> {
    required { class: "class" }
    optional { priority: "priority" }
});

#[derive(Debug, Default)]
pub struct Scheduler<'a> {
    pub policy: &'a str,
    pub nice: i32,
    pub priority: i32,
    pub flags: List<&'a str, 8>,
    pub runtime: u64,
    pub deadline: u64,
    pub period: u64,
}

json_object!(Scheduler<'a> {
    required { policy: "policy" }
    optional { nice: "nice", priority: "priority", flags: "flags", runtime: "runtime", deadline: "deadline", period: "period" }
});

#[derive(Debug, Default)]
pub struct ExecCpuAffinity<'a> {
    pub initial: Option<&'a str>,
    pub final_: Option<&'a str>,
}

json_object!(ExecCpuAffinity<'a> {
    required {  }
    optional { initial: "initial", final_: "final" }
});
