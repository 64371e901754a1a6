//! Reading captures as libsinsp does: numbering, hidden events, several inputs merged.
//!
//! A [`Session`] walks one or more [`scap::Capture`]s and hands every event to a [`Sink`]
//! together with its number and the state of its input. Several inputs are merged in
//! timestamp order (each keeps its own thread and fd state: tids of different machines
//! must not mix).

use scap::table::{self, code};
use scap::{Capture, Event, Record};

use crate::state::State;

mod prefetch;
use prefetch::Source;

/// Why an event is not shown by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// Shown.
    No,
    /// `EC_INTERNAL` (procinfo, ...): shown with `-D`.
    Internal,
    /// Initial-state event at the start of a section (container, user and group lists):
    /// consumed while opening, numbered, never printed.
    InitialState,
    /// Dump flag `STATE_ONLY`: updates state, never printed.
    StateOnly,
}

/// One event as a consumer sees it.
#[derive(Debug)]
pub struct EventCtx<'a> {
    /// The event.
    pub event: Event<'a>,
    /// `evt.num`: 1-based, counting every event of every input.
    pub num: u64,
    /// Which input (index into the session's captures).
    pub input: usize,
    /// Whether and why it is hidden by default.
    pub hidden: Hidden,
    /// Timestamp of the first event of the session (for `evt.reltime`).
    pub first_ts: u64,
    /// Timestamp of the previous event given to the sink (for `evt.deltatime`).
    pub prev_ts: u64,
    /// Thread/fd state of the event's input, already updated by this event.
    pub state: &'a State,
    /// `evt.latency`: ns since the matching enter event (exit events), else 0.
    pub latency: u64,
}

/// Something that goes wrong while reading one input; reading stops for that input only.
#[derive(Debug, Clone)]
pub struct InputError {
    /// Which input.
    pub input: usize,
    /// The reader's error.
    pub error: scap::Error,
}

/// Receives events. Return `Ok(false)` to stop (as for `-n`).
pub trait Sink {
    /// Error type of the consumer (I/O, usually).
    type Error;
    /// One event.
    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error>;
    /// False when [`Sink::event`] would ignore an event of type `ty` hidden as `hidden`
    /// (filtered out by type, say): the session then skips the call. State is kept either way.
    fn wants(&self, _ty: u16, _hidden: Hidden) -> bool {
        true
    }
    /// A non-event record (section header, metadata block, unknown block), in file order,
    /// after the state has applied it. Writers copy metadata from here.
    fn record(&mut self, _input: usize, _record: &Record<'_>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Reports progress in bytes of input consumed.
pub trait Progress {
    /// `done` of `total` bytes read (called every few MiB, not per event).
    fn on_bytes(&self, done: u64, total: u64);
}

/// Statistics of a finished run.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Events delivered (numbered).
    pub events: u64,
    /// Unknown blocks skipped.
    pub unknown_blocks: u64,
    /// Errors that ended an input early.
    pub errors: Vec<InputError>,
    /// True when the sink asked to stop.
    pub stopped: bool,
}

/// How often progress is reported.
const PROGRESS_STEP: u64 = 8 << 20;

struct Input<'c> {
    records: Source<'c>,
    state: State,
    /// True until the first event that is not initial state in the current section.
    leading: bool,
    /// Next event, peeked for the merge.
    pending: Option<Event<'c>>,
    done: bool,
    len: u64,
}

/// Reads captures and drives a [`Sink`].
#[derive(Debug)]
pub struct Session<'c> {
    captures: &'c [Capture],
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("done", &self.done).finish()
    }
}

/// True for the event types libsinsp consumes as initial state when they lead a section.
pub fn is_initial_state_type(ty: u16) -> bool {
    matches!(
        ty,
        code::CONTAINER_E
            | code::CONTAINER_JSON_E
            | code::CONTAINER_JSON_2_E
            | code::USER_ADDED_E
            | code::USER_DELETED_E
            | code::GROUP_ADDED_E
            | code::GROUP_DELETED_E
            | code::ASYNCEVENT_E
    )
}

