//! A JSON document as a flat tree of byte ranges into the original payload.
//!
//! The payload is never re-serialised: every node remembers where its text lies, so
//! `json.value` can return number text and string escapes exactly as written and report a
//! byte range, and `json.obj` can re-indent the original bytes. Parsing is iterative with an
//! explicit nesting limit, so hostile input cannot overflow the stack.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// Nesting limit (objects and arrays), the same as fastjson's, which the upstream plugin uses.
pub const MAX_DEPTH: usize = 300;

/// Marker for "no node" in the sibling and child links.
const NONE: u32 = u32::MAX;

/// The JSON type of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `"..."`
    String,
    /// a number, kept as its source text
    Number,
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
}

/// Index of a node in a [`Doc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeId(u32);

#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    /// Source text of the value (for strings: including the quotes).
    start: u32,
    end: u32,
    /// Object members: the key literal including its quotes; otherwise empty.
    key_start: u32,
    key_end: u32,
    first_child: u32,
    next_sibling: u32,
}

/// Why a payload is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset in the payload.
    pub offset: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid json: {} at offset {}", self.what, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// A parsed payload. Reuse one `Doc` across events: `parse` keeps its allocations.
#[derive(Debug, Default)]
pub struct Doc {
    nodes: Vec<Node>,
    /// Open containers while parsing: (node, last child so far, is an object).
    stack: Vec<(u32, u32, bool)>,
}

fn err(what: &'static str, offset: usize) -> ParseError {
    ParseError { what, offset }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(src: &[u8], mut pos: usize) -> usize {
    while src.get(pos).copied().is_some_and(is_ws) {
        pos += 1;
    }
    pos
}

fn to_u32(v: usize, offset: usize) -> Result<u32, ParseError> {
    u32::try_from(v).map_err(|_| err("payload larger than 4 GiB", offset))
}

/// Scans a string literal starting at the opening quote; returns the offset after the closing
/// quote. Escapes are validated; raw control characters are rejected (RFC 8259).
fn scan_string(src: &[u8], start: usize) -> Result<usize, ParseError> {
    let mut pos = start + 1;
    loop {
        match src.get(pos).copied() {
            None => return Err(err("unterminated string", start)),
            Some(b'"') => return Ok(pos + 1),
            Some(b'\\') => match src.get(pos + 1).copied() {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => pos += 2,
                Some(b'u') => {
                    let hex = src
                        .get(pos + 2..pos + 6)
                        .ok_or(err("bad \\u escape", pos))?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(err("bad \\u escape", pos));
                    }
                    pos += 6;
                }
                _ => return Err(err("bad escape", pos)),
            },
            Some(b) if b < 0x20 => return Err(err("control character in string", pos)),
            Some(_) => pos += 1,
        }
    }
}

/// Scans a number (RFC 8259 grammar); returns the offset after it.
fn scan_number(src: &[u8], start: usize) -> Result<usize, ParseError> {
    let digits = |mut p: usize| {
        let from = p;
        while src.get(p).is_some_and(u8::is_ascii_digit) {
            p += 1;
        }
        (p, p - from)
    };
    let mut pos = start;
    if src.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match src.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => pos = digits(pos).0,
        _ => return Err(err("bad number", start)),
    }
    if src.get(pos) == Some(&b'.') {
        let (p, n) = digits(pos + 1);
        if n == 0 {
            return Err(err("bad number", start));
        }
        pos = p;
    }
    if matches!(src.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(src.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let (p, n) = digits(pos);
        if n == 0 {
            return Err(err("bad number", start));
        }
        pos = p;
    }
    Ok(pos)
}

impl Doc {
    /// Parses `src`, which must hold exactly one JSON value (whitespace around it allowed).
    /// On error the document is empty.
    pub fn parse(&mut self, src: &[u8]) -> Result<(), ParseError> {
        self.nodes.clear();
        self.stack.clear();
        let res = self.parse_inner(src);
        if res.is_err() {
            self.nodes.clear();
        }
        self.stack.clear();
        res
    }

