//! Leaving out, at the decoder, the events that no one will see and that change no state.
//!
//! With a filter like `evt.type=open`, most events are neither shown nor parsed by the state
//! beyond their own thread's parser memory. The decoder replaces them with two small items: a
//! count (evt.num, evt.deltatime and the section's leading events stay exact) and, once per
//! thread and gap, a touch that stands for what they would have changed (see
//! [`State::touch`](crate::state::State::touch)). The session then handles a fraction of the
//! events, and the hand-over between threads shrinks with them.
//!
//! On a decoder thread it also builds each section's new state from the metadata blocks
//! that open it (see [`Item::Opening`]): that work, and freeing the state it replaces, would
//! otherwise fall on the session thread, which is the busier one.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use scap::table;
use scap::{Record, Records};

use crate::query::ThreadGate;
use crate::state;

/// Codes kept as they are: the sink may want them, or the state must parse them.
const KEEP: u8 = 0;
/// Generic events (codes 0 and 1) whose syscall id decides (see [`Plan::generic`]); never a
/// touch bit.
const GENERIC: u8 = 0x80;
/// Codes the plan may leave out (the event table has fewer); a constant bound keeps the
/// lookup cheap, and codes beyond it are kept, which is always correct.
const CODES: usize = 512;

/// Per event code: [`KEEP`] or the touch bits standing for a left-out event.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// By code; codes beyond the event table are kept (unknown events pass through untouched).
    class: Box<[u8; CODES]>,
    /// Touches are only needed when state is kept at all.
    touches: bool,
    /// When generic events (codes 0 and 1) are kept only because the sink may want some:
    /// the syscall ids it may want, the touch bits standing for the others, and the class of
    /// codes 0 and 1 otherwise.
    generic: Option<Generic>,
    /// By code: the class of an event of an excluded thread (see [`Excluded`]): the touch
    /// bits standing for it, or [`KEEP`] when the state must parse it all the same.
    unwanted: Box<[u8; CODES]>,
    /// By code: how a kept event of the code ends thread exclusions (`INV_*` bits).
    invalidates: Box<[u8; CODES]>,
    /// The test every event the consumer wants passes on its thread's name: threads that
    /// fail it are reported, or found in a section's opening (see [`Excluded`]).
    gate: Option<ThreadGate>,
}

/// [`Plan::invalidates`]: the event's thread may get a new name (or go).
const INV_TID: u8 = 1;
/// ... a clone's exit: the child, named by the first parameter in the parent (the parent
/// keeps its name) and by the event's tid in the child (where the parameter is 0).
const INV_CHILD: u8 = 2;
/// ... its thread goes only after the event: exclusions reported at the event are stale.
const INV_AFTER: u8 = 4;

/// How generic events are left out: by syscall id.
#[derive(Debug, Clone)]
struct Generic {
    /// By syscall id: may the sink want it.
    ids: Vec<bool>,
    /// For codes 0 and 1: the touch bits standing for an event left out.
    effects: [u8; 2],
    /// For codes 0 and 1: the class when the id decides nothing (wanted, or absent).
    class: [u8; 2],
}

/// The [`Plan::invalidates`] bits of code `ty`: the events after which a thread's
/// `proc.name` may differ (what the state's clone, execve, procexit and container parsers
/// change; a container event makes up a thread under its own tid, -1).
fn invalidation(ty: u16) -> u8 {
    let Some(info) = table::CURRENT.event(ty) else {
        return 0;
    };
    let exit = ty & 1 == 1;
    match info.name {
        "clone" | "fork" | "vfork" | "clone3" if exit => INV_CHILD,
        "execve" | "execveat" if exit => INV_TID,
        "procexit" => INV_TID | INV_AFTER,
        "container" => INV_TID,
        _ => 0,
    }
}

