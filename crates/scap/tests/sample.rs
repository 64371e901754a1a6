//! The committed sample capture is exactly what `examples/make_sample.rs` generates.

#[path = "../examples/make_sample.rs"]
mod make_sample;

const EVENTS: u64 = 300;

fn committed(name: &str) -> std::io::Result<Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/");
    std::fs::read(format!("{path}{name}"))
}

#[test]
fn sample_matches_generator() {
    let (bytes, n) = make_sample::generate(Vec::new(), false).unwrap();
    assert_eq!(n, EVENTS);
    assert!(
        bytes == committed("sample.scap").unwrap(),
        "testdata/sample.scap is stale: run `cargo run -p scap --example make_sample -- testdata/sample.scap`"
    );
    let (gz, _) = make_sample::generate(Vec::new(), true).unwrap();
    assert!(
        gz == committed("sample.scap.gz").unwrap(),
        "testdata/sample.scap.gz is stale: run the example with --gzip"
    );
}

#[test]
fn sample_reads_cleanly() {
    for name in ["sample.scap", "sample.scap.gz"] {
        let cap = scap::Capture::from_vec(committed(name).unwrap());
        let mut n = 0u64;
        let mut last_ts = [0u64; 2];
        for ev in cap.events() {
            let ev = ev.unwrap();
            n += 1;
            assert!(ev.event_type() < 336, "sysdig 0.29.3 knows every type");
            let params: Vec<_> = ev.params().collect();
            assert_eq!(params.len(), ev.nparams());
            assert!(ev.trailing().is_empty());
            let cpu = usize::from(ev.cpu());
            assert!(ev.ts() >= last_ts[cpu], "per-CPU order");
            last_ts[cpu] = ev.ts();
            assert!(ev.ts() >= make_sample::START_NS);
        }
        assert_eq!(n, EVENTS, "{name}");
        let metas = cap
            .records()
            .filter(|r| matches!(r, Ok(scap::Record::Meta(_))))
            .count();
        assert_eq!(metas, 7, "{name}"); // MI, IL, UL, PL, 3 × FDL
    }
}

#[test]
fn codes_are_known_to_sysdig_029() {
    use scap::table::Direction::{Enter, Exit};
    assert_eq!(make_sample::event_code("execve", Exit).unwrap(), 293);
    assert_eq!(make_sample::event_code("execve", Enter).unwrap(), 292);
    assert_eq!(make_sample::event_code("openat", Exit).unwrap(), 307);
    assert_eq!(make_sample::event_code("clone", Exit).unwrap(), 223);
    assert_eq!(make_sample::event_code("read", Exit).unwrap(), 7);
}
