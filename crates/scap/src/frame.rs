//! Writing block framing: the mirror of `block::next_block`.

use crate::error::{Error, Result};

/// Append one complete block: type, total length, the body written by `body`, zero padding
/// to a multiple of 4, and the trailer.
///
/// The length is back-patched once the body is known. If `body` fails, or the block would
/// not fit a `u32` length, `out` is restored to its previous length and the error is
/// returned (tagged with `ty`), so a caller never leaves half a block behind.
pub(crate) fn write_block(
    out: &mut Vec<u8>,
    ty: u32,
    body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    if let Err(e) = body(out) {
        out.truncate(start);
        return Err(e.in_block(ty));
    }
    let pad = (4 - (out.len() - start) % 4) % 4;
    out.resize(out.len() + pad, 0);
    let total = out.len() - start + 4;
    let Ok(total32) = u32::try_from(total) else {
        out.truncate(start);
        return Err(Error::corrupt("block: longer than 4 GiB", start as u64).in_block(ty));
    };
    out.extend_from_slice(&total32.to_le_bytes());
    if let Some(len) = out.get_mut(start + 4..start + 8) {
        len.copy_from_slice(&total32.to_le_bytes());
    }
    Ok(())
}

/// Little-endian appenders for block bodies.
pub(crate) trait PutLe {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_i64(&mut self, v: i64);
}

impl PutLe for Vec<u8> {
    #[inline]
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    #[inline]
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    #[inline]
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    #[inline]
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::next_block;
    use crate::cursor::Cursor;

    #[test]
    fn pads_and_back_patches() {
        let mut out = vec![0xAA];
        write_block(&mut out, 0x201, |o| {
            o.extend_from_slice(&[1, 2, 3]);
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len(), 1 + 16);
        let mut c = Cursor::new(&out[1..], 1);
        let b = next_block(&mut c).unwrap().unwrap();
        b.check_trailer().unwrap();
        assert_eq!(b.body(), &[1, 2, 3, 0]);
        assert_eq!(b.offset().0, 1);
    }

    #[test]
    fn failed_body_leaves_nothing() {
        let mut out = vec![7];
        let e = write_block(&mut out, 0x215, |o| {
            o.extend_from_slice(&[1; 9]);
            Err(Error::corrupt("test", 3))
        })
        .unwrap_err();
        assert_eq!(out, vec![7]);
        assert_eq!(e.block_type(), Some(0x215));
    }
}
