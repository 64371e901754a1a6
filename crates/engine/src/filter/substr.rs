//! Substring search for `contains` against a constant, tuned for the short values filters see
//! (paths, names, addresses: tens of bytes). `memmem` pays a setup cost on every call that
//! outweighs the search on such haystacks. Here a short haystack is scanned 16 start
//! positions at a time for the needle's first and last bytes together (a pair is much rarer
//! than one byte: `/` starts every path component), and C-string values are cut at their
//! first NUL in the same pass instead of by a separate search.

use memchr::memmem;

/// Haystacks longer than this go to `memmem`, whose vector search wins once set up.
const SHORT: usize = 64;

/// Start positions per window: two halves of eight when resolving one.
const W: usize = 16;
const _: () = assert!(W == 16);

/// Size of the padded copy of a haystack with fewer start positions than a window.
const PAD: usize = 32;

/// Low seven bits of every byte.
const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// A needle prepared for repeated searches.
#[derive(Debug, Clone)]
pub(crate) struct Substr {
    finder: memmem::Finder<'static>,
    /// The needle holds a NUL: it is never in a C string.
    nul: bool,
    /// Its first and last bytes, repeated for the window compares.
    first: [u8; W],
    last: [u8; W],
    /// Pads a short haystack: a byte that is neither NUL nor the first or last byte.
    fill: u8,
}

impl Substr {
    pub(crate) fn new(needle: &[u8]) -> Substr {
        let first = needle.first().copied().unwrap_or(0);
        let last = needle.last().copied().unwrap_or(0);
        let fill = [0xff, 0xfe, 0xfd]
            .into_iter()
            .find(|b| *b != first && *b != last)
            .unwrap_or(0xff);
        Substr {
            finder: memmem::Finder::new(needle).into_owned(),
            nul: needle.contains(&0),
            first: [first; W],
            last: [last; W],
            fill,
        }
    }

    /// True if `t` (with `cstr`, only its part before the first NUL) contains the needle.
    #[inline]
    pub(crate) fn is_in(&self, t: &[u8], cstr: bool) -> bool {
        let n = self.finder.needle().len();
        if n == 0 {
            return true;
        }
        if t.len() > SHORT || (cstr && self.nul) {
            return self.long(t, cstr);
        }
        // Start positions where the needle fits. A NUL at or past the last of them cannot
        // cut a match short: a match holds no NUL, as the needle holds none.
        let starts = (t.len() + 1).saturating_sub(n);
        if starts == 0 {
            false
        } else if cstr {
            self.scan::<true>(t, starts)
        } else {
            self.scan::<false>(t, starts)
        }
    }

    #[inline(never)]
    fn long(&self, t: &[u8], cstr: bool) -> bool {
        if cstr && self.nul {
            // The text before the first NUL holds none.
            return false;
        }
        // The first match is in the text before the first NUL if any is: a match holds no
        // NUL, so the NUL is not searched for unless there is a match.
        match self.finder.find(t) {
            Some(p) => !cstr || t.get(..p).is_some_and(|s| memchr::memchr(0, s).is_none()),
            None => false,
        }
    }

    /// The search, C strings (`C`) stopping at their first NUL. Start positions are tried
    /// in order, so a flagged NUL ends the search: every start before it was tried.
    #[inline(always)]
    fn scan<const C: bool>(&self, t: &[u8], starts: usize) -> bool {
        if starts < W {
            // One window over a padded copy: the padding flags nothing.
            let mut buf = [self.fill; PAD];
            let n = self.finder.needle().len();
            match buf.get_mut(..t.len()) {
                Some(dst) if n - 1 + W <= PAD => dst.copy_from_slice(t),
                // A long needle.
                _ => return self.long(t, C),
            }
            return self.window::<C>(&buf, 0) == Some(true);
        }
        let mut i = 0;
        while i + W <= starts {
            if let Some(r) = self.window::<C>(t, i) {
                return r;
            }
            i += W;
        }
        // The rest: one window ending at the last start (the starts it shares with the one
        // before were tried).
        i < starts && self.window::<C>(t, starts - W) == Some(true)
    }

