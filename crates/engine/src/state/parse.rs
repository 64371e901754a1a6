//! Updating the state from events, as libsinsp's parser does.

use std::net::IpAddr;

use scap::param::{decode, ParamValue, SockAddr, SockTuple};
use scap::table::{self, ef, Direction};
use scap::Event;

use super::args::{Key, Layout, Raw, Split};
use super::{container, fd_kind, paths, Enter, Fd, FdKind, Slot, State, Thread};

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
    pub(super) fn param(&self, i: usize) -> Option<&[u8]> {
        super::args::param_at(&self.raw, self.lens_at, self.width, self.nparams, i)
    }

    /// Parameter `name` of the stored enter event, decoded.
    pub(super) fn value(&self, name: &str) -> Option<ParamValue<'_>> {
        let info = table::CURRENT.event(self.ty)?;
        let i = info.params.iter().position(|p| p.name == name)?;
        let ty = info.params.get(i)?.ty;
        Some(decode(ty, self.param(i)?))
    }
}

fn int(v: Option<ParamValue<'_>>) -> Option<i64> {
    let v = v?;
    v.as_i64().or_else(|| v.as_u64().map(|u| u as i64))
}

/// The exits [`exit_event`] parses; other exits change no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ExitKind {
    /// Not parsed.
    #[default]
    None,
    /// clone, fork, vfork, clone3.
    Clone,
    /// execve, execveat.
    Execve,
    /// open, creat, open_by_handle_at; `at` for openat and openat2 (relative to `dirfd`).
    Open {
        at: bool,
    },
    Socket,
    Connect,
    /// sendto, sendmsg.
    Send,
    /// recvfrom, recvmsg.
    Recv,
    /// accept, accept4.
    Accept,
    Bind,
    /// pipe, pipe2.
    Pipe,
    Socketpair,
    /// dup, dup2, dup3.
    Dup,
    Fcntl,
    /// An fd-creating exit whose result is the new fd of this kind.
    Simple(FdKind),
    Memfd,
    Pidfd,
    Close,
    Chdir,
    Fchdir,
    /// setuid, setresuid.
    Setuid,
    /// setgid, setresgid.
    Setgid,
    Setsid,
    /// capset: the thread's capability sets.
    Capset,
}

impl ExitKind {
    /// True for exits that change no fd and no thread's pid: their fds keep their names.
    fn keeps_fds(self) -> bool {
        use ExitKind as K;
        matches!(
            self,
            K::Close | K::Chdir | K::Fchdir | K::Setuid | K::Setgid | K::Setsid | K::Capset
        )
    }

    /// True for exits whose parser reads parameters of their enter event.
    fn reads_enter(self) -> bool {
        use ExitKind as K;
        !matches!(
            self,
            K::None
                | K::Clone
                | K::Recv
                | K::Accept
                | K::Pipe
                | K::Socketpair
                | K::Simple(_)
                | K::Memfd
                | K::Pidfd
                | K::Close
                | K::Setsid
                | K::Capset
        )
    }

    fn of(name: &str) -> ExitKind {
        use ExitKind as K;
        match name {
            "clone" | "fork" | "vfork" | "clone3" => K::Clone,
            "execve" | "execveat" => K::Execve,
            "open" | "creat" | "open_by_handle_at" => K::Open { at: false },
            "openat" | "openat2" => K::Open { at: true },
            "socket" => K::Socket,
            "connect" => K::Connect,
            "sendto" | "sendmsg" => K::Send,
            "recvfrom" | "recvmsg" => K::Recv,
            "accept" | "accept4" => K::Accept,
            "bind" => K::Bind,
            "pipe" | "pipe2" => K::Pipe,
            "socketpair" => K::Socketpair,
            "dup" | "dup2" | "dup3" => K::Dup,
            "fcntl" => K::Fcntl,
            "eventfd" | "eventfd2" => K::Simple(fd_kind::EVENT),
            "signalfd" | "signalfd4" => K::Simple(fd_kind::SIGNALFD),
            "timerfd_create" => K::Simple(fd_kind::TIMERFD),
            "inotify_init" | "inotify_init1" => K::Simple(fd_kind::INOTIFY),
            "epoll_create" | "epoll_create1" => K::Simple(fd_kind::EVENTPOLL),
            "userfaultfd" => K::Simple(fd_kind::USERFAULTFD),
            "io_uring_setup" => K::Simple(fd_kind::IO_URING),
            "memfd_create" => K::Memfd,
            "pidfd_open" => K::Pidfd,
            "close" => K::Close,
            "chdir" => K::Chdir,
            "fchdir" => K::Fchdir,
            "setuid" | "setresuid" => K::Setuid,
            "setgid" | "setresgid" => K::Setgid,
            "setsid" => K::Setsid,
            "capset" => K::Capset,
            _ => K::None,
        }
    }
}

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
        if ExitKind::of(name) != ExitKind::None {
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
            // Some exit parsers, and the fs.path.* fields, read parameters of their enter.
            if exit_name.is_some_and(|n| {
                ExitKind::of(n).reads_enter() || crate::fields::fspath::has_paths(n)
            }) {
                bits |= Action::SAVE_RAW;
            }
            if fd_flags(exit_ty) & ef::USES_FD != 0 {
                bits |= Action::EXIT_FD;
            }
        }
    }
    Action(bits)
}

