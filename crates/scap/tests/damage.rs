//! Damaged input never panics and never loses an event: every real capture, cut at block
//! boundaries and at random offsets, gzip streams cut short, bytes flipped, and inputs that
//! are not captures at all.
// Test code: a failed unwrap or panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::sync::OnceLock;

use common::targets::{check_event, check_prefix, ok_events};
use common::{block_bounds, load_captures, shared_dir, Rng, Sample};
use scap::{block::id, Capture, ErrorKind, Record, Records};

/// The big k8s capture is read through its first 2 MB only, to keep the tests quick.
const WORK_LIMIT: usize = 2 << 20;

fn corpus(what: &str) -> Option<&'static [Sample]> {
    static CORPUS: OnceLock<Option<Vec<Sample>>> = OnceLock::new();
    let c = CORPUS
        .get_or_init(|| shared_dir(what).map(|d| load_captures(&d)))
        .as_deref();
    if c.is_none() {
        eprintln!("skipped: {what} (../shared not found)");
    }
    c
}

/// The inflated bytes to work on, cut at a block boundary past `WORK_LIMIT`.
fn work_data(s: &Sample) -> &[u8] {
    if s.data.len() <= WORK_LIMIT {
        return &s.data;
    }
    let end = block_bounds(&s.data)
        .into_iter()
        .take_while(|&b| b <= WORK_LIMIT)
        .last()
        .unwrap();
    &s.data[..end]
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

#[test]
fn corpus_is_complete_and_reads_cleanly() {
    let Some(corpus) = corpus("damage: clean read") else {
        return;
    };
    assert_eq!(corpus.len(), 21, "captures in ../shared/captures");
    for s in corpus {
        let cap = Capture::from_vec(s.stored.clone());
        assert_eq!(cap.data(), &s.data[..], "{}", s.name);
        let path = shared_dir("damage: clean read")
            .unwrap()
            .join("captures")
            .join(&s.name);
        let opened = Capture::open(path).unwrap();
        assert_eq!(opened.data(), &s.data[..], "{}", s.name);
        assert_eq!(opened.stored_len(), s.stored.len() as u64);
        assert!(opened.gzip_error().is_none());
        let mut events = 0;
        for r in cap.records() {
            if let Record::Event(ev) = r.unwrap_or_else(|e| panic!("{}: {e}", s.name)) {
                check_event(&ev);
                events += 1;
            }
        }
        assert!(events > 0, "{}", s.name);
        assert_eq!(*block_bounds(&s.data).last().unwrap(), s.data.len());
    }
}

/// Cut the inflated bytes at block boundaries (first and last 50 blocks, a few bytes past
/// some of them) and at 200 random offsets.
#[test]
fn truncated_anywhere_yields_a_prefix_then_one_truncated_error() {
    let Some(corpus) = corpus("damage: truncation") else {
        return;
    };
    let mut rng = Rng::new(0x7261_6e63);
    let mut tally = [0usize; 3]; // clean, truncated, not scap
    for s in corpus {
        let data = work_data(s);
        let cap = Capture::from_vec(data.to_vec());
        let whole = ok_events(&cap);
        let bounds = block_bounds(data);
        assert_eq!(*bounds.last().unwrap(), data.len(), "{}", s.name);

        let mut cuts: Vec<usize> = Vec::new();
        let edges = bounds.iter().take(50).chain(bounds.iter().rev().take(50));
        for (i, &b) in edges.enumerate() {
            cuts.push(b);
            // Inside the header, in turn: part of the type, of the length, just past it.
            let into = [1, 3, 4, 7, 8, 20][i % 6];
            cuts.push((b + into).min(data.len()));
            if i < 50 {
                cuts.push(b.saturating_sub(1));
            }
        }
        let random = if s.data.len() > WORK_LIMIT { 50 } else { 200 };
        cuts.extend((0..random).map(|_| rng.below(data.len() + 1)));
        cuts.sort_unstable();
        cuts.dedup();

        for cut in cuts {
            let ctx = format!("{} cut at {cut}", s.name);
            let (n, err) = check_prefix(data, &whole, &data[..cut]);
            let k = bounds.partition_point(|&b| b <= cut) - 1;
            let start = bounds[k];
            // Events of the blocks before the cut, none more (check_prefix: none lost).
            assert_eq!(n, whole.iter().take_while(|w| w.0 < start as u64).count());
            if cut < 4 {
                // Not even a whole block id: nothing says this was meant to be a capture.
                let e = err.unwrap_or_else(|| panic!("{ctx}: no error"));
                assert_eq!(e.kind(), &ErrorKind::NotScap, "{ctx}");
                tally[2] += 1;
                continue;
            }
            if start == cut {
                assert!(err.is_none(), "{ctx}: boundary cut gave {err:?}");
                tally[0] += 1;
                continue;
            }
            let e = err.unwrap_or_else(|| panic!("{ctx}: no error"));
            assert_eq!(e.kind(), &ErrorKind::Truncated, "{ctx}: {e}");
            let end = bounds[k + 1];
            assert!(
                (start as u64..end as u64).contains(&e.offset().0),
                "{ctx}: offset {} not in block {start}..{end}",
                e.offset()
            );
            if cut - start >= 4 {
                assert_eq!(e.block_type(), Some(u32_at(data, start)), "{ctx}");
            }
            if cut - start >= 8 {
                // The length is known: the error says exactly what is missing.
                assert_eq!(e.offset().0, start as u64, "{ctx}");
                assert_eq!(e.needed(), Some(end - cut), "{ctx}");
            }
            let text = e.to_string();
            assert!(
                text.contains("truncated") && text.contains(" at offset 0x"),
                "{text}"
            );
            tally[1] += 1;
        }
    }
    eprintln!(
        "truncation: {} clean, {} truncated, {} not scap",
        tally[0], tally[1], tally[2]
    );
}

/// A gzip file cut short: every event inflated so far, then one `Gzip` error.
#[test]
fn cut_gzip_yields_events_so_far_then_a_gzip_error() {
    let Some(corpus) = corpus("damage: cut gzip") else {
        return;
    };
    let mut rng = Rng::new(0x677a_6970);
    for s in corpus.iter().filter(|s| s.gzip) {
        let len = s.stored.len();
        let cap = Capture::from_vec(s.data.clone());
        let whole = ok_events(&cap);
        // Inflating is slow in debug builds: stay near the start of the big one.
        let span = len.min(WORK_LIMIT / 8);
        let mut cuts = vec![2, 5, 10, 11, 64, span / 2, len - 8, len - 4, len - 1];
        cuts.extend((0..25).map(|_| 2 + rng.below(span - 2)));
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let ctx = format!("{} gzip cut at {cut}", s.name);
            let (n, err) = check_prefix(&s.data, &whole, &s.stored[..cut]);
            let e = err.unwrap_or_else(|| panic!("{ctx}: no error"));
            assert!(matches!(e.kind(), ErrorKind::Gzip(_)), "{ctx}: {e}");
            assert!(e.to_string().contains("gzip stream error"), "{ctx}: {e}");
            if cut >= len - 8 {
                // Only the CRC/size trailer is missing: every event is there.
                assert_eq!(n, whole.len(), "{ctx}");
            }
        }
        // Half the file inflates to something (check_prefix: and every event in it).
        let half = Capture::from_vec(s.stored[..len / 2].to_vec());
        assert!(half.data().len() > len / 2, "{}", s.name);
        check_prefix(&s.data, &whole, &s.stored[..len / 2]);
        // One or zero bytes are not even gzip.
        for cut in [0, 1] {
            let e = first_error(s.stored[..cut].to_vec());
            assert_eq!(e.kind(), &ErrorKind::NotScap, "{}: {e}", s.name);
        }
    }
}

