//! Running transformers over the value arena. Each takes ranges of items and appends its result
//! as a new range; an empty range means "absent" (the check is then false).

use super::program::{LenMode, TrOp};
use super::values::{Item, Range, Values};

/// Applies `op` to `args` (its arity, in order) and returns the result range.
pub(crate) fn apply(op: TrOp, vals: &mut Values, args: &[Range]) -> Range {
    let first = args.first().copied().unwrap_or((0, 0));
    let second = args.get(1).copied().unwrap_or((0, 0));
    match op {
        TrOp::Lower => map_text(vals, first, |b| b.make_ascii_lowercase()),
        TrOp::Upper => map_text(vals, first, |b| b.make_ascii_uppercase()),
        TrOp::B64 => b64(vals, first),
        TrOp::Basename => basename(vals, first),
        TrOp::Len(mode) => len(vals, first, mode),
        TrOp::Join => join(vals, first, second),
        TrOp::Concat(_) => concat(vals, args),
        TrOp::GetOpt(want) => getopt(vals, first, second, want),
    }
}

fn item(vals: &Values, i: usize) -> Option<Item> {
    vals.items.get(i).copied()
}

fn cut_nul(vals: &Values, s: usize, e: usize) -> usize {
    vals.bytes
        .get(s..e)
        .and_then(|b| memchr::memchr(0, b))
        .map_or(e, |n| s + n)
}

/// Copies each text item and rewrites the copy in place.
fn map_text(vals: &mut Values, r: Range, f: impl Fn(&mut [u8])) -> Range {
    let out = vals.items.len();
    for i in r.0..r.1 {
        let Some(it) = item(vals, i) else { break };
        let it = match it {
            Item::Bytes(s, e) => {
                let (ns, ne) = vals.push_copy(s, e);
                if let Some(b) = vals.bytes.get_mut(ns..ne) {
                    f(b);
                }
                Item::Bytes(ns, ne)
            }
            other => other,
        };
        vals.items.push(it);
    }
    (out, vals.items.len())
}

/// Base64 decode (standard alphabet, padding optional). Any invalid element makes the whole
/// result absent.
fn b64(vals: &mut Values, r: Range) -> Range {
    let (out, bytes_mark) = (vals.items.len(), vals.bytes.len());
    for i in r.0..r.1 {
        let decoded = match item(vals, i) {
            Some(Item::Bytes(s, e)) => b64_decode_within(vals, s, e),
            _ => None,
        };
        match decoded {
            Some(it) => vals.items.push(it),
            None => {
                vals.items.truncate(out);
                vals.bytes.truncate(bytes_mark);
                return (out, out);
            }
        }
    }
    (out, vals.items.len())
}

fn b64_sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes arena bytes `s..e` onto the end of the arena.
fn b64_decode_within(vals: &mut Values, s: usize, e: usize) -> Option<Item> {
    let src_len = e.checked_sub(s)?;
    let mut body = src_len;
    // Up to two `=` of padding, only at the end, and only if they complete a quantum.
    while body > 0 && vals.bytes.get(s + body - 1) == Some(&b'=') && src_len - body < 2 {
        body -= 1;
    }
    if src_len != body && src_len % 4 != 0 {
        return None;
    }
    if body % 4 == 1 {
        return None;
    }
    let start = vals.bytes.len();
    let mut acc = 0u32;
    let mut nbits = 0u32;
    for k in 0..body {
        let c = *vals.bytes.get(s + k)?;
        acc = acc << 6 | b64_sextet(c)?;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            vals.bytes.push((acc >> nbits) as u8);
            acc &= (1 << nbits) - 1;
        }
    }
    Some(Item::Bytes(start, vals.bytes.len()))
}

/// The text after the last `/` (a sub-range; nothing copied).
fn basename(vals: &mut Values, r: Range) -> Range {
    let out = vals.items.len();
    for i in r.0..r.1 {
        let Some(it) = item(vals, i) else { break };
        let it = match it {
            Item::Bytes(s, e) => {
                let e = cut_nul(vals, s, e);
                let from = vals
                    .bytes
                    .get(s..e)
                    .and_then(|b| memchr::memrchr(b'/', b))
                    .map_or(s, |k| s + k + 1);
                Item::Bytes(from, e)
            }
            other => other,
        };
        vals.items.push(it);
    }
    (out, vals.items.len())
}

