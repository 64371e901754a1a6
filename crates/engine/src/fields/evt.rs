//! `evt.*`: fields of the event itself.

use std::io::Write as _;

use scap::param::ParamValue;
use scap::table::{ec, Direction, ParamType};

use super::registry::field_class;
use super::value::Value;
use super::{Field, Scratch};
use crate::output::args;
use crate::session::{display_table, EventCtx};

field_class! { Evt;
    Num "evt.num" U64 None "event number, counting every event delivered from the capture (including hidden ones)";
    Time "evt.time" AbsTime None "event timestamp as local time HH:MM:SS.nnnnnnnnn";
    TimeS "evt.time.s" AbsTime None "event timestamp as local time HH:MM:SS";
    TimeIso "evt.time.iso8601" AbsTime None "event timestamp in ISO 8601 with nanoseconds and time zone";
    Datetime "evt.datetime" AbsTime None "event timestamp as local date and time YYYY-MM-DD HH:MM:SS.nnnnnnnnn";
    DatetimeS "evt.datetime.s" AbsTime None "event timestamp as local date and time YYYY-MM-DD HH:MM:SS";
    Rawtime "evt.rawtime" AbsTime None "event timestamp in nanoseconds since the epoch";
    RawtimeS "evt.rawtime.s" U64 None "integer seconds part of the event timestamp";
    RawtimeNs "evt.rawtime.ns" U64 None "fractional nanoseconds part of the event timestamp";
    Outputtime "evt.outputtime" AbsTime None "event timestamp in the format chosen with -t (default: evt.time)";
    Reltime "evt.reltime" RelTime None "nanoseconds since the first event of the capture";
    ReltimeS "evt.reltime.s" U64 None "integer seconds part of evt.reltime";
    ReltimeNs "evt.reltime.ns" U64 None "fractional nanoseconds part of evt.reltime";
    Deltatime "evt.deltatime" RelTime None "nanoseconds since the previous event";
    Dir "evt.dir" Str None "event direction: '>' for enter events, '<' for exit events";
    Type "evt.type" Str None "event type name, e.g. 'open'; generic syscalls show the syscall name";
    RawType "evt.rawtype" U64 None "numeric event type code";
    Cpu "evt.cpu" U64 None "number of the CPU where the event happened";
    IsEnter "evt.is_enter" Bool None "true for enter events";
    Nparams "evt.nparams" U64 None "number of parameters the event carries";
    Offset "evt.offset" U64 None "byte offset of the event block in the (decompressed) capture";
    Args "evt.args" Str None "all the event arguments, as 'name=value ' pairs";
    Info "evt.info" Str None "for syscall events, the same as evt.args";
    Arg "evt.arg" Str Required "one argument, by name (evt.arg.fd) or index (evt.arg[0]), rendered as in evt.args";
    RawArg "evt.rawarg" Str Required "one argument by name, as its raw typed value (numbers stay numbers)";
    Res "evt.res" Str None "exit events: 'SUCCESS', or the error name (e.g. ENOENT) when the call failed";
    RawRes "evt.rawres" I64 None "exit events: the return value as a number";
    Failed "evt.failed" Bool None "true for exit events that returned an error";
    Buffer "evt.buffer" Bytes None "the binary data buffer of I/O events (read, write, sendto...)";
    Buflen "evt.buflen" U64 None "I/O exit events: the number of bytes transferred";
    Latency "evt.latency" RelTime None "exit events: ns since the matching enter event";
    IsIo "evt.is_io" Bool None "true for events that read or write data (read, write, send, recv...)";
    IsIoRead "evt.is_io_read" Bool None "true for events that read data";
    IsIoWrite "evt.is_io_write" Bool None "true for events that write data";
    Category "evt.category" Str None "event category: file, net, IPC, memory, process, ...";
    PluginName "evt.pluginname" Str None "plugin events: the name of the plugin that generated the event";
    PluginInfo "evt.plugininfo" Str None "plugin events: the payload, as text when printable, else hex";
    IsOpenRead "evt.is_open_read" Bool None "true for open/openat/openat2 events where the path was opened for reading";
    IsOpenWrite "evt.is_open_write" Bool None "true for open/openat/openat2 events where the path was opened for writing";
    IsOpenExec "evt.is_open_exec" Bool None "true for open/openat/openat2/creat events that create a file with execute permissions";
}

