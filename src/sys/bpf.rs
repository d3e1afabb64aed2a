//! `bpf(2)`: the few commands husk needs to put a device filter on a cgroup v2
//! (BPF_PROG_TYPE_CGROUP_DEVICE, see the kernel's
//! Documentation/admin-guide/cgroup-v2.rst "Device controller"): load a
//! program, attach it to a cgroup, and list / detach the ones already there.
//! No libbpf: `union bpf_attr` is laid out here for each command (bpf(2),
//! include/uapi/linux/bpf.h); the kernel accepts a shorter attr when the
//! rest would be zero.

use super::raw_syscall;
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::Errno;

/// One eBPF instruction (`struct bpf_insn`): opcode, dst/src registers
/// (low / high nibble), offset, immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const BPF_PROG_LOAD: usize = 5;
const BPF_PROG_ATTACH: usize = 8;
const BPF_PROG_DETACH: usize = 9;
const BPF_PROG_GET_FD_BY_ID: usize = 13;
const BPF_PROG_QUERY: usize = 16;
/// `BPF_PROG_TYPE_CGROUP_DEVICE`.
const PROG_TYPE_CGROUP_DEVICE: u32 = 15;
/// `BPF_CGROUP_DEVICE` attach type.
const ATTACH_CGROUP_DEVICE: u32 = 6;
/// `BPF_F_ALLOW_MULTI`: several programs on one cgroup (what runc uses).
const F_ALLOW_MULTI: u32 = 2;

fn bpf<T>(cmd: usize, attr: &mut T) -> Result<usize, Errno> {
    // SAFETY: `attr` is a live, writable #[repr(C)] prefix of `union bpf_attr`
    // for `cmd`, and its size is passed along.
    unsafe {
        raw_syscall(
            linux_raw_sys::general::__NR_bpf,
            [
                cmd,
                attr as *mut T as usize,
                core::mem::size_of::<T>(),
                0,
                0,
                0,
            ],
        )
    }
}

/// Fd from a successful bpf(2) call that returns one.
fn owned(fd: usize) -> OwnedFd {
    // SAFETY: the kernel just returned this fd to us; nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

#[repr(C)]
#[derive(Default)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

/// `BPF_PROG_LOAD` of a cgroup device program. On a verifier error the
/// kernel's log is written into `log` (when not empty).
#[doc(alias = "BPF_PROG_LOAD")]
pub fn load_device_prog(insns: &[Insn], log: &mut [u8]) -> Result<OwnedFd, Errno> {
    let license = c"Apache";
    let mut a = ProgLoad {
        prog_type: PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        ..Default::default()
    };
    if !log.is_empty() {
        a.log_level = 1;
        a.log_size = log.len() as u32;
        a.log_buf = log.as_mut_ptr() as u64;
    }
    bpf(BPF_PROG_LOAD, &mut a).map(owned)
}

#[repr(C)]
#[derive(Default)]
struct Attach {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

/// `BPF_PROG_ATTACH` a device program to the cgroup directory `cgroup`.
#[doc(alias = "BPF_PROG_ATTACH")]
pub fn attach_device_prog(cgroup: BorrowedFd<'_>, prog: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut a = Attach {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: ATTACH_CGROUP_DEVICE,
        attach_flags: F_ALLOW_MULTI,
        replace_bpf_fd: 0,
    };
    bpf(BPF_PROG_ATTACH, &mut a).map(drop)
}

/// `BPF_PROG_DETACH` one device program from `cgroup`.
#[doc(alias = "BPF_PROG_DETACH")]
pub fn detach_device_prog(cgroup: BorrowedFd<'_>, prog: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut a = Attach {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: ATTACH_CGROUP_DEVICE,
        ..Default::default()
    };
    bpf(BPF_PROG_DETACH, &mut a).map(drop)
}

#[repr(C)]
#[derive(Default)]
struct Query {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
}

/// `BPF_PROG_QUERY`: ids of the device programs attached to `cgroup` itself.
/// Returns how many ids were written into `ids`.
#[doc(alias = "BPF_PROG_QUERY")]
pub fn query_device_progs(cgroup: BorrowedFd<'_>, ids: &mut [u32]) -> Result<usize, Errno> {
    let mut a = Query {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_type: ATTACH_CGROUP_DEVICE,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_cnt: ids.len() as u32,
        ..Default::default()
    };
    bpf(BPF_PROG_QUERY, &mut a)?;
    Ok((a.prog_cnt as usize).min(ids.len()))
}

#[repr(C)]
#[derive(Default)]
struct GetFd {
    id: u32,
    next_id: u32,
    open_flags: u32,
}

/// `BPF_PROG_GET_FD_BY_ID`.
#[doc(alias = "BPF_PROG_GET_FD_BY_ID")]
pub fn prog_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    let mut a = GetFd {
        id,
        ..Default::default()
    };
    bpf(BPF_PROG_GET_FD_BY_ID, &mut a).map(owned)
}
