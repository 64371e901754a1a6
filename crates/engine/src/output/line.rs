//! Rendering one event as a text line into a reused buffer.

use crate::fields::evt::Id as E;
use crate::fields::{self, Field, FieldId, FieldType, Scratch, TimeFormatter, Value};
use crate::output::args::{write_args_with, ArgNames};
use crate::output::format::{Format, Part};
use crate::output::stage::Stage;
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
    ts_prefix: TsPrefix,
    type_names: TypeNames,
    arg_names: ArgNames,
    /// The parts are the default format's (every field fast): written by
    /// [`write_default`], without a dispatch per field.
    default_shape: bool,
}

/// `evt.type` of each event type code seen, as [`Text`] (generic syscall events excepted:
/// their name comes from a parameter).
#[derive(Debug, Default)]
struct TypeNames(Vec<Option<Text>>);

impl TypeNames {
    #[inline]
    fn stage(
        &mut self,
        ev: &scap::Event<'_>,
        stage: &mut Stage,
        n: usize,
        out: &mut Vec<u8>,
    ) -> usize {
        let ty = ev.event_type();
        if ty > 1 {
            if let Some(Some(t)) = self.0.get(usize::from(ty)) {
                return stage.text(n, t, out);
            }
            self.fill(ev);
        }
        stage.bytes(n, fields::evt::event_type_name(ev).as_bytes(), out)
    }

    #[cold]
    fn fill(&mut self, ev: &scap::Event<'_>) {
        let i = usize::from(ev.event_type());
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        if let Some(slot) = self.0.get_mut(i) {
            *slot = Some(Text::new(fields::evt::event_type_name(ev).as_bytes()));
        }
    }
}

/// A field with the literal text before it (one step per field rather than two).
#[derive(Debug)]
struct LinePart {
    pre: Text,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// No field: the text after the last field, with the newline.
    End,
    Field(Field),
    /// A field written straight from the event and state, skipping the generic
    /// extract-and-render path (same text).
    Fast(Fast),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fast {
    Num,
    Rawtime,
    Cpu,
    Tid,
    Dir,
    Type,
    /// `evt.outputtime`, in any `-t` mode.
    Outputtime,
    /// `evt.time`.
    Time,
    /// `proc.name`.
    ProcName,
    /// `evt.info` and `evt.args`.
    Args,
}

/// What [`Fast::write`] needs besides the event.
struct FastState<'w> {
    ts_prefix: &'w mut TsPrefix,
    time: &'w mut TimeFormatter,
    time_mode: TimeMode,
    last_shown_ts: Option<u64>,
    scratch: &'w mut Scratch,
    type_names: &'w mut TypeNames,
    arg_names: &'w mut ArgNames,
}

impl Fast {
    fn of(f: &Field) -> Option<Fast> {
        use crate::fields::thread::Id as T;
        if f.arg.is_some() || f.plugin.is_some() {
            return None;
        }
        let fast = match f.def.id {
            FieldId::Evt(E::Num) => Fast::Num,
            FieldId::Evt(E::Rawtime) => Fast::Rawtime,
            FieldId::Evt(E::Cpu) => Fast::Cpu,
            FieldId::Evt(E::Dir) => Fast::Dir,
            FieldId::Evt(E::Type) => Fast::Type,
            FieldId::Evt(E::Outputtime) => Fast::Outputtime,
            FieldId::Evt(E::Time) => Fast::Time,
            FieldId::Evt(E::Info | E::Args) => Fast::Args,
            FieldId::Thread(T::Tid) => Fast::Tid,
            FieldId::Thread(T::Name) => Fast::ProcName,
            _ => return None,
        };
        // Raw byte fields are shown filtered (see `write_value`); these are written as is.
        let text_as_is = matches!(fast, Fast::ProcName | Fast::Args);
        if text_as_is && f.ty() == FieldType::Bytes {
            return None;
        }
        Some(fast)
    }

