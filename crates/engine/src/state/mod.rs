//! Process, thread and fd state rebuilt from the capture, as libsinsp keeps it.
//!
//! Filled from the metadata blocks (process, fd, user, interface lists), then kept up to date
//! by [`State::parse`] for every event (clone/fork/execve/procexit, open/socket/connect/close,
//! ...). Lookups are hash-map O(1); memory is bounded by live threads and fds.

mod args;
mod container;
mod exe;
mod fdtab;
mod hash;
mod meta;
mod parse;
pub mod paths;
pub mod table;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use hash::IntMap;
use std::net::IpAddr;

mod latency;
pub use latency::LatencyTracker;
pub use parse::{may_have_fd, touch, touch_effect};

use scap::{Block, Event};

pub use container::container_id_from_cgroups;
pub use exe::{write_caps, ExeInfo};

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
    /// Arguments after `argv[0]`, NUL-separated.
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
    /// True for the placeholder libsinsp creates for a thread it has never seen (`<NA>`).
    pub placeholder: bool,
    /// True once the thread has exited (it is removed before the next event).
    pub dead: bool,
    /// `args` joined with spaces (`proc.args`), kept up to date with `args`.
    pub args_text: Vec<u8>,
    /// `comm` and `args_text` (`proc.cmdline`), kept up to date with them.
    pub cmdline: Vec<u8>,
    /// `env` joined with spaces (`proc.env`).
    pub env_text: Vec<u8>,
    /// Executable and capability facts (libs ≥ 0.10 captures).
    pub exe_info: ExeInfo,
}

impl Thread {
    /// Recompute the joined texts after `comm`, `args` or `env` changed.
    pub fn refresh_text(&mut self) {
        join_nul(&self.args, &mut self.args_text);
        join_nul(&self.env, &mut self.env_text);
        self.cmdline.clear();
        self.cmdline
            .reserve(self.comm.len() + 1 + self.args_text.len());
        self.cmdline.extend_from_slice(&self.comm);
        if !self.args_text.is_empty() {
            self.cmdline.push(b' ');
            self.cmdline.extend_from_slice(&self.args_text);
        }
    }
}

/// NUL-separated strings joined with spaces (a trailing NUL adds nothing).
fn join_nul(src: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let src = src.strip_suffix(b"\0").unwrap_or(src);
    // Joining the parts with spaces is turning each separator into one: a byte map, written
    // branch-free so that it runs a vector at a time (environments run to kilobytes).
    out.extend(src.iter().map(|&b| if b == 0 { b' ' } else { b }));
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
    pub sip: Option<IpAddr>,
    /// Destination (server) address, for sockets.
    pub dip: Option<IpAddr>,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// True when this side is the server (accepted or bound/listening).
    pub is_server: bool,
    /// Inode, when known.
    pub ino: u64,
    /// Socket family for sockets whose type is not yet known (`PPM_AF_*`).
    pub family: u8,
    /// Layer-4 protocol implied by the socket type, applied once the socket gets an address
    /// (libsinsp shows none before).
    pub sock_l4: u8,
    /// True once the socket acts as a client (it connected, or sent first).
    pub is_client: bool,
    /// True once a connect on this socket succeeded (libsinsp 0.29 ignores later ones).
    pub connected: bool,
}

/// scap fd type ids (`scap_fd_type`).
pub mod fd_kind {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// Regular file.
    pub const FILE: u8 = 1;
    /// Directory.
    pub const DIRECTORY: u8 = 2;
    /// IPv4 socket.
    pub const IPV4_SOCK: u8 = 3;
    /// IPv6 socket.
    pub const IPV6_SOCK: u8 = 4;
    /// Listening IPv4 socket.
    pub const IPV4_SERVSOCK: u8 = 5;
    /// Listening IPv6 socket.
    pub const IPV6_SERVSOCK: u8 = 6;
    /// Pipe or FIFO.
    pub const FIFO: u8 = 7;
    /// Unix socket.
    pub const UNIX_SOCK: u8 = 8;
    /// eventfd.
    pub const EVENT: u8 = 9;
    /// Unsupported kind.
    pub const UNSUPPORTED: u8 = 10;
    /// signalfd.
    pub const SIGNALFD: u8 = 11;
    /// epoll.
    pub const EVENTPOLL: u8 = 12;
    /// inotify.
    pub const INOTIFY: u8 = 13;
    /// timerfd.
    pub const TIMERFD: u8 = 14;
    /// Netlink socket.
    pub const NETLINK: u8 = 15;
    /// Regular file (v2 fd list).
    pub const FILE_V2: u8 = 16;
    /// BPF object.
    pub const BPF: u8 = 17;
    /// userfaultfd.
    pub const USERFAULTFD: u8 = 18;
    /// io_uring.
    pub const IO_URING: u8 = 19;
    /// memfd.
    pub const MEMFD: u8 = 20;
    /// pidfd.
    pub const PIDFD: u8 = 21;
}

