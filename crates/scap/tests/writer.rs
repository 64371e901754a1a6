//! The writer against the reader, against the corpus, and against an independent pcapng
//! parser (`pcap-file`).

// clippy.toml exempts `#[test]` functions only; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::path::PathBuf;

use pcap_file::pcapng::{Block as PcapBlock, PcapNgParser};
use pcap_file::{Endianness, PcapError};
use scap::block::{id, BlockKind};
use scap::event::DF_STATE_ONLY;
use scap::table::{self, code};
use scap::write::{Options, WriteError, Writer};
use scap::{Capture, Event, Record};

const PLAIN: Options = Options { gzip: false };
const GZIP: Options = Options { gzip: true };

/// A plugin id from the registry's test range (spec §14.1).
const TEST_PLUGIN: u32 = 999;

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    dir.is_dir().then_some(dir)
}

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = shared_dir()?.join("captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    files.sort();
    Some(files)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes.to_vec();
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A non-large event code from the table (by name and direction), so the tests do not
/// hard-code numbers the table owns.
fn code_of(name: &str, exit: bool) -> u16 {
    table::CURRENT
        .codes_named(name)
        .filter(|c| (c % 2 == 1) == exit)
        .last()
        .unwrap()
}

/// The block id the writer must choose for an event (spec §10, §18.7).
fn expected_block_id(ev: &Event<'_>) -> u32 {
    let large = ev.info().is_some_and(|i| i.is_large());
    match (ev.dump_flags() & !4 != 0, large) {
        (false, false) => id::EV_V2,
        (true, false) => id::EVF_V2,
        (false, true) => id::EV_V2_LARGE,
        (true, true) => id::EVF_V2_LARGE,
    }
}

/// Re-encode a whole capture: every section header, metadata and unknown block raw, every
/// event through `write_event`. Returns the output and the block ids written, in order.
fn reencode(cap: &Capture, options: Options) -> (Vec<u8>, Vec<u32>) {
    let mut w: Option<Writer<Vec<u8>>> = None;
    let mut ids = Vec::new();
    for rec in cap.records() {
        match rec.unwrap() {
            Record::Section(_) => {
                match w.as_mut() {
                    None => w = Some(Writer::new(Vec::new(), options).unwrap()),
                    Some(w) => w.new_section().unwrap(),
                }
                ids.push(id::SHB);
            }
            Record::Meta(b) | Record::Unknown(b) => {
                w.as_mut().unwrap().write_raw_block(b.raw()).unwrap();
                ids.push(b.block_type());
            }
            Record::Event(ev) => {
                w.as_mut().unwrap().write_event(&ev).unwrap();
                ids.push(expected_block_id(&ev));
            }
        }
    }
    (w.unwrap().finish().unwrap(), ids)
}

/// Parse `bytes` (gzip or not) with `pcap-file` and check what it can check: every block
/// well framed (lengths a multiple of 4, trailer equal to header), a little-endian 1.2
/// section header without options, zero padding after each event, and no slack in event
/// blocks. Returns the block ids in order.
fn pcapng_blocks(bytes: &[u8]) -> Vec<u32> {
    let data = gunzip(bytes);
    let (mut rest, parser) = PcapNgParser::new(&data[..]).unwrap();
    let mut parser = parser;
    check_shb(parser.section());
    let mut ids = vec![id::SHB];
    while !rest.is_empty() {
        let (rem, block) = match parser.next_block(rest) {
            Ok(x) => x,
            Err(PcapError::IncompleteBuffer) => panic!("trailing partial block"),
            Err(e) => panic!(
                "pcap-file rejects block at {}: {e}",
                data.len() - rest.len()
            ),
        };
        let consumed = rest.len() - rem.len();
        assert_eq!(consumed % 4, 0);
        match block {
            PcapBlock::SectionHeader(shb) => {
                check_shb(&shb);
                assert_eq!(consumed, 28);
                ids.push(id::SHB);
            }
            PcapBlock::Unknown(b) => {
                assert_eq!(b.length as usize, consumed);
                if let BlockKind::Event { flags, .. } = BlockKind::from_type(b.type_) {
                    let prefix = if flags { 6 } else { 2 };
                    let at = prefix + 16;
                    let len = u32::from_le_bytes(b.value[at..at + 4].try_into().unwrap()) as usize;
                    let used = prefix + len;
                    assert!(b.value[used..].iter().all(|&x| x == 0), "non-zero padding");
                    assert_eq!(
                        consumed,
                        (12 + used).div_ceil(4) * 4,
                        "slack in event block"
                    );
                }
                ids.push(b.type_);
            }
            other => panic!("pcap-file saw a standard pcapng block: {other:?}"),
        }
        rest = rem;
    }
    ids
}

fn check_shb(shb: &pcap_file::pcapng::blocks::section_header::SectionHeaderBlock<'_>) {
    assert_eq!(shb.endianness, Endianness::Little);
    assert_eq!((shb.major_version, shb.minor_version), (1, 2));
    assert_eq!(shb.section_length, -1);
    assert!(shb.options.is_empty());
}

/// Compare two captures record by record: sections by position, metadata and unknown blocks
/// byte for byte, events by every decoded field (and, for v2 sources, by their bytes).
/// Returns the number of events compared.
fn assert_same(orig: &Capture, copy: &Capture, what: &str) -> usize {
    let mut a = orig.records();
    let mut b = copy.records();
    let mut events = 0;
    loop {
        let (x, y) = match (a.next(), b.next()) {
            (None, None) => return events,
            (Some(x), Some(y)) => (x.unwrap(), y.unwrap()),
            (x, y) => panic!("{what}: record counts differ: {x:?} vs {y:?}"),
        };
        match (x, y) {
            (Record::Section(_), Record::Section(s)) => {
                assert_eq!((s.major, s.minor, s.options_len), (1, 2, 0));
            }
            (Record::Meta(m), Record::Meta(n)) | (Record::Unknown(m), Record::Unknown(n)) => {
                assert_eq!(m.raw(), n.raw(), "{what}: block at {}", m.offset());
            }
            (Record::Event(e), Record::Event(f)) => {
                events += 1;
                let at = e.offset();
                assert_eq!(
                    (
                        e.ts(),
                        e.tid(),
                        e.cpu(),
                        e.event_type(),
                        e.nparams(),
                        e.dump_flags()
                    ),
                    (
                        f.ts(),
                        f.tid(),
                        f.cpu(),
                        f.event_type(),
                        f.nparams(),
                        f.dump_flags()
                    ),
                    "{what}: event at {at}"
                );
                assert!(e.params().eq(f.params()), "{what}: params of event at {at}");
                assert!(!f.is_v1());
                assert_eq!(f.block_type(), expected_block_id(&e));
                // Exact `len`: header, length array, parameters, nothing else.
                let sum: usize = f.params().map(<[u8]>::len).sum();
                assert_eq!(f.raw().len(), 26 + f.len_width() * f.nparams() + sum);
                if !e.is_v1() {
                    assert_eq!(
                        e.raw(),
                        f.raw(),
                        "{what}: v2 event at {at} not byte-identical"
                    );
                }
            }
            (x, y) => panic!("{what}: record kinds differ: {x:?} vs {y:?}"),
        }
    }
}

#[test]
fn corpus_round_trip() {
    let Some(files) = corpus() else {
        eprintln!("skipped: writer corpus round trip (../shared not found)");
        return;
    };
    assert_eq!(files.len(), 21);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let orig = Capture::open(path).unwrap();

        let (plain, ids) = reencode(&orig, PLAIN);
        assert_eq!(
            pcapng_blocks(&plain),
            ids,
            "{name}: block ids seen by pcap-file"
        );
        let n = assert_same(&orig, &Capture::from_vec(plain.clone()), &name);
        assert!(n > 0, "{name}: no events");

        let (gz, gz_ids) = reencode(&orig, GZIP);
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        assert_eq!(gz_ids, ids);
        // The gzip layer carries exactly the plain stream.
        assert_eq!(
            gunzip(&gz),
            plain,
            "{name}: gzip output differs from plain output"
        );
        assert_eq!(pcapng_blocks(&gz), ids);
        let copy = Capture::from_vec(gz);
        assert_eq!(copy.compression(), scap::Compression::Gzip);
        assert_eq!(assert_same(&orig, &copy, &name), n);

        // Rebuilding from parameters must give the same bytes as the verbatim copy.
        assert_eq!(
            rebuild_from_parts(&orig),
            plain,
            "{name}: parts vs write_event"
        );
    }
}

