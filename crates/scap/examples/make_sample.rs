//! Generate the bundled sample capture with our own writer:
//! `cargo run -p scap --example make_sample -- [--gzip] testdata/sample.scap`.
//!
//! The story (host `scapkit-demo`, 2 CPUs, 2026-01-15 10:00:00 UTC): alice's bash (pid 1200,
//! on /dev/pts/0 behind sshd) types `cat /etc/passwd /etc/shadow`: the child reads and prints
//! /etc/passwd, is refused /etc/shadow (EACCES) and exits 1. Then `curl example.com`: a TCP
//! connect to 93.184.216.34:80, one request and reply. bash appends its history through a
//! relative `openat`. One CloudTrail plugin event closes the capture.
//!
//! Output is deterministic: fixed timestamps, no randomness, so `tests/sample.rs` can rebuild
//! the file in memory and compare bytes. Parameters are encoded generically from the event
//! table: each event is looked up by name and direction among the codes that sysdig 0.29.3
//! also knows, and only as many parameters as that old table lists are written.

use scap::meta::{
    self, FdDetail, FdInfo, GroupInfo, IfaceAddr, Interface, MachineInfo, ThreadInfo, UserEntry,
    UserInfo,
};
use scap::table::{Direction, ParamType, CURRENT, SYSDIG_0_29};
use scap::write::Options;
use scap::Writer;
use std::error::Error;
use std::io::Write;

type Res<T> = Result<T, Box<dyn Error>>;

/// 2026-01-15 10:00:00 UTC in ns.
pub const START_NS: u64 = 1_768_471_200_000_000_000;
/// Plugin id of the CloudTrail plugin in the falcosecurity registry.
const CLOUDTRAIL_ID: u32 = 2;
/// `AT_FDCWD`.
const AT_FDCWD: i64 = -100;
/// `PPM_O_RDONLY`, `PPM_O_WRONLY`, `PPM_O_CREAT`, `PPM_O_APPEND`, `PPM_O_CLOEXEC`.
const O_RDONLY: u64 = 1;
const O_WRONLY: u64 = 2;
const O_CREAT: u64 = 4;
const O_APPEND: u64 = 8;
const O_CLOEXEC: u64 = 4096;
/// `PPM_CL_CLONE_CHILD_CLEARTID | PPM_CL_CLONE_CHILD_SETTID`, what fork() asks for.
const FORK_FLAGS: u64 = 8_388_608 | 16_777_216;
/// The driver keeps this many bytes of I/O buffers (default snaplen).
const SNAPLEN: usize = 80;
/// `/dev/pts/0` as the kernel encodes a tty device (major 136, minor 0).
const TTY_PTS0: u64 = 136 << 8;

const BASH: u64 = 1200;
const SSHD: u64 = 500;
const SSHD_SESSION: u64 = 1190;
const CAT: u64 = 1201;
const CURL: u64 = 1202;

const ENV: &[u8] = b"SHELL=/bin/bash\0HOME=/home/alice\0USER=alice\0LOGNAME=alice\0\
TERM=xterm-256color\0PATH=/usr/local/bin:/usr/bin:/bin\0LANG=C.UTF-8\0";
const CGROUPS: &[u8] = b"cpuset=/\0cpu=/user.slice\0memory=/user.slice/user-1000.slice\0";
const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/bash\n\
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
sshd:x:110:65534::/run/sshd:/usr/sbin/nologin\n\
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n";
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n\
Content-Length: 96\r\n\r\n<!doctype html>\n<html><head><title>Example Domain</title></head>\n\
<body><h1>Example Domain</h1></body></html>\n";
const CLOUDTRAIL: &[u8] = br#"{"eventVersion":"1.08","eventTime":"2026-01-15T10:00:02Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.5","userIdentity":{"type":"IAMUser","userName":"alice"},"requestParameters":{"bucketName":"scapkit-demo","key":"passwd.bak"}}"#;

