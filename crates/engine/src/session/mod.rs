//! Reading captures as libsinsp does: numbering, hidden events, several inputs merged.
//!
//! A [`Session`] walks one or more [`scap::Capture`]s and hands every event to a [`Sink`]
//! together with its number and the state of its input. Several inputs are merged in
//! timestamp order (each keeps its own thread and fd state: tids of different machines
//! must not mix).

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

use scap::table::{self, code};
use scap::{Capture, Event, Record};

use crate::plugin::{Merged, PluginError, PluginManager};
use std::sync::{Arc, Mutex};

use crate::plugin::MapThreadTable;
use crate::query::ThreadGate;
use crate::state::table::Mirror;
use crate::state::State;

mod prefetch;
mod thin;
use prefetch::Source;
use thin::{Item, Plan};

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
    /// Loaded plugins, for plugin fields and `evt.plugininfo`.
    pub plugins: Option<&'a RefCell<PluginManager>>,
}

/// Something that goes wrong while reading one input; reading stops for that input only.
#[derive(Debug)]
pub struct InputError {
    /// Which input (the live plugin sources come after the captures).
    pub input: usize,
    /// What went wrong.
    pub error: InputFailure,
}

/// Why an input stopped early.
#[derive(Debug)]
pub enum InputFailure {
    /// The capture is damaged.
    Capture(scap::Error),
    /// A source plugin failed.
    Plugin(PluginError),
    /// A source plugin produced bytes that are not a valid event.
    BadPluginEvent(scap::Error),
}

impl fmt::Display for InputFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputFailure::Capture(e) => write!(f, "{e}"),
            InputFailure::Plugin(e) => write!(f, "{e}"),
            InputFailure::BadPluginEvent(e) => write!(f, "invalid event from a plugin: {e}"),
        }
    }
}

/// Receives events. Return `Ok(false)` to stop (as for `-n`).
pub trait Sink {
    /// Error type of the consumer (I/O, usually).
    type Error;
    /// One event.
    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error>;
    /// False when [`Sink::event`] would ignore an event of type `ty` hidden as `hidden`
    /// (filtered out by type, say): the session then skips the call. State is kept either way.
    /// Asked at the start of a run, once per type and kind: the answers must not change.
    fn wants(&self, _ty: u16, _hidden: Hidden) -> bool {
        true
    }
    /// For a generic event (codes 0 and 1, which [`Sink::wants`] accepted), false when the
    /// sink would ignore it because of the syscall it carries (`evt.type` is that syscall's
    /// name): the session may then leave it out too.
    fn wants_syscall(&self, _id: u16) -> bool {
        true
    }
    /// False when the sink uses no field that depends on thread or fd state: the session
    /// then skips state updates (metadata is still applied).
    fn needs_state(&self) -> bool {
        true
    }
    /// A test of a thread's `proc.name` that every event the sink wants passes (its filter's
    /// leading test, as in `proc.name=etcd and ...`): the reader then leaves out the events
    /// of threads that fail it, while they keep their name, but those the state needs.
    fn thread_gate(&self) -> Option<ThreadGate> {
        None
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
#[derive(Debug, Default)]
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

/// Where an input's events come from.
enum Feed<'c> {
    /// Records of a capture (decoded on a helper thread for large inputs).
    Capture(Box<Source<'c>>),
    /// The merged stream of the open source plugins; events are copied into `live_buf`.
    Plugins(&'c RefCell<PluginManager>),
}

impl Feed<'_> {
    fn position(&self) -> u64 {
        match self {
            Feed::Capture(r) => Source::position(r),
            Feed::Plugins(_) => 0,
        }
    }
}

struct Input<'c> {
    source: Feed<'c>,
    /// The pending live event's bytes (reused).
    live_buf: Vec<u8>,
    live_pending: bool,
    state: State,
    /// True until the first event that is not initial state in the current section.
    leading: bool,
    /// Next event, peeked for the merge.
    pending: Option<Event<'c>>,
    done: bool,
    len: u64,
}

/// Reads captures (and live plugin sources) and drives a [`Sink`].
#[derive(Debug)]
pub struct Session<'c> {
    captures: &'c [Capture],
    plugins: Option<&'c RefCell<PluginManager>>,
    live: bool,
    threads: Option<Arc<Mutex<MapThreadTable>>>,
    /// Decode large inputs on helper threads.
    helpers: bool,
}