/// A flipped byte in a gzip file: no inflated byte before the damage is lost (flate2 alone
/// drops the chunk it was inflating), the events of the part that still matches the original
/// all come out, and a cut of the damaged file yields a prefix of what the whole one does.
#[test]
fn damaged_gzip_keeps_everything_inflated_before_the_damage() {
    let Some(corpus) = corpus("damage: damaged gzip") else {
        return;
    };
    let mut rng = Rng::new(0x6466_6c74);
    let mut trials: Vec<(&Sample, usize, u8)> = Vec::new();
    for s in corpus
        .iter()
        .filter(|s| s.gzip && s.data.len() <= WORK_LIMIT)
    {
        for _ in 0..10 {
            trials.push((s, 10 + rng.below(s.stored.len() - 10), rng.nonzero_byte()));
        }
    }
    // Flips known to break the deflate stream itself (most only break the checksum).
    let psp = corpus
        .iter()
        .find(|s| s.name == "falco_psp_run_as_user_0_container.scap")
        .unwrap();
    trials.extend([(psp, 25_380, 0x13), (psp, 50_884, 0x94), (psp, 1_000, 0x40)]);

    let mut corrupt_deflate = 0;
    for (s, pos, x) in trials {
        let mut bad = s.stored.clone();
        bad[pos] ^= x;
        let ctx = format!("{}: gzip byte {pos} ^= {x:#04x}", s.name);
        let cap = Capture::from_vec(bad.clone());
        let Some(gz_err) = cap.gzip_error() else {
            continue; // the flip went unnoticed (in the header's mtime, say)
        };
        if gz_err.to_string().contains("deflate") {
            corrupt_deflate += 1;
            // Never less than inflating one byte per `read`.
            let mut one = Vec::new();
            let mut dec = flate2::read::MultiGzDecoder::new(&bad[..]);
            let mut byte = [0u8; 1];
            while let Ok(1) = dec.read(&mut byte) {
                one.push(byte[0]);
            }
            assert!(
                cap.data().starts_with(&one),
                "{ctx}: {} < {}",
                cap.data().len(),
                one.len()
            );
        }

        let clean = Capture::from_vec(s.data.clone());
        let whole = ok_events(&clean);
        let same = s
            .data
            .iter()
            .zip(cap.data())
            .take_while(|(a, b)| a == b)
            .count();
        let bounds = block_bounds(&s.data);
        let intact = bounds[bounds.partition_point(|&b| b <= same) - 1] as u64;
        let mut n = 0;
        let mut err = None;
        for ev in cap.events() {
            assert!(err.is_none(), "{ctx}: an item after the error");
            match ev {
                Ok(ev) if ev.offset().0 < intact => {
                    assert_eq!((ev.offset().0, ev.raw()), whole[n], "{ctx}");
                    n += 1;
                }
                Ok(ev) => check_event(&ev),
                Err(e) => err = Some(e),
            }
        }
        let expected = whole.iter().take_while(|w| w.0 < intact).count();
        assert_eq!(n, expected, "{ctx}: events lost");
        assert!(err.is_some(), "{ctx}: gzip error not reported");

        let damaged = ok_events(&cap);
        for cut in [pos, pos + 1, bad.len() - 1, 2 + rng.below(bad.len() - 2)] {
            check_prefix(cap.data(), &damaged, &bad[..cut]);
        }
    }
    assert!(
        corrupt_deflate >= 2,
        "only {corrupt_deflate} corrupt deflate streams"
    );
}

