//! Rendering one event as a text line into a reused buffer.

use crate::fields::evt::Id as E;
use crate::fields::{self, Field, FieldId, FieldType, Scratch, TimeFormatter, Value};
use crate::output::format::{Format, Part};
use crate::session::EventCtx;

/// How `evt.outputtime` is shown (sysdig's `-t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeMode {
    /// `h`: local time of day with nanoseconds (default).
    #[default]
    Human,
    /// `a`: absolute seconds.nanoseconds since the epoch.
    Absolute,
    /// `r`: relative to the first event.
    Relative,
    /// `d`: delta from the previous event.
    Delta,
    /// `D`: delta from the previous event shown.
    DeltaShown,
    /// Delta from a given timestamp (how `D` is rendered).
    DeltaFrom(u64),
}

/// A compiled format plus the reusable state needed to render it.
#[derive(Debug)]
pub struct LineWriter {
    /// Timestamp of the last line written (for `-t D`).
    last_shown_ts: Option<u64>,
    parts: Vec<LinePart>,
    print_all: bool,
    time: TimeFormatter,
    /// `-t` mode for `evt.outputtime`.
    pub time_mode: TimeMode,
    /// Buffer for formatted values, with the buffer rendering options (`-A/-x/-X/-b`).
    pub scratch: Scratch,
}

#[derive(Debug)]
enum LinePart {
    Literal(Vec<u8>),
    Field(Field),
}

impl LineWriter {
    /// Prepare `format` for rendering.
    pub fn new(format: &Format) -> LineWriter {
        let parts = format
            .parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => LinePart::Literal(s.as_bytes().to_vec()),
                Part::Field { def, arg, plugin } => LinePart::Field(Field {
                    def,
                    arg: arg.as_deref().map(Into::into),
                    plugin: plugin.clone(),
                }),
            })
            .collect();
        LineWriter {
            last_shown_ts: None,
            parts,
            print_all: format.print_all,
            time: TimeFormatter::default(),
            time_mode: TimeMode::default(),
            scratch: Scratch::default(),
        }
    }

    /// Append the line for `ctx` (with a trailing newline) to `out`. Returns false, leaving
    /// `out` as it was, when the format has no `*` and a field has no value: sysdig skips
    /// such events.
    pub fn write(&mut self, ctx: &EventCtx<'_>, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        out.reserve(256);
        for part in &self.parts {
            match part {
                LinePart::Literal(l) => put(out, l),
                LinePart::Field(f) => match fields::extract(ctx, f, &mut self.scratch) {
                    Some(v) => {
                        let mode = match self.time_mode {
                            // Delta from the previous line shown rather than the previous event.
                            TimeMode::DeltaShown => {
                                TimeMode::DeltaFrom(self.last_shown_ts.unwrap_or(ctx.event.ts()))
                            }
                            m => m,
                        };
                        render(&mut self.time, mode, ctx, f, v, out)
                    }
                    None if self.print_all => out.extend_from_slice(b"<NA>"),
                    None => {
                        out.truncate(start);
                        return false;
                    }
                },
            }
        }
        out.push(b'\n');
        self.last_shown_ts = Some(ctx.event.ts());
        true
    }
}

/// Render a value as sysdig shows it in text output.
pub(crate) fn render(
    time: &mut TimeFormatter,
    mode: TimeMode,
    ctx: &EventCtx<'_>,
    f: &Field,
    v: Value<'_>,
    out: &mut Vec<u8>,
) {
    let ts = ctx.event.ts();
    match f.def.id {
        FieldId::Evt(E::Time) => write_time(time, ts, out, true, false),
        FieldId::Evt(E::TimeS) => write_time(time, ts, out, false, false),
        FieldId::Evt(E::Datetime) => write_time(time, ts, out, true, true),
        FieldId::Evt(E::DatetimeS) => write_time(time, ts, out, false, true),
        FieldId::Evt(E::TimeIso) => write_iso(time, ts, out),
        FieldId::Evt(E::Outputtime) => match mode {
            TimeMode::Human => write_time(time, ts, out, true, false),
            TimeMode::Absolute => write_secs(ts, out),
            TimeMode::Relative => write_secs(ts.saturating_sub(ctx.first_ts), out),
            TimeMode::Delta | TimeMode::DeltaShown => {
                write_secs(ts.saturating_sub(ctx.prev_ts), out)
            }
            TimeMode::DeltaFrom(prev) => write_secs(ts.saturating_sub(prev), out),
        },
        _ => write_value(f.ty(), v, out),
    }
}

/// Append `bytes`; short pieces (most fields and separators) are copied inline, which
/// avoids a `memcpy` call per piece on the hot path.
#[inline]
fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 16 {
        out.extend(bytes.iter().copied());
    } else {
        out.extend_from_slice(bytes);
    }
}

/// Generic text form of a value.
pub(crate) fn write_value(ty: FieldType, v: Value<'_>, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    match v {
        // Raw buffers show printable ASCII, dots for the rest.
        Value::Bytes(s) if ty == FieldType::Bytes => {
            out.extend(
                s.iter()
                    .map(|&c| if (0x20..0x7f).contains(&c) { c } else { b'.' }),
            )
        }
        Value::Bytes(s) => put(out, s),
        Value::I64(n) => put(out, b.format(n).as_bytes()),
        Value::U64(n) => put(out, b.format(n).as_bytes()),
        Value::Bool(x) => out.extend_from_slice(if x { b"true" } else { b"false" }),
        Value::Double(d) => out.extend_from_slice(format!("{d}").as_bytes()),
        Value::Ip(ip) => out.extend_from_slice(ip.to_string().as_bytes()),
        Value::Net(ip, bits) => out.extend_from_slice(format!("{ip}/{bits}").as_bytes()),
    }
}

fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut b = itoa::Buffer::new();
    let s = b.format(n);
    for _ in s.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn write_time(
    t: &mut TimeFormatter,
    ts: u64,
    out: &mut Vec<u8>,
    nanos: bool,
    date: bool,
) {
    let lt = t.local(ts);
    if date {
        push_padded(out, lt.year.max(0) as u64, 4);
        out.push(b'-');
        push_padded(out, u64::from(lt.month), 2);
        out.push(b'-');
        push_padded(out, u64::from(lt.day), 2);
        out.push(b' ');
    }
    push_padded(out, u64::from(lt.hour), 2);
    out.push(b':');
    push_padded(out, u64::from(lt.min), 2);
    out.push(b':');
    push_padded(out, u64::from(lt.sec), 2);
    if nanos {
        out.push(b'.');
        push_padded(out, u64::from(lt.nanos), 9);
    }
}

fn write_iso(t: &mut TimeFormatter, ts: u64, out: &mut Vec<u8>) {
    let lt = t.local(ts);
    write_time(t, ts, out, true, true);
    if let Some(b) = out.iter().rposition(|c| *c == b' ') {
        if let Some(c) = out.get_mut(b) {
            *c = b'T';
        }
    }
    if lt.offset == 0 {
        out.push(b'Z');
    } else {
        let (sign, off) = if lt.offset < 0 {
            (b'-', -lt.offset)
        } else {
            (b'+', lt.offset)
        };
        out.push(sign);
        push_padded(out, (off / 3600) as u64, 2);
        push_padded(out, (off % 3600 / 60) as u64, 2);
    }
}

fn write_secs(ns: u64, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(ns / 1_000_000_000).as_bytes());
    out.push(b'.');
    push_padded(out, ns % 1_000_000_000, 9);
}
