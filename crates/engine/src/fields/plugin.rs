//! Fields of loaded plugins (`ct.name`, `json.value[/a]`, ...): resolved through the
//! plugin manager, extracted by the plugin that declares them.

use std::cell::RefCell;
use std::sync::Arc;

use super::registry::{ArgKind, FieldDef, FieldId};
use super::value::{FieldType, Value};
use super::{Field, Scratch};
use crate::plugin::{self, ExtractedValue, FieldRequest, PluginIdx, PluginManager};
use crate::session::EventCtx;

/// The registry entry every plugin field points at; the real name and type are in
/// [`PluginField`].
pub static PLUGIN_DEF: FieldDef = FieldDef {
    id: FieldId::Plugin,
    name: "plugin field",
    ty: FieldType::Str,
    arg: ArgKind::OptionalKey,
    desc: "a field of a loaded plugin",
};

/// A resolved plugin field: which plugin, and the validated request.
#[derive(Debug)]
pub struct PluginField {
    /// The plugin that extracts it.
    pub plugin: PluginIdx,
    /// The request (field and argument).
    pub req: FieldRequest,
    /// Field name, without the argument.
    pub name: String,
    /// Value type.
    pub ty: FieldType,
    /// Yields a list.
    pub list: bool,
}

/// Our type for a plugin field type.
pub fn field_type(t: plugin::FieldType) -> FieldType {
    match t {
        plugin::FieldType::U64 => FieldType::U64,
        plugin::FieldType::String => FieldType::Str,
        plugin::FieldType::RelTime => FieldType::RelTime,
        plugin::FieldType::AbsTime => FieldType::AbsTime,
        plugin::FieldType::Bool => FieldType::Bool,
        plugin::FieldType::IpAddr => FieldType::IpAddr,
        plugin::FieldType::IpNet => FieldType::IpNet,
    }
}

/// Resolve `name[arg]` among the plugins' fields: `None` when no plugin declares `name`,
/// `Some(Err)` when one does but the argument is wrong.
pub fn resolve(
    plugins: &RefCell<PluginManager>,
    name: &str,
    arg: Option<&str>,
) -> Option<Result<Field, String>> {
    let manager = plugins.borrow();
    let (idx, req) = manager.field_request(name, arg)?;
    let info = manager.get(idx)?.fields().iter().find(|f| f.name == name)?;
    Some(match req {
        Ok(req) => Ok(Field {
            def: &PLUGIN_DEF,
            arg: arg.map(Into::into),
            plugin: Some(Arc::new(PluginField {
                plugin: idx,
                req,
                name: name.to_string(),
                ty: field_type(info.ty),
                list: info.is_list,
            })),
        }),
        Err(e) => Err(e.to_string()),
    })
}

/// Calls `f` with each value of a plugin field for the event in `ctx`; nothing when the
/// plugin does not extract from the event's source or fails (as libsinsp).
pub fn extract_each(ctx: &EventCtx<'_>, pf: &PluginField, f: &mut dyn FnMut(Value<'_>)) {
    let Some(plugins) = ctx.plugins else { return };
    let Ok(mut manager) = plugins.try_borrow_mut() else {
        return;
    };
    let Ok(mut results) = manager.extract(
        pf.plugin,
        ctx.event.raw(),
        ctx.num,
        std::slice::from_ref(&pf.req),
    ) else {
        return;
    };
    for v in results.pop().unwrap_or_default() {
        f(match &v {
            ExtractedValue::U64(n) => Value::U64(*n),
            ExtractedValue::Str(s) => Value::Bytes(s),
            ExtractedValue::RelTime(n) | ExtractedValue::AbsTime(n) => Value::U64(*n),
            ExtractedValue::Bool(b) => Value::Bool(*b),
            ExtractedValue::Ip(ip) => Value::Ip(*ip),
            ExtractedValue::Net(ip) => Value::Net(*ip, if ip.is_ipv4() { 32 } else { 128 }),
        });
    }
}

/// One value for output: the value itself, or a list rendered as libsinsp does, `(a,b)`.
pub fn extract<'s>(
    ctx: &'s EventCtx<'_>,
    pf: &PluginField,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    scratch.buf.clear();
    let mut n = 0usize;
    let mut single: Option<Value<'static>> = None;
    let buf = &mut scratch.buf;
    extract_each(ctx, pf, &mut |v| {
        if n > 0 {
            buf.push(b',');
        }
        n += 1;
        match v {
            Value::Bytes(b) => buf.extend_from_slice(b),
            Value::U64(x) => {
                buf.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
                single = Some(Value::U64(x));
            }
            Value::Bool(x) => {
                buf.extend_from_slice(if x { b"true" } else { b"false" });
                single = Some(Value::Bool(x));
            }
            Value::Ip(ip) => {
                buf.extend_from_slice(ip.to_string().as_bytes());
                single = Some(Value::Ip(ip));
            }
            Value::Net(ip, b) => {
                buf.extend_from_slice(format!("{ip}/{b}").as_bytes());
                single = Some(Value::Net(ip, b));
            }
            other => buf.extend_from_slice(format!("{other:?}").as_bytes()),
        }
    });
    match n {
        0 => None,
        1 if !pf.list => Some(single.unwrap_or(Value::Bytes(&scratch.buf))),
        _ => {
            scratch.buf.insert(0, b'(');
            scratch.buf.push(b')');
            Some(Value::Bytes(&scratch.buf))
        }
    }
}
