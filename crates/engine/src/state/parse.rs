//! Updating the state from events, as libsinsp's parser does.

use std::net::IpAddr;

use scap::param::{decode, ParamValue, SockAddr, SockTuple};
use scap::table::{self, ef, Direction};
use scap::Event;

use super::{container, fd_kind, paths, Enter, Fd, Slot, State, Thread};

/// `PPM_CL_CLONE_THREAD`.
const CL_CLONE_THREAD: u64 = 8192;
/// `PPM_O_DIRECTORY`.
const O_DIRECTORY: u64 = 1024;
/// `PPM_AT_FDCWD`.
const AT_FDCWD: i64 = -100;
/// `-EINPROGRESS`: a non-blocking connect that goes on in the background.
const EINPROGRESS: i64 = -115;
/// `PPM_FCNTL_F_DUPFD`, `PPM_FCNTL_F_DUPFD_CLOEXEC`.
const F_DUPFD: u64 = 1;
const F_DUPFD_CLOEXEC: u64 = 26;
/// scap layer-4 protocol values.
const L4_TCP: u8 = 2;
const L4_UDP: u8 = 3;
const L4_ICMP: u8 = 4;
const L4_RAW: u8 = 5;

impl Enter {
    /// Payload of parameter `i` of the stored enter event.
    fn param(&self, i: usize) -> Option<&[u8]> {
        if i >= self.nparams {
            return None;
        }
        let lens = self.raw.get(self.lens_at..)?;
        let mut data_at = self
            .lens_at
            .checked_add(self.nparams.checked_mul(self.width)?)?;
        for k in 0..=i {
            let at = k * self.width;
            let len = if self.width == 4 {
                u32::from_le_bytes(lens.get(at..at + 4)?.try_into().ok()?) as usize
            } else {
                usize::from(u16::from_le_bytes(lens.get(at..at + 2)?.try_into().ok()?))
            };
            if k == i {
                return self.raw.get(data_at..data_at.checked_add(len)?);
            }
            data_at = data_at.checked_add(len)?;
        }
        None
    }

    /// Parameter `name` of the stored enter event, decoded.
    pub(super) fn value(&self, name: &str) -> Option<ParamValue<'_>> {
        let info = table::CURRENT.event(self.ty)?;
        let i = info.params.iter().position(|p| p.name == name)?;
        let ty = info.params.get(i)?.ty;
        Some(decode(ty, self.param(i)?))
    }
}

/// Parameter `name` of `ev`, decoded by the current table.
fn find<'a>(ev: &Event<'a>, name: &str) -> Option<ParamValue<'a>> {
    let info = table::CURRENT.event(ev.event_type())?;
    let i = info.params.iter().position(|p| p.name == name)?;
    ev.value(i).map(|(_, v)| v).filter(|v| !v.is_empty())
}

/// Parameter `name` of the exit event, or else of its enter event.
fn arg<'a>(ev: &Event<'a>, enter: Option<&'a Enter>, name: &str) -> Option<ParamValue<'a>> {
    find(ev, name).or_else(|| enter?.value(name).filter(|v| !v.is_empty()))
}

fn int(v: Option<ParamValue<'_>>) -> Option<i64> {
    let v = v?;
    v.as_i64().or_else(|| v.as_u64().map(|u| u as i64))
}

fn uint(v: Option<ParamValue<'_>>) -> Option<u64> {
    let v = v?;
    v.as_u64().or_else(|| v.as_i64().map(|i| i as u64))
}

fn bytes<'a>(v: Option<ParamValue<'a>>) -> Option<&'a [u8]> {
    v?.as_bytes()
}

/// Exit parsers in [`exit_event`]; other exits change no state.
const HANDLED_EXITS: &[&str] = &[
    "clone",
    "fork",
    "vfork",
    "clone3",
    "execve",
    "execveat",
    "open",
    "openat",
    "openat2",
    "creat",
    "open_by_handle_at",
    "socket",
    "connect",
    "sendto",
    "sendmsg",
    "recvfrom",
    "recvmsg",
    "accept",
    "accept4",
    "bind",
    "pipe",
    "pipe2",
    "socketpair",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "eventfd",
    "eventfd2",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "inotify_init",
    "inotify_init1",
    "epoll_create",
    "epoll_create1",
    "userfaultfd",
    "io_uring_setup",
    "memfd_create",
    "pidfd_open",
    "close",
    "chdir",
    "fchdir",
    "setuid",
    "setresuid",
    "setgid",
    "setresgid",
    "setsid",
];

/// What [`parse`] does with one event code, decided once from the event tables so that the
/// per-event work is a few bit tests rather than name comparisons.
#[derive(Debug, Clone, Copy, Default)]
struct Action(u8);

impl Action {
    /// A thread is invented for an unseen tid.
    const PLACEHOLDER: u8 = 1;
    /// The event uses an fd (sysdig 0.29's flag where it knows the code).
    const USES_FD: u8 = 2;
    /// Enter: kept for its exit (not a scheduler or meta event).
    const KEEP_ENTER: u8 = 4;
    /// Enter: its exit's parser reads its parameters, so its bytes are copied.
    const SAVE_RAW: u8 = 8;
    /// Enter: its exit uses an fd, taken from the enter's first parameter.
    const EXIT_FD: u8 = 16;
    /// Exit: [`exit_event`] has a parser for it.
    const HANDLED: u8 = 32;
    /// Enter: `procexit` or `container`.
    const SPECIAL: u8 = 64;
    /// The first parameter is an fd (so the enter's fd, read once, serves both uses).
    const FD_FIRST: u8 = 128;