impl Fd {
    /// `fd.type` text, as libsinsp names the kind.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            fd_kind::FILE | fd_kind::FILE_V2 => "file",
            fd_kind::DIRECTORY => "directory",
            fd_kind::IPV4_SOCK | fd_kind::IPV4_SERVSOCK => "ipv4",
            fd_kind::IPV6_SOCK | fd_kind::IPV6_SERVSOCK => "ipv6",
            fd_kind::FIFO => "pipe",
            fd_kind::UNIX_SOCK => "unix",
            fd_kind::EVENT => "event",
            fd_kind::SIGNALFD => "signalfd",
            fd_kind::EVENTPOLL => "eventpoll",
            fd_kind::INOTIFY => "inotify",
            fd_kind::TIMERFD => "timerfd",
            fd_kind::NETLINK => "netlink",
            fd_kind::BPF => "bpf",
            fd_kind::USERFAULTFD => "userfaultfd",
            fd_kind::IO_URING => "io_uring",
            fd_kind::MEMFD => "memfd",
            fd_kind::PIDFD => "pidfd",
            _ => "<NA>",
        }
    }

    /// `fd.typechar`: the one-letter kind sysdig shows inside `<>`.
    pub fn type_char(&self) -> u8 {
        match self.kind {
            fd_kind::FILE | fd_kind::FILE_V2 => b'f',
            fd_kind::DIRECTORY => b'd',
            fd_kind::IPV4_SOCK | fd_kind::IPV4_SERVSOCK => b'4',
            fd_kind::IPV6_SOCK | fd_kind::IPV6_SERVSOCK => b'6',
            fd_kind::FIFO => b'p',
            fd_kind::UNIX_SOCK => b'u',
            fd_kind::EVENT => b'e',
            fd_kind::SIGNALFD => b's',
            fd_kind::EVENTPOLL => b'l',
            fd_kind::INOTIFY => b'i',
            fd_kind::TIMERFD => b't',
            fd_kind::NETLINK => b'n',
            fd_kind::BPF => b'b',
            fd_kind::USERFAULTFD => b'u',
            fd_kind::IO_URING => b'r',
            fd_kind::MEMFD => b'm',
            fd_kind::PIDFD => b'P',
            _ => b'o',
        }
    }

    /// Fill the addresses of a connected socket and name it `sip:sport->dip:dport`.
    pub fn set_tuple(&mut self, sip: IpAddr, sport: u16, dip: IpAddr, dport: u16) {
        // libsinsp treats an IPv6 pair of IPv4-mapped addresses as IPv4.
        let (sip, dip) = match (sip, dip) {
            (IpAddr::V6(s), IpAddr::V6(d)) => match (s.to_ipv4_mapped(), d.to_ipv4_mapped()) {
                (Some(s4), Some(d4)) => {
                    self.kind = fd_kind::IPV4_SOCK;
                    (IpAddr::V4(s4), IpAddr::V4(d4))
                }
                _ => (sip, dip),
            },
            _ => (sip, dip),
        };
        self.sip = Some(sip);
        self.dip = Some(dip);
        self.sport = sport;
        self.dport = dport;
        if self.kind != fd_kind::IPV4_SOCK && self.kind != fd_kind::IPV6_SOCK {
            self.kind = if sip.is_ipv4() {
                fd_kind::IPV4_SOCK
            } else {
                fd_kind::IPV6_SOCK
            };
        }
        self.name.clear();
        self.name.reserve(48);
        push_addr(&mut self.name, sip, sport);
        self.name.extend_from_slice(b"->");
        push_addr(&mut self.name, dip, dport);
    }

    /// Fill the address of a bound/listening socket and name it `ip:port`; the client side
    /// is left unspecified, as libsinsp keeps it. Port 0 only names the fd.
    pub fn set_server(&mut self, ip: IpAddr, port: u16) {
        self.name.clear();
        push_addr(&mut self.name, ip, port);
        if port == 0 {
            return;
        }
        self.dip = Some(ip);
        self.dport = port;
        self.sip = Some(match ip {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        });
        self.sport = 0;
        self.is_server = true;
    }

    /// True for bound (listening) IPv4/IPv6 sockets.
    pub fn is_server_kind(&self) -> bool {
        matches!(self.kind, fd_kind::IPV4_SERVSOCK | fd_kind::IPV6_SERVSOCK)
    }

    /// True for IPv4/IPv6 sockets.
    pub fn is_ip(&self) -> bool {
        matches!(
            self.kind,
            fd_kind::IPV4_SOCK
                | fd_kind::IPV6_SOCK
                | fd_kind::IPV4_SERVSOCK
                | fd_kind::IPV6_SERVSOCK
        )
    }
}