/// Like `reencode` (plain), but every event goes through `write_event_parts`.
fn rebuild_from_parts(cap: &Capture) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
    let mut first = true;
    for rec in cap.records() {
        match rec.unwrap() {
            Record::Section(_) if first => first = false,
            Record::Section(_) => w.new_section().unwrap(),
            Record::Meta(b) | Record::Unknown(b) => w.write_raw_block(b.raw()).unwrap(),
            Record::Event(ev) => {
                let params: Vec<&[u8]> = ev.params().collect();
                let (ts, tid, cpu, flags, ty) = (
                    ev.ts(),
                    ev.tid(),
                    ev.cpu(),
                    ev.dump_flags(),
                    ev.event_type(),
                );
                w.write_event_parts(ts, tid, cpu, flags, ty, &params)
                    .unwrap();
            }
        }
    }
    w.finish().unwrap()
}

#[test]
fn corpus_raw_copy_is_identical() {
    let Some(files) = corpus() else {
        eprintln!("skipped: writer raw copy (../shared not found)");
        return;
    };
    // Every block copied verbatim (events included): the file is the original, except for
    // the section header, which the writer writes itself (1.2, no options).
    for path in &files {
        let orig = Capture::open(path).unwrap();
        let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
        let mut shb_len = 0;
        for rec in orig.records() {
            match rec.unwrap() {
                Record::Section(s) => {
                    assert_eq!(s.offset.0, 0, "corpus files have one section");
                    shb_len = 28 + s.options_len;
                }
                Record::Meta(b) | Record::Unknown(b) => w.write_raw_block(b.raw()).unwrap(),
                Record::Event(ev) => {
                    let block = &orig.data()[ev.offset().0 as usize..];
                    let total = u32::from_le_bytes(block[4..8].try_into().unwrap()) as usize;
                    w.write_raw_block(&block[..total]).unwrap();
                }
            }
        }
        let n = w.events_written();
        let out = w.finish().unwrap();
        assert_eq!(&out[28..], &orig.data()[shb_len..], "{}", path.display());
        assert_eq!(Capture::from_vec(out).events().count() as u64, n);
    }
}

