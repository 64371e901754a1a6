//! Decoding an input on a second thread while the session thread parses and prints.
//!
//! The records of a capture borrow its bytes, so a scoped thread can decode (frame,
//! validate) them ahead of the consumer and hand them over in batches: the consumer sees
//! exactly the sequence `Capture::records` yields, errors included.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread::Scope;

use scap::Capture;

use super::thin::{Item, Plan, Thin};
use crate::state::State;

/// Records per batch: large enough that the hand-over cost vanishes, small enough to stay
/// in cache.
const BATCH: usize = 1024;
/// Batches in flight: bounds the decoder's lead (and memory: under 1 MB) when the consumer
/// is slower. The lead must outlast the decoder's longest stop, building a section's opening
/// state (about a millisecond on the benchmark input): with 4, the session thread waited
/// there at every section start, a fifth of the run on the `fd.*` filters.
const IN_FLIGHT: usize = 16;
/// Read bytes are unmapped in steps of this size: each step costs a system call and a
/// TLB flush on both cores.
const RELEASE: u64 = 4 << 20;
/// Read bytes still mapped beyond this are unmapped without waiting for a wait: when the
/// two threads keep pace, neither waits for long stretches.
const RELEASE_BEHIND: u64 = 16 << 20;
/// Bytes mapped ahead of the decoder per wait (of either thread), and how far ahead at most.
const MAP_STEP: u64 = 1 << 20;
const MAP_AHEAD: u64 = 8 << 20;
/// Below this size an input is read on the session thread: a thread is not worth it.
const MIN_THREADED: usize = 1 << 20;

/// Items filled at a time when an input is read on the session thread.
const DIRECT: usize = 64;

/// One batch and the input position after its last record.
type Batch<'c> = (VecDeque<Item<'c>>, u64);
/// An emptied batch going back for reuse, with states the session is done with, so that
/// the decoder thread frees them, and the session's thread exclusions (see
/// [`Source::exclude`]).
type Spent<'c> = (VecDeque<Item<'c>>, Vec<State>, Vec<(u64, u64)>);

/// The records of one input, read here or by a decoder thread, handed out from a buffer
/// either way.
pub(super) struct Source<'c> {
    /// Items not yet handed out.
    cur: VecDeque<Item<'c>>,
    /// Input position after the last item read into `cur`.
    pos: u64,
    /// States replaced by a section's new one, to be freed off the session thread.
    retired: Vec<State>,
    /// Exclusions for the decoder thread: `(tid, at)` (see [`Source::exclude`]).
    excluded: Vec<(u64, u64)>,
    origin: Origin<'c>,
}

/// Where a [`Source`]'s items come from.
enum Origin<'c> {
    /// Decoded on the calling thread.
    Direct(Thin<'c>),
    /// Decoded by a scoped thread.
    Threaded {
        rx: Receiver<Batch<'c>>,
        /// Emptied batches go back to the decoder for reuse.
        back: SyncSender<Spent<'c>>,
        /// Page-table work either thread does while it waits for the other.
        pages: Arc<Pages<'c>>,
    },
}