/// Everything [`parse`] needs to know about one event code.
#[derive(Debug)]
struct Code {
    act: Action,
    /// The exit parser, for handled exits.
    exit: ExitKind,
    info: Option<&'static table::EventInfo>,
    /// Where the parameters the parsers read sit, worked out when first needed (a capture
    /// uses few of the codes).
    layout: std::sync::OnceLock<Layout>,
}

impl Code {
    #[inline]
    fn layout(&self) -> &Layout {
        self.layout.get_or_init(|| Layout::of(self.info))
    }
}

/// The [`Code`] of every code of the current table.
fn codes() -> &'static [Code] {
    static CODES: std::sync::OnceLock<Vec<Code>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        (0..table::CURRENT.len())
            .map(|c| {
                let ty = u16::try_from(c).unwrap_or(u16::MAX);
                let info = table::CURRENT.event(ty);
                let act = action_of(ty);
                Code {
                    act,
                    exit: match info {
                        Some(i) if act.has(Action::HANDLED) => ExitKind::of(i.name),
                        _ => ExitKind::None,
                    },
                    info,
                    layout: std::sync::OnceLock::new(),
                }
            })
            .collect()
    })
}

/// The [`Layout`] of event code `ty`.
#[inline]
fn layout(ty: u16) -> Option<&'static Layout> {
    codes().get(usize::from(ty)).map(Code::layout)
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
    let act = codes().get(usize::from(ty))?.act;
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
    codes()
        .get(usize::from(ty))
        .is_none_or(|c| c.act.has(Action::USES_FD) || c.act.has(Action::HANDLED))
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
#[inline]
fn apply_pending(state: &mut State) {
    if state.tid_to_remove.is_some() || state.fd_to_remove.is_some() {
        apply_removals(state);
    }
}