    /// Write the field, staging it in `stage` at `n` when it is short; returns the new
    /// position, or `None` when the field has no value.
    #[inline(always)]
    fn write(
        self,
        ctx: &EventCtx<'_>,
        st: &mut FastState<'_>,
        stage: &mut Stage,
        n: usize,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        let ev = &ctx.event;
        let n = stage.room(n, out);
        Some(match self {
            Fast::Num => stage.u64(n, ctx.num),
            Fast::Rawtime => st.ts_prefix.stage(stage, n, ev.ts()),
            Fast::Cpu => stage.u64(n, u64::from(ev.cpu())),
            // Plugin events carry tid u64::MAX, which shows as -1.
            Fast::Tid => stage.i64(n, ev.tid() as i64),
            Fast::Dir => stage.byte(
                n,
                match ev.direction() {
                    scap::table::Direction::Enter => b'>',
                    scap::table::Direction::Exit => b'<',
                },
            ),
            Fast::Type => st.type_names.stage(ev, stage, n, out),
            Fast::Outputtime if st.time_mode == TimeMode::Human => {
                stage_time(st.time, ev.ts(), stage, n, out)
            }
            Fast::Time => stage_time(st.time, ev.ts(), stage, n, out),
            Fast::Outputtime => {
                let mode = match st.time_mode {
                    // Delta from the previous line shown rather than the previous event.
                    TimeMode::DeltaShown => {
                        TimeMode::DeltaFrom(st.last_shown_ts.unwrap_or(ev.ts()))
                    }
                    m => m,
                };
                stage.flush(n, out);
                write_outputtime(st.time, mode, ctx, out);
                0
            }
            Fast::ProcName => {
                let t = ctx.state.thread(ev.tid() as i64)?;
                stage.bytes(n, &t.comm, out)
            }
            Fast::Args => write_args_with(ctx, &st.scratch.opts, st.arg_names, stage, n, out),
        })
    }
}

/// Stage the local time of `ts` as `HH:MM:SS.nnnnnnnnn`.
#[inline]
fn stage_time(
    time: &mut TimeFormatter,
    ts: u64,
    stage: &mut Stage,
    n: usize,
    out: &mut Vec<u8>,
) -> usize {
    const E8: u64 = 100_000_000;
    let clock = time.clock(ts, false);
    let ns = ts % 1_000_000_000;
    let n = match clock.first_chunk::<8>() {
        // Always 8 bytes (`HH:MM:SS`); anything else is copied as is.
        Some(c) if clock.len() == 8 => stage.word(n, u64::from_le_bytes(*c)),
        _ => {
            let n = stage.bytes(n, clock, out);
            stage.room(n, out)
        }
    };
    let n = stage.byte(n, b'.');
    let n = stage.byte(n, b'0' + (ns / E8) as u8);
    stage.word(n, ascii8(ns % E8))
}

/// The digits of a timestamp above its last 8, kept from the previous event: they change
/// every 0.1 s, so most timestamps need only their last 8 digits formatted.
#[derive(Debug, Default)]
struct TsPrefix {
    /// `ts / 10^8` of the cached text (0: none; such timestamps are formatted whole).
    high: u64,
    text: [u8; 16],
    len: usize,
}

impl TsPrefix {
    /// Stage `ts` in decimal (at most 20 digits).
    #[inline]
    fn stage(&mut self, stage: &mut Stage, n: usize, ts: u64) -> usize {
        const E8: u64 = 100_000_000;
        let high = ts / E8;
        if high == 0 || high >= 1_000_000_000_000 {
            return stage.u64(n, ts);
        }
        if high != self.high {
            self.fill(high);
        }
        let n = stage.text(n, &Text::Short(self.text, self.len), &mut Vec::new());
        stage.word(n, ascii8(ts % E8))
    }

    #[cold]
    fn fill(&mut self, high: u64) {
        let mut text = Vec::with_capacity(32);
        push_u64(&mut text, high);
        self.len = text.len();
        text.resize(16, 0);
        if let Ok(t) = <[u8; 16]>::try_from(text.as_slice()) {
            self.text = t;
            self.high = high;
        }
    }

    #[cfg(test)]
    fn push(&mut self, out: &mut Vec<u8>, ts: u64) {
        const E8: u64 = 100_000_000;
        let high = ts / E8;
        // 12 digits at most fit the cache; anything else is formatted whole.
        if high == 0 || high >= 1_000_000_000_000 {
            push_u64(out, ts);
            return;
        }
        if high != self.high {
            self.fill(high);
        }
        let at = out.len();
        out.extend_from_slice(&self.text);
        out.truncate(at + self.len);
        push_group(out, ascii8(ts % E8), 8);
    }
}

