//! Interface list blocks (`IL`, `IL_V2`): the machine's network addresses.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{put_entry, short_entry, split_entry, Entries, MAX_NAME_LEN};
use crate::block::id;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::frame::{write_block, PutLe};

const V2_SHORT: &str = "interface list: entry length smaller than its fields";
const NAME_LONG: &str = "interface list: name too long";

/// Entry types (`SCAP_II_*`).
const IPV4: u16 = 1;
const IPV6: u16 = 2;
const IPV4_NOLINKSPEED: u16 = 3;
const IPV6_NOLINKSPEED: u16 = 4;

/// The addresses of an interface entry (network order, as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfaceAddr {
    /// An IPv4 address.
    V4 {
        /// Address.
        addr: Ipv4Addr,
        /// Netmask.
        netmask: Ipv4Addr,
        /// Broadcast address.
        bcast: Ipv4Addr,
    },
    /// An IPv6 address.
    V6 {
        /// Address.
        addr: Ipv6Addr,
        /// Netmask.
        netmask: Ipv6Addr,
        /// Broadcast address.
        bcast: Ipv6Addr,
    },
}

/// One address of one network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface<'a> {
    /// Interface name (`eth0`).
    pub name: &'a [u8],
    /// The address, netmask and broadcast address.
    pub addr: IfaceAddr,
    /// Link speed, absent in the legacy `*_NOLINKSPEED` entry types (3, 4).
    pub linkspeed: Option<u64>,
}

impl Interface<'_> {
    /// The on-disk entry type (`SCAP_II_*`): 1 IPv4, 2 IPv6, 3/4 the same without link speed.
    pub fn type_id(&self) -> u16 {
        match (self.addr, self.linkspeed) {
            (IfaceAddr::V4 { .. }, Some(_)) => IPV4,
            (IfaceAddr::V6 { .. }, Some(_)) => IPV6,
            (IfaceAddr::V4 { .. }, None) => IPV4_NOLINKSPEED,
            (IfaceAddr::V6 { .. }, None) => IPV6_NOLINKSPEED,
        }
    }
}

/// The entries of an interface list block.
#[derive(Debug, Clone)]
pub struct IfaceIter<'a> {
    entries: Entries<'a>,
    v2: bool,
}

