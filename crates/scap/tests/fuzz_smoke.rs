//! The fuzz targets of `fuzz/` on stable Rust: 20,000 inputs from a seeded mutator (block
//! splices and retypes from the real captures, bit flips, interesting values, truncations,
//! sometimes gzip) through the same `read` and `prefix` bodies libFuzzer runs.
// Test code: a failed unwrap or panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use common::targets;
use common::{block_bounds, load_captures, shared_dir, Rng};
use scap::block::id;

const INPUTS: usize = 20_000;
/// Blocks longer than this stay out of the pool, to keep inputs small and the test quick.
const MAX_POOL_BLOCK: usize = 4096;

/// Real blocks to build inputs from.
struct Pool {
    headers: Vec<Vec<u8>>,
    blocks: Vec<Vec<u8>>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Section headers, and the small blocks of every capture: the first of each
/// (block type, event type) pair, plus a seeded sample of the rest.
fn pool(rng: &mut Rng) -> Option<Pool> {
    let shared = shared_dir("fuzz smoke")?;
    let mut seen = std::collections::HashSet::new();
    let mut pool = Pool {
        headers: Vec::new(),
        blocks: Vec::new(),
    };
    for s in load_captures(&shared) {
        let bounds = block_bounds(&s.data);
        for w in bounds.windows(2) {
            let b = &s.data[w[0]..w[1]];
            let ty = u32_at(b, 0);
            if ty == id::SHB {
                pool.headers.push(b.to_vec());
                continue;
            }
            if b.len() > MAX_POOL_BLOCK {
                continue;
            }
            // Event type: u16 after cpu (and flags) and ts, tid, len.
            let ev_at = match ty {
                id::EV | id::EV_INT | id::EV_V2 | id::EV_V2_LARGE => 8 + 2 + 20,
                id::EVF | id::EVF_V2 | id::EVF_V2_LARGE => 8 + 6 + 20,
                _ => 0,
            };
            let ev = if ev_at > 0 && b.len() >= ev_at + 2 {
                u16::from_le_bytes([b[ev_at], b[ev_at + 1]])
            } else {
                0
            };
            if seen.insert((ty, ev)) || rng.chance(2) {
                pool.blocks.push(b.to_vec());
            }
        }
    }
    Some(pool)
}

/// Block ids worth retyping a block to: every event shape, metadata, SHB, unknown.
const RETYPES: [u32; 14] = [
    id::EV,
    id::EVF,
    id::EV_V2,
    id::EVF_V2,
    id::EV_V2_LARGE,
    id::EVF_V2_LARGE,
    id::EV_INT,
    id::MI,
    id::PL_V9,
    id::FDL_V2,
    id::IL_V2,
    id::UL_V2,
    id::SHB,
    0x0BAD_F00D,
];

const INTERESTING_U32: [u32; 9] = [
    0,
    1,
    12,
    13,
    0x7FFF,
    0x1_0000,
    0x1_0004,
    0xFFFF_FFFF,
    0x8000_0000,
];

/// One input: a section header and some pool blocks, mutated at block then byte level.
fn make_input(rng: &mut Rng, pool: &Pool) -> Vec<u8> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    if !rng.chance(3) {
        blocks.push(pool.headers[rng.below(pool.headers.len())].clone());
    }
    for _ in 0..1 + rng.below(24) {
        blocks.push(pool.blocks[rng.below(pool.blocks.len())].clone());
    }
    // Block-level: retype, duplicate, drop, swap.
    for _ in 0..rng.below(3) {
        let i = rng.below(blocks.len());
        match rng.below(4) {
            0 => {
                let ty = RETYPES[rng.below(RETYPES.len())];
                blocks[i][..4].copy_from_slice(&ty.to_le_bytes());
            }
            1 => {
                let b = blocks[i].clone();
                blocks.insert(i, b);
            }
            2 if blocks.len() > 1 => {
                blocks.remove(i);
            }
            _ => {
                let j = rng.below(blocks.len());
                blocks.swap(i, j);
            }
        }
    }
    let mut data: Vec<u8> = blocks.concat();
    // Byte-level.
    for _ in 0..rng.below(4) {
        if data.is_empty() {
            break;
        }
        let pos = rng.below(data.len());
        match rng.below(6) {
            0 | 1 => data[pos] ^= 1 << rng.below(8),
            2 => data[pos] ^= rng.nonzero_byte(),
            3 => {
                let v = INTERESTING_U32[rng.below(INTERESTING_U32.len())].to_le_bytes();
                let w = if rng.chance(50) { 2 } else { 4 };
                for (k, b) in v.iter().take(w).enumerate() {
                    if let Some(d) = data.get_mut(pos + k) {
                        *d = *b;
                    }
                }
            }
            4 => data.truncate(pos),
            _ => {
                let b = &pool.blocks[rng.below(pool.blocks.len())];
                data.splice(pos..pos, b.iter().copied());
            }
        }
    }
    if rng.chance(5) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        data = gz.finish().unwrap();
        match rng.below(3) {
            0 => data.truncate(rng.below(data.len() + 1)),
            // A damaged deflate stream: everything inflated before the damage must be kept.
            1 => {
                let pos = 10 + rng.below(data.len() - 10);
                data[pos] ^= rng.nonzero_byte();
            }
            _ => {}
        }
    }
    data
}

#[test]
fn fuzz_targets_on_seeded_mutations() {
    let mut rng = Rng::new(0x5eed_f022);
    let Some(pool) = pool(&mut rng) else {
        return;
    };
    assert!(!pool.headers.is_empty() && pool.blocks.len() > 100);
    let mut kinds = BTreeMap::<String, usize>::new();
    let mut events = 0usize;
    let mut with_events = 0usize;
    for i in 0..INPUTS {
        let input = make_input(&mut rng, &pool);
        // The seed and index make a failure reproducible: rerun with the same numbers.
        let out = std::panic::catch_unwind(|| {
            let out = targets::read(&input);
            targets::prefix(&input);
            out
        })
        .unwrap_or_else(|_| {
            let path = std::env::temp_dir().join(format!("scap-fuzz-smoke-{i}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!("input {i} failed; saved to {}", path.display());
        });
        events += out.events;
        with_events += usize::from(out.events > 0);
        let kind = out.error.map_or("none".to_string(), |k| {
            let k = format!("{k:?}");
            k.split(['(', ' ']).next().unwrap().to_string()
        });
        *kinds.entry(kind).or_default() += 1;
    }
    eprintln!(
        "fuzz smoke: {INPUTS} inputs, {} pool blocks, {events} events decoded, \
         {with_events} inputs with events; endings: {kinds:?}",
        pool.blocks.len()
    );
    // The mutator must reach the interesting paths, or this test proves little.
    for k in [
        "none",
        "Truncated",
        "Corrupt",
        "BadBlockLength",
        "NotScap",
        "Gzip",
    ] {
        assert!(
            kinds.get(k).copied().unwrap_or(0) >= 20,
            "too few {k}: {kinds:?}"
        );
    }
    assert!(with_events > INPUTS / 2);
}
