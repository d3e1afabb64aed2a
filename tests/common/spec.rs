//! A small config.json builder with sane defaults modelled on `runc spec`'s output (minus the
//! security fields, which tests add when they test them), serialized by hand: the tests have no
//! dev-dependencies. Anything the builder has no setter for goes in raw with `process_raw`,
//! `linux_raw` or `top_raw` (JSON members, without the surrounding braces).

/// One mount entry.
#[derive(Clone, Debug)]
pub struct Mount {
    pub destination: String,
    pub kind: String,
    pub source: String,
    pub options: Vec<String>,
}

/// A config.json under construction. Defaults: uid/gid 0, cwd "/", PATH set, terminal false,
/// root "rootfs" read-write, hostname "husk", pid/mount/uts/ipc/network namespaces, and the
/// proc, /dev tmpfs, devpts, shm, mqueue and sysfs mounts of `runc spec`.
#[derive(Clone, Debug)]
pub struct Spec {
    pub oci_version: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub umask: Option<u32>,
    pub terminal: bool,
    pub root_path: String,
    pub readonly: bool,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    /// (type, optional path to join)
    pub namespaces: Vec<(String, Option<String>)>,
    pub mounts: Vec<Mount>,
    pub process_raw: Vec<String>,
    pub linux_raw: Vec<String>,
    pub top_raw: Vec<String>,
    /// When false, the "process" object is left out entirely.
    pub with_process: bool,
}

fn opts(o: &[&str]) -> Vec<String> {
    o.iter().map(|s| s.to_string()).collect()
}

