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
