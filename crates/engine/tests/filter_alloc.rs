//! The filter path allocates nothing per event once warm: compiled filters evaluate with
//! reused scratch, fields borrow from the event and the state.

#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use engine::query::EventFilter;
use engine::session::{EventCtx, Session, Sink};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

// SAFETY: forwards to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Evaluates every filter on every event; counts allocations made inside `matches` only.
struct Eval {
    filters: Vec<EventFilter>,
    matched: Vec<u64>,
    warm: u64,
    /// Count from this event on.
    count_from: u64,
}

impl Sink for Eval {
    type Error = std::convert::Infallible;
    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        self.warm += 1;
        let count = self.warm > self.count_from;
        for (f, m) in self.filters.iter_mut().zip(self.matched.iter_mut()) {
            COUNTING.store(count, Ordering::Relaxed);
            let hit = f.matches(ctx);
            COUNTING.store(false, Ordering::Relaxed);
            *m += u64::from(hit);
        }
        Ok(true)
    }
}

#[test]
fn filters_do_not_allocate_per_event() {
    let shared = std::env::var_os("SCAPKIT_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        });
    let path = shared.join("captures/bencer_ex4_example4-1.scap");
    if !path.exists() {
        eprintln!("skipped: filter allocation test (../shared not found)");
        return;
    }
    let cap = scap::Capture::open(&path).unwrap();
    let texts = [
        "evt.type=open",
        "proc.name=apache2 and fd.type=ipv4",
        "fd.name contains /etc",
        "evt.type in (open, openat, read, write) and not proc.name in (bash, sh)",
        "fd.name glob '/usr/*' or proc.cmdline contains nginx",
        "evt.failed=true and evt.res=ENOENT",
    ];
    let mut sink = Eval {
        filters: texts
            .iter()
            .map(|t| EventFilter::compile(t).unwrap())
            .collect(),
        matched: vec![0; texts.len()],
        warm: 0,
        count_from: u64::MAX,
    };
    let caps = [cap];
    // The first pass grows the scratch buffers to the largest value; the second, over the
    // same events, must not allocate at all.
    Session::new(&caps).run(&mut sink, None).unwrap();
    let events = sink.warm;
    assert!(events > 6000);
    sink.count_from = events;
    sink.matched.iter_mut().for_each(|m| *m = 0);
    Session::new(&caps).run(&mut sink, None).unwrap();
    assert!(
        sink.matched.iter().all(|m| *m > 0),
        "every filter matches something: {:?}",
        sink.matched
    );
    assert_eq!(
        ALLOCS.load(Ordering::Relaxed),
        0,
        "allocations in the filter path"
    );
}
