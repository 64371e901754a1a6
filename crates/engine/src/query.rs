//! A filter over the built-in fields, ready to run on events: what `scapkit read FILTER`,
//! the rules and the inspector use.

use std::fmt;

use crate::fields::{catalog::Catalog, catalog::EventSource, thread, Field, FieldId, Scratch};
use crate::filter::{self, CompileError, Filter, MacroResolver, Macros, ParseError};
use crate::session::EventCtx;

/// A filter that does not parse or compile.
#[derive(Debug)]
pub enum FilterError {
    /// Syntax error.
    Parse(ParseError),
    /// Unknown field, wrong type, bad value...
    Compile(CompileError),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Parse(e) => write!(f, "{e}"),
            FilterError::Compile(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FilterError {}

/// A compiled filter plus its per-evaluation scratch.
#[derive(Debug)]
pub struct EventFilter {
    filter: Filter<Field>,
    scratch: filter::Scratch,
    fields: Scratch,
    /// The leading check when it tests `proc.name` alone (see [`EventFilter::thread_gate`]).
    gate: Option<usize>,
}

impl EventFilter {
    /// Compile `text` against the built-in fields, with no macros.
    pub fn compile(text: &str) -> Result<EventFilter, FilterError> {
        EventFilter::compile_with(text, &Macros::new())
    }

    /// Compile `text` with macros and lists (Falco rules).
    pub fn compile_with(
        text: &str,
        macros: &dyn MacroResolver,
    ) -> Result<EventFilter, FilterError> {
        EventFilter::compile_in(text, macros, &Catalog::default())
    }

    /// Compile `text` with macros, resolving fields in `catalog` (plugins' fields too).
    pub fn compile_in(
        text: &str,
        macros: &dyn MacroResolver,
        catalog: &Catalog<'_>,
    ) -> Result<EventFilter, FilterError> {
        let ast = filter::parse(text).map_err(FilterError::Parse)?;
        let filter = filter::compile(&ast, catalog, macros).map_err(FilterError::Compile)?;
        let gate = filter.leading_check().and_then(|(i, slot)| {
            let f = filter.fields().get(slot)?;
            let comm = FieldId::Thread(thread::Id::Name);
            (f.plugin.is_none() && f.def.id == comm).then_some(i)
        });
        Ok(EventFilter {
            filter,
            scratch: filter::Scratch::new(),
            fields: Scratch::default(),
            gate,
        })
    }

    /// True if a field of the filter depends on thread or fd state.
    pub fn needs_state(&self) -> bool {
        self.filter
            .fields()
            .iter()
            .any(|f| f.plugin.is_some() || crate::fields::needs_state(f))
    }

    /// True when the filter fails on every event of a thread whose `proc.name` fails a test
    /// that comes first (`proc.name=etcd and ...`): a reader may then leave out the events
    /// of such a thread until its name can change (see [`EventFilter::thread_gate_fails`]).
    pub fn thread_gate(&self) -> bool {
        self.gate.is_some()
    }

    /// True when the event's thread fails that test: no event of the thread can match
    /// while its `proc.name` stays as it is.
    pub fn thread_gate_fails(&mut self, ctx: &EventCtx<'_>) -> bool {
        let Some(i) = self.gate else {
            return false;
        };
        let mut src = EventSource::new(ctx, &mut self.fields);
        !self.filter.eval_check_alone(i, &mut src, &mut self.scratch)
    }

    /// The compiled program (event-type set, warnings).
    pub fn program(&self) -> &Filter<Field> {
        &self.filter
    }

    /// True if the event matches. Events whose type the filter cannot match are rejected
    /// before any field is extracted.
    #[inline]
    pub fn matches(&mut self, ctx: &EventCtx<'_>) -> bool {
        if !self.filter.may_match_event(ctx.event.event_type()) {
            return false;
        }
        let mut src = EventSource::new(ctx, &mut self.fields);
        self.filter.eval(&mut src, &mut self.scratch)
    }
}
