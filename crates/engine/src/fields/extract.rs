//! Dispatch from a field to its class's extractor.

use super::registry::{FieldDef, FieldId};
use std::sync::Arc;

use super::plugin::{self, PluginField};
use super::value::{FieldType, Value};
use super::{container, evt, fd, fspath, k8s, thread, user};
use crate::output::BufferOpts;
use crate::session::EventCtx;

/// Reused buffer for values that must be formatted (`evt.args`, `evt.arg.*`, ...), plus the
/// buffer rendering options. One per output or filter; the hot path never allocates once it
/// has grown.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Formatted text of the last such value.
    pub buf: Vec<u8>,
    /// How buffers are rendered.
    pub opts: BufferOpts,
}

/// A field as used by a filter or a format: the registry entry and its argument.
#[derive(Debug, Clone)]
pub struct Field {
    /// Registry entry.
    pub def: &'static FieldDef,
    /// Argument text, if any.
    pub arg: Option<Box<str>>,
    /// For plugin fields: which plugin and the request.
    pub plugin: Option<Arc<PluginField>>,
}

impl Field {
    /// A built-in field.
    pub fn builtin(def: &'static FieldDef, arg: Option<Box<str>>) -> Field {
        Field {
            def,
            arg,
            plugin: None,
        }
    }

    /// The field's name (without argument).
    pub fn name(&self) -> &str {
        match &self.plugin {
            Some(p) => &p.name,
            None => self.def.name,
        }
    }

    /// The field's value type.
    pub fn ty(&self) -> FieldType {
        match &self.plugin {
            Some(p) => p.ty,
            None => self.def.ty,
        }
    }
}

/// The value of `field` for the event in `ctx`, or `None` when it has none.
#[inline]
pub fn extract<'s>(
    ctx: &'s EventCtx<'_>,
    field: &Field,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    match field.def.id {
        FieldId::Evt(id) => evt::extract(id, ctx, field, scratch),
        FieldId::Plugin => match &field.plugin {
            Some(pf) => plugin::extract(ctx, pf, scratch),
            None => None,
        },
        FieldId::Thread(id) => thread::extract(id, ctx, field, scratch),
        FieldId::Fd(id) => fd::extract(id, ctx, field),
        FieldId::User(id) => user::extract(id, ctx, field),
        FieldId::Container(id) => container::extract(id, ctx, field, scratch),
        FieldId::K8s(id) => k8s::extract(id, ctx, field, scratch),
        FieldId::FsPath(id) => fspath::extract(id, ctx, field, scratch),
    }
}
