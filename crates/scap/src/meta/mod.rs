//! Typed access to metadata blocks: machine info, processes, fds, interfaces, users.
//!
//! Decoding is zero-copy: strings are `&'a [u8]` borrowed from the capture (not UTF-8, not
//! NUL-terminated). [`parse`] (or [`Block::meta`]) classifies a block and returns a [`Meta`];
//! list blocks come back as iterators that decode one entry per step, yield `Result`s, and
//! stop after the first error. Every error names the absolute offset and the block type.
//!
//! Encoding mirrors decoding: the `write_*` functions append one complete block, in the final
//! block version (`MI`, `PL_V9`, `FDL_V2`, `IL_V2`, `UL_V2`), from the same typed values, so a
//! decoded entry of any version can be written back. Values a reader would reject (strings
//! over the limits below) are refused with an error whose offset is the position in the
//! output buffer, and nothing is appended.
//!
//! ```
//! use scap::meta::{self, Meta, ThreadInfo};
//! let mut out = Vec::new();
//! let t = ThreadInfo { tid: 42, pid: 42, comm: b"bash", ..ThreadInfo::default() };
//! meta::write_proc_list(&mut out, [&t])?;
//! # Ok::<(), scap::Error>(())
//! ```

mod fd;
mod iface;
mod machine;
mod proc;
mod user;

pub use fd::{write_fd_list, FdDetail, FdInfo, FdIter, FdType};
pub use iface::{write_iface_list, IfaceAddr, IfaceIter, Interface};
pub use machine::{write_machine_info, MachineInfo, HOSTNAME_LEN, MACHINE_INFO_LEN};
pub use proc::{write_proc_list, ThreadInfo, ThreadIter};
pub use user::{write_user_list, GroupInfo, UserEntry, UserInfo, UserIter};

use crate::block::{Block, BlockKind};
use crate::cursor::Cursor;
use crate::error::{Error, ErrorKind, Result};
use crate::frame::PutLe;

/// Longest path-like string in a process entry (`SCAP_MAX_PATH_SIZE`, inclusive on read).
pub const MAX_PATH_LEN: usize = 1024;
/// Longest args, env or cgroups list in a process entry (inclusive).
pub const MAX_ARGS_LEN: usize = 4096;
/// Longest fd or interface name (strictly less than `SCAP_MAX_PATH_SIZE`).
pub const MAX_NAME_LEN: usize = MAX_PATH_LEN - 1;
/// Longest user/group name, home directory or shell (`MAX_CREDENTIALS_STR_LEN` − 1).
pub const MAX_CREDENTIAL_LEN: usize = 255;

/// A decoded metadata block.
#[derive(Debug, Clone)]
pub enum Meta<'a> {
    /// Machine info (`MI`).
    Machine(MachineInfo),
    /// A process list (`PL_V1` … `PL_V9`).
    Threads(ThreadIter<'a>),
    /// The open fds of one thread (`FDL`, `FDL_V2`).
    Fds {
        /// The thread the fds belong to.
        tid: u64,
        /// The fd entries.
        fds: FdIter<'a>,
    },
    /// Network interfaces (`IL`, `IL_V2`).
    Interfaces(IfaceIter<'a>),
    /// Users and groups (`UL`, `UL_V2`).
    Users(UserIter<'a>),
}

/// Decode a metadata block. The fixed part (machine info, the fd list's tid) is read now;
/// list entries are decoded as the returned iterator is advanced.
///
/// Does not compare the trailer: [`crate::Records`] has done that for the blocks it hands out
/// as [`crate::Record::Meta`]; call [`Block::check_trailer`] for blocks from elsewhere.
pub fn parse<'a>(block: &Block<'a>) -> Result<Meta<'a>> {
    let ty = block.block_type();
    let cur = block.body_cursor();
    let meta = match block.kind() {
        BlockKind::MachineInfo => Meta::Machine(machine::decode(cur).map_err(|e| e.in_block(ty))?),
        BlockKind::ProcList(v) => Meta::Threads(ThreadIter::new(cur, ty, v)),
        BlockKind::FdList(v) => {
            let mut cur = cur;
            let tid = cur.read_u64().map_err(|e| e.in_block(ty))?;
            Meta::Fds {
                tid,
                fds: FdIter::new(cur, ty, v >= 2),
            }
        }
        BlockKind::IfList(v) => Meta::Interfaces(IfaceIter::new(cur, ty, v >= 2)),
        BlockKind::UserList(v) => Meta::Users(UserIter::new(cur, ty, v >= 2)),
        _ => {
            return Err(
                Error::corrupt("metadata: not a metadata block id", block.offset().0).in_block(ty),
            )
        }
    };
    Ok(meta)
}