impl Plan {
    /// Which events to leave out, given which codes the consumer may show (`wanted`), which
    /// syscalls it may show among generic events (`wanted_syscall`), and whether the state
    /// is kept.
    pub(super) fn new(
        wanted: impl Fn(u16) -> bool,
        wanted_syscall: impl Fn(u16) -> bool,
        touches: bool,
    ) -> Plan {
        let len = table::CURRENT.len();
        // What a left-out event of type `ty` stands for (`None`: the state must parse it).
        let effect = |ty: u16| {
            if touches {
                state::touch_effect(ty)
            } else {
                Some(state::touch::LAST)
            }
        };
        // Left out, what an event of an excluded thread is (`None`: the state needs it) ...
        let stateful = |ty: u16| {
            if super::is_initial_state_type(ty) {
                None
            } else {
                effect(ty)
            }
        };
        // ... and what an event the sink may not want is.
        let base = |ty: u16| if wanted(ty) { None } else { stateful(ty) };
        // An enter and its exit go together: the exit's parser and evt.latency read the
        // enter, and a repeated exit matches the enter it follows.
        let paired = |f: &dyn Fn(u16) -> Option<u8>, ty: u16| match (f(ty), f(ty ^ 1)) {
            (Some(a), Some(_)) => a,
            _ => KEEP,
        };
        let mut class = Box::new([KEEP; CODES]);
        let mut unwanted = Box::new([KEEP; CODES]);
        let mut invalidates = Box::new([0u8; CODES]);
        let slots = class
            .iter_mut()
            .zip(unwanted.iter_mut())
            .zip(invalidates.iter_mut());
        for (c, ((slot, u), inv)) in slots.enumerate().take(len) {
            let Ok(ty) = u16::try_from(c) else {
                break;
            };
            *slot = paired(&base, ty);
            if touches {
                *u = paired(&stateful, ty);
            }
            *inv = invalidation(ty);
        }
        // Generic events change no state: if the sink wants them, it may still want only
        // those of some syscalls (an enter and its exit carry the same id).
        let generic = match (effect(0), effect(1)) {
            (Some(e0), Some(e1)) if wanted(0) || wanted(1) => {
                let ids: Vec<bool> = (0..crate::filter::EVENT_CODE_LIMIT)
                    .map(&wanted_syscall)
                    .collect();
                (!ids.iter().all(|&w| w)).then(|| {
                    let generic = Generic {
                        ids,
                        effects: [e0, e1],
                        class: [class[0], class[1]],
                    };
                    class[0] = GENERIC;
                    class[1] = GENERIC;
                    generic
                })
            }
            _ => None,
        };
        Plan {
            class,
            touches,
            generic,
            unwanted,
            invalidates,
            gate: None,
        }
    }

    /// The consumer wants no event of a thread whose `proc.name` fails `gate`: such threads,
    /// found in a section's opening or reported ([`Thin::exclude`]) while they keep their
    /// name, have their events left out too, those the state needs apart. Only with state
    /// kept (touches).
    pub(super) fn with_thread_gate(mut self, gate: ThreadGate) -> Plan {
        if self.touches {
            self.gate = Some(gate);
        }
        self
    }

    /// The gate of [`Plan::with_thread_gate`].
    pub(super) fn thread_gate(&self) -> Option<&ThreadGate> {
        self.gate.as_ref()
    }

    /// True when nothing is left out.
    pub(super) fn keeps_all(&self) -> bool {
        self.gate.is_none() && self.generic.is_none() && self.class.iter().all(|&c| c == KEEP)
    }

    /// [`KEEP`] or the touch bits standing for `ev` left out.
    #[inline(always)]
    fn class(&self, ev: &scap::Event<'_>) -> u8 {
        let class = self
            .class
            .get(usize::from(ev.event_type()))
            .copied()
            .unwrap_or(KEEP);
        if class == GENERIC {
            // By value: the event is copied only on this rare path.
            return self.generic_class(*ev);
        }
        class
    }

    /// [`Plan::class`] of a generic event, which its syscall id decides.
    #[cold]
    #[inline(never)]
    fn generic_class(&self, ev: scap::Event<'_>) -> u8 {
        let Some(generic) = &self.generic else {
            return KEEP;
        };
        let at = usize::from(ev.event_type() & 1);
        // The syscall id is the first parameter; without one, the event is kept.
        let id = ev
            .param(0)
            .and_then(|b| <[u8; 2]>::try_from(b.get(..2)?).ok())
            .map(u16::from_le_bytes);
        match id {
            Some(id) if !generic.ids.get(usize::from(id)).copied().unwrap_or(true) => {
                generic.effects.get(at).copied().unwrap_or(KEEP)
            }
            _ => generic.class.get(at).copied().unwrap_or(KEEP),
        }
    }
}