    #[inline]
    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// Which event uses an fd is taken from sysdig 0.29's table where it knows the event.
fn fd_flags(ty: u16) -> u32 {
    let old = table::SYSDIG_0_29.event(ty).map_or(0, |i| i.flags);
    if usize::from(ty) < table::SYSDIG_0_29.len() {
        old
    } else {
        table::CURRENT.event(ty).map_or(0, |i| i.flags)
    }
}

fn action_of(ty: u16) -> Action {
    let Some(info) = table::CURRENT.event(ty) else {
        return Action::default();
    };
    let exit = Direction::of(ty) == Direction::Exit;
    let name = info.name;
    let old_flags = table::SYSDIG_0_29.event(ty).map_or(0, |i| i.flags);
    let skip = (info.flags | old_flags) & ef::SKIPPARSERESET != 0;
    let is_clone = matches!(name, "clone" | "fork" | "vfork" | "clone3");
    let mut bits = 0;
    // libsinsp invents no thread for scheduler switches and clone exits (the clone parser
    // creates the child itself), nor for events flagged to skip the thread lookup.
    if !skip && name != "switch" && name != "container" && !(exit && is_clone) {
        bits |= Action::PLACEHOLDER;
    }
    if fd_flags(ty) & ef::USES_FD != 0 {
        bits |= Action::USES_FD;
    }
    if info
        .params
        .first()
        .is_some_and(|p| p.ty == scap::table::ParamType::Fd)
    {
        bits |= Action::FD_FIRST;
    }
    if exit {
        if HANDLED_EXITS.contains(&name) {
            bits |= Action::HANDLED;
        }
    } else {
        if matches!(name, "procexit" | "container") {
            bits |= Action::SPECIAL;
        }
        // Scheduler and meta events come between a syscall's enter and exit.
        if name != "switch" && !skip {
            bits |= Action::KEEP_ENTER;
            let exit_ty = ty.wrapping_add(1);
            let exit_name = table::CURRENT.event(exit_ty).map(|i| i.name);
            // Exits parsed here, and the fs.path.* ones, read parameters of their enter.
            if exit_name
                .is_some_and(|n| HANDLED_EXITS.contains(&n) || crate::fields::fspath::has_paths(n))
            {
                bits |= Action::SAVE_RAW;
            }
            if fd_flags(exit_ty) & ef::USES_FD != 0 {
                bits |= Action::EXIT_FD;
            }
        }
    }
    Action(bits)
}

/// The action of every code of the current table.
fn actions() -> &'static [Action] {
    static ACTIONS: std::sync::OnceLock<Vec<Action>> = std::sync::OnceLock::new();
    ACTIONS.get_or_init(|| {
        (0..table::CURRENT.len())
            .map(|c| u16::try_from(c).map_or(Action::default(), action_of))
            .collect()
    })
}

/// What a left-out event would have changed, for [`State::touch`].
pub mod touch {
    /// The thread's last event (for `evt.latency`) is no longer an enter event.
    pub const LAST: u8 = 1;
    /// The thread's kept enter event is dropped: any exit, and any enter that is kept for its
    /// exit, replaces or unmatches it.
    pub const ENTER: u8 = 2;
    /// libsinsp invents a thread for a tid it has not seen.
    pub const PLACEHOLDER: u8 = 4;
}

/// How events of type `ty` act on the state when they are not shown: `None` when
/// [`State::parse`] must see them (they create or change threads, fds, containers), else the
/// [`touch`] bits that stand for them.
pub fn touch_effect(ty: u16) -> Option<u8> {
    let act = actions().get(usize::from(ty)).copied()?;
    if act.has(Action::HANDLED) || act.has(Action::SPECIAL) {
        return None;
    }
    let mut bits = touch::LAST;
    if Direction::of(ty) == Direction::Exit || act.has(Action::KEEP_ENTER) {
        bits |= touch::ENTER;
    }
    if act.has(Action::PLACEHOLDER) {
        bits |= touch::PLACEHOLDER;
    }
    Some(bits)
}

/// False when events of type `ty` never have an fd for the `fd.*` fields: they neither use
/// one nor are exits whose parser opens, names or fails to open one.
pub fn may_have_fd(ty: u16) -> bool {
    actions()
        .get(usize::from(ty))
        .is_none_or(|a| a.has(Action::USES_FD) || a.has(Action::HANDLED))
}

/// Apply the effect of events of thread `raw_tid` that were left out (see [`touch_effect`]).
pub(super) fn touch_thread(state: &mut State, raw_tid: u64, effect: u8) {
    apply_pending(state);
    let at = state.slot_index(raw_tid as i64);
    if let Some(slot) = state.slots.get_mut(at) {
        if effect & touch::LAST != 0 {
            slot.last = None;
        }
        if effect & touch::ENTER != 0 {
            slot.enter.live = false;
        }
    }
    if effect & touch::PLACEHOLDER != 0 {
        add_placeholder(state, Action(Action::PLACEHOLDER), raw_tid);
    }
}

