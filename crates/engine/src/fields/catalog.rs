//! The field registry as the filter compiler and evaluator see it: the built-in classes,
//! plus the fields of loaded plugins.

use std::cell::RefCell;

use scap::table;

use super::fd::{self, EventFd};
use super::registry::{self, ArgKind};
use super::{extract, plugin, thread, Field, FieldId, Scratch, Value};
use crate::filter::{
    EventTypeSet, FieldCatalog, FieldSource, ResolveError, ResolvedField, ValueSink,
    EVENT_CODE_LIMIT,
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
        r.present_on = present_on(def.id);
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

    fn codes_shown_as(&self, name: &str) -> Option<EventTypeSet> {
        // Codes 0 and 1 (generic events) take the name of the syscall they carry, and
        // unknown codes all read "unknown": those are left to extraction.
        if name == "unknown" {
            return None;
        }
        Some(
            (2..EVENT_CODE_LIMIT)
                .filter(|&c| {
                    crate::session::display_table(c)
                        .event(c)
                        .is_some_and(|i| i.name == name)
                })
                .collect(),
        )
    }

    fn generic_ids(&self, name: &str) -> Option<EventTypeSet> {
        // Generic events are named by sysdig 0.29's syscall table (their codes are in it), and
        // "syscall" (the events' own name) when the id has no name there.
        // PPME_GENERIC_E (and _X, code 1, which has the same name).
        const GENERIC_E: u16 = 0;
        let table = crate::session::display_table(GENERIC_E);
        let generic = table.event(GENERIC_E).map(|i| i.name);
        let mut ids: EventTypeSet = (0..EVENT_CODE_LIMIT)
            .filter(|&id| match table.syscall_name(id) {
                Some(n) => n == name,
                None => generic == Some(name),
            })
            .collect();
        if generic == Some(name) {
            ids.insert(EVENT_CODE_LIMIT);
        }
        Some(ids)
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

/// Values of one event for the evaluator. Make one per event: it remembers what it looked
/// up for that event.
#[derive(Debug)]
pub struct EventSource<'c, 'e> {
    ctx: &'c EventCtx<'e>,
    scratch: &'c mut Scratch,
    fd: EventFd<'c>,
}

impl<'c, 'e> EventSource<'c, 'e> {
    /// The values of the event in `ctx`, formatted (where they must be) into `scratch`.
    pub fn new(ctx: &'c EventCtx<'e>, scratch: &'c mut Scratch) -> EventSource<'c, 'e> {
        EventSource {
            ctx,
            scratch,
            fd: EventFd::default(),
        }
    }

    /// True if the state holds the event's fd (looked up once for this source's fields).
    #[inline]
    pub(crate) fn has_event_fd(&mut self) -> bool {
        fd::event_fd(self.ctx, &mut self.fd).is_some()
    }
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
        match field.def.id {
            FieldId::Fd(id @ fd::Id::Net) => {
                fd::extract_all(id, self.ctx, field, |v| out.push(v));
            }
            FieldId::Fd(id) => {
                if let Some(v) = fd::value(id, self.ctx, &mut self.fd) {
                    out.push(v);
                }
            }
            _ => {
                if let Some(v) = extract(self.ctx, field, self.scratch) {
                    out.push(v);
                }
            }
        }
    }

    #[inline]
    fn peek(&mut self, field: &Field) -> Option<Option<Value<'_>>> {
        // Plugin fields and fd.net can give several values: those go through `extract`.
        if field.plugin.is_some() {
            return None;
        }
        Some(match field.def.id {
            FieldId::Fd(fd::Id::Net) => return None,
            // The commonest, each with its own code.
            FieldId::Fd(fd::Id::Name) => fd::value(fd::Id::Name, self.ctx, &mut self.fd),
            FieldId::Fd(fd::Id::Type) => fd::value(fd::Id::Type, self.ctx, &mut self.fd),
            FieldId::Fd(id) => fd::value(id, self.ctx, &mut self.fd),
            FieldId::Thread(thread::Id::Name) => thread::name(self.ctx),
            _ => extract(self.ctx, field, self.scratch),
        })
    }

    #[inline]
    fn event_code(&self) -> Option<u16> {
        // `evt.type` is the table's name for every code but the generic ones (see
        // `FieldCatalog::codes_shown_as`).
        let c = self.ctx.event.event_type();
        (2..EVENT_CODE_LIMIT).contains(&c).then_some(c)
    }
}