    fn push(
        &mut self,
        kind: Kind,
        start: usize,
        end: usize,
        key: (u32, u32),
    ) -> Result<u32, ParseError> {
        let idx = to_u32(self.nodes.len(), start)?;
        self.nodes.push(Node {
            kind,
            start: to_u32(start, start)?,
            end: to_u32(end, start)?,
            key_start: key.0,
            key_end: key.1,
            first_child: NONE,
            next_sibling: NONE,
        });
        if let Some((parent, last_child, _)) = self.stack.last_mut() {
            if *last_child == NONE {
                if let Some(p) = self.nodes.get_mut(*parent as usize) {
                    p.first_child = idx;
                }
            } else if let Some(prev) = self.nodes.get_mut(*last_child as usize) {
                prev.next_sibling = idx;
            }
            *last_child = idx;
        }
        Ok(idx)
    }

    /// Reads `"key" :` at `pos` (after whitespace); returns the key range and the new offset.
    fn member_key(src: &[u8], pos: usize) -> Result<((u32, u32), usize), ParseError> {
        let pos = skip_ws(src, pos);
        if src.get(pos) != Some(&b'"') {
            return Err(err("expected object key", pos));
        }
        let end = scan_string(src, pos)?;
        let colon = skip_ws(src, end);
        if src.get(colon) != Some(&b':') {
            return Err(err("expected ':'", colon));
        }
        Ok(((to_u32(pos, pos)?, to_u32(end, pos)?), colon + 1))
    }

    fn parse_inner(&mut self, src: &[u8]) -> Result<(), ParseError> {
        let mut pos = skip_ws(src, 0);
        let mut key = (0u32, 0u32);
        'value: loop {
            // A value is expected at `pos`.
            pos = skip_ws(src, pos);
            let start = pos;
            match src.get(pos).copied() {
                Some(open @ (b'{' | b'[')) => {
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(err("nesting too deep", pos));
                    }
                    let is_object = open == b'{';
                    let kind = if is_object { Kind::Object } else { Kind::Array };
                    let idx = self.push(kind, start, start, key)?;
                    self.stack.push((idx, NONE, is_object));
                    pos = skip_ws(src, pos + 1);
                    let close = if is_object { b'}' } else { b']' };
                    if src.get(pos) != Some(&close) {
                        if is_object {
                            (key, pos) = Self::member_key(src, pos)?;
                        } else {
                            key = (0, 0);
                        }
                        continue 'value;
                    }
                    // Empty container: the close is handled below.
                }
                Some(b'"') => {
                    pos = scan_string(src, pos)?;
                    self.push(Kind::String, start, pos, key)?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    pos = scan_number(src, pos)?;
                    self.push(Kind::Number, start, pos, key)?;
                }
                Some(b't' | b'f' | b'n') => {
                    let (kind, lit): (Kind, &[u8]) = match src.get(pos) {
                        Some(b't') => (Kind::True, b"true"),
                        Some(b'f') => (Kind::False, b"false"),
                        _ => (Kind::Null, b"null"),
                    };
                    if !src.get(pos..).is_some_and(|s| s.starts_with(lit)) {
                        return Err(err("bad literal", pos));
                    }
                    pos += lit.len();
                    self.push(kind, start, pos, key)?;
                }
                Some(_) => return Err(err("unexpected character", pos)),
                None => return Err(err("unexpected end of input", pos)),
            }
            // After a value: a separator, a close, or the end of the document.
            loop {
                let Some(&(node, _, is_object)) = self.stack.last() else {
                    let end = skip_ws(src, pos);
                    if end != src.len() {
                        return Err(err("unexpected data after the value", end));
                    }
                    return Ok(());
                };
                pos = skip_ws(src, pos);
                match src.get(pos).copied() {
                    Some(b',') => {
                        if is_object {
                            (key, pos) = Self::member_key(src, pos + 1)?;
                        } else {
                            key = (0, 0);
                            pos += 1;
                        }
                        continue 'value;
                    }
                    Some(b'}') if is_object => {}
                    Some(b']') if !is_object => {}
                    Some(_) => return Err(err("expected ',' or a closing bracket", pos)),
                    None => return Err(err("unexpected end of input", pos)),
                }
                pos += 1;
                let end = to_u32(pos, pos)?;
                if let Some(n) = self.nodes.get_mut(node as usize) {
                    n.end = end;
                }
                self.stack.pop();
            }
        }
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    /// The top-level value, if a document was parsed.
    pub fn root(&self) -> Option<NodeId> {
        (!self.nodes.is_empty()).then_some(NodeId(0))
    }

    /// The JSON type of a node.
    pub fn kind(&self, id: NodeId) -> Option<Kind> {
        self.node(id).map(|n| n.kind)
    }

    /// The source range of a node's text (strings include their quotes).
    pub fn range(&self, id: NodeId) -> Option<Range<usize>> {
        self.node(id).map(|n| n.start as usize..n.end as usize)
    }

    /// The children of a container, in source order.
    fn children(&self, id: NodeId) -> impl Iterator<Item = (NodeId, &Node)> + '_ {
        let first = self.node(id).map_or(NONE, |n| n.first_child);
        let at = move |i: u32| self.nodes.get(i as usize).map(|n| (NodeId(i), n));
        std::iter::successors(at(first), move |(_, n)| at(n.next_sibling))
    }

    /// Child `token` of a container: the first member with that (unescaped) key, or the array
    /// element at that decimal index (Go `strconv.Atoi` syntax: optional sign, leading zeros).
    pub fn child(&self, src: &[u8], id: NodeId, token: &[u8]) -> Option<NodeId> {
        match self.kind(id)? {
            Kind::Object => {
                let lit = |n: &Node| src.get(n.key_start as usize..n.key_end as usize);
                self.children(id)
                    .find(|(_, n)| lit(n).is_some_and(|l| *unescape_literal(l) == *token))
                    .map(|(i, _)| i)
            }
            Kind::Array => {
                let idx: i64 = std::str::from_utf8(token).ok()?.parse().ok()?;
                let idx = usize::try_from(idx).ok()?;
                self.children(id).nth(idx).map(|(i, _)| i)
            }
            _ => None,
        }
    }
}