impl<'a> Block<'a> {
    /// Decode this block as metadata; see [`parse`].
    pub fn meta(&self) -> Result<Meta<'a>> {
        parse(self)
    }
}

/// The entries of one list block: stops at padding (< 4 bytes left) and after an error.
#[derive(Debug, Clone)]
pub(crate) struct Entries<'a> {
    cur: Cursor<'a>,
    ty: u32,
    done: bool,
}

impl<'a> Entries<'a> {
    pub(crate) fn new(cur: Cursor<'a>, ty: u32) -> Entries<'a> {
        Entries {
            cur,
            ty,
            done: false,
        }
    }

    /// Decode the next entry with `f`, unless the list is over.
    pub(crate) fn next_with<T>(
        &mut self,
        f: impl FnOnce(&mut Cursor<'a>) -> Result<T>,
    ) -> Option<Result<T>> {
        if self.done || self.cur.remaining() < 4 {
            self.done = true;
            return None;
        }
        match f(&mut self.cur) {
            Ok(v) => Some(Ok(v)),
            Err(e) => {
                self.done = true;
                Some(Err(e.in_block(self.ty)))
            }
        }
    }
}

/// Read a `u16`-length string, rejecting lengths above `max` (inclusive) as corrupt.
pub(crate) fn read_str<'a>(
    cur: &mut Cursor<'a>,
    max: usize,
    what: &'static str,
) -> Result<&'a [u8]> {
    // Check the length against the limit before trusting it (as libscap does).
    let mut peek = *cur;
    if usize::from(peek.read_u16()?) > max {
        return Err(Error::corrupt(what, cur.offset()));
    }
    cur.read_str16()
}

/// Read a `u32` entry length and split the entry off `cur`.
///
/// `includes_self`: the length counts its own 4 bytes (PL_V9, FDL_V2, UL_V2) or not (IL_V2).
/// Returns the entry's cursor (after the length) and the offset of the length field.
pub(crate) fn split_entry<'a>(
    cur: &mut Cursor<'a>,
    includes_self: bool,
    what: &'static str,
) -> Result<(Cursor<'a>, u64)> {
    let at = cur.offset();
    let len = cur.read_u32()?;
    let body = if includes_self {
        len.checked_sub(4).ok_or_else(|| Error::corrupt(what, at))?
    } else {
        len
    };
    let body = usize::try_from(body).map_err(|_| Error::corrupt(what, at))?;
    if body > cur.remaining() {
        return Err(Error::corrupt(what, at));
    }
    Ok((cur.split(body)?, at))
}

/// Inside a length-prefixed entry, running out of bytes means the length was too small.
pub(crate) fn short_entry(e: Error, at: u64, what: &'static str) -> Error {
    if e.kind() == &ErrorKind::Truncated {
        Error::corrupt(what, at)
    } else {
        e
    }
}

/// Append a `u16`-length string, refusing what a reader would reject.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &[u8], max: usize, what: &'static str) -> Result<()> {
    let n = u16::try_from(s.len())
        .ok()
        .filter(|&n| usize::from(n) <= max)
        .ok_or_else(|| Error::corrupt(what, out.len() as u64))?;
    out.put_u16(n);
    out.extend_from_slice(s);
    Ok(())
}