impl LineWriter {
    /// Prepare `format` for rendering.
    pub fn new(format: &Format) -> LineWriter {
        let mut parts = Vec::new();
        let mut text = Vec::new();
        for p in &format.parts {
            match p {
                Part::Literal(s) => text.extend_from_slice(s.as_bytes()),
                Part::Field { def, arg, plugin } => {
                    let f = Field {
                        def,
                        arg: arg.as_deref().map(Into::into),
                        plugin: plugin.clone(),
                    };
                    let kind = match Fast::of(&f) {
                        Some(fast) => Kind::Fast(fast),
                        None => Kind::Field(f),
                    };
                    let pre = Text::new(&std::mem::take(&mut text));
                    parts.push(LinePart { pre, kind });
                }
            }
        }
        text.push(b'\n');
        parts.push(LinePart {
            pre: Text::new(&text),
            kind: Kind::End,
        });
        let kinds: Vec<Option<Fast>> = parts
            .iter()
            .map(|p| match p.kind {
                Kind::Fast(f) => Some(f),
                _ => None,
            })
            .collect();
        let default_shape = kinds
            == DEFAULT_SHAPE
                .map(Some)
                .iter()
                .copied()
                .chain([None])
                .collect::<Vec<_>>();
        LineWriter {
            last_shown_ts: None,
            parts,
            print_all: format.print_all,
            time: TimeFormatter::default(),
            time_mode: TimeMode::default(),
            scratch: Scratch::default(),
            ts_prefix: TsPrefix::default(),
            type_names: TypeNames::default(),
            arg_names: ArgNames::default(),
            default_shape,
        }
    }

    /// Append the line for `ctx` (with a trailing newline) to `out`. Returns false, leaving
    /// `out` as it was, when the format has no `*` and a field has no value: sysdig skips
    /// such events.
    pub fn write(&mut self, ctx: &EventCtx<'_>, out: &mut Vec<u8>) -> bool {
        let LineWriter {
            last_shown_ts,
            parts,
            print_all,
            time,
            time_mode,
            scratch,
            ts_prefix,
            type_names,
            arg_names,
            default_shape,
        } = self;
        let mut st = FastState {
            ts_prefix,
            time,
            time_mode: *time_mode,
            last_shown_ts: *last_shown_ts,
            scratch,
            type_names,
            arg_names,
        };
        if *default_shape {
            if let Some(parts) = parts.first_chunk::<9>() {
                let shown = write_default(parts, *print_all, ctx, &mut st, out);
                if shown {
                    *last_shown_ts = Some(ctx.event.ts());
                }
                return shown;
            }
        }
        let start = out.len();
        let mut stage = Stage::new();
        let mut n = 0;
        for part in parts.iter() {
            n = stage.room(n, out);
            n = stage.text(n, &part.pre, out);
            let shown = match &part.kind {
                Kind::End => true,
                Kind::Fast(f) => match f.write(ctx, &mut st, &mut stage, n, out) {
                    Some(m) => {
                        n = m;
                        true
                    }
                    None => false,
                },
                Kind::Field(f) => {
                    stage.flush(n, out);
                    n = 0;
                    match fields::extract(ctx, f, st.scratch) {
                        Some(v) => {
                            let mode = match st.time_mode {
                                // Delta from the previous line shown rather than the previous
                                // event.
                                TimeMode::DeltaShown => {
                                    TimeMode::DeltaFrom(st.last_shown_ts.unwrap_or(ctx.event.ts()))
                                }
                                m => m,
                            };
                            render(st.time, mode, ctx, f, v, out);
                            true
                        }
                        None => false,
                    }
                }
            };
            if !shown {
                if *print_all {
                    n = stage.room(n, out);
                    n = stage.bytes(n, b"<NA>", out);
                } else {
                    out.truncate(start);
                    return false;
                }
            }
        }
        stage.flush(n, out);
        *last_shown_ts = Some(ctx.event.ts());
        true
    }
}

/// The fields of the default format, in order.
const DEFAULT_SHAPE: [Fast; 8] = [
    Fast::Num,
    Fast::Outputtime,
    Fast::Cpu,
    Fast::ProcName,
    Fast::Tid,
    Fast::Dir,
    Fast::Type,
    Fast::Args,
];