/// The removals [`apply_pending`] found (kept out of line: most events have none).
#[inline(never)]
fn apply_removals(state: &mut State) {
    if let Some(tid) = state.tid_to_remove.take() {
        state.remove_thread(tid);
    }
    if let Some((pid, fd)) = state.fd_to_remove.take() {
        state.remove_fd(pid, fd);
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
    let Some(code) = codes().get(usize::from(ty)) else {
        return latency;
    };
    let act = code.act;
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
            enter_special(state, ev, code.layout(), tid);
        }
        return latency;
    }
    let e = &mut slot.enter;
    let matched = e.live && e.ty.checked_add(1) == Some(ty);
    // An exit that does not follow its enter drops it.
    e.live = matched;
    let enter_fd = if matched { e.fd } else { None };
    add_placeholder(state, act, raw_tid);
    // An exit's fd is its enter's, or else its own `fd` parameter.
    let fd_param = act.has(Action::USES_FD) && enter_fd.is_none();
    if act.has(Action::USES_FD) {
        state.event_fd = enter_fd;
    }
    if code.exit == ExitKind::None {
        if fd_param {
            state.event_fd = code
                .layout()
                .raw(&Split::of_event(ev), Key::Fd)
                .and_then(Raw::int);
        }
        return latency;
    }
    // The exit's parameters, split once for every use.
    let params = Split::of_event(ev);
    if fd_param {
        state.event_fd = code.layout().raw(&params, Key::Fd).and_then(Raw::int);
    }
    // The enter is lent to the exit parsers that read it and put back: a repeated exit sees
    // it again.
    let enter = if matched && code.exit.reads_enter() {
        state
            .slots
            .get_mut(at)
            .map(|s| std::mem::take(&mut s.enter))
    } else {
        None
    };
    // The exit's fd lookups (and the fields' after it) share one thread lookup.
    state.note_pid(tid);
    let fd_before = state.event_fd;
    let quiet = code.exit.keeps_fds();
    // The name is kept only where the parser may change it.
    let had_fd = !quiet && state.snapshot_fd_name(tid);
    let x = Exit::new(
        ev,
        code.layout(),
        &params,
        enter.as_ref().and_then(|e| Some((e, layout(e.ty)?))),
        enter_fd,
    );
    exit_event(state, &x, code.exit, tid);
    state.fd_name_changed = if quiet {
        // The fds are as they were: only a change of fd number can change the name.
        match (fd_before, state.event_fd) {
            (Some(before), Some(after)) if before != after => {
                match (state.fd(tid, before), state.fd(tid, after)) {
                    (Some(b), Some(a)) => a.name != b.name,
                    _ => false,
                }
            }
            _ => false,
        }
    } else {
        had_fd
            && state
                .event_fd(tid)
                .is_some_and(|f| f.name != state.fd_name_before)
    };
    if let Some(e) = enter {
        if let Some(s) = state.slots.get_mut(at) {
            s.enter = e;
        }
    }
    latency
}

/// An exit event as its parser reads it: its parameters, and those of its enter event.
struct Exit<'e> {
    ev: &'e Event<'e>,
    layout: &'e Layout,
    params: &'e Split<'e>,
    enter: Option<(&'e Enter, &'e Layout)>,
    /// The matching enter's first parameter read as an fd, when its exit uses an fd.
    enter_fd: Option<i64>,
    /// The enter's parameters, split when first asked for.
    enter_params: std::cell::OnceCell<Split<'e>>,
}

impl<'e> Exit<'e> {
    fn new(
        ev: &'e Event<'e>,
        layout: &'e Layout,
        params: &'e Split<'e>,
        enter: Option<(&'e Enter, &'e Layout)>,
        enter_fd: Option<i64>,
    ) -> Self {
        Exit {
            ev,
            layout,
            params,
            enter,
            enter_fd,
            enter_params: std::cell::OnceCell::new(),
        }
    }

    /// Parameter `key` of the exit event (none when empty).
    #[inline]
    fn raw(&self, key: Key) -> Option<Raw<'e>> {
        self.layout.raw(self.params, key)
    }

    /// Parameter `key` of the matching enter event (none when empty).
    #[inline]
    fn enter_raw(&self, key: Key) -> Option<Raw<'e>> {
        let (e, layout) = self.enter?;
        let params = self.enter_params.get_or_init(|| e.split());
        layout.raw(params, key)
    }

    /// Parameter `key` of the exit event, or else of its enter event.
    #[inline]
    fn arg_raw(&self, key: Key) -> Option<Raw<'e>> {
        self.raw(key).or_else(|| self.enter_raw(key))
    }

    #[inline]
    fn get(&self, key: Key) -> Option<ParamValue<'e>> {
        self.raw(key).map(Raw::value)
    }

    #[inline]
    fn enter(&self, key: Key) -> Option<ParamValue<'e>> {
        self.enter_raw(key).map(Raw::value)
    }

    #[inline]
    fn int(&self, key: Key) -> Option<i64> {
        self.raw(key)?.int()
    }

    #[inline]
    fn uint(&self, key: Key) -> Option<u64> {
        self.raw(key)?.uint()
    }

    #[inline]
    fn bytes(&self, key: Key) -> Option<&'e [u8]> {
        self.raw(key)?.bytes()
    }

    #[inline]
    fn enter_bytes(&self, key: Key) -> Option<&'e [u8]> {
        self.enter_raw(key)?.bytes()
    }

    #[inline]
    fn arg_int(&self, key: Key) -> Option<i64> {
        self.arg_raw(key)?.int()
    }

    #[inline]
    fn arg_uint(&self, key: Key) -> Option<u64> {
        self.arg_raw(key)?.uint()
    }

    #[inline]
    fn arg_bytes(&self, key: Key) -> Option<&'e [u8]> {
        self.arg_raw(key)?.bytes()
    }
}

