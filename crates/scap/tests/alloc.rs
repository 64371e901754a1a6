//! Reading an uncompressed capture allocates nothing proportional to the file: the bytes are
//! mapped, and events and parameters are borrowed views.

#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
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

#[test]
fn mmap_read_allocates_nothing_per_event() {
    let shared = std::env::var_os("SCAPKIT_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        });
    let Ok(data) = std::fs::read(shared.join("captures/bencer_ex4_example4-1.scap")) else {
        eprintln!("skipped: allocation test (../shared not found)");
        return;
    };
    // A plain file several times larger than any one block, built from a real capture.
    let dir = std::env::temp_dir().join(format!("scapkit-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x4.scap");
    let mut big = Vec::new();
    for _ in 0..4 {
        big.extend_from_slice(&data);
    }
    std::fs::write(&path, &big).unwrap();
    drop(big);

    let cap = scap::Capture::open(&path).unwrap();
    assert!(cap.is_mmap());
    let before = ALLOCATED.load(Ordering::Relaxed);
    let mut events = 0u64;
    let mut param_bytes = 0usize;
    for rec in cap.records() {
        if let scap::Record::Event(ev) = rec.unwrap() {
            events += 1;
            param_bytes += ev.params().map(<[u8]>::len).sum::<usize>();
            for i in 0..ev.nparams() {
                let _ = ev.value(i);
            }
        }
    }
    let allocated = ALLOCATED.load(Ordering::Relaxed) - before;
    assert_eq!(events, 4 * 6440);
    assert!(param_bytes > 0);
    assert!(
        allocated < 4096,
        "{allocated} bytes allocated while reading {events} events"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