impl<'c> Session<'c> {
    /// A session over `captures`, merged by timestamp when there are several.
    pub fn new(captures: &'c [Capture]) -> Session<'c> {
        Session { captures }
    }

    /// Read everything, handing events to `sink`. Large inputs are decoded on helper
    /// threads; the sink is called on this one.
    pub fn run<S: Sink>(
        &self,
        sink: &mut S,
        progress: Option<&dyn Progress>,
    ) -> Result<Summary, S::Error> {
        std::thread::scope(|scope| self.run_in(scope, sink, progress))
    }

    fn run_in<'s, S: Sink>(
        &self,
        scope: &'s std::thread::Scope<'s, '_>,
        sink: &mut S,
        progress: Option<&dyn Progress>,
    ) -> Result<Summary, S::Error>
    where
        'c: 's,
    {
        let mut inputs: Vec<Input<'c>> = self
            .captures
            .iter()
            .map(|c| Input {
                records: Source::new(scope, c),
                state: State::default(),
                leading: true,
                pending: None,
                done: false,
                len: c.data().len() as u64,
            })
            .collect();
        let total: u64 = inputs.iter().map(|i| i.len).sum();
        let mut summary = Summary::default();
        let mut num = 0u64;
        let mut first_ts = None;
        let mut prev_ts = 0u64;
        let mut next_progress = PROGRESS_STEP;
        loop {
            for (idx, input) in inputs.iter_mut().enumerate() {
                if input.pending.is_none() && !input.done {
                    fill(idx, input, sink, &mut summary)?;
                }
            }
            // The input whose pending event is oldest goes next (stable: lower index wins).
            let idx = if inputs.len() == 1 {
                0
            } else {
                let mut best: Option<(usize, u64)> = None;
                for (idx, input) in inputs.iter().enumerate() {
                    if let Some(ev) = &input.pending {
                        if best.is_none_or(|(_, ts)| ev.ts() < ts) {
                            best = Some((idx, ev.ts()));
                        }
                    }
                }
                let Some((idx, _)) = best else { break };
                idx
            };
            let Some(input) = inputs.get_mut(idx) else {
                break;
            };
            let Some(event) = input.pending.take() else {
                break;
            };
            num += 1;
            let ty = event.event_type();
            let hidden = if input.leading && is_initial_state_type(ty) {
                Hidden::InitialState
            } else {
                input.leading = false;
                if event.dump_flags() & scap::event::DF_STATE_ONLY != 0 {
                    Hidden::StateOnly
                } else if display_table(ty).event(ty).is_some_and(|i| i.is_internal()) {
                    Hidden::Internal
                } else {
                    Hidden::No
                }
            };
            let latency = input.state.parse(&event);
            let ts = event.ts();
            let first = *first_ts.get_or_insert(ts);
            let go_on = !sink.wants(ty, hidden)
                || sink.event(&EventCtx {
                    event,
                    num,
                    input: idx,
                    hidden,
                    first_ts: first,
                    prev_ts,
                    state: &input.state,
                    latency,
                })?;
            prev_ts = ts;
            // Checking every 4096 events keeps progress off the per-event cost.
            if let Some(p) = progress.filter(|_| num % 4096 == 0) {
                let done: u64 = inputs.iter().map(|i| i.records.position()).sum();
                if done >= next_progress {
                    p.on_bytes(done, total);
                    next_progress = done + PROGRESS_STEP;
                }
            }
            if !go_on {
                summary.stopped = true;
                break;
            }
        }
        if let Some(p) = progress {
            p.on_bytes(total, total);
        }
        summary.events = num;
        Ok(summary)
    }
}

/// Advance `input` to its next event, applying metadata on the way.
fn fill<'c, S: Sink>(
    idx: usize,
    input: &mut Input<'c>,
    sink: &mut S,
    summary: &mut Summary,
) -> Result<(), S::Error> {
    loop {
        let rec = match input.records.next() {
            None => {
                input.done = true;
                return Ok(());
            }
            Some(Err(error)) => {
                summary.errors.push(InputError { input: idx, error });
                input.done = true;
                return Ok(());
            }
            Some(Ok(Record::Event(ev))) => {
                input.pending = Some(ev);
                return Ok(());
            }
            Some(Ok(rec)) => rec,
        };
        match &rec {
            Record::Section(_) => {
                // A concatenated capture starts: libsinsp restarts with fresh state.
                input.state = State::default();
                input.leading = true;
            }
            Record::Meta(block) => input.state.load_meta(block),
            Record::Unknown(_) => summary.unknown_blocks += 1,
            Record::Event(_) => {}
        }
        sink.record(idx, &rec)?;
    }
}

/// The table used to name and classify event `ty` for display: sysdig 0.29.3's for the
/// codes it knows (so output matches it), the current one beyond.
pub fn display_table(ty: u16) -> &'static table::Table {
    if usize::from(ty) < table::SYSDIG_0_29.len() {
        table::SYSDIG_0_29
    } else {
        table::CURRENT
    }
}
