//! `-j`: one JSON object per event, keys sorted, values typed, as sysdig 0.29.3 writes them.

use std::io::Write as _;

use crate::fields::{self, ArgKind, Field, FieldType, Scratch, TimeFormatter, Value};
use crate::output::args::BufferOpts;
use crate::output::format::{Format, Part};
use crate::output::line::{render, TimeMode};
use crate::session::EventCtx;

/// A compiled format rendered as JSON lines.
#[derive(Debug)]
pub struct JsonWriter {
    /// `(key, field)`, sorted by key, without duplicates.
    fields: Vec<(Vec<u8>, Field)>,
    print_all: bool,
    time: TimeFormatter,
    text: Vec<u8>,
    /// Buffer for formatted values, with the buffer rendering options.
    pub scratch: Scratch,
}

impl JsonWriter {
    /// Prepare `format` (its literal text is ignored: JSON has one key per field).
    pub fn new(format: &Format) -> JsonWriter {
        let mut fields: Vec<(Vec<u8>, Field)> = format
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Field { def, arg, plugin } => {
                    let mut key = match plugin {
                        Some(p) => p.name.clone(),
                        None => def.name.to_string(),
                    };
                    if let Some(a) = arg {
                        if def.arg == ArgKind::Required && a.parse::<usize>().is_err() {
                            key.push('.');
                            key.push_str(a);
                        } else {
                            key.push('[');
                            key.push_str(a);
                            key.push(']');
                        }
                    }
                    Some((
                        key.into_bytes(),
                        Field {
                            def,
                            arg: arg.as_deref().map(Into::into),
                            plugin: plugin.clone(),
                        },
                    ))
                }
                Part::Literal(_) => None,
            })
            .collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.dedup_by(|a, b| a.0 == b.0);
        JsonWriter {
            fields,
            print_all: format.print_all,
            time: TimeFormatter::default(),
            text: Vec::new(),
            scratch: Scratch {
                buf: Vec::new(),
                // JSON never cuts buffers.
                opts: BufferOpts {
                    max_len: 0,
                    ..BufferOpts::default()
                },
            },
        }
    }

    /// Append the object for `ctx` and a newline. Returns false, leaving `out` unchanged,
    /// when a field has no value and the format has no `*`.
    pub fn write(&mut self, ctx: &EventCtx<'_>, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        out.push(b'{');
        for (n, (key, f)) in self.fields.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_str(key, out);
            out.push(b':');
            match fields::extract(ctx, f, &mut self.scratch) {
                Some(v) => {
                    write_value(&mut self.time, &mut self.text, ctx, f, v, out);
                }
                None if self.print_all => out.extend_from_slice(b"null"),
                None => {
                    out.truncate(start);
                    return false;
                }
            }
        }
        out.extend_from_slice(b"}\n");
        true
    }
}

fn write_value(
    time: &mut TimeFormatter,
    text: &mut Vec<u8>,
    ctx: &EventCtx<'_>,
    f: &Field,
    v: Value<'_>,
    out: &mut Vec<u8>,
) {
    // Integers (time fields included: ns) are JSON numbers.
    match v {
        Value::I64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Value::U64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Double(d) if d.is_finite() => {
            let _ = write!(out, "{d}");
        }
        Value::Bytes(b) if f.ty() != FieldType::Bytes => write_str(b, out),
        _ => {
            text.clear();
            render(time, TimeMode::Human, ctx, f, v, text);
            write_str(text, out);
        }
    }
}

/// A JSON string as jsoncpp writes it: control characters and non-ASCII escaped.
fn write_str(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let mut rest = s;
    while !rest.is_empty() {
        let (ch, len) = next_char(rest);
        rest = rest.get(len..).unwrap_or_default();
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if c.is_ascii() => out.push(c as u8),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push(b'"');
}

/// The first character of `s` and its length; an invalid byte is U+FFFD of length 1.
fn next_char(s: &[u8]) -> (char, usize) {
    let n = match s.first() {
        Some(&b) if b < 0x80 => return (char::from(b), 1),
        Some(&b) if b >= 0xf0 => 4,
        Some(&b) if b >= 0xe0 => 3,
        _ => 2,
    };
    s.get(..n)
        .and_then(|p| std::str::from_utf8(p).ok())
        .and_then(|p| p.chars().next())
        .map_or(('\u{fffd}', 1), |c| (c, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_jsoncpp() {
        let mut o = Vec::new();
        write_str("a\"b\\c\n\u{1}/é".as_bytes(), &mut o);
        assert_eq!(o, br#""a\"b\\c\n\u0001/\u00e9""#);
    }
}
