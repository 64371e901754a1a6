//! The field registry as the filter compiler and evaluator see it: the built-in classes,
//! plus the fields of loaded plugins.

use std::cell::RefCell;

use scap::table;

use super::registry::{self, ArgKind};
use super::{extract, plugin, Field, FieldId, Scratch};
use crate::filter::{
    EventTypeSet, FieldCatalog, FieldSource, ResolveError, ResolvedField, ValueSink,
};
use crate::plugin::PluginManager;
use crate::session::EventCtx;

/// Resolves field names: built-in classes first, then the plugins' fields.
#[derive(Debug, Default, Clone, Copy)]
pub struct Catalog<'p> {
    plugins: Option<&'p RefCell<PluginManager>>,
}

impl<'p> Catalog<'p> {
    /// A catalog that also knows the fields of `plugins`.
    pub fn with_plugins(plugins: &'p RefCell<PluginManager>) -> Catalog<'p> {
        Catalog {
            plugins: Some(plugins),
        }
    }

    /// Resolve a plugin field (`None` when no loaded plugin declares `name`).
    pub fn resolve_plugin(&self, name: &str, arg: Option<&str>) -> Option<Result<Field, String>> {
        plugin::resolve(self.plugins?, name, arg)
    }
}

impl PartialEq for Field {
    fn eq(&self, other: &Field) -> bool {
        self.def.id == other.def.id && self.arg == other.arg && self.name() == other.name()
    }
}

impl FieldCatalog for Catalog<'_> {
    type Field = Field;

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField<Field>, ResolveError> {
        let Some((def, dotted)) = registry::resolve_name(name) else {
            return match self.resolve_plugin(name, arg) {
                Some(Ok(field)) => {
                    let (ty, list) = (field.ty(), field.plugin.as_ref().is_some_and(|p| p.list));
                    let mut r = ResolvedField::new(field, ty);
                    r.list = list;
                    Ok(r)
                }
                Some(Err(msg)) => Err(ResolveError::Invalid(msg)),
                None => Err(ResolveError::Unknown),
            };
        };
        let arg = match (dotted, arg) {
            (Some(_), Some(_)) => {
                return Err(ResolveError::Invalid(format!(
                    "field '{name}' already has an argument"
                )))
            }
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => None,
        };
        match (def.arg, arg) {
            (ArgKind::None, Some(a)) => {
                return Err(ResolveError::Invalid(format!(
                    "field '{}' does not allow nor require an argument but one is provided: {a}",
                    def.name
                )))
            }
            (ArgKind::Required, None) => {
                return Err(ResolveError::Invalid(format!(
                    "field '{}' requires an argument but none provided",
                    def.name
                )))
            }
            (ArgKind::OptionalIndex, Some(a)) if a.parse::<u32>().is_err() => {
                return Err(ResolveError::Invalid(format!(
                    "field '{}' takes a numeric index, not '{a}'",
                    def.name
                )))
            }
            _ => {}
        }
        let mut r = ResolvedField::new(Field::builtin(def, arg.map(Into::into)), def.ty);
        r.event_type = def.id == FieldId::Evt(super::evt::Id::Type);
        Ok(r)
    }

    fn for_each_field_name(&self, f: &mut dyn FnMut(&str)) {
        for def in registry::all() {
            f(def.name);
        }
        if let Some(p) = self.plugins {
            for plugin in p.borrow().plugins() {
                for field in plugin.fields() {
                    f(&field.name);
                }
            }
        }
    }

    fn event_codes(&self, name: &str, set: &mut EventTypeSet) -> bool {
        let mut found = false;
        for t in [table::SYSDIG_0_29, table::CURRENT] {
            for code in t.codes_named(name) {
                set.insert(code);
                found = true;
            }
        }
        // Generic events (codes 0 and 1) show the name of the syscall they carry.
        let syscall = [table::SYSDIG_0_29, table::CURRENT]
            .iter()
            .any(|t| t.syscalls.contains(&name));
        if syscall {
            set.insert(0);
            set.insert(1);
            found = true;
        }
        found
    }
}

/// Values of one event for the evaluator.
#[derive(Debug)]
pub struct EventSource<'c, 'e> {
    /// The event in context.
    pub ctx: &'c EventCtx<'e>,
    /// Reused formatting buffer.
    pub scratch: &'c mut Scratch,
}

impl FieldSource for EventSource<'_, '_> {
    type Field = Field;

    #[inline]
    fn extract(&mut self, field: &Field, out: &mut ValueSink<'_>) {
        if let Some(pf) = &field.plugin {
            // Plugin list fields give every value to the filter.
            plugin::extract_each(self.ctx, pf, &mut |v| out.push(v));
            return;
        }
        if let FieldId::Fd(id @ super::fd::Id::Net) = field.def.id {
            super::fd::extract_all(id, self.ctx, field, |v| out.push(v));
            return;
        }
        if let Some(v) = extract(self.ctx, field, self.scratch) {
            out.push(v);
        }
    }
}