/// How long to wait before polling source plugins again after they all timed out.
const SOURCE_POLL: Duration = Duration::from_millis(5);

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
        Session {
            captures,
            plugins: None,
            live: false,
            threads: None,
            helpers: true,
        }
    }

    /// Decode every input on the calling thread, without helper threads: for callers that
    /// already run the session in the background, or have one core to give it.
    pub fn on_one_thread(mut self) -> Session<'c> {
        self.helpers = false;
        self
    }

    /// Keep `table` (the `threads` table given to plugins at init) in step with the state
    /// of the first input, whenever a plugin uses it.
    pub fn with_thread_table(mut self, table: Arc<Mutex<MapThreadTable>>) -> Session<'c> {
        self.threads = Some(table);
        self
    }

    /// Make `plugins` available to fields (`ct.name`, `json.value`, `evt.plugininfo`) and
    /// let parse plugins see every event.
    pub fn with_plugins(mut self, plugins: &'c RefCell<PluginManager>) -> Session<'c> {
        self.plugins = Some(plugins);
        self
    }

    /// Also read the plugins' open sources (see [`PluginManager::open_sources`]) as one more
    /// input, merged with the captures by timestamp.
    pub fn with_live_sources(mut self) -> Session<'c> {
        self.live = self.plugins.is_some();
        self
    }

    /// Bytes of capture data to read (for progress bars).
    pub fn input_bytes(&self) -> u64 {
        self.captures.iter().map(|c| c.data().len() as u64).sum()
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
        let parsers = self.plugins.is_some_and(|p| {
            p.borrow()
                .plugins()
                .iter()
                .any(|x| x.capabilities().parsing)
        });
        // Mirroring costs a copy per thread change: only when a plugin asked for the table.
        let mut mirror = match (&self.threads, self.plugins) {
            (Some(t), Some(p)) if p.borrow().tables_in_use() => Some(Mirror::new(t.clone())),
            _ => None,
        };
        // Plugins may read the state through the table or their parse step.
        let stateless = !sink.needs_state() && !parsers && mirror.is_none();
        // Events no one shows are left out at the decoder, when that cannot change what is
        // shown: one capture (numbering several needs every event in merged order), and no
        // plugin that sees every event.
        let live = self.live && self.plugins.is_some();
        let plan = (self.captures.len() == 1 && !live && !parsers && mirror.is_none()).then(|| {
            let plan = Plan::new(
                |ty| Wanted::KINDS.iter().any(|&h| sink.wants(ty, h)),
                |id| sink.wants_syscall(id),
                !stateless,
            );
            match sink.thread_gate().filter(|_| !stateless) {
                Some(gate) => plan.with_thread_gate(gate),
                None => plan,
            }
        });
        // The threads the reader is told to leave out, each tested once per name it has.
        let mut gate = plan.as_ref().and_then(Gate::new);
        let new_input = |source, len| Input {
            source,
            live_buf: Vec::new(),
            live_pending: false,
            state: State::default(),
            leading: true,
            pending: None,
            done: false,
            len,
        };
        let mut inputs: Vec<Input<'c>> = self
            .captures
            .iter()
            .map(|c| {
                let source = Source::new(scope, c, plan.clone(), self.helpers);
                new_input(Feed::Capture(Box::new(source)), c.data().len() as u64)
            })
            .collect();
        if let (true, Some(p)) = (live, self.plugins) {
            inputs.push(new_input(Feed::Plugins(p), 0));
        }
        let total: u64 = inputs.iter().map(|i| i.len).sum();
        let wanted = Wanted::new(sink);
        let mut summary = Summary::default();
        let mut clock = Clock::default();
        let mut next_progress = PROGRESS_STEP;
        let mut since_progress = 0u64;
        // One capture: its events go straight to the sink, with no merge to wait in.
        let single = matches!(
            inputs.as_slice(),
            [Input {
                source: Feed::Capture(_),
                ..
            }]
        );
        loop {
            let mut next = None;
            if single {
                if let Some(input) = inputs.first_mut().filter(|i| !i.done) {
                    next = next_event(0, input, sink, &mut summary, &mut clock, stateless)?;
                }
                if next.is_none() {
                    break;
                }
            } else {
                for (idx, input) in inputs.iter_mut().enumerate() {
                    if !input.has_pending() && !input.done {
                        input.pending =
                            next_event(idx, input, sink, &mut summary, &mut clock, stateless)?;
                    }
                }
            }
            // The input whose pending event is oldest goes next (stable: lower index wins).
            let idx = if inputs.len() == 1 {
                0
            } else {
                let mut best: Option<(usize, u64)> = None;
                for (idx, input) in inputs.iter().enumerate() {
                    if let Some(ts) = input.pending_ts() {
                        if best.is_none_or(|(_, b)| ts < b) {
                            best = Some((idx, ts));
                        }
                    }
                }
                let Some((idx, _)) = best else { break };
                idx
            };
            let Some(input) = inputs.get_mut(idx) else {
                break;
            };
            let Input {
                source,
                pending,
                live_buf,
                live_pending,
                state,
                leading,
                ..
            } = input;
            let event = if let Some(ev) = next.or_else(|| pending.take()) {
                ev
            } else if std::mem::take(live_pending) {
                match Event::from_raw(live_buf, 0, 0) {
                    Ok(ev) => ev,
                    Err(e) => {
                        summary.errors.push(InputError {
                            input: idx,
                            error: InputFailure::BadPluginEvent(e),
                        });
                        continue;
                    }
                }
            } else {
                break;
            };
            clock.num += 1;
            let num = clock.num;
            let ty = event.event_type();
            let hidden = if *leading && is_initial_state_type(ty) {
                Hidden::InitialState
            } else {
                *leading = false;
                if event.dump_flags() & scap::event::DF_STATE_ONLY != 0 {
                    Hidden::StateOnly
                } else if display_table(ty).event(ty).is_some_and(|i| i.is_internal()) {
                    Hidden::Internal
                } else {
                    Hidden::No
                }
            };
            let latency = if stateless { 0 } else { state.parse(&event) };
            // Plugins see the first input's threads (a live source has no thread state).
            if let (Some(m), 0) = (&mut mirror, idx) {
                m.saw(ty, state);
                m.sync(state);
            }
            if let (true, Some(p)) = (parsers, self.plugins) {
                // A parse plugin's failure is only logged, as in libsinsp.
                if let Err(e) = p.borrow_mut().parse(event.raw(), num) {
                    eprintln!("warning: {e}");
                }
            }
            let ts = event.ts();
            let first = *clock.first_ts.get_or_insert(ts);
            let prev_ts = clock.prev_ts;
            let go_on = if wanted.get(sink, ty, hidden) {
                let ctx = EventCtx {
                    event,
                    num,
                    input: idx,
                    hidden,
                    first_ts: first,
                    prev_ts,
                    state,
                    latency,
                    plugins: self.plugins,
                };
                let go_on = sink.event(&ctx)?;
                if let (Some(g), Feed::Capture(source)) = (&mut gate, &mut *source) {
                    g.after_event(&ctx, source);
                }
                go_on
            } else {
                true
            };
            clock.prev_ts = ts;
            // Checking every 4096 events keeps progress off the per-event cost.
            since_progress += 1;
            if let Some(p) = progress.filter(|_| since_progress % 4096 == 0) {
                let done: u64 = inputs.iter().map(|i| i.source.position()).sum();
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
        summary.events = clock.num;
        Ok(summary)
    }
}

impl Input<'_> {
    fn has_pending(&self) -> bool {
        self.pending.is_some() || self.live_pending
    }

    fn pending_ts(&self) -> Option<u64> {
        match &self.pending {
            Some(ev) => Some(ev.ts()),
            None if self.live_pending => self
                .live_buf
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes),
            None => None,
        }
    }
}

