//! A fixed-size staging area for the short pieces of a line (numbers, times, names,
//! separators), copied to the output buffer in one go.
//!
//! Appending to a `Vec<u8>` piece by piece makes the compiler reload and store the vector's
//! length around every byte store (the data may alias the vector itself) and check its
//! capacity each time. Here the write position is a plain local value and every store has
//! a fixed size, so a piece costs a few register operations.

use crate::output::line::{digits8, hex8, Text};

/// Size of the staging area.
const STAGE: usize = 192;
/// Most bytes one piece may store past the current position (stores are fixed-size and can
/// run past the piece's end; the next piece overwrites the excess).
const PIECE: usize = 32;
const E8: u64 = 100_000_000;
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// The staging area; the position is kept by the caller.
pub(crate) struct Stage {
    buf: [u8; STAGE],
}

impl Stage {
    pub(crate) fn new() -> Stage {
        Stage { buf: [0; STAGE] }
    }

    /// Make room for one piece at `n`: returns the position to write it at (0 after moving
    /// the staged bytes to `out` when the area is nearly full).
    #[inline]
    pub(crate) fn room(&self, n: usize, out: &mut Vec<u8>) -> usize {
        if n > STAGE - PIECE {
            self.flush(n, out);
            0
        } else {
            n
        }
    }

    /// Move the `n` staged bytes to `out`.
    #[inline]
    pub(crate) fn flush(&self, n: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(self.buf.get(..n).unwrap_or_default());
    }

    #[inline]
    fn store<const K: usize>(&mut self, n: usize, bytes: &[u8; K]) {
        if let Some(d) = self.buf.get_mut(n..n + K) {
            d.copy_from_slice(bytes);
        }
    }

    /// Stage one byte at `n` (which [`Stage::room`] returned); returns the new position.
    #[inline]
    pub(crate) fn byte(&mut self, n: usize, c: u8) -> usize {
        self.store(n, &[c]);
        n + 1
    }

    /// Stage `t` at `n`, or move everything to `out` when it is long.
    #[inline]
    pub(crate) fn text(&mut self, n: usize, t: &Text, out: &mut Vec<u8>) -> usize {
        match t {
            Text::Short(a, len) => {
                self.store(n, a);
                n + len
            }
            Text::Long(b) => {
                self.flush(n, out);
                out.extend_from_slice(b);
                0
            }
        }
    }

    /// Stage `bytes` at `n`: up to 16 bytes as two overlapping fixed-size stores, longer
    /// ones after moving everything to `out`.
    #[inline]
    pub(crate) fn bytes(&mut self, n: usize, bytes: &[u8], out: &mut Vec<u8>) -> usize {
        let len = bytes.len();
        if let (Some(lo), Some(hi)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            if len > 16 {
                self.flush(n, out);
                out.extend_from_slice(bytes);
                return 0;
            }
            self.store(n, lo);
            self.store(n + len - 8, hi);
        } else if let (Some(lo), Some(hi)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
            self.store(n, lo);
            self.store(n + len - 4, hi);
        } else {
            for (i, &c) in bytes.iter().enumerate() {
                self.store(n + i, &[c]);
            }
        }
        n + len
    }

    /// Stage 8 ASCII bytes (e.g. an `ascii8` group) at `n`.
    #[inline]
    pub(crate) fn word(&mut self, n: usize, w: u64) -> usize {
        self.store(n, &w.to_le_bytes());
        n + 8
    }

    /// Stage `0 < x < 10^8` in decimal.
    #[inline]
    fn digits(&mut self, n: usize, x: u64) -> usize {
        let d = digits8(x);
        let zeros = (d.trailing_zeros() / 8) as usize;
        self.store(n, &((d | ZEROS) >> (8 * zeros)).to_le_bytes());
        n + 8 - zeros
    }

    /// Stage `v` in decimal.
    #[inline]
    pub(crate) fn u64(&mut self, n: usize, v: u64) -> usize {
        if v < 10 {
            self.byte(n, b'0' + v as u8)
        } else if v < E8 {
            self.digits(n, v)
        } else {
            self.large(n, v)
        }
    }