/// What the decoder hands over.
#[derive(Debug)]
pub(super) enum Item<'c> {
    /// A record (or the error that ends the input).
    Record(scap::Result<Record<'c>>),
    /// Events left out just before the next record.
    Skipped(Skipped),
    /// Left-out events of thread `tid` changed its parser memory (see `state::touch`).
    Touch { tid: u64, effect: u8 },
    /// A section header and the metadata blocks right after it, with the fresh state they
    /// build: the decoder thread builds it, so the session only swaps it in.
    Opening(Box<Opening<'c>>),
}

/// The start of a section, read ahead: see [`Item::Opening`].
#[derive(Debug)]
pub(super) struct Opening<'c> {
    /// The section header, then its leading metadata blocks, in file order.
    pub(super) records: Vec<Record<'c>>,
    /// A new state with those blocks applied, as the session would have built it.
    pub(super) state: state::State,
}

/// Section openings built where the records are decoded (see [`Item::Opening`]).
#[derive(Debug, Default)]
struct Openings<'c> {
    /// Off: section headers and metadata blocks go out as plain records.
    enabled: bool,
    /// The opening being read: its header has come, and no event yet.
    current: Option<Box<Opening<'c>>>,
}

impl<'c> Openings<'c> {
    /// True while an opening is being read: the next event must wait for it to go out.
    #[inline]
    fn is_open(&self) -> bool {
        self.current.is_some()
    }

    /// A record that is not an event: the start of an opening, part of the current one, or
    /// (after the current one) handed over as it is.
    fn record(&mut self, rec: scap::Result<Record<'c>>, out: &mut VecDeque<Item<'c>>) {
        match (rec, &mut self.current) {
            (Ok(rec @ Record::Section(_)), _) if self.enabled => {
                self.flush(out);
                self.current = Some(Box::new(Opening {
                    records: vec![rec],
                    state: state::State::default(),
                }));
            }
            (Ok(Record::Meta(block)), Some(opening)) => {
                opening.state.load_meta(&block);
                opening.records.push(Record::Meta(block));
            }
            (rec, _) => {
                self.flush(out);
                out.push_back(Item::Record(rec));
            }
        }
    }

    /// The current opening is complete (an event, another record or the end follows).
    #[inline]
    fn flush(&mut self, out: &mut VecDeque<Item<'c>>) {
        if let Some(mut opening) = self.current.take() {
            opening.state.settle_meta();
            out.push_back(Item::Opening(opening));
        }
    }
}

/// A run of left-out events.
#[derive(Debug, Clone, Copy)]
pub(super) struct Skipped {
    /// How many.
    pub(super) count: u64,
    /// Timestamp of the first.
    pub(super) first_ts: u64,
    /// Timestamp of the last.
    pub(super) last_ts: u64,
}

impl Skipped {
    /// No run (a count of 0): the decoder's state between runs.
    const NONE: Skipped = Skipped {
        count: 0,
        first_ts: 0,
        last_ts: 0,
    };

    /// One more left-out event, at `ts`.
    #[inline(always)]
    fn add(&mut self, ts: u64) {
        self.count += 1;
        self.last_ts = ts;
        if self.count == 1 {
            self.start(ts);
        }
    }

    /// The first left-out event of a run was at `ts`.
    #[cold]
    fn start(&mut self, ts: u64) {
        self.first_ts = ts;
    }

    /// Hands the run, if there is one, to `out`.
    #[inline(always)]
    fn flush<'c>(&mut self, out: &mut VecDeque<Item<'c>>) {
        if self.count > 0 {
            out.push_back(Item::Skipped(*self));
            *self = Skipped::NONE;
        }
    }
}

/// Threads touched since their last kept event, so that a thread's run of left-out events
/// costs one touch: direct-mapped on the tid, so a collision only costs a redundant touch.
const SEEN: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Seen {
    tid: u64,
    /// Touch bits already handed over since the thread's last kept event.
    effect: u8,
    /// Entries of an older generation are void: a section or metadata block can re-create or
    /// drop any thread.
    generation: u32,
}

/// The threads touched since their last kept event.
#[derive(Debug)]
struct Touched {
    seen: Box<[Seen; SEEN]>,
    generation: u32,
    /// The thread last looked up, and touch bits its entry surely holds (0: none known), so
    /// that a thread's events in a row skip the table.
    last_tid: u64,
    last_effect: u8,
}

impl Touched {
    fn new() -> Touched {
        let empty = Seen {
            tid: 0,
            effect: 0,
            generation: u32::MAX,
        };
        Touched {
            seen: Box::new([empty; SEEN]),
            generation: 0,
            last_tid: 0,
            last_effect: 0,
        }
    }

