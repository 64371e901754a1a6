//! Writing captures that sysdig and Falco can read (spec §18).
//!
//! A [`Writer`] emits the section header, then whatever blocks it is given, each framed the
//! way libscap frames them: `type, total, body, zero padding to 4, total`. Events are always
//! written in the current v2 layout, whatever block they were read from:
//!
//! * `EV_V2` (`0x216`) when the dump flags are 0, `EVF_V2` (`0x217`) otherwise;
//! * the LARGE ids (`0x221`/`0x222`) exactly when the event type has the large-payload flag,
//!   and then u32 parameter lengths;
//! * a 26-byte header whose `len` is exactly `26 + W * nparams + Σ len`.
//!
//! A v2 event that is already well formed is copied verbatim, so re-encoding a v2 capture
//! gives the same event bytes. v1 events (22-byte header) gain their `nparams` field.
//!
//! Checked by hand: sysdig 0.29.3 prints the same output for every corpus capture and its
//! re-encoding (plain or gzip); tshark 4.0 opens them too, but skips EVF blocks (it has no
//! native handler for them), so state-only events are missing there.
//!
//! ```
//! use scap::write::{Options, Writer};
//!
//! let mut w = Writer::new(Vec::new(), Options::default())?;
//! // A plugin event (type 322): plugin id 999, then the opaque payload.
//! w.write_event_parts(1_700_000_000_000_000_000, u64::MAX, 0, 0, 322, &[
//!     &999u32.to_le_bytes(),
//!     b"hello",
//! ])?;
//! let bytes = w.finish()?;
//!
//! let cap = scap::Capture::from_vec(bytes);
//! let ev = cap.events().next().unwrap()?;
//! assert_eq!(ev.event_type(), 322);
//! assert_eq!(ev.param(1), Some(&b"hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;

use std::fmt;
use std::io::{self, Write};

use flate2::write::GzEncoder;

use crate::block::{id, BlockKind, BLOCK_OVERHEAD, BYTE_ORDER_MAGIC, MAX_NON_LARGE_BLOCK};
use crate::event::{Event, HEADER_LEN};
use crate::reader::SHB_MIN_LEN;
use crate::table;

pub use error::WriteError;

/// Format version written in section headers (what libscap writes today).
pub const FORMAT_VERSION: (u16, u16) = (1, 2);

/// `SCAP_DF_LARGE`: an in-memory hint that selects the LARGE block id; libscap strips it
/// before writing, and so do we (the block id already says it).
const DF_LARGE: u32 = 4;

/// How to write a capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Compress the whole stream with gzip, as `sysdig -z` does. Readers detect gzip by its
    /// magic, so the file name does not matter.
    pub gzip: bool,
}

/// Where the bytes go: straight through, or through one gzip stream.
enum Sink<W: Write> {
    Plain(W),
    Gzip(GzEncoder<W>),
}

impl<W: Write> Sink<W> {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Gzip(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// The fixed part of an event, as the writer needs it.
#[derive(Debug, Clone, Copy)]
struct Head {
    ts: u64,
    tid: u64,
    cpu: u16,
    flags: u32,
    ty: u16,
}

/// The event record to put after the block's cpu id (and flags).
enum Body<'p, I> {
    /// An already well-formed v2 event, copied as it is.
    Verbatim(&'p [u8]),
    /// Parameters to encode behind a fresh header, with `width`-byte lengths.
    Params { width: usize, params: I },
}

/// Writes a capture: a section header, then metadata blocks, then events.
///
/// Each block is assembled in one reused buffer and handed to the inner writer with a single
/// `write_all`; wrap files in a `BufWriter` anyway, so small events are not one system call
/// each.
///
/// The writer keeps the block order readers demand (spec §5.3, §12): once a section has an
/// event, only events may follow until [`new_section`](Writer::new_section). It does not
/// demand at least one event before [`finish`](Writer::finish), but note that sysdig and
/// Falco refuse to open a capture with no events at all ("no events in file").
pub struct Writer<W: Write> {
    sink: Sink<W>,
    /// One block under construction; reused so steady-state writing does not allocate.
    buf: Vec<u8>,
    events: u64,
    /// The current section has an event, so only events (or a new section) may follow.
    in_events: bool,
}

impl<W: Write> fmt::Debug for Writer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("gzip", &matches!(self.sink, Sink::Gzip(_)))
            .field("events", &self.events)
            .field("in_events", &self.in_events)
            .finish()
    }
}