fn len(vals: &mut Values, r: Range, mode: LenMode) -> Range {
    let out = vals.items.len();
    if r.0 >= r.1 {
        return (out, out);
    }
    if mode == LenMode::Count {
        vals.items.push(Item::U64((r.1 - r.0) as u64));
        return (out, vals.items.len());
    }
    for i in r.0..r.1 {
        let n = match item(vals, i) {
            Some(Item::Bytes(s, e)) if mode == LenMode::Text => cut_nul(vals, s, e) - s,
            Some(Item::Bytes(s, e)) => e - s,
            _ => continue,
        };
        vals.items.push(Item::U64(n as u64));
    }
    (out, vals.items.len())
}

fn first_text(vals: &Values, r: Range) -> Option<(usize, usize)> {
    if r.0 >= r.1 {
        return None;
    }
    match item(vals, r.0)? {
        Item::Bytes(s, e) => Some((s, e)),
        _ => None,
    }
}

/// `join(sep, list)`: one text value; an empty list gives `""`.
fn join(vals: &mut Values, sep: Range, list: Range) -> Range {
    let out = vals.items.len();
    let Some((ss, se)) = first_text(vals, sep) else {
        return (out, out);
    };
    let start = vals.bytes.len();
    for (k, i) in (list.0..list.1).enumerate() {
        if k > 0 {
            vals.push_copy(ss, se);
        }
        if let Some(Item::Bytes(s, e)) = item(vals, i) {
            vals.push_copy(s, e);
        }
    }
    vals.items.push(Item::Bytes(start, vals.bytes.len()));
    (out, vals.items.len())
}

/// `concat(a, b, …)`: absent if any argument is.
fn concat(vals: &mut Values, args: &[Range]) -> Range {
    let out = vals.items.len();
    let mark = vals.bytes.len();
    for &r in args {
        let Some((s, e)) = first_text(vals, r) else {
            vals.bytes.truncate(mark);
            return (out, out);
        };
        vals.push_copy(s, e);
    }
    vals.items.push(Item::Bytes(mark, vals.bytes.len()));
    (out, vals.items.len())
}

/// Does `c` appear in the option string, and does it take an argument?
fn opt_spec(vals: &Values, opts: (usize, usize), c: u8) -> Option<bool> {
    if c == b':' {
        return None;
    }
    let o = vals.bytes.get(opts.0..opts.1)?;
    let k = memchr::memchr(c, o)?;
    Some(o.get(k + 1) == Some(&b':'))
}

/// POSIX-style option scan of an argument list: stops at `--` or the first non-option, skips
/// `--long` tokens, expands `-abc`; an option with `:` takes the rest of its token or the next
/// token (`""` if none); unknown options give `?`. Without `want`: the letters and values in
/// order. With `want`: the value (or letter) of the last `-want`, absent if there is none.
fn getopt(vals: &mut Values, args: Range, opts: Range, want: Option<u8>) -> Range {
    let out = vals.items.len();
    let Some(opts) = first_text(vals, opts) else {
        return (out, out);
    };
    let mut found: Option<Item> = None;
    let mut i = args.0;
    while i < args.1 {
        let Some(Item::Bytes(s, e)) = item(vals, i) else {
            break;
        };
        let tok = vals.bytes.get(s..e).unwrap_or_default();
        if tok == b"--" {
            break;
        }
        if tok.starts_with(b"--") {
            i += 1;
            continue;
        }
        if tok.len() < 2 || tok.first() != Some(&b'-') {
            break;
        }
        let mut j = s + 1;
        while j < e {
            let c = vals.bytes.get(j).copied().unwrap_or(b'?');
            match opt_spec(vals, opts, c) {
                None => {
                    if want.is_none() {
                        push_letter(vals, b'?');
                    }
                    j += 1;
                }
                Some(false) => {
                    if want.is_none() {
                        push_letter(vals, c);
                    } else if want == Some(c) {
                        found = Some(Item::Bytes(j, j + 1));
                    }
                    j += 1;
                }
                Some(true) => {
                    let value = if j + 1 < e {
                        Item::Bytes(j + 1, e)
                    } else if i + 1 < args.1 {
                        i += 1;
                        match item(vals, i) {
                            Some(it @ Item::Bytes(..)) => it,
                            _ => Item::Bytes(e, e),
                        }
                    } else {
                        Item::Bytes(e, e)
                    };
                    if want.is_none() {
                        push_letter(vals, c);
                        vals.items.push(value);
                    } else if want == Some(c) {
                        found = Some(value);
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    if want.is_some() {
        if let Some(it) = found {
            vals.items.push(it);
        }
    }
    (out, vals.items.len())
}

fn push_letter(vals: &mut Values, c: u8) {
    let s = vals.bytes.len();
    vals.bytes.push(c);
    vals.items.push(Item::Bytes(s, s + 1));
}