    #[inline]
    fn slot(tid: u64) -> usize {
        ((tid ^ (tid >> 8)) as usize) % SEEN
    }

    /// The touch to hand over for a left-out event of `tid`, unless one already covers it.
    /// `effect` is never 0 ([`KEEP`]).
    #[inline(always)]
    fn touch<'c>(&mut self, tid: u64, effect: u8) -> Option<Item<'c>> {
        if tid == self.last_tid && effect & !self.last_effect == 0 {
            return None;
        }
        self.touch_slot(tid, effect)
    }

    /// [`Touched::touch`] through the table.
    #[inline]
    fn touch_slot<'c>(&mut self, tid: u64, effect: u8) -> Option<Item<'c>> {
        let generation = self.generation;
        let seen = self.seen.get_mut(Self::slot(tid))?;
        let touch = if seen.tid == tid && seen.generation == generation {
            let touch = seen.effect & effect != effect;
            seen.effect |= effect;
            touch
        } else {
            *seen = Seen {
                tid,
                effect,
                generation,
            };
            true
        };
        // Only this entry's thread, a kept event or a reset can clear these bits again.
        self.last_tid = tid;
        self.last_effect = seen.effect;
        touch.then_some(Item::Touch { tid, effect })
    }

    /// A kept event of `tid`: its next left-out event needs a touch again.
    #[inline]
    fn kept(&mut self, tid: u64) {
        self.last_effect = 0;
        if let Some(seen) = self.seen.get_mut(Self::slot(tid)) {
            if seen.tid == tid {
                seen.effect = 0;
            }
        }
    }

    /// A section or metadata block may re-create or drop any thread: forget every entry.
    fn reset(&mut self) {
        self.last_effect = 0;
        // u32::MAX marks empty entries, so generations stay below it.
        self.generation = (self.generation + 1) % u32::MAX;
    }
}

/// Records of a capture, with the events the [`Plan`] leaves out replaced by [`Item::Skipped`]
/// and [`Item::Touch`].
#[derive(Debug)]
pub(super) struct Thin<'c> {
    records: Records<'c>,
    /// `None`: every record as it is.
    thinning: Option<Thinning>,
    openings: Openings<'c>,
}

/// A plan and how far the decoder is in applying it: one place, so that the decoder's loop
/// reaches all of it through one pointer.
#[derive(Debug)]
struct Thinning {
    plan: Plan,
    /// The left-out events not yet handed over ([`Skipped::NONE`] for none).
    run: Skipped,
    touched: Touched,
    /// Boxed: it keeps the decoder's state small to move.
    excluded: Box<Excluded>,
}

/// Renamed threads [`Excluded`] remembers at most (per section).
const RENAMED_MAX: usize = 1 << 16;

/// Threads whose events the consumer does not want while their `proc.name` stays as it is
/// (its filter starts with a `proc.name` test they fail): those of a section's opening, and
/// those it reports from its place in the input, behind the decoder's. An exclusion holds
/// until an event the decoder sees may rename or remove the thread ([`Plan::invalidates`]);
/// a report made before such an event is void, as the consumer had not seen it yet.
#[derive(Debug)]
struct Excluded {
    /// Direct-mapped on the tid: an entry of the current generation marks its tid
    /// excluded (a collision only keeps a thread's events).
    slots: Box<[(u64, u32); SEEN]>,
    generation: u32,
    /// Some entry may be of the current generation.
    any: bool,
    /// Input offset of the last event or record that may have renamed any thread.
    reset_at: u64,
    /// Per tid: input offset from which the thread may have another name.
    renamed_at: std::collections::HashMap<u64, u64>,
    /// For testing the threads of a section's opening.
    scratch: crate::filter::Scratch,
}

impl Excluded {
    fn new() -> Excluded {
        Excluded {
            slots: Box::new([(0, u32::MAX); SEEN]),
            generation: 0,
            any: false,
            reset_at: 0,
            renamed_at: std::collections::HashMap::new(),
            scratch: crate::filter::Scratch::new(),
        }
    }

    /// Every thread of `state` (a section's opening, in force from offset `at`) whose name
    /// fails `gate`.
    fn add_failing(&mut self, state: &state::State, gate: &ThreadGate, at: u64) {
        for t in state.threads() {
            if gate.fails(&t.comm, &mut self.scratch) {
                self.add(t.tid as u64, at);
            }
        }
    }