#[test]
fn corpus_two_sections_in_one_stream() {
    let Some(files) = corpus() else {
        eprintln!("skipped: writer multi-section corpus (../shared not found)");
        return;
    };
    let pick = |name: &str| files.iter().find(|p| p.ends_with(name)).unwrap();
    let a = Capture::open(pick("falco_cat_write.scap")).unwrap();
    let b = Capture::open(pick("libs_sample.scap")).unwrap();
    let mut w = Writer::new(Vec::new(), GZIP).unwrap();
    for (i, cap) in [&a, &b].into_iter().enumerate() {
        if i > 0 {
            w.new_section().unwrap();
        }
        for rec in cap.records() {
            match rec.unwrap() {
                Record::Section(_) => {}
                Record::Meta(m) | Record::Unknown(m) => w.write_raw_block(m.raw()).unwrap(),
                Record::Event(ev) => w.write_event(&ev).unwrap(),
            }
        }
    }
    let out = w.finish().unwrap();
    let ids = pcapng_blocks(&out);
    assert_eq!(ids.iter().filter(|&&t| t == id::SHB).count(), 2);
    let both = Capture::from_vec(out);
    let sections: Vec<u64> = both
        .records()
        .filter_map(|r| match r.unwrap() {
            Record::Section(s) => Some(s.offset.0),
            _ => None,
        })
        .collect();
    assert_eq!(sections.len(), 2);
    // The second section starts right where the first one's records end.
    let (first, second) = both.data().split_at(sections[1] as usize);
    let mut one = Writer::new(Vec::new(), PLAIN).unwrap();
    for rec in a.records() {
        match rec.unwrap() {
            Record::Section(_) => {}
            Record::Meta(m) | Record::Unknown(m) => one.write_raw_block(m.raw()).unwrap(),
            Record::Event(ev) => one.write_event(&ev).unwrap(),
        }
    }
    assert_eq!(first, &one.finish().unwrap()[..]);
    assert_same(&b, &Capture::from_vec(second.to_vec()), "second section");
}

// ---- synthetic cases the corpus lacks ----

fn only_event(bytes: Vec<u8>) -> (Capture, usize) {
    let cap = Capture::from_vec(bytes);
    let n = cap.events().try_fold(0, |n, e| e.map(|_| n + 1)).unwrap();
    (cap, n)
}