/// [`Sink::wants`] for every code and kind, asked once: a table lookup per event.
struct Wanted {
    /// By code: bit `1 << (kind as u8)` set when the sink wants events of that code hidden
    /// as `kind`.
    by_code: Box<[u8; Wanted::CODES]>,
}

impl Wanted {
    /// Codes in the table; the sink itself answers for codes beyond.
    const CODES: usize = 512;
    const KINDS: [Hidden; 4] = [
        Hidden::No,
        Hidden::Internal,
        Hidden::InitialState,
        Hidden::StateOnly,
    ];

    fn new<S: Sink>(sink: &S) -> Wanted {
        let mut by_code = Box::new([0u8; Wanted::CODES]);
        for (code, bits) in (0u16..).zip(by_code.iter_mut()) {
            for kind in Wanted::KINDS {
                if sink.wants(code, kind) {
                    *bits |= 1 << kind as u8;
                }
            }
        }
        Wanted { by_code }
    }

    #[inline(always)]
    fn get<S: Sink>(&self, sink: &S, ty: u16, hidden: Hidden) -> bool {
        let bit = 1u8 << hidden as u8;
        match self.by_code.get(usize::from(ty)) {
            Some(bits) => bits & bit != 0,
            None => sink.wants(ty, hidden),
        }
    }
}

