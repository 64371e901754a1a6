//! The field semantics of cloudtrail-json.md §6, without SDK types: one parse per payload,
//! then `json.value`, `json.obj` and `json.rawtime` answered from the cached tree.

use crate::doc::{self, Doc, Kind, ParseError};
use std::fmt;
use std::ops::Range;

/// Why a payload yields no fields at all (the plugin reports it as an extraction error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// The first byte is not `{` or `[` (upstream's quick sanity check).
    NotJson(Option<u8>),
    /// The payload starts like JSON but does not parse.
    Parse(ParseError),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(Some(b)) => {
                write!(f, "invalid json format: '{}'", b.escape_ascii())
            }
            Self::NotJson(None) => f.write_str("invalid json format: empty payload"),
            Self::Parse(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for JsonError {}

/// A value for a string field: its bytes and where it came from in the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<'a> {
    /// The field value (no NUL inside: text after an escaped NUL is cut, as a C reader would).
    pub bytes: std::borrow::Cow<'a, [u8]>,
    /// The source range in the payload (for strings: the text between the quotes).
    pub range: Range<usize>,
}

/// The per-plugin cache: the last payload seen and its parse.
#[derive(Debug, Default)]
pub struct Extractor {
    payload: Vec<u8>,
    doc: Doc,
    /// The outcome for `payload`; `None` before the first event.
    status: Option<Result<(), JsonError>>,
    /// How many payloads were parsed (for tests: "one parse per event").
    parses: u64,
}

fn cut_at_nul(bytes: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    match bytes.iter().position(|&b| b == 0) {
        None => bytes,
        Some(n) => match bytes {
            std::borrow::Cow::Borrowed(b) => {
                std::borrow::Cow::Borrowed(b.get(..n).unwrap_or_default())
            }
            std::borrow::Cow::Owned(mut v) => {
                v.truncate(n);
                std::borrow::Cow::Owned(v)
            }
        },
    }
}

impl Extractor {
    /// Makes `payload` the current document, parsing it unless it is the one already cached.
    /// Comparing bytes (not event numbers) keeps the cache right whatever numbering the host
    /// uses; the comparison costs far less than a parse.
    pub fn load(&mut self, payload: &[u8]) -> Result<(), JsonError> {
        if let Some(status) = &self.status {
            if self.payload == payload {
                return status.clone();
            }
        }
        self.payload.clear();
        self.payload.extend_from_slice(payload);
        self.parses += 1;
        let status = match payload.first() {
            Some(b'{' | b'[') => self.doc.parse(payload).map_err(JsonError::Parse),
            other => Err(JsonError::NotJson(other.copied())),
        };
        self.status = Some(status.clone());
        status
    }

    /// Number of parses so far.
    pub fn parses(&self) -> u64 {
        self.parses
    }

    fn loaded(&self) -> bool {
        matches!(self.status, Some(Ok(())))
    }

    /// `json.value[pointer]` on the loaded payload; `None` when the path does not exist.
    ///
    /// An empty pointer selects the whole document; otherwise one leading `/` is dropped and the
    /// rest split on `/`, with `~1`→`/` then `~0`→`~` in each token.
    pub fn value(&self, pointer: &[u8]) -> Option<Value<'_>> {
        if !self.loaded() {
            return None;
        }
        let src = self.payload.as_slice();
        let mut node = self.doc.root()?;
        if !pointer.is_empty() {
            let rest = pointer.strip_prefix(b"/").unwrap_or(pointer);
            let mut token = Vec::new();
            for raw in rest.split(|&b| b == b'/') {
                token.clear();
                unescape_token(raw, &mut token);
                node = self.doc.child(src, node, &token)?;
            }
        }
        let range = self.doc.range(node)?;
        let text = src.get(range.clone())?;
        match self.doc.kind(node)? {
            Kind::String => Some(Value {
                bytes: cut_at_nul(doc::unescape_literal(text)),
                range: range.start + 1..range.end.saturating_sub(1),
            }),
            Kind::Object | Kind::Array => {
                let mut out = Vec::with_capacity(text.len());
                doc::compact_into(text, &mut out);
                Some(Value {
                    bytes: std::borrow::Cow::Owned(out),
                    range,
                })
            }
            Kind::Number | Kind::True | Kind::False | Kind::Null => Some(Value {
                bytes: std::borrow::Cow::Borrowed(text),
                range,
            }),
        }
    }

    /// `json.obj`: the loaded payload re-indented as Go's `json.Indent(.., "", "  ")`.
    pub fn obj(&self) -> Option<Value<'static>> {
        if !self.loaded() {
            return None;
        }
        let mut out = Vec::with_capacity(self.payload.len() * 2);
        doc::indent_into(&self.payload, &mut out);
        Some(Value {
            bytes: cut_at_nul(std::borrow::Cow::Owned(out)).into_owned().into(),
            range: 0..self.payload.len(),
        })
    }
}

/// RFC 6901 token unescaping in upstream's order: `~1` first, then `~0`.
fn unescape_token(raw: &[u8], out: &mut Vec<u8>) {
    let mut tmp = Vec::with_capacity(raw.len());
    replace_all(raw, b"~1", b'/', &mut tmp);
    replace_all(&tmp, b"~0", b'~', out);
}