#[test]
fn dump_flags_select_evf() {
    let read_x = code_of("read", true);
    let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
    let params: [&[u8]; 2] = [&5i64.to_le_bytes(), b"hello"];
    w.write_event_parts(10, 42, 3, DF_STATE_ONLY, read_x, &params)
        .unwrap();
    w.write_event_parts(11, 42, 3, 0, read_x, &params).unwrap();
    // SCAP_DF_LARGE (4) is an in-memory hint: stripped, so this is a plain EV_V2.
    w.write_event_parts(12, 42, 3, 4, read_x, &params).unwrap();
    w.write_event_parts(13, 42, 3, 4 | DF_STATE_ONLY, read_x, &params)
        .unwrap();
    let out = w.finish().unwrap();
    assert_eq!(
        pcapng_blocks(&out),
        [id::SHB, id::EVF_V2, id::EV_V2, id::EV_V2, id::EVF_V2]
    );
    let (cap, n) = only_event(out);
    assert_eq!(n, 4);
    let evs: Vec<_> = cap.events().map(|e| e.unwrap()).collect();
    let flags: Vec<u32> = evs.iter().map(|e| e.dump_flags()).collect();
    assert_eq!(flags, [1, 0, 0, 1]);
    for ev in &evs {
        assert_eq!((ev.tid(), ev.cpu(), ev.event_type()), (42, 3, read_x));
        assert!(ev.params().eq(params.iter().copied()));
        assert_eq!(ev.raw().len(), 26 + 2 * 2 + 8 + 5);
    }
    // EVF and EV of the same event differ only in the block framing.
    assert_eq!(evs[0].raw()[8..], evs[1].raw()[8..]);
}