/// Removals libsinsp does lazily, before the event after the one that asked for them.
fn apply_pending(state: &mut State) {
    if let Some(tid) = state.tid_to_remove.take() {
        state.remove_thread(tid);
    }
    if let Some((pid, fd)) = state.fd_to_remove.take() {
        if let Some(t) = state.fds.get_mut(&pid) {
            t.remove(&fd);
        }
    }
}

/// Update `state` from `ev`; returns its latency (see [`State::parse`]).
pub(super) fn parse(state: &mut State, ev: &Event<'_>) -> u64 {
    apply_pending(state);
    state.event_fd = None;
    state.failed_open.clear();
    state.fd_name_changed = false;
    let ty = ev.event_type();
    let raw_tid = ev.tid();
    let tid = raw_tid as i64;
    let exit = Direction::of(ty) == Direction::Exit;
    let at = state.slot_index(tid);
    let Some(slot) = state.slots.get_mut(at) else {
        return 0;
    };
    let latency = match slot.last.replace((ty, ev.ts())) {
        Some((pty, pts)) if exit && pty.wrapping_add(1) == ty => ev.ts().saturating_sub(pts),
        _ => 0,
    };
    let Some(act) = actions().get(usize::from(ty)).copied() else {
        return latency;
    };
    if !exit {
        // The first parameter read as an fd, when some use below needs it.
        let first_fd = (act.has(Action::EXIT_FD)
            || act.has(Action::USES_FD) && act.has(Action::FD_FIRST))
        .then(|| int(ev.param(0).map(|b| decode(scap::table::ParamType::Fd, b))))
        .flatten();
        if act.has(Action::KEEP_ENTER) {
            // Keep the enter event for its exit (buffer reused per thread).
            let e = &mut slot.enter;
            e.live = true;
            e.ty = ty;
            e.fd = if act.has(Action::EXIT_FD) {
                first_fd
            } else {
                None
            };
            e.raw.clear();
            e.nparams = 0;
            if act.has(Action::SAVE_RAW) {
                e.raw.extend_from_slice(ev.raw());
                e.lens_at = if ev.is_v1() {
                    scap::event::HEADER_V1_LEN
                } else {
                    scap::event::HEADER_LEN
                };
                e.width = ev.len_width();
                e.nparams = ev.nparams();
            }
        }
        add_placeholder(state, act, raw_tid);
        if act.has(Action::USES_FD) {
            state.event_fd = if act.has(Action::FD_FIRST) {
                first_fd
            } else {
                int(ev.value(0).map(|(_, v)| v))
            };
        }
        if act.has(Action::SPECIAL) {
            enter_special(state, ev, tid);
        }
        return latency;
    }
    let e = &mut slot.enter;
    let matched = e.live && e.ty.checked_add(1) == Some(ty);
    // An exit that does not follow its enter drops it.
    e.live = matched;
    let enter_fd = if matched { e.fd } else { None };
    add_placeholder(state, act, raw_tid);
    if act.has(Action::USES_FD) {
        state.event_fd = enter_fd.or_else(|| int(find(ev, "fd")));
    }
    if !act.has(Action::HANDLED) {
        return latency;
    }
    let Some(name) = table::CURRENT.event(ty).map(|i| i.name) else {
        return latency;
    };
    // The enter is lent to the exit parser and put back: a repeated exit sees it again.
    let enter = if matched {
        state
            .slots
            .get_mut(at)
            .map(|s| std::mem::take(&mut s.enter))
    } else {
        None
    };
    let had_fd = state.snapshot_fd_name(tid);
    exit_event(state, ev, enter.as_ref(), name, tid);
    state.fd_name_changed = had_fd
        && state
            .event_fd(tid)
            .is_some_and(|f| f.name != state.fd_name_before);
    if let Some(e) = enter {
        if let Some(s) = state.slots.get_mut(at) {
            s.enter = e;
        }
    }
    latency
}

impl State {
    /// Index of `tid`'s slot in `slots`, created on first use.
    #[inline]
    fn slot_index(&mut self, tid: i64) -> usize {
        if let Some((t, at)) = self.last_slot {
            if t == tid {
                return at;
            }
        }
        let next = self.slots.len();
        let at = *self.slot_of.entry(tid).or_insert(next);
        if at == next {
            self.slots.push(Slot::default());
        }
        self.last_slot = Some((tid, at));
        at
    }
}

/// Invent the thread libsinsp creates for a tid it has not seen.
#[inline]
fn add_placeholder(state: &mut State, act: Action, raw_tid: u64) {
    let tid = raw_tid as i64;
    if !act.has(Action::PLACEHOLDER) || raw_tid == u64::MAX || state.known_tid == Some(tid) {
        return;
    }
    state
        .threads
        .entry(tid)
        .or_insert_with(|| Thread::placeholder(tid));
    state.known_tid = Some(tid);
}

/// The enter events of `procexit` and `container`.
fn enter_special(state: &mut State, ev: &Event<'_>, tid: i64) {
    let raw_tid = ev.tid();
    match table::CURRENT.event(ev.event_type()).map(|i| i.name) {
        Some("procexit") => {
            if let Some(t) = state.threads.get_mut(&tid) {
                t.dead = true;
            }
            state.tid_to_remove = Some(tid);
        }
        Some("container") => {
            if let Some(json) = bytes(find(ev, "json")) {
                container::apply_json(state, json, raw_tid);
            } else if let (Some(id), Some(kind)) = (bytes(find(ev, "id")), uint(find(ev, "type"))) {
                let name = bytes(find(ev, "name")).unwrap_or_default();
                let image = bytes(find(ev, "image")).unwrap_or_default();
                container::apply_old(state, id, kind, name, image);
            }
        }
        _ => {}
    }
}

