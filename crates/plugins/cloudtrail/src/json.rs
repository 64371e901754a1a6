//! A small strict JSON parser that keeps byte spans.
//!
//! The CloudTrail fields need three things serde_json's `Value` does not give
//! cheaply: the original key order, the original number text, and the byte
//! range of each value inside the record (for `ct.response`-style fields that
//! re-emit a sub-object, and for the SDK's byte-range extraction). So the tree
//! here stores only offsets into the record bytes; strings are unescaped on
//! demand.
//!
//! Nesting is bounded by [`MAX_DEPTH`] and parsing uses an explicit stack, so
//! hostile input cannot overflow the call stack.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// Deepest nesting accepted (serde_json uses the same limit).
pub const MAX_DEPTH: usize = 128;

/// A parse failure with the byte offset where it was noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Offset into the parsed bytes.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

impl std::error::Error for JsonError {}

/// Index of a node in [`Doc::nodes`].
pub type NodeId = usize;

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number (its text is the span).
    Number,
    /// A string; `escaped` says whether it contains backslash escapes.
    String {
        /// The literal contains at least one `\` escape.
        escaped: bool,
    },
    /// An array; children are linked through `next`.
    Array,
    /// An object; children are linked through `next` and carry their key.
    Object,
}

/// One value in the tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// Byte range of the whole value (strings include their quotes).
    pub span: Range<usize>,
    /// For object members: byte range of the key literal, quotes included.
    pub key: Option<Range<usize>>,
    /// First child (arrays and objects).
    pub first: Option<NodeId>,
    /// Next sibling.
    pub next: Option<NodeId>,
}

/// A parsed document: nodes with spans into `src`, which the caller keeps.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    nodes: Vec<Node>,
}

/// A value inside a document, borrowing the document and its source bytes.
#[derive(Debug, Clone, Copy)]
pub struct Val<'a> {
    doc: &'a Doc,
    src: &'a [u8],
    id: NodeId,
}

impl Doc {
    /// Parse `src`, which must hold exactly one JSON value (surrounding
    /// whitespace allowed).
    pub fn parse(src: &[u8]) -> Result<Doc, JsonError> {
        Parser {
            src,
            pos: 0,
            nodes: Vec::new(),
        }
        .run()
    }

    /// The root value; `src` must be the bytes this document was parsed from.
    pub fn root<'a>(&'a self, src: &'a [u8]) -> Option<Val<'a>> {
        if self.nodes.is_empty() {
            None
        } else {
            Some(Val {
                doc: self,
                src,
                id: 0,
            })
        }
    }
}

impl<'a> Val<'a> {
    fn node(&self) -> Option<&'a Node> {
        self.doc.nodes.get(self.id)
    }

    /// The kind of this value.
    pub fn kind(&self) -> Kind {
        self.node().map_or(Kind::Null, |n| n.kind)
    }

    /// Byte range of this value in the source.
    pub fn span(&self) -> Range<usize> {
        self.node().map_or(0..0, |n| n.span.clone())
    }

    /// The raw source text of this value.
    pub fn raw(&self) -> &'a [u8] {
        self.src.get(self.span()).unwrap_or_default()
    }

    fn child(&self, id: Option<NodeId>) -> Option<Val<'a>> {
        id.map(|id| Val {
            doc: self.doc,
            src: self.src,
            id,
        })
    }

    /// Iterate over the elements of an array or the members of an object.
    pub fn children(&self) -> Children<'a> {
        Children {
            cur: self.child(self.node().and_then(|n| n.first)),
        }
    }

    /// The member `name` of an object (the first one if the key repeats).
    pub fn get(&self, name: &str) -> Option<Val<'a>> {
        if self.kind() != Kind::Object {
            return None;
        }
        self.children().find(|c| c.key_is(name))
    }

    /// Follow a path of object keys.
    pub fn path(&self, names: &[&str]) -> Option<Val<'a>> {
        let mut cur = *self;
        for name in names {
            cur = cur.get(name)?;
        }
        Some(cur)
    }

    /// Element `i` of an array.
    pub fn index(&self, i: usize) -> Option<Val<'a>> {
        if self.kind() != Kind::Array {
            return None;
        }
        self.children().nth(i)
    }

    fn key_is(&self, name: &str) -> bool {
        let Some(key) = self.node().and_then(|n| n.key.clone()) else {
            return false;
        };
        let Some(lit) = self.src.get(key) else {
            return false;
        };
        let inner = lit.get(1..lit.len().saturating_sub(1)).unwrap_or_default();
        if !inner.contains(&b'\\') {
            return inner == name.as_bytes();
        }
        unescape(inner).as_deref() == Some(name)
    }

    /// The unescaped value if this is a string.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        let Kind::String { escaped } = self.kind() else {
            return None;
        };
        let raw = self.raw();
        let inner = raw.get(1..raw.len().saturating_sub(1))?;
        if escaped {
            unescape(inner).map(Cow::Owned)
        } else {
            Some(String::from_utf8_lossy(inner))
        }
    }

    /// The value as a boolean if it is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind() {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value re-emitted as compact JSON: the source text without
    /// whitespace outside strings (key order, number text and string escapes
    /// are kept as written).
    pub fn compact(&self) -> String {
        compact(self.raw())
    }
}