/// Value of an `evt.*` field.
pub(crate) fn extract<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    field: &Field,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    let ev = &ctx.event;
    let ts = ev.ts();
    Some(match id {
        Id::Num => Value::U64(ctx.num),
        Id::Time
        | Id::TimeS
        | Id::TimeIso
        | Id::Datetime
        | Id::DatetimeS
        | Id::Rawtime
        | Id::Outputtime => Value::U64(ts),
        Id::RawtimeS => Value::U64(ts / 1_000_000_000),
        Id::RawtimeNs => Value::U64(ts % 1_000_000_000),
        Id::Reltime => Value::U64(ts.saturating_sub(ctx.first_ts)),
        Id::ReltimeS => Value::U64(ts.saturating_sub(ctx.first_ts) / 1_000_000_000),
        Id::ReltimeNs => Value::U64(ts.saturating_sub(ctx.first_ts) % 1_000_000_000),
        Id::Deltatime => Value::U64(ts.saturating_sub(ctx.prev_ts)),
        Id::Dir => Value::Bytes(match ev.direction() {
            Direction::Enter => b">",
            Direction::Exit => b"<",
        }),
        Id::Type => Value::Bytes(event_type_name(ev).as_bytes()),
        Id::RawType => Value::U64(u64::from(ev.event_type())),
        Id::Cpu => Value::U64(u64::from(ev.cpu())),
        Id::IsEnter => Value::Bool(ev.direction() == Direction::Enter),
        Id::Nparams => Value::U64(ev.nparams() as u64),
        Id::Offset => Value::U64(ev.offset().0),
        Id::Args | Id::Info => {
            scratch.buf.clear();
            args::write_args(ctx, &scratch.opts, &mut scratch.buf);
            Value::Bytes(&scratch.buf)
        }
        Id::Arg => {
            let i = args::arg_index(ctx, field.arg.as_deref()?)?;
            scratch.buf.clear();
            // As libsinsp: the resolved form alone when there is one (`<f>/etc/passwd`).
            args::write_arg_resolved(ctx, i, &scratch.opts, &mut scratch.buf);
            Value::Bytes(&scratch.buf)
        }
        Id::RawArg => {
            let i = args::arg_index(ctx, field.arg.as_deref()?)?;
            let (_, v) = ev.value_in(display_table(ev.event_type()), i)?;
            raw_value(v, scratch)?
        }
        Id::Res => {
            let res = result(ctx)?;
            if res >= 0 {
                Value::Bytes(b"SUCCESS")
            } else {
                let table = display_table(ev.event_type());
                match res.checked_neg().and_then(|p| u32::try_from(p).ok()) {
                    Some(p) if table.errno_name(p).is_some() => {
                        Value::Bytes(table.errno_name(p).unwrap_or_default().as_bytes())
                    }
                    _ => {
                        scratch.buf.clear();
                        let _ = write!(scratch.buf, "{res}");
                        Value::Bytes(&scratch.buf)
                    }
                }
            }
        }
        Id::RawRes => Value::I64(result(ctx)?),
        Id::Failed => Value::Bool(result(ctx).is_some_and(|r| r < 0)),
        Id::Buffer => {
            let ty = ev.event_type();
            let info = display_table(ty).event(ty)?;
            let i = info
                .params
                .iter()
                .position(|p| p.name == "data" && p.ty == ParamType::Bytebuf)?;
            Value::Bytes(ev.param(i)?)
        }
        Id::Buflen => {
            if category(ev) & ec::CLASS_MASK & IO_BASE == 0 || ev.direction() != Direction::Exit {
                return None;
            }
            Value::U64(u64::try_from(result(ctx)?).ok()?)
        }
        Id::Latency => Value::U64(ctx.latency),
        Id::IsIo => Value::Bool(matches!(category(ev) & ec::CLASS_MASK, IO_READ | IO_WRITE)),
        Id::IsIoRead => Value::Bool(category(ev) & ec::CLASS_MASK == IO_READ),
        Id::IsIoWrite => Value::Bool(category(ev) & ec::CLASS_MASK == IO_WRITE),
        Id::Category => Value::Bytes(category_name(ctx).as_bytes()),
        Id::PluginName => {
            let id = plugin_id(ev)?;
            scratch.buf.clear();
            let loaded = ctx.plugins.and_then(|p| {
                let m = p.try_borrow().ok()?;
                let name = m
                    .plugins()
                    .iter()
                    .find(|x| x.info().id == id)
                    .map(|x| x.name().to_string());
                name
            });
            match loaded.as_deref().or(known_plugin(id)) {
                Some(n) => scratch.buf.extend_from_slice(n.as_bytes()),
                None => {
                    let _ = write!(scratch.buf, "plugin{id}");
                }
            }
            Value::Bytes(&scratch.buf)
        }
        Id::IsOpenRead | Id::IsOpenWrite | Id::IsOpenExec => Value::Bool(open_mode(ctx, id)),
        Id::PluginInfo => {
            let id = plugin_id(ev)?;
            // A loaded source plugin renders its own events (event_to_string).
            let rendered = ctx.plugins.and_then(|p| {
                let mut m = p.try_borrow_mut().ok()?;
                if !m.plugins().iter().any(|x| x.info().id == id) {
                    return None;
                }
                m.plugin_info(ev.raw(), ctx.num)
            });
            if let Some(text) = rendered {
                scratch.buf.clear();
                scratch.buf.extend_from_slice(text.as_bytes());
                return Some(Value::Bytes(&scratch.buf));
            }
            let data = ev.param(1)?;
            let text = std::str::from_utf8(data)
                .ok()
                .map(|s| s.trim_end_matches('\0'))
                .filter(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()));
            scratch.buf.clear();
            match text {
                Some(t) => scratch.buf.extend_from_slice(t.as_bytes()),
                None => {
                    for b in data {
                        let _ = write!(scratch.buf, "{b:02x}");
                    }
                }
            }
            Value::Bytes(&scratch.buf)
        }
    })
}