fn exit_event(state: &mut State, ev: &Event<'_>, en: Option<&Enter>, name: &str, tid: i64) {
    let res = int(find(ev, "res"));
    match name {
        "clone" | "fork" | "vfork" | "clone3" => clone_exit(state, ev, tid),
        "execve" | "execveat" if res == Some(0) => execve_exit(state, ev, en, tid),
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => {
            open_exit(state, ev, en, name, tid)
        }
        "socket" => {
            let Some(fd) = int(find(ev, "fd")).filter(|f| *f >= 0) else {
                return;
            };
            let domain = uint(arg(ev, en, "domain")).unwrap_or(0) as u8;
            let sock_type = uint(arg(ev, en, "type")).unwrap_or(0) & 0xf;
            let proto = uint(arg(ev, en, "proto")).unwrap_or(0);
            let kind = match domain {
                1 => fd_kind::UNIX_SOCK,
                2 => fd_kind::IPV4_SOCK,
                10 => fd_kind::IPV6_SOCK,
                16 => fd_kind::NETLINK,
                _ => fd_kind::UNSUPPORTED,
            };
            let l4proto = match (sock_type, proto) {
                (1, _) => L4_TCP,
                (2, _) => L4_UDP,
                (3, 1) | (3, 58) => L4_ICMP,
                (3, _) => L4_RAW,
                _ => 0,
            };
            // libsinsp shows a socket's protocol only once it has a role (bound, connected,
            // used), except raw sockets, which always show theirs.
            let f = Fd {
                kind,
                l4proto: if l4proto == L4_RAW && kind != fd_kind::UNIX_SOCK {
                    L4_RAW
                } else {
                    0
                },
                sock_l4: l4proto,
                family: domain,
                ..Fd::default()
            };
            state.add_fd(tid, fd, f);
        }
        "connect" => {
            let Some(fd) = int(arg(ev, en, "fd")) else {
                return;
            };
            state.event_fd = Some(fd);
            let tuple = find(ev, "tuple");
            if res.is_some_and(|r| r < 0 && r != EINPROGRESS) {
                // A failed connect on a unix socket shows the tuple it tried as `fd.name`,
                // for this event only.
                if let Some(ParamValue::SockTuple(SockTuple::Unix { src, dst, path })) = tuple {
                    let mut f = Fd::default();
                    unix_tuple_name(&mut f, src, dst, path);
                    state.failed_open = f.name;
                }
                return;
            }
            if let Some(ParamValue::SockTuple(t)) = tuple {
                if let Some(f) = state.fd_mut(tid, fd) {
                    // libsinsp 0.29 keeps the first connected tuple of a socket.
                    if f.connected && f.is_ip() {
                        return;
                    }
                    if let SockTuple::Unix { src, dst, path } = t {
                        unix_tuple_name(f, src, dst, path);
                        return;
                    }
                    apply_tuple(f, &t, false);
                    if f.is_ip() && f.l4proto == 0 {
                        f.l4proto = f.sock_l4;
                    }
                    f.connected = true;
                    if !f.is_server {
                        f.is_client = true;
                    }
                }
            }
        }
        "sendto" | "sendmsg" | "recvfrom" | "recvmsg" => {
            if res.is_none_or(|r| r < 0) {
                return;
            }
            let Some(fd) = state.event_fd else {
                return;
            };
            let incoming = name.starts_with("recv");
            // Receives carry the peer in the exit, sends in the enter.
            let tuple = if incoming {
                find(ev, "tuple")
            } else {
                en.and_then(|e| e.value("tuple")).filter(|v| !v.is_empty())
            };
            if let Some(ParamValue::SockTuple(t)) = tuple {
                data_tuple(state, tid, fd, &t, incoming);
            }
        }
        "accept" | "accept4" => {
            let Some(fd) = int(find(ev, "fd")).filter(|f| *f >= 0) else {
                // A failed accept shows its (empty) tuple as `fd.name`.
                if find(ev, "tuple").is_none() {
                    state.failed_open.extend_from_slice(b"NULL");
                }
                return;
            };
            let mut f = Fd {
                kind: fd_kind::UNKNOWN,
                ..Fd::default()
            };
            if let Some(ParamValue::SockTuple(t)) = find(ev, "tuple") {
                apply_tuple(&mut f, &t, true);
            }
            if f.is_ip() {
                // Only stream sockets accept connections.
                f.l4proto = L4_TCP;
            }
            f.is_server = true;
            state.add_fd(tid, fd, f);
        }
        "bind" => {
            if res.is_some_and(|r| r < 0) {
                return;
            }
            let Some(fd) = int(arg(ev, en, "fd")) else {
                return;
            };
            let addr = find(ev, "addr");
            if let Some(f) = state.fd_mut(tid, fd) {
                match addr {
                    // Port 0 only names the socket: it is no server yet.
                    Some(ParamValue::SockAddr(SockAddr::V4 { ip, port })) => {
                        if port != 0 {
                            f.l4proto = f.sock_l4;
                            f.kind = fd_kind::IPV4_SERVSOCK;
                        }
                        f.set_server(IpAddr::from(ip), port);
                    }
                    Some(ParamValue::SockAddr(SockAddr::V6 { ip, port })) => {
                        if port != 0 {
                            f.l4proto = f.sock_l4;
                            f.kind = fd_kind::IPV6_SERVSOCK;
                        }
                        f.set_server(IpAddr::from(ip), port);
                    }
                    Some(ParamValue::SockAddr(SockAddr::Unix(path))) => {
                        f.name.clear();
                        f.name.extend_from_slice(path);
                    }
                    _ => {}
                }
            }
        }
        "pipe" | "pipe2" | "socketpair" => {
            if res.is_some_and(|r| r < 0) {
                return;
            }
            let ino = uint(find(ev, "ino")).unwrap_or(0);
            let kind = if name == "socketpair" {
                fd_kind::UNIX_SOCK
            } else {
                fd_kind::FIFO
            };
            for p in ["fd1", "fd2"] {
                if let Some(fd) = int(find(ev, p)).filter(|f| *f >= 0) {
                    let f = Fd {
                        kind,
                        ino,
                        ..Fd::default()
                    };
                    state.add_fd(tid, fd, f);
                }
            }
        }
        "dup" | "dup2" | "dup3" | "fcntl" => {
            let Some(newfd) = res.filter(|r| *r >= 0) else {
                return;
            };
            if name == "fcntl" {
                let cmd = uint(arg(ev, en, "cmd"));
                if cmd != Some(F_DUPFD) && cmd != Some(F_DUPFD_CLOEXEC) {
                    return;
                }
            }
            let old = int(find(ev, "oldfd"))
                .or_else(|| int(arg(ev, en, "fd")))
                .unwrap_or(-1);
            if old == newfd {
                return;
            }
            if let Some(f) = state.fd(tid, old).cloned() {
                state.add_fd(tid, newfd, f);
            }
        }
        "eventfd" | "eventfd2" => simple_fd(state, res, tid, fd_kind::EVENT),
        "signalfd" | "signalfd4" => simple_fd(state, res, tid, fd_kind::SIGNALFD),
        "timerfd_create" => simple_fd(state, res, tid, fd_kind::TIMERFD),
        "inotify_init" | "inotify_init1" => simple_fd(state, res, tid, fd_kind::INOTIFY),
        "epoll_create" | "epoll_create1" => simple_fd(state, res, tid, fd_kind::EVENTPOLL),
        "userfaultfd" => simple_fd(state, res, tid, fd_kind::USERFAULTFD),
        "io_uring_setup" => simple_fd(state, res, tid, fd_kind::IO_URING),
        "memfd_create" | "pidfd_open" => {
            let kind = if name == "pidfd_open" {
                fd_kind::PIDFD
            } else {
                fd_kind::MEMFD
            };
            if let Some(fd) = int(find(ev, "fd")).filter(|f| *f >= 0) {
                let mut f = Fd {
                    kind,
                    ..Fd::default()
                };
                if let Some(n) = bytes(find(ev, "name")) {
                    f.name.extend_from_slice(b"memfd:");
                    f.name.extend_from_slice(n);
                }
                state.add_fd(tid, fd, f);
            }
        }
        "close" => {
            if res.is_some_and(|r| r < 0) {
                return;
            }
            // The enter's fd is kept decoded (Action::EXIT_FD): no lookup by name.
            let fd = int(find(ev, "fd")).or_else(|| en.and_then(|e| e.fd));
            if let Some(fd) = fd {
                state.event_fd = Some(fd);
                let pid = state.threads.get(&tid).map_or(tid, |t| t.pid);
                state.fd_to_remove = Some((pid, fd));
            }
        }
        "chdir" => {
            if res != Some(0) {
                return;
            }
            if let Some(path) = bytes(arg(ev, en, "path")) {
                let path = path.to_vec();
                state.set_cwd(tid, &path);
            }
        }
        "fchdir" => {
            if res != Some(0) {
                return;
            }
            if let Some(fd) = int(arg(ev, en, "fd")) {
                if let Some(path) = state.fd(tid, fd).map(|f| f.name.clone()) {
                    state.set_cwd(tid, &path);
                }
            }
        }
        "setuid" | "setresuid" => {
            if res != Some(0) {
                return;
            }
            let uid = uint(arg(ev, en, "euid")).or_else(|| uint(arg(ev, en, "uid")));
            if let (Some(uid), Some(t)) = (uid, state.threads.get_mut(&tid)) {
                if uid != u64::from(u32::MAX) {
                    t.uid = uid as u32;
                }
            }
        }
        "setgid" | "setresgid" => {
            if res != Some(0) {
                return;
            }
            let gid = uint(arg(ev, en, "egid")).or_else(|| uint(arg(ev, en, "gid")));
            if let (Some(gid), Some(t)) = (gid, state.threads.get_mut(&tid)) {
                if gid != u64::from(u32::MAX) {
                    t.gid = gid as u32;
                }
            }
        }
        "capset" if res == Some(0) => {
            if let Some(t) = state.threads.get_mut(&tid) {
                set_caps(&mut t.exe_info, ev);
            }
        }
        "setsid" => {
            if let (Some(sid), Some(t)) = (res.filter(|r| *r >= 0), state.threads.get_mut(&tid)) {
                t.sid = sid;
            }
        }
        _ => {}
    }
}