/// Iterator over children of an array or object.
#[derive(Debug)]
pub struct Children<'a> {
    cur: Option<Val<'a>>,
}

impl<'a> Iterator for Children<'a> {
    type Item = Val<'a>;

    fn next(&mut self) -> Option<Val<'a>> {
        let cur = self.cur?;
        self.cur = cur.child(cur.node().and_then(|n| n.next));
        Some(cur)
    }
}

/// Remove insignificant whitespace from valid JSON text.
pub fn compact(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut in_str = false;
    let mut esc = false;
    for &b in raw {
        if in_str {
            out.push(b);
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_str = true;
            }
            out.push(b);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decode the inside of a string literal (no quotes). `None` if malformed.
fn unescape(inner: &[u8]) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut i = 0;
    while let Some(&b) = inner.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = *inner.get(i + 1)?;
        i += 2;
        let c = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(inner.get(i..i + 4)?)?;
                i += 4;
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must pair with a low one; otherwise it
                    // becomes U+FFFD like Go and serde_json's lossy paths.
                    let lo = if inner.get(i..i + 2) == Some(b"\\u") {
                        inner.get(i + 2..i + 6).and_then(hex4)
                    } else {
                        None
                    };
                    match lo {
                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                            i += 6;
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            char::from_u32(cp).unwrap_or('\u{fffd}')
                        }
                        _ => '\u{fffd}',
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{fffd}')
                }
            }
            _ => return None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn hex4(h: &[u8]) -> Option<u32> {
    if h.len() != 4 {
        return None;
    }
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

struct Parser<'s> {
    src: &'s [u8],
    pos: usize,
    nodes: Vec<Node>,
}