/// `PPM_O_*` and `PPM_S_IX*` bits of the open family's `flags` and `mode`.
const O_RDONLY: u64 = 1;
const O_WRONLY: u64 = 2;
const O_CREAT: u64 = 4;
const O_TMPFILE: u64 = 8192;
const S_IXANY: u64 = 0o111;

/// `evt.is_open_read`/`_write`/`_exec`: from the `flags` and `mode` of the event that
/// carries them, as libsinsp reads them (the exits of open, openat2, open_by_handle_at and the
/// new openat; the enter of the old openat, whose exit has only the fd; creat's exit for
/// `_exec`). Any other event is false.
fn open_mode(ctx: &EventCtx<'_>, id: Id) -> bool {
    let ev = &ctx.event;
    let ty = ev.event_type();
    let table = display_table(ty);
    let Some(info) = table.event(ty) else {
        return false;
    };
    let exit = ev.direction() == Direction::Exit;
    let carries = match info.name {
        "open" | "openat2" | "open_by_handle_at" => exit,
        // The old openat keeps flags on its enter only; the new one on both, read on exit.
        "openat" => {
            let exit_has_flags = |code: u16| {
                table
                    .event(code)
                    .is_some_and(|i| i.params.iter().any(|p| p.name == "flags"))
            };
            if exit {
                exit_has_flags(ty)
            } else {
                !exit_has_flags(ty.saturating_add(1))
            }
        }
        "creat" => exit && id == Id::IsOpenExec,
        _ => false,
    };
    if !carries {
        return false;
    }
    let param = |name: &str| {
        let i = info.params.iter().position(|p| p.name == name)?;
        ev.value_in(table, i)?.1.as_u64()
    };
    let flags = if info.name == "creat" {
        O_CREAT
    } else {
        param("flags").unwrap_or(0)
    };
    match id {
        Id::IsOpenRead => flags & O_RDONLY != 0,
        Id::IsOpenWrite => flags & O_WRONLY != 0,
        _ => flags & (O_CREAT | O_TMPFILE) != 0 && param("mode").unwrap_or(0) & S_IXANY != 0,
    }
}

/// Category classes (`EC_IO_*`): the low bits of the category.
const IO_BASE: u32 = 32;
const IO_READ: u32 = 32;
const IO_WRITE: u32 = 33;

fn category(ev: &scap::Event<'_>) -> u32 {
    let ty = ev.event_type();
    display_table(ty).event(ty).map_or(0, |e| e.category)
}

