//! Events: borrowed views over the event record inside an event block.

use crate::block::{Block, BlockKind, MAX_NON_LARGE_BLOCK};
use crate::cursor::le;
use crate::error::{Error, FileOffset, Result};
use crate::table::{self, Direction, EventInfo, MAX_PARAMS};

/// Size of the v2 event header (`ts, tid, len, type, nparams`).
pub const HEADER_LEN: usize = 26;
/// Size of the v1 event header (no `nparams`).
pub const HEADER_V1_LEN: usize = 22;

/// One event, borrowed from the capture.
///
/// v2 events are the on-disk bytes as they are; v1 events (22-byte header) carry the inferred
/// parameter count, so both shapes answer the same questions. Construction validates the
/// length array against the event length, so parameter access cannot fail afterwards.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    /// Event bytes from the header to `len` (for v1: `len` as stored, minus fix-ups).
    raw: &'a [u8],
    offset: FileOffset,
    nparams: u32,
    dump_flags: u32,
    ty: u16,
    cpu: u16,
    /// Offset of the length array in `raw` (22 or 26).
    lens_at: u8,
    /// 2 or 4.
    width: u8,
    block_type: u32,
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("offset", &self.offset)
            .field("ts", &self.ts())
            .field("tid", &self.tid())
            .field("type", &self.ty)
            .field("cpu", &self.cpu)
            .field("nparams", &self.nparams)
            .field("len", &self.raw.len())
            .finish()
    }
}

/// Where an event's bytes came from, for errors and `Event::offset`.
#[derive(Clone, Copy)]
struct Place {
    offset: FileOffset,
    /// Absolute offset of the event header.
    start: u64,
    block_type: u32,
}

/// Dump flag: the event updates state but must never be shown (`SCAP_DF_STATE_ONLY`).
pub const DF_STATE_ONLY: u32 = 1;

impl<'a> Event<'a> {
    /// Decode the event inside an event block.
    pub fn from_block(block: &Block<'a>) -> Result<Event<'a>> {
        let BlockKind::Event { v2, flags, large } = block.kind() else {
            return Err(Error::corrupt(
                "event block: not an event block id",
                block.offset().0,
            ));
        };
        Event::from_block_kind(block, v2, flags, large)
    }

    /// [`Event::from_block`] for a block already classified (the reader knows its kind).
    #[inline]
    pub(crate) fn from_block_kind(
        block: &Block<'a>,
        v2: bool,
        flags: bool,
        large: bool,
    ) -> Result<Event<'a>> {
        Event::decode(block, v2, flags, large).map_err(|e| e.in_block(block.block_type()))
    }

    #[inline]
    fn decode(block: &Block<'a>, v2: bool, flags: bool, large: bool) -> Result<Event<'a>> {
        let mut cur = block.body_cursor();
        if !large && cur.remaining() + 4 > MAX_NON_LARGE_BLOCK {
            return Err(Error::corrupt(
                "event block: longer than 64 KiB without a LARGE block id",
                block.offset().0,
            ));
        }
        let cpu = cur.read_u16()?;
        let dump_flags = if flags { cur.read_u32()? } else { 0 };
        let start = cur.offset();
        let place = Place {
            offset: block.offset(),
            start,
            block_type: block.block_type(),
        };
        if v2 {
            Event::from_parts::<true>(cur.rest(), cpu, dump_flags, place)
        } else {
            Event::from_parts::<false>(cur.rest(), cpu, dump_flags, place)
        }
    }

    /// The event block at the start of `data` (at absolute offset `offset`) and its length,
    /// without building a [`Block`]: the reader's path for the common case (a plain or
    /// flagged v1/v2 event block that frames and validates). `None` for anything else, which
    /// the general path then reads or reports exactly.
    #[inline]
    pub(crate) fn next_in(data: &'a [u8], offset: u64) -> Option<(Event<'a>, usize)> {
        use crate::block::id;
        let (&[t0, t1, t2, t3, l0, l1, l2, l3], _) = data.split_first_chunk()?;
        let block_type = u32::from_le_bytes([t0, t1, t2, t3]);
        let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
        let block = data.get(..len)?;
        // Each id gets its own copy of the decoder, with the decisions the id makes folded in.
        let ev = match block_type {
            id::EV_V2 => Event::from_plain_block::<true, false>(block, offset, block_type),
            id::EV => Event::from_plain_block::<false, false>(block, offset, block_type),
            id::EVF_V2 => Event::from_plain_block::<true, true>(block, offset, block_type),
            id::EVF => Event::from_plain_block::<false, true>(block, offset, block_type),
            _ => None,
        }?;
        Some((ev, len))
    }

    /// The event in `block`, the whole of one plain event block (header to trailer) whose id
    /// is `block_type`, one of the four plain ids, whose shape `V2` and `FLAGS` give. `None`
    /// unless it frames and validates. Specialised on the shape, so that a loop over blocks
    /// of one id pays for no decision the id already made.
    #[inline(always)]
    pub(crate) fn from_plain_block<const V2: bool, const FLAGS: bool>(
        block: &'a [u8],
        offset: u64,
        block_type: u32,
    ) -> Option<Event<'a>> {
        use crate::block::BLOCK_OVERHEAD;
        let at = if FLAGS { 6 } else { 2 };
        let header_len = if V2 { HEADER_LEN } else { HEADER_V1_LEN };
        // Every way this can fail gives `None`: one range check up front (room for the
        // framing, cpu, flags and event header; at most 64 KiB of body) covers them all.
        let len = block.len();
        if len < BLOCK_OVERHEAD + at + header_len || len - BLOCK_OVERHEAD + 4 > MAX_NON_LARGE_BLOCK
        {
            return None;
        }
        let body = block.get(8..len - 4)?;
        let (head, event) = body.split_at_checked(at)?;
        let cpu = le::u16_at(head, 0);
        let dump_flags = if FLAGS { le::u32_at(head, 2) } else { 0 };
        let place = Place {
            offset: FileOffset(offset),
            start: offset + 8 + at as u64,
            block_type,
        };
        Event::from_parts::<V2>(event, cpu, dump_flags, place).ok()
    }

