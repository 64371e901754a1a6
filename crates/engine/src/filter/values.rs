//! The per-evaluation value arena. Extracted and transformed values are appended to one item
//! vector and one byte buffer, both kept (with their capacity) in the caller's scratch, so
//! evaluating an event allocates nothing once the buffers have grown.

use std::io;
use std::net::IpAddr;

use crate::fields::value::Value;

/// One stored value; text refers to a byte range of the arena.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item {
    Bytes(usize, usize),
    I64(i64),
    U64(u64),
    Bool(bool),
    Double(f64),
    Ip(IpAddr),
    Net(IpAddr, u8),
}

/// A range of items: the values of one operand.
pub(crate) type Range = (usize, usize);

/// Items plus the bytes they point into.
#[derive(Debug, Default)]
pub(crate) struct Values {
    pub(crate) items: Vec<Item>,
    pub(crate) bytes: Vec<u8>,
}

impl Values {
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn value(&self, i: usize) -> Option<Value<'_>> {
        Some(self.resolve(*self.items.get(i)?))
    }

    pub(crate) fn resolve(&self, it: Item) -> Value<'_> {
        match it {
            Item::Bytes(s, e) => Value::Bytes(self.bytes.get(s..e).unwrap_or_default()),
            Item::I64(v) => Value::I64(v),
            Item::U64(v) => Value::U64(v),
            Item::Bool(v) => Value::Bool(v),
            Item::Double(v) => Value::Double(v),
            Item::Ip(v) => Value::Ip(v),
            Item::Net(a, p) => Value::Net(a, p),
        }
    }

    pub(crate) fn push(&mut self, v: Value<'_>) {
        let it = match v {
            Value::Bytes(b) => {
                let s = self.bytes.len();
                self.bytes.extend_from_slice(b);
                Item::Bytes(s, self.bytes.len())
            }
            Value::I64(v) => Item::I64(v),
            Value::U64(v) => Item::U64(v),
            Value::Bool(v) => Item::Bool(v),
            Value::Double(v) => Item::Double(v),
            Value::Ip(v) => Item::Ip(v),
            Value::Net(a, p) => Item::Net(a, p),
        };
        self.items.push(it);
    }

    /// Appends text copied from the arena's own bytes `s..e`.
    pub(crate) fn push_copy(&mut self, s: usize, e: usize) -> (usize, usize) {
        let start = self.bytes.len();
        if s <= e && e <= start {
            self.bytes.extend_from_within(s..e);
        }
        (start, self.bytes.len())
    }
}

/// Where a [`FieldSource`](super::FieldSource) puts the values it extracts.
#[derive(Debug)]
pub struct ValueSink<'a> {
    vals: &'a mut Values,
}

impl<'a> ValueSink<'a> {
    pub(crate) fn new(vals: &'a mut Values) -> ValueSink<'a> {
        ValueSink { vals }
    }

    /// Adds a value (text is copied).
    pub fn push(&mut self, v: Value<'_>) {
        self.vals.push(v);
    }

    /// Adds one text value written by `f`, for values that must be rendered (flags, numbers
    /// shown as text) without a buffer of the source's own.
    pub fn push_text_with<R>(&mut self, f: impl FnOnce(&mut TextWriter<'_>) -> R) -> R {
        let start = self.vals.bytes.len();
        let r = f(&mut TextWriter {
            buf: &mut self.vals.bytes,
        });
        let end = self.vals.bytes.len().max(start);
        self.vals.items.push(Item::Bytes(start, end));
        r
    }
}

/// Appends to one text value; see [`ValueSink::push_text_with`].
#[derive(Debug)]
pub struct TextWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl TextWriter<'_> {
    /// Appends bytes.
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
}

impl io::Write for TextWriter<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Write for TextWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