/// An fd-creating exit whose result is the new fd and which carries nothing else of use.
fn simple_fd(state: &mut State, res: Option<i64>, tid: i64, kind: u8) {
    if let Some(fd) = res.filter(|r| *r >= 0) {
        let f = Fd {
            kind,
            ..Fd::default()
        };
        state.add_fd(tid, fd, f);
    }
}

fn apply_tuple(f: &mut Fd, t: &SockTuple<'_>, server: bool) {
    match *t {
        SockTuple::V4 {
            src,
            sport,
            dst,
            dport,
        } => {
            f.kind = fd_kind::IPV4_SOCK;
            f.set_tuple(IpAddr::from(src), sport, IpAddr::from(dst), dport);
        }
        SockTuple::V6 {
            src,
            sport,
            dst,
            dport,
        } => {
            f.kind = fd_kind::IPV6_SOCK;
            f.set_tuple(IpAddr::from(src), sport, IpAddr::from(dst), dport);
        }
        SockTuple::Unix { path, .. } => {
            f.kind = fd_kind::UNIX_SOCK;
            f.name.clear();
            f.name.extend_from_slice(path);
        }
        SockTuple::Other { .. } => {}
    }
    if server {
        f.is_server = true;
    }
}

/// Name a unix socket after a connect tuple, as the tuple prints: `src->dst path`.
fn unix_tuple_name(f: &mut Fd, src: u64, dst: u64, path: &[u8]) {
    use std::io::Write;
    f.kind = fd_kind::UNIX_SOCK;
    f.name.clear();
    let _ = write!(f.name, "{src:x}->{dst:x} ");
    f.name.extend_from_slice(path);
}