/// Append `ip:port` as `Display` writes it; IPv4, by far the most common, without the
/// formatting machinery (metadata blocks name thousands of sockets).
fn push_addr(out: &mut Vec<u8>, ip: IpAddr, port: u16) {
    // `255.255.255.255:65535` is 21 bytes; each octet writes 3 bytes and keeps its length.
    let mut buf = [0u8; 24];
    let mut n = 0;
    match ip {
        IpAddr::V4(v4) => {
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    if let Some(b) = buf.get_mut(n) {
                        *b = b'.';
                    }
                    n += 1;
                }
                let [a, b, c, len] = DECIMAL_BYTES[usize::from(o)];
                if let Some(d) = buf.get_mut(n..n + 3) {
                    d.copy_from_slice(&[a, b, c]);
                }
                n += usize::from(len);
            }
        }
        IpAddr::V6(_) => {
            use std::io::Write;
            let _ = write!(out, "{ip}");
        }
    }
    if let Some(b) = buf.get_mut(n) {
        *b = b':';
    }
    n += 1;
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    let mut p = port;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (p % 10) as u8;
        }
        p /= 10;
        if p == 0 || i == 0 {
            break;
        }
    }
    let digits = digits.get(i..).unwrap_or_default();
    if let Some(d) = buf.get_mut(n..n + digits.len()) {
        d.copy_from_slice(digits);
    }
    n += digits.len();
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
}

/// The decimal text of every byte value (up to 3 digits, zero-padded after), then its length.
const DECIMAL_BYTES: [[u8; 4]; 256] = decimal_bytes();

const fn decimal_bytes() -> [[u8; 4]; 256] {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let n = i as u8;
        t[i] = if n >= 100 {
            [b'0' + n / 100, b'0' + n / 10 % 10, b'0' + n % 10, 3]
        } else if n >= 10 {
            [b'0' + n / 10, b'0' + n % 10, 0, 2]
        } else {
            [b'0' + n, 0, 0, 1]
        };
        i += 1;
    }
    t
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
    /// Image repository.
    pub image_repo: Vec<u8>,
    /// Image tag.
    pub image_tag: Vec<u8>,
    /// Image digest.
    pub image_digest: Vec<u8>,
    /// Image id.
    pub image_id: Vec<u8>,
    /// Labels, in the order the metadata lists them (k8s.* fields read them).
    pub labels: Vec<(Vec<u8>, Vec<u8>)>,
    /// Creation time, seconds since the epoch (0 = unknown).
    pub created_time: i64,
    /// Mounts, in the order the metadata lists them.
    pub mounts: Vec<Mount>,
}

/// One mount of a container.
#[derive(Debug, Clone, Default)]
pub struct Mount {
    /// Host path (or volume).
    pub source: Vec<u8>,
    /// Path inside the container.
    pub dest: Vec<u8>,
    /// Mode text, e.g. `ro`.
    pub mode: Vec<u8>,
    /// Read-write.
    pub rdwr: bool,
    /// Propagation, e.g. `rprivate`.
    pub propagation: Vec<u8>,
}

impl Container {
    /// The value of label `key`, if set.
    pub fn label(&self, key: &[u8]) -> Option<&[u8]> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }
}

