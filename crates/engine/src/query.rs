//! A filter over the built-in fields, ready to run on events: what `scapkit read FILTER`,
//! the rules and the inspector use.

use std::fmt;

use std::sync::Arc;

use crate::fields::value::Value;
use crate::fields::{catalog::Catalog, catalog::EventSource, fd, thread, Field, FieldId, Scratch};
use crate::filter::{self, CompileError, Filter, MacroResolver, Macros, ParseError};
use crate::filter::{FieldSource, ValueSink};
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
    gate: Option<ThreadGate>,
    /// The leading check when it tests an fd field alone, with its last answer.
    fd_memo: Option<FdMemo>,
}

/// A leading check on a field of the event's fd (`fd.name contains /etc and ...`) and its
/// answer for the last fd it was tested on. While the state's [`fd_version`] stays the same,
/// the same thread's same fd number finds the same fd, so the answer stands: the events of
/// an fd come in runs (a read's enter and exit, reads in a loop), and most then skip the fd
/// lookup and the test.
///
/// [`fd_version`]: crate::state::State::fd_version
#[derive(Debug)]
struct FdMemo {
    check: usize,
    /// The check is the whole filter: its answer is the filter's.
    alone: bool,
    /// Thread, fd number and state version of the last answer.
    key: Option<(u64, i64, u64)>,
    pass: bool,
}

impl FdMemo {
    /// For a filter that starts with a test of one fd field that reads only the fd itself.
    fn of(filter: &Filter<Field>) -> Option<FdMemo> {
        let (check, slot) = filter.leading_check()?;
        let f = filter.fields().get(slot)?;
        // fd.name_changed is about the event, fd.net gives two values.
        let of_the_fd = match f.def.id {
            FieldId::Fd(id) => !matches!(id, fd::Id::NameChanged | fd::Id::Net),
            _ => false,
        };
        (f.plugin.is_none() && of_the_fd).then(|| FdMemo {
            check,
            alone: filter.is_one_check(),
            key: None,
            pass: false,
        })
    }

    /// What the check's answer for the event depends on, when that is the event's fd alone
    /// (with no fd, or on a failed open, the value comes from the event): the thread, the fd
    /// number and the state's version.
    #[inline]
    fn key(ctx: &EventCtx<'_>) -> Option<(u64, i64, u64)> {
        let state = ctx.state;
        let num = state.event_fd_num()?;
        state
            .failed_open_name()
            .is_empty()
            .then(|| (ctx.event.tid(), num, state.fd_version()))
    }

    /// The check's answer for the fd of `key`, tested now unless it is the last one tested.
    /// Only an fd the state holds: the value of a missing one depends on the event.
    fn answer(
        &mut self,
        key: (u64, i64, u64),
        filter: &Filter<Field>,
        src: &mut EventSource<'_, '_>,
        scratch: &mut filter::Scratch,
    ) -> Option<bool> {
        if self.key != Some(key) {
            if !src.has_event_fd() {
                return None;
            }
            self.pass = filter.eval_check_alone(self.check, src, scratch);
            self.key = Some(key);
        }
        Some(self.pass)
    }
}

/// The leading `proc.name` test of a filter (`proc.name=etcd and ...`), on its own: a thread
/// whose name fails it has no event the filter can match while it keeps that name.
#[derive(Debug, Clone)]
pub struct ThreadGate {
    filter: Arc<Filter<Field>>,
    check: usize,
}

impl ThreadGate {
    /// True when a thread named `comm` (its `proc.name`) fails the test.
    pub fn fails(&self, comm: &[u8], scratch: &mut filter::Scratch) -> bool {
        !self
            .filter
            .eval_check_alone(self.check, &mut Comm(comm), scratch)
    }
}

/// A thread's name as the only field value: the gate's check reads nothing else.
struct Comm<'a>(&'a [u8]);

impl FieldSource for Comm<'_> {
    type Field = Field;

    fn extract(&mut self, _field: &Field, out: &mut ValueSink<'_>) {
        out.push(Value::Bytes(self.0));
    }

    fn peek(&mut self, _field: &Field) -> Option<Option<Value<'_>>> {
        Some(Some(Value::Bytes(self.0)))
    }
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
        let gate = filter.leading_check().and_then(|(check, slot)| {
            let f = filter.fields().get(slot)?;
            let comm = FieldId::Thread(thread::Id::Name);
            (f.plugin.is_none() && f.def.id == comm).then(|| ThreadGate {
                filter: Arc::new(filter.clone()),
                check,
            })
        });
        Ok(EventFilter {
            fd_memo: FdMemo::of(&filter),
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

    /// The filter's leading `proc.name` test, when it has one (`proc.name=etcd and ...`): a
    /// reader may leave out the events of a thread that fails it until its name can change.
    pub fn thread_gate(&self) -> Option<&ThreadGate> {
        self.gate.as_ref()
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
        // The answer for the fd last tested, without the evaluator's setup.
        let key = match &self.fd_memo {
            Some(memo) => match FdMemo::key(ctx) {
                Some(key) if memo.key == Some(key) => {
                    if !memo.pass {
                        return false;
                    }
                    if memo.alone {
                        return true;
                    }
                    Some(key)
                }
                key => key,
            },
            None => None,
        };
        self.evaluate(ctx, key)
    }

    /// [`EventFilter::matches`] past the event type, `key` being the event's fd for the
    /// leading fd test (see [`FdMemo`]).
    #[inline(never)]
    fn evaluate(&mut self, ctx: &EventCtx<'_>, key: Option<(u64, i64, u64)>) -> bool {
        let mut src = EventSource::new(ctx, &mut self.fields);
        if let (Some(memo), Some(key)) = (&mut self.fd_memo, key) {
            match memo.answer(key, &self.filter, &mut src, &mut self.scratch) {
                Some(false) => return false,
                Some(true) if memo.alone => return true,
                _ => {}
            }
        }
        self.filter.eval(&mut src, &mut self.scratch)
    }
}