impl<'c> Source<'c> {
    /// The records of `capture` thinned by `plan`, decoded on a thread of `scope` when
    /// `helpers` allows it, the machine has a core to spare and the input is large enough.
    pub(super) fn new<'s>(
        scope: &'s Scope<'s, '_>,
        capture: &'c Capture,
        plan: Option<Plan>,
        helpers: bool,
    ) -> Source<'c>
    where
        'c: 's,
    {
        let records = Thin::new(capture.records(), plan);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if !helpers || cores < 2 || capture.data().len() < MIN_THREADED {
            return Source::direct(records);
        }
        Source::threaded(scope, capture, records)
    }

    /// `records` decoded on the calling thread, as they are asked for.
    pub(super) fn direct(records: Thin<'c>) -> Source<'c> {
        Source {
            cur: VecDeque::new(),
            pos: 0,
            retired: Vec::new(),
            excluded: Vec::new(),
            origin: Origin::Direct(records),
        }
    }

    /// `records` (of `capture`) decoded on a thread of `scope`.
    pub(super) fn threaded<'s>(
        scope: &'s Scope<'s, '_>,
        capture: &'c Capture,
        mut records: Thin<'c>,
    ) -> Source<'c>
    where
        'c: 's,
    {
        // The session then only swaps each section's new state in.
        records.build_openings();
        let (tx, rx) = sync_channel::<Batch<'c>>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<Spent<'c>>(IN_FLIGHT + 2);
        let pages = Arc::new(Pages {
            capture,
            read: AtomicU64::new(0),
            released: AtomicU64::new(0),
            mapped: AtomicU64::new(0),
        });
        let decoder_pages = Arc::clone(&pages);
        scope.spawn(move || loop {
            let (mut batch, retired, excluded) = back_rx
                .try_recv()
                .unwrap_or_else(|_| (VecDeque::with_capacity(BATCH), Vec::new(), Vec::new()));
            drop(retired);
            for (tid, at) in excluded {
                records.exclude(tid, at);
            }
            batch.clear();
            // One short of the batch: a run and the record ending it may come together.
            let last = !records.fill(&mut batch, BATCH - 1);
            let sent = match tx.try_send((batch, records.position())) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(batch)) => {
                    // The session is the slower thread: spend the wait on page work, behind
                    // (unmapping what it has read) and ahead (mapping what comes next).
                    decoder_pages.release_read();
                    decoder_pages.map_ahead(records.position());
                    tx.send(batch).map_err(|_| ())
                }
                Err(TrySendError::Disconnected(_)) => Err(()),
            };
            // The consumer stopped early: nothing more to do.
            if sent.is_err() || last {
                return;
            }
        });
        Source {
            cur: VecDeque::new(),
            pos: 0,
            retired: Vec::new(),
            excluded: Vec::new(),
            origin: Origin::Threaded { rx, back, pages },
        }
    }

    /// Offset of the next block to read (at the granularity of the buffer).
    pub(super) fn position(&self) -> u64 {
        self.pos
    }

    /// After the event at offset `at`, the session wants no event of thread `tid` while the
    /// thread keeps its name: the decoder may leave them out (see `Thin::exclude`).
    pub(super) fn exclude(&mut self, tid: u64, at: u64) {
        match &mut self.origin {
            Origin::Direct(records) => records.exclude(tid, at),
            Origin::Threaded { .. } => self.excluded.push((tid, at)),
        }
    }

    /// Frees `state` on the decoder thread, if there is one: freeing a section's tables is
    /// work the busier session thread can skip.
    pub(super) fn retire(&mut self, state: State) {
        if let Origin::Threaded { .. } = self.origin {
            self.retired.push(state);
        }
    }
}

impl<'c> Iterator for Source<'c> {
    type Item = Item<'c>;

    #[inline]
    fn next(&mut self) -> Option<Item<'c>> {
        // The common case stays small enough to inline into the session loop.
        if let Some(item) = self.cur.pop_front() {
            return Some(item);
        }
        self.next_slow()
    }
}

impl<'c> Source<'c> {
    #[inline(never)]
    fn next_slow(&mut self) -> Option<Item<'c>> {
        let Source {
            cur,
            pos,
            retired,
            excluded,
            origin,
        } = self;
        loop {
            if let Some(item) = cur.pop_front() {
                return Some(item);
            }
            match origin {
                Origin::Direct(records) => {
                    let more = records.fill(cur, DIRECT);
                    *pos = records.position();
                    if !more && cur.is_empty() {
                        return None;
                    }
                }
                Origin::Threaded { rx, back, pages } => {
                    pages.read.store(*pos, Ordering::Relaxed);
                    pages.release_if_behind();
                    // A full return channel only means the decoder has spares already.
                    let _ = back.try_send((
                        std::mem::take(cur),
                        std::mem::take(retired),
                        std::mem::take(excluded),
                    ));
                    let next = match rx.try_recv() {
                        Ok(batch) => Some(batch),
                        Err(TryRecvError::Empty) => {
                            // The decoder is the slower thread: spend the wait on its page
                            // work, behind (unmapping) and just ahead of it (mapping).
                            pages.release_read();
                            pages.map_ahead(*pos);
                            rx.recv().ok()
                        }
                        Err(TryRecvError::Disconnected) => None,
                    };
                    let (batch, at) = next?;
                    *cur = batch;
                    *pos = at;
                }
            }
        }
    }
}

