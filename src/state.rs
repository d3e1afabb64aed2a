//! The compact state record of one container, under `--root/ID/state`.
//!
//! A few `key=value` lines, versioned and closed by an FNV-1a checksum line,
//! so a torn or edited file is a clear error. Written to `state.tmp` and
//! renamed (never in place). Every command on one id holds an flock on the
//! id's directory, so commands on one container are serialized.
//!
//! Liveness is the pid plus its start time (field 22 of /proc/PID/stat): a
//! recycled pid never passes for the container.

use crate::error::{Context, Error, Result};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags};
use std::path::{Path, PathBuf};

/// Record format version.
const VERSION: &str = "husk-state 1";
/// A record larger than this is corrupt.
const MAX_STATE_BYTES: usize = 64 * 1024;
/// Name of the exec fifo that holds a created container until `start`.
pub const FIFO: &str = "exec.fifo";

/// Record flag: the container has its own pid namespace.
pub const FLAG_PIDNS: u32 = 1;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub pid: i32,
    /// Start time of `pid` in clock ticks since boot.
    pub start_time: u64,
    /// RFC 3339 creation time.
    pub created: String,
    pub bundle: String,
    pub rootfs: String,
    pub owner: u32,
    pub flags: u32,
    /// The config's annotations as a JSON object text, or empty.
    pub annotations: String,
    /// The container's cgroup directories, one per hierarchy (src/cgroup).
    pub cgroups: Vec<String>,
}

/// OCI status (runtime.md#state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    Running,
    /// Frozen through its cgroup (`pause`).
    Paused,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// runc's rule for ids: letters, digits, `_+-.`, not `.` or `..`.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 1024
        && id != "."
        && id != ".."
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b));
    if !ok {
        bail!(
            "invalid container id",
            "\"{id}\": use letters, digits and _+-. only"
        );
    }
    Ok(())
}

/// An open, locked container directory.
pub struct Dir {
    pub path: PathBuf,
    pub fd: OwnedFd,
}

fn lock(fd: &OwnedFd, path: &Path) -> Result<()> {
    fs::flock(fd, fs::FlockOperation::LockExclusive).ctx("lock", format_args!("{}", path.display()))
}