    /// An event from its bytes in the v2 layout (26-byte header, length array, parameters),
    /// as plugins and in-memory producers hand them over; `bytes` may hold more than the
    /// event. Validated exactly as events read from a file.
    pub fn from_raw(bytes: &'a [u8], cpu: u16, dump_flags: u32) -> Result<Event<'a>> {
        let ty = le::u16_at(bytes, 20);
        let large = table::CURRENT.event(ty).is_some_and(|i| i.is_large());
        let block_type = match (dump_flags != 0, large) {
            (false, false) => crate::block::id::EV_V2,
            (true, false) => crate::block::id::EVF_V2,
            (false, true) => crate::block::id::EV_V2_LARGE,
            (true, true) => crate::block::id::EVF_V2_LARGE,
        };
        let place = Place {
            offset: FileOffset(0),
            start: 0,
            block_type,
        };
        Event::from_parts::<true>(bytes, cpu, dump_flags, place).map_err(|e| e.in_block(block_type))
    }

    /// The event at the start of `body` (`V2`: 26-byte header; else 22), validated.
    #[inline(always)]
    fn from_parts<const V2: bool>(
        body: &'a [u8],
        cpu: u16,
        dump_flags: u32,
        place: Place,
    ) -> Result<Event<'a>> {
        let start = place.start;
        let header_len = if V2 { HEADER_LEN } else { HEADER_V1_LEN };
        if body.len() < header_len {
            return Err(Error::eof(start, header_len - body.len()));
        }
        let stored_len = le::u32_at(body, 16);
        let ty = le::u16_at(body, 20);
        let mut len = usize::try_from(stored_len).unwrap_or(usize::MAX);
        let v1_shape = if V2 { 0 } else { v1_shape(ty) };
        if v1_shape & V1_FIXUP != 0 {
            len = v1_fixup(len);
        }
        if len < header_len {
            return Err(Error::corrupt(
                "event: length shorter than its header",
                start + 16,
            ));
        }
        let Some(raw) = body.get(..len) else {
            return Err(Error::eof(start, len - body.len()));
        };
        let (nparams, width) = if V2 {
            let nparams = le::u32_at(body, 22);
            let width = match table::CURRENT.event(ty) {
                Some(i) => i.len_width(),
                None => guess_width(raw, nparams),
            };
            check_lengths(raw, HEADER_LEN, nparams, width)
                .map_err(|what| Error::corrupt(what, start))?;
            (nparams, width)
        } else {
            let max = usize::from(v1_shape & !V1_FIXUP);
            let n = infer_v1_nparams(raw, max).ok_or_else(|| {
                Error::corrupt("v1 event: no parameter count fits its length", start)
            })?;
            (n, 2)
        };
        Ok(Event {
            raw,
            offset: place.offset,
            nparams,
            dump_flags,
            ty,
            cpu,
            lens_at: header_len as u8,
            width: width as u8,
            block_type: place.block_type,
        })
    }