/// The page-table work of reading a mapped input, shared by the decoder and the session
/// so that each can do it while waiting for the other, rather than the decoder taking
/// every page fault and the session unmapping all at the end.
struct Pages<'c> {
    capture: &'c Capture,
    /// Input position up to which every item has been handed out to the session.
    read: AtomicU64,
    /// Unmapped up to here.
    released: AtomicU64,
    /// Mapped ahead up to here.
    mapped: AtomicU64,
}

impl Pages<'_> {
    /// Unmaps what the session has been handed, in steps of [`RELEASE`].
    fn release_read(&self) {
        let done = self.read.load(Ordering::Relaxed) / RELEASE * RELEASE;
        let from = self.released.load(Ordering::Relaxed);
        // One thread wins a step; the other skips it.
        if done > from
            && self
                .released
                .compare_exchange(from, done, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.capture.release(from as usize..done as usize);
        }
    }

    /// [`Pages::release_read`] when much of what was read is still mapped.
    #[inline]
    fn release_if_behind(&self) {
        let read = self.read.load(Ordering::Relaxed);
        if read.saturating_sub(self.released.load(Ordering::Relaxed)) >= RELEASE_BEHIND {
            self.release_read();
        }
    }

    /// Maps one step ahead of `at` (where the decoder reads), unless mapping is far enough
    /// ahead already.
    fn map_ahead(&self, at: u64) {
        let mapped = self.mapped.load(Ordering::Relaxed);
        let from = mapped.max(at);
        if from >= at + MAP_AHEAD || from as usize >= self.capture.data().len() {
            return;
        }
        let to = from + MAP_STEP;
        if self
            .mapped
            .compare_exchange(mapped, to, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.capture.prefault(from as usize..to as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scap::Record;

    /// Every record and error, as text, for comparing the two paths.
    fn trace(items: impl Iterator<Item = Item<'static>>) -> Vec<String> {
        items
            .flat_map(|r| match r {
                Item::Skipped(s) => vec![format!("skipped {}", s.count)],
                Item::Touch { tid, effect } => vec![format!("touch {tid} {effect}")],
                // The records it holds, as the other path hands them out.
                Item::Opening(o) => o.records.into_iter().map(|r| record(Ok(r))).collect(),
                Item::Record(r) => vec![record(r)],
            })
            .collect()
    }

    fn record(r: scap::Result<Record<'_>>) -> String {
        match r {
            Ok(Record::Event(e)) => format!("ev {} {} {}", e.offset().0, e.ts(), e.tid()),
            Ok(Record::Section(s)) => format!("shb {}", s.offset.0),
            Ok(Record::Meta(b)) => format!("meta {}", b.offset().0),
            Ok(Record::Unknown(b)) => format!("unknown {}", b.offset().0),
            Err(e) => format!("error {e}"),
        }
    }

    fn same_records(data: Vec<u8>) {
        let cap: &'static Capture = Box::leak(Box::new(Capture::from_vec(data)));
        let direct = trace(Source::direct(Thin::new(cap.records(), None)));
        let threaded =
            std::thread::scope(|s| trace(Source::threaded(s, cap, Thin::new(cap.records(), None))));
        assert_eq!(direct, threaded);
    }

    #[test]
    fn threaded_reading_yields_the_same_records() {
        let shared = std::env::var("SCAPKIT_SHARED")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").into());
        let path = format!("{shared}/captures/bencer_k8s_troubleshooting_capture.scap");
        let Ok(cap) = Capture::open(std::path::Path::new(&path)) else {
            eprintln!("skipped: threaded reading test (../shared not found)");
            return;
        };
        let data = cap.data().to_vec();
        // Whole, cut inside a block (an error after the last complete record), and cut
        // after a few batches.
        same_records(data.clone());
        same_records(data.get(..data.len() - 1000).unwrap().to_vec());
        same_records(data.get(..BATCH * 300 + 7).unwrap().to_vec());
    }
}