/// An address that libsinsp reads as IPv4: `::ffff:a.b.c.d`, or `::`.
fn mapped(ip: [u8; 16]) -> Option<std::net::Ipv4Addr> {
    let v6 = std::net::Ipv6Addr::from(ip);
    if v6.is_unspecified() {
        return Some(std::net::Ipv4Addr::UNSPECIFIED);
    }
    v6.to_ipv4_mapped()
}

/// The tuple of a datagram send/receive: libsinsp takes it over when it differs from the
/// socket's, fills an unspecified side from the interface list, guesses the socket's role
/// if it has none, and orders the tuple client -> server.
fn data_tuple(state: &mut State, tid: i64, fd: i64, t: &SockTuple<'_>, incoming: bool) {
    let (v4, sip, sport, dip, dport) = match *t {
        SockTuple::V4 {
            src,
            sport,
            dst,
            dport,
        } => (true, IpAddr::from(src), sport, IpAddr::from(dst), dport),
        SockTuple::V6 {
            src,
            sport,
            dst,
            dport,
        } => match (mapped(src), mapped(dst)) {
            (Some(s), Some(d)) => (true, IpAddr::V4(s), sport, IpAddr::V4(d), dport),
            _ => (false, IpAddr::from(src), sport, IpAddr::from(dst), dport),
        },
        _ => return,
    };
    let Some(f) = state.fd(tid, fd) else {
        return;
    };
    if !f.is_ip() || (f.l4proto == L4_TCP && !f.name.is_empty() && !f.is_server_kind()) {
        return;
    }
    let kind = if v4 {
        fd_kind::IPV4_SOCK
    } else {
        fd_kind::IPV6_SOCK
    };
    if f.kind == kind {
        if let (Some(a), Some(b)) = (f.sip, f.dip) {
            let same = (a, f.sport, b, f.dport) == (sip, sport, dip, dport);
            let flipped = (a, f.sport, b, f.dport) == (dip, dport, sip, sport);
            if same || flipped {
                return;
            }
        }
    }
    let was_server_kind = f.is_server_kind();
    let (mut sip, mut dip) = (sip, dip);
    // An unspecified side is the interface that reaches the other one.
    if sip.is_unspecified() || dip.is_unspecified() {
        if sip.is_unspecified() {
            let new = state.infer_local(dip);
            if !(new == Some(dip) && sport == dport) {
                sip = new.unwrap_or(sip);
            }
        } else {
            let new = state.infer_local(sip);
            if !(new == Some(sip) && sport == dport) {
                dip = new.unwrap_or(dip);
            }
        }
    }
    let pid = state.threads.get(&tid).map_or(tid, |t| t.pid);
    let bound = |port: u16| {
        state.fds.get(&pid).is_some_and(|t| {
            t.iter()
                .any(|(n, g)| *n != fd && g.is_server_kind() && g.dport == port && port != 0)
        })
    };
    let (role_none, guess_server) = {
        let f = state.fd(tid, fd);
        let none = f.is_none_or(|f| !f.is_server && !f.is_client);
        (none, bound(dport) || (was_server_kind && incoming))
    };
    let Some(f) = state.fd_mut(tid, fd) else {
        return;
    };
    if was_server_kind || f.l4proto == 0 {
        // Only an IPv4 server socket keeps its protocol; otherwise a socket that changes
        // address in flight is taken for UDP.
        f.l4proto = if was_server_kind && !(v4 && f.kind == fd_kind::IPV4_SERVSOCK) {
            L4_UDP
        } else if f.sock_l4 != 0 {
            f.sock_l4
        } else {
            L4_UDP
        };
    }
    f.kind = kind;
    if role_none {
        if guess_server {
            f.is_server = true;
        } else {
            f.is_client = true;
        }
    }
    let swap = if incoming {
        f.is_client && !f.is_server
    } else {
        f.is_server
    };
    if swap {
        f.set_tuple(dip, dport, sip, sport);
    } else {
        f.set_tuple(sip, sport, dip, dport);
    }
}