/// The event codes on which a builtin field can have a value, when that is not every code.
fn present_on(id: FieldId) -> Option<EventTypeSet> {
    use super::fd::Id as Fd;
    match id {
        // fd.num and fd.typechar have a value on every fd syscall, even without an fd.
        FieldId::Fd(Fd::Num | Fd::Typechar) => Some(fd_syscall_codes().clone()),
        FieldId::Fd(_) => Some(fd_event_codes().clone()),
        _ => None,
    }
}

/// Codes of the events that can have an fd, and of the fd syscalls (see
/// [`fd::fd_syscall`]).
fn fd_syscall_codes() -> &'static EventTypeSet {
    static CODES: std::sync::OnceLock<EventTypeSet> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let mut set = fd_event_codes().clone();
        for c in (0..EVENT_CODE_LIMIT).filter(|&c| fd::fd_syscall(c).is_some()) {
            set.insert(c);
        }
        set
    })
}

/// Codes of the events that can have an fd (see [`crate::state::may_have_fd`]).
fn fd_event_codes() -> &'static EventTypeSet {
    static CODES: std::sync::OnceLock<EventTypeSet> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let mut set: EventTypeSet = (0..EVENT_CODE_LIMIT)
            .filter(|&c| crate::state::may_have_fd(c))
            .collect();
        // Codes past the limit share one flag: keep them all (they are not in the tables).
        set.insert(EVENT_CODE_LIMIT);
        set
    })
}

#[cfg(test)]
mod tests {
    use crate::query::EventFilter;
    use scap::table;

    fn code(name: &str, exit: bool) -> u16 {
        let c = table::CURRENT.codes_named(name).next().unwrap_or(0);
        if exit {
            c | 1
        } else {
            c
        }
    }

    #[test]
    fn fd_fields_rule_out_events_without_an_fd() {
        let f = EventFilter::compile("fd.type=ipv4").unwrap();
        let p = f.program();
        // libsinsp's event-type set says nothing about fd fields...
        assert!(p.event_types().is_none());
        // ...but a check on one fails wherever there is no fd.
        assert!(!p.may_match_event(code("switch", false)));
        assert!(!p.may_match_event(code("futex", true)));
        assert!(p.may_match_event(code("read", true)));
        assert!(p.may_match_event(code("open", true)));
        // fd.num has a value on every fd syscall, and only there.
        let p = EventFilter::compile("fd.num=99999").unwrap();
        assert!(!p.program().may_match_event(code("switch", false)));
        assert!(!p.program().may_match_event(code("futex", true)));
        assert!(p.program().may_match_event(code("open", false)));
        assert!(p.program().may_match_event(code("read", true)));
        // Negated, an absent fd passes.
        let f = EventFilter::compile("not fd.name contains /etc").unwrap();
        assert!(f.program().may_match_event(code("switch", false)));
        let f = EventFilter::compile("proc.name=etcd or fd.type=ipv4").unwrap();
        assert!(f.program().may_match_event(code("switch", false)));
        let f = EventFilter::compile("proc.name=etcd and fd.type=ipv4").unwrap();
        assert!(!f.program().may_match_event(code("switch", false)));
        // Generic events are narrowed by the syscall they carry.
        let id = |name: &str| {
            (0..1024u16)
                .find(|&i| table::SYSDIG_0_29.syscall_name(i) == Some(name))
                .unwrap()
        };
        let f = EventFilter::compile("evt.type=open").unwrap();
        assert!(f.program().may_match_generic(id("open")));
        assert!(!f.program().may_match_generic(id("pselect6")));
        let f = EventFilter::compile("evt.type!=open and proc.name=x").unwrap();
        assert!(!f.program().may_match_generic(id("open")));
        assert!(f.program().may_match_generic(id("pselect6")));
        let f = EventFilter::compile("evt.type=syscall").unwrap();
        assert!(!f.program().may_match_generic(id("pselect6")));
        assert!(f.program().may_match_generic(2000));
        let f = EventFilter::compile("fd.name=x").unwrap();
        assert!(!f.program().may_match_generic(id("pselect6")));
        // fd.num has a value (-1) on fd syscalls without an fd, as an open's enter.
        let f = EventFilter::compile("fd.num=-1").unwrap();
        assert!(f.program().may_match_event(code("open", false)));
        assert!(f.program().may_match_event(code("socket", false)));
    }
}