/// The mounts of `runc spec` without the cgroup one.
pub fn default_mounts() -> Vec<Mount> {
    let m = |d: &str, k: &str, s: &str, o: &[&str]| Mount {
        destination: d.into(),
        kind: k.into(),
        source: s.into(),
        options: opts(o),
    };
    vec![
        m("/proc", "proc", "proc", &[]),
        m(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        m(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        m(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        ),
        m(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        m(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        ),
    ]
}

impl Spec {
    /// A spec running `args` (args[0] as given).
    pub fn new(args: &[&str]) -> Spec {
        Spec {
            oci_version: "1.0.2".into(),
            args: opts(args),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            cwd: "/".into(),
            uid: 0,
            gid: 0,
            additional_gids: vec![],
            umask: None,
            terminal: false,
            root_path: "rootfs".into(),
            readonly: false,
            hostname: Some("husk".into()),
            domainname: None,
            namespaces: ["pid", "mount", "uts", "ipc", "network"]
                .iter()
                .map(|n| (n.to_string(), None))
                .collect(),
            mounts: default_mounts(),
            process_raw: vec![],
            linux_raw: vec![],
            top_raw: vec![],
            with_process: true,
        }
    }

    /// A spec running `/payload ARGS…`.
    pub fn payload(args: &[&str]) -> Spec {
        let mut all = vec!["/payload"];
        all.extend_from_slice(args);
        Spec::new(&all)
    }

    pub fn hostname(mut self, h: &str) -> Self {
        self.hostname = Some(h.into());
        self
    }
    pub fn domainname(mut self, d: &str) -> Self {
        self.domainname = Some(d.into());
        self
    }
    pub fn env(mut self, kv: &str) -> Self {
        self.env.push(kv.into());
        self
    }
    pub fn cwd(mut self, c: &str) -> Self {
        self.cwd = c.into();
        self
    }
    pub fn user(mut self, uid: u32, gid: u32, additional: &[u32]) -> Self {
        self.uid = uid;
        self.gid = gid;
        self.additional_gids = additional.to_vec();
        self
    }
    pub fn umask(mut self, m: u32) -> Self {
        self.umask = Some(m);
        self
    }
    pub fn readonly(mut self) -> Self {
        self.readonly = true;
        self
    }
    pub fn root_path(mut self, p: &str) -> Self {
        self.root_path = p.into();
        self
    }
    /// Keep only these namespaces (all new).
    pub fn namespaces(mut self, ns: &[&str]) -> Self {
        self.namespaces = ns.iter().map(|n| (n.to_string(), None)).collect();
        self
    }
    /// Join an existing namespace by path (replacing a "new" entry of that type).
    pub fn join_namespace(mut self, kind: &str, path: &str) -> Self {
        self.namespaces.retain(|(k, _)| k != kind);
        self.namespaces.push((kind.into(), Some(path.into())));
        self
    }
    pub fn mount(mut self, destination: &str, kind: &str, source: &str, options: &[&str]) -> Self {
        self.mounts.push(Mount {
            destination: destination.into(),
            kind: kind.into(),
            source: source.into(),
            options: opts(options),
        });
        self
    }
    pub fn no_mounts(mut self) -> Self {
        self.mounts.clear();
        self
    }
    pub fn process_raw(mut self, member: &str) -> Self {
        self.process_raw.push(member.into());
        self
    }
    pub fn linux_raw(mut self, member: &str) -> Self {
        self.linux_raw.push(member.into());
        self
    }
    pub fn top_raw(mut self, member: &str) -> Self {
        self.top_raw.push(member.into());
        self
    }

    /// The config.json text.
    pub fn to_json(&self) -> String {
        let mut top = vec![format!("\"ociVersion\": {}", q(&self.oci_version))];
        if self.with_process {
            let mut user = format!("\"uid\": {}, \"gid\": {}", self.uid, self.gid);
            if !self.additional_gids.is_empty() {
                let gids: Vec<String> =
                    self.additional_gids.iter().map(|g| g.to_string()).collect();
                user.push_str(&format!(", \"additionalGids\": [{}]", gids.join(", ")));
            }
            if let Some(m) = self.umask {
                user.push_str(&format!(", \"umask\": {m}"));
            }
            let mut p = vec![
                format!("\"terminal\": {}", self.terminal),
                format!("\"user\": {{{user}}}"),
                format!("\"args\": {}", list(&self.args)),
                format!("\"env\": {}", list(&self.env)),
                format!("\"cwd\": {}", q(&self.cwd)),
            ];
            p.extend(self.process_raw.iter().cloned());
            top.push(format!("\"process\": {{\n    {}\n  }}", p.join(",\n    ")));
        }
        top.push(format!(
            "\"root\": {{\"path\": {}, \"readonly\": {}}}",
            q(&self.root_path),
            self.readonly
        ));
        if let Some(h) = &self.hostname {
            top.push(format!("\"hostname\": {}", q(h)));
        }
        if let Some(d) = &self.domainname {
            top.push(format!("\"domainname\": {}", q(d)));
        }
        let mounts: Vec<String> = self
            .mounts
            .iter()
            .map(|m| {
                format!(
                    "{{\"destination\": {}, \"type\": {}, \"source\": {}, \"options\": {}}}",
                    q(&m.destination),
                    q(&m.kind),
                    q(&m.source),
                    list(&m.options)
                )
            })
            .collect();
        top.push(format!(
            "\"mounts\": [\n    {}\n  ]",
            mounts.join(",\n    ")
        ));
        let ns: Vec<String> = self
            .namespaces
            .iter()
            .map(|(k, p)| match p {
                Some(p) => format!("{{\"type\": {}, \"path\": {}}}", q(k), q(p)),
                None => format!("{{\"type\": {}}}", q(k)),
            })
            .collect();
        let mut linux = vec![format!("\"namespaces\": [{}]", ns.join(", "))];
        linux.extend(self.linux_raw.iter().cloned());
        top.push(format!(
            "\"linux\": {{\n    {}\n  }}",
            linux.join(",\n    ")
        ));
        top.extend(self.top_raw.iter().cloned());
        format!("{{\n  {}\n}}\n", top.join(",\n  "))
    }
}

/// A JSON string literal.
pub fn q(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A JSON array of strings.
pub fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", v.join(", "))
}