fn open_exit(state: &mut State, ev: &Event<'_>, en: Option<&Enter>, name: &str, tid: i64) {
    let fd = int(find(ev, "fd")).unwrap_or(-1);
    let path = bytes(arg(ev, en, "name"))
        .or_else(|| bytes(arg(ev, en, "path")))
        .unwrap_or_default();
    let flags = uint(arg(ev, en, "flags")).unwrap_or(0);
    let dirfd = int(arg(ev, en, "dirfd")).unwrap_or(AT_FDCWD);
    let cwd = state
        .threads
        .get(&tid)
        .map(|t| t.cwd.as_slice())
        .unwrap_or_default();
    let dir: std::borrow::Cow<'_, [u8]> =
        if matches!(name, "openat" | "openat2") && dirfd != AT_FDCWD {
            let mut d = state
                .fd(tid, dirfd)
                .map(|f| f.name.clone())
                .unwrap_or_default();
            paths::ensure_trailing_slash(&mut d);
            d.into()
        } else {
            cwd.into()
        };
    let mut f = Fd {
        kind: if flags & O_DIRECTORY != 0 {
            fd_kind::DIRECTORY
        } else {
            fd_kind::FILE
        },
        open_flags: flags as u32,
        ino: uint(find(ev, "ino")).unwrap_or(0),
        ..Fd::default()
    };
    paths::resolve(&dir, path, &mut f.name);
    if fd < 0 {
        state.failed_open = f.name;
        return;
    }
    state.event_fd = Some(fd);
    state.add_fd(tid, fd, f);
}

fn clone_exit(state: &mut State, ev: &Event<'_>, tid: i64) {
    let Some(res) = int(find(ev, "res")) else {
        return;
    };
    if res < 0 {
        return;
    }
    let flags = uint(find(ev, "flags")).unwrap_or(0);
    let p_tid = int(find(ev, "tid")).unwrap_or(tid);
    let p_pid = int(find(ev, "pid")).unwrap_or(p_tid);
    let p_ptid = int(find(ev, "ptid")).unwrap_or(-1);
    // In the child (res 0) the parameters describe the child; in the parent, the parent.
    let (child, pid, ptid, parent_tid) = if res == 0 {
        let pid = p_pid;
        // A new thread's parent is its process's main thread.
        let ptid = if flags & CL_CLONE_THREAD != 0 {
            pid
        } else {
            p_ptid
        };
        (tid, pid, ptid, ptid)
    } else {
        let pid = if flags & CL_CLONE_THREAD != 0 {
            p_pid
        } else {
            res
        };
        (res, pid, p_tid, tid)
    };
    if res > 0
        && state
            .threads
            .get(&tid)
            .is_some_and(|p| !p.placeholder && p.vtid != p.tid && p.vtid > 0)
    {
        // A parent inside a pid namespace gets the child's namespaced tid: wait for the
        // child's own event, as libsinsp does.
        return;
    }
    if res > 0 && !state.threads.contains_key(&tid) {
        state.threads.insert(tid, Thread::placeholder(tid));
    }
    if state
        .threads
        .get(&child)
        .is_some_and(|t| !t.dead && !t.placeholder)
    {
        return;
    }
    // The parent's process, as libsinsp looks it up for the copied fields.
    let parent = state
        .threads
        .get(&parent_tid)
        .filter(|t| !t.placeholder)
        .cloned();
    let mut t = parent.clone().unwrap_or_else(|| Thread::placeholder(child));
    t.placeholder = false;
    t.dead = false;
    t.tid = child;
    t.pid = pid;
    t.ptid = ptid;
    t.clone_ts = ev.ts();
    t.flags = flags as u32;
    copy_process_params(&mut t, ev, parent.is_none());
    if let Some(b) = bytes(find(ev, "cwd")).filter(|b| !b.is_empty()) {
        t.cwd = b.to_vec();
        paths::ensure_trailing_slash(&mut t.cwd);
    }
    if let Some(v) = uint(find(ev, "pidns_init_start_ts")) {
        t.exe_info.pidns_init_start_ts = v;
    }
    if res == 0 {
        t.vtid = int(find(ev, "vtid")).unwrap_or(-1);
        t.vpid = int(find(ev, "vpid")).unwrap_or(-1);
    } else {
        t.vtid = child;
        t.vpid = pid;
    }
    if pid == child {
        // A new process gets a copy of its parent's fd table.
        if let Some(ppid) = parent.as_ref().map(|p| p.pid) {
            if let Some(table) = state.fds.get(&ppid).cloned() {
                state.fds.insert(pid, table);
            }
        }
    }
    t.refresh_text();
    state.threads.insert(child, t);
}