impl<'a> IfaceIter<'a> {
    pub(crate) fn new(cur: Cursor<'a>, ty: u32, v2: bool) -> IfaceIter<'a> {
        IfaceIter {
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

impl<'a> Iterator for IfaceIter<'a> {
    type Item = Result<Interface<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let v2 = self.v2;
        self.entries.next_with(|cur| {
            if !v2 {
                return decode(cur);
            }
            // IL_V2's length, unlike the other lists', does not count itself.
            let (mut entry, at) = split_entry(cur, false, V2_SHORT)?;
            decode(&mut entry).map_err(|e| short_entry(e, at, V2_SHORT))
        })
    }
}

impl std::iter::FusedIterator for IfaceIter<'_> {}

fn v4(cur: &mut Cursor<'_>) -> Result<Ipv4Addr> {
    cur.read_array::<4>().map(Ipv4Addr::from)
}

fn v6(cur: &mut Cursor<'_>) -> Result<Ipv6Addr> {
    cur.read_array::<16>().map(Ipv6Addr::from)
}

fn decode<'a>(cur: &mut Cursor<'a>) -> Result<Interface<'a>> {
    let at = cur.offset();
    let ty = cur.read_u16()?;
    let name_len = usize::from(cur.read_u16()?);
    let (is_v6, has_speed) = match ty {
        IPV4 => (false, true),
        IPV6 => (true, true),
        IPV4_NOLINKSPEED => (false, false),
        IPV6_NOLINKSPEED => (true, false),
        _ => return Err(Error::corrupt("interface list: unknown entry type", at)),
    };
    if name_len > MAX_NAME_LEN {
        return Err(Error::corrupt(NAME_LONG, at + 2));
    }
    let addr = if is_v6 {
        IfaceAddr::V6 {
            addr: v6(cur)?,
            netmask: v6(cur)?,
            bcast: v6(cur)?,
        }
    } else {
        IfaceAddr::V4 {
            addr: v4(cur)?,
            netmask: v4(cur)?,
            bcast: v4(cur)?,
        }
    };
    let linkspeed = if has_speed {
        Some(cur.read_u64()?)
    } else {
        None
    };
    let name = cur.read_bytes(name_len)?;
    Ok(Interface {
        name,
        addr,
        linkspeed,
    })
}

fn encode(out: &mut Vec<u8>, i: &Interface<'_>) -> Result<()> {
    put_entry(out, false, |o| {
        let name_len = u16::try_from(i.name.len())
            .ok()
            .filter(|&n| usize::from(n) <= MAX_NAME_LEN)
            .ok_or_else(|| Error::corrupt(NAME_LONG, o.len() as u64))?;
        o.put_u16(i.type_id());
        o.put_u16(name_len);
        match i.addr {
            IfaceAddr::V4 {
                addr,
                netmask,
                bcast,
            } => {
                for a in [addr, netmask, bcast] {
                    o.extend_from_slice(&a.octets());
                }
            }
            IfaceAddr::V6 {
                addr,
                netmask,
                bcast,
            } => {
                for a in [addr, netmask, bcast] {
                    o.extend_from_slice(&a.octets());
                }
            }
        }
        if let Some(speed) = i.linkspeed {
            o.put_u64(speed);
        }
        o.extend_from_slice(i.name);
        Ok(())
    })
}

/// Append an `IL_V2` block with `ifaces` (entries without a link speed keep the legacy
/// types 3/4, which `IL_V2` readers accept). Over-long names are refused, appending nothing.
pub fn write_iface_list<'i, 'a: 'i>(
    out: &mut Vec<u8>,
    ifaces: impl IntoIterator<Item = &'i Interface<'a>>,
) -> Result<()> {
    write_block(out, id::IL_V2, |o| {
        ifaces.into_iter().try_for_each(|i| encode(o, i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::meta::testutil::*;
    use crate::meta::{parse, Meta};

    fn ifaces(data: &[u8], base: u64) -> (u8, Vec<Result<Interface<'_>>>) {
        let Meta::Interfaces(it) = parse(&block(data, base)).unwrap() else {
            panic!("not an IL block")
        };
        (it.version(), it.collect())
    }

    fn samples() -> Vec<(B, Interface<'static>)> {
        let lo4 = IfaceAddr::V4 {
            addr: Ipv4Addr::LOCALHOST,
            netmask: Ipv4Addr::new(255, 0, 0, 0),
            bcast: Ipv4Addr::new(127, 255, 255, 255),
        };
        let v4b = |b: B| b.bytes(&[127, 0, 0, 1, 255, 0, 0, 0, 127, 255, 255, 255]);
        let lo6 = IfaceAddr::V6 {
            addr: Ipv6Addr::LOCALHOST,
            netmask: Ipv6Addr::from([0xFF; 16]),
            bcast: Ipv6Addr::UNSPECIFIED,
        };
        let v6b = |b: B| {
            b.bytes(&Ipv6Addr::LOCALHOST.octets())
                .bytes(&[0xFF; 16])
                .bytes(&[0; 16])
        };
        vec![
            (
                v4b(B::default().u16(1).u16(2)).u64(1000).bytes(b"lo"),
                Interface {
                    name: b"lo",
                    addr: lo4,
                    linkspeed: Some(1000),
                },
            ),
            (
                v6b(B::default().u16(2).u16(4)).u64(10).bytes(b"eth0"),
                Interface {
                    name: b"eth0",
                    addr: lo6,
                    linkspeed: Some(10),
                },
            ),
            (
                v4b(B::default().u16(3).u16(1)).bytes(b"a"),
                Interface {
                    name: b"a",
                    addr: lo4,
                    linkspeed: None,
                },
            ),
            (
                v6b(B::default().u16(4).u16(0)),
                Interface {
                    name: b"",
                    addr: lo6,
                    linkspeed: None,
                },
            ),
        ]
    }

    #[test]
    fn v1_and_v2_every_type() {
        for v2 in [false, true] {
            let mut body = B::default();
            for (b, _) in samples() {
                body = body.bytes(&if v2 { b.entry(false) } else { b }.0);
            }
            let data = frame(if v2 { id::IL_V2 } else { id::IL }, &body.0);
            let (ver, got) = ifaces(&data, 0);
            assert_eq!(ver, if v2 { 2 } else { 1 });
            let want: Vec<_> = samples().into_iter().map(|(_, i)| i).collect();
            let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
            assert_eq!(got, want);
            for (i, ty) in got.iter().zip(1..) {
                assert_eq!(i.type_id(), ty);
            }
        }
    }

    #[test]
    fn v2_skips_unknown_trailing_fields() {
        let (b, want) = samples().remove(0);
        let e = b.bytes(&[1, 2, 3, 4, 5]).entry(false);
        let body = B::default().bytes(&e.0).bytes(&e.0);
        let data = frame(id::IL_V2, &body.0);
        let got: Vec<_> = ifaces(&data, 0).1.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, vec![want, want]);
    }

    #[test]
    fn errors() {
        // Unknown type.
        let data = frame(id::IL, &B::default().u16(9).u16(0).bytes(&[0; 16]).0);
        let e = ifaces(&data, 64).1.remove(0).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::Corrupt("interface list: unknown entry type")
        );
        assert_eq!(e.offset().0, 64 + 8);
        assert_eq!(e.block_type(), Some(id::IL));
        // Name length 1024.
        let data = frame(
            id::IL_INT,
            &B::default().u16(3).u16(1024).bytes(&[0; 1100]).0,
        );
        let e = ifaces(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Corrupt(NAME_LONG));
        // Truncated name in v1.
        let data = frame(id::IL, &B::default().u16(3).u16(100).bytes(&[0; 12]).0);
        let e = ifaces(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        assert_eq!(e.offset().0, 8 + 16);
        // v2 entry length that excludes the name, and one past the block.
        let (b, _) = samples().remove(0);
        for len in [24u32, 1000] {
            let mut e = b.clone().entry(false).0;
            e[..4].copy_from_slice(&len.to_le_bytes());
            let data = frame(id::IL_V2, &e);
            let e = ifaces(&data, 0).1.remove(0).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Corrupt(_)));
            assert_eq!(e.offset().0, 8);
        }
    }

    #[test]
    fn encode_round_trip() {
        let list: Vec<_> = samples().into_iter().map(|(_, i)| i).collect();
        let mut out = Vec::new();
        write_iface_list(&mut out, &list).unwrap();
        let (ver, got) = ifaces(&out, 0);
        assert_eq!(ver, 2);
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, list);
        // IL_V2 lengths exclude themselves: type and name length, 3 addresses, speed, name.
        assert_eq!(&out[8..12], &(4 + 12 + 8 + 2u32).to_le_bytes());
        let long = vec![b'n'; MAX_NAME_LEN + 1];
        let bad = Interface {
            name: &long,
            ..list[0]
        };
        let mut out = Vec::new();
        assert!(write_iface_list(&mut out, [&bad]).is_err());
        assert!(out.is_empty());
    }
}
