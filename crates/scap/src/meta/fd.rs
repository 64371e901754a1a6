//! Fd list blocks (`FDL`, `FDL_V2`): the open fds of one thread.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{put_entry, put_str, read_str, short_entry, split_entry, Entries, MAX_NAME_LEN};
use crate::block::id;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::frame::{write_block, PutLe};

const V2_SHORT: &str = "fd list: entry length smaller than its fields";
const NAME_LONG: &str = "fd list: name too long";

/// The scap fd types (`scap_fd_type`), by on-disk id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FdType {
    /// 0: unknown (no tail).
    Unknown = 0,
    /// 1: regular file.
    File = 1,
    /// 2: directory.
    Directory = 2,
    /// 3: IPv4 socket.
    Ipv4Sock = 3,
    /// 4: IPv6 socket.
    Ipv6Sock = 4,
    /// 5: listening IPv4 socket.
    Ipv4ServSock = 5,
    /// 6: listening IPv6 socket.
    Ipv6ServSock = 6,
    /// 7: pipe or FIFO.
    Fifo = 7,
    /// 8: unix socket.
    UnixSock = 8,
    /// 9: eventfd.
    Event = 9,
    /// 10: a kind the writer did not know.
    Unsupported = 10,
    /// 11: signalfd.
    SignalFd = 11,
    /// 12: epoll.
    EventPoll = 12,
    /// 13: inotify.
    Inotify = 13,
    /// 14: timerfd.
    TimerFd = 14,
    /// 15: netlink socket.
    Netlink = 15,
    /// 16: regular file with open flags and device.
    FileV2 = 16,
    /// 17: bpf object.
    Bpf = 17,
    /// 18: userfaultfd.
    UserFaultFd = 18,
    /// 19: io_uring.
    IoUring = 19,
    /// 20: memfd.
    MemFd = 20,
    /// 21: pidfd.
    PidFd = 21,
}

impl FdType {
    const ALL: [FdType; 22] = [
        FdType::Unknown,
        FdType::File,
        FdType::Directory,
        FdType::Ipv4Sock,
        FdType::Ipv6Sock,
        FdType::Ipv4ServSock,
        FdType::Ipv6ServSock,
        FdType::Fifo,
        FdType::UnixSock,
        FdType::Event,
        FdType::Unsupported,
        FdType::SignalFd,
        FdType::EventPoll,
        FdType::Inotify,
        FdType::TimerFd,
        FdType::Netlink,
        FdType::FileV2,
        FdType::Bpf,
        FdType::UserFaultFd,
        FdType::IoUring,
        FdType::MemFd,
        FdType::PidFd,
    ];

    /// The type with on-disk id `id`, if known.
    pub fn from_id(id: u8) -> Option<FdType> {
        FdType::ALL.get(usize::from(id)).copied()
    }

    /// The on-disk id.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The scap name without its `SCAP_FD_` prefix (`FILE_V2`, `IPV4_SOCK`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FdType::Unknown => "UNKNOWN",
            FdType::File => "FILE",
            FdType::Directory => "DIRECTORY",
            FdType::Ipv4Sock => "IPV4_SOCK",
            FdType::Ipv6Sock => "IPV6_SOCK",
            FdType::Ipv4ServSock => "IPV4_SERVSOCK",
            FdType::Ipv6ServSock => "IPV6_SERVSOCK",
            FdType::Fifo => "FIFO",
            FdType::UnixSock => "UNIX_SOCK",
            FdType::Event => "EVENT",
            FdType::Unsupported => "UNSUPPORTED",
            FdType::SignalFd => "SIGNALFD",
            FdType::EventPoll => "EVENTPOLL",
            FdType::Inotify => "INOTIFY",
            FdType::TimerFd => "TIMERFD",
            FdType::Netlink => "NETLINK",
            FdType::FileV2 => "FILE_V2",
            FdType::Bpf => "BPF",
            FdType::UserFaultFd => "USERFAULTFD",
            FdType::IoUring => "IOURING",
            FdType::MemFd => "MEMFD",
            FdType::PidFd => "PIDFD",
        }
    }

    /// True for the kinds whose tail is just a name (these go in [`FdDetail::Named`]).
    pub fn is_name_only(self) -> bool {
        !matches!(
            self,
            FdType::Unknown
                | FdType::Ipv4Sock
                | FdType::Ipv6Sock
                | FdType::Ipv4ServSock
                | FdType::Ipv6ServSock
                | FdType::UnixSock
                | FdType::FileV2
        )
    }
}

