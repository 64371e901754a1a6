//! Block framing (pcapng style) and the registry of block types.

use crate::cursor::{le, Cursor};
use crate::error::{Error, ErrorKind, FileOffset, Result};

/// Block type ids (`scap_savefile.h`). `_INT` ids are pre-release numbers still accepted.
pub mod id {
    /// Section header block.
    pub const SHB: u32 = 0x0A0D0D0A;
    /// Machine info.
    pub const MI: u32 = 0x201;
    /// Machine info, pre-release id.
    pub const MI_INT: u32 = 0x8002ABCD;
    /// Process list v1.
    pub const PL_V1: u32 = 0x202;
    /// Process list v1, pre-release id.
    pub const PL_V1_INT: u32 = 0x8000ABCD;
    /// Process list v2.
    pub const PL_V2: u32 = 0x207;
    /// Process list v2, pre-release id.
    pub const PL_V2_INT: u32 = 0x8013ABCD;
    /// Process list v3.
    pub const PL_V3: u32 = 0x209;
    /// Process list v3, pre-release id.
    pub const PL_V3_INT: u32 = 0x8014ABCD;
    /// Process list v4.
    pub const PL_V4: u32 = 0x210;
    /// Process list v5.
    pub const PL_V5: u32 = 0x211;
    /// Process list v6.
    pub const PL_V6: u32 = 0x212;
    /// Process list v7.
    pub const PL_V7: u32 = 0x213;
    /// Process list v8.
    pub const PL_V8: u32 = 0x214;
    /// Process list v9.
    pub const PL_V9: u32 = 0x215;
    /// Fd list.
    pub const FDL: u32 = 0x203;
    /// Fd list, pre-release id.
    pub const FDL_INT: u32 = 0x8001ABCD;
    /// Fd list v2.
    pub const FDL_V2: u32 = 0x218;
    /// Interface list.
    pub const IL: u32 = 0x205;
    /// Interface list, pre-release id.
    pub const IL_INT: u32 = 0x8011ABCD;
    /// Interface list v2.
    pub const IL_V2: u32 = 0x219;
    /// User list.
    pub const UL: u32 = 0x206;
    /// User list, pre-release id.
    pub const UL_INT: u32 = 0x8012ABCD;
    /// User list v2.
    pub const UL_V2: u32 = 0x220;
    /// Event, v1 header.
    pub const EV: u32 = 0x204;
    /// Event, v1 header, pre-release id.
    pub const EV_INT: u32 = 0x8010ABCD;
    /// Event with flags, v1 header.
    pub const EVF: u32 = 0x208;
    /// Event, v2 header.
    pub const EV_V2: u32 = 0x216;
    /// Event with flags, v2 header.
    pub const EVF_V2: u32 = 0x217;
    /// Large event, v2 header.
    pub const EV_V2_LARGE: u32 = 0x221;
    /// Large event with flags, v2 header.
    pub const EVF_V2_LARGE: u32 = 0x222;
}

/// Byte-order magic in the section header.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B3C4D;
/// Largest body (`total - 8`) of a non-LARGE event block that libscap accepts.
pub const MAX_NON_LARGE_BLOCK: usize = 65_536;
/// Framing overhead: type, length, trailer.
pub const BLOCK_OVERHEAD: usize = 12;

/// What a block id means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// Section header.
    SectionHeader,
    /// Machine info.
    MachineInfo,
    /// Process list of the given version (1–9).
    ProcList(u8),
    /// Fd list of the given version (1–2).
    FdList(u8),
    /// Interface list of the given version (1–2).
    IfList(u8),
    /// User list of the given version (1–2).
    UserList(u8),
    /// An event block.
    Event {
        /// v2 (26-byte header with nparams) rather than v1 (22 bytes).
        v2: bool,
        /// Carries a u32 of dump flags after the cpu id.
        flags: bool,
        /// LARGE id: may exceed 64 KiB.
        large: bool,
    },
    /// An id this reader does not know.
    Unknown(u32),
}

impl BlockKind {
    /// Classify a block type id.
    #[inline]
    pub fn from_type(ty: u32) -> BlockKind {
        use id::*;
        let ev = |v2, flags, large| BlockKind::Event { v2, flags, large };
        match ty {
            SHB => BlockKind::SectionHeader,
            MI | MI_INT => BlockKind::MachineInfo,
            PL_V1 | PL_V1_INT => BlockKind::ProcList(1),
            PL_V2 | PL_V2_INT => BlockKind::ProcList(2),
            PL_V3 | PL_V3_INT => BlockKind::ProcList(3),
            PL_V4 => BlockKind::ProcList(4),
            PL_V5 => BlockKind::ProcList(5),
            PL_V6 => BlockKind::ProcList(6),
            PL_V7 => BlockKind::ProcList(7),
            PL_V8 => BlockKind::ProcList(8),
            PL_V9 => BlockKind::ProcList(9),
            FDL | FDL_INT => BlockKind::FdList(1),
            FDL_V2 => BlockKind::FdList(2),
            IL | IL_INT => BlockKind::IfList(1),
            IL_V2 => BlockKind::IfList(2),
            UL | UL_INT => BlockKind::UserList(1),
            UL_V2 => BlockKind::UserList(2),
            EV | EV_INT => ev(false, false, false),
            EVF => ev(false, true, false),
            EV_V2 => ev(true, false, false),
            EVF_V2 => ev(true, true, false),
            EV_V2_LARGE => ev(true, false, true),
            EVF_V2_LARGE => ev(true, true, true),
            other => BlockKind::Unknown(other),
        }
    }