    /// [`Stage::u64`] of `v >= 10^8` (up to 20 digits: 24 bytes stored).
    #[inline(never)]
    fn large(&mut self, n: usize, v: u64) -> usize {
        const E16: u64 = E8 * E8;
        let n = if v < E16 {
            self.digits(n, v / E8)
        } else {
            let n = self.digits(n, v / E16);
            self.word(n, digits8(v / E8 % E8) | ZEROS)
        };
        self.word(n, digits8(v % E8) | ZEROS)
    }

    /// Stage `v` in uppercase hexadecimal, as `{v:X}` (at most 16 digits).
    #[inline]
    pub(crate) fn hex(&mut self, n: usize, v: u64) -> usize {
        let len = ((67 - (v | 1).leading_zeros()) / 4) as usize;
        let high = (v >> 32) as u32;
        if high == 0 {
            self.store(n, &(hex8(v as u32) >> (8 * (8 - len))).to_le_bytes());
            n + len
        } else {
            self.store(n, &(hex8(high) >> (8 * (16 - len))).to_le_bytes());
            self.word(n + len - 8, hex8(v as u32))
        }
    }

    /// Stage `v` in decimal, with a leading `-` when negative.
    #[inline]
    pub(crate) fn i64(&mut self, n: usize, v: i64) -> usize {
        let n = if v < 0 { self.byte(n, b'-') } else { n };
        self.u64(n, v.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(f: impl Fn(&mut Stage, usize, &mut Vec<u8>) -> usize) -> Vec<u8> {
        let mut s = Stage::new();
        let mut out = b"<".to_vec();
        let n = s.byte(0, b'[');
        let n = f(&mut s, n, &mut out);
        let n = s.room(n, &mut out);
        let n = s.byte(n, b']');
        s.flush(n, &mut out);
        out
    }

    #[test]
    fn numbers() {
        let mut cases = vec![0u64, 1, 9, 10, 99, 100, u64::MAX, u64::MAX - 1];
        let mut p = 1u64;
        for _ in 0..19 {
            p *= 10;
            cases.extend([p - 1, p, p + 1, p / 3 * 2]);
        }
        cases.extend(0..2_000);
        for v in cases {
            assert_eq!(
                staged(|s, n, _| s.u64(n, v)),
                format!("<[{v}]").into_bytes()
            );
            for i in [v as i64, (v as i64).wrapping_neg()] {
                assert_eq!(
                    staged(|s, n, _| s.i64(n, i)),
                    format!("<[{i}]").into_bytes()
                );
            }
        }
    }

    #[test]
    fn hex() {
        let mut cases = vec![0u64, 1, 15, 16, u64::MAX];
        for sh in 0..64 {
            cases.extend([1u64 << sh, (1u64 << sh) - 1, (1u64 << sh) + 1]);
        }
        cases.extend((0..20_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i % 64)));
        for v in cases {
            assert_eq!(
                staged(|s, n, _| s.hex(n, v)),
                format!("<[{v:X}]").into_bytes()
            );
        }
    }

    #[test]
    fn bytes_of_every_length() {
        let src: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').collect();
        for len in 0..src.len() {
            let b = &src[..len];
            let want = [b"<[".as_slice(), b, b"]"].concat();
            assert_eq!(staged(|s, n, o| s.bytes(n, b, o)), want);
            assert_eq!(staged(|s, n, o| s.text(n, &Text::new(b), o)), want);
        }
    }

    #[test]
    fn fills_past_the_stage() {
        let mut s = Stage::new();
        let mut out = Vec::new();
        let mut want = Vec::new();
        let mut n = 0;
        for i in 0..1_000u64 {
            n = s.room(n, &mut out);
            n = s.u64(n, i * 7_919);
            n = s.room(n, &mut out);
            n = s.bytes(n, b" x ", &mut out);
            want.extend_from_slice(format!("{} x ", i * 7_919).as_bytes());
        }
        s.flush(n, &mut out);
        assert_eq!(out, want);
    }
}
