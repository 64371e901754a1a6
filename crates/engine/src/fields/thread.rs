//! `thread.*` and `proc.*`: the thread that generated the event and its process.

use super::registry::field_class;
use super::value::Value;
use super::Field;
use crate::session::EventCtx;

field_class! { Thread;
    Tid "thread.tid" I64 None "id of the thread that generated the event";
}

/// Value of a `thread.*`/`proc.*` field.
pub(crate) fn extract<'s>(id: Id, ctx: &'s EventCtx<'_>, _field: &Field) -> Option<Value<'s>> {
    let ev = &ctx.event;
    Some(match id {
        // Plugin events carry tid u64::MAX, which sysdig prints as -1.
        Id::Tid => Value::I64(ev.tid() as i64),
    })
}
