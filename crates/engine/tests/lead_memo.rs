//! A filter that starts with a test of the event's thread name or fd keeps the test's answers
//! while the state's names or fd version stays (`Memo` in query.rs). That must not change
//! which events match: every capture is filtered with such filters, and with the same filters
//! behind a leading `evt.num > 0` (which turns the memo off), and the matches must be the
//! same.

#![allow(clippy::unwrap_used)]

mod common;

use common::run;
use scap::Capture;

const FORMAT: &str = "*%evt.num %thread.tid %proc.name %evt.type %fd.num %fd.name";

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
            let memo = run(&cap, filter, FORMAT, true);
            let plain = run(&cap, &format!("evt.num > 0 and ({filter})"), FORMAT, true);
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