/// The enter event kept per thread so that its exit can use the enter's parameters, as
/// libsinsp does for old captures whose exit events carry only the result.
#[derive(Debug, Default, Clone)]
pub(crate) struct Enter {
    /// False when no enter is pending (none yet, or its exit did not match it).
    pub live: bool,
    /// Event type of the enter event.
    pub ty: u16,
    /// The enter's first parameter read as an fd, when its exit uses an fd.
    pub fd: Option<i64>,
    /// Copy of the event bytes (buffer reused from event to event), only for the enters
    /// whose exit parser reads them; `nparams` is 0 otherwise.
    pub raw: Vec<u8>,
    /// Offset of the length array (22 for v1, 26 for v2 headers).
    pub lens_at: usize,
    /// Width of a length entry.
    pub width: usize,
    /// Number of parameters.
    pub nparams: usize,
}

/// Per-thread parser memory, one hash lookup per event: the last event (for
/// `evt.latency`) and the pending enter event.
#[derive(Debug, Default, Clone)]
pub(crate) struct Slot {
    /// Type and timestamp of the thread's last event, if any.
    pub last: Option<(u16, u64)>,
    /// The last enter event.
    pub enter: Enter,
}

/// A thread, the pid whose fd table it uses, and that table's slot (none while it has none).
#[derive(Debug, Clone, Copy)]
struct Hint {
    tid: i64,
    pid: i64,
    slot: Option<u32>,
}

/// A version number: changes whenever what it stands for may have changed (see
/// [`State::fd_version`] and [`State::names_version`]). Each starts from its own base, so
/// versions of two states (or of two things) never meet.
#[derive(Debug)]
struct Version(u64);

impl Default for Version {
    fn default() -> Version {
        use std::sync::atomic::{AtomicU64, Ordering};
        // 2^40 changes per state before its versions could reach the next state's; none is
        // 0, which users may take for "no version".
        static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
        Version(NEXT.fetch_add(1 << 40, Ordering::Relaxed))
    }
}

impl Version {
    fn get(&self) -> u64 {
        self.0
    }

    fn bump(&mut self) {
        self.0 = self.0.wrapping_add(1);
    }
}

/// What libsinsp knows while reading: threads, fds, users, interfaces, containers.
#[derive(Debug, Default)]
pub struct State {
    threads: IntMap<i64, Thread>,
    /// The thread of the current event and where its fds are, saving the thread and table
    /// lookups of the many fd lookups of one event; forgotten whenever a thread comes, goes or
    /// changes pid, kept up to date when its process gets a table.
    hint: Option<Hint>,
    /// Number of threads in `threads` per pid (kept by `insert_thread` and `remove_thread`):
    /// a process's fd table goes with its last thread.
    nthreads: IntMap<i64, u32>,
    /// fd tables, by pid (threads share their process's table).
    fds: fdtab::FdTables,
    /// Changes whenever a thread comes, goes or is renamed (see [`State::names_version`]).
    names: Version,
    users: IntMap<u32, User>,
    groups: IntMap<u32, Group>,
    containers: HashMap<Vec<u8>, Container>,
    /// Last event and enter event per thread id (kept when the thread goes, as libsinsp's
    /// latency memory is): `slot_of` maps a tid to its index in `slots`.
    slots: Vec<Slot>,
    slot_of: IntMap<i64, usize>,
    /// The tid of the last event and its slot: most events follow one of the same thread,
    /// which then costs no hash lookup.
    last_slot: Option<(i64, usize)>,
    /// A tid known to be in `threads` (the last event's), saving the placeholder lookup.
    known_tid: Option<i64>,
    /// Thread to remove before the next event (libsinsp removes exited threads lazily).
    tid_to_remove: Option<i64>,
    /// fd to remove before the next event: `(pid, fd)`.
    fd_to_remove: Option<(i64, i64)>,
    /// fd number of the current event, for `fd.*` fields.
    event_fd: Option<i64>,
    /// `fd.name` of the current event when it failed: the resolved path of a failed open,
    /// the tuple of a failed unix connect, `NULL` for a failed accept.
    failed_open: Vec<u8>,
    /// Addresses of the machine's interfaces (interface list).
    local_ips: Vec<IpAddr>,
    /// The interface list's addresses with their netmasks, in list order.
    ifaces: Vec<(IpAddr, IpAddr)>,
    /// True when parsing the current event renamed its fd (`fd.name_changed`).
    fd_name_changed: bool,
    /// The name of the current event's fd before its exit was parsed (buffer reused).
    fd_name_before: Vec<u8>,
    /// The container id of the last cgroups seen.
    cgroup_ids: container::IdCache,
    /// Name buffers of gone fds, for the next fds opened (a few at most).
    spare_names: Vec<Vec<u8>>,
    /// True when the fd lists need libsinsp's socket fix-up before the next event.
    sockets_unfixed: bool,
    /// Number of metadata blocks applied.
    pub meta_blocks: u64,
}