    /// Timestamp, ns since the epoch.
    #[inline]
    pub fn ts(&self) -> u64 {
        // Read from the header (always present: checked at construction), which keeps
        // `Event` small to move around.
        le::u64_at(self.raw, 0)
    }
    /// Thread id (`u64::MAX`, i.e. -1, for plugin events).
    #[inline]
    pub fn tid(&self) -> u64 {
        le::u64_at(self.raw, 8)
    }
    /// Event type code.
    #[inline]
    pub fn event_type(&self) -> u16 {
        self.ty
    }
    /// CPU (ring buffer) the event came from.
    #[inline]
    pub fn cpu(&self) -> u16 {
        self.cpu
    }
    /// Dump flags (non-zero only in EVF blocks); see [`DF_STATE_ONLY`].
    #[inline]
    pub fn dump_flags(&self) -> u32 {
        self.dump_flags
    }
    /// Number of parameters present (inferred for v1 events).
    #[inline]
    pub fn nparams(&self) -> usize {
        self.nparams as usize
    }
    /// Direction from the parity of the type code.
    #[inline]
    pub fn direction(&self) -> Direction {
        Direction::of(self.ty)
    }
    /// Offset of the event block in the (decompressed) capture.
    #[inline]
    pub fn offset(&self) -> FileOffset {
        self.offset
    }
    /// Id of the block the event came from.
    #[inline]
    pub fn block_type(&self) -> u32 {
        self.block_type
    }
    /// True if it came from a v1 (22-byte header) block.
    #[inline]
    pub fn is_v1(&self) -> bool {
        self.lens_at as usize == HEADER_V1_LEN
    }
    /// Width of one parameter length (2, or 4 for large-payload types).
    #[inline]
    pub fn len_width(&self) -> usize {
        self.width as usize
    }
    /// The event bytes as stored (header, length array, parameters).
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
    /// Schema in the current table, or `None` for codes it does not know.
    #[inline]
    pub fn info(&self) -> Option<&'static EventInfo> {
        table::CURRENT.event(self.ty)
    }

    /// Length of parameter `i` as stored.
    #[inline]
    pub fn param_len(&self, i: usize) -> Option<usize> {
        if i >= self.nparams() {
            return None;
        }
        let at = self.lens_at as usize + i * self.width as usize;
        Some(if self.width == 4 {
            le::u32_at(self.raw, at) as usize
        } else {
            le::u16_at(self.raw, at) as usize
        })
    }

    /// Payload of parameter `i`, or `None` if the event has fewer parameters.
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        self.params().nth(i)
    }

    /// Payloads of all parameters, in order.
    #[inline]
    pub fn params(&self) -> Params<'a> {
        let lens_at = self.lens_at as usize;
        let data_at = lens_at + self.nparams() * self.width as usize;
        Params {
            lens: self.raw.get(lens_at..data_at).unwrap_or_default(),
            data: self.raw.get(data_at..).unwrap_or_default(),
            width: self.width,
        }
    }

    /// Bytes after the last parameter, up to `len` (normally none).
    pub fn trailing(&self) -> &'a [u8] {
        let lens_at = self.lens_at as usize;
        let used: usize = (0..self.nparams()).filter_map(|i| self.param_len(i)).sum();
        let end = lens_at + self.nparams() * self.width as usize + used;
        self.raw.get(end..).unwrap_or_default()
    }
}

/// Iterator over parameter payloads.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    lens: &'a [u8],
    data: &'a [u8],
    width: u8,
}

impl<'a> Iterator for Params<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let w = self.width as usize;
        if self.lens.len() < w {
            return None;
        }
        let n = if w == 4 {
            le::u32_at(self.lens, 0) as usize
        } else {
            le::u16_at(self.lens, 0) as usize
        };
        self.lens = self.lens.get(w..).unwrap_or_default();
        // Validated at construction; `min` keeps a broken promise from panicking.
        let n = n.min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Some(head)
    }
}