/// A parameter value; it is encoded according to the parameter's type in the table.
#[derive(Debug, Clone, Copy)]
pub enum V<'a> {
    /// Any integer type (fds, errnos, pids, flags, ids, sizes).
    I(i64),
    /// A string; written with a terminating NUL.
    S(&'a str),
    /// Raw bytes (BYTEBUF), written as they are.
    B(&'a [u8]),
    /// An IPv4 socket address: ip, port.
    Addr([u8; 4], u16),
    /// An IPv4 socket tuple: source ip and port, destination ip and port.
    Tuple([u8; 4], u16, [u8; 4], u16),
}

/// Encode `v` (or the zero/empty value of `ty` when absent) as the payload of one parameter.
fn encode(ty: ParamType, v: Option<V<'_>>, name: &str) -> Res<Vec<u8>> {
    if let Some(n) = ty.fixed_size() {
        let x = match v {
            None => 0,
            Some(V::I(x)) => x,
            Some(other) => return Err(format!("{name}: {other:?} for {ty:?}").into()),
        };
        return Ok(x.to_le_bytes().iter().take(n).copied().collect());
    }
    let mut out = Vec::new();
    match (ty, v) {
        (ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath, s) => {
            match s {
                None => {}
                Some(V::S(s)) => out.extend_from_slice(s.as_bytes()),
                Some(other) => return Err(format!("{name}: {other:?} for {ty:?}").into()),
            }
            out.push(0);
        }
        (ParamType::Bytebuf | ParamType::Charbufarray, None) => {}
        (ParamType::Bytebuf | ParamType::Charbufarray, Some(V::B(b))) => {
            out.extend_from_slice(b);
        }
        (ParamType::Sockaddr | ParamType::Socktuple, None) => {}
        (ParamType::Sockaddr, Some(V::Addr(ip, port))) => {
            out.push(2); // PPM_AF_INET
            out.extend_from_slice(&ip);
            out.extend_from_slice(&port.to_le_bytes());
        }
        (ParamType::Socktuple, Some(V::Tuple(sip, sport, dip, dport))) => {
            out.push(2);
            out.extend_from_slice(&sip);
            out.extend_from_slice(&sport.to_le_bytes());
            out.extend_from_slice(&dip);
            out.extend_from_slice(&dport.to_le_bytes());
        }
        (ParamType::Fdlist, None) => out.extend_from_slice(&0u16.to_le_bytes()),
        (_, None) => {}
        (_, Some(other)) => return Err(format!("{name}: {other:?} for {ty:?}").into()),
    }
    Ok(out)
}

/// The code to write for event `name` in direction `dir`: one that sysdig 0.29.3 knows under
/// the same name, preferring codes the current table does not mark as old versions (for most
/// enter events every candidate is an old version, since current libs fold them into the
/// exit), then the newest.
pub fn event_code(name: &str, dir: Direction) -> Res<u16> {
    let known_old = |c: u16| {
        SYSDIG_0_29
            .event(c)
            .is_some_and(|e| e.name == name && !e.is_unused())
    };
    CURRENT
        .codes_named(name)
        .filter(|&c| Direction::of(c) == dir && known_old(c))
        .max_by_key(|&c| {
            let old = CURRENT.event(c).is_some_and(|e| e.is_old_version());
            (!old, c)
        })
        .ok_or_else(|| format!("no sysdig-0.29 code for {name} {dir:?}").into())
}

/// Events are written through this, one clock for the whole capture.
struct Gen<W: Write> {
    w: Writer<W>,
    now: u64,
    step: u64,
}

impl<W: Write> Gen<W> {
    /// Advance the clock by a deterministic, slightly irregular amount.
    fn tick(&mut self, base_ns: u64) -> u64 {
        self.step = self
            .step
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.now += base_ns + (self.step >> 54);
        self.now
    }

    /// Write one event of `name`/`dir` with the named parameter values.
    fn ev(
        &mut self,
        cpu: u16,
        tid: u64,
        name: &str,
        dir: Direction,
        vals: &[(&str, V<'_>)],
    ) -> Res<()> {
        let code = event_code(name, dir)?;
        let cur = CURRENT.event(code).ok_or("code outside the table")?;
        let old = SYSDIG_0_29
            .event(code)
            .ok_or("code outside the 0.29 table")?;
        for (n, _) in vals {
            if !old.params.iter().any(|p| p.name == *n) {
                return Err(format!("{name}: no parameter {n} in code {code}").into());
            }
        }
        let mut payloads = Vec::new();
        for (i, p) in old.params.iter().enumerate() {
            // Signedness may differ (tty was INT32, is UINT32), the layout must not.
            let same = cur.params.get(i).is_some_and(|c| {
                c.ty.fixed_size() == p.ty.fixed_size()
                    && (c.ty == p.ty || p.ty.fixed_size().is_some())
            });
            if !same {
                return Err(format!("{name}: parameter {i} differs between tables").into());
            }
            let v = vals.iter().find(|(n, _)| *n == p.name).map(|(_, v)| *v);
            payloads.push(encode(p.ty, v, p.name)?);
        }
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let ts = self.tick(2_000);
        self.w.write_event_parts(ts, tid, cpu, 0, code, &refs)?;
        Ok(())
    }

    fn enter(&mut self, cpu: u16, tid: u64, name: &str, vals: &[(&str, V<'_>)]) -> Res<()> {
        self.ev(cpu, tid, name, Direction::Enter, vals)
    }

    fn exit(&mut self, cpu: u16, tid: u64, name: &str, vals: &[(&str, V<'_>)]) -> Res<()> {
        self.ev(cpu, tid, name, Direction::Exit, vals)
    }

    /// A read or write of `data` on `fd`: enter, then exit with the data cut to the snaplen.
    fn io(&mut self, cpu: u16, tid: u64, name: &str, fd: i64, size: i64, data: &[u8]) -> Res<()> {
        self.enter(cpu, tid, name, &[("fd", V::I(fd)), ("size", V::I(size))])?;
        let res = i64::try_from(data.len())?;
        let cut = data.get(..SNAPLEN).unwrap_or(data);
        self.exit(cpu, tid, name, &[("res", V::I(res)), ("data", V::B(cut))])
    }

    fn close(&mut self, cpu: u16, tid: u64, fd: i64) -> Res<()> {
        self.enter(cpu, tid, "close", &[("fd", V::I(fd))])?;
        self.exit(cpu, tid, "close", &[("res", V::I(0))])
    }

    fn openat(&mut self, cpu: u16, tid: u64, path: &str, flags: u64, res: i64) -> Res<()> {
        let flags_raw = flags;
        let flags = V::I(i64::try_from(flags)?);
        let common = [
            ("dirfd", V::I(AT_FDCWD)),
            ("name", V::S(path)),
            ("flags", flags),
            (
                "mode",
                V::I(if flags_raw & O_CREAT != 0 { 0o600 } else { 0 }),
            ),
        ];
        self.enter(cpu, tid, "openat", &common)?;
        let mut x = common.to_vec();
        x.push(("fd", V::I(res)));
        x.push(("dev", V::I(if res >= 0 { 0x803 } else { 0 })));
        self.exit(cpu, tid, "openat", &x)
    }

    fn switch(&mut self, cpu: u16, tid: u64, next: i64) -> Res<()> {
        self.tick(40_000);
        self.enter(
            cpu,
            tid,
            "switch",
            &[
                ("next", V::I(next)),
                ("pgft_min", V::I(311)),
                ("vm_size", V::I(8_712)),
                ("vm_rss", V::I(5_120)),
            ],
        )
    }

    fn procinfo(&mut self, cpu: u16, tid: u64, usr: i64, sys: i64) -> Res<()> {
        self.enter(
            cpu,
            tid,
            "procinfo",
            &[("cpu_usr", V::I(usr)), ("cpu_sys", V::I(sys))],
        )
    }

    /// A pseudo-random but fixed SSH packet of `n` bytes.
    fn ssh_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                self.step = self
                    .step
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                (self.step >> 56) as u8
            })
            .collect()
    }

    /// sshd relays one chunk from the client socket to the pty master.
    fn sshd_in(&mut self, data: &[u8]) -> Res<()> {
        let n = data.len() + 36;
        let pkt = self.ssh_bytes(n);
        self.io(1, SSHD_SESSION, "read", 4, 16_384, &pkt)?;
        self.io(
            1,
            SSHD_SESSION,
            "write",
            5,
            i64::try_from(data.len())?,
            data,
        )
    }

    /// sshd relays terminal output from the pty master to the client socket.
    fn sshd_out(&mut self, data: &[u8]) -> Res<()> {
        self.io(1, SSHD_SESSION, "read", 5, 16_384, data)?;
        let pkt = self.ssh_bytes(data.len() + 36);
        self.io(1, SSHD_SESSION, "write", 4, i64::try_from(pkt.len())?, &pkt)
    }

    /// bash reads a typed line one key at a time and echoes each key to stderr.
    fn type_line(&mut self, line: &str) -> Res<()> {
        self.sshd_in(line.as_bytes())?;
        for &c in line.as_bytes() {
            self.tick(90_000_000); // human typing speed
            let key = [c];
            self.io(0, BASH, "read", 0, 1, &key)?;
            let echo: &[u8] = if c == b'\r' { b"\r\n" } else { &key };
            self.io(0, BASH, "write", 2, i64::try_from(echo.len())?, echo)?;
        }
        self.sshd_out(line.as_bytes())
    }

    /// bash forks `child` on `cpu`: clone enter, the parent's exit, the child's exit.
    fn fork(&mut self, cpu: u16, child: u64) -> Res<()> {
        self.enter(0, BASH, "clone", &[])?;
        let c = i64::try_from(child)?;
        let b = i64::try_from(BASH)?;
        let common = |res: i64, tid: i64, pid: i64, ptid: i64| {
            vec![
                ("res", V::I(res)),
                ("exe", V::S("/bin/bash")),
                ("args", V::B(b"")),
                ("tid", V::I(tid)),
                ("pid", V::I(pid)),
                ("ptid", V::I(ptid)),
                ("cwd", V::S("/home/alice/")),
                ("fdlimit", V::I(1024)),
                ("pgft_min", V::I(2_210)),
                ("vm_size", V::I(8_712)),
                ("vm_rss", V::I(5_120)),
                ("comm", V::S("bash")),
                ("cgroups", V::B(CGROUPS)),
                ("flags", V::I(i64::try_from(FORK_FLAGS).unwrap_or(0))),
                ("uid", V::I(1000)),
                ("gid", V::I(1000)),
                ("vtid", V::I(tid)),
                ("vpid", V::I(pid)),
            ]
        };
        self.exit(
            0,
            BASH,
            "clone",
            &common(c, b, b, i64::try_from(SSHD_SESSION)?),
        )?;
        self.exit(cpu, child, "clone", &common(0, c, c, b))
    }

    /// `child` executes `exe` with `args` (NUL-separated, after argv[0]).
    fn execve(&mut self, cpu: u16, child: u64, path: &str, comm: &str, args: &[u8]) -> Res<()> {
        let c = i64::try_from(child)?;
        self.enter(cpu, child, "execve", &[("filename", V::S(path))])?;
        self.exit(
            cpu,
            child,
            "execve",
            &[
                ("res", V::I(0)),
                ("exe", V::S(comm)),
                ("args", V::B(args)),
                ("tid", V::I(c)),
                ("pid", V::I(c)),
                ("ptid", V::I(i64::try_from(BASH)?)),
                ("cwd", V::S("/home/alice/")),
                ("fdlimit", V::I(1024)),
                ("pgft_min", V::I(90)),
                ("vm_size", V::I(2_480)),
                ("vm_rss", V::I(1_024)),
                ("comm", V::S(comm)),
                ("cgroups", V::B(CGROUPS)),
                ("env", V::B(ENV)),
                ("tty", V::I(i64::try_from(TTY_PTS0)?)),
                ("pgid", V::I(c)),
                ("loginuid", V::I(1000)),
            ],
        )?;
        // The dynamic loader maps libc before main() runs.
        let libs = ["/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libc.so.6"];
        for lib in libs {
            self.openat(cpu, child, lib, O_RDONLY | O_CLOEXEC, 3)?;
            self.close(cpu, child, 3)?;
        }
        Ok(())
    }

    fn procexit(&mut self, cpu: u16, tid: u64, status: i64) -> Res<()> {
        self.enter(
            cpu,
            tid,
            "procexit",
            &[("status", V::I(status)), ("ret", V::I(status >> 8))],
        )
    }
}

/// The metadata blocks: machine, interfaces, users, processes, fds.
fn write_meta<W: Write>(w: &mut Writer<W>) -> Res<()> {
    let mut out = Vec::new();
    let mut mi = MachineInfo {
        num_cpus: 2,
        memory_size_bytes: 4 << 30,
        max_pid: 4_194_304,
        boot_ts_epoch: START_NS - 3_600_000_000_000,
        ..MachineInfo::default()
    };
    mi.set_hostname(b"scapkit-demo");
    meta::write_machine_info(&mut out, &mi)?;
    w.write_raw_block(&out)?;

    let lo = Interface {
        name: b"lo",
        addr: IfaceAddr::V4 {
            addr: [127, 0, 0, 1].into(),
            netmask: [255, 0, 0, 0].into(),
            bcast: [127, 0, 0, 1].into(),
        },
        linkspeed: Some(0),
    };
    let eth0 = Interface {
        name: b"eth0",
        addr: IfaceAddr::V4 {
            addr: [10, 0, 0, 5].into(),
            netmask: [255, 255, 255, 0].into(),
            bcast: [10, 0, 0, 255].into(),
        },
        linkspeed: Some(1000),
    };
    out.clear();
    meta::write_iface_list(&mut out, [&lo, &eth0])?;
    w.write_raw_block(&out)?;

    let users = [
        UserEntry::User(UserInfo {
            uid: 0,
            gid: 0,
            name: b"root",
            homedir: b"/root",
            shell: b"/bin/bash",
        }),
        UserEntry::User(UserInfo {
            uid: 1000,
            gid: 1000,
            name: b"alice",
            homedir: b"/home/alice",
            shell: b"/bin/bash",
        }),
        UserEntry::Group(GroupInfo {
            gid: 0,
            name: b"root",
        }),
        UserEntry::Group(GroupInfo {
            gid: 1000,
            name: b"alice",
        }),
    ];
    out.clear();
    meta::write_user_list(&mut out, &users)?;
    w.write_raw_block(&out)?;

    let base = ThreadInfo {
        fdlimit: 1024,
        vmsize_kb: 8_712,
        vmrss_kb: 5_120,
        cgroups: CGROUPS,
        root: b"/",
        loginuid: u32::MAX,
        ..ThreadInfo::default()
    };
    let systemd = ThreadInfo {
        tid: 1,
        pid: 1,
        sid: 1,
        vpgid: 1,
        pgid: 1,
        vtid: 1,
        vpid: 1,
        comm: b"systemd",
        exe: b"/sbin/init",
        exepath: b"/usr/lib/systemd/systemd",
        args: b"splash\0",
        cwd: b"/",
        fdlimit: 524_288,
        ..base
    };
    let sshd = ThreadInfo {
        tid: SSHD,
        pid: SSHD,
        ptid: 1,
        sid: 500,
        vpgid: 500,
        pgid: 500,
        vtid: 500,
        vpid: 500,
        comm: b"sshd",
        exe: b"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
        exepath: b"/usr/sbin/sshd",
        cwd: b"/",
        ..base
    };
    let session = ThreadInfo {
        tid: SSHD_SESSION,
        pid: SSHD_SESSION,
        ptid: SSHD,
        sid: 1190,
        vpgid: 1190,
        pgid: 1190,
        vtid: 1190,
        vpid: 1190,
        comm: b"sshd",
        exe: b"sshd: alice@pts/0",
        exepath: b"/usr/sbin/sshd",
        cwd: b"/",
        uid: 1000,
        gid: 1000,
        loginuid: 1000,
        ..base
    };
    let bash = ThreadInfo {
        tid: BASH,
        pid: BASH,
        ptid: SSHD_SESSION,
        sid: 1200,
        vpgid: 1200,
        pgid: 1200,
        vtid: 1200,
        vpid: 1200,
        comm: b"bash",
        exe: b"-bash",
        exepath: b"/usr/bin/bash",
        cwd: b"/home/alice/",
        uid: 1000,
        gid: 1000,
        env: ENV,
        tty: 34_816,
        loginuid: 1000,
        ..base
    };
    out.clear();
    meta::write_proc_list(&mut out, [&systemd, &sshd, &session, &bash])?;
    w.write_raw_block(&out)?;

    let listen = FdInfo {
        fd: 3,
        ino: 20_511,
        detail: FdDetail::Ipv4Server {
            ip: [0, 0, 0, 0].into(),
            port: 22,
            l4proto: 2,
        },
    };
    out.clear();
    meta::write_fd_list(&mut out, SSHD, [&listen])?;
    w.write_raw_block(&out)?;

    let conn = FdInfo {
        fd: 4,
        ino: 31_877,
        detail: FdDetail::Ipv4 {
            sip: [203, 0, 113, 7].into(),
            dip: [10, 0, 0, 5].into(),
            sport: 51_514,
            dport: 22,
            l4proto: 2,
        },
    };
    let ptmx = FdInfo {
        fd: 5,
        ino: 88,
        detail: FdDetail::FileV2 {
            open_flags: 3,
            name: b"/dev/ptmx",
            dev: Some(0x16),
        },
    };
    out.clear();
    meta::write_fd_list(&mut out, SSHD_SESSION, [&conn, &ptmx])?;
    w.write_raw_block(&out)?;

    let pts: Vec<FdInfo<'_>> = (0..3)
        .map(|fd| FdInfo {
            fd,
            ino: 3,
            detail: FdDetail::FileV2 {
                open_flags: 3,
                name: b"/dev/pts/0",
                dev: Some(0x19),
            },
        })
        .collect();
    out.clear();
    meta::write_fd_list(&mut out, BASH, &pts)?;
    w.write_raw_block(&out)?;
    Ok(())
}

/// Build the sample capture into `out`; returns the number of events written.
pub fn generate<W: Write>(out: W, gzip: bool) -> Res<(W, u64)> {
    let mut w = Writer::new(out, Options { gzip })?;
    write_meta(&mut w)?;
    let mut g = Gen {
        w,
        now: START_NS,
        step: 1,
    };

    // Both CPUs check in, then alice types the first command.
    g.procinfo(0, BASH, 12, 7)?;
    g.procinfo(1, SSHD_SESSION, 40, 31)?;
    g.switch(1, 0, i64::try_from(SSHD_SESSION)?)?;
    g.type_line("cat /etc/passwd /etc/shadow\r")?;

    // bash forks; the child runs cat on CPU 1.
    g.fork(1, CAT)?;
    g.switch(0, BASH, 0)?;
    g.execve(1, CAT, "/usr/bin/cat", "cat", b"/etc/passwd\0/etc/shadow\0")?;
    g.openat(1, CAT, "/etc/passwd", O_RDONLY, 3)?;
    g.io(1, CAT, "read", 3, 131_072, PASSWD)?;
    g.io(1, CAT, "write", 1, i64::try_from(PASSWD.len())?, PASSWD)?;
    g.io(1, CAT, "read", 3, 131_072, b"")?;
    g.close(1, CAT, 3)?;
    g.sshd_out(PASSWD)?;
    // alice may not read the shadow file.
    let shadow = [
        ("name", V::S("/etc/shadow")),
        ("flags", V::I(i64::try_from(O_RDONLY)?)),
        ("mode", V::I(0)),
    ];
    g.enter(1, CAT, "open", &shadow)?;
    let mut x = shadow.to_vec();
    x.push(("fd", V::I(-13)));
    g.exit(1, CAT, "open", &x)?;
    let msg = b"cat: /etc/shadow: Permission denied\n";
    g.io(1, CAT, "write", 2, i64::try_from(msg.len())?, msg)?;
    g.sshd_out(msg)?;
    g.procinfo(1, CAT, 1, 2)?;
    g.procexit(1, CAT, 256)?;
    g.switch(1, CAT, i64::try_from(BASH)?)?;
    g.switch(0, 0, i64::try_from(BASH)?)?;
    g.procinfo(0, BASH, 13, 9)?;
    g.io(0, BASH, "write", 2, 14, b"alice@demo:~$ ")?;
    g.sshd_out(b"alice@demo:~$ ")?;

    // Second command: curl, on CPU 0 while bash waits on CPU 1.
    g.type_line("curl example.com\r")?;
    g.fork(0, CURL)?;
    g.switch(0, BASH, i64::try_from(CURL)?)?;
    g.execve(0, CURL, "/usr/bin/curl", "curl", b"example.com\0")?;
    g.openat(0, CURL, ".curlrc", O_RDONLY, -2)?;
    g.enter(
        0,
        CURL,
        "socket",
        &[("domain", V::I(2)), ("type", V::I(1)), ("proto", V::I(6))],
    )?;
    g.exit(0, CURL, "socket", &[("fd", V::I(3))])?;
    let (me, peer) = ([10, 0, 0, 5], [93, 184, 216, 34]);
    g.enter(
        0,
        CURL,
        "connect",
        &[("fd", V::I(3)), ("addr", V::Addr(peer, 80))],
    )?;
    g.exit(
        0,
        CURL,
        "connect",
        &[("res", V::I(0)), ("tuple", V::Tuple(me, 40_000, peer, 80))],
    )?;
    let tuple = V::Tuple(me, 40_000, peer, 80);
    let req_len = i64::try_from(REQUEST.len())?;
    g.enter(
        0,
        CURL,
        "sendto",
        &[("fd", V::I(3)), ("size", V::I(req_len)), ("tuple", tuple)],
    )?;
    g.exit(
        0,
        CURL,
        "sendto",
        &[
            ("res", V::I(req_len)),
            ("data", V::B(REQUEST.get(..SNAPLEN).unwrap_or(REQUEST))),
        ],
    )?;
    g.switch(0, CURL, 0)?;
    g.procinfo(1, BASH, 13, 9)?;
    g.switch(0, 0, i64::try_from(CURL)?)?;
    g.enter(
        0,
        CURL,
        "recvfrom",
        &[("fd", V::I(3)), ("size", V::I(102_400))],
    )?;
    g.exit(
        0,
        CURL,
        "recvfrom",
        &[
            ("res", V::I(i64::try_from(REPLY.len())?)),
            ("data", V::B(REPLY.get(..SNAPLEN).unwrap_or(REPLY))),
            ("tuple", tuple),
        ],
    )?;
    let body = REPLY
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .and_then(|i| REPLY.get(i + 4..))
        .unwrap_or_default();
    g.io(0, CURL, "write", 1, i64::try_from(body.len())?, body)?;
    g.sshd_out(body)?;
    g.close(0, CURL, 3)?;
    g.procexit(0, CURL, 0)?;
    g.switch(0, CURL, 0)?;

    // bash records the commands in its history file, relative to its cwd.
    let hist = b"cat /etc/passwd /etc/shadow\ncurl example.com\n";
    g.openat(1, BASH, ".bash_history", O_WRONLY | O_CREAT | O_APPEND, 3)?;
    g.io(1, BASH, "write", 3, i64::try_from(hist.len())?, hist)?;
    g.close(1, BASH, 3)?;
    g.openat(1, BASH, ".bash_logout", O_RDONLY, -2)?;
    g.io(1, BASH, "write", 2, 14, b"alice@demo:~$ ")?;
    g.sshd_out(b"alice@demo:~$ ")?;
    g.procinfo(0, 0, 0, 0)?;
    g.procinfo(1, SSHD_SESSION, 41, 33)?;

    // A CloudTrail record delivered by the cloudtrail plugin (no thread, CPU 0).
    let ts = g.tick(500_000);
    g.w.write_event_parts(
        ts,
        u64::MAX,
        0,
        0,
        scap::table::code::PLUGINEVENT_E,
        &[&CLOUDTRAIL_ID.to_le_bytes(), CLOUDTRAIL],
    )?;

    let n = g.w.events_written();
    Ok((g.w.finish()?, n))
}

#[allow(dead_code)] // not used when the test includes this file
fn main() -> Res<()> {
    let mut gzip = false;
    let mut path = None;
    for a in std::env::args().skip(1) {
        if a == "--gzip" {
            gzip = true;
        } else {
            path = Some(a);
        }
    }
    let path = path.ok_or("usage: make_sample [--gzip] OUT.scap")?;
    let (bytes, n) = generate(Vec::new(), gzip)?;
    std::fs::write(&path, &bytes)?;
    eprintln!("{path}: {n} events, {} bytes", bytes.len());
    Ok(())
}