/// One byte flipped per trial: no panic, the iteration ends, at most one error and it is
/// last, and every event of the blocks before the flipped one is still there, unchanged.
#[test]
fn flipped_bytes_never_panic_or_lose_earlier_events() {
    let Some(corpus) = corpus("damage: byte flips") else {
        return;
    };
    let mut rng = Rng::new(0x666c_6970);
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    for s in corpus {
        let data = work_data(s);
        let cap = Capture::from_vec(data.to_vec());
        let whole = ok_events(&cap);
        let bounds = block_bounds(data);
        let trials = if s.data.len() > WORK_LIMIT { 40 } else { 300 };
        let mut buf = data.to_vec();
        for _ in 0..trials {
            let pos = rng.below(data.len());
            let x = rng.nonzero_byte();
            buf[pos] ^= x;
            let ctx = format!("{}: byte {pos} ^= {x:#04x}", s.name);
            let start = bounds[bounds.partition_point(|&b| b <= pos) - 1] as u64;
            let before = whole.iter().take_while(|w| w.0 < start).count();

            let mut items = 0usize;
            let mut n = 0usize;
            let mut err = None;
            for r in Records::new(&buf, None) {
                items += 1;
                assert!(items <= data.len() / 12 + 2, "{ctx}: runaway iteration");
                assert!(err.is_none(), "{ctx}: an item after the error");
                match r {
                    Ok(Record::Event(ev)) => {
                        if n < before {
                            assert_eq!((ev.offset().0, ev.raw()), whole[n], "{ctx}: event {n}");
                        } else {
                            // Earlier events are the clean ones, already checked.
                            check_event(&ev);
                        }
                        n += 1;
                    }
                    Ok(_) => {}
                    Err(e) => err = Some(e),
                }
            }
            // Blocks before the flip are untouched, so their events all come out.
            assert!(n >= before, "{ctx}: {n} events, {before} before the flip");
            let key = err.map_or("none".to_string(), |e| {
                let k = format!("{:?}", e.kind());
                k.split(['(', ' ']).next().unwrap().to_string()
            });
            *errors.entry(key).or_default() += 1;
            buf[pos] ^= x;
        }
    }
    eprintln!("byte flips, errors by kind: {errors:?}");
}

fn first_error(bytes: Vec<u8>) -> scap::Error {
    let cap = Capture::from_vec(bytes);
    let mut recs = cap.records();
    let e = match recs.next() {
        Some(Err(e)) => e,
        other => panic!("expected an error first, got {other:?}"),
    };
    assert!(recs.next().is_none(), "nothing after the error");
    e
}

