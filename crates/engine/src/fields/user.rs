//! `user.*` and `group.*`: the user and group of the thread that generated the event.

use super::registry::field_class;
use super::value::Value;
use super::Field;
use crate::session::EventCtx;

field_class! { User;
    Uid "user.uid" U64 None "user id of the thread";
    Name "user.name" Str None "user name of the thread";
    Homedir "user.homedir" Str None "home directory of the user";
    Shell "user.shell" Str None "login shell of the user";
    Loginuid "user.loginuid" I64 None "audit login user id of the thread (-1 if none)";
    Loginname "user.loginname" Str None "name of the audit login user";
    Gid "group.gid" U64 None "group id of the thread";
    GroupName "group.name" Str None "group name of the thread";
}

/// Value of a `user.*`/`group.*` field.
pub(crate) fn extract<'s>(id: Id, ctx: &'s EventCtx<'_>, _field: &Field) -> Option<Value<'s>> {
    let state = ctx.state;
    let t = state.thread(ctx.event.tid() as i64)?;
    Some(match id {
        Id::Uid => Value::U64(u64::from(t.uid)),
        Id::Name => Value::Bytes(&state.user(t.uid)?.name),
        Id::Homedir => Value::Bytes(&state.user(t.uid)?.home),
        Id::Shell => Value::Bytes(&state.user(t.uid)?.shell),
        Id::Loginuid => Value::I64(if t.loginuid == u32::MAX {
            -1
        } else {
            i64::from(t.loginuid)
        }),
        Id::Loginname => Value::Bytes(&state.user(t.loginuid)?.name),
        Id::Gid => Value::U64(u64::from(t.gid)),
        Id::GroupName => Value::Bytes(&state.group(t.gid)?.name),
    })
}