/// Scratch buffers above this size are released after use, so one huge event does not pin
/// its memory for the rest of the capture.
const KEEP_BUF: usize = 1 << 20;

impl<W: Write> Writer<W> {
    /// Start a capture on `w`: writes the section header (28 bytes, version 1.2, byte-order
    /// magic, section length -1, no options, as libscap writes it).
    pub fn new(w: W, options: Options) -> Result<Writer<W>, WriteError> {
        let sink = if options.gzip {
            Sink::Gzip(GzEncoder::new(w, flate2::Compression::default()))
        } else {
            Sink::Plain(w)
        };
        let mut writer = Writer {
            sink,
            buf: Vec::new(),
            events: 0,
            in_events: false,
        };
        writer.put_section_header()?;
        Ok(writer)
    }

    /// Start another section in the same stream (like `cat a.scap b.scap`): readers reset
    /// their thread and fd state there and expect metadata blocks again.
    pub fn new_section(&mut self) -> Result<(), WriteError> {
        self.put_section_header()?;
        self.in_events = false;
        Ok(())
    }

    /// Frame `body` as a block of type `ty`: pad it with zeros to 4 bytes and add the
    /// trailer, so the total is `round_up_4(8 + body.len() + 4)`.
    ///
    /// Meant for metadata and custom blocks, which must come before the first event of the
    /// section. Section headers are refused (use [`new_section`](Writer::new_section)), and so
    /// are event ids (use [`write_event`](Writer::write_event)), since an event body framed
    /// blindly could break the size limits readers enforce.
    pub fn write_block(&mut self, ty: u32, body: &[u8]) -> Result<(), WriteError> {
        match BlockKind::from_type(ty) {
            BlockKind::SectionHeader => {
                return Err(WriteError::BadBlock(
                    "section headers are written by Writer::new and Writer::new_section",
                ))
            }
            BlockKind::Event { .. } => {
                return Err(WriteError::BadBlock(
                    "event blocks are written by Writer::write_event",
                ))
            }
            _ => {}
        }
        if self.in_events {
            return Err(WriteError::OutOfOrder { block_type: ty });
        }
        let total = block_total(body.len()).ok_or(WriteError::BadBlock("block too long"))?;
        self.begin_block(ty, total);
        self.buf.extend_from_slice(body);
        self.end_block(total)
    }

