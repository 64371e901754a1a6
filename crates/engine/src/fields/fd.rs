//! `fd.*`: the file descriptor the event works on (its `fd` parameter, or the fd an
//! fd-creating exit returned), as libsinsp resolves it.

use super::registry::field_class;
use super::value::Value;
use super::Field;
use crate::session::EventCtx;
use crate::state::{fd_kind, paths, Fd};

field_class! { Fd;
    Num "fd.num" I64 None "number of the fd";
    Type "fd.type" Str None "kind of fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, ...";
    Typechar "fd.typechar" Str None "kind of fd as one letter (f file, 4 ipv4, 6 ipv6, u unix, p pipe, e eventfd, ...)";
    Name "fd.name" Str None "full name of the fd: a path, an address pair for sockets, ...";
    Nameraw "fd.nameraw" Str None "name of the fd as given to the system call, before normalisation";
    Directory "fd.directory" Str None "directory part of a file fd's name";
    Filename "fd.filename" Str None "file part of a file fd's name";
    Ip "fd.ip" IpAddr None "either address of a socket (for filtering)";
    Cip "fd.cip" IpAddr None "client address";
    Sip "fd.sip" IpAddr None "server address";
    Lip "fd.lip" IpAddr None "local address";
    Rip "fd.rip" IpAddr None "remote address";
    Port "fd.port" Port None "either port of a socket (for filtering)";
    Cport "fd.cport" Port None "client port";
    Sport "fd.sport" Port None "server port";
    Lport "fd.lport" Port None "local port";
    Rport "fd.rport" Port None "remote port";
    L4proto "fd.l4proto" Str None "layer-4 protocol of a socket: tcp, udp, icmp or raw";
    Sockfamily "fd.sockfamily" Str None "socket family: ip or unix";
    IsServer "fd.is_server" Bool None "true if this process is the server side of the connection";
    Connected "fd.connected" Bool None "true if the socket is connected";
    Ino "fd.ino" I64 None "inode of the file, when known";
    Net "fd.net" IpNet None "(filter only) matches the IP network of either address of a socket";
    Cnet "fd.cnet" IpNet None "(filter only) matches the client IP network of a socket";
    Snet "fd.snet" IpNet None "(filter only) matches the server IP network of a socket";
    Lnet "fd.lnet" IpNet None "(filter only) matches the local IP network of a socket";
    Rnet "fd.rnet" IpNet None "(filter only) matches the remote IP network of a socket";
    NameChanged "fd.name_changed" Bool None "true when the event changed the name of its fd (e.g. a connect naming a socket)";
    CipName "fd.cip.name" Str None "domain name of the client address (needs DNS data; never set from a capture)";
    SipName "fd.sip.name" Str None "domain name of the server address (needs DNS data; never set from a capture)";
    LipName "fd.lip.name" Str None "domain name of the local address (needs DNS data; never set from a capture)";
    RipName "fd.rip.name" Str None "domain name of the remote address (needs DNS data; never set from a capture)";
}

/// Value of an `fd.*` field.
pub(crate) fn extract<'s>(id: Id, ctx: &'s EventCtx<'_>, _field: &Field) -> Option<Value<'s>> {
    value(id, ctx, &mut EventFd::default())
}

/// The event's fd as found in the state, looked up once for all the `fd.*` fields asked of
/// one event (the lookup is most of their cost).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EventFd<'s>(Option<Option<&'s Fd>>);

impl<'s> EventFd<'s> {
    #[inline]
    fn get(&mut self, ctx: &'s EventCtx<'_>, num: i64) -> Option<&'s Fd> {
        *self
            .0
            .get_or_insert_with(|| ctx.state.fd(ctx.event.tid() as i64, num))
    }
}

/// The event's fd as the state holds it, looked up through `cache` (see [`value`]).
#[inline]
pub(crate) fn event_fd<'s>(ctx: &'s EventCtx<'_>, cache: &mut EventFd<'s>) -> Option<&'s Fd> {
    cache.get(ctx, ctx.state.event_fd_num()?)
}