    #[inline(always)]
    fn contains(&self, tid: u64) -> bool {
        self.any
            && self
                .slots
                .get(Touched::slot(tid))
                .is_some_and(|&(t, g)| t == tid && g == self.generation)
    }

    /// The consumer's report: after the event at offset `at`, `tid`'s events are not wanted.
    fn add(&mut self, tid: u64, at: u64) {
        let stale = at < self.reset_at || self.renamed_at.get(&tid).is_some_and(|&r| r > at);
        if let (false, Some(slot)) = (stale, self.slots.get_mut(Touched::slot(tid))) {
            *slot = (tid, self.generation);
            self.any = true;
        }
    }

    /// `tid` may have another name from offset `at` on.
    fn rename(&mut self, tid: u64, at: u64) {
        // Bounded: past that many renamed threads, everything said so far is voided instead.
        if self.renamed_at.len() >= RENAMED_MAX {
            self.reset(at);
        }
        self.renamed_at.insert(tid, at);
        if let Some(slot) = self.slots.get_mut(Touched::slot(tid)) {
            if slot.0 == tid {
                slot.1 = u32::MAX;
            }
        }
    }

    /// Any thread may have another name from offset `at` on.
    fn reset(&mut self, at: u64) {
        self.reset_at = at;
        self.renamed_at.clear();
        self.any = false;
        // u32::MAX marks void entries, so generations stay below it.
        self.generation = (self.generation + 1) % u32::MAX;
    }

    /// A kept event whose code has the [`Plan::invalidates`] bits `inv`.
    #[cold]
    fn renaming_event(&mut self, ev: &scap::Event<'_>, inv: u8) {
        let at = ev.offset().0;
        // Its thread goes with the next event: a report made at this one is void.
        let from = if inv & INV_AFTER != 0 { at + 1 } else { at };
        if inv & INV_TID != 0 {
            self.rename(ev.tid(), from);
        }
        if inv & INV_CHILD != 0 {
            let res = ev
                .param(0)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(i64::from_le_bytes);
            match res {
                Some(child) if child > 0 => self.rename(child as u64, from),
                // A failed clone renames nothing.
                Some(child) if child < 0 => {}
                // The child's own exit, or a result that does not read as one.
                _ => self.rename(ev.tid(), from),
            }
        }
    }
}

impl<'c> Thin<'c> {
    /// `records` thinned by `plan` (`None`: every record as it is).
    pub(super) fn new(records: Records<'c>, plan: Option<Plan>) -> Thin<'c> {
        Thin {
            records,
            thinning: plan.filter(|p| !p.keeps_all()).map(|plan| Thinning {
                plan,
                run: Skipped::NONE,
                touched: Touched::new(),
                excluded: Box::new(Excluded::new()),
            }),
            openings: Openings::default(),
        }
    }

    /// Build each section's opening state here (see [`Item::Opening`]): worth it when this
    /// runs on another thread than the session.
    pub(super) fn build_openings(&mut self) {
        self.openings.enabled = true;
    }

    /// Offset of the next block to read.
    pub(super) fn position(&self) -> u64 {
        self.records.position()
    }

    /// The consumer's report that, after the event at offset `at`, it wants no event of
    /// thread `tid` while the thread keeps its name (see [`Plan::with_thread_gate`]).
    pub(super) fn exclude(&mut self, tid: u64, at: u64) {
        if let Some(t) = self.thinning.as_mut().filter(|t| t.plan.gate.is_some()) {
            t.excluded.add(tid, at);
        }
    }

    /// Appends the next items to `out` until it holds `room` of them (one more when a run and
    /// the record ending it come together), or the input ends: then false. One loop for a
    /// whole batch, so that handing over a kept event costs no more than storing it.
    pub(super) fn fill(&mut self, out: &mut VecDeque<Item<'c>>, room: usize) -> bool {
        let records = &mut self.records;
        let openings = &mut self.openings;
        let Some(t) = &mut self.thinning else {
            while out.len() < room {
                match records.next() {
                    None => {
                        openings.flush(out);
                        return false;
                    }
                    Some(rec @ Ok(Record::Event(_))) => {
                        openings.flush(out);
                        out.push_back(Item::Record(rec));
                    }
                    Some(rec) => openings.record(rec, out),
                }
            }
            return true;
        };
        while out.len() < room {
            // Inlined into the reader's loop: this runs for nearly every event. While an
            // opening is read, the general path below finds where it ends.
            if !openings.is_open() {
                let plain = records.try_for_each_plain_event(
                    #[inline(always)]
                    |ev| t.step(out, room, ev),
                );
                if plain.is_break() {
                    return true;
                }
            }
            // Not a plain event: the general path reads it, or the error, or the end.
            match records.next() {
                None => {
                    t.run.flush(out);
                    openings.flush(out);
                    return false;
                }
                Some(Ok(Record::Event(ev))) => {
                    if openings.is_open() {
                        openings.flush(out);
                        // The opening's threads the consumer wants nothing of, from the
                        // start (it would report them only after some of their events).
                        if let (Some(Item::Opening(o)), Some(gate)) = (out.back(), &t.plan.gate) {
                            t.excluded.add_failing(&o.state, gate, ev.offset().0);
                        }
                    }
                    if t.step(out, room, ev).is_break() {
                        return true;
                    }
                }
                Some(rec) => {
                    t.touched.reset();
                    // A section or metadata block may rename any thread.
                    t.excluded.reset(Records::position(records));
                    t.run.flush(out);
                    openings.record(rec, out);
                }
            }
        }
        true
    }
}

impl Thinning {
    /// The class of an event the plan keeps, with a thread gate: left out after all when
    /// its thread is excluded and the state does not need it. Out of line, so that the
    /// decoder's loop stays as small without a gate.
    #[inline(never)]
    fn gated_class(&mut self, ev: scap::Event<'_>) -> u8 {
        let code = usize::from(ev.event_type());
        let inv = self.plan.invalidates.get(code).copied().unwrap_or(0);
        if inv != 0 {
            self.excluded.renaming_event(&ev, inv);
        }
        let unwanted = self.plan.unwanted.get(code).copied().unwrap_or(KEEP);
        if unwanted != KEEP && self.excluded.contains(ev.tid()) {
            unwanted
        } else {
            KEEP
        }
    }