/// [`LineWriter::write`] for the default format's parts: the same steps with each field
/// known at compile time.
#[inline(never)]
fn write_default(
    parts: &[LinePart; 9],
    print_all: bool,
    ctx: &EventCtx<'_>,
    st: &mut FastState<'_>,
    out: &mut Vec<u8>,
) -> bool {
    let start = out.len();
    let mut stage = Stage::new();
    let mut n = 0;
    let [p0, p1, p2, p3, p4, p5, p6, p7, end] = parts;
    // One step per field, each with its kind spelled out so that it compiles to straight
    // code.
    macro_rules! step {
        ($part:expr, $f:expr) => {
            n = stage.room(n, out);
            n = stage.text(n, &$part.pre, out);
            n = match $f.write(ctx, st, &mut stage, n, out) {
                Some(m) => m,
                None if print_all => {
                    let m = stage.room(n, out);
                    stage.bytes(m, b"<NA>", out)
                }
                None => {
                    out.truncate(start);
                    return false;
                }
            };
        };
    }
    step!(p0, DEFAULT_SHAPE[0]);
    step!(p1, DEFAULT_SHAPE[1]);
    step!(p2, DEFAULT_SHAPE[2]);
    step!(p3, DEFAULT_SHAPE[3]);
    step!(p4, DEFAULT_SHAPE[4]);
    step!(p5, DEFAULT_SHAPE[5]);
    step!(p6, DEFAULT_SHAPE[6]);
    step!(p7, DEFAULT_SHAPE[7]);
    n = stage.room(n, out);
    n = stage.text(n, &end.pre, out);
    stage.flush(n, out);
    true
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
        FieldId::Evt(E::Outputtime) => write_outputtime(time, mode, ctx, out),
        _ => write_value(f.ty(), v, out),
    }
}

/// `evt.outputtime` in `mode`.
#[inline]
fn write_outputtime(
    time: &mut TimeFormatter,
    mode: TimeMode,
    ctx: &EventCtx<'_>,
    out: &mut Vec<u8>,
) {
    let ts = ctx.event.ts();
    match mode {
        TimeMode::Human => write_time(time, ts, out, true, false),
        TimeMode::Absolute => write_secs(ts, out),
        TimeMode::Relative => write_secs(ts.saturating_sub(ctx.first_ts), out),
        TimeMode::Delta | TimeMode::DeltaShown => write_secs(ts.saturating_sub(ctx.prev_ts), out),
        TimeMode::DeltaFrom(prev) => write_secs(ts.saturating_sub(prev), out),
    }
}

/// Bytes written often (separators, names), kept zero-padded to 16 bytes when they fit:
/// appending them is then one fixed-size copy.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    /// Up to 16 bytes, padded, and the length.
    Short([u8; 16], usize),
    /// Longer text.
    Long(Box<[u8]>),
}

impl Text {
    pub(crate) fn new(bytes: &[u8]) -> Text {
        let mut a = [0u8; 16];
        match a.get_mut(..bytes.len()) {
            Some(d) => {
                d.copy_from_slice(bytes);
                Text::Short(a, bytes.len())
            }
            None => Text::Long(bytes.into()),
        }
    }
}

/// Append `bytes`. Short pieces (most fields and separators) go as two overlapping
/// fixed-size stores straight into `out`: no `memcpy` call, no per-byte loop, and nothing
/// assembled on the stack first (reading back small stores as one wide load stalls).
#[inline]
pub(crate) fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    let at = out.len();
    if let (Some(lo), Some(hi)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        if n > 16 {
            out.extend_from_slice(bytes);
            return;
        }
        out.extend_from_slice(lo);
        out.truncate(at + n - 8);
        out.extend_from_slice(hi);
    } else if let (Some(lo), Some(hi)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        out.extend_from_slice(lo);
        out.truncate(at + n - 4);
        out.extend_from_slice(hi);
    } else {
        for &c in bytes {
            out.push(c);
        }
    }
}