/// The type-specific part of an fd entry.
///
/// Addresses are in network order as stored; ports are host-order integers. `l4proto`:
/// 0 unknown, 1 n/a, 2 TCP, 3 UDP, 4 ICMP, 5 raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdDetail<'a> {
    /// Type 0: nothing follows.
    None,
    /// A kind whose tail is only a name; `ty` is one where [`FdType::is_name_only`] holds.
    Named {
        /// The fd type.
        ty: FdType,
        /// Path or description (`pipe:[123]`, `anon_inode:[eventfd]`, ...).
        name: &'a [u8],
    },
    /// Type 16: a regular file with its open flags and, if stored, its device.
    FileV2 {
        /// `PPM_O_*` open flags.
        open_flags: u32,
        /// Path.
        name: &'a [u8],
        /// Device number (present in newer `FDL_V2` entries).
        dev: Option<u32>,
    },
    /// Type 3.
    Ipv4 {
        /// Source address.
        sip: Ipv4Addr,
        /// Destination address.
        dip: Ipv4Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// Type 4.
    Ipv6 {
        /// Source address.
        sip: Ipv6Addr,
        /// Destination address.
        dip: Ipv6Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// Type 5.
    Ipv4Server {
        /// Bound address.
        ip: Ipv4Addr,
        /// Bound port.
        port: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// Type 6.
    Ipv6Server {
        /// Bound address.
        ip: Ipv6Addr,
        /// Bound port.
        port: u16,
        /// Layer-4 protocol.
        l4proto: u8,
    },
    /// Type 8.
    Unix {
        /// Kernel address of this socket.
        source: u64,
        /// Kernel address of the peer.
        dest: u64,
        /// Path (may be empty or abstract).
        name: &'a [u8],
    },
    /// A type id this reader does not know (only possible in `FDL_V2`, whose entry length
    /// bounds it): the raw bytes after the type.
    Unsupported {
        /// The on-disk type id.
        type_id: u8,
        /// The entry's bytes after the type id.
        raw: &'a [u8],
    },
}

/// One fd of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdInfo<'a> {
    /// The fd number.
    pub fd: i64,
    /// Inode number.
    pub ino: u64,
    /// What the fd refers to.
    pub detail: FdDetail<'a>,
}

impl FdInfo<'_> {
    /// The on-disk type id.
    pub fn type_id(&self) -> u8 {
        match self.detail {
            FdDetail::None => FdType::Unknown.id(),
            FdDetail::Named { ty, .. } => ty.id(),
            FdDetail::FileV2 { .. } => FdType::FileV2.id(),
            FdDetail::Ipv4 { .. } => FdType::Ipv4Sock.id(),
            FdDetail::Ipv6 { .. } => FdType::Ipv6Sock.id(),
            FdDetail::Ipv4Server { .. } => FdType::Ipv4ServSock.id(),
            FdDetail::Ipv6Server { .. } => FdType::Ipv6ServSock.id(),
            FdDetail::Unix { .. } => FdType::UnixSock.id(),
            FdDetail::Unsupported { type_id, .. } => type_id,
        }
    }

    /// The fd type, if the id is a known one.
    pub fn fd_type(&self) -> Option<FdType> {
        FdType::from_id(self.type_id())
    }

    /// The name or path, for the kinds that carry one.
    pub fn name(&self) -> Option<&[u8]> {
        match self.detail {
            FdDetail::Named { name, .. }
            | FdDetail::FileV2 { name, .. }
            | FdDetail::Unix { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// The fds of an fd list block.
#[derive(Debug, Clone)]
pub struct FdIter<'a> {
    entries: Entries<'a>,
    v2: bool,
}

impl<'a> FdIter<'a> {
    pub(crate) fn new(cur: Cursor<'a>, ty: u32, v2: bool) -> FdIter<'a> {
        FdIter {
            entries: Entries::new(cur, ty),
            v2,
        }
    }

    /// Block version, 1 or 2.
    pub fn version(&self) -> u8 {
        if self.v2 {
            2
        } else {
            1
        }
    }
}

impl<'a> Iterator for FdIter<'a> {
    type Item = Result<FdInfo<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let v2 = self.v2;
        self.entries.next_with(|cur| {
            if !v2 {
                return decode(cur, false);
            }
            let (mut entry, at) = split_entry(cur, true, V2_SHORT)?;
            decode(&mut entry, true).map_err(|e| short_entry(e, at, V2_SHORT))
        })
    }
}

impl std::iter::FusedIterator for FdIter<'_> {}

fn ipv4(cur: &mut Cursor<'_>) -> Result<Ipv4Addr> {
    cur.read_array::<4>().map(Ipv4Addr::from)
}

fn ipv6(cur: &mut Cursor<'_>) -> Result<Ipv6Addr> {
    cur.read_array::<16>().map(Ipv6Addr::from)
}

/// Decode one entry; for `FDL_V2`, `cur` holds exactly the entry (after its length), and
/// bytes left after the known fields are skipped with it.
fn decode<'a>(cur: &mut Cursor<'a>, v2: bool) -> Result<FdInfo<'a>> {
    let fd = cur.read_i64()?;
    let ino = cur.read_u64()?;
    let type_at = cur.offset();
    let type_id = cur.read_u8()?;
    let Some(ty) = FdType::from_id(type_id) else {
        if !v2 {
            // Without an entry length the tail cannot be skipped.
            return Err(Error::corrupt("fd list: unknown fd type", type_at));
        }
        let raw = cur.rest();
        cur.skip(raw.len())?;
        return Ok(FdInfo {
            fd,
            ino,
            detail: FdDetail::Unsupported { type_id, raw },
        });
    };
    let detail = match ty {
        FdType::Unknown => FdDetail::None,
        FdType::Ipv4Sock => FdDetail::Ipv4 {
            sip: ipv4(cur)?,
            dip: ipv4(cur)?,
            sport: cur.read_u16()?,
            dport: cur.read_u16()?,
            l4proto: cur.read_u8()?,
        },
        FdType::Ipv6Sock => FdDetail::Ipv6 {
            sip: ipv6(cur)?,
            dip: ipv6(cur)?,
            sport: cur.read_u16()?,
            dport: cur.read_u16()?,
            l4proto: cur.read_u8()?,
        },
        FdType::Ipv4ServSock => FdDetail::Ipv4Server {
            ip: ipv4(cur)?,
            port: cur.read_u16()?,
            l4proto: cur.read_u8()?,
        },
        FdType::Ipv6ServSock => FdDetail::Ipv6Server {
            ip: ipv6(cur)?,
            port: cur.read_u16()?,
            l4proto: cur.read_u8()?,
        },
        FdType::UnixSock => FdDetail::Unix {
            source: cur.read_u64()?,
            dest: cur.read_u64()?,
            name: read_str(cur, MAX_NAME_LEN, NAME_LONG)?,
        },
        FdType::FileV2 => {
            let open_flags = cur.read_u32()?;
            let name = read_str(cur, MAX_NAME_LEN, NAME_LONG)?;
            // `dev` exists only if the entry length leaves room for it.
            let dev = if v2 && cur.remaining() >= 4 {
                Some(cur.read_u32()?)
            } else {
                None
            };
            FdDetail::FileV2 {
                open_flags,
                name,
                dev,
            }
        }
        _ => FdDetail::Named {
            ty,
            name: read_str(cur, MAX_NAME_LEN, NAME_LONG)?,
        },
    };
    Ok(FdInfo { fd, ino, detail })
}

fn encode(out: &mut Vec<u8>, f: &FdInfo<'_>) -> Result<()> {
    put_entry(out, true, |o| {
        o.put_i64(f.fd);
        o.put_u64(f.ino);
        o.put_u8(f.type_id());
        match f.detail {
            FdDetail::None => {}
            FdDetail::Named { ty, name } => {
                if !ty.is_name_only() {
                    return Err(Error::corrupt(
                        "fd list: this fd type does not take a name only",
                        o.len() as u64 - 1,
                    ));
                }
                put_str(o, name, MAX_NAME_LEN, NAME_LONG)?;
            }
            FdDetail::FileV2 {
                open_flags,
                name,
                dev,
            } => {
                o.put_u32(open_flags);
                put_str(o, name, MAX_NAME_LEN, NAME_LONG)?;
                if let Some(dev) = dev {
                    o.put_u32(dev);
                }
            }
            FdDetail::Ipv4 {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                o.extend_from_slice(&sip.octets());
                o.extend_from_slice(&dip.octets());
                o.put_u16(sport);
                o.put_u16(dport);
                o.put_u8(l4proto);
            }
            FdDetail::Ipv6 {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                o.extend_from_slice(&sip.octets());
                o.extend_from_slice(&dip.octets());
                o.put_u16(sport);
                o.put_u16(dport);
                o.put_u8(l4proto);
            }
            FdDetail::Ipv4Server { ip, port, l4proto } => {
                o.extend_from_slice(&ip.octets());
                o.put_u16(port);
                o.put_u8(l4proto);
            }
            FdDetail::Ipv6Server { ip, port, l4proto } => {
                o.extend_from_slice(&ip.octets());
                o.put_u16(port);
                o.put_u8(l4proto);
            }
            FdDetail::Unix { source, dest, name } => {
                o.put_u64(source);
                o.put_u64(dest);
                put_str(o, name, MAX_NAME_LEN, NAME_LONG)?;
            }
            FdDetail::Unsupported { type_id, raw } => {
                if FdType::from_id(type_id).is_some() {
                    return Err(Error::corrupt(
                        "fd list: raw tail given for a known fd type",
                        o.len() as u64 - 1,
                    ));
                }
                o.extend_from_slice(raw);
            }
        }
        Ok(())
    })
}

/// Append an `FDL_V2` block with the fds of thread `tid`. Values a reader would reject
/// (over-long names, a name-only detail with a structured type) are refused and nothing
/// is appended.
pub fn write_fd_list<'f, 'a: 'f>(
    out: &mut Vec<u8>,
    tid: u64,
    fds: impl IntoIterator<Item = &'f FdInfo<'a>>,
) -> Result<()> {
    write_block(out, id::FDL_V2, |o| {
        o.put_u64(tid);
        fds.into_iter().try_for_each(|f| encode(o, f))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::meta::testutil::*;
    use crate::meta::{parse, Meta};

    fn fds(data: &[u8], base: u64) -> (u64, u8, Vec<Result<FdInfo<'_>>>) {
        let Meta::Fds { tid, fds } = parse(&block(data, base)).unwrap() else {
            panic!("not an FDL block")
        };
        (tid, fds.version(), fds.collect())
    }

    /// Every known type: (type id, tail bytes, expected detail).
    fn every_type() -> Vec<(u8, Vec<u8>, FdDetail<'static>)> {
        let mut v = Vec::new();
        for ty in FdType::ALL {
            let (tail, detail) = match ty {
                FdType::Unknown => (vec![], FdDetail::None),
                FdType::Ipv4Sock => (
                    B::default()
                        .bytes(&[10, 0, 0, 1, 8, 8, 8, 8])
                        .u16(40000)
                        .u16(53)
                        .u8(3)
                        .0,
                    FdDetail::Ipv4 {
                        sip: Ipv4Addr::new(10, 0, 0, 1),
                        dip: Ipv4Addr::new(8, 8, 8, 8),
                        sport: 40000,
                        dport: 53,
                        l4proto: 3,
                    },
                ),
                FdType::Ipv6Sock => (
                    B::default()
                        .bytes(&Ipv6Addr::LOCALHOST.octets())
                        .bytes(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets())
                        .u16(1)
                        .u16(443)
                        .u8(2)
                        .0,
                    FdDetail::Ipv6 {
                        sip: Ipv6Addr::LOCALHOST,
                        dip: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                        sport: 1,
                        dport: 443,
                        l4proto: 2,
                    },
                ),
                FdType::Ipv4ServSock => (
                    B::default().bytes(&[0, 0, 0, 0]).u16(80).u8(2).0,
                    FdDetail::Ipv4Server {
                        ip: Ipv4Addr::UNSPECIFIED,
                        port: 80,
                        l4proto: 2,
                    },
                ),
                FdType::Ipv6ServSock => (
                    B::default().bytes(&[0; 16]).u16(22).u8(2).0,
                    FdDetail::Ipv6Server {
                        ip: Ipv6Addr::UNSPECIFIED,
                        port: 22,
                        l4proto: 2,
                    },
                ),
                FdType::UnixSock => (
                    B::default().u64(0xAAAA).u64(0xBBBB).s(b"/run/sock").0,
                    FdDetail::Unix {
                        source: 0xAAAA,
                        dest: 0xBBBB,
                        name: b"/run/sock",
                    },
                ),
                FdType::FileV2 => (
                    B::default().u32(0x41).s(b"/etc/passwd").0,
                    FdDetail::FileV2 {
                        open_flags: 0x41,
                        name: b"/etc/passwd",
                        dev: None,
                    },
                ),
                ty => (
                    B::default().s(b"name").0,
                    FdDetail::Named { ty, name: b"name" },
                ),
            };
            v.push((ty.id(), tail, detail));
        }
        v
    }

    fn fd_entry(fd: u64, ty: u8, tail: &[u8]) -> B {
        B::default().u64(fd).u64(fd + 1000).u8(ty).bytes(tail)
    }

    #[test]
    fn every_type_v1_and_v2() {
        for v2 in [false, true] {
            let mut body = B::default().u64(77);
            for (i, (ty, tail, _)) in every_type().iter().enumerate() {
                let e = fd_entry(i as u64, *ty, tail);
                body = body.bytes(&if v2 { e.entry(true) } else { e }.0);
            }
            let ty = if v2 { id::FDL_V2 } else { id::FDL_INT };
            let data = frame(ty, &body.0);
            let (tid, ver, got) = fds(&data, 0);
            assert_eq!((tid, ver), (77, if v2 { 2 } else { 1 }));
            let want = every_type();
            assert_eq!(got.len(), want.len());
            for (i, (g, (ty, _, detail))) in got.into_iter().zip(want).enumerate() {
                let g = g.unwrap();
                assert_eq!((g.fd, g.ino), (i as i64, i as u64 + 1000));
                assert_eq!(g.detail, detail);
                assert_eq!(g.type_id(), ty);
                assert_eq!(g.fd_type().map(FdType::id), Some(ty));
            }
        }
    }

    #[test]
    fn file_v2_dev_and_extra_bytes() {
        let e = fd_entry(3, 16, &B::default().u32(2).s(b"/f").u32(0x801).u8(9).0).entry(true);
        let data = frame(id::FDL_V2, &B::default().u64(1).bytes(&e.0).0);
        let (_, _, got) = fds(&data, 0);
        assert_eq!(
            got[0].as_ref().unwrap().detail,
            FdDetail::FileV2 {
                open_flags: 2,
                name: b"/f",
                dev: Some(0x801)
            }
        );
        // In FDL v1 the dev is never read: the entry ends after the name.
        let e = fd_entry(3, 16, &B::default().u32(2).s(b"/f").0);
        let e2 = fd_entry(4, 1, &B::default().s(b"/g").0);
        let data = frame(id::FDL, &B::default().u64(1).bytes(&e.0).bytes(&e2.0).0);
        let (_, _, got) = fds(&data, 0);
        assert_eq!(got.len(), 2);
        assert!(matches!(
            got[0].as_ref().unwrap().detail,
            FdDetail::FileV2 { dev: None, .. }
        ));
        assert_eq!(got[1].as_ref().unwrap().name(), Some(&b"/g"[..]));
    }

    #[test]
    fn unknown_types() {
        let e = fd_entry(5, 99, &[1, 2, 3]).entry(true);
        let e2 = fd_entry(6, 1, &B::default().s(b"/x").0).entry(true);
        let data = frame(id::FDL_V2, &B::default().u64(1).bytes(&e.0).bytes(&e2.0).0);
        let (_, _, got) = fds(&data, 0);
        assert_eq!(
            got[0].as_ref().unwrap().detail,
            FdDetail::Unsupported {
                type_id: 99,
                raw: &[1, 2, 3]
            }
        );
        assert_eq!(got[1].as_ref().unwrap().name(), Some(&b"/x"[..]));
        // v1: an error at the type byte.
        let data = frame(
            id::FDL,
            &B::default().u64(1).bytes(&fd_entry(5, 22, &[0; 8]).0).0,
        );
        let (_, _, got) = fds(&data, 500);
        let e = got[0].as_ref().unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Corrupt("fd list: unknown fd type"));
        assert_eq!(e.offset().0, 500 + 8 + 8 + 16);
        assert_eq!(e.block_type(), Some(id::FDL));
    }

    #[test]
    fn truncated_and_hostile() {
        // v1, cut inside an IPv4 tuple.
        let e = fd_entry(1, 3, &[1, 2, 3]);
        let data = frame(id::FDL, &B::default().u64(1).bytes(&e.0).0);
        let (_, _, got) = fds(&data, 0);
        let err = got[0].as_ref().unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Truncated);
        assert_eq!(err.offset().0, 8 + 8 + 17); // sip needs 4 bytes, 3 are left
        assert_eq!(err.needed(), Some(1));
        // v2: entry length smaller than the fixed fields, and beyond the block.
        for len in [0u32, 10, 1 << 31] {
            let mut e = fd_entry(1, 1, &B::default().s(b"/a").0).entry(true).0;
            e[..4].copy_from_slice(&len.to_le_bytes());
            let data = frame(id::FDL_V2, &B::default().u64(1).bytes(&e).0);
            let (_, _, got) = fds(&data, 0);
            let err = got[0].as_ref().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Corrupt(_)), "{len}");
            assert_eq!(err.offset().0, 16);
        }
        // Name too long.
        let long = vec![b'a'; MAX_NAME_LEN + 1];
        let e = fd_entry(1, 1, &B::default().s(&long).0);
        let data = frame(id::FDL, &B::default().u64(1).bytes(&e.0).0);
        let (_, _, got) = fds(&data, 0);
        assert_eq!(
            got[0].as_ref().unwrap_err().kind(),
            &ErrorKind::Corrupt(NAME_LONG)
        );
    }

    #[test]
    fn encode_round_trip() {
        let mut list: Vec<FdInfo<'_>> = every_type()
            .into_iter()
            .enumerate()
            .map(|(i, (_, _, detail))| FdInfo {
                fd: i as i64,
                ino: 9,
                detail,
            })
            .collect();
        list.push(FdInfo {
            fd: -1,
            ino: 0,
            detail: FdDetail::FileV2 {
                open_flags: 1,
                name: b"",
                dev: Some(3),
            },
        });
        list.push(FdInfo {
            fd: 40,
            ino: 0,
            detail: FdDetail::Unsupported {
                type_id: 200,
                raw: b"xyz",
            },
        });
        let mut out = Vec::new();
        write_fd_list(&mut out, 1234, &list).unwrap();
        let (tid, ver, got) = fds(&out, 0);
        assert_eq!((tid, ver), (1234, 2));
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, list);
    }

    #[test]
    fn encode_refuses_inconsistent_details() {
        let bad = [
            FdInfo {
                fd: 1,
                ino: 1,
                detail: FdDetail::Named {
                    ty: FdType::Ipv4Sock,
                    name: b"x",
                },
            },
            FdInfo {
                fd: 1,
                ino: 1,
                detail: FdDetail::Unsupported {
                    type_id: 1,
                    raw: b"",
                },
            },
        ];
        for f in bad {
            let mut out = Vec::new();
            assert!(write_fd_list(&mut out, 1, [&f]).is_err());
            assert!(out.is_empty());
        }
    }
}