#[test]
fn plugin_events_use_large_blocks_and_u32_lengths() {
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let id_bytes = TEST_PLUGIN.to_le_bytes();
    let mut w = Writer::new(Vec::new(), GZIP).unwrap();
    // Small and big plugin events: both LARGE, both with u32 lengths (the type decides).
    w.write_event_parts(
        1,
        u64::MAX,
        0,
        0,
        code::PLUGINEVENT_E,
        &[&id_bytes, b"tiny"],
    )
    .unwrap();
    w.write_event_parts(
        2,
        u64::MAX,
        0,
        0,
        code::PLUGINEVENT_E,
        &[&id_bytes, &payload],
    )
    .unwrap();
    w.write_event_parts(
        3,
        u64::MAX,
        0,
        DF_STATE_ONLY,
        code::PLUGINEVENT_E,
        &[&id_bytes, &payload],
    )
    .unwrap();
    let json = br#"{"container":{"id":"abc"}}"#;
    w.write_event_parts(4, 0, 0, 0, code::CONTAINER_JSON_2_E, &[json])
        .unwrap();
    let out = w.finish().unwrap();
    assert_eq!(
        pcapng_blocks(&out),
        [
            id::SHB,
            id::EV_V2_LARGE,
            id::EV_V2_LARGE,
            id::EVF_V2_LARGE,
            id::EV_V2_LARGE
        ]
    );
    let (cap, n) = only_event(out);
    assert_eq!(n, 4);
    let evs: Vec<_> = cap.events().map(|e| e.unwrap()).collect();
    for ev in &evs {
        assert_eq!(ev.len_width(), 4);
    }
    let raw = evs[0].raw();
    // len = 26 + 2 * 4 + 4 + N; lengths [4, N] as u32 (spec §14.1).
    assert_eq!(raw.len(), 26 + 8 + 4 + 4);
    assert_eq!(&raw[16..20], &(26u32 + 8 + 4 + 4).to_le_bytes());
    assert_eq!(&raw[20..22], &322u16.to_le_bytes());
    assert_eq!(&raw[22..26], &2u32.to_le_bytes());
    assert_eq!(&raw[26..34], &[4, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(&raw[34..38], &TEST_PLUGIN.to_le_bytes());
    assert_eq!(evs[1].param(1), Some(&payload[..]));
    assert_eq!(evs[1].raw().len(), 26 + 8 + 4 + payload.len());
    assert_eq!(evs[2].dump_flags(), DF_STATE_ONLY);
    assert_eq!(evs[3].param(0), Some(&json[..]));

    // Re-encoding what we read gives the same bytes (v2 in, v2 out).
    let (again, _) = reencode(&cap, GZIP);
    assert_same(&cap, &Capture::from_vec(again), "plugin events");
}

#[test]
fn non_large_types_stop_at_64k() {
    let write_x = code_of("write", true);
    let fill = vec![b'x'; 70_000];
    // One u16 length: len = 26 + 2 + n. EV_V2 holds up to 65,530, EVF_V2 up to 65,526.
    for (flags, max) in [(0u32, 65_530usize), (DF_STATE_ONLY, 65_526)] {
        let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
        let n = max - 28;
        w.write_event_parts(1, 1, 0, flags, write_x, &[&fill[..n]])
            .unwrap();
        let before = w.get_ref().len();
        let err = w
            .write_event_parts(2, 1, 0, flags, write_x, &[&fill[..n + 1]])
            .unwrap_err();
        match err {
            WriteError::TooLarge {
                event_type,
                event_len,
                max: m,
            } => {
                assert_eq!(event_type, write_x);
                assert_eq!(event_len as usize, max + 1);
                assert_eq!(m as usize, max);
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err_text(flags, write_x, &fill).contains("64 KiB"));
        // Nothing was written for the refused event; the writer goes on.
        assert_eq!(w.get_ref().len(), before);
        w.write_event_parts(3, 1, 0, flags, write_x, &[b"ok"])
            .unwrap();
        assert_eq!(w.events_written(), 2);
        let out = w.finish().unwrap();
        pcapng_blocks(&out);
        let (cap, count) = only_event(out);
        assert_eq!(count, 2);
        let first = cap.events().next().unwrap().unwrap();
        assert_eq!(first.raw().len(), max);
        assert_eq!(first.param(0).unwrap().len(), n);
    }
    // A type the table does not know is never LARGE either.
    let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
    assert!(matches!(
        w.write_event_parts(1, 1, 0, 0, 9999, &[&fill]),
        Err(WriteError::TooLarge { .. })
    ));
}

fn err_text(flags: u32, ty: u16, fill: &[u8]) -> String {
    let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
    w.write_event_parts(0, 0, 0, flags, ty, &[fill])
        .unwrap_err()
        .to_string()
}

#[test]
fn sections_back_to_back() {
    let open_e = code_of("open", false);
    let mi = [0u8; 180];
    let one = |w: &mut Writer<Vec<u8>>, ts: u64| {
        w.write_block(id::MI, &mi).unwrap();
        w.write_block(0x7777, b"custom").unwrap();
        w.write_event_parts(
            ts,
            7,
            0,
            0,
            open_e,
            &[b"/etc/passwd\0", &1u32.to_le_bytes()],
        )
        .unwrap();
        w.write_event_parts(ts + 1, 7, 1, 0, open_e, &[b"/tmp\0"])
            .unwrap();
    };
    let expect = [
        id::SHB,
        id::MI,
        0x7777,
        id::EV_V2,
        id::EV_V2,
        id::SHB,
        id::MI,
        0x7777,
        id::EV_V2,
        id::EV_V2,
    ];
    let kinds = |cap: &Capture| -> Vec<u32> {
        cap.records()
            .map(|r| match r.unwrap() {
                Record::Section(_) => id::SHB,
                Record::Meta(b) | Record::Unknown(b) => b.block_type(),
                Record::Event(e) => e.block_type(),
            })
            .collect()
    };

    // One writer, two sections.
    for options in [PLAIN, GZIP] {
        let mut w = Writer::new(Vec::new(), options).unwrap();
        one(&mut w, 100);
        w.new_section().unwrap();
        one(&mut w, 200);
        let out = w.finish().unwrap();
        assert_eq!(pcapng_blocks(&out), expect);
        let cap = Capture::from_vec(out);
        assert_eq!(kinds(&cap), expect);
        let ts: Vec<u64> = cap.events().map(|e| e.unwrap().ts()).collect();
        assert_eq!(ts, [100, 101, 200, 201]);
    }

    // Two finished captures concatenated (`cat a b`), plain and as two gzip members.
    for options in [PLAIN, GZIP] {
        let mut a = Writer::new(Vec::new(), options).unwrap();
        one(&mut a, 100);
        let mut out = a.finish().unwrap();
        let mut b = Writer::new(out, options).unwrap();
        one(&mut b, 200);
        out = b.finish().unwrap();
        assert_eq!(pcapng_blocks(&out), expect);
        assert_eq!(kinds(&Capture::from_vec(out)), expect);
    }
}

#[test]
fn block_order_and_framing_are_enforced() {
    let open_e = code_of("open", false);
    let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
    w.write_block(id::PL_V9, &[]).unwrap();
    assert!(matches!(
        w.write_block(id::SHB, &[0; 16]),
        Err(WriteError::BadBlock(_))
    ));
    assert!(matches!(
        w.write_block(id::EV_V2, &[0; 28]),
        Err(WriteError::BadBlock(_))
    ));
    w.write_event_parts(1, 1, 0, 0, open_e, &[b"/\0"]).unwrap();
    // After an event only events may follow (libscap would restart and fail).
    assert!(matches!(
        w.write_block(id::FDL_V2, &[0; 8]),
        Err(WriteError::OutOfOrder {
            block_type: id::FDL_V2
        })
    ));
    let mut fdl = Vec::new();
    for word in [id::FDL_V2, 16, 0, 16] {
        fdl.extend_from_slice(&word.to_le_bytes());
    }
    assert!(matches!(
        w.write_raw_block(&fdl),
        Err(WriteError::OutOfOrder { .. })
    ));
    w.new_section().unwrap();
    w.write_raw_block(&fdl).unwrap();

    // Bad framing.
    let mut bad = fdl.clone();
    bad[12] = 20;
    assert!(matches!(
        w.write_raw_block(&bad),
        Err(WriteError::BadBlock(_))
    ));
    assert!(matches!(
        w.write_raw_block(&fdl[..8]),
        Err(WriteError::BadBlock(_))
    ));
    assert!(matches!(
        w.write_raw_block(&fdl[..12]),
        Err(WriteError::BadBlock(_))
    ));
    let mut odd = Vec::new();
    for word in [0x7777u32, 14] {
        odd.extend_from_slice(&word.to_le_bytes());
    }
    odd.extend_from_slice(&[0, 0, 14, 0, 0, 0]);
    assert!(matches!(
        w.write_raw_block(&odd),
        Err(WriteError::BadBlock(_))
    ));
    let shb = w.get_ref()[..28].to_vec();
    assert!(matches!(
        w.write_raw_block(&shb),
        Err(WriteError::BadBlock(_))
    ));

    w.write_event_parts(2, 1, 0, 0, open_e, &[b"/\0"]).unwrap();
    let out = w.finish().unwrap();
    assert_eq!(
        pcapng_blocks(&out),
        [
            id::SHB,
            id::PL_V9,
            id::EV_V2,
            id::SHB,
            id::FDL_V2,
            id::EV_V2
        ]
    );
}

#[test]
fn empty_capture_is_just_a_section_header() {
    // Allowed, though sysdig cannot open it ("no events in file").
    let out = Writer::new(Vec::new(), PLAIN).unwrap().finish().unwrap();
    let mut shb = vec![
        0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 2, 0,
    ];
    shb.extend_from_slice(&[0xFF; 8]);
    shb.extend_from_slice(&[28, 0, 0, 0]);
    assert_eq!(out, shb);
    assert_eq!(pcapng_blocks(&out), [id::SHB]);
    let gz = Writer::new(Vec::new(), GZIP).unwrap().finish().unwrap();
    assert_eq!(gunzip(&gz), shb);
}

#[test]
fn pcap_file_stream_reader_accepts_our_output() {
    // The streaming reader too (not just the slice parser), over a mixed capture.
    let read_x = code_of("read", true);
    let mut w = Writer::new(Vec::new(), PLAIN).unwrap();
    w.write_block(id::UL_V2, &[1, 2, 3]).unwrap();
    w.write_event_parts(1, 2, 0, 0, read_x, &[&3i64.to_le_bytes(), b"abc"])
        .unwrap();
    w.write_event_parts(
        2,
        u64::MAX,
        0,
        0,
        code::PLUGINEVENT_E,
        &[&TEST_PLUGIN.to_le_bytes(), &[9; 70_000]],
    )
    .unwrap();
    let out = w.finish().unwrap();
    let mut reader = pcap_file::pcapng::PcapNgReader::new(&out[..]).unwrap();
    let mut ids = Vec::new();
    while let Some(block) = reader.next_block() {
        match block.unwrap() {
            PcapBlock::Unknown(b) => ids.push(b.type_),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ids, [id::UL_V2, id::EV_V2, id::EV_V2_LARGE]);
}