/// `evt.category`, as libsinsp names it; I/O events take the kind of their fd.
fn category_name(ctx: &EventCtx<'_>) -> &'static str {
    let class = category(&ctx.event) & ec::CLASS_MASK;
    match class {
        1 => "other",
        2 => "file",
        3 => "net",
        4 => "IPC",
        5 => "memory",
        6 => "process",
        7 => "sleep",
        8 => "system",
        9 => "signal",
        10 => "user",
        11 => "time",
        12 => "processing",
        32..=34 => {
            let fd = fd_of(ctx).and_then(|fd| ctx.state.fd(ctx.event.tid() as i64, fd));
            match fd.map(|f| f.kind) {
                Some(1 | 2 | 16) => "file",
                Some(3..=6) => "net",
                Some(7 | 8) => "IPC",
                _ => "unknown",
            }
        }
        _ if category(&ctx.event) & ec::WAIT != 0 => "wait",
        _ if category(&ctx.event) & ec::SCHEDULER != 0 => "scheduler",
        _ if category(&ctx.event) & ec::INTERNAL != 0 => "internal",
        _ => "unknown",
    }
}

/// The event's fd: its `fd` parameter (enter events and some exits).
fn fd_of(ctx: &EventCtx<'_>) -> Option<i64> {
    let ev = &ctx.event;
    let table = display_table(ev.event_type());
    ev.values_in(table).find_map(|(p, v)| match v {
        ParamValue::Fd(fd) if p.name == "fd" => Some(fd),
        _ => None,
    })
}

/// `res` of an exit event (or its `fd`, for calls that return one).
fn result(ctx: &EventCtx<'_>) -> Option<i64> {
    let ev = &ctx.event;
    if ev.direction() != Direction::Exit {
        return None;
    }
    let table = display_table(ev.event_type());
    let mut fd = None;
    for (p, v) in ev.values_in(table) {
        match (p.name, v) {
            ("res", v) => return v.as_i64().or_else(|| v.as_u64().map(|u| u as i64)),
            ("fd", ParamValue::Fd(f)) => fd = fd.or(Some(f)),
            _ => {}
        }
    }
    fd
}

fn raw_value<'s>(v: ParamValue<'_>, scratch: &'s mut Scratch) -> Option<Value<'s>> {
    if let Some(n) = v.as_i64() {
        return Some(Value::I64(n));
    }
    if let Some(n) = v.as_u64() {
        return Some(Value::U64(n));
    }
    scratch.buf.clear();
    match v {
        ParamValue::Empty => return None,
        ParamValue::Double(d) => return Some(Value::Double(d)),
        ParamValue::Ipv4(ip) => return Some(Value::Ip(ip.into())),
        ParamValue::Ipv6(ip) => return Some(Value::Ip(ip.into())),
        other => {
            if let Some(b) = other.as_bytes() {
                scratch.buf.extend_from_slice(b);
            }
        }
    }
    Some(Value::Bytes(&scratch.buf))
}

fn plugin_id(ev: &scap::Event<'_>) -> Option<u32> {
    if ev.event_type() != scap::table::code::PLUGINEVENT_E {
        return None;
    }
    let b: [u8; 4] = ev.param(0)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Names of the plugins in the falcosecurity registry, by plugin id.
fn known_plugin(id: u32) -> Option<&'static str> {
    Some(match id {
        1 => "k8saudit",
        2 => "cloudtrail",
        3 => "json",
        4 => "dummy",
        5 => "dummy_c",
        6 => "docker",
        7 => "seccompagent",
        8 => "okta",
        9 => "github",
        10 => "k8saudit-eks",
        _ => return None,
    })
}

/// `evt.type`: the event's name; for generic syscall events (codes 0 and 1), the name of
/// the syscall in their first parameter, as sysdig prints it.
pub fn event_type_name(ev: &scap::Event<'_>) -> &'static str {
    let ty = ev.event_type();
    let table = display_table(ty);
    let Some(info) = table.event(ty) else {
        return "unknown";
    };
    if ty <= 1 {
        if let Some((_, scap::param::ParamValue::SyscallId(id))) = ev.value_in(table, 0) {
            if let Some(name) = table.syscall_name(id) {
                return name;
            }
        }
    }
    info.name
}