fn assert_not_scap(bytes: Vec<u8>) {
    let e = first_error(bytes);
    assert_eq!(e.kind(), &ErrorKind::NotScap);
    assert_eq!(e.offset().0, 0);
    let text = e.to_string();
    assert!(text.contains("not a scap capture"), "{text}");
    assert!(text.contains("at offset 0x0"), "{text}");
}

/// A section header block with the given magic, version and byte order of the length.
fn shb(magic: u32, major: u16, minor: u16, big_endian: bool) -> Vec<u8> {
    let len: u32 = 28;
    let mut v = id::SHB.to_le_bytes().to_vec();
    let (l, m, ma, mi) = if big_endian {
        (
            len.to_be_bytes(),
            magic.to_be_bytes(),
            major.to_be_bytes(),
            minor.to_be_bytes(),
        )
    } else {
        (
            len.to_le_bytes(),
            magic.to_le_bytes(),
            major.to_le_bytes(),
            minor.to_le_bytes(),
        )
    };
    v.extend(l);
    v.extend(m);
    v.extend(ma);
    v.extend(mi);
    v.extend((-1i64).to_le_bytes());
    v.extend(l);
    v
}

#[test]
fn non_scap_input_is_reported_at_once() {
    assert_not_scap(Vec::new());
    assert_not_scap(b"hello, this is a text file\nand not a capture\n".to_vec());
    let mut rng = Rng::new(0x7261_6e64);
    let mut random: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    random[0] = 0x42;
    assert_not_scap(random);
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    png.extend([0x1f, 0xf3, 0xff, 0x61]);
    assert_not_scap(png);
    // Short files, including a partial block id.
    assert_not_scap(vec![0x0a]);
    assert_not_scap(vec![0x0a, 0x0d, 0x0d]);
    // gzip of a text file.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"just text, inflated fine").unwrap();
    assert_not_scap(gz.finish().unwrap());

    // Section headers that are well framed but wrong.
    let e = first_error(shb(0x1A2B_3C4D, 1, 0, true));
    assert_eq!(e.kind(), &ErrorKind::BigEndian, "{e}");
    assert_eq!(e.block_type(), Some(id::SHB));
    let e = first_error(shb(0x4D3C_2B1A, 1, 0, false));
    assert_eq!(e.kind(), &ErrorKind::BigEndian, "{e}");
    let e = first_error(shb(0xDEAD_BEEF, 1, 0, false));
    assert_eq!(e.kind(), &ErrorKind::BadMagic(0xDEAD_BEEF), "{e}");
    assert!(e.to_string().contains("0xdeadbeef at offset 0x8"), "{e}");
    let e = first_error(shb(0x1A2B_3C4D, 2, 0, false));
    assert_eq!(
        e.kind(),
        &ErrorKind::UnsupportedVersion { major: 2, minor: 0 },
        "{e}"
    );
    assert!(e.to_string().contains("at offset 0xc"), "{e}");
    // An SHB with an impossible length.
    let mut bad = shb(0x1A2B_3C4D, 1, 0, false);
    bad[4] = 4;
    let e = first_error(bad);
    assert_eq!(e.kind(), &ErrorKind::BadBlockLength(4), "{e}");
}

/// Real pcapng files, written by pcap-file: little-endian reads as an (eventless) capture of
/// unknown blocks, as libscap would; big-endian is named as such.
#[test]
fn pcapng_files_from_another_writer() {
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
    use pcap_file::pcapng::PcapNgWriter;
    use pcap_file::{DataLink, Endianness};

    let write = |endianness| {
        let mut w = PcapNgWriter::with_endianness(Vec::new(), endianness).unwrap();
        w.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: 0xFFFF,
            options: vec![],
        })
        .unwrap();
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: std::time::Duration::from_secs(1),
            original_len: 4,
            data: std::borrow::Cow::Borrowed(&[1, 2, 3, 4]),
            options: vec![],
        })
        .unwrap();
        w.into_inner()
    };

    let cap = Capture::from_vec(write(Endianness::Little));
    let kinds: Vec<&str> = cap
        .records()
        .map(|r| match r.unwrap() {
            Record::Section(_) => "section",
            Record::Unknown(_) => "unknown",
            Record::Meta(_) => "meta",
            Record::Event(_) => "event",
        })
        .collect();
    assert_eq!(kinds, ["section", "unknown", "unknown"]);

    let e = first_error(write(Endianness::Big));
    assert_eq!(e.kind(), &ErrorKind::BigEndian, "{e}");
    assert!(e.to_string().contains("big-endian"), "{e}");
}
