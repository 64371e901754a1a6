//! Leaving out, at the decoder, the events that no one will see and that change no state.
//!
//! With a filter like `evt.type=open`, most events are neither shown nor parsed by the state
//! beyond their own thread's parser memory. The decoder replaces them with two small items: a
//! count (evt.num, evt.deltatime and the section's leading events stay exact) and, once per
//! thread and gap, a touch that stands for what they would have changed (see
//! [`State::touch`](crate::state::State::touch)). The session then handles a fraction of the
//! events, and the hand-over between threads shrinks with them.

use scap::table;
use scap::{Record, Records};

use crate::state;

/// Codes kept as they are: the sink may want them, or the state must parse them.
const KEEP: u8 = 0;

/// Per event code: [`KEEP`] or the touch bits standing for a left-out event.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    class: Vec<u8>,
    /// Touches are only needed when state is kept at all.
    touches: bool,
    /// When generic events (codes 0 and 1) are kept only because the sink may want some:
    /// the syscall ids it may want, and the touch bits standing for the others.
    generic: Option<(Vec<bool>, [u8; 2])>,
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
        let base = |ty: u16| -> Option<u8> {
            if wanted(ty) || super::is_initial_state_type(ty) {
                return None;
            }
            effect(ty)
        };
        let class = (0..len)
            .map(|c| {
                let Ok(ty) = u16::try_from(c) else {
                    return KEEP;
                };
                // An enter and its exit go together: the exit's parser and evt.latency read
                // the enter, and a repeated exit matches the enter it follows.
                match (base(ty), base(ty ^ 1)) {
                    (Some(a), Some(_)) => a,
                    _ => KEEP,
                }
            })
            .collect();
        // Generic events change no state: if the sink wants them, it may still want only
        // those of some syscalls (an enter and its exit carry the same id).
        let generic = match (effect(0), effect(1)) {
            (Some(e0), Some(e1)) if wanted(0) || wanted(1) => {
                let ids: Vec<bool> = (0..crate::filter::EVENT_CODE_LIMIT)
                    .map(&wanted_syscall)
                    .collect();
                (!ids.iter().all(|&w| w)).then_some((ids, [e0, e1]))
            }
            _ => None,
        };
        Plan {
            class,
            touches,
            generic,
        }
    }

    /// True when nothing is left out.
    pub(super) fn keeps_all(&self) -> bool {
        self.generic.is_none() && self.class.iter().all(|&c| c == KEEP)
    }

    #[inline]
    fn class(&self, ev: &scap::Event<'_>) -> u8 {
        let ty = ev.event_type();
        // Codes beyond the table are kept (unknown events pass through untouched).
        let class = self.class.get(usize::from(ty)).copied().unwrap_or(KEEP);
        match &self.generic {
            Some((ids, effects)) if ty <= 1 => {
                // The syscall id is the first parameter; without one, the event is kept.
                let id = ev
                    .param(0)
                    .and_then(|b| <[u8; 2]>::try_from(b.get(..2)?).ok())
                    .map(u16::from_le_bytes);
                match id {
                    Some(id) if !ids.get(usize::from(id)).copied().unwrap_or(true) => {
                        effects.get(usize::from(ty)).copied().unwrap_or(KEEP)
                    }
                    _ => class,
                }
            }
            _ => class,
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
        }
    }

    #[inline]
    fn slot(tid: u64) -> usize {
        ((tid ^ (tid >> 8)) as usize) % SEEN
    }

    /// The touch to hand over for a left-out event of `tid`, unless one already covers it.
    #[inline]
    fn touch<'c>(&mut self, tid: u64, effect: u8) -> Option<Item<'c>> {
        let generation = self.generation;
        let seen = self.seen.get_mut(Self::slot(tid))?;
        if seen.tid == tid && seen.generation == generation {
            if seen.effect & effect == effect {
                return None;
            }
            seen.effect |= effect;
        } else {
            *seen = Seen {
                tid,
                effect,
                generation,
            };
        }
        Some(Item::Touch { tid, effect })
    }

    /// A kept event of `tid`: its next left-out event needs a touch again.
    #[inline]
    fn kept(&mut self, tid: u64) {
        if let Some(seen) = self.seen.get_mut(Self::slot(tid)) {
            if seen.tid == tid {
                seen.effect = 0;
            }
        }
    }

    /// A section or metadata block may re-create or drop any thread: forget every entry.
    fn reset(&mut self) {
        // u32::MAX marks empty entries, so generations stay below it.
        self.generation = (self.generation + 1) % u32::MAX;
    }
}

/// Records of a capture, with the events the [`Plan`] leaves out replaced by [`Item::Skipped`]
/// and [`Item::Touch`].
#[derive(Debug)]
pub(super) struct Thin<'c> {
    records: Records<'c>,
    plan: Option<Plan>,
    run: Option<Skipped>,
    /// A record read while a run was pending: handed over after the run.
    held: Option<scap::Result<Record<'c>>>,
    touched: Touched,
}

impl<'c> Thin<'c> {
    /// `records` thinned by `plan` (`None`: every record as it is).
    pub(super) fn new(records: Records<'c>, plan: Option<Plan>) -> Thin<'c> {
        Thin {
            records,
            plan: plan.filter(|p| !p.keeps_all()),
            run: None,
            held: None,
            touched: Touched::new(),
        }
    }

    /// Offset of the next block to read.
    pub(super) fn position(&self) -> u64 {
        self.records.position()
    }
}

impl<'c> Iterator for Thin<'c> {
    type Item = Item<'c>;

    #[inline]
    fn next(&mut self) -> Option<Item<'c>> {
        let Thin {
            records,
            plan,
            run,
            held,
            touched,
        } = self;
        if let Some(rec) = held.take() {
            return Some(Item::Record(rec));
        }
        let Some(plan) = plan else {
            return records.next().map(Item::Record);
        };
        let rec = loop {
            let ev = match records.next_plain_event() {
                Some(ev) => ev,
                None => match records.next() {
                    None => return run.take().map(Item::Skipped),
                    Some(Ok(Record::Event(ev))) => ev,
                    Some(rec) => {
                        touched.reset();
                        break rec;
                    }
                },
            };
            let (tid, ts, class) = (ev.tid(), ev.ts(), plan.class(&ev));
            if class == KEEP {
                touched.kept(tid);
                break Ok(Record::Event(ev));
            }
            match run {
                Some(run) => {
                    run.count += 1;
                    run.last_ts = ts;
                }
                None => {
                    *run = Some(Skipped {
                        count: 1,
                        first_ts: ts,
                        last_ts: ts,
                    })
                }
            }
            if plan.touches {
                if let Some(t) = touched.touch(tid, class) {
                    return Some(t);
                }
            }
        };
        match run.take() {
            Some(r) => {
                *held = Some(rec);
                Some(Item::Skipped(r))
            }
            None => Some(Item::Record(rec)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scap::Capture;

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
        for item in Thin::new(cap.records(), Some(plan)) {
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
                Item::Record(_) => {}
            }
        }
        assert_eq!(kept + skipped as usize, all);
        // Most events are left out, and a touch stands for several of them.
        assert!(skipped as usize > all * 3 / 4, "{skipped} of {all}");
        assert!(touches < skipped / 2, "{touches} touches for {skipped}");
    }
}
