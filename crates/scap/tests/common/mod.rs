//! Shared by the damage and fuzz-smoke tests: the real captures, a seeded PRNG, block framing.
#![allow(dead_code)] // each test file uses a different part

pub mod targets;

use std::io::Read;
use std::path::PathBuf;

/// The shared folder, or `None` (after printing the skip message) when it is absent.
pub fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.join("captures").is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {what} (../shared not found)");
        None
    }
}

/// One capture of the corpus.
pub struct Sample {
    pub name: String,
    /// The file as stored.
    pub stored: Vec<u8>,
    /// The blocks (inflated when the file is gzip).
    pub data: Vec<u8>,
    pub gzip: bool,
}

/// Every `.scap` in `shared/captures`, sorted by name.
pub fn load_captures(shared: &std::path::Path) -> Vec<Sample> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(shared.join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let stored = std::fs::read(&p).unwrap();
            let gzip = stored.starts_with(&[0x1f, 0x8b]);
            let data = if gzip {
                // Inflate independently of `Capture`, so the tests don't trust what they test.
                let mut out = Vec::new();
                flate2::read::MultiGzDecoder::new(&stored[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            } else {
                stored.clone()
            };
            Sample {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                stored,
                data,
                gzip,
            }
        })
        .collect()
}

/// Block start offsets of well-framed data, by reading the length fields directly
/// (independent of the reader). The last element is the end of the last whole block.
pub fn block_bounds(data: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    let mut pos = 0usize;
    while let Some(len) = data.get(pos + 4..pos + 8) {
        let len = u32::from_le_bytes(len.try_into().unwrap()) as usize;
        if len < 12 || pos + len > data.len() {
            break;
        }
        pos += len;
        out.push(pos);
    }
    out
}

/// splitmix64: small, seeded, good enough to pick offsets and bytes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A byte other than zero.
    pub fn nonzero_byte(&mut self) -> u8 {
        (self.below(255) + 1) as u8
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}