impl State {
    /// Apply a metadata block (process, fd, user, interface list, machine info).
    pub fn load_meta(&mut self, block: &Block<'_>) {
        self.meta_blocks += 1;
        // Interfaces decide which side of a socket is local.
        self.fds.changed();
        self.names.bump();
        self.sockets_unfixed = true;
        meta::load(self, block);
    }

    /// Update state from an event (called before the event is shown, as libsinsp does).
    /// Returns `evt.latency`: for an exit event right after its own enter event on the same
    /// thread, the ns between them; 0 otherwise.
    pub fn parse(&mut self, event: &Event<'_>) -> u64 {
        self.settle_meta();
        parse::parse(self, event)
    }

    /// The work metadata blocks leave for the next event (libsinsp's socket fix-up of the
    /// fd lists), done now: for a state built on another thread than the one parsing.
    #[inline]
    pub fn settle_meta(&mut self) {
        if self.sockets_unfixed {
            self.fix_sockets();
        }
    }

    #[cold]
    fn fix_sockets(&mut self) {
        self.sockets_unfixed = false;
        meta::fix_sockets(self);
    }

    /// Stand in for events of thread `tid` that a reader left out because nobody shows them
    /// and [`touch_effect`] says they change no state beyond `effect`: after the touch, the
    /// next event of that thread is parsed as if they had been seen.
    pub fn touch(&mut self, tid: u64, effect: u8) {
        parse::touch_thread(self, tid, effect)
    }

    /// Every known thread.
    pub fn threads(&self) -> impl Iterator<Item = &Thread> {
        self.threads.values()
    }

    /// The thread `tid`, if known.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// The main thread of `tid`'s process, if known.
    pub fn process(&self, tid: i64) -> Option<&Thread> {
        let t = self.threads.get(&tid)?;
        self.threads.get(&t.pid).or(Some(t))
    }

    /// The parent process of thread `tid`, if known.
    pub fn parent(&self, tid: i64) -> Option<&Thread> {
        let t = self.process(tid)?;
        self.process(t.ptid)
    }

    /// Number of threads known.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Threads of process `pid` (the main thread included).
    pub fn process_threads(&self, pid: i64) -> usize {
        self.threads
            .values()
            .filter(|t| t.pid == pid && !t.dead)
            .count()
    }

    /// The pid whose fd table thread `tid` uses (its own tid when unknown).
    #[inline]
    fn pid_of(&self, tid: i64) -> i64 {
        match self.hint {
            Some(h) if h.tid == tid => h.pid,
            _ => self.threads.get(&tid).map_or(tid, |t| t.pid),
        }
    }

    /// The fd table thread `tid` uses, if its process has one.
    #[inline]
    fn table_of(&self, tid: i64) -> Option<&fdtab::FdTable> {
        match self.hint {
            Some(h) if h.tid == tid => self.fds.at(h.slot?),
            _ => self.fds.get(self.pid_of(tid)),
        }
    }

    /// The fd table thread `tid` uses, to change.
    #[inline]
    fn table_of_mut(&mut self, tid: i64) -> Option<&mut fdtab::FdTable> {
        let slot = match self.hint {
            Some(h) if h.tid == tid => h.slot?,
            _ => self.fds.slot(self.pid_of(tid))?,
        };
        self.fds.at_mut(slot)
    }

    /// Make `tid` (of process `pid`) the thread of the hint.
    #[inline]
    fn set_hint(&mut self, tid: i64, pid: i64) {
        self.hint = Some(Hint {
            tid,
            pid,
            slot: self.fds.slot(pid),
        });
    }

    /// [`State::pid_of`], kept in the hint for the next lookups of the same tid.
    #[inline]
    fn note_pid(&mut self, tid: i64) -> i64 {
        match self.hint {
            Some(h) if h.tid == tid => h.pid,
            _ => {
                let pid = self.pid_of(tid);
                self.set_hint(tid, pid);
                pid
            }
        }
    }