    /// The answer from start positions `i..i + W` of `hay`: `Some(true)` at a match,
    /// `Some(false)` at a NUL ending a C string, `None` if neither occurs.
    #[inline(always)]
    fn window<const C: bool>(&self, hay: &[u8], i: usize) -> Option<bool> {
        let nd = self.finder.needle();
        let n = nd.len();
        let a: &[u8; W] = hay.get(i..i + W)?.try_into().ok()?;
        let b: &[u8; W] = hay.get(i + n - 1..i + n - 1 + W)?.try_into().ok()?;
        // Written for the compiler to make a few vector compares of it.
        let mut any = 0u8;
        for k in 0..W {
            let mut f = u8::from(a[k] == self.first[k]) & u8::from(b[k] == self.last[k]);
            if C {
                f |= u8::from(a[k] == 0);
            }
            any |= f;
        }
        if any == 0 {
            return None;
        }
        // Which starts, in order, eight at a time.
        let f = u64::from_le_bytes([self.first[0]; 8]);
        let l = u64::from_le_bytes([self.last[0]; 8]);
        let halves = [
            (a.first_chunk::<8>(), b.first_chunk::<8>()),
            (a.last_chunk::<8>(), b.last_chunk::<8>()),
        ];
        for (h, (x, y)) in halves.into_iter().enumerate() {
            let (x, y) = (u64::from_le_bytes(*x?), u64::from_le_bytes(*y?));
            let mut m = zeros(x ^ f) & zeros(y ^ l);
            if C {
                m |= zeros(x);
            }
            while m != 0 {
                let p = i + h * 8 + (m.trailing_zeros() / 8) as usize;
                m &= m - 1;
                if C && hay.get(p) == Some(&0) {
                    return Some(false);
                }
                if hay.get(p..p + n) == Some(nd) {
                    return Some(true);
                }
            }
        }
        None
    }
}

/// The top bit of each byte of `x` that is zero (exact: no carries between bytes).
#[inline(always)]
fn zeros(x: u64) -> u64 {
    !(((x & LO7) + LO7) | x | LO7)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition: cut at NUL if asked, then search.
    fn reference(t: &[u8], nd: &[u8], cstr: bool) -> bool {
        let t = match (cstr, t.iter().position(|&b| b == 0)) {
            (true, Some(n)) => &t[..n],
            _ => t,
        };
        nd.is_empty() || t.windows(nd.len()).any(|w| w == nd)
    }

    #[test]
    fn agrees_with_the_definition() {
        let needles: &[&[u8]] = &[
            b"",
            b"/",
            b"e",
            b"/etc",
            b"etc/",
            b"ab",
            b"aa",
            b"a\0b",
            b"\0",
            b"abcabcabcabcabcabc",
            &[b'x'; 60],
            &[b'/'; 49],
            &[b'/'; 50],
        ];
        // Haystacks of every length up to past two windows and the memmem limit, with the
        // needle, near-misses and NULs at every position.
        let mut hays: Vec<Vec<u8>> = Vec::new();
        for len in (0..80).chain([255, 256, 257, 300]) {
            let base: Vec<u8> = (0..len).map(|i| b"/usr/lib/x"[i % 10]).collect();
            hays.push(vec![b'/'; len]);
            hays.push(base.clone());
            for at in 0..len.min(48) {
                for ins in [
                    &b"/etc"[..],
                    b"/et",
                    b"\0",
                    b"aa",
                    b"abcabcabcabcabcabc",
                    b"a\0b",
                    &[b'x'; 60],
                ] {
                    let mut h = base.clone();
                    let end = (at + ins.len()).min(len);
                    h.splice(at..end, ins.iter().copied().take(end - at));
                    hays.push(h);
                }
            }
            for nul in [0, len / 2, len.saturating_sub(1)] {
                let mut h = base.clone();
                h.extend_from_slice(b"/etc");
                if let Some(b) = h.get_mut(nul) {
                    *b = 0;
                }
                hays.push(h);
            }
        }
        for nd in needles {
            let s = Substr::new(nd);
            for h in &hays {
                for cstr in [false, true] {
                    assert_eq!(
                        s.is_in(h, cstr),
                        reference(h, nd, cstr),
                        "{:?} in {:?} cstr {cstr}",
                        String::from_utf8_lossy(nd),
                        String::from_utf8_lossy(h)
                    );
                }
            }
        }
    }

    #[test]
    fn agrees_on_random_text_of_few_letters() {
        // Few letters make near-misses, repeats and NULs everywhere.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m) as usize
        };
        let abc = [b'a', b'b', b'/', 0];
        for _ in 0..20_000 {
            let nd_letters = if next(8) == 0 { 4 } else { 3 };
            let nd: Vec<u8> = (0..next(6)).map(|_| abc[next(nd_letters)]).collect();
            let len = next(90);
            let letters = if next(4) == 0 { 4 } else { 3 };
            let hay: Vec<u8> = (0..len).map(|_| abc[next(letters)]).collect();
            let s = Substr::new(&nd);
            for cstr in [false, true] {
                assert_eq!(
                    s.is_in(&hay, cstr),
                    reference(&hay, &nd, cstr),
                    "{nd:?} {hay:?}"
                );
            }
        }
    }
}