    /// Copy one complete block (`type, total, body, padding, trailer`) verbatim, typically
    /// a metadata block read from another capture with [`Block::raw`](crate::Block::raw).
    ///
    /// The framing is checked (length field equal to the slice length, a multiple of 4, the
    /// trailer repeating it), and so is the block order. Event blocks are accepted too, and
    /// count as events; a non-LARGE event block over 64 KiB is refused. Section headers are
    /// refused: the writer writes its own.
    pub fn write_raw_block(&mut self, raw: &[u8]) -> Result<(), WriteError> {
        let word = |at: usize| {
            raw.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        let (Some(ty), Some(total)) = (word(0), word(4)) else {
            return Err(WriteError::BadBlock("shorter than a block header"));
        };
        if usize::try_from(total).ok() != Some(raw.len()) {
            return Err(WriteError::BadBlock(
                "length field differs from the block size",
            ));
        }
        if raw.len() < BLOCK_OVERHEAD || raw.len() % 4 != 0 {
            return Err(WriteError::BadBlock(
                "length is not a multiple of 4 of at least 12",
            ));
        }
        if word(raw.len() - 4) != Some(total) {
            return Err(WriteError::BadBlock(
                "trailer differs from the length field",
            ));
        }
        match BlockKind::from_type(ty) {
            BlockKind::SectionHeader => {
                return Err(WriteError::BadBlock(
                    "section headers are written by Writer::new and Writer::new_section",
                ))
            }
            BlockKind::Event { large, .. } => {
                if !large && raw.len() - 8 > MAX_NON_LARGE_BLOCK {
                    return Err(WriteError::BadBlock(
                        "non-LARGE event block longer than 64 KiB",
                    ));
                }
                self.sink.write_all(raw)?;
                self.events += 1;
                self.in_events = true;
            }
            _ => {
                if self.in_events {
                    return Err(WriteError::OutOfOrder { block_type: ty });
                }
                self.sink.write_all(raw)?;
            }
        }
        Ok(())
    }

    /// Write an event read from any capture, re-encoded as v2 (see the module docs).
    ///
    /// A v2 event whose length array already has the width its type demands and no bytes
    /// after its last parameter is copied verbatim; anything else (v1 events, events with
    /// trailing bytes) is rebuilt from its parameters.
    pub fn write_event(&mut self, ev: &Event<'_>) -> Result<(), WriteError> {
        let head = Head {
            ts: ev.ts(),
            tid: ev.tid(),
            cpu: ev.cpu(),
            flags: ev.dump_flags(),
            ty: ev.event_type(),
        };
        // For a type the table does not know, keep the width the reader settled on, so the
        // event reads back the same way.
        let (width, large) = layout(head.ty, ev.len_width());
        if !ev.is_v1() && ev.len_width() == width && ev.trailing().is_empty() {
            return self.put_event(
                head,
                large,
                Body::<std::iter::Empty<&[u8]>>::Verbatim(ev.raw()),
            );
        }
        self.put_event(
            head,
            large,
            Body::Params {
                width,
                params: ev.params(),
            },
        )
    }

    /// Write an event built from its parts: header fields and parameter payloads in order.
    ///
    /// The width of the length array and the block id follow the event type (u32 and a
    /// LARGE block for large-payload types such as 322, u16 otherwise, including types the
    /// table does not know). `flags` are dump flags (e.g. [`DF_STATE_ONLY`]); non-zero selects
    /// the EVF block ids. For a plugin event use type 322, `tid = u64::MAX`, `cpu = 0` and
    /// the parameters `[plugin_id as u32 LE, data]` (spec §14.1).
    ///
    /// [`DF_STATE_ONLY`]: crate::event::DF_STATE_ONLY
    pub fn write_event_parts(
        &mut self,
        ts: u64,
        tid: u64,
        cpu: u16,
        flags: u32,
        event_type: u16,
        params: &[&[u8]],
    ) -> Result<(), WriteError> {
        let head = Head {
            ts,
            tid,
            cpu,
            flags,
            ty: event_type,
        };
        let (width, large) = layout(event_type, 2);
        self.put_event(
            head,
            large,
            Body::Params {
                width,
                params: params.iter().copied(),
            },
        )
    }

    /// Number of events written so far (all sections).
    pub fn events_written(&self) -> u64 {
        self.events
    }

    /// The inner writer (for gzip output, the compressed side).
    pub fn get_ref(&self) -> &W {
        match &self.sink {
            Sink::Plain(w) => w,
            Sink::Gzip(g) => g.get_ref(),
        }
    }

    /// Flush what has been written so far to the inner writer.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        Ok(self.sink.flush()?)
    }

    /// Flush, end the gzip stream if there is one, and return the inner writer.
    ///
    /// A capture with no events is allowed here, but sysdig and Falco cannot open it.
    pub fn finish(self) -> Result<W, WriteError> {
        let mut w = match self.sink {
            Sink::Plain(w) => w,
            Sink::Gzip(g) => g.finish()?,
        };
        w.flush()?;
        Ok(w)
    }

    fn put_section_header(&mut self) -> Result<(), WriteError> {
        let total = SHB_MIN_LEN;
        self.begin_block(id::SHB, total);
        self.buf.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        self.buf.extend_from_slice(&FORMAT_VERSION.0.to_le_bytes());
        self.buf.extend_from_slice(&FORMAT_VERSION.1.to_le_bytes());
        // Section length: unknown, as libscap always writes it.
        self.buf.extend_from_slice(&(-1i64).to_le_bytes());
        self.end_block(total)
    }

