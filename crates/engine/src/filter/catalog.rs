//! The seam between the filter and the field registry: [`FieldCatalog`] answers the compiler's
//! questions about names and types; [`FieldSource`] hands the evaluator the values of one event.

use std::fmt;

use super::evttype::EventTypeSet;
use super::values::ValueSink;
use crate::fields::value::{FieldType, Value};

/// What the catalog knows about a field once its name and argument are resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedField<F> {
    /// The catalog's handle, given back to [`FieldSource::extract`] (it may carry the parsed
    /// argument: `proc.aname[2]` and `proc.aname[3]` are different fields to the filter).
    pub field: F,
    /// The value type.
    pub ty: FieldType,
    /// The field yields a list (only `in`, `intersects` and `exists` apply). An indexed list
    /// field (`ec2.imageids[0]`) stays a list (quirk Q10): that is the catalog's call.
    pub list: bool,
    /// Transformers may not be applied to it (libsinsp `EPF_NO_TRANSFORMER`).
    pub no_transformers: bool,
    /// It may not be compared with a right-hand-side field (libsinsp `EPF_NO_RHS`).
    pub no_rhs_field: bool,
    /// Its values are event-type names (`evt.type`): the compiler checks them with
    /// [`FieldCatalog::event_codes`] and derives the filter's event-type set from them.
    pub event_type: bool,
    /// The event codes on which the field can have a value at all (`fd.name` needs an event
    /// with an fd), `None` for any: a check on it cannot pass elsewhere, so
    /// [`Filter::may_match_event`](super::Filter::may_match_event) rules the others out.
    pub present_on: Option<EventTypeSet>,
}

impl<F> ResolvedField<F> {
    /// A scalar field with no special flags.
    pub fn new(field: F, ty: FieldType) -> ResolvedField<F> {
        ResolvedField {
            field,
            ty,
            list: false,
            no_transformers: false,
            no_rhs_field: false,
            event_type: false,
            present_on: None,
        }
    }
}

/// Why a field did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// No field has this name (the compiler then suggests a near name).
    Unknown,
    /// The name exists but the argument is missing, unexpected or malformed; the text says why.
    Invalid(String),
}

/// The field registry, as the compiler sees it.
pub trait FieldCatalog {
    /// The handle for a resolved field (with its argument).
    type Field: Clone + PartialEq + fmt::Debug + Send + Sync;

    /// Resolves `name` with its optional `[arg]` (`Some("")` for `name[""]`).
    fn resolve(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField<Self::Field>, ResolveError>;

    /// Calls `f` with every field name (for "did you mean" suggestions).
    fn for_each_field_name(&self, f: &mut dyn FnMut(&str));

    /// Adds the codes of the events named `name` (`open`, `execve`, …) to `set`; false if no
    /// event has that name.
    fn event_codes(&self, name: &str, set: &mut EventTypeSet) -> bool;

    /// The codes (below [`EVENT_CODE_LIMIT`](super::EVENT_CODE_LIMIT)) of the events whose
    /// `evt.type` is `name` whatever else they hold, or `None` when the catalog cannot say.
    /// With it, `evt.type` checks are decided from the code alone on events for which
    /// [`FieldSource::event_code`] answers.
    fn codes_shown_as(&self, _name: &str) -> Option<EventTypeSet> {
        None
    }

    /// The syscall ids of the generic events (codes 0 and 1) whose `evt.type` is `name`
    /// (ids at or above [`EVENT_CODE_LIMIT`](super::EVENT_CODE_LIMIT) as one flag), or
    /// `None` when the catalog cannot say.
    fn generic_ids(&self, _name: &str) -> Option<EventTypeSet> {
        None
    }

    /// The port of a service name, for `PORT` fields (`fd.sport = http`). By default, looks in
    /// `/etc/services` as libsinsp's `getservbyname` does.
    fn service_port(&self, name: &str) -> Option<u16> {
        super::convert::lookup_service(name)
    }
}

/// The values of the current event, as the evaluator asks for them.
pub trait FieldSource {
    /// The catalog's field handle.
    type Field;

    /// Pushes the values of `field` for the current event into `out`: none when the field is
    /// absent (every comparison is then false), one for a scalar, any number for a list.
    /// Values are copied into the caller's scratch, so they may borrow from anything.
    fn extract(&mut self, field: &Self::Field, out: &mut ValueSink<'_>);

    /// The value of scalar `field` for the current event where it lies, without copying it:
    /// `Some(None)` when the field is absent, `None` when the source cannot (the value is
    /// then extracted with [`FieldSource::extract`]).
    fn peek(&mut self, _field: &Self::Field) -> Option<Option<Value<'_>>> {
        None
    }

    /// The current event's code when its `evt.type` follows from the code alone (see
    /// [`FieldCatalog::codes_shown_as`]); `None` to have `evt.type` extracted.
    fn event_code(&self) -> Option<u16> {
        None
    }
}