    /// One event: handed over to `out` (after the run it ends), or counted in the run and
    /// touched unless a touch already covers it. Breaks once `out` holds `room` items.
    #[inline(always)]
    fn step<'c>(
        &mut self,
        out: &mut VecDeque<Item<'c>>,
        room: usize,
        ev: scap::Event<'c>,
    ) -> ControlFlow<()> {
        let mut class = self.plan.class(&ev);
        if class == KEEP && self.plan.gate.is_some() {
            // By value: the event is copied only on this path.
            class = self.gated_class(ev);
        }
        if class == KEEP {
            self.touched.kept(ev.tid());
            self.run.flush(out);
            out.push_back(Item::Record(Ok(Record::Event(ev))));
        } else {
            self.run.add(ev.ts());
            if !self.plan.touches {
                return ControlFlow::Continue(());
            }
            match self.touched.touch(ev.tid(), class) {
                Some(t) => out.push_back(t),
                None => return ControlFlow::Continue(()),
            }
        }
        if out.len() >= room {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scap::Capture;

    /// A v2 event of code `ty` from thread `tid` whose only parameter is `res`.
    fn event_with_res(ty: u16, tid: u64, res: i64) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&tid.to_le_bytes());
        b.extend_from_slice(&(26u32 + 2 + 8).to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&8u16.to_le_bytes());
        b.extend_from_slice(&res.to_le_bytes());
        b
    }

    fn exit_code(name: &str) -> u16 {
        table::CURRENT
            .codes_named(name)
            .filter(|c| c & 1 == 1)
            .last()
            .unwrap()
    }

    #[test]
    fn renaming_codes() {
        assert_eq!(invalidation(exit_code("execve")), INV_TID);
        assert_eq!(invalidation(exit_code("execve") - 1), 0);
        for name in ["clone", "fork", "vfork", "clone3"] {
            assert_eq!(invalidation(exit_code(name)), INV_CHILD, "{name}");
        }
        let procexit = table::CURRENT.codes_named("procexit").next().unwrap();
        assert_eq!(invalidation(procexit), INV_TID | INV_AFTER);
        let container = table::CURRENT.codes_named("container").next().unwrap();
        assert_eq!(invalidation(container), INV_TID);
        assert_eq!(invalidation(exit_code("read")), 0);
        assert_eq!(invalidation(exit_code("open")), 0);
    }

