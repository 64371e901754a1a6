//! The bodies of the fuzz targets, shared by `fuzz/` (libFuzzer, nightly) and
//! `crates/scap/tests/fuzz_smoke.rs` (a seeded mutator, stable). They panic when the reader
//! breaks a promise; any input is allowed.

use scap::{Capture, Compression, ErrorKind, Event, Record};

/// What one input did, for the smoke test's tally.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Records yielded before the end or the error.
    pub records: usize,
    /// Events among them.
    pub events: usize,
    /// The error that ended the iteration, if any.
    pub error: Option<ErrorKind>,
}

/// Target `read`: walk every record and decode every parameter of every event.
///
/// Checks: iteration ends (each record consumes at least 12 bytes), at most one error and
/// nothing after it, every `Display` names an offset, and each event's parameters agree
/// with its length array and its length.
pub fn read(data: &[u8]) -> Outcome {
    let cap = Capture::from_vec(data.to_vec());
    let limit = cap.data().len() / 12 + 2;
    let mut out = Outcome::default();
    let mut items = 0usize;
    for rec in cap.records() {
        items += 1;
        assert!(items <= limit, "more items than the data can hold");
        assert!(out.error.is_none(), "an item after the error");
        match rec {
            Ok(Record::Event(ev)) => {
                check_event(&ev);
                out.events += 1;
            }
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains(" at offset 0x"), "{text}");
                out.error = Some(e.kind().clone());
                continue;
            }
        }
        out.records += 1;
    }
    out
}

/// Decode everything an event offers and check it adds up.
pub fn check_event(ev: &Event<'_>) {
    let n = ev.nparams();
    let mut count = 0usize;
    let mut total = 0usize;
    for (i, p) in ev.params().enumerate() {
        assert_eq!(ev.param_len(i), Some(p.len()), "param_len({i})");
        if i < 40 {
            // `param(i)` walks from the start: only spot-check it, to stay linear.
            assert_eq!(ev.param(i), Some(p), "param({i})");
        }
        count += 1;
        total += p.len();
    }
    assert_eq!(count, n, "params() yields nparams items");
    assert_eq!(ev.param_len(n), None);
    assert_eq!(ev.param(n), None);
    let header = if ev.is_v1() { 22 } else { 26 };
    assert_eq!(
        header + n * ev.len_width() + total + ev.trailing().len(),
        ev.raw().len(),
        "header, lengths, params and trailing bytes make up the event"
    );
    let _ = (ev.ts(), ev.tid(), ev.cpu(), ev.dump_flags(), ev.direction());
    let _ = (ev.info(), ev.block_type(), format!("{ev:?}"));
}

/// Target `prefix`: cutting the input anywhere yields a prefix of the whole input's events,
/// and loses none whose block was complete (STYLE.md §1.6). The cuts come from the input.
pub fn prefix(data: &[u8]) {
    let len = data.len();
    let sel = data.get(len.saturating_sub(2)..).map_or(0, |b| {
        b.iter().fold(0usize, |a, &x| a << 8 | usize::from(x))
    });
    let full = Capture::from_vec(data.to_vec());
    let whole = ok_events(&full);
    for cut in [len / 2, len.saturating_sub(1), sel % (len + 1)] {
        if full.compression() == Compression::Gzip && cut < 2 {
            // Too short to be gzip: these bytes are no longer a prefix of the stream.
            continue;
        }
        check_prefix(full.data(), &whole, &data[..cut]);
    }
}

/// `(block offset, event bytes)` of every event before the first error.
pub fn ok_events(cap: &Capture) -> Vec<(u64, &[u8])> {
    cap.events()
        .map_while(|e| e.ok())
        .map(|e| (e.offset().0, e.raw()))
        .collect()
}

/// Read `part`, a prefix of an input whose decoded bytes are `full`, and check its events
/// against `whole`, the events of `full`. Returns the event count and the error, if any.
pub fn check_prefix(
    full: &[u8],
    whole: &[(u64, &[u8])],
    part: &[u8],
) -> (usize, Option<scap::Error>) {
    let cap = Capture::from_vec(part.to_vec());
    // The inflated bytes of a cut gzip stream are a prefix of the whole stream's.
    assert!(full.starts_with(cap.data()), "decoded data is a prefix");
    let avail = cap.data().len() as u64;
    let mut n = 0usize;
    let mut err = None;
    for ev in cap.events() {
        assert!(err.is_none(), "an item after the error");
        match ev {
            Ok(ev) => {
                assert!(n < whole.len(), "more events than the whole input");
                assert_eq!((ev.offset().0, ev.raw()), whole[n], "event {n} differs");
                n += 1;
            }
            Err(e) => err = Some(e),
        }
    }
    let complete = whole
        .iter()
        .take_while(|(off, _)| block_end(full, *off) <= avail)
        .count();
    assert_eq!(n, complete, "events lost before offset {avail}");
    (n, err)
}

/// End of the block at `off`, from its length field.
fn block_end(data: &[u8], off: u64) -> u64 {
    let at = off as usize + 4;
    let len = data
        .get(at..at + 4)
        .map_or(u32::MAX, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    off + u64::from(len)
}