    /// Process `pid`'s fd table, made empty if it had none.
    fn table_or_new(&mut self, pid: i64) -> Option<&mut fdtab::FdTable> {
        let slot = self.fds.slot_or_new(pid);
        if let Some(h) = self.hint.as_mut().filter(|h| h.pid == pid) {
            h.slot = Some(slot);
        }
        self.fds.at_mut(slot)
    }

    /// fd `fd` as seen by thread `tid`.
    pub fn fd(&self, tid: i64, fd: i64) -> Option<&Fd> {
        self.table_of(tid)?.get(&fd)
    }

    /// A number that changes whenever what [`State::fd`] finds may change (an fd opened,
    /// closed or renamed, a thread come, gone or moved to another process, a metadata block),
    /// and never repeats, in this state or another: what was read from an fd under one
    /// version still holds under it.
    #[inline]
    pub fn fd_version(&self) -> u64 {
        self.fds.version()
    }

    /// A number that changes whenever a thread comes or goes or a thread's `comm` may change
    /// (clone, execve, exit, container and metadata), and never repeats, in this state or
    /// another: a thread's `proc.name` read under one version still holds under it.
    #[inline]
    pub fn names_version(&self) -> u64 {
        self.names.get()
    }

    /// The fd number of the event last given to [`State::parse`] (its `fd` parameter, or the
    /// result of an fd-creating exit), if it has one.
    pub fn event_fd_num(&self) -> Option<i64> {
        self.event_fd
    }

    /// The fd of the event last given to [`State::parse`] by thread `tid`.
    pub fn event_fd(&self, tid: i64) -> Option<&Fd> {
        self.fd(tid, self.event_fd?)
    }

    /// True if parsing the current event changed the name of its fd, as libsinsp's
    /// `fd.name_changed` (a connect or bind naming a socket, ...).
    pub fn event_fd_name_changed(&self) -> bool {
        self.fd_name_changed
    }

    /// The resolved path of the current event if it is an open that failed (empty otherwise).
    pub fn failed_open_name(&self) -> &[u8] {
        &self.failed_open
    }

    /// The machine's address that reaches `peer`: the same address, else one of the peer's
    /// subnet, else the first that is not loopback (libsinsp's guess for an unbound side).
    pub fn infer_local(&self, peer: IpAddr) -> Option<IpAddr> {
        let same_family = |ip: &IpAddr| ip.is_ipv4() == peer.is_ipv4();
        let ifaces = || self.ifaces.iter().filter(|(ip, _)| same_family(ip));
        if let Some((ip, _)) = ifaces().find(|(ip, _)| *ip == peer) {
            return Some(*ip);
        }
        let in_subnet = |ip: &IpAddr, mask: &IpAddr| match (ip, mask, peer) {
            (IpAddr::V4(a), IpAddr::V4(m), IpAddr::V4(p)) => {
                u32::from(*a) & u32::from(*m) == u32::from(p) & u32::from(*m)
            }
            // IPv6 subnets are compared on their /64 prefix.
            (IpAddr::V6(a), _, IpAddr::V6(p)) => a.octets().get(..8) == p.octets().get(..8),
            _ => false,
        };
        if let Some((ip, _)) = ifaces().find(|(ip, m)| in_subnet(ip, m)) {
            return Some(*ip);
        }
        ifaces()
            .find(|(ip, _)| !ip.is_loopback())
            .map(|(ip, _)| *ip)
    }

    /// True if `ip` belongs to the capturing machine (one of its interfaces), as sysdig 0.29
    /// decides which side of a socket is local.
    pub fn is_local_ip(&self, ip: IpAddr) -> bool {
        self.local_ips.contains(&ip)
    }

    /// Parameter `name` of the enter event matching exit event type `exit_ty` of thread
    /// `tid` (kept while its exit is shown), for exits that carry only the result.
    pub fn enter_value(
        &self,
        tid: i64,
        exit_ty: u16,
        name: &str,
    ) -> Option<scap::param::ParamValue<'_>> {
        let e = &self.slots.get(*self.slot_of.get(&tid)?)?.enter;
        if !e.live || e.ty.checked_add(1) != Some(exit_ty) || e.nparams == 0 {
            return None;
        }
        e.value(name)
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
