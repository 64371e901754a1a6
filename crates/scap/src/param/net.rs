//! Socket addresses, socket tuples and fd lists: the variable-size structured parameters.

use super::{split_i64, split_u16, split_u64, until_nul};

/// Socket families as the driver writes them (`PPM_AF_*`), not the host's `AF_*` values.
pub mod family {
    /// `PPM_AF_UNSPEC`.
    pub const UNSPEC: u8 = 0;
    /// `PPM_AF_UNIX` (also `AF_LOCAL`).
    pub const UNIX: u8 = 1;
    /// `PPM_AF_INET`.
    pub const INET: u8 = 2;
    /// `PPM_AF_INET6`.
    pub const INET6: u8 = 10;
}

/// A decoded `PT_SOCKADDR`: family byte, then the address.
///
/// IP bytes are in network order (as on the wire); ports are host (little-endian) order on disk
/// and are returned as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// `AF_UNIX`: the path, up to its first NUL.
    Unix(&'a [u8]),
    /// `AF_INET`.
    V4 {
        /// Address, network order.
        ip: [u8; 4],
        /// Port.
        port: u16,
    },
    /// `AF_INET6`.
    V6 {
        /// Address, network order.
        ip: [u8; 16],
        /// Port.
        port: u16,
    },
    /// Any other family: the bytes after the family byte, undecoded.
    Other {
        /// `PPM_AF_*` family.
        family: u8,
        /// Bytes after the family byte.
        data: &'a [u8],
    },
}

impl<'a> SockAddr<'a> {
    /// Decode a non-empty sockaddr payload; `None` when an IP family has the wrong length.
    pub(super) fn decode(bytes: &'a [u8]) -> Option<SockAddr<'a>> {
        let (&fam, rest) = bytes.split_first()?;
        Some(match fam {
            family::UNIX => SockAddr::Unix(until_nul(rest)),
            family::INET => {
                let (ip, rest) = rest.split_first_chunk::<4>()?;
                let port = exact_u16(rest)?;
                SockAddr::V4 { ip: *ip, port }
            }
            family::INET6 => {
                let (ip, rest) = rest.split_first_chunk::<16>()?;
                let port = exact_u16(rest)?;
                SockAddr::V6 { ip: *ip, port }
            }
            _ => SockAddr::Other {
                family: fam,
                data: rest,
            },
        })
    }

    /// The `PPM_AF_*` family.
    pub fn family(&self) -> u8 {
        match self {
            SockAddr::Unix(_) => family::UNIX,
            SockAddr::V4 { .. } => family::INET,
            SockAddr::V6 { .. } => family::INET6,
            SockAddr::Other { family, .. } => *family,
        }
    }
}

/// A decoded `PT_SOCKTUPLE`: both ends of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockTuple<'a> {
    /// `AF_INET` (13 bytes on disk).
    V4 {
        /// Source address, network order.
        src: [u8; 4],
        /// Source port.
        sport: u16,
        /// Destination address, network order.
        dst: [u8; 4],
        /// Destination port.
        dport: u16,
    },
    /// `AF_INET6` (37 bytes on disk).
    V6 {
        /// Source address, network order.
        src: [u8; 16],
        /// Source port.
        sport: u16,
        /// Destination address, network order.
        dst: [u8; 16],
        /// Destination port.
        dport: u16,
    },
    /// `AF_UNIX`: the two kernel socket pointers and the path.
    Unix {
        /// Source socket (a kernel address, printed in hex by sysdig).
        src: u64,
        /// Destination socket.
        dst: u64,
        /// Path, up to its first NUL (may be empty).
        path: &'a [u8],
    },
    /// Any other family: the bytes after the family byte, undecoded.
    Other {
        /// `PPM_AF_*` family.
        family: u8,
        /// Bytes after the family byte.
        data: &'a [u8],
    },
}

impl<'a> SockTuple<'a> {
    /// Decode a non-empty socktuple payload; `None` when a known family has the wrong length.
    pub(super) fn decode(bytes: &'a [u8]) -> Option<SockTuple<'a>> {
        let (&fam, rest) = bytes.split_first()?;
        Some(match fam {
            family::INET => {
                let (src, rest) = rest.split_first_chunk::<4>()?;
                let (sport, rest) = split_u16(rest)?;
                let (dst, rest) = rest.split_first_chunk::<4>()?;
                let dport = exact_u16(rest)?;
                SockTuple::V4 {
                    src: *src,
                    sport,
                    dst: *dst,
                    dport,
                }
            }
            family::INET6 => {
                let (src, rest) = rest.split_first_chunk::<16>()?;
                let (sport, rest) = split_u16(rest)?;
                let (dst, rest) = rest.split_first_chunk::<16>()?;
                let dport = exact_u16(rest)?;
                SockTuple::V6 {
                    src: *src,
                    sport,
                    dst: *dst,
                    dport,
                }
            }
            family::UNIX => {
                let (src, rest) = split_u64(rest)?;
                let (dst, rest) = split_u64(rest)?;
                SockTuple::Unix {
                    src,
                    dst,
                    path: until_nul(rest),
                }
            }
            _ => SockTuple::Other {
                family: fam,
                data: rest,
            },
        })
    }

    /// The `PPM_AF_*` family.
    pub fn family(&self) -> u8 {
        match self {
            SockTuple::Unix { .. } => family::UNIX,
            SockTuple::V4 { .. } => family::INET,
            SockTuple::V6 { .. } => family::INET6,
            SockTuple::Other { family, .. } => *family,
        }
    }
}

/// A u16 that must be the last two bytes.
fn exact_u16(b: &[u8]) -> Option<u16> {
    let (v, rest) = split_u16(b)?;
    rest.is_empty().then_some(v)
}

/// Size of one `PT_FDLIST` item: fd i64 + flags u16.
const FDLIST_ITEM: usize = 10;

/// One `(fd, flags)` entry of a `PT_FDLIST` (poll/ppoll fd sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdItem {
    /// The file descriptor.
    pub fd: i64,
    /// Poll flags in the driver's portable encoding (`pollfd.events` / `revents`).
    pub flags: u16,
}

/// The entries of a `PT_FDLIST`, borrowed; the count was checked against the payload length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdListIter<'a> {
    items: &'a [u8],
}

impl<'a> FdListIter<'a> {
    /// Decode `count u16` + `count × (i64, u16)`; `None` unless the count fills the payload
    /// exactly, so a hostile count is never trusted.
    pub(super) fn decode(bytes: &'a [u8]) -> Option<FdListIter<'a>> {
        let (count, items) = split_u16(bytes)?;
        let need = usize::from(count).checked_mul(FDLIST_ITEM)?;
        (items.len() == need).then_some(FdListIter { items })
    }
}

impl Iterator for FdListIter<'_> {
    type Item = FdItem;

    fn next(&mut self) -> Option<FdItem> {
        let (item, rest) = self.items.split_first_chunk::<FDLIST_ITEM>()?;
        self.items = rest;
        let (fd, flags) = split_i64(item)?;
        let (flags, _) = split_u16(flags)?;
        Some(FdItem { fd, flags })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.items.len() / FDLIST_ITEM;
        (n, Some(n))
    }
}

impl ExactSizeIterator for FdListIter<'_> {}
