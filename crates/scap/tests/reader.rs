//! Reader behaviour on layouts the corpus lacks: SHB options, metadata and unknown blocks
//! after events, several sections, events with fewer parameters than the table.

#![allow(clippy::unwrap_used)]

use scap::{Capture, ErrorKind, Record};

fn block(ty: u32, body: &[u8]) -> Vec<u8> {
    let total = (12 + body.len()).div_ceil(4) * 4;
    let mut v = Vec::new();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(body);
    v.resize(total - 4, 0);
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v
}

fn shb(options: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&2u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    body.extend_from_slice(options);
    block(0x0A0D_0D0A, &body)
}

/// An EV_V2 `close` exit (code 5) with the given parameters.
fn close_exit(ts: u64, params: &[&[u8]]) -> Vec<u8> {
    let mut ev = Vec::new();
    let len = 26 + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
    ev.extend_from_slice(&ts.to_le_bytes());
    ev.extend_from_slice(&42u64.to_le_bytes());
    ev.extend_from_slice(&(len as u32).to_le_bytes());
    ev.extend_from_slice(&5u16.to_le_bytes());
    ev.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        ev.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        ev.extend_from_slice(p);
    }
    let mut body = 1u16.to_le_bytes().to_vec();
    body.extend(ev);
    block(0x216, &body)
}

fn kinds(cap: &Capture) -> Vec<String> {
    cap.records()
        .map(|r| match r {
            Ok(Record::Section(s)) => format!("S{}", s.options_len),
            Ok(Record::Meta(b)) => format!("M{:x}", b.block_type()),
            Ok(Record::Event(e)) => format!("E{}", e.nparams()),
            Ok(Record::Unknown(b)) => format!("U{:x}", b.block_type()),
            Err(e) => format!("err {e}"),
        })
        .collect()
}

#[test]
fn shb_options_are_skipped() {
    // pcapng option: code 1 (comment), length 4, value, then end-of-options.
    let mut data = shb(&[1, 0, 4, 0, b'h', b'i', b'!', 0, 0, 0, 0, 0]);
    data.extend(close_exit(1, &[&0i64.to_le_bytes(), &3i64.to_le_bytes()]));
    let cap = Capture::from_vec(data);
    assert_eq!(kinds(&cap), ["S12", "E2"]);
}

#[test]
fn metadata_and_unknown_blocks_after_events_are_kept() {
    let mut data = shb(&[]);
    data.extend(close_exit(1, &[&0i64.to_le_bytes()]));
    data.extend(block(0x206, &[]));
    data.extend(block(0x7777, &[1, 2, 3]));
    data.extend(close_exit(2, &[]));
    let cap = Capture::from_vec(data);
    assert_eq!(kinds(&cap), ["S0", "E1", "M206", "U7777", "E0"]);
}

#[test]
fn concatenated_sections() {
    let mut one = shb(&[]);
    one.extend(close_exit(1, &[&0i64.to_le_bytes()]));
    let mut data = one.clone();
    data.extend(one);
    let cap = Capture::from_vec(data);
    assert_eq!(kinds(&cap), ["S0", "E1", "S0", "E1"]);
}

#[test]
fn fewer_and_more_params_than_the_table() {
    let p = 7i64.to_le_bytes();
    let mut data = shb(&[]);
    data.extend(close_exit(1, &[]));
    data.extend(close_exit(2, &[&p, &p, &p]));
    let cap = Capture::from_vec(data);
    let evs: Vec<_> = cap.events().map(Result::unwrap).collect();
    assert_eq!(evs[0].nparams(), 0);
    assert_eq!(evs[1].nparams(), 3);
    assert_eq!(evs[1].param(2), Some(&p[..]));
}