/// Check that the length array and the parameters fit inside the event.
#[inline]
fn check_lengths(
    raw: &[u8],
    lens_at: usize,
    nparams: u32,
    width: usize,
) -> std::result::Result<(), &'static str> {
    let n = usize::try_from(nparams).map_err(|_| "event: parameter count overflows")?;
    let data_at = n
        .checked_mul(width)
        .and_then(|b| b.checked_add(lens_at))
        .ok_or("event: parameter count overflows")?;
    if data_at > raw.len() {
        return Err("event: parameter length array runs past the event");
    }
    let mut left = raw.len() - data_at;
    for i in 0..n {
        let at = lens_at + i * width;
        let l = if width == 4 {
            le::u32_at(raw, at) as usize
        } else {
            le::u16_at(raw, at) as usize
        };
        left = left
            .checked_sub(l)
            .ok_or("event: parameter runs past the event")?;
    }
    Ok(())
}

/// Codes with an entry in [`V1_SHAPES`]; the others are unknown to the table.
const V1_CODES: usize = 512;
/// In a [`V1_SHAPES`] entry: the stored length is 3 bytes too long.
const V1_FIXUP: u8 = 0x80;

/// How a v1 event of each code is read, worked out from the current table when the crate is
/// built: the most parameters it may have ([`MAX_PARAMS`] for codes the table does not know),
/// and [`V1_FIXUP`] for `NOTIFICATION_E` and `INFRASTRUCTURE_EVENT_E`. One byte, so that
/// the reader's loop looks nothing up in the table itself.
static V1_SHAPES: [u8; V1_CODES] = v1_shapes();

const fn v1_shapes() -> [u8; V1_CODES] {
    let mut shapes = [MAX_PARAMS as u8; V1_CODES];
    let mut slots: &mut [u8] = &mut shapes;
    let mut events: &[EventInfo] = table::CURRENT.events;
    let mut code = 0;
    while let [slot, more_slots @ ..] = slots {
        if let [info, more_events @ ..] = events {
            // Checked while building: a count this large could not share a byte with the flag.
            assert!(info.params.len() <= MAX_PARAMS);
            *slot = info.params.len() as u8;
            events = more_events;
        }
        if code == table::code::NOTIFICATION_E || code == table::code::INFRASTRUCTURE_EVENT_E {
            *slot |= V1_FIXUP;
        }
        slots = more_slots;
        code += 1;
    }
    shapes
}

/// Old writers stored a length 3 bytes too long for the two [`V1_FIXUP`] types (libscap's
/// fix-up). Rare: out of line, so that the common case is one branch.
#[cold]
fn v1_fixup(len: usize) -> usize {
    len.saturating_sub(3)
}

/// The [`V1_SHAPES`] entry of `ty`.
#[inline(always)]
fn v1_shape(ty: u16) -> u8 {
    V1_SHAPES
        .get(usize::from(ty))
        .copied()
        .unwrap_or(MAX_PARAMS as u8)
}

/// Width for a type the table does not know: u16 unless only u32 is consistent.
fn guess_width(raw: &[u8], nparams: u32) -> usize {
    if check_lengths(raw, HEADER_LEN, nparams, 2).is_ok() {
        2
    } else {
        4
    }
}

/// libscap's v1 inference: the largest `n <= max` whose u16 lengths sum exactly to the
/// event length (spec §11.4).
///
/// The size implied by `n` parameters grows strictly with `n` (each adds at least its 2-byte
/// length), so at most one `n` fits: walk up from 0 and stop once the size reaches `len`.
#[inline]
fn infer_v1_nparams(raw: &[u8], max: usize) -> Option<u32> {
    let len = raw.len();
    let mut size = HEADER_V1_LEN;
    if size == len {
        return Some(0);
    }
    let lens = raw.get(HEADER_V1_LEN..).unwrap_or_default();
    // A length past the event's end would leave `size` above `len` anyway: stopping where the
    // bytes end gives the same answer.
    let lens = lens.get(..max.saturating_mul(2)).unwrap_or(lens);
    let mut n = 0u32;
    for l in lens.chunks_exact(2) {
        let l = <[u8; 2]>::try_from(l).map_or(0, u16::from_le_bytes);
        size += 2 + usize::from(l);
        // At most one per two bytes of the event: cannot overflow.
        n += 1;
        if size >= len {
            return (size == len).then_some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_shapes_follow_the_table() {
        for code in 0..=u16::MAX {
            let max = table::CURRENT
                .event(code)
                .map_or(MAX_PARAMS, |i| i.params.len());
            let fixup = matches!(
                code,
                table::code::NOTIFICATION_E | table::code::INFRASTRUCTURE_EVENT_E
            );
            let shape = v1_shape(code);
            assert_eq!(usize::from(shape & !V1_FIXUP), max, "code {code}");
            assert_eq!(shape & V1_FIXUP != 0, fixup, "code {code}");
        }
    }
}