/// Make and lock the directory of a new container; an existing id is an error.
pub fn create_dir(root: &Path, id: &str) -> Result<Dir> {
    check_id(id)?;
    crate::sys::fs::create_dir_all(root)
        .ctx("create state root", format_args!("{}", root.display()))?;
    let path = root.join(id);
    match fs::mkdir(&path, Mode::from_raw_mode(0o711)) {
        Ok(()) => {}
        Err(rustix::io::Errno::EXIST) => bail!("container with id exists:", "{id}"),
        Err(e) => return Err(e).ctx("create state dir", format_args!("{}", path.display())),
    }
    let fd = fs::open(
        &path,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ctx("open state dir", format_args!("{}", path.display()))?;
    lock(&fd, &path)?;
    Ok(Dir { path, fd })
}

/// Open and lock the directory of an existing container.
pub fn open_dir(root: &Path, id: &str) -> Result<Dir> {
    check_id(id).map_err(|_| not_exist(id))?;
    let path = root.join(id);
    let fd = match fs::open(
        &path,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Err(not_exist(id)),
        Err(e) => return Err(e).ctx("open state dir", format_args!("{}", path.display())),
    };
    lock(&fd, &path)?;
    Ok(Dir { path, fd })
}

/// runc's wording, matched by containerd.
pub fn not_exist(id: &str) -> Error {
    err!("container does not exist:", "{id}")
}

impl Dir {
    /// Read and check the record.
    pub fn load(&self) -> Result<Record> {
        let mut buf = vec![0u8; MAX_STATE_BYTES + 1];
        let f = fs::openat(
            &self.fd,
            "state",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        );
        let f = match f {
            Ok(f) => f,
            Err(rustix::io::Errno::NOENT) => bail!(
                "container state missing:",
                "{} has no state record (create did not finish; delete --force removes it)",
                self.path.display()
            ),
            Err(e) => return Err(e).ctx("open state", format_args!("{}", self.path.display())),
        };
        let mut n = 0;
        while n < buf.len() {
            match rustix::io::read(&f, &mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e).ctx("read state", format_args!("{}", self.path.display())),
            }
        }
        if n > MAX_STATE_BYTES {
            bail!(
                "corrupt state record:",
                "{} is too large",
                self.path.display()
            );
        }
        decode(&buf[..n]).ok_or_else(|| {
            err!(
                "corrupt state record:",
                "{}/state failed its check (torn or edited file)",
                self.path.display()
            )
        })
    }

    /// Write the record atomically: temp file, then rename.
    pub fn save(&self, r: &Record) -> Result<()> {
        let text = encode(r)?;
        let tmp = fs::openat(
            &self.fd,
            "state.tmp",
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .ctx(
            "write state",
            format_args!("{}/state.tmp", self.path.display()),
        )?;
        crate::sys::fs::write_fd(&tmp, text.as_bytes()).ctx(
            "write state",
            format_args!("{}/state.tmp", self.path.display()),
        )?;
        drop(tmp);
        fs::renameat(&self.fd, "state.tmp", &self.fd, "state")
            .ctx("rename state", format_args!("{}", self.path.display()))
    }

    /// Status from liveness and the exec fifo.
    pub fn status(&self, r: &Record) -> Status {
        if !alive(r.pid, r.start_time) {
            return Status::Stopped;
        }
        if crate::cgroup::freeze::paths_frozen(&r.cgroups) {
            return Status::Paused;
        }
        match fs::statat(&self.fd, FIFO, fs::AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Status::Created,
            Err(_) => Status::Running,
        }
    }

    /// Remove the directory and what husk put in it.
    pub fn remove(self) -> Result<()> {
        for name in ["state", "state.tmp", FIFO, crate::controller::hooks::SAVED] {
            match fs::unlinkat(&self.fd, name, fs::AtFlags::empty()) {
                Ok(()) | Err(rustix::io::Errno::NOENT) => {}
                Err(e) => {
                    return Err(e).ctx("remove", format_args!("{}/{name}", self.path.display()))
                }
            }
        }
        match fs::rmdir(&self.path) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(e).ctx("remove state dir", format_args!("{}", self.path.display())),
        }
    }

    pub fn fd(&self) -> rustix::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Start time (field 22) and state letter (field 3) of /proc/PID/stat.
pub fn proc_stat(pid: i32) -> Option<(u64, u8)> {
    let mut buf = [0u8; 1024];
    let path = format!("/proc/{pid}/stat");
    let fd = fs::open(
        path.as_str(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let n = rustix::io::read(&fd, &mut buf).ok()?;
    let text = core::str::from_utf8(buf.get(..n)?).ok()?;
    // comm may hold spaces and parentheses: fields start after the last ')'.
    let rest = text.get(text.rfind(')')? + 2..)?;
    let mut fields = rest.split(' ');
    let state = fields.next()?.bytes().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((start, state))
}

/// The process `pid` exists, is the one started at `start`, and is not a zombie.
pub fn alive(pid: i32, start: u64) -> bool {
    pid > 0 && matches!(proc_stat(pid), Some((s, st)) if s == start && st != b'Z' && st != b'X')
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn encode(r: &Record) -> Result<String> {
    for (k, v) in [
        ("bundle", &r.bundle),
        ("rootfs", &r.rootfs),
        ("annotations", &r.annotations),
    ]
    .into_iter()
    .chain(r.cgroups.iter().map(|c| ("cgroup", c)))
    {
        if v.contains('\n') {
            bail!("cannot record", "{k} containing a newline");
        }
    }
    let mut s = format!(
        "{VERSION}\nid={}\npid={}\nstart={}\ncreated={}\nbundle={}\nrootfs={}\nowner={}\nflags={}\nannotations={}\n",
        r.id, r.pid, r.start_time, r.created, r.bundle, r.rootfs, r.owner, r.flags, r.annotations
    );
    for c in &r.cgroups {
        s.push_str(&format!("cgroup={c}\n"));
    }
    let sum = fnv1a(s.as_bytes());
    s.push_str(&format!("sum={sum:016x}\n"));
    if s.len() > MAX_STATE_BYTES {
        bail!(
            "state record too large:",
            "annotations or paths too long ({} bytes)",
            s.len()
        );
    }
    Ok(s)
}

fn decode(buf: &[u8]) -> Option<Record> {
    let text = core::str::from_utf8(buf).ok()?;
    let body_end = text.rfind("sum=")?;
    let (body, tail) = text.split_at(body_end);
    let sum = u64::from_str_radix(tail.strip_prefix("sum=")?.trim_end(), 16).ok()?;
    if fnv1a(body.as_bytes()) != sum {
        return None;
    }
    let mut lines = body.lines();
    if lines.next()? != VERSION {
        return None;
    }
    let mut r = Record::default();
    for line in lines {
        let (k, v) = line.split_once('=')?;
        match k {
            "id" => r.id = v.into(),
            "pid" => r.pid = v.parse().ok()?,
            "start" => r.start_time = v.parse().ok()?,
            "created" => r.created = v.into(),
            "bundle" => r.bundle = v.into(),
            "rootfs" => r.rootfs = v.into(),
            "owner" => r.owner = v.parse().ok()?,
            "flags" => r.flags = v.parse().ok()?,
            "annotations" => r.annotations = v.into(),
            "cgroup" => r.cgroups.push(v.into()),
            _ => {}
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            id: "c1".into(),
            pid: 42,
            start_time: 12345,
            created: "2026-11-26T05:16:32.000000000Z".into(),
            bundle: "/b".into(),
            rootfs: "/b/rootfs".into(),
            owner: 0,
            flags: FLAG_PIDNS,
            annotations: r#"{"a":"b=c"}"#.into(),
            cgroups: vec![
                "/sys/fs/cgroup/memory/husk/c1".into(),
                "/sys/fs/cgroup/unified/husk/c1".into(),
            ],
        }
    }

    #[test]
    fn round_trip_and_integrity() {
        let text = encode(&sample()).unwrap();
        assert_eq!(decode(text.as_bytes()), Some(sample()));
        // A torn file (cut anywhere) or a flipped byte fails the check.
        for cut in [0, 5, text.len() / 2, text.len() - 3] {
            assert_eq!(decode(&text.as_bytes()[..cut]), None, "cut at {cut}");
        }
        let edited = text.replace("pid=42", "pid=43");
        assert_eq!(decode(edited.as_bytes()), None);
        assert_eq!(decode(b"\xff\xfe"), None);
    }

    #[test]
    fn ids() {
        assert!(check_id("abc-1_2.x+y").is_ok());
        for bad in ["", ".", "..", "a/b", "a b", "a\nb"] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn own_process_is_alive() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let (start, _) = proc_stat(me).unwrap();
        assert!(alive(me, start));
        assert!(!alive(me, start + 1));
        assert!(!alive(-1, 0));
    }
}