#[test]
fn not_scap_and_wrong_versions() {
    let cap = Capture::from_vec(b"hello, world".to_vec());
    let err = cap.records().next().unwrap().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotScap);
    assert!(err.to_string().contains("not a scap capture"));

    let mut data = shb(&[]);
    data[12] = 2; // major version 2
    let err = Capture::from_vec(data)
        .records()
        .next()
        .unwrap()
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::UnsupportedVersion { major: 2, .. }
    ));

    let mut data = shb(&[]);
    data[8..12].copy_from_slice(&0x1A2B_3C4Du32.to_be_bytes());
    let err = Capture::from_vec(data)
        .records()
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::BigEndian);
}

#[test]
fn truncated_event_reports_offset_and_block() {
    let mut data = shb(&[]);
    data.extend(close_exit(1, &[&0i64.to_le_bytes()]));
    let cut = data.len();
    data.extend(close_exit(2, &[&0i64.to_le_bytes()]));
    data.truncate(cut + 10);
    let cap = Capture::from_vec(data);
    let items: Vec<_> = cap.records().collect();
    assert_eq!(items.len(), 3);
    let err = items[2].as_ref().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Truncated);
    assert_eq!(err.offset().0, cut as u64);
    assert_eq!(err.block_type(), Some(0x216));
    assert!(err.to_string().contains(&format!("0x{cut:x}")), "{err}");
}

/// An event block of id `block_type` (one of the four plain ids) for code `ty`: v1 (22-byte
/// header) unless the id is a v2 one, with a dump-flags word for the flagged ids.
fn plain_event(block_type: u32, ts: u64, ty: u16, params: &[&[u8]]) -> Vec<u8> {
    let v2 = matches!(block_type, 0x216 | 0x217);
    let header = if v2 { 26 } else { 22 };
    let len = header + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
    let mut body = 3u16.to_le_bytes().to_vec();
    if matches!(block_type, 0x208 | 0x217) {
        body.extend_from_slice(&1u32.to_le_bytes());
    }
    body.extend_from_slice(&ts.to_le_bytes());
    body.extend_from_slice(&77u64.to_le_bytes());
    body.extend_from_slice(&(len as u32).to_le_bytes());
    body.extend_from_slice(&ty.to_le_bytes());
    if v2 {
        body.extend_from_slice(&(params.len() as u32).to_le_bytes());
    }
    for p in params {
        body.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        body.extend_from_slice(p);
    }
    block(block_type, &body)
}

/// Every record of `data` as text, read one by one with `Iterator::next`.
fn by_next(data: &[u8]) -> Vec<String> {
    let cap = Capture::from_vec(data.to_vec());
    cap.records().map(|r| describe(&r)).collect()
}

/// The same, reading runs of plain events with `try_for_each_plain_event` (breaking out
/// after every `every`th event) and everything else with `Iterator::next`.
fn by_runs(data: &[u8], every: usize) -> Vec<String> {
    use std::ops::ControlFlow;
    let cap = Capture::from_vec(data.to_vec());
    let mut records = cap.records();
    let mut out = Vec::new();
    loop {
        let mut n = 0;
        let flow = records.try_for_each_plain_event(|ev| {
            out.push(describe(&Ok(Record::Event(ev))));
            n += 1;
            if n == every {
                ControlFlow::Break(n)
            } else {
                ControlFlow::Continue(())
            }
        });
        if flow.is_break() {
            continue;
        }
        match records.next() {
            Some(r) => out.push(describe(&r)),
            None => return out,
        }
    }
}

fn describe(r: &scap::Result<Record<'_>>) -> String {
    match r {
        Ok(Record::Section(s)) => format!("S@{}", s.offset.0),
        Ok(Record::Meta(b)) => format!("M@{}", b.offset().0),
        Ok(Record::Unknown(b)) => format!("U@{}", b.offset().0),
        Ok(Record::Event(e)) => format!(
            "E@{} {:x} ts{} tid{} ty{} cpu{} f{} n{} {:?}",
            e.offset().0,
            e.block_type(),
            e.ts(),
            e.tid(),
            e.event_type(),
            e.cpu(),
            e.dump_flags(),
            e.nparams(),
            e.params().collect::<Vec<_>>()
        ),
        Err(e) => format!("err {e}"),
    }
}

