//! The one bounds-checked cursor every decoder goes through.
//!
//! Only this module slices raw bytes; everything else asks the cursor, which checks the length
//! first and reports the absolute offset on failure.

use crate::error::{Error, Result};

/// A read position over `&'a [u8]`, remembering the absolute offset of byte 0.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`, whose first byte is at absolute offset `base`.
    pub(crate) fn new(data: &'a [u8], base: u64) -> Cursor<'a> {
        Cursor { data, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes not yet consumed.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unconsumed bytes, without consuming them.
    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    #[inline]
    fn ensure(&self, n: usize) -> Result<()> {
        if self.remaining() < n {
            return Err(Error::eof(self.offset(), n - self.remaining()));
        }
        Ok(())
    }

    /// Consume `n` bytes.
    #[inline]
    pub(crate) fn read_bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        self.ensure(n)?;
        let out = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| Error::eof(self.offset(), n))?;
        self.pos += n;
        Ok(out)
    }

    /// Consume `N` bytes as an array.
    #[inline]
    pub(crate) fn read_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let b = self.read_bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// Skip `n` bytes.
    #[inline]
    pub(crate) fn skip(&mut self, n: usize) -> Result<()> {
        self.read_bytes(n).map(|_| ())
    }

    /// Consume up to `rest`, a tail of [`Cursor::rest`]: a loop that walked the bytes on its
    /// own catches up in one step.
    #[inline]
    pub(crate) fn skip_to(&mut self, rest: &[u8]) {
        self.pos = self.data.len().saturating_sub(rest.len()).max(self.pos);
    }

    /// Split off the next `n` bytes as their own cursor (keeping absolute offsets).
    #[inline]
    pub(crate) fn split(&mut self, n: usize) -> Result<Cursor<'a>> {
        let base = self.offset();
        let data = self.read_bytes(n)?;
        Ok(Cursor { data, pos: 0, base })
    }

    #[inline]
    pub(crate) fn read_u8(&mut self) -> Result<u8> {
        Ok(self.read_array::<1>()?[0])
    }
    #[inline]
    pub(crate) fn read_u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.read_array()?))
    }
    #[inline]
    pub(crate) fn read_u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.read_array()?))
    }
    #[inline]
    pub(crate) fn read_u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.read_array()?))
    }
    #[inline]
    pub(crate) fn read_i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.read_array()?))
    }

    /// A `u16` length followed by that many bytes (the string form of metadata blocks).
    #[inline]
    pub(crate) fn read_str16(&mut self) -> Result<&'a [u8]> {
        let n = self.read_u16()?;
        self.read_bytes(usize::from(n))
    }
}

/// Little-endian helpers over slices whose length the caller has already checked; they
/// return 0 rather than panic if that promise is broken.
pub(crate) mod le {
    #[inline]
    pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
        b.get(at..at + 2)
            .and_then(|s| s.try_into().ok())
            .map_or(0, u16::from_le_bytes)
    }
    #[inline]
    pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
        b.get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    }
    #[inline]
    pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
        b.get(at..at + 8)
            .and_then(|s| s.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn reads_and_reports_offsets() {
        let data = [1u8, 0, 2, 0, 0, 0, 9];
        let mut c = Cursor::new(&data, 100);
        assert_eq!(c.read_u16().unwrap(), 1);
        assert_eq!(c.read_u32().unwrap(), 2);
        let err = c.read_u16().unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Truncated);
        assert_eq!(err.offset().0, 106);
        assert_eq!(err.needed(), Some(1));
        assert_eq!(c.read_u8().unwrap(), 9);
        assert!(c.is_empty());
    }

    #[test]
    fn split_keeps_absolute_offsets() {
        let data = [0u8; 10];
        let mut c = Cursor::new(&data, 50);
        c.skip(2).unwrap();
        let mut s = c.split(4).unwrap();
        assert_eq!(s.offset(), 52);
        s.skip(4).unwrap();
        assert!(s.read_u8().is_err());
        assert_eq!(c.offset(), 56);
    }
}