    #[test]
    fn exclusions_end_where_a_thread_may_be_renamed() {
        let mut x = Excluded::new();
        x.add(7, 100);
        assert!(x.contains(7) && !x.contains(8));
        // An execve of 7 at 150: what was said before it is void, what is said at or
        // after it holds.
        let execve = event_with_res(exit_code("execve"), 7, 0);
        let ev = scap::Event::from_raw(&execve, 0, 0).unwrap();
        x.rename(ev.tid(), 150);
        assert!(!x.contains(7));
        x.add(7, 120);
        assert!(!x.contains(7));
        x.add(7, 150);
        assert!(x.contains(7));
        // A clone's exit in the parent (9) renames the child (11), not the parent; in the
        // child it renames the child; a failed clone renames nothing.
        x.add(9, 200);
        x.add(11, 200);
        let parent = event_with_res(exit_code("clone"), 9, 11);
        x.renaming_event(&scap::Event::from_raw(&parent, 0, 0).unwrap(), INV_CHILD);
        assert!(x.contains(9) && !x.contains(11));
        x.add(12, 200);
        let child = event_with_res(exit_code("clone"), 12, 0);
        x.renaming_event(&scap::Event::from_raw(&child, 0, 0).unwrap(), INV_CHILD);
        assert!(!x.contains(12));
        let failed = event_with_res(exit_code("clone"), 9, -1);
        x.renaming_event(&scap::Event::from_raw(&failed, 0, 0).unwrap(), INV_CHILD);
        assert!(x.contains(9));
        // A procexit: its thread goes with the next event, so a report made at the procexit
        // itself (offset 0 here) is void.
        x.add(13, 0);
        let exit = event_with_res(exit_code("execve"), 13, 0);
        x.renaming_event(
            &scap::Event::from_raw(&exit, 0, 0).unwrap(),
            INV_TID | INV_AFTER,
        );
        x.add(13, 0);
        assert!(!x.contains(13));
        x.add(13, 1);
        assert!(x.contains(13));
        // Past RENAMED_MAX renamed threads, what was said before is void.
        x.add(21, 300);
        for tid in 0..RENAMED_MAX as u64 {
            x.rename(1_000_000 + tid, 400);
        }
        assert!(x.renamed_at.len() <= RENAMED_MAX && !x.contains(21));
        x.add(9, 300);
        assert!(!x.contains(9));
        // A section or metadata block voids everything said before it.
        x.reset(500);
        assert!(!x.contains(9) && !x.contains(7));
        x.add(9, 499);
        assert!(!x.contains(9));
        x.add(9, 500);
        assert!(x.contains(9));
    }

    #[test]
    fn the_plan_covers_every_code_of_the_table() {
        // Codes beyond `CODES` would be kept: correct, but no longer left out.
        assert!(table::CURRENT.len() <= CODES);
    }

    #[test]
    fn left_out_events_are_counted_and_touched() {
        let shared = std::env::var("SCAPKIT_SHARED")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").into());
        let path = format!("{shared}/captures/bencer_k8s_troubleshooting_capture.scap");
        let Ok(cap) = Capture::open(std::path::Path::new(&path)) else {
            eprintln!("skipped: thinning counts (../shared not found)");
            return;
        };
        let all = cap
            .records()
            .filter(|r| matches!(r, Ok(Record::Event(_))))
            .count();
        let open = table::CURRENT.codes_named("open").collect::<Vec<_>>();
        let plan = Plan::new(|ty| open.contains(&ty), |_| true, true);
        let (mut kept, mut skipped, mut touches) = (0, 0, 0);
        let mut thin = Thin::new(cap.records(), Some(plan));
        let mut items = VecDeque::new();
        while thin.fill(&mut items, usize::MAX) {}
        for item in items {
            match item {
                Item::Record(Ok(Record::Event(ev))) => {
                    kept += 1;
                    // Kept: what the sink wants, and what changes state (close, clone, ...).
                    let ty = ev.event_type();
                    assert!(
                        open.contains(&ty)
                            || state::touch_effect(ty).is_none()
                            || state::touch_effect(ty ^ 1).is_none()
                    );
                }
                Item::Skipped(s) => skipped += s.count,
                Item::Touch { .. } => touches += 1,
                Item::Record(_) | Item::Opening(_) => {}
            }
        }
        assert_eq!(kept + skipped as usize, all);
        // Most events are left out, and a touch stands for several of them.
        assert!(skipped as usize > all * 3 / 4, "{skipped} of {all}");
        assert!(touches < skipped / 2, "{touches} touches for {skipped}");
    }
}
