//! `evt.*`: fields of the event itself.

use scap::table::Direction;

use super::registry::field_class;
use super::value::Value;
use super::Field;
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
}

/// Value of an `evt.*` field.
pub(crate) fn extract<'s>(id: Id, ctx: &'s EventCtx<'_>, _field: &Field) -> Option<Value<'s>> {
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