    /// Encode and write one event block; on a size error nothing is written.
    fn put_event<'p, I>(
        &mut self,
        head: Head,
        large: bool,
        body: Body<'p, I>,
    ) -> Result<(), WriteError>
    where
        I: Iterator<Item = &'p [u8]> + Clone,
    {
        let flags = head.flags & !DF_LARGE;
        let prefix = if flags != 0 { 6 } else { 2 };
        let ty = match (flags != 0, large) {
            (false, false) => id::EV_V2,
            (true, false) => id::EVF_V2,
            (false, true) => id::EV_V2_LARGE,
            (true, true) => id::EVF_V2_LARGE,
        };
        let mut nparams = 0usize;
        let event_len = match &body {
            Body::Verbatim(raw) => raw.len() as u64,
            Body::Params { width, params } => {
                nparams = params.clone().count();
                let data: u64 = params.clone().map(|p| p.len() as u64).sum();
                HEADER_LEN as u64 + nparams as u64 * *width as u64 + data
            }
        };
        // Readers refuse non-LARGE blocks whose `total - 8` exceeds 64 KiB; LARGE blocks
        // are bounded by the u32 length field (kept a multiple of 4).
        let max_total = if large {
            u64::from(u32::MAX - 3)
        } else {
            (MAX_NON_LARGE_BLOCK + 8) as u64
        };
        let max = max_total - (BLOCK_OVERHEAD + prefix) as u64;
        let too_large = WriteError::TooLarge {
            event_type: head.ty,
            event_len,
            max,
        };
        if event_len > max {
            return Err(too_large);
        }
        // Both fit in u32 and usize now: event_len <= max < u32::MAX.
        let (Ok(len32), Ok(len), Ok(nparams)) = (
            u32::try_from(event_len),
            usize::try_from(event_len),
            u32::try_from(nparams),
        ) else {
            return Err(too_large);
        };
        let Some(total) = block_total(prefix + len) else {
            return Err(too_large);
        };
        self.buf.clear();
        // Bounded by the limit check above and by bytes the caller already holds.
        self.buf.reserve(total);
        self.begin_block(ty, total);
        self.buf.extend_from_slice(&head.cpu.to_le_bytes());
        if flags != 0 {
            self.buf.extend_from_slice(&flags.to_le_bytes());
        }
        match body {
            Body::Verbatim(raw) => self.buf.extend_from_slice(raw),
            Body::Params { width, params } => {
                self.buf.extend_from_slice(&head.ts.to_le_bytes());
                self.buf.extend_from_slice(&head.tid.to_le_bytes());
                self.buf.extend_from_slice(&len32.to_le_bytes());
                self.buf.extend_from_slice(&head.ty.to_le_bytes());
                self.buf.extend_from_slice(&nparams.to_le_bytes());
                for p in params.clone() {
                    // Cannot fail within the limits checked above; checked anyway rather
                    // than truncate a length silently.
                    let fits = if width == 4 {
                        u32::try_from(p.len())
                            .map(|n| self.buf.extend_from_slice(&n.to_le_bytes()))
                            .is_ok()
                    } else {
                        u16::try_from(p.len())
                            .map(|n| self.buf.extend_from_slice(&n.to_le_bytes()))
                            .is_ok()
                    };
                    if !fits {
                        self.buf.clear();
                        return Err(too_large);
                    }
                }
                for p in params {
                    self.buf.extend_from_slice(p);
                }
            }
        }
        self.end_block(total)?;
        self.events += 1;
        self.in_events = true;
        Ok(())
    }

    /// Start a block in the scratch buffer.
    fn begin_block(&mut self, ty: u32, total: usize) {
        self.buf.clear();
        self.buf.extend_from_slice(&ty.to_le_bytes());
        // `total` was bounded by `block_total`, which keeps it within u32.
        self.buf
            .extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
    }

    /// Pad the block under construction to `total - 4`, add the trailer, write it out.
    fn end_block(&mut self, total: usize) -> Result<(), WriteError> {
        self.buf.resize(total - 4, 0);
        self.buf
            .extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
        let res = self.sink.write_all(&self.buf);
        if self.buf.capacity() > KEEP_BUF {
            self.buf = Vec::new();
        }
        Ok(res?)
    }
}

