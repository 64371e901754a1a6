//! Walking a capture: section headers, metadata blocks, events.

use std::ops::ControlFlow;

use crate::block::{self, id, Block, BlockKind, BYTE_ORDER_MAGIC};
use crate::cursor::{le, Cursor};
use crate::error::{Error, ErrorKind, FileOffset, Result};
use crate::event::Event;

/// The fixed part of a section header block.
pub const SHB_MIN_LEN: usize = 28;

/// A section header block (one per concatenated capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionHeader {
    /// Offset of the block.
    pub offset: FileOffset,
    /// Format major version (1).
    pub major: u16,
    /// Format minor version (0, 1 or 2 in practice).
    pub minor: u16,
    /// Section length, -1 when unknown (always, in practice).
    pub section_length: i64,
    /// Bytes of pcapng options after the fixed fields (skipped).
    pub options_len: usize,
}

impl SectionHeader {
    /// Parse and validate a section header block.
    pub fn parse(block: &Block<'_>) -> Result<SectionHeader> {
        let mut cur = block.body_cursor();
        let magic = cur.read_u32().map_err(|e| e.in_block(id::SHB))?;
        if magic != BYTE_ORDER_MAGIC {
            let kind = if magic == BYTE_ORDER_MAGIC.swap_bytes() {
                ErrorKind::BigEndian
            } else {
                ErrorKind::BadMagic(magic)
            };
            return Err(Error::new(kind, block.offset().0 + 8).in_block(id::SHB));
        }
        let major = cur.read_u16().map_err(|e| e.in_block(id::SHB))?;
        let minor = cur.read_u16().map_err(|e| e.in_block(id::SHB))?;
        let section_length = cur.read_i64().map_err(|e| e.in_block(id::SHB))?;
        if major != 1 {
            return Err(Error::new(
                ErrorKind::UnsupportedVersion { major, minor },
                block.offset().0 + 12,
            )
            .in_block(id::SHB));
        }
        Ok(SectionHeader {
            offset: block.offset(),
            major,
            minor,
            section_length,
            options_len: block.raw().len().saturating_sub(SHB_MIN_LEN),
        })
    }
}

/// One item of a capture, in file order.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// A section header: a new (possibly concatenated) capture starts; state resets.
    Section(SectionHeader),
    /// Machine info, process, fd, interface or user list (trailer already checked).
    Meta(Block<'a>),
    /// An event.
    Event(Event<'a>),
    /// A block id this reader does not know: skipped; consumers should warn.
    Unknown(Block<'a>),
}

/// Iterator over the records of a capture. Stops after the first error, so a damaged file
/// yields every complete record and then one error.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    cur: Cursor<'a>,
    started: bool,
    done: bool,
    tail_error: Option<Error>,
}

impl<'a> Records<'a> {
    /// Records of `data`, the decoded bytes of a capture.
    pub fn new(data: &'a [u8], tail_error: Option<Error>) -> Records<'a> {
        Records {
            cur: Cursor::new(data, 0),
            started: false,
            done: false,
            tail_error,
        }
    }

    /// Offset of the next block to read (for progress reporting).
    pub fn position(&self) -> u64 {
        self.cur.offset()
    }

    fn fail(&mut self, err: Error) -> Option<Result<Record<'a>>> {
        self.done = true;
        // A gzip stream cut short shows up as a truncated block: report the real cause.
        let err = match self.tail_error.take() {
            Some(gz) if err.kind() == &ErrorKind::Truncated => gz,
            _ => err,
        };
        Some(Err(err))
    }

    /// The first block does not frame. That means "not a scap capture", unless the bytes
    /// start like a section header: then the cut or the byte order is the better answer.
    fn first_block_error(&self, e: Error) -> Error {
        let data = self.cur.rest();
        let shb = id::SHB.to_le_bytes();
        let n = data.len().min(shb.len());
        if data.get(..n) != shb.get(..n) {
            return Error::new(ErrorKind::NotScap, 0);
        }
        // A big-endian writer's length reads as nonsense here; its magic tells why.
        if data.get(8..12) == Some(&BYTE_ORDER_MAGIC.to_be_bytes()[..]) {
            return Error::new(ErrorKind::BigEndian, 8).in_block(id::SHB);
        }
        // Under four bytes only a cut gzip stream makes a partial id meaningful.
        if n < shb.len() && self.tail_error.is_none() {
            return Error::new(ErrorKind::NotScap, 0);
        }
        e
    }

    /// The next record if it is an ordinary event block that frames and validates (nearly
    /// every record), consumed; `None` otherwise, with nothing consumed, so that
    /// [`Iterator::next`] reads or reports it. A cheaper step for loops that look at most
    /// events only briefly.
    #[inline]
    pub fn next_plain_event(&mut self) -> Option<Event<'a>> {
        match self.try_for_each_plain_event(ControlFlow::Break) {
            ControlFlow::Break(ev) => Some(ev),
            ControlFlow::Continue(()) => None,
        }
    }

    /// Hands `f`, one by one, the events [`Records::next_plain_event`] would return, until
    /// `f` breaks (its value comes back; the event it was given is consumed) or the next
    /// record is not an ordinary event block that validates (`Continue`: nothing of that
    /// record consumed, so [`Iterator::next`] reads or reports it). Every event is validated
    /// as [`Iterator::next`] would; the loop just stays in one place, the cheapest way
    /// through the long runs of events a consumer mostly only glances at.
    #[inline]
    pub fn try_for_each_plain_event<B>(
        &mut self,
        mut f: impl FnMut(Event<'a>) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        if !self.started || self.done {
            return ControlFlow::Continue(());
        }
        let start = self.cur.rest();
        let mut run = PlainRun {
            rest: start,
            // Offsets follow from what is left: the end's offset minus the bytes after.
            end: self.cur.offset() + start.len() as u64,
        };
        let flow = loop {
            // One loop per block id, so a run of blocks of one id (the usual case) pays
            // for none of the decisions the id settles.
            let step = match le::u32_at(run.rest, 0) {
                id::EV => run.same_id::<false, false, B>(id::EV, &mut f),
                id::EV_V2 => run.same_id::<true, false, B>(id::EV_V2, &mut f),
                id::EVF => run.same_id::<false, true, B>(id::EVF, &mut f),
                id::EVF_V2 => run.same_id::<true, true, B>(id::EVF_V2, &mut f),
                _ => break ControlFlow::Continue(()),
            };
            match step {
                Step::OtherId => {}
                Step::Stop => break ControlFlow::Continue(()),
                Step::Break(b) => break ControlFlow::Break(b),
            }
        };
        self.cur.skip_to(run.rest);
        flow
    }

    fn next_record(&mut self) -> Result<Option<Record<'a>>> {
        if self.started {
            if let Some((ev, len)) = Event::next_in(self.cur.rest(), self.cur.offset()) {
                self.cur.skip(len)?;
                return Ok(Some(Record::Event(ev)));
            }
        }
        let Some(block) = block::next_block(&mut self.cur)? else {
            return Ok(None);
        };
        let kind = block.kind();
        if !self.started {
            self.started = true;
            if kind != BlockKind::SectionHeader {
                return Err(Error::new(ErrorKind::NotScap, 0));
            }
        }
        Ok(Some(match kind {
            BlockKind::Event { v2, flags, large } => {
                Record::Event(Event::from_block_kind(&block, v2, flags, large)?)
            }
            BlockKind::SectionHeader => Record::Section(SectionHeader::parse(&block)?),
            BlockKind::Unknown(_) => Record::Unknown(block),
            _ => {
                block.check_trailer()?;
                Record::Meta(block)
            }
        }))
    }
}