/// The 8 decimal digits of `x < 10^8` as values 0-9 (not ASCII), first digit in the lowest
/// byte.
///
/// Computed in a register (SIMD within a register: 4-digit halves, then 2-digit quarters,
/// then digits): writing digits one by one into a buffer and copying it out stalls on the
/// store-to-load forwarding.
#[inline]
pub(crate) fn digits8(x: u64) -> u64 {
    let v = (x / 10_000) | ((x % 10_000) << 32);
    let q = ((v * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let v = q | ((v - q * 100) << 16);
    let t = ((v * 103) >> 10) & 0x000F_000F_000F_000F;
    t | ((v - t * 10) << 8)
}

/// The 8 decimal digits of `x < 10^8` as ASCII, first digit in the lowest byte.
#[inline]
fn ascii8(x: u64) -> u64 {
    digits8(x) | 0x3030_3030_3030_3030
}

/// Append the last `keep` digits (1..=8) of an [`ascii8`] group.
#[inline]
fn push_group(out: &mut Vec<u8>, digits: u64, keep: usize) {
    let keep = keep.clamp(1, 8);
    let at = out.len();
    out.extend_from_slice(&(digits >> (8 * (8 - keep))).to_le_bytes());
    out.truncate(at + keep);
}

/// Append `0 < x < 10^8` in decimal: its leading zeros are the zero bytes at the bottom of
/// [`digits8`].
#[inline]
fn push_digits(out: &mut Vec<u8>, x: u64) {
    let d = digits8(x);
    let zeros = (d.trailing_zeros() / 8) as usize;
    let at = out.len();
    out.extend_from_slice(&((d | 0x3030_3030_3030_3030) >> (8 * zeros)).to_le_bytes());
    out.truncate(at + 8 - zeros);
}

/// Append `n` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut Vec<u8>, n: u64) {
    const E8: u64 = 100_000_000;
    if n < 10 {
        out.push(b'0' + n as u8);
    } else if n < E8 {
        push_digits(out, n);
    } else {
        push_large(out, n);
    }
}

/// [`push_u64`] of `n >= 10^8` (rare: kept out of line so that the common path inlines).
#[inline(never)]
fn push_large(out: &mut Vec<u8>, n: u64) {
    const E8: u64 = 100_000_000;
    const E16: u64 = E8 * E8;
    if n < E16 {
        push_digits(out, n / E8);
    } else {
        push_digits(out, n / E16);
        push_group(out, ascii8(n / E8 % E8), 8);
    }
    push_group(out, ascii8(n % E8), 8);
}

/// The 8 hexadecimal digits (uppercase) of `x` as ASCII, first digit in the lowest byte.
#[inline]
pub(crate) fn hex8(x: u32) -> u64 {
    const LO: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    let v = u64::from(x);
    // Spread the nibbles one per byte, lowest nibble in the lowest byte, then reverse.
    let v = ((v & 0xFFFF_0000) << 16) | (v & 0xFFFF);
    let v = ((v & 0x0000_FF00_0000_FF00) << 8) | (v & 0x0000_00FF_0000_00FF);
    let v = (((v & 0x00F0_00F0_00F0_00F0) << 4) | (v & 0x000F_000F_000F_000F)) & LO;
    let v = v.swap_bytes();
    // Bytes from 10 up move from after '9' to 'A'.
    let letters = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    v + 0x3030_3030_3030_3030 + letters * 7
}

/// Append `n` in uppercase hexadecimal, as `{n:X}`.
#[inline]
pub(crate) fn push_hex(out: &mut Vec<u8>, n: u64) {
    let len = ((67 - (n | 1).leading_zeros()) / 4) as usize;
    let high = (n >> 32) as u32;
    if high == 0 {
        push_group(out, hex8(n as u32), len);
    } else {
        push_group(out, hex8(high), len - 8);
        push_group(out, hex8(n as u32), 8);
    }
}

/// Append `n` in decimal, with a leading `-` when negative.
#[inline]
pub(crate) fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Number of decimal digits of `n` (1 for 0): log10 estimated from the bit length, then
/// corrected with one comparison.
#[inline]
fn decimal_len(n: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut p = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            p[i] = p[i - 1] * 10;
            i += 1;
        }
        p
    };
    let bits = (64 - (n | 1).leading_zeros()) as usize;
    let t = (bits * 1233) >> 12;
    t + 1 - usize::from(POW10.get(t).is_some_and(|&p| (n | 1) < p))
}