/// Value of an `fd.*` field, the event's fd looked up through `cache` (which must be empty or
/// filled for this same event). Inlined, so that a caller naming the field gets only its code.
#[inline(always)]
pub(crate) fn value<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    cache: &mut EventFd<'s>,
) -> Option<Value<'s>> {
    let state = ctx.state;
    // Names come from a DNS cache that a capture does not hold: <NA>, as libsinsp offline.
    if matches!(id, Id::CipName | Id::SipName | Id::LipName | Id::RipName) {
        return None;
    }
    let Some(num) = state.event_fd_num() else {
        let failed = state.failed_open_name();
        if matches!(id, Id::Name | Id::Nameraw) && !failed.is_empty() {
            return Some(Value::Bytes(failed));
        }
        return no_fd(id, ctx);
    };
    if let Id::Num = id {
        return Some(Value::I64(num));
    }
    let failed = state.failed_open_name();
    if matches!(id, Id::Name | Id::Nameraw) && !failed.is_empty() {
        return Some(Value::Bytes(failed));
    }
    let Some(fd) = cache.get(ctx, num) else {
        // sysdig 0.29 shows an empty name on the exit of an fd syscall whose fd it never saw.
        let ty = ctx.event.event_type();
        let uses_fd = crate::session::display_table(ty)
            .event(ty)
            .is_some_and(|i| i.flags & scap::table::ef::USES_FD != 0);
        let exit = scap::table::Direction::of(ty) == scap::table::Direction::Exit;
        return (id == Id::Name && exit && uses_fd).then_some(Value::Bytes(b""));
    };
    let is_file = matches!(
        fd.kind,
        fd_kind::FILE | fd_kind::FILE_V2 | fd_kind::DIRECTORY
    );
    Some(match id {
        Id::Num => Value::I64(num),
        Id::Type => Value::Bytes(fd.type_name().as_bytes()),
        Id::Typechar => Value::Bytes(typechar(fd)),
        Id::Name | Id::Nameraw => Value::Bytes(&fd.name),
        Id::Directory if is_file => Value::Bytes(if fd.kind == fd_kind::DIRECTORY {
            &fd.name
        } else {
            paths::directory(&fd.name)
        }),
        Id::Filename if is_file && fd.kind != fd_kind::DIRECTORY => {
            Value::Bytes(paths::file_name(&fd.name))
        }
        Id::Directory | Id::Filename => return None,
        Id::Ip | Id::Cip | Id::Cnet => Value::Ip(fd.sip.filter(|ip| !ip.is_unspecified())?),
        Id::Sip | Id::Snet => Value::Ip(fd.dip?),
        // Filter-only: both addresses are given to the filter by `extract_all`.
        Id::Net => return None,
        Id::Cport => Value::U64(u64::from(fd.sip.map(|_| fd.sport)?)),
        Id::Port | Id::Sport => Value::U64(u64::from(fd.dip.map(|_| fd.dport)?)),
        // sysdig 0.29 calls local the side whose address is one of the machine's.
        Id::Lip | Id::Rip | Id::Lport | Id::Rport | Id::Lnet | Id::Rnet => {
            let (sip, dip) = (fd.sip?, fd.dip?);
            let src_local = state.is_local_ip(sip);
            match (id, src_local) {
                (Id::Lip | Id::Lnet, true) | (Id::Rip | Id::Rnet, false) => Value::Ip(sip),
                (Id::Lip | Id::Lnet, false) | (Id::Rip | Id::Rnet, true) => Value::Ip(dip),
                (Id::Lport, true) | (Id::Rport, false) => Value::U64(u64::from(fd.sport)),
                _ => Value::U64(u64::from(fd.dport)),
            }
        }
        Id::L4proto => Value::Bytes(match fd.l4proto {
            2 => b"tcp",
            3 => b"udp",
            4 => b"icmp",
            5 => b"raw",
            _ if fd.is_ip() => b"<NA>",
            _ => return None,
        }),
        Id::Sockfamily => Value::Bytes(match fd.kind {
            _ if fd.is_ip() => b"ip",
            fd_kind::UNIX_SOCK => b"unix",
            _ => return None,
        }),
        // An unset tuple reads as 0.0.0.0, which sysdig 0.29 mostly counts as local.
        Id::IsServer if fd.is_ip() => Value::Bool(fd.dip.is_none_or(|ip| state.is_local_ip(ip))),
        Id::IsServer => Value::Bool(fd.is_server),
        Id::Connected => Value::Bool(fd.is_ip() && fd.sip.is_some() && fd.dip.is_some()),
        Id::Ino => Value::I64(fd.ino as i64),
        Id::NameChanged => Value::Bool(state.event_fd_name_changed()),
        Id::CipName | Id::SipName | Id::LipName | Id::RipName => return None,
    })
}

/// Every value of an `fd.*` field for a filter: `fd.net` gives both addresses of a socket
/// (a check passes if either does), every other field its one value.
pub(crate) fn extract_all<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    field: &Field,
    mut push: impl FnMut(Value<'s>),
) {
    if id == Id::Net {
        for side in [Id::Cip, Id::Sip] {
            if let Some(v) = extract(side, ctx, field) {
                push(v);
            }
        }
    } else if let Some(v) = extract(id, ctx, field) {
        push(v);
    }
}

/// The table entry of code `ty` if it is an fd syscall (it creates or uses an fd), as
/// sysdig 0.29 flags them: those have `fd.num` and `fd.typechar` even without an fd.
pub(crate) fn fd_syscall(ty: u16) -> Option<&'static scap::table::EventInfo> {
    let fd_flags = scap::table::ef::CREATES_FD | scap::table::ef::USES_FD;
    crate::session::display_table(ty)
        .event(ty)
        .filter(|info| info.flags & fd_flags != 0)
}

/// What sysdig 0.29 shows for an fd event that has no fd yet (the enter of an fd-creating
/// call, or a failed one): fd number -1 and the kind the call creates.
fn no_fd<'s>(id: Id, ctx: &'s EventCtx<'_>) -> Option<Value<'s>> {
    let ty = ctx.event.event_type();
    let info = fd_syscall(ty)?;
    match id {
        Id::Num => Some(Value::I64(-1)),
        Id::Typechar => Some(Value::Bytes(match info.name {
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => b"f",
            "socket" | "accept" | "accept4" => b"4",
            "pipe" | "pipe2" => b"p",
            "signalfd" | "signalfd4" => b"s",
            "eventfd" | "eventfd2" => b"e",
            "timerfd_create" => b"t",
            "inotify_init" | "inotify_init1" => b"i",
            _ => b"o",
        })),
        _ => None,
    }
}

fn typechar(fd: &Fd) -> &'static [u8] {
    match fd.type_char() {
        b'f' => b"f",
        b'd' => b"d",
        b'4' => b"4",
        b'6' => b"6",
        b'p' => b"p",
        b'u' => b"u",
        b'e' => b"e",
        b's' => b"s",
        b'l' => b"l",
        b'i' => b"i",
        b't' => b"t",
        b'n' => b"n",
        b'b' => b"b",
        b'r' => b"r",
        b'm' => b"m",
        b'P' => b"P",
        _ => b"o",
    }
}