/// The content of a string literal (with its quotes) with escapes resolved. Invalid `\u`
/// surrogates are kept as written, as fastjson does.
pub fn unescape_literal(lit: &[u8]) -> Cow<'_, [u8]> {
    let inner = lit.get(1..lit.len().saturating_sub(1)).unwrap_or_default();
    if !inner.contains(&b'\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while let Some(&b) = inner.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = inner.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let simple = match esc {
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'u' => None,
            other => Some(other),
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        let Some(hi) = hex4(inner.get(i..i + 4)) else {
            out.extend_from_slice(b"\\u");
            continue;
        };
        let mut consumed = 4;
        let ch = if (0xD800..0xDC00).contains(&hi) {
            let lo = (inner.get(i + 4..i + 6) == Some(b"\\u"))
                .then(|| hex4(inner.get(i + 6..i + 10)))
                .flatten()
                .filter(|lo| (0xDC00..0xE000).contains(lo));
            lo.and_then(|lo| {
                consumed = 10;
                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
            })
        } else {
            char::from_u32(hi)
        };
        match ch {
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            None => {
                out.extend_from_slice(b"\\u");
                out.extend_from_slice(inner.get(i..i + 4).unwrap_or_default());
            }
        }
        i += consumed;
    }
    Cow::Owned(out)
}

