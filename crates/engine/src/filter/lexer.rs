//! Token recognisers over the filter text. Each `len_*` function returns the length of the
//! longest token of its class at the cursor (0 if none), like libsinsp's anchored POSIX regexes.

use super::ast::{Position, Span};
use super::error::EscapeError;

/// The blanks libsinsp skips between tokens: space, TAB, `\b`, CR, LF.
pub(crate) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x08 | b'\r' | b'\n')
}

/// POSIX `[:space:]`, used inside the token regexes: space, TAB, LF, VT, FF, CR.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A byte of a bare value: `[^()"'=,[:space:]]`.
pub(crate) fn is_bare_byte(b: u8) -> bool {
    !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_space(b)
}

/// A byte of a bare field argument: `[^][\"'[:space:]]`.
pub(crate) fn is_arg_bare_byte(b: u8) -> bool {
    !matches!(b, b'[' | b']' | b'"' | b'\'') && !is_space(b)
}

/// A read position in the filter text.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'s> {
    src: &'s [u8],
    pos: Position,
}

impl<'s> Cursor<'s> {
    pub(crate) fn new(src: &'s str) -> Cursor<'s> {
        Cursor {
            src: src.as_bytes(),
            pos: Position::START,
        }
    }

    pub(crate) fn pos(&self) -> Position {
        self.pos
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos.offset >= self.src.len()
    }

    pub(crate) fn rest(&self) -> &'s [u8] {
        self.src.get(self.pos.offset..).unwrap_or_default()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.rest().get(n).copied()
    }

    /// Moves forward `n` bytes, counting lines as libsinsp does (CR and LF each end a line).
    pub(crate) fn advance(&mut self, n: usize) {
        let n = n.min(self.rest().len());
        for &b in self.rest().get(..n).unwrap_or_default() {
            self.pos.offset += 1;
            if b == b'\r' || b == b'\n' {
                self.pos.line += 1;
                self.pos.column = 1;
            } else {
                self.pos.column += 1;
            }
        }
    }

    /// Consumes `n` bytes and returns their span.
    pub(crate) fn take(&mut self, n: usize) -> Span {
        let start = self.pos;
        self.advance(n);
        Span::new(start, self.pos)
    }

    pub(crate) fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s.as_bytes())
    }

    /// Skips blanks; true if there were any.
    pub(crate) fn blanks(&mut self) -> bool {
        let n = self.rest().iter().take_while(|&&b| is_blank(b)).count();
        self.advance(n);
        n > 0
    }

    /// `[A-Za-z][A-Za-z0-9_]*`.
    pub(crate) fn len_identifier(&self) -> usize {
        ident_len(self.rest())
    }

    /// `ident ( "." ident )+`, longest match.
    pub(crate) fn len_field_name(&self) -> usize {
        field_name_len(self.rest())
    }

    /// `0[xX][0-9a-fA-F]+`.
    pub(crate) fn len_hex(&self) -> usize {
        let r = self.rest();
        match r {
            [b'0', b'x' | b'X', tail @ ..] => {
                let n = tail.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                if n > 0 {
                    n + 2
                } else {
                    0
                }
            }
            _ => 0,
        }
    }

    /// `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?`, longest match.
    pub(crate) fn len_number(&self) -> usize {
        let r = self.rest();
        let digits = |from: usize| {
            r.get(from..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let mut i = usize::from(matches!(r.first(), Some(b'+' | b'-')));
        let d = digits(i);
        if d == 0 {
            return 0;
        }
        i += d;
        if r.get(i) == Some(&b'.') {
            i += 1;
            i += digits(i);
        }
        if matches!(r.get(i), Some(b'e' | b'E')) && matches!(r.get(i + 1), Some(b'+' | b'-')) {
            let e = digits(i + 2);
            if e > 0 {
                i += 2 + e;
            }
        }
        i
    }

    /// A run of bare-value bytes.
    pub(crate) fn len_bare(&self) -> usize {
        self.rest().iter().take_while(|&&b| is_bare_byte(b)).count()
    }

    /// A run of bare field-argument bytes.
    pub(crate) fn len_arg_bare(&self) -> usize {
        self.rest()
            .iter()
            .take_while(|&&b| is_arg_bare_byte(b))
            .count()
    }

    /// If a quoted string starts here: `Some(Ok(len))` with the length including both quotes,
    /// or `Some(Err(()))` if it is never closed. As in libsinsp the string ends at the next
    /// same quote whose preceding byte is not a backslash (quirk Q3).
    pub(crate) fn quoted_len(&self) -> Option<Result<usize, ()>> {
        let r = self.rest();
        let q = *r.first().filter(|&&b| b == b'"' || b == b'\'')?;
        let mut prev = 0u8;
        for (i, &b) in r.iter().enumerate().skip(1) {
            if b == q && prev != b'\\' {
                return Some(Ok(i + 1));
            }
            prev = b;
        }
        Some(Err(()))
    }
}

pub(crate) fn ident_len(r: &[u8]) -> usize {
    match r.first() {
        Some(b) if b.is_ascii_alphabetic() => {
            1 + r
                .iter()
                .skip(1)
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
        }
        _ => 0,
    }
}

pub(crate) fn field_name_len(r: &[u8]) -> usize {
    let mut i = ident_len(r);
    if i == 0 {
        return 0;
    }
    let mut dots = 0;
    while r.get(i) == Some(&b'.') {
        let seg = ident_len(r.get(i + 1..).unwrap_or_default());
        if seg == 0 {
            break;
        }
        i += 1 + seg;
        dots += 1;
    }
    if dots == 0 {
        0
    } else {
        i
    }
}

/// Un-escapes the content of a quoted string (`raw` is the content without its quotes).
/// On error, returns the byte range of the bad sequence within `raw`.
pub(crate) fn unescape(
    raw: &[u8],
    quote: u8,
) -> Result<Vec<u8>, (EscapeError, std::ops::Range<usize>)> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&e) = raw.get(i + 1) else {
            // A lone trailing backslash cannot happen (it would escape the closing quote);
            // libsinsp drops it silently.
            break;
        };
        let mut len = 2;
        match e {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            // Backslash-space is a legacy spelling of a backslash (libsinsp keeps it for an
            // old Falco rule); the space is dropped.
            b'\\' | b' ' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' if quote == b'"' => out.push(b'"'),
            b'"' => return Err((EscapeError::DoubleQuoteInSingle, i..i + 2)),
            b'\'' if quote == b'\'' => out.push(b'\''),
            b'\'' => return Err((EscapeError::SingleQuoteInDouble, i..i + 2)),
            b'x' => {
                let (Some(&h), Some(&l)) = (raw.get(i + 2), raw.get(i + 3)) else {
                    return Err((EscapeError::TruncatedHex, i..raw.len()));
                };
                match (hex_val(h), hex_val(l)) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => {
                        let bad = String::from_utf8_lossy(&[h, l]).into_owned();
                        return Err((EscapeError::InvalidHex(bad), i..i + 4));
                    }
                }
                len = 4;
            }
            _ => {
                // Report the whole (possibly multi-byte) character after the backslash.
                let rest = raw.get(i + 1..).unwrap_or_default();
                let clen = rest
                    .utf8_chunks()
                    .next()
                    .and_then(|c| c.valid().chars().next())
                    .map_or(1, char::len_utf8);
                let s = String::from_utf8_lossy(rest.get(..clen).unwrap_or_default()).into_owned();
                return Err((EscapeError::Unsupported(s), i..i + 1 + clen));
            }
        }
        i += len;
    }
    Ok(out)
}

pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
