//! `fnmatch(pattern, text, 0)` (and with `FNM_CASEFOLD` for `iglob`), byte-wise as in the C
//! locale: `*` and `?` match `/` and leading dots, `[...]`/`[!...]`/`[^...]` classes with ranges
//! and `[:name:]` classes, `\` escapes the next byte. A `[` without its `]` is literal; a
//! trailing `\` never matches (as glibc).
//!
//! Matching is iterative with one backtrack point (the last `*`), which is exact because every
//! other pattern element matches exactly one byte.

/// True if `text` matches `pat`.
pub(crate) fn glob_match(pat: &[u8], text: &[u8], fold: bool) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pat.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, i));
                continue;
            }
            Some(_) => {
                if let Some(&c) = text.get(i) {
                    if let Some(next) = match_one(pat, p, c, fold) {
                        p = next;
                        i += 1;
                        continue;
                    }
                }
            }
            None if i == text.len() => return true,
            None => {}
        }
        match star {
            Some((sp, si)) if si < text.len() => {
                p = sp;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            _ => return false,
        }
    }
}

/// Matches the single-byte element at `pat[p]` (not `*`) against `c`; the next pattern index.
fn match_one(pat: &[u8], p: usize, c: u8, fold: bool) -> Option<usize> {
    match *pat.get(p)? {
        b'?' => Some(p + 1),
        b'\\' => {
            let lit = *pat.get(p + 1)?;
            eq(lit, c, fold).then_some(p + 2)
        }
        b'[' => match match_class(pat, p, c, fold) {
            Some((true, next)) => Some(next),
            Some((false, _)) => None,
            None => eq(b'[', c, fold).then_some(p + 1),
        },
        lit => eq(lit, c, fold).then_some(p + 1),
    }
}

fn eq(a: u8, b: u8, fold: bool) -> bool {
    a == b || (fold && a.eq_ignore_ascii_case(&b))
}

/// Matches the class starting at `pat[p] == '['`: whether `c` is in it, and the index after its
/// `]`; `None` if the class is never closed.
fn match_class(pat: &[u8], p: usize, c: u8, fold: bool) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let negate = matches!(pat.get(j), Some(b'!' | b'^'));
    if negate {
        j += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let b = *pat.get(j)?;
        if b == b']' && !first {
            j += 1;
            break;
        }
        first = false;
        if b == b'[' && pat.get(j + 1) == Some(&b':') {
            let from = j + 2;
            let close = pat
                .get(from..)?
                .windows(2)
                .position(|w| w == b":]")
                .map(|k| from + k);
            if let Some(end) = close {
                let name = pat.get(from..end).unwrap_or_default();
                hit |= named_class(name, c)
                    || (fold
                        && (named_class(name, c.to_ascii_lowercase())
                            || named_class(name, c.to_ascii_uppercase())));
                j = end + 2;
                continue;
            }
        }
        let (lo, after) = if b == b'\\' {
            (*pat.get(j + 1)?, j + 2)
        } else {
            (b, j + 1)
        };
        let range_hi = match (pat.get(after), pat.get(after + 1)) {
            (Some(b'-'), Some(&h)) if h != b']' => Some(h),
            _ => None,
        };
        if let Some(h) = range_hi {
            let (hi, next) = if h == b'\\' {
                (*pat.get(after + 2)?, after + 3)
            } else {
                (h, after + 2)
            };
            let inr = |x: u8| lo <= x && x <= hi;
            hit |= inr(c) || (fold && (inr(c.to_ascii_lowercase()) || inr(c.to_ascii_uppercase())));
            j = next;
        } else {
            hit |= eq(lo, c, fold);
            j = after;
        }
    }
    Some((hit != negate, j))
}

fn named_class(name: &[u8], c: u8) -> bool {
    match name {
        b"alpha" => c.is_ascii_alphabetic(),
        b"digit" => c.is_ascii_digit(),
        b"alnum" => c.is_ascii_alphanumeric(),
        b"upper" => c.is_ascii_uppercase(),
        b"lower" => c.is_ascii_lowercase(),
        b"space" => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b"blank" => matches!(c, b' ' | b'\t'),
        b"xdigit" => c.is_ascii_hexdigit(),
        b"punct" => c.is_ascii_punctuation(),
        b"cntrl" => c.is_ascii_control(),
        b"graph" => c.is_ascii_graphic(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        _ => false,
    }
}