fn hex4(s: Option<&[u8]>) -> Option<u32> {
    let s = std::str::from_utf8(s?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Appends `text` (valid JSON) without insignificant whitespace; strings are copied verbatim.
pub fn compact_into(text: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !is_ws(b) {
            in_string = b == b'"';
            out.push(b);
        }
    }
}

/// Appends `text` (one valid JSON value, then only whitespace) re-indented the way Go's
/// `json.Indent(dst, src, "", "  ")` does: two-space indent, `"key": value`, empty containers
/// kept as `{}`/`[]`, strings verbatim, and whitespace after the value copied as is.
pub fn indent_into(text: &[u8], out: &mut Vec<u8>) {
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        for _ in 0..depth {
            out.extend_from_slice(b"  ");
        }
    };
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut started = false;
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        i += 1;
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if is_ws(b) {
            // Only whitespace after the top-level value is kept.
            if started && depth == 0 {
                out.push(b);
            }
            continue;
        }
        started = true;
        match b {
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let next = skip_ws(text, i);
                if text.get(next) == Some(&close) {
                    out.push(b);
                    out.push(close);
                    i = next + 1;
                } else {
                    out.push(b);
                    depth += 1;
                    newline(out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b'"' => {
                in_string = true;
                out.push(b);
            }
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(src: &[u8]) -> Doc {
        let mut d = Doc::default();
        d.parse(src).unwrap();
        d
    }

    #[test]
    fn accepts_valid_documents() {
        for ok in [
            &b"{}"[..],
            b"[]",
            b" {\"a\" : [1, -2.5e+3, true, false, null, \"x\\\"y\"], \"b\":{}}\n",
            b"0",
            b"\"s\"",
            b"[[[]]]",
        ] {
            let mut d = Doc::default();
            assert!(d.parse(ok).is_ok(), "{}", String::from_utf8_lossy(ok));
        }
    }

    #[test]
    fn rejects_invalid_documents() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\"}",
            b"{\"a\":1,}",
            b"[1,]",
            b"[1 2]",
            b"{}x",
            b"01",
            b"1.",
            b"-",
            b"tru",
            b"\"a\x01\"",
            b"\"\\x\"",
            b"\"\\u12g4\"",
            b"{\"a\":1]",
            b"[1}",
        ] {
            let mut d = Doc::default();
            assert!(d.parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
            assert!(d.root().is_none());
        }
    }

    #[test]
    fn depth_limit_without_stack_overflow() {
        let deep = "[".repeat(100_000);
        let mut d = Doc::default();
        let e = d.parse(deep.as_bytes()).unwrap_err();
        assert_eq!(e.what, "nesting too deep");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(d.parse(ok.as_bytes()).is_ok());
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(d.parse(over.as_bytes()).is_err());
    }

    #[test]
    fn navigation_and_ranges() {
        let src = br#"{"a":{"b":[10,20,{"c":"x"}]},"a":2,"k\/e\u0079":true}"#;
        let d = parsed(src);
        let root = d.root().unwrap();
        let a = d.child(src, root, b"a").unwrap();
        assert_eq!(d.kind(a), Some(Kind::Object), "first duplicate key wins");
        let b = d.child(src, a, b"b").unwrap();
        let one = d.child(src, b, b"1").unwrap();
        assert_eq!(&src[d.range(one).unwrap()], b"20");
        assert_eq!(d.child(src, b, b"+1"), Some(one));
        assert_eq!(d.child(src, b, b"01"), Some(one));
        assert_eq!(d.child(src, b, b"-1"), None);
        assert_eq!(d.child(src, b, b"3"), None);
        assert_eq!(d.child(src, b, b"x"), None);
        let c = d.child(src, d.child(src, b, b"2").unwrap(), b"c").unwrap();
        assert_eq!(&src[d.range(c).unwrap()], b"\"x\"");
        let key = d.child(src, root, b"k/ey").unwrap();
        assert_eq!(d.kind(key), Some(Kind::True));
        assert_eq!(d.child(src, one, b"0"), None, "scalars have no children");
    }

    #[test]
    fn unescape() {
        assert_eq!(&*unescape_literal(br#""plain""#), b"plain");
        assert_eq!(
            &*unescape_literal(br#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#),
            "a\"b\\c/d\né😀".as_bytes()
        );
        assert_eq!(&*unescape_literal(br#""\ud800x""#), b"\\ud800x");
    }

    #[test]
    fn compact_keeps_strings_and_numbers() {
        let mut out = Vec::new();
        compact_into(b"{ \"a b\" : [ 1.50 , \"x \\\" y\" ] }", &mut out);
        assert_eq!(out, b"{\"a b\":[1.50,\"x \\\" y\"]}");
    }

    #[test]
    fn indent_like_go() {
        let mut out = Vec::new();
        indent_into(br#"{"value":"hello"}"#, &mut out);
        assert_eq!(out, b"{\n  \"value\": \"hello\"\n}");
        out.clear();
        indent_into(
            b"{\"a\":[1,{},[ ],{\"b\":null}],\"c\":\"x,:{\"}\n",
            &mut out,
        );
        let want = "{\n  \"a\": [\n    1,\n    {},\n    [],\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": \"x,:{\"\n}\n";
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}