/// Append one length-prefixed entry written by `f`, back-patching the `u32` length.
pub(crate) fn put_entry(
    out: &mut Vec<u8>,
    includes_self: bool,
    f: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let start = out.len();
    out.put_u32(0);
    f(out)?;
    let len = out.len() - start - if includes_self { 0 } else { 4 };
    let len =
        u32::try_from(len).map_err(|_| Error::corrupt("metadata: entry too long", start as u64))?;
    if let Some(slot) = out.get_mut(start..start + 4) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::block::{next_block, Block};
    use crate::cursor::Cursor;

    /// Frame `body` as a block of type `ty` (zero padded, trailer).
    pub(crate) fn frame(ty: u32, body: &[u8]) -> Vec<u8> {
        let total = (12 + body.len()).div_ceil(4) * 4;
        let mut v = Vec::new();
        v.extend_from_slice(&ty.to_le_bytes());
        v.extend_from_slice(&(total as u32).to_le_bytes());
        v.extend_from_slice(body);
        v.resize(total - 4, 0);
        v.extend_from_slice(&(total as u32).to_le_bytes());
        v
    }

    /// The single block in `data`, as if it started at absolute offset `base`.
    pub(crate) fn block(data: &[u8], base: u64) -> Block<'_> {
        next_block(&mut Cursor::new(data, base)).unwrap().unwrap()
    }

    /// A little-endian byte builder for hand-made bodies.
    #[derive(Default, Clone)]
    pub(crate) struct B(pub(crate) Vec<u8>);

    impl B {
        pub(crate) fn u8(mut self, v: u8) -> B {
            self.0.push(v);
            self
        }
        pub(crate) fn u16(mut self, v: u16) -> B {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub(crate) fn u32(mut self, v: u32) -> B {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub(crate) fn u64(mut self, v: u64) -> B {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub(crate) fn bytes(mut self, v: &[u8]) -> B {
            self.0.extend_from_slice(v);
            self
        }
        pub(crate) fn s(self, v: &[u8]) -> B {
            self.u16(v.len() as u16).bytes(v)
        }
        /// Prefix with a u32 length, counting itself or not.
        pub(crate) fn entry(self, includes_self: bool) -> B {
            let n = self.0.len() + if includes_self { 4 } else { 0 };
            B::default().u32(n as u32).bytes(&self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use crate::block::id;

    #[test]
    fn rejects_non_meta_blocks() {
        let data = frame(id::EV_V2, &[0; 32]);
        let e = parse(&block(&data, 100)).unwrap_err();
        assert_eq!(e.offset().0, 100);
        assert_eq!(e.block_type(), Some(id::EV_V2));
    }

    #[test]
    fn fd_list_needs_a_tid() {
        let data = frame(id::FDL_V2, &[1, 2, 3, 4]);
        let e = parse(&block(&data, 0)).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        assert_eq!(e.offset().0, 8);
        assert_eq!(e.block_type(), Some(id::FDL_V2));
    }

    /// Drain every entry of a block, counting errors; must never panic.
    fn drain(block: &Block<'_>) -> usize {
        match parse(block) {
            Err(_) | Ok(Meta::Machine(_)) => 0,
            Ok(Meta::Threads(it)) => it.filter(Result::is_err).count(),
            Ok(Meta::Fds { fds, .. }) => fds.filter(Result::is_err).count(),
            Ok(Meta::Interfaces(it)) => it.filter(Result::is_err).count(),
            Ok(Meta::Users(it)) => it.filter(Result::is_err).count(),
        }
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let t = ThreadInfo {
            comm: b"c",
            args: b"a\0",
            ..ThreadInfo::default()
        };
        let f = FdInfo {
            fd: 3,
            ino: 4,
            detail: FdDetail::Unix {
                source: 1,
                dest: 2,
                name: b"/s",
            },
        };
        let i = Interface {
            name: b"lo",
            addr: IfaceAddr::V4 {
                addr: [127, 0, 0, 1].into(),
                netmask: [255, 0, 0, 0].into(),
                bcast: [127, 0, 0, 1].into(),
            },
            linkspeed: None,
        };
        let u = UserEntry::Group(GroupInfo { gid: 1, name: b"g" });
        let mut blocks = Vec::new();
        let mut out = Vec::new();
        write_proc_list(&mut out, [&t, &t]).unwrap();
        blocks.push(out);
        let mut out = Vec::new();
        write_fd_list(&mut out, 9, [&f, &f]).unwrap();
        blocks.push(out);
        let mut out = Vec::new();
        write_iface_list(&mut out, [&i, &i]).unwrap();
        blocks.push(out);
        let mut out = Vec::new();
        write_user_list(&mut out, [&u, &u]).unwrap();
        blocks.push(out);
        // The same bodies under every older id too.
        let olds = [
            id::PL_V1,
            id::PL_V4,
            id::PL_V8,
            id::FDL,
            id::IL,
            id::UL,
            id::MI,
        ];
        for good in &blocks {
            let body = &good[8..good.len() - 4];
            let mut variants = vec![good.clone()];
            variants.extend(olds.iter().map(|&ty| frame(ty, body)));
            for v in variants {
                assert!(drain(&block(&v, 0)) < 3);
                for pos in 8..v.len() - 4 {
                    for byte in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                        let mut m = v.clone();
                        m[pos] = byte;
                        drain(&block(&m, 0));
                    }
                    // Cut the body short here.
                    drain(&block(
                        &frame(u32::from_le_bytes(v[..4].try_into().unwrap()), &v[8..pos]),
                        0,
                    ));
                }
            }
        }
    }

    #[test]
    fn put_str_enforces_limits() {
        let mut out = Vec::new();
        put_str(&mut out, &[b'a'; 5], 5, "x").unwrap();
        assert_eq!(out.len(), 7);
        assert!(put_str(&mut out, &[b'a'; 6], 5, "x").is_err());
        assert!(put_str(&mut out, &vec![0; 70_000], usize::MAX, "x").is_err());
    }
}