/// Plain events of the four ids, runs broken by other blocks and by changes of id.
fn mixed_capture() -> Vec<u8> {
    let p = 7i64.to_le_bytes();
    let mut data = shb(&[]);
    data.extend(plain_event(0x204, 1, 5, &[&p, &[1, 2]])); // v1 close exit
    data.extend(plain_event(0x204, 2, 4, &[&p])); // v1 close enter
    data.extend(plain_event(0x204, 3, 5, &[&p])); // v1, fewer params than the table
    data.extend(block(0x206, &[]));
    data.extend(plain_event(0x216, 4, 5, &[&p, &p]));
    data.extend(plain_event(0x208, 5, 4, &[&p]));
    data.extend(plain_event(0x217, 6, 5, &[&p, &[9]]));
    data.extend(block(0x7777, &[1, 2, 3]));
    data.extend(plain_event(0x204, 7, 0x999, &[])); // a code the table does not know
    data.extend(plain_event(0x204, 8, 4, &[&p]));
    data
}

#[test]
fn plain_event_runs_match_the_iterator() {
    let data = mixed_capture();
    let want = by_next(&data);
    assert_eq!(want.len(), 11, "{want:#?}");
    assert!(want.iter().all(|r| !r.starts_with("err")), "{want:#?}");
    for every in [1, 2, 3, usize::MAX] {
        assert_eq!(by_runs(&data, every), want, "breaking every {every}");
    }
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/sample.scap"
    ))
    .unwrap();
    assert_eq!(by_runs(&sample, usize::MAX), by_next(&sample));
}

#[test]
fn plain_event_runs_leave_damage_to_the_iterator() {
    let data = mixed_capture();
    // Cut anywhere: the complete records, then the same error at the same offset.
    for cut in 0..data.len() {
        let cut = &data[..cut];
        assert_eq!(
            by_runs(cut, usize::MAX),
            by_next(cut),
            "cut at {}",
            cut.len()
        );
    }
    // Each 32-bit word of an event block set to values that break it in different ways.
    let first_event = shb(&[]).len();
    for at in (first_event..data.len() - 4).step_by(2) {
        for value in [0u32, 3, 12, 22, 0xFFFF, 0x1_0008, u32::MAX] {
            let mut bad = data.clone();
            bad[at..at + 4].copy_from_slice(&value.to_le_bytes());
            let want = by_next(&bad);
            assert_eq!(by_runs(&bad, usize::MAX), want, "{value:#x} at {at}");
        }
    }
    // A v1 event whose lengths fit no parameter count is an error, not a skipped event.
    let mut bad = shb(&[]);
    // Block header, cpu, then the event header's ts and tid come before its length.
    let len_at = bad.len() + 8 + 2 + 16;
    bad.extend(plain_event(0x204, 1, 4, &[&[1, 2, 3]]));
    let stored = u32::from_le_bytes(bad[len_at..len_at + 4].try_into().unwrap());
    bad[len_at..len_at + 4].copy_from_slice(&(stored - 1).to_le_bytes());
    let got = by_runs(&bad, usize::MAX);
    assert_eq!(got, by_next(&bad));
    assert!(got[1].contains("no parameter count fits"), "{got:#?}");
}

#[test]
fn plain_event_runs_start_after_the_section_header() {
    use std::ops::ControlFlow;
    // An event block first is not a capture: the run hands over nothing.
    let mut data = plain_event(0x204, 1, 4, &[&[0; 8]]);
    data.extend(shb(&[]));
    let cap = Capture::from_vec(data);
    let mut records = cap.records();
    let flow: ControlFlow<()> = records.try_for_each_plain_event(|_| ControlFlow::Break(()));
    assert!(flow.is_continue());
    let err = records.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotScap);
}