fn replace_all(src: &[u8], pat: &[u8; 2], with: u8, out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if src.get(i..i + 2) == Some(&pat[..]) {
            out.push(with);
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
}

/// `json.rawtime`: the event timestamp in ns as a decimal string.
pub fn rawtime(ts: u64) -> String {
    ts.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document of upstream's `TestExtractValue`.
    const UPSTREAM: &str = "{\n\t\t\t\"list\":[\n\t\t\t\t{\n\t\t\t\t\t\"intvalue\":1,\n\t\t\t\t\t\"floatvalue\":2.5\n\t\t\t\t}\n\t\t\t],\n\t\t\t\"value\":\"hello\",\n\t\t\t\"~/escaped\":\"hello\\\"2\"\n\t\t}";

    fn loaded(src: &str) -> Extractor {
        let mut e = Extractor::default();
        e.load(src.as_bytes()).unwrap();
        e
    }

    fn val(e: &Extractor, ptr: &str) -> Option<String> {
        e.value(ptr.as_bytes())
            .map(|v| String::from_utf8(v.bytes.into_owned()).unwrap())
    }

    #[test]
    fn upstream_value_cases() {
        let e = loaded(UPSTREAM);
        assert_eq!(val(&e, "invalid_pointer"), None);
        assert_eq!(val(&e, "/value").as_deref(), Some("hello"));
        assert_eq!(val(&e, "value").as_deref(), Some("hello"));
        assert_eq!(val(&e, "/list/0/intvalue").as_deref(), Some("1"));
        assert_eq!(val(&e, "/list/0/floatvalue").as_deref(), Some("2.5"));
        assert_eq!(val(&e, "/~0~1escaped").as_deref(), Some("hello\"2"));
        assert_eq!(
            val(&e, "").as_deref(),
            Some(
                r#"{"list":[{"intvalue":1,"floatvalue":2.5}],"value":"hello","~/escaped":"hello\"2"}"#
            )
        );
        assert_eq!(
            val(&e, "/list").as_deref(),
            Some(r#"[{"intvalue":1,"floatvalue":2.5}]"#)
        );
    }

    #[test]
    fn upstream_obj_case() {
        let e = loaded(r#"{"value":"hello"}"#);
        let obj = e.obj().unwrap();
        assert_eq!(&*obj.bytes, b"{\n  \"value\": \"hello\"\n}");
    }

    #[test]
    fn scalar_renderings_and_ranges() {
        let src = r#"{"a":false,"b":"","c":null,"d":1.0e3,"e":"x\u0000y","f":"\u00e9"}"#;
        let e = loaded(src);
        assert_eq!(val(&e, "/a").as_deref(), Some("false"));
        assert_eq!(val(&e, "/b").as_deref(), Some(""));
        assert_eq!(val(&e, "/c").as_deref(), Some("null"));
        assert_eq!(val(&e, "/d").as_deref(), Some("1.0e3"));
        assert_eq!(val(&e, "/e").as_deref(), Some("x"));
        assert_eq!(val(&e, "/f").as_deref(), Some("é"));
        let v = e.value(b"/d").unwrap();
        assert_eq!(&src[v.range], "1.0e3");
        let v = e.value(b"/b").unwrap();
        assert!(v.range.is_empty());
        assert_eq!(&src[v.range.start - 1..v.range.start + 1], "\"\"");
        assert_eq!(val(&e, "/a/0"), None);
        assert_eq!(val(&e, "/"), None, "the key \"\" does not exist");
    }

    #[test]
    fn not_json_gives_errors_and_no_values() {
        let mut e = Extractor::default();
        assert_eq!(e.load(b" {}"), Err(JsonError::NotJson(Some(b' '))));
        assert_eq!(e.load(b""), Err(JsonError::NotJson(None)));
        assert!(matches!(e.load(b"{\"a\":}"), Err(JsonError::Parse(_))));
        assert_eq!(e.value(b""), None);
        assert!(e.obj().is_none());
        assert_eq!(
            JsonError::NotJson(Some(b'x')).to_string(),
            "invalid json format: 'x'"
        );
    }

    #[test]
    fn one_parse_per_payload() {
        let mut e = Extractor::default();
        for _ in 0..3 {
            e.load(b"{\"a\":1}").unwrap();
        }
        assert_eq!(e.parses(), 1);
        e.load(b"{\"a\":2}").unwrap();
        assert!(e.load(b"nope").is_err());
        assert!(e.load(b"nope").is_err());
        assert_eq!(e.parses(), 3);
        assert_eq!(val(&e, "/a"), None);
    }

    #[test]
    fn rawtime_is_decimal() {
        assert_eq!(rawtime(1_700_000_000_123_456_789), "1700000000123456789");
        assert_eq!(rawtime(0), "0");
    }

    #[test]
    fn cloudtrail_records() {
        let Some(records) = crate::tests_support::cloudtrail_records() else {
            return;
        };
        let mut checked = 0;
        for rec in &records {
            let mut e = Extractor::default();
            e.load(rec).unwrap();
            // Every record has these string keys; they come back unescaped and their range
            // points at the literal's content.
            for key in ["eventName", "eventSource", "eventTime"] {
                let v = e.value(format!("/{key}").as_bytes()).unwrap();
                assert_eq!(
                    &rec[v.range.clone()],
                    &*v.bytes,
                    "{key}: no escapes expected"
                );
                assert_eq!(rec[v.range.start - 1], b'"');
            }
            let whole = e.value(b"").unwrap();
            let mut redo = Extractor::default();
            redo.load(&whole.bytes).unwrap();
            assert_eq!(
                redo.value(b"/eventID").map(|v| v.bytes.into_owned()),
                e.value(b"/eventID").map(|v| v.bytes.into_owned())
            );
            let obj = e.obj().unwrap();
            let mut again = Extractor::default();
            again.load(&obj.bytes).unwrap();
            assert_eq!(
                again.value(b"").unwrap().bytes,
                whole.bytes,
                "indent keeps the content"
            );
            checked += 1;
        }
        assert!(checked > 0);
    }
}