/// Generic text form of a value.
pub(crate) fn write_value(ty: FieldType, v: Value<'_>, out: &mut Vec<u8>) {
    match v {
        // Raw buffers show printable ASCII, dots for the rest.
        Value::Bytes(s) if ty == FieldType::Bytes => {
            out.extend(
                s.iter()
                    .map(|&c| if (0x20..0x7f).contains(&c) { c } else { b'.' }),
            )
        }
        Value::Bytes(s) => put(out, s),
        Value::I64(n) => push_i64(out, n),
        Value::U64(n) => push_u64(out, n),
        Value::Bool(x) => out.extend_from_slice(if x { b"true" } else { b"false" }),
        Value::Double(d) => out.extend_from_slice(format!("{d}").as_bytes()),
        Value::Ip(ip) => out.extend_from_slice(ip.to_string().as_bytes()),
        Value::Net(ip, bits) => out.extend_from_slice(format!("{ip}/{bits}").as_bytes()),
    }
}

fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    for _ in decimal_len(n)..width {
        out.push(b'0');
    }
    push_u64(out, n);
}

/// Local time of `ts` as `HH:MM:SS` (with `YYYY-MM-DD ` before when `date`), then
/// `.nnnnnnnnn` when `nanos`.
#[inline]
pub(crate) fn write_time(
    t: &mut TimeFormatter,
    ts: u64,
    out: &mut Vec<u8>,
    nanos: bool,
    date: bool,
) {
    const E8: u64 = 100_000_000;
    let clock = t.clock(ts, date);
    if let (true, Some(c)) = (nanos, clock.first_chunk::<8>()) {
        if clock.len() == 8 {
            // `HH:MM:SS.nnnnnnnnn` as three fixed-size pieces.
            let ns = ts % 1_000_000_000;
            out.extend_from_slice(c);
            out.extend_from_slice(&[b'.', b'0' + (ns / E8) as u8]);
            out.extend_from_slice(&ascii8(ns % E8).to_le_bytes());
            return;
        }
    }
    put(out, clock);
    if nanos {
        push_nanos(out, ts % 1_000_000_000);
    }
}

/// `.` and the 9 digits of `ns < 10^9`.
#[inline]
fn push_nanos(out: &mut Vec<u8>, ns: u64) {
    const E8: u64 = 100_000_000;
    out.push(b'.');
    out.push(b'0' + (ns / E8 % 10) as u8);
    push_group(out, ascii8(ns % E8), 8);
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
    push_u64(out, ns / 1_000_000_000);
    push_nanos(out, ns % 1_000_000_000);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_format_takes_the_straight_path() {
        let f = Format::parse(crate::output::DEFAULT_FORMAT).unwrap();
        assert!(LineWriter::new(&f).default_shape);
        let f = Format::parse("%evt.num %evt.outputtime %evt.cpu %proc.name").unwrap();
        assert!(!LineWriter::new(&f).default_shape);
    }

    #[test]
    fn cached_timestamp_prefix_writes_the_same_digits() {
        let mut p = TsPrefix::default();
        let base = 1_481_211_698_271_980_141u64;
        for ts in [
            0,
            5,
            99_999_999,
            100_000_000,
            base,
            base + 1,
            base + 100_000_000,
            base,
            10_000_000_000_000_000_000,
            u64::MAX,
            base - 7,
        ] {
            let mut out = Vec::new();
            p.push(&mut out, ts);
            assert_eq!(out, ts.to_string().into_bytes());
        }
    }

    #[test]
    fn hex_as_format_writes_it() {
        let mut cases = vec![0u64, 1, 9, 10, 15, 16, 255, 256, u64::MAX, u64::MAX - 1];
        for sh in 0..64 {
            cases.extend([1u64 << sh, (1u64 << sh) - 1, (1u64 << sh) + 1]);
        }
        cases.extend(0..70_000);
        cases.extend((0..100_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        for n in cases {
            let mut out = b"x".to_vec();
            push_hex(&mut out, n);
            assert_eq!(out, format!("x{n:X}").into_bytes());
        }
    }

    #[test]
    fn numbers_as_itoa_writes_them() {
        let mut cases = vec![
            0u64,
            1,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            u64::MAX,
            u64::MAX - 1,
        ];
        let mut p = 1u64;
        for _ in 0..19 {
            p *= 10;
            cases.extend([p - 1, p, p + 1, p / 3 * 2]);
        }
        cases.extend(0..10_000);
        cases.extend((0..100_000).map(|i| i * 9_999 + 7));
        for n in cases {
            let mut out = b"x".to_vec();
            push_u64(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
            for i in [n as i64, (n as i64).wrapping_neg(), i64::MIN] {
                let mut out = Vec::new();
                push_i64(&mut out, i);
                assert_eq!(out, i.to_string().into_bytes());
            }
        }
    }
}