/// An open container on the explicit stack.
struct Frame {
    id: NodeId,
    last_child: Option<NodeId>,
    is_object: bool,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            what,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8, what: &'static str) -> Result<(), JsonError> {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn run(mut self) -> Result<Doc, JsonError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut key: Option<Range<usize>> = None;
        loop {
            // Parse one value (scalar or container opening).
            self.skip_ws();
            let start = self.pos;
            let id = self.nodes.len();
            let kind = match self.peek() {
                Some(b'{') => Kind::Object,
                Some(b'[') => Kind::Array,
                Some(b'"') => Kind::String {
                    escaped: self.string()?,
                },
                Some(b't') => self.literal(b"true", Kind::Bool(true))?,
                Some(b'f') => self.literal(b"false", Kind::Bool(false))?,
                Some(b'n') => self.literal(b"null", Kind::Null)?,
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                    Kind::Number
                }
                Some(_) => return Err(self.err("expected a value")),
                None => return Err(self.err("unexpected end of input")),
            };
            self.nodes.push(Node {
                kind,
                span: start..self.pos,
                key: key.take(),
                first: None,
                next: None,
            });
            if let Some(top) = stack.last_mut() {
                match top.last_child {
                    Some(prev) => {
                        if let Some(p) = self.nodes.get_mut(prev) {
                            p.next = Some(id);
                        }
                    }
                    None => {
                        if let Some(p) = self.nodes.get_mut(top.id) {
                            p.first = Some(id);
                        }
                    }
                }
                top.last_child = Some(id);
            }
            let mut just_opened = false;
            if matches!(kind, Kind::Object | Kind::Array) {
                if stack.len() >= MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                self.pos += 1;
                stack.push(Frame {
                    id,
                    last_child: None,
                    is_object: kind == Kind::Object,
                });
                just_opened = true;
            }
            // Close containers / move to the next member.
            loop {
                let Some(top) = stack.last() else {
                    self.skip_ws();
                    if self.pos != self.src.len() {
                        return Err(self.err("trailing characters"));
                    }
                    return Ok(Doc { nodes: self.nodes });
                };
                let close = if top.is_object { b'}' } else { b']' };
                let is_object = top.is_object;
                let top_id = top.id;
                self.skip_ws();
                if self.peek() == Some(close) {
                    self.pos += 1;
                    if let Some(n) = self.nodes.get_mut(top_id) {
                        n.span.end = self.pos;
                    }
                    stack.pop();
                    just_opened = false;
                    continue;
                }
                if !just_opened {
                    self.expect(b',', "expected ',' or a closing bracket")?;
                }
                if is_object {
                    self.skip_ws();
                    let kstart = self.pos;
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected an object key"));
                    }
                    self.string()?;
                    key = Some(kstart..self.pos);
                    self.expect(b':', "expected ':'")?;
                }
                break;
            }
        }
    }

    fn literal(&mut self, text: &[u8], kind: Kind) -> Result<Kind, JsonError> {
        if self.src.get(self.pos..self.pos + text.len()) == Some(text) {
            self.pos += text.len();
            Ok(kind)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    /// Scan a string literal starting at `"`; returns whether it has escapes.
    fn string(&mut self) -> Result<bool, JsonError> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            let hex = self.src.get(self.pos + 1..self.pos + 5);
                            if hex.and_then(hex4).is_none() {
                                return Err(self.err("invalid \\u escape"));
                            }
                            self.pos += 5;
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.err("control character in string")),
                Some(_) => self.pos += 1,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(src: &str, f: impl FnOnce(Val<'_>) -> R) -> R {
        let doc = Doc::parse(src.as_bytes()).unwrap();
        f(doc.root(src.as_bytes()).unwrap())
    }

    #[test]
    fn parses_and_navigates() {
        let src = r#" {"a": {"b": [1, 2.5e3, "x\"y"], "c": null}, "d": true, "a": 5} "#;
        with(src, |r| {
            assert_eq!(r.kind(), Kind::Object);
            let b = r.path(&["a", "b"]).unwrap();
            assert_eq!(b.index(0).unwrap().raw(), b"1");
            assert_eq!(b.index(1).unwrap().raw(), b"2.5e3");
            assert_eq!(b.index(2).unwrap().as_str().unwrap(), "x\"y");
            assert!(b.index(3).is_none());
            assert_eq!(r.path(&["a", "c"]).unwrap().kind(), Kind::Null);
            assert_eq!(r.get("d").unwrap().as_bool(), Some(true));
            // The first of duplicate keys wins.
            assert_eq!(r.get("a").unwrap().kind(), Kind::Object);
            assert_eq!(
                r.get("a").unwrap().compact(),
                r#"{"b":[1,2.5e3,"x\"y"],"c":null}"#
            );
        });
    }

    #[test]
    fn unescapes() {
        with(r#"{"k\u0065y": "a\u00e9\ud83d\ude00\n\/"}"#, |r| {
            assert_eq!(r.get("key").unwrap().as_str().unwrap(), "aé😀\n/");
        });
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "{",
            "{\"a\":}",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "\"\\x\"",
            "tru",
            "{} {}",
            "\"a\nb\"",
            "{,}",
        ] {
            assert!(Doc::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(Doc::parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Doc::parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn empty_containers() {
        with("{\"a\":[],\"b\":{}}", |r| {
            assert_eq!(r.get("a").unwrap().children().count(), 0);
            assert_eq!(r.get("b").unwrap().compact(), "{}");
        });
    }
}