/// The process parameters that clone and execve exits both carry; `comm_from_exe` names a
/// thread with no `comm` parameter after its executable.
fn copy_process_params(t: &mut Thread, ev: &Event<'_>, comm_from_exe: bool) {
    if let Some(b) = bytes(find(ev, "exe")) {
        t.exe = b.to_vec();
    }
    if let Some(b) = bytes(find(ev, "args")) {
        t.args = b.to_vec();
    }
    if let Some(b) = bytes(find(ev, "comm")) {
        t.comm = b.to_vec();
    } else if comm_from_exe {
        t.comm = paths::file_name(&t.exe).to_vec();
    }
    if let Some(b) = bytes(find(ev, "cgroups")) {
        t.cgroups = b.to_vec();
        t.container_id = super::container_id_from_cgroups(b);
    }
    if let Some(v) = uint(find(ev, "fdlimit")) {
        t.fdlimit = v;
    }
    if let Some(v) = uint(find(ev, "uid")) {
        t.uid = v as u32;
    }
    if let Some(v) = uint(find(ev, "gid")) {
        t.gid = v as u32;
    }
}

fn execve_exit(state: &mut State, ev: &Event<'_>, en: Option<&Enter>, tid: i64) {
    let Some(t) = state.threads.get_mut(&tid) else {
        return;
    };
    let was_placeholder = t.placeholder;
    t.placeholder = false;
    copy_process_params(t, ev, was_placeholder);
    if let Some(b) = bytes(find(ev, "env")) {
        t.env = b.to_vec();
    }
    if was_placeholder {
        if let Some(v) = int(find(ev, "pid")) {
            t.pid = v;
        }
        if let Some(v) = int(find(ev, "ptid")) {
            t.ptid = v;
        }
        // libsinsp leaves the cwd of a thread first seen at its execve unknown.
    }
    if let Some(v) = uint(find(ev, "tty")) {
        t.tty = v as u32;
    }
    if let Some(v) = int(find(ev, "vpgid")) {
        t.vpgid = v;
    }
    if let Some(v) = uint(find(ev, "loginuid")) {
        t.loginuid = v as u32;
    }
    let exepath = bytes(find(ev, "trusted_exepath"))
        .or_else(|| bytes(find(ev, "filename")))
        .or_else(|| bytes(en.and_then(|e| e.value("filename"))));
    if let Some(p) = exepath {
        let cwd = t.cwd.clone();
        paths::resolve(&cwd, p, &mut t.exepath);
    }
    set_caps(&mut t.exe_info, ev);
    if let Some(v) = uint(find(ev, "flags")) {
        t.exe_info.set_flags(v);
    }
    if let Some(v) = uint(find(ev, "exe_ino")) {
        t.exe_info.ino = v;
    }
    if let Some(v) = uint(find(ev, "exe_ino_ctime")) {
        t.exe_info.ino_ctime = v;
    }
    if let Some(v) = uint(find(ev, "exe_ino_mtime")) {
        t.exe_info.ino_mtime = v;
    }
    let clone_ts = t.clone_ts;
    t.exe_info.update_durations(clone_ts);
    t.clone_ts = ev.ts();
    t.refresh_text();
}

/// The `cap_*` parameters of an execve or capset exit, where the event has them.
fn set_caps(e: &mut super::ExeInfo, ev: &Event<'_>) {
    if let Some(v) = uint(find(ev, "cap_inheritable")) {
        e.cap_inheritable = v;
    }
    if let Some(v) = uint(find(ev, "cap_permitted")) {
        e.cap_permitted = v;
    }
    if let Some(v) = uint(find(ev, "cap_effective")) {
        e.cap_effective = v;
    }
}

impl Thread {
    /// The thread libsinsp invents for a tid it has never seen.
    pub fn placeholder(tid: i64) -> Thread {
        let mut t = Thread {
            tid,
            pid: tid,
            ptid: -1,
            sid: -1,
            vpgid: -1,
            vtid: -1,
            vpid: -1,
            comm: b"<NA>".to_vec(),
            exe: b"<NA>".to_vec(),
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            placeholder: true,
            ..Thread::default()
        };
        t.refresh_text();
        t
    }
}

impl State {
    /// Keep the current name of the event's fd (for `fd.name_changed`); false if none.
    fn snapshot_fd_name(&mut self, tid: i64) -> bool {
        let Some(num) = self.event_fd else {
            return false;
        };
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        let Some(f) = self.fds.get(&pid).and_then(|t| t.get(&num)) else {
            return false;
        };
        self.fd_name_before.clear();
        self.fd_name_before.extend_from_slice(&f.name);
        true
    }

    fn remove_thread(&mut self, tid: i64) {
        let Some(t) = self.threads.remove(&tid) else {
            return;
        };
        self.known_tid = None;
        let at = self.slot_of.get(&tid).copied();
        if let Some(s) = at.and_then(|at| self.slots.get_mut(at)) {
            s.enter.live = false;
        }
        if !self.threads.values().any(|o| o.pid == t.pid) {
            self.fds.remove(&t.pid);
        }
    }

    fn add_fd(&mut self, tid: i64, fd: i64, f: Fd) {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        self.fds.entry(pid).or_default().insert(fd, f);
        self.event_fd = Some(fd);
    }

    fn fd_mut(&mut self, tid: i64, fd: i64) -> Option<&mut Fd> {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        self.fds.get_mut(&pid)?.get_mut(&fd)
    }

    fn set_cwd(&mut self, tid: i64, path: &[u8]) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        let mut out = Vec::new();
        paths::resolve(&t.cwd, path, &mut out);
        paths::ensure_trailing_slash(&mut out);
        t.cwd = out;
    }
}