/// The sink's thread gate on the session side: the threads it tested, so that each is
/// tested once while the state's thread names stay as they are ([`State::names_version`];
/// direct-mapped on the tid), and those that fail are reported to the reader.
struct Gate {
    gate: ThreadGate,
    scratch: crate::filter::Scratch,
    tested: Box<[(u64, u64); Gate::SLOTS]>,
}

impl Gate {
    const SLOTS: usize = 1024;

    /// For a plan with a thread gate.
    fn new(plan: &Plan) -> Option<Gate> {
        Some(Gate {
            gate: plan.thread_gate()?.clone(),
            scratch: crate::filter::Scratch::new(),
            // Versions are never 0.
            tested: Box::new([(u64::MAX, 0); Gate::SLOTS]),
        })
    }

    /// After the sink saw `ctx`: tests the event's thread unless it was tested under the
    /// same thread names, and reports it to `source` if it fails.
    #[inline]
    fn after_event(&mut self, ctx: &EventCtx<'_>, source: &mut Source<'_>) {
        let tid = ctx.event.tid();
        let names = ctx.state.names_version();
        let Some(slot) = self.tested.get_mut((tid as usize) % Gate::SLOTS) else {
            return;
        };
        if *slot == (tid, names) {
            return;
        }
        *slot = (tid, names);
        // Only a thread the state knows: an unknown one may yet appear under another name.
        let Some(t) = ctx.state.thread(tid as i64) else {
            return;
        };
        if self.gate.fails(&t.comm, &mut self.scratch) {
            source.exclude(tid, ctx.event.offset().0);
        }
    }
}

/// The session's event count and times, which left-out events advance too.
#[derive(Debug, Default)]
struct Clock {
    /// Events so far (the last one's `evt.num`).
    num: u64,
    /// Timestamp of the first event.
    first_ts: Option<u64>,
    /// Timestamp of the last event.
    prev_ts: u64,
}

/// The next event of `input` (none when it ends, and then `input.done`), applying metadata
/// (and left-out events) on the way. A live source's event waits in `input.live_buf`.
#[inline(always)]
fn next_event<'c, S: Sink>(
    idx: usize,
    input: &mut Input<'c>,
    sink: &mut S,
    summary: &mut Summary,
    clock: &mut Clock,
    stateless: bool,
) -> Result<Option<Event<'c>>, S::Error> {
    let records = match &mut input.source {
        Feed::Capture(r) => r,
        Feed::Plugins(p) => {
            fill_live(idx, p, input, summary);
            return Ok(None);
        }
    };
    loop {
        let rec = match records.next() {
            Some(Item::Record(rec)) => Some(rec),
            Some(Item::Skipped(run)) => {
                clock.num += run.count;
                clock.first_ts.get_or_insert(run.first_ts);
                clock.prev_ts = run.last_ts;
                // Initial-state events are never left out: a left-out one ends them.
                input.leading = false;
                continue;
            }
            Some(Item::Touch { tid, effect }) => {
                if !stateless {
                    input.state.touch(tid, effect);
                }
                continue;
            }
            Some(Item::Opening(opening)) => {
                // What the records below would do to the state, done on the decoder thread.
                let thin::Opening {
                    records: opened,
                    state,
                } = *opening;
                records.retire(std::mem::replace(&mut input.state, state));
                input.leading = true;
                for rec in &opened {
                    sink.record(idx, rec)?;
                }
                continue;
            }
            None => None,
        };
        let rec = match rec {
            None => {
                input.done = true;
                return Ok(None);
            }
            Some(Err(error)) => {
                summary.errors.push(InputError {
                    input: idx,
                    error: InputFailure::Capture(error),
                });
                input.done = true;
                return Ok(None);
            }
            Some(Ok(Record::Event(ev))) => {
                return Ok(Some(ev));
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

/// Take the next event of the merged source plugins, waiting while they all time out.
fn fill_live(
    idx: usize,
    plugins: &RefCell<PluginManager>,
    input: &mut Input<'_>,
    summary: &mut Summary,
) {
    loop {
        let mut manager = plugins.borrow_mut();
        match manager.next_event() {
            Ok(Merged::Event { bytes, .. }) => {
                input.live_buf.clear();
                input.live_buf.extend_from_slice(bytes);
                input.live_pending = true;
                return;
            }
            Ok(Merged::Timeout) => {
                drop(manager);
                std::thread::sleep(SOURCE_POLL);
            }
            Ok(Merged::Eof) => {
                input.done = true;
                return;
            }
            Err(e) => {
                summary.errors.push(InputError {
                    input: idx,
                    error: InputFailure::Plugin(e),
                });
                input.done = true;
                return;
            }
        }
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
