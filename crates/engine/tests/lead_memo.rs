//! A filter that starts with a test of the event's thread name or fd keeps the test's answers
//! while the state's names or fd version stays (`Memo` in query.rs). That must not change
//! which events match: every capture is filtered with such filters, and with the same filters
//! behind a leading `evt.num > 0` (which turns the memo off), and the matches must be the
//! same.

#![allow(clippy::unwrap_used)]

mod common;

use engine::output::{Format, LineWriter};
use engine::query::EventFilter;
use engine::session::{EventCtx, Hidden, Session, Sink};
use scap::Capture;

struct Lines {
    filter: EventFilter,
    line: LineWriter,
    out: Vec<u8>,
}

impl Sink for Lines {
    type Error = std::convert::Infallible;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        if ctx.hidden == Hidden::No && self.filter.matches(ctx) {
            self.line.write(ctx, &mut self.out);
        }
        Ok(true)
    }

    fn needs_state(&self) -> bool {
        true
    }
}

fn matches(cap: &Capture, filter: &str) -> Vec<u8> {
    let format =
        Format::parse("*%evt.num %thread.tid %proc.name %evt.type %fd.num %fd.name").unwrap();
    let mut sink = Lines {
        filter: EventFilter::compile(filter).unwrap(),
        line: LineWriter::new(&format),
        out: Vec::new(),
    };
    Session::new(std::slice::from_ref(cap))
        .run(&mut sink, None)
        .unwrap();
    sink.out
}

const FILTERS: &[&str] = &[
    "fd.name contains /etc",
    "fd.name contains /proc and evt.dir=<",
    "fd.type=ipv4",
    "fd.directory=/etc",
    "fd.filename in (passwd, ld.so.cache, resolv.conf)",
    "fd.typechar in (f, 4) and evt.type in (read, write, close)",
    "fd.sip=127.0.0.1",
    "fd.lport=8080 or fd.rport=53",
    "not fd.name contains /etc",
    "fd.name exists and evt.type=close",
    "fd.num=3",
    "fd.l4proto=udp",
    "proc.name=etcd and fd.type=ipv4",
    "proc.name in (cat, bash, sh, curl, nginx, httpd)",
    "proc.name != dockerd and evt.type in (open, openat, execve, clone, procexit)",
    "proc.name contains kube and fd.name contains /var",
    "not proc.name startswith s",
];

#[test]
fn remembering_the_leading_test_changes_nothing() {
    let Some(scaps) = common::captures("leading test memo equivalence") else {
        return;
    };
    let mut lines = 0;
    for path in &scaps {
        let cap = Capture::open(path).unwrap();
        for filter in FILTERS {
            let memo = matches(&cap, filter);
            let plain = matches(&cap, &format!("evt.num > 0 and ({filter})"));
            assert!(
                memo == plain,
                "{}: {filter:?}: {} vs {} lines",
                path.display(),
                memo.split(|&b| b == b'\n').count(),
                plain.split(|&b| b == b'\n').count()
            );
            lines += memo.iter().filter(|&&b| b == b'\n').count();
        }
    }
    // The filters select something on this corpus: the comparison is not vacuous.
    assert!(lines > 10_000, "only {lines} lines compared");
}