/// Length-array width and LARGE-ness for an event type; `unknown_width` for codes the table
/// does not know (never LARGE: readers do not know them either).
fn layout(ty: u16, unknown_width: usize) -> (usize, bool) {
    match table::CURRENT.event(ty) {
        Some(info) => (info.len_width(), info.is_large()),
        None => (unknown_width, false),
    }
}

/// `round_up_4(8 + body_len + 4)`, or `None` if it does not fit the u32 length field.
fn block_total(body_len: usize) -> Option<usize> {
    let total = body_len
        .checked_add(BLOCK_OVERHEAD)?
        .checked_next_multiple_of(4)?;
    u32::try_from(total).ok()?;
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_totals() {
        assert_eq!(block_total(0), Some(12));
        assert_eq!(block_total(1), Some(16));
        assert_eq!(block_total(4), Some(16));
        assert_eq!(block_total(5), Some(20));
        assert_eq!(block_total(u32::MAX as usize), None);
    }

    #[test]
    fn write_block_pads_with_zeros_and_repeats_the_length() {
        for n in 0..=9usize {
            let mut w = Writer::new(Vec::new(), Options::default()).unwrap();
            let body: Vec<u8> = (1..=n as u8).collect();
            w.write_block(0x7777, &body).unwrap();
            let out = w.finish().unwrap();
            let block = &out[SHB_MIN_LEN..];
            let total = (12 + n).div_ceil(4) * 4;
            assert_eq!(block.len(), total);
            assert_eq!(block[..4], 0x7777u32.to_le_bytes());
            assert_eq!(block[4..8], (total as u32).to_le_bytes());
            assert_eq!(&block[8..8 + n], &body[..]);
            assert!(block[8 + n..total - 4].iter().all(|&b| b == 0));
            assert_eq!(block[total - 4..], (total as u32).to_le_bytes());
        }
    }

    #[test]
    fn layout_follows_the_table() {
        assert_eq!(layout(table::code::PLUGINEVENT_E, 2), (4, true));
        assert_eq!(layout(table::code::ASYNCEVENT_E, 2), (4, true));
        assert_eq!(layout(table::code::CONTAINER_JSON_E, 4), (2, false));
        assert_eq!(layout(60_000, 4), (4, false));
        assert_eq!(layout(60_000, 2), (2, false));
    }

    #[test]
    fn event_block_layout() {
        let mut w = Writer::new(Vec::new(), Options::default()).unwrap();
        w.write_event_parts(0x0102, 7, 3, 0, 1, &[b"ab", b"c"])
            .unwrap();
        let out = w.finish().unwrap();
        let b = &out[SHB_MIN_LEN..];
        // type, total = round_up_4(8 + 2 + (26 + 4 + 3) + 4) = 48, cpu, event, pad, trailer
        assert_eq!(b[..8], [0x16, 2, 0, 0, 48, 0, 0, 0]);
        assert_eq!(b[8..10], [3, 0]);
        let ev = &b[10..10 + 33];
        assert_eq!(ev[..8], 0x0102u64.to_le_bytes());
        assert_eq!(ev[8..16], 7u64.to_le_bytes());
        assert_eq!(ev[16..20], 33u32.to_le_bytes());
        assert_eq!(ev[20..22], 1u16.to_le_bytes());
        assert_eq!(ev[22..26], 2u32.to_le_bytes());
        assert_eq!(ev[26..], [2, 0, 1, 0, b'a', b'b', b'c']);
        assert_eq!(b[43..44], [0]);
        assert_eq!(b[44..], 48u32.to_le_bytes());
    }
}
