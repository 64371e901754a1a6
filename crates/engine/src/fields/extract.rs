//! Extracting typed values from an event in context.

use scap::table::Direction;

use super::registry::{FieldDef, FieldId};
use super::value::Value;
use crate::session::{display_table, EventCtx};

/// A field as used by a filter or a format: the registry entry and its argument.
#[derive(Debug, Clone)]
pub struct Field {
    /// Registry entry.
    pub def: &'static FieldDef,
    /// Argument text, if any.
    pub arg: Option<Box<str>>,
}

/// The value of `field` for the event in `ctx`, or `None` when it has none.
pub fn extract<'s>(ctx: &'s EventCtx<'_>, field: &Field) -> Option<Value<'s>> {
    let ev = &ctx.event;
    let ts = ev.ts();
    Some(match field.def.id {
        FieldId::EvtNum => Value::U64(ctx.num),
        FieldId::EvtTime
        | FieldId::EvtTimeS
        | FieldId::EvtTimeIso
        | FieldId::EvtDatetime
        | FieldId::EvtDatetimeS
        | FieldId::EvtRawtime
        | FieldId::EvtOutputtime => Value::U64(ts),
        FieldId::EvtRawtimeS => Value::U64(ts / 1_000_000_000),
        FieldId::EvtRawtimeNs => Value::U64(ts % 1_000_000_000),
        FieldId::EvtReltime => Value::U64(ts.saturating_sub(ctx.first_ts)),
        FieldId::EvtReltimeS => Value::U64(ts.saturating_sub(ctx.first_ts) / 1_000_000_000),
        FieldId::EvtReltimeNs => Value::U64(ts.saturating_sub(ctx.first_ts) % 1_000_000_000),
        FieldId::EvtDeltatime => Value::U64(ts.saturating_sub(ctx.prev_ts)),
        FieldId::EvtDir => Value::Bytes(match ev.direction() {
            Direction::Enter => b">",
            Direction::Exit => b"<",
        }),
        FieldId::EvtType => Value::Bytes(event_type_name(ev).as_bytes()),
        FieldId::EvtTypeCode => Value::U64(u64::from(ev.event_type())),
        FieldId::EvtCpu => Value::U64(u64::from(ev.cpu())),
        FieldId::EvtIsEnter => Value::Bool(ev.direction() == Direction::Enter),
        FieldId::EvtNparams => Value::U64(ev.nparams() as u64),
        FieldId::EvtBlockOffset => Value::U64(ev.offset().0),
        FieldId::ThreadTid => Value::I64(ev.tid() as i64),
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
        let id = ev
            .param(0)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map(u16::from_le_bytes);
        if let Some(name) = id.and_then(|id| table.syscall_name(id)) {
            return name;
        }
    }
    info.name
}
