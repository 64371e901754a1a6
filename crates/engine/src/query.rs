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
    /// The leading check when it tests the thread's name or an fd field alone, with its
    /// last answers.
    memo: Option<Memo>,
}

/// A leading check that reads only the event's thread name (`proc.name=etcd and ...`) or
/// only the event's fd (`fd.name contains /etc and ...`), with its answers for the threads
/// or fds it was last tested on. While the state's [`names_version`] (or [`fd_version`])
/// stays the same, the same thread (and fd number) finds the same name (or fd), so an answer
/// stands: most events then skip the lookup and the test.
///
/// [`names_version`]: crate::state::State::names_version
/// [`fd_version`]: crate::state::State::fd_version
#[derive(Debug)]
struct Memo {
    check: usize,
    /// The check is the whole filter: its answer is the filter's.
    alone: bool,
    /// What the check reads.
    fd: bool,
    /// Direct-mapped on the thread and fd: what an answer was given for (thread, fd number
    /// or -1, state version), and the answer.
    slots: Box<[(Key, bool); Memo::SLOTS]>,
}

/// What a [`Memo`] answer depends on: thread, fd number (-1 for a thread test) and version.
type Key = (u64, i64, u64);

impl Memo {
    const SLOTS: usize = 64;

    /// For `filter`, whose leading check is `lead`.
    fn new(filter: &Filter<Field>, lead: Lead) -> Memo {
        // No entry matches a key with this version: versions start above 0.
        let empty = ((0, 0, 0), false);
        Memo {
            check: lead.check,
            alone: filter.is_one_check(),
            fd: lead.fd,
            slots: Box::new([empty; Memo::SLOTS]),
        }
    }

    /// What the check's answer for the event depends on, when that is the event's thread
    /// or fd alone (with no fd, or on a failed open, an fd field's value comes from the
    /// event).
    #[inline]
    fn key(&self, ctx: &EventCtx<'_>) -> Option<Key> {
        let state = ctx.state;
        let tid = ctx.event.tid();
        if !self.fd {
            return Some((tid, -1, state.names_version()));
        }
        let num = state.event_fd_num()?;
        state
            .failed_open_name()
            .is_empty()
            .then(|| (tid, num, state.fd_version()))
    }

    #[inline]
    fn slot(key: Key) -> usize {
        (key.0 ^ (key.0 >> 6) ^ (key.1 as u64).wrapping_mul(7)) as usize % Memo::SLOTS
    }

    /// The answer given for `key`, if it is remembered (see [`EventFilter::matches`]).
    #[inline]
    fn recall(&self, key: Key) -> Option<bool> {
        match self.slots.get(Memo::slot(key)) {
            Some(&(k, pass)) if k == key => Some(pass),
            _ => None,
        }
    }

    /// The check's answer for `key`, which is not remembered, tested now and remembered.
    /// Only for a thread or fd the state holds: the value of a missing one depends on the
    /// event.
    fn learn(
        &mut self,
        key: Key,
        ctx: &EventCtx<'_>,
        filter: &Filter<Field>,
        src: &mut EventSource<'_, '_>,
        scratch: &mut filter::Scratch,
    ) -> Option<bool> {
        let known = if self.fd {
            src.has_event_fd()
        } else {
            ctx.state.thread(key.0 as i64).is_some()
        };
        if !known {
            return None;
        }
        let pass = filter.eval_check_alone(self.check, src, scratch);
        if let Some(slot) = self.slots.get_mut(Memo::slot(key)) {
            *slot = (key, pass);
        }
        Some(pass)
    }
}

/// A filter's leading check when it reads only the event's thread name or only its fd.
#[derive(Debug, Clone, Copy)]
struct Lead {
    check: usize,
    /// The check reads the fd (else `proc.name`).
    fd: bool,
}

impl Lead {
    /// The leading check of `filter` (see [`Filter::leading_check`]), when it tests
    /// `proc.name`, or one fd field that reads only the fd itself.
    fn of(filter: &Filter<Field>) -> Option<Lead> {
        let (check, slot) = filter.leading_check()?;
        let f = filter.fields().get(slot).filter(|f| f.plugin.is_none())?;
        let fd = match f.def.id {
            FieldId::Thread(thread::Id::Name) => false,
            // fd.name_changed is about the event, fd.net gives two values.
            FieldId::Fd(id) if !matches!(id, fd::Id::NameChanged | fd::Id::Net) => true,
            _ => return None,
        };
        Some(Lead { check, fd })
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
        let lead = Lead::of(&filter);
        let gate = lead.filter(|l| !l.fd).map(|l| ThreadGate {
            filter: Arc::new(filter.clone()),
            check: l.check,
        });
        Ok(EventFilter {
            memo: lead.map(|l| Memo::new(&filter, l)),
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
        // A remembered answer, without the evaluator's setup; else what to learn.
        let mut learn = None;
        if let Some(memo) = &self.memo {
            if let Some(key) = memo.key(ctx) {
                match memo.recall(key) {
                    Some(false) => return false,
                    Some(true) if memo.alone => return true,
                    Some(true) => {}
                    None => learn = Some(key),
                }
            }
        }
        self.evaluate(ctx, learn)
    }

    /// [`EventFilter::matches`] past the event type and what [`Memo`] remembers; `learn`:
    /// the key of a leading check's answer to test and remember first.
    #[inline(never)]
    fn evaluate(&mut self, ctx: &EventCtx<'_>, learn: Option<Key>) -> bool {
        let mut src = EventSource::new(ctx, &mut self.fields);
        if let (Some(memo), Some(key)) = (&mut self.memo, learn) {
            match memo.learn(key, ctx, &self.filter, &mut src, &mut self.scratch) {
                Some(false) => return false,
                Some(true) if memo.alone => return true,
                _ => {}
            }
        }
        self.filter.eval(&mut src, &mut self.scratch)
    }
}
