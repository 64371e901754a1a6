//! Helpers shared by the engine's corpus tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use engine::output::{Format, LineWriter};
use engine::query::{EventFilter, ThreadGate};
use engine::session::{EventCtx, Hidden, Session, Sink};
use scap::Capture;

/// `../shared` (or `$SCAPKIT_SHARED`) when it holds the captures.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    dir.join("captures").is_dir().then_some(dir)
}

/// Every corpus capture, sorted; `None` (after saying so on stderr) without `../shared`.
pub fn captures(what: &str) -> Option<Vec<PathBuf>> {
    let Some(shared) = shared() else {
        eprintln!("skipped: {what} (../shared not found)");
        return None;
    };
    let mut scaps: Vec<PathBuf> = std::fs::read_dir(shared.join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    scaps.sort();
    Some(scaps)
}

/// A sink printing, in a `-p` format, the events a filter passes.
pub struct Lines {
    filter: EventFilter,
    line: LineWriter,
    stateful: bool,
    /// Say which events are wanted (letting the session leave the others out).
    selective: bool,
    out: Vec<u8>,
}

impl Sink for Lines {
    type Error = std::convert::Infallible;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        if ctx.hidden != Hidden::No || !self.filter.matches(ctx) {
            return Ok(true);
        }
        self.line.write(ctx, &mut self.out);
        Ok(true)
    }

    fn wants(&self, ty: u16, hidden: Hidden) -> bool {
        !self.selective || (hidden == Hidden::No && self.filter.program().may_match_event(ty))
    }

    fn wants_syscall(&self, id: u16) -> bool {
        !self.selective || self.filter.program().may_match_generic(id)
    }

    fn needs_state(&self) -> bool {
        self.stateful
    }

    fn thread_gate(&self) -> Option<ThreadGate> {
        self.filter
            .thread_gate()
            .filter(|_| self.selective)
            .cloned()
    }
}

/// The lines `cap` prints through `filter` in `format`, then the errors that ended the
/// input. `selective`: the sink says which events it wants (the session may leave the others
/// out); otherwise it takes them all and drops the others itself.
pub fn run(cap: &Capture, filter: &str, format: &str, selective: bool) -> Vec<u8> {
    run_in(
        Session::new(std::slice::from_ref(cap)),
        filter,
        format,
        selective,
    )
}

/// [`run`] in `session`.
pub fn run_in(session: Session<'_>, filter: &str, format: &str, selective: bool) -> Vec<u8> {
    let format = Format::parse(format).unwrap();
    let filter = EventFilter::compile(filter).unwrap();
    let mut sink = Lines {
        stateful: filter.needs_state() || format.needs_state(),
        filter,
        line: LineWriter::new(&format),
        selective,
        out: Vec::new(),
    };
    let summary = session.run(&mut sink, None).unwrap();
    for e in &summary.errors {
        sink.out
            .extend_from_slice(format!("error: {}\n", e.error).as_bytes());
    }
    sink.out
}