    /// Short name as used by `scapkit info` (`PL_V9`, `EV_V2_LARGE`, ...).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            BlockKind::SectionHeader => "SHB",
            BlockKind::MachineInfo => "MI",
            BlockKind::ProcList(v) => match v {
                1 => "PL_V1",
                2 => "PL_V2",
                3 => "PL_V3",
                4 => "PL_V4",
                5 => "PL_V5",
                6 => "PL_V6",
                7 => "PL_V7",
                8 => "PL_V8",
                _ => "PL_V9",
            },
            BlockKind::FdList(1) => "FDL",
            BlockKind::FdList(_) => "FDL_V2",
            BlockKind::IfList(1) => "IL",
            BlockKind::IfList(_) => "IL_V2",
            BlockKind::UserList(1) => "UL",
            BlockKind::UserList(_) => "UL_V2",
            BlockKind::Event { v2, flags, large } => match (v2, flags, large) {
                (false, false, _) => "EV",
                (false, true, _) => "EVF",
                (true, false, false) => "EV_V2",
                (true, true, false) => "EVF_V2",
                (true, false, true) => "EV_V2_LARGE",
                (true, true, true) => "EVF_V2_LARGE",
            },
            BlockKind::Unknown(_) => return None,
        })
    }

    /// True for the seven event block ids.
    pub fn is_event(self) -> bool {
        matches!(self, BlockKind::Event { .. })
    }
}

/// One framed block, borrowed from the capture.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    offset: FileOffset,
    ty: u32,
    raw: &'a [u8],
}

impl<'a> Block<'a> {
    /// Absolute offset of the block's first byte.
    pub fn offset(&self) -> FileOffset {
        self.offset
    }

    /// The block type id.
    pub fn block_type(&self) -> u32 {
        self.ty
    }

    /// The block type, classified.
    pub fn kind(&self) -> BlockKind {
        BlockKind::from_type(self.ty)
    }

    /// The whole block: header, body, padding, trailer.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Body: everything between the 8-byte header and the 4-byte trailer (padding included).
    pub fn body(&self) -> &'a [u8] {
        let end = self.raw.len().saturating_sub(4);
        self.raw.get(8..end).unwrap_or_default()
    }

    /// The length stored in the trailer.
    pub fn trailer(&self) -> u32 {
        le::u32_at(self.raw, self.raw.len().saturating_sub(4))
    }

    /// A cursor over the body, with absolute offsets.
    pub(crate) fn body_cursor(&self) -> Cursor<'a> {
        Cursor::new(self.body(), self.offset.0 + 8)
    }

    /// Error unless the trailer repeats the header length (checked for metadata blocks,
    /// as libscap does).
    pub fn check_trailer(&self) -> Result<()> {
        let header = le::u32_at(self.raw, 4);
        let trailer = self.trailer();
        if header != trailer {
            return Err(Error::new(
                ErrorKind::TrailerMismatch { header, trailer },
                self.offset.0 + header as u64 - 4,
            )
            .in_block(self.ty));
        }
        Ok(())
    }
}

/// Read the next framed block from `cur`.
///
/// Returns `Ok(None)` at a clean end of data. A length that is too small, or runs past the
/// end, is an error naming the offset; the cursor is left where it was.
#[inline]
pub(crate) fn next_block<'a>(cur: &mut Cursor<'a>) -> Result<Option<Block<'a>>> {
    if cur.is_empty() {
        return Ok(None);
    }
    let offset = cur.offset();
    let mut peek = *cur;
    let ty = peek.read_u32().map_err(|e| e.in_block(0))?;
    let total = peek.read_u32().map_err(|e| e.in_block(ty))?;
    let len = usize::try_from(total).unwrap_or(usize::MAX);
    if len < BLOCK_OVERHEAD {
        return Err(Error::new(ErrorKind::BadBlockLength(total), offset + 4).in_block(ty));
    }
    if len > cur.remaining() {
        return Err(Error::eof(offset, len - cur.remaining()).in_block(ty));
    }
    let raw = cur.read_bytes(len)?;
    Ok(Some(Block {
        offset: FileOffset(offset),
        ty,
        raw,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ty: u32, body: &[u8]) -> Vec<u8> {
        let total = (12 + body.len()).div_ceil(4) * 4;
        let mut v = Vec::new();
        v.extend_from_slice(&ty.to_le_bytes());
        v.extend_from_slice(&(total as u32).to_le_bytes());
        v.extend_from_slice(body);
        v.resize(total - 4, 0);
        v.extend_from_slice(&(total as u32).to_le_bytes());
        v
    }

    #[test]
    fn frames_and_trailers() {
        let mut data = block(id::MI, &[1, 2, 3]);
        data.extend(block(0x999, &[]));
        let mut c = Cursor::new(&data, 0);
        let b = next_block(&mut c).unwrap().unwrap();
        assert_eq!(b.kind(), BlockKind::MachineInfo);
        assert_eq!(b.body(), &[1, 2, 3, 0]);
        b.check_trailer().unwrap();
        let b = next_block(&mut c).unwrap().unwrap();
        assert_eq!(b.kind(), BlockKind::Unknown(0x999));
        assert_eq!(b.offset().0, 16);
        assert!(next_block(&mut c).unwrap().is_none());
    }

    #[test]
    fn bad_lengths() {
        let mut data = block(id::MI, &[0; 8]);
        data.truncate(data.len() - 1);
        let mut c = Cursor::new(&data, 0);
        let e = next_block(&mut c).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        assert_eq!(e.block_type(), Some(id::MI));
        let data = [1u8, 2, 0, 0, 4, 0, 0, 0];
        let e = next_block(&mut Cursor::new(&data, 0)).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::BadBlockLength(4));
    }
}