/// The bytes a run of plain event blocks has not reached yet.
struct PlainRun<'a> {
    rest: &'a [u8],
    /// Absolute offset of the end of `rest`.
    end: u64,
}

/// Why [`PlainRun::same_id`] returned.
enum Step<B> {
    /// The next block has another id.
    OtherId,
    /// The next block does not frame or validate as a plain event (or the bytes end).
    Stop,
    /// The consumer broke out.
    Break(B),
}

impl<'a> PlainRun<'a> {
    /// Hands `f` the events of the blocks of id `block_type` (of shape `V2`, `FLAGS`) that
    /// come next, consuming each one handed over.
    #[inline(always)]
    fn same_id<const V2: bool, const FLAGS: bool, B>(
        &mut self,
        block_type: u32,
        f: &mut impl FnMut(Event<'a>) -> ControlFlow<B>,
    ) -> Step<B> {
        loop {
            let Some((&[t0, t1, t2, t3, l0, l1, l2, l3], _)) = self.rest.split_first_chunk() else {
                return Step::Stop;
            };
            if u32::from_le_bytes([t0, t1, t2, t3]) != block_type {
                return Step::OtherId;
            }
            let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
            let Some((block, rest)) = self.rest.split_at_checked(len) else {
                return Step::Stop;
            };
            let offset = self.end - self.rest.len() as u64;
            let Some(ev) = Event::from_plain_block::<V2, FLAGS>(block, offset, block_type) else {
                return Step::Stop;
            };
            self.rest = rest;
            if let ControlFlow::Break(b) = f(ev) {
                return Step::Break(b);
            }
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                if !self.started {
                    // No data at all: a gzip stream that died early says why.
                    let gz = self.tail_error.take();
                    return Some(Err(gz.unwrap_or_else(|| Error::new(ErrorKind::NotScap, 0))));
                }
                self.tail_error.take().map(Err)
            }
            Err(e) => {
                let e = if self.started {
                    e
                } else {
                    self.first_block_error(e)
                };
                self.fail(e)
            }
        }
    }
}

impl std::iter::FusedIterator for Records<'_> {}

/// Iterator over the events of a capture (metadata records skipped).
#[derive(Debug, Clone)]
pub struct Events<'a> {
    records: Records<'a>,
}

impl<'a> Events<'a> {
    pub(crate) fn new(records: Records<'a>) -> Events<'a> {
        Events { records }
    }

    /// Offset of the next block to read.
    pub fn position(&self) -> u64 {
        self.records.position()
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Event<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.records.next()? {
                Ok(Record::Event(e)) => return Some(Ok(e)),
                Ok(_) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl std::iter::FusedIterator for Events<'_> {}
