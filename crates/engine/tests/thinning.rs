//! Leaving out the events a consumer does not want (session/thin.rs) must not change a byte of
//! what it sees: every capture, read through filters and formats that lean on state, latency,
//! numbering and time deltas, prints the same lines whether the session may leave events out
//! (a sink that says which events it wants) or must hand over every one (a sink that wants
//! them all and drops the others itself).

#![allow(clippy::unwrap_used)]

mod common;

use common::{run, run_in};
use engine::session::Session;
use scap::Capture;

const STATEFUL: &str = "*%evt.num %evt.rawtime %evt.reltime %evt.deltatime %evt.latency %evt.cpu \
     %proc.name %proc.pname %thread.tid %proc.pid %evt.dir %evt.type %fd.name %fd.type %evt.args";
const STATELESS: &str = "*%evt.num %evt.rawtime %evt.reltime %evt.deltatime %evt.dir %evt.type";

const FILTERS: &[&str] = &[
    "evt.type=open",
    "evt.type in (open, openat, close, read, write) and evt.dir=<",
    "fd.type=ipv4",
    "fd.name contains /etc",
    "proc.name=etcd and fd.type=ipv4",
    "evt.type=switch",
    "evt.type!=switch and evt.type!=futex",
    "not fd.type=file",
    "evt.type=execve or evt.type=clone or evt.type=procexit",
    "fd.num exists and evt.dir=>",
    "evt.type=select and evt.latency > 1000",
    "fd.sport=80 or fd.l4proto=udp",
    // Generic events are named after the syscall they carry.
    "evt.type in (pselect6, getdents64, open)",
    "evt.type=syscall or evt.type=poll",
    "not evt.type in (pselect6, switch)",
    // A leading proc.name test lets the reader leave out whole threads.
    "proc.name=etcd",
    "proc.name != etcd and fd.type=ipv4",
    "proc.name in (sshd, bash, sh, cat) and evt.type in (read, write, execve, clone)",
    "proc.name startswith k and (fd.name contains /etc or evt.type=execve)",
];

#[test]
fn leaving_events_out_changes_nothing() {
    let Some(scaps) = common::captures("thinning equivalence") else {
        return;
    };
    assert_eq!(scaps.len(), 21);
    let mut lines = 0;
    for path in &scaps {
        let cap = Capture::open(path).unwrap();
        for filter in FILTERS {
            for format in [STATEFUL, STATELESS] {
                let thin = run(&cap, filter, format, true);
                let full = run(&cap, filter, format, false);
                if thin != full {
                    let (t, f) = (
                        String::from_utf8_lossy(&thin),
                        String::from_utf8_lossy(&full),
                    );
                    let diff = t.lines().zip(f.lines()).find(|(a, b)| a != b);
                    panic!(
                        "{}: filter {filter:?}, format {format:?}: outputs differ \
                         ({} vs {} lines); first difference: {diff:?}",
                        path.display(),
                        t.lines().count(),
                        f.lines().count()
                    );
                }
                lines += thin.iter().filter(|&&b| b == b'\n').count();
            }
        }
    }
    // The filters select something on this corpus: the comparison is not vacuous.
    assert!(lines > 10_000, "only {lines} lines compared");
}

/// The decoded bytes of the corpus k8s capture (large enough for the decoder thread), or
/// `None` when the corpus is absent (`common::captures` says so).
fn k8s_bytes(what: &str) -> Option<Vec<u8>> {
    let scaps = common::captures(what)?;
    let k8s = scaps
        .iter()
        .find(|p| p.to_string_lossy().contains("k8s"))
        .unwrap();
    Some(Capture::open(k8s).unwrap().data().to_vec())
}

#[test]
fn damaged_captures_stop_at_the_same_place() {
    let Some(data) = k8s_bytes("thinning on damaged captures") else {
        return;
    };
    let mut cases = Vec::new();
    // Cut inside a block, early and late (large enough for the decoder thread, too).
    for cut in [data.len() / 3 + 7, data.len() - 1001] {
        cases.push(data.get(..cut).unwrap().to_vec());
    }
    // A block whose length runs past the end, and an event whose parameter lengths overrun
    // it, in the middle of a stretch of left-out events.
    for (at, bytes) in [
        (data.len() / 2, [0xff, 0xff, 0xff, 0x0f]),
        (data.len() / 4, [0, 0, 0, 0]),
    ] {
        let mut d = data.clone();
        let block = (0..at)
            .rev()
            .find(|&i| d.get(i..i + 4) == Some(&0x204u32.to_le_bytes()[..]))
            .unwrap();
        // Block length for the first, the event's stored length (at 8 + 2 + 16) for the second.
        let field = if bytes[3] == 0x0f {
            block + 4
        } else {
            block + 8 + 2 + 16
        };
        d.splice(field..field + 4, bytes);
        cases.push(d);
    }
    for d in cases {
        let cap = Capture::from_vec(d);
        for filter in ["evt.type=open", "fd.name contains /etc"] {
            let thin = run(&cap, filter, STATEFUL, true);
            let full = run(&cap, filter, STATEFUL, false);
            assert_eq!(
                String::from_utf8_lossy(&thin),
                String::from_utf8_lossy(&full)
            );
            assert!(
                thin.windows(7).any(|w| w == b"error: "),
                "no error reported"
            );
        }
    }
}

#[test]
fn a_mapped_capture_reads_like_an_owned_one() {
    // A mapped input is unmapped behind the reader and mapped ahead of it by whichever
    // thread waits (session/prefetch.rs): that must not change a byte either.
    let Some(one) = k8s_bytes("mapped reading") else {
        return;
    };
    // Two sections, so that a state is rebuilt from a second process list, in pages that
    // were unmapped and mapped again along the way.
    let two = [one.as_slice(), one.as_slice()].concat();
    let path = std::env::temp_dir().join(format!("scapkit-mapped-{}.scap", std::process::id()));
    std::fs::write(&path, &two).unwrap();
    let mapped = Capture::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(mapped.is_mmap());
    let owned = Capture::from_vec(two);
    for filter in ["evt.type=open", "proc.name=etcd and fd.type=ipv4"] {
        let a = run(&mapped, filter, STATEFUL, true);
        let b = run(&owned, filter, STATEFUL, true);
        assert!(a == b, "{filter}: mapped and owned readings differ");
        assert!(a.len() > 10_000, "{filter}: only {} bytes", a.len());
    }
}

#[test]
fn a_helper_thread_reads_like_the_session_thread() {
    // A decoder thread also builds each section's state from its process and fd lists
    // (session/thin.rs, `Item::Opening`); one thread applies them as they come.
    let Some(one) = k8s_bytes("decoding on a helper thread") else {
        return;
    };
    let two = Capture::from_vec([one.as_slice(), one.as_slice()].concat());
    let caps = std::slice::from_ref(&two);
    for filter in ["evt.type=open", "proc.name=etcd and fd.type=ipv4"] {
        for selective in [true, false] {
            let helper = run_in(Session::new(caps), filter, STATEFUL, selective);
            let here = run_in(
                Session::new(caps).on_one_thread(),
                filter,
                STATEFUL,
                selective,
            );
            assert!(helper == here, "{filter}: the two readings differ");
            assert!(
                helper.len() > 10_000,
                "{filter}: only {} bytes",
                helper.len()
            );
        }
    }
}