impl Enter {
    /// The stored event's parameters.
    fn split(&self) -> Split<'_> {
        Split::new(&self.raw, self.lens_at, self.width, self.nparams)
    }
}

impl State {
    /// Index of `tid`'s slot in `slots`, created on first use.
    #[inline(always)]
    fn slot_index(&mut self, tid: i64) -> usize {
        match self.last_slot {
            Some((t, at)) if t == tid => at,
            _ => self.find_slot(tid),
        }
    }

    /// [`State::slot_index`] for a tid other than the last event's.
    #[inline(never)]
    fn find_slot(&mut self, tid: i64) -> usize {
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
#[inline(always)]
fn add_placeholder(state: &mut State, act: Action, raw_tid: u64) {
    let tid = raw_tid as i64;
    if act.has(Action::PLACEHOLDER) && raw_tid != u64::MAX && state.known_tid != Some(tid) {
        find_thread(state, tid);
    }
}

/// [`add_placeholder`] for a tid other than the last one known.
#[inline(never)]
fn find_thread(state: &mut State, tid: i64) {
    // The thread lookup also serves the event's fd lookups (the pid hint).
    let pid = match state.threads.get(&tid) {
        Some(t) => t.pid,
        None => {
            state.insert_thread(Thread::placeholder(tid));
            tid
        }
    };
    state.set_hint(tid, pid);
    state.known_tid = Some(tid);
}

/// The enter events of `procexit` and `container`.
fn enter_special(state: &mut State, ev: &Event<'_>, layout: &Layout, tid: i64) {
    let raw_tid = ev.tid();
    let params = Split::of_event(ev);
    let x = Exit::new(ev, layout, &params, None, None);
    match table::CURRENT.event(ev.event_type()).map(|i| i.name) {
        Some("procexit") => {
            if let Some(t) = state.threads.get_mut(&tid) {
                t.dead = true;
            }
            state.tid_to_remove = Some(tid);
        }
        Some("container") => {
            if let Some(json) = x.bytes(Key::Json) {
                container::apply_json(state, json, raw_tid);
            } else if let (Some(id), Some(kind)) = (x.bytes(Key::Id), x.uint(Key::Type)) {
                let name = x.bytes(Key::Name).unwrap_or_default();
                let image = x.bytes(Key::Image).unwrap_or_default();
                container::apply_old(state, id, kind, name, image);
            }
        }
        _ => {}
    }
}

fn exit_event(state: &mut State, x: &Exit<'_>, kind: ExitKind, tid: i64) {
    use ExitKind as K;
    let res = x.int(Key::Res);
    match kind {
        K::Clone => clone_exit(state, x, tid),
        K::Execve if res == Some(0) => execve_exit(state, x, tid),
        K::Open { at } => open_exit(state, x, at, tid),
        K::Socket => {
            let Some(fd) = x.int(Key::Fd).filter(|f| *f >= 0) else {
                return;
            };
            let domain = x.arg_uint(Key::Domain).unwrap_or(0) as u8;
            let sock_type = x.arg_uint(Key::Type).unwrap_or(0) & 0xf;
            let proto = x.arg_uint(Key::Proto).unwrap_or(0);
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
        K::Connect => {
            let Some(fd) = x.arg_int(Key::Fd) else {
                return;
            };
            state.event_fd = Some(fd);
            let tuple = x.get(Key::Tuple);
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
        K::Send | K::Recv => {
            if res.is_none_or(|r| r < 0) {
                return;
            }
            let Some(fd) = state.event_fd else {
                return;
            };
            let incoming = kind == K::Recv;
            // Receives carry the peer in the exit, sends in the enter.
            let tuple = if incoming {
                x.get(Key::Tuple)
            } else {
                x.enter(Key::Tuple)
            };
            if let Some(ParamValue::SockTuple(t)) = tuple {
                data_tuple(state, tid, fd, &t, incoming);
            }
        }
        K::Accept => {
            let Some(fd) = x.int(Key::Fd).filter(|f| *f >= 0) else {
                // A failed accept shows its (empty) tuple as `fd.name`.
                if x.get(Key::Tuple).is_none() {
                    state.failed_open.extend_from_slice(b"NULL");
                }
                return;
            };
            let mut f = Fd {
                kind: fd_kind::UNKNOWN,
                ..Fd::default()
            };
            if let Some(ParamValue::SockTuple(t)) = x.get(Key::Tuple) {
                apply_tuple(&mut f, &t, true);
            }
            if f.is_ip() {
                // Only stream sockets accept connections.
                f.l4proto = L4_TCP;
            }
            f.is_server = true;
            state.add_fd(tid, fd, f);
        }
        K::Bind => {
            if res.is_some_and(|r| r < 0) {
                return;
            }
            let Some(fd) = x.arg_int(Key::Fd) else {
                return;
            };
            let addr = x.get(Key::Addr);
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
        K::Pipe | K::Socketpair => {
            if res.is_some_and(|r| r < 0) {
                return;
            }
            let ino = x.uint(Key::Ino).unwrap_or(0);
            let kind = if kind == K::Socketpair {
                fd_kind::UNIX_SOCK
            } else {
                fd_kind::FIFO
            };
            for p in [Key::Fd1, Key::Fd2] {
                if let Some(fd) = x.int(p).filter(|f| *f >= 0) {
                    let f = Fd {
                        kind,
                        ino,
                        ..Fd::default()
                    };
                    state.add_fd(tid, fd, f);
                }
            }
        }
        K::Dup | K::Fcntl => {
            let Some(newfd) = res.filter(|r| *r >= 0) else {
                return;
            };
            if kind == K::Fcntl {
                let cmd = x.arg_uint(Key::Cmd);
                if cmd != Some(F_DUPFD) && cmd != Some(F_DUPFD_CLOEXEC) {
                    return;
                }
            }
            let old = x
                .int(Key::Oldfd)
                .or_else(|| x.arg_int(Key::Fd))
                .unwrap_or(-1);
            if old == newfd {
                return;
            }
            if let Some(f) = state.fd(tid, old).cloned() {
                state.add_fd(tid, newfd, f);
            }
        }
        K::Simple(fd_kind) => simple_fd(state, res, tid, fd_kind),
        K::Memfd | K::Pidfd => {
            let kind = if kind == K::Pidfd {
                fd_kind::PIDFD
            } else {
                fd_kind::MEMFD
            };
            if let Some(fd) = x.int(Key::Fd).filter(|f| *f >= 0) {
                let mut f = Fd {
                    kind,
                    ..Fd::default()
                };
                if let Some(n) = x.bytes(Key::Name) {
                    f.name.extend_from_slice(b"memfd:");
                    f.name.extend_from_slice(n);
                }
                state.add_fd(tid, fd, f);
            }
        }
        K::Close => {
            if res.is_some_and(|r| r < 0) {
                return;
            }
            // The enter's fd is kept decoded (Action::EXIT_FD): no lookup by name.
            let fd = x.int(Key::Fd).or(x.enter_fd);
            if let Some(fd) = fd {
                state.event_fd = Some(fd);
                let pid = state.pid_of(tid);
                state.fd_to_remove = Some((pid, fd));
            }
        }
        K::Chdir => {
            if res != Some(0) {
                return;
            }
            if let Some(path) = x.arg_bytes(Key::Path) {
                let path = path.to_vec();
                state.set_cwd(tid, &path);
            }
        }
        K::Fchdir => {
            if res != Some(0) {
                return;
            }
            if let Some(fd) = x.arg_int(Key::Fd) {
                if let Some(path) = state.fd(tid, fd).map(|f| f.name.clone()) {
                    state.set_cwd(tid, &path);
                }
            }
        }
        K::Setuid => {
            if res != Some(0) {
                return;
            }
            let uid = x.arg_uint(Key::Euid).or_else(|| x.arg_uint(Key::Uid));
            if let (Some(uid), Some(t)) = (uid, state.threads.get_mut(&tid)) {
                if uid != u64::from(u32::MAX) {
                    t.uid = uid as u32;
                }
            }
        }
        K::Setgid => {
            if res != Some(0) {
                return;
            }
            let gid = x.arg_uint(Key::Egid).or_else(|| x.arg_uint(Key::Gid));
            if let (Some(gid), Some(t)) = (gid, state.threads.get_mut(&tid)) {
                if gid != u64::from(u32::MAX) {
                    t.gid = gid as u32;
                }
            }
        }
        K::Setsid => {
            if let (Some(sid), Some(t)) = (res.filter(|r| *r >= 0), state.threads.get_mut(&tid)) {
                t.sid = sid;
            }
        }
        K::Capset => {
            // The exit carries the sets now in force (libsinsp's parse_capset_exit).
            if let (Some(_), Some(t)) = (res.filter(|r| *r >= 0), state.threads.get_mut(&tid)) {
                set_caps(&mut t.exe_info, x);
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
    let pid = state.pid_of(tid);
    let bound = |port: u16| {
        state.fds.get(pid).is_some_and(|t| {
            t.iter()
                .any(|(n, g)| n != fd && g.is_server_kind() && g.dport == port && port != 0)
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

fn open_exit(state: &mut State, x: &Exit<'_>, at: bool, tid: i64) {
    let fd = x.int(Key::Fd).unwrap_or(-1);
    let path = x
        .arg_bytes(Key::Name)
        .or_else(|| x.arg_bytes(Key::Path))
        .unwrap_or_default();
    let flags = x.arg_uint(Key::Flags).unwrap_or(0);
    let dirfd = if at {
        x.arg_int(Key::Dirfd).unwrap_or(AT_FDCWD)
    } else {
        AT_FDCWD
    };
    let dir_of_fd = (dirfd != AT_FDCWD).then(|| {
        let mut d = state
            .fd(tid, dirfd)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        paths::ensure_trailing_slash(&mut d);
        d
    });
    // The name goes into a buffer that served before: the failed-open text, or a closed
    // fd's name.
    let mut name = if fd < 0 {
        std::mem::take(&mut state.failed_open)
    } else {
        state.spare_name()
    };
    let cwd = state
        .threads
        .get(&tid)
        .map(|t| t.cwd.as_slice())
        .unwrap_or_default();
    paths::resolve(dir_of_fd.as_deref().unwrap_or(cwd), path, &mut name);
    if fd < 0 {
        state.failed_open = name;
        return;
    }
    let f = Fd {
        kind: if flags & O_DIRECTORY != 0 {
            fd_kind::DIRECTORY
        } else {
            fd_kind::FILE
        },
        open_flags: flags as u32,
        ino: x.uint(Key::Ino).unwrap_or(0),
        name,
        ..Fd::default()
    };
    state.event_fd = Some(fd);
    state.add_fd(tid, fd, f);
}

fn clone_exit(state: &mut State, x: &Exit<'_>, tid: i64) {
    let Some(res) = x.int(Key::Res) else {
        return;
    };
    if res < 0 {
        return;
    }
    let flags = x.uint(Key::Flags).unwrap_or(0);
    let p_tid = x.int(Key::Tid).unwrap_or(tid);
    let p_pid = x.int(Key::Pid).unwrap_or(p_tid);
    let p_ptid = x.int(Key::Ptid).unwrap_or(-1);
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
        state.insert_thread(Thread::placeholder(tid));
    }
    if state
        .threads
        .get(&child)
        .is_some_and(|t| !t.dead && !t.placeholder)
    {
        return;
    }
    // The parent's process, as libsinsp looks it up for the copied fields.
    let parent = state.threads.get(&parent_tid).filter(|t| !t.placeholder);
    let parent_pid = parent.map(|p| p.pid);
    let mut t = parent
        .cloned()
        .unwrap_or_else(|| Thread::placeholder(child));
    t.placeholder = false;
    t.dead = false;
    t.tid = child;
    t.pid = pid;
    t.ptid = ptid;
    t.clone_ts = x.ev.ts();
    t.flags = flags as u32;
    copy_process_params(&mut t, x, parent_pid.is_none(), &mut state.cgroup_ids);
    if let Some(b) = x.bytes(Key::Cwd).filter(|b| !b.is_empty()) {
        set_bytes(&mut t.cwd, b);
        paths::ensure_trailing_slash(&mut t.cwd);
    }
    if let Some(v) = x.uint(Key::PidnsInitStartTs) {
        t.exe_info.pidns_init_start_ts = v;
    }
    if res == 0 {
        t.vtid = x.int(Key::Vtid).unwrap_or(-1);
        t.vpid = x.int(Key::Vpid).unwrap_or(-1);
    } else {
        t.vtid = child;
        t.vpid = pid;
    }
    if pid == child {
        // A new process gets a copy of its parent's fd table.
        if let Some(ppid) = parent_pid {
            if let Some(table) = state.fds.get(ppid).cloned() {
                if let Some(t) = state.table_or_new(pid) {
                    *t = table;
                }
            }
        }
    }
    t.refresh_text();
    state.insert_thread(t);
}

/// Replace `dst`'s bytes with `src`'s, in its buffer.
fn set_bytes(dst: &mut Vec<u8>, src: &[u8]) {
    dst.clear();
    dst.extend_from_slice(src);
}

/// The process parameters that clone and execve exits both carry; `comm_from_exe` names a
/// thread with no `comm` parameter after its executable.
fn copy_process_params(
    t: &mut Thread,
    x: &Exit<'_>,
    comm_from_exe: bool,
    ids: &mut container::IdCache,
) {
    if let Some(b) = x.bytes(Key::Exe) {
        set_bytes(&mut t.exe, b);
    }
    if let Some(b) = x.bytes(Key::Args) {
        set_bytes(&mut t.args, b);
    }
    if let Some(b) = x.bytes(Key::Comm) {
        set_bytes(&mut t.comm, b);
    } else if comm_from_exe {
        set_bytes(&mut t.comm, paths::file_name(&t.exe));
    }
    // Every thread's container id is the one its (non-empty) cgroups give: unchanged cgroups,
    // the usual case for a clone or an execve, keep it.
    if let Some(b) = x.bytes(Key::Cgroups) {
        if t.cgroups != b {
            set_bytes(&mut t.cgroups, b);
            set_bytes(&mut t.container_id, ids.id_of(b));
        }
    }
    if let Some(v) = x.uint(Key::Fdlimit) {
        t.fdlimit = v;
    }
    if let Some(v) = x.uint(Key::Uid) {
        t.uid = v as u32;
    }
    if let Some(v) = x.uint(Key::Gid) {
        t.gid = v as u32;
    }
}

fn execve_exit(state: &mut State, x: &Exit<'_>, tid: i64) {
    let Some(t) = state.threads.get_mut(&tid) else {
        return;
    };
    let was_placeholder = t.placeholder;
    t.placeholder = false;
    copy_process_params(t, x, was_placeholder, &mut state.cgroup_ids);
    state.names.bump();
    if let Some(b) = x.bytes(Key::Env) {
        set_bytes(&mut t.env, b);
    }
    if was_placeholder {
        if let Some(v) = x.int(Key::Pid) {
            state.hint = None;
            state.fds.changed();
            count_thread(&mut state.nthreads, t.pid, -1);
            count_thread(&mut state.nthreads, v, 1);
            t.pid = v;
        }
        if let Some(v) = x.int(Key::Ptid) {
            t.ptid = v;
        }
        // libsinsp leaves the cwd of a thread first seen at its execve unknown.
    }
    if let Some(v) = x.uint(Key::Tty) {
        t.tty = v as u32;
    }
    if let Some(v) = x.int(Key::Vpgid) {
        t.vpgid = v;
    }
    if let Some(v) = x.uint(Key::Loginuid) {
        t.loginuid = v as u32;
    }
    let exepath = x
        .bytes(Key::TrustedExepath)
        .or_else(|| x.bytes(Key::Filename))
        .or_else(|| x.enter_bytes(Key::Filename));
    if let Some(p) = exepath {
        paths::resolve(&t.cwd, p, &mut t.exepath);
    }
    set_caps(&mut t.exe_info, x);
    if let Some(v) = x.uint(Key::Flags) {
        t.exe_info.set_flags(v);
    }
    if let Some(v) = x.uint(Key::ExeIno) {
        t.exe_info.ino = v;
    }
    if let Some(v) = x.uint(Key::ExeInoCtime) {
        t.exe_info.ino_ctime = v;
    }
    if let Some(v) = x.uint(Key::ExeInoMtime) {
        t.exe_info.ino_mtime = v;
    }
    let clone_ts = t.clone_ts;
    t.exe_info.update_durations(clone_ts);
    t.clone_ts = x.ev.ts();
    t.refresh_text();
}

/// The `cap_*` parameters of an execve or capset exit, where the event has them.
fn set_caps(e: &mut super::ExeInfo, x: &Exit<'_>) {
    if let Some(v) = x.uint(Key::CapInheritable) {
        e.cap_inheritable = v;
    }
    if let Some(v) = x.uint(Key::CapPermitted) {
        e.cap_permitted = v;
    }
    if let Some(v) = x.uint(Key::CapEffective) {
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

/// Add `delta` to the number of threads of process `pid` (an entry only while it has some).
fn count_thread(counts: &mut super::hash::IntMap<i64, u32>, pid: i64, delta: i32) {
    use std::collections::hash_map::Entry;
    match counts.entry(pid) {
        Entry::Occupied(mut e) => {
            let n = e.get().saturating_add_signed(delta);
            if n == 0 {
                e.remove();
            } else {
                e.insert(n);
            }
        }
        Entry::Vacant(e) => {
            if delta > 0 {
                e.insert(delta.unsigned_abs());
            }
        }
    }
}

impl State {
    /// Add thread `t` (replacing any thread of its tid), keeping the per-process counts.
    pub(super) fn insert_thread(&mut self, t: Thread) {
        self.hint = None;
        self.fds.changed();
        self.names.bump();
        let pid = t.pid;
        if let Some(old) = self.threads.insert(t.tid, t) {
            count_thread(&mut self.nthreads, old.pid, -1);
        }
        count_thread(&mut self.nthreads, pid, 1);
    }

    /// Keep the current name of the event's fd (for `fd.name_changed`); false if none.
    fn snapshot_fd_name(&mut self, tid: i64) -> bool {
        let Some(num) = self.event_fd else {
            return false;
        };
        let mut before = std::mem::take(&mut self.fd_name_before);
        before.clear();
        let found = self.table_of(tid).and_then(|t| t.get(&num));
        if let Some(f) = found {
            before.extend_from_slice(&f.name);
        }
        let had = found.is_some();
        self.fd_name_before = before;
        had
    }

    fn remove_thread(&mut self, tid: i64) {
        let Some(t) = self.threads.remove(&tid) else {
            return;
        };
        self.hint = None;
        self.fds.changed();
        self.known_tid = None;
        self.names.bump();
        let at = self.slot_of.get(&tid).copied();
        if let Some(s) = at.and_then(|at| self.slots.get_mut(at)) {
            s.enter.live = false;
        }
        count_thread(&mut self.nthreads, t.pid, -1);
        if !self.nthreads.contains_key(&t.pid) {
            if let Some(table) = self.fds.remove(t.pid) {
                for f in table.into_values() {
                    self.recycle(f);
                }
            }
        }
    }

    /// Remove fd `fd` of process `pid`.
    fn remove_fd(&mut self, pid: i64, fd: i64) {
        let slot = match self.hint {
            Some(h) if h.pid == pid => h.slot,
            _ => self.fds.slot(pid),
        };
        let gone = slot
            .and_then(|s| self.fds.at_mut(s))
            .and_then(|t| t.remove(&fd));
        if let Some(f) = gone {
            self.recycle(f);
        }
    }

    fn add_fd(&mut self, tid: i64, fd: i64, f: Fd) {
        let table = match self.table_of_mut(tid) {
            Some(t) => Some(t),
            None => {
                let pid = self.pid_of(tid);
                self.table_or_new(pid)
            }
        };
        if let Some(old) = table.and_then(|t| t.insert(fd, f)) {
            self.recycle(old);
        }
        self.event_fd = Some(fd);
    }

    /// An empty buffer for an fd name, one a gone fd left if any.
    fn spare_name(&mut self) -> Vec<u8> {
        self.spare_names.pop().unwrap_or_default()
    }

    /// Keep the name buffer of a gone fd for the next one (a few are kept: most fds are
    /// closed soon after they are opened).
    fn recycle(&mut self, f: Fd) {
        const SPARE_NAMES: usize = 32;
        if self.spare_names.len() < SPARE_NAMES && f.name.capacity() != 0 {
            let mut name = f.name;
            name.clear();
            self.spare_names.push(name);
        }
    }

    fn fd_mut(&mut self, tid: i64, fd: i64) -> Option<&mut Fd> {
        self.table_of_mut(tid)?.get_mut(&fd)
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
