//! Typed decoding of event parameters (spec §13.1).
//!
//! [`decode`] turns one parameter payload into a [`ParamValue`] that borrows the event bytes.
//! It never fails and never allocates: an empty payload is [`ParamValue::Empty`] whatever the
//! type, and a payload that does not fit its type (wrong fixed size, short address, an fd list
//! whose count disagrees with its length) is [`ParamValue::Raw`], so a printer can still show
//! the bytes.
//!
//! ```
//! use scap::param::{decode, ParamValue};
//! use scap::table::ParamType;
//!
//! assert_eq!(decode(ParamType::Errno, &(-2i64).to_le_bytes()), ParamValue::Errno(-2));
//! assert_eq!(decode(ParamType::Fspath, b"/etc\0"), ParamValue::Str(b"/etc"));
//! assert_eq!(decode(ParamType::Uint32, &[1, 2]), ParamValue::Raw(&[1, 2]));
//! assert_eq!(decode(ParamType::Fd, &[]), ParamValue::Empty);
//! ```
#![deny(clippy::indexing_slicing)]

mod net;
#[cfg(test)]
mod tests;

pub use net::{family, FdItem, FdListIter, SockAddr, SockTuple};

use crate::event::{Event, Params};
use crate::table::{self, DynParam, ParamExtra, ParamInfo, ParamType, Table};

/// One decoded parameter, borrowing the event bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue<'a> {
    /// Zero-length payload: the writer had no value ("empty / not available").
    Empty,
    /// Bytes that do not fit the declared type, or a type with no on-disk encoding.
    Raw(&'a [u8]),
    /// `INT8/16/32/64`, sign-extended.
    Int(i64),
    /// `UINT8/16/32/64`, zero-extended.
    Uint(u64),
    /// `ERRNO`: a syscall return value, negative = -errno.
    Errno(i64),
    /// `FD` and `FD32`.
    Fd(i64),
    /// `PID` and `PID32`.
    Pid(i64),
    /// `CHARBUF`, `FSPATH`, `FSRELPATH`: the bytes up to the first NUL (all of them if none).
    Str(&'a [u8]),
    /// `BYTEBUF`: raw bytes (often NUL-separated strings, or I/O data cut to the snaplen).
    Bytes(&'a [u8]),
    /// `SOCKADDR`.
    SockAddr(SockAddr<'a>),
    /// `SOCKTUPLE`.
    SockTuple(SockTuple<'a>),
    /// `FDLIST`.
    FdList(FdListIter<'a>),
    /// `SYSCALLID`: a ppm_sc code, see [`Table::syscall_name`].
    SyscallId(u16),
    /// `SIGTYPE`: a signal number, see [`Table::signal_name`].
    SigType(u8),
    /// `RELTIME`: nanoseconds.
    RelTime(u64),
    /// `ABSTIME`: nanoseconds since the epoch.
    AbsTime(u64),
    /// `PORT`.
    Port(u16),
    /// `L4PROTO`.
    L4Proto(u8),
    /// `SOCKFAMILY`: a `PPM_AF_*` value, see [`family`].
    SockFamily(u8),
    /// `BOOL` (a u32 on disk; any non-zero value is true).
    Bool(bool),
    /// `IPV4ADDR`, or an `IPADDR` of 4 bytes: network order.
    Ipv4([u8; 4]),
    /// `IPV6ADDR`, or an `IPADDR` of 16 bytes: network order.
    Ipv6([u8; 16]),
    /// `FLAGS8/16/32`: a bitmask, named by the parameter's [`ParamExtra::Flags`] table.
    Flags {
        /// The bits, zero-extended.
        bits: u32,
        /// Width on disk in bytes (1, 2 or 4).
        width: u8,
    },
    /// `ENUMFLAGS8/16/32`: one value, named by the parameter's flags table.
    Enum {
        /// The value, zero-extended.
        value: u32,
        /// Width on disk in bytes (1, 2 or 4).
        width: u8,
    },
    /// `MODE`: file mode bits.
    Mode(u32),
    /// `UID` (`u32::MAX` = none).
    Uid(u32),
    /// `GID` (`u32::MAX` = none).
    Gid(u32),
    /// `DOUBLE`.
    Double(f64),
    /// `SIGSET`: bit n set = signal n+1.
    SigSet(u32),
    /// `DYN`: the index byte and the bytes after it. Decode them with [`decode_dyn`], which
    /// needs the parameter's [`ParamInfo`] to know the alternative's type.
    Dyn {
        /// Index into the parameter's dynamic table.
        index: u8,
        /// The payload after the index byte.
        bytes: &'a [u8],
    },
    /// `CHARBUFARRAY`, `CHARBUF_PAIR_ARRAY`: undecoded (in kernel captures these held
    /// pointers into library memory).
    CharBufArray(&'a [u8]),
}

impl<'a> ParamValue<'a> {
    /// True for [`ParamValue::Empty`].
    pub fn is_empty(&self) -> bool {
        matches!(self, ParamValue::Empty)
    }

    /// True for [`ParamValue::Raw`].
    pub fn is_raw(&self) -> bool {
        matches!(self, ParamValue::Raw(_))
    }

    /// The signed kinds (`Int`, `Errno`, `Fd`, `Pid`) as an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ParamValue::Int(v) | ParamValue::Errno(v) | ParamValue::Fd(v) | ParamValue::Pid(v) => {
                Some(v)
            }
            _ => None,
        }
    }

    /// The unsigned numeric kinds as a u64 (ids, times, ports, flags, modes, uids...).
    pub fn as_u64(&self) -> Option<u64> {
        use ParamValue as V;
        Some(match *self {
            V::Uint(v) | V::RelTime(v) | V::AbsTime(v) => v,
            V::SyscallId(v) | V::Port(v) => u64::from(v),
            V::SigType(v) | V::L4Proto(v) | V::SockFamily(v) => u64::from(v),
            V::Flags { bits: v, .. }
            | V::Enum { value: v, .. }
            | V::Mode(v)
            | V::Uid(v)
            | V::Gid(v)
            | V::SigSet(v) => u64::from(v),
            V::Bool(b) => u64::from(b),
            _ => return None,
        })
    }

    /// The byte kinds (`Str`, `Bytes`, `CharBufArray`, `Raw`) as a slice.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            ParamValue::Str(b)
            | ParamValue::Bytes(b)
            | ParamValue::CharBufArray(b)
            | ParamValue::Raw(b) => Some(b),
            _ => None,
        }
    }
}

/// Decode one parameter payload as type `ty`. Never fails: see the module docs.
#[inline]
pub fn decode(ty: ParamType, bytes: &[u8]) -> ParamValue<'_> {
    if bytes.is_empty() {
        return ParamValue::Empty;
    }
    decode_typed(ty, bytes).unwrap_or(ParamValue::Raw(bytes))
}

/// `None` means "does not fit `ty`"; the caller turns that into `Raw`.
#[inline]
fn decode_typed(ty: ParamType, b: &[u8]) -> Option<ParamValue<'_>> {
    use ParamType as T;
    use ParamValue as V;
    Some(match ty {
        T::Int8 => V::Int(i64::from(i8::from_le_bytes(exact(b)?))),
        T::Int16 => V::Int(i64::from(i16::from_le_bytes(exact(b)?))),
        T::Int32 => V::Int(i64::from(i32::from_le_bytes(exact(b)?))),
        T::Int64 => V::Int(i64::from_le_bytes(exact(b)?)),
        T::Uint8 => V::Uint(u64::from(u8::from_le_bytes(exact(b)?))),
        T::Uint16 => V::Uint(u64::from(u16::from_le_bytes(exact(b)?))),
        T::Uint32 => V::Uint(u64::from(u32::from_le_bytes(exact(b)?))),
        T::Uint64 => V::Uint(u64::from_le_bytes(exact(b)?)),
        T::Charbuf | T::Fspath | T::Fsrelpath => V::Str(until_nul(b)),
        T::Bytebuf => V::Bytes(b),
        T::Errno => V::Errno(i64::from_le_bytes(exact(b)?)),
        T::Sockaddr => V::SockAddr(SockAddr::decode(b)?),
        T::Socktuple => V::SockTuple(SockTuple::decode(b)?),
        T::Fd => V::Fd(i64::from_le_bytes(exact(b)?)),
        T::Fd32 => V::Fd(i64::from(i32::from_le_bytes(exact(b)?))),
        T::Pid => V::Pid(i64::from_le_bytes(exact(b)?)),
        T::Pid32 => V::Pid(i64::from(i32::from_le_bytes(exact(b)?))),
        T::Fdlist => V::FdList(FdListIter::decode(b)?),
        T::Syscallid => V::SyscallId(u16::from_le_bytes(exact(b)?)),
        T::Sigtype => V::SigType(u8::from_le_bytes(exact(b)?)),
        T::Reltime => V::RelTime(u64::from_le_bytes(exact(b)?)),
        T::Abstime => V::AbsTime(u64::from_le_bytes(exact(b)?)),
        T::Port => V::Port(u16::from_le_bytes(exact(b)?)),
        T::L4proto => V::L4Proto(u8::from_le_bytes(exact(b)?)),
        T::Sockfamily => V::SockFamily(u8::from_le_bytes(exact(b)?)),
        T::Bool => V::Bool(u32::from_le_bytes(exact(b)?) != 0),
        T::Ipv4addr => V::Ipv4(exact(b)?),
        T::Ipv6addr => V::Ipv6(exact(b)?),
        T::Ipaddr => match b.len() {
            4 => V::Ipv4(exact(b)?),
            16 => V::Ipv6(exact(b)?),
            _ => return None,
        },
        T::Flags8 => V::Flags {
            bits: u32::from(u8::from_le_bytes(exact(b)?)),
            width: 1,
        },
        T::Flags16 => V::Flags {
            bits: u32::from(u16::from_le_bytes(exact(b)?)),
            width: 2,
        },
        T::Flags32 => V::Flags {
            bits: u32::from_le_bytes(exact(b)?),
            width: 4,
        },
        T::Enumflags8 => V::Enum {
            value: u32::from(u8::from_le_bytes(exact(b)?)),
            width: 1,
        },
        T::Enumflags16 => V::Enum {
            value: u32::from(u16::from_le_bytes(exact(b)?)),
            width: 2,
        },
        T::Enumflags32 => V::Enum {
            value: u32::from_le_bytes(exact(b)?),
            width: 4,
        },
        T::Mode => V::Mode(u32::from_le_bytes(exact(b)?)),
        T::Uid => V::Uid(u32::from_le_bytes(exact(b)?)),
        T::Gid => V::Gid(u32::from_le_bytes(exact(b)?)),
        T::Double => V::Double(f64::from_le_bytes(exact(b)?)),
        T::Sigset => V::SigSet(u32::from_le_bytes(exact(b)?)),
        T::Dyn => {
            let (&index, bytes) = b.split_first()?;
            V::Dyn { index, bytes }
        }
        T::Charbufarray | T::CharbufPairArray => V::CharBufArray(b),
        // No on-disk encoding: filter-side network types, and NONE with a payload.
        T::None | T::Ipv4net | T::Ipv6net | T::Ipnet => return None,
    })
}

/// Decode the inside of a `DYN` parameter: look `index` up in `info`'s dynamic table and decode
/// `bytes` as that alternative's type. `None` if `info` is not a `DYN` parameter or the index
/// is out of range (sysdig prints `INVALID DYNAMIC PARAMETER`).
pub fn decode_dyn<'a>(
    info: &ParamInfo,
    index: u8,
    bytes: &'a [u8],
) -> Option<(&'static DynParam, ParamValue<'a>)> {
    let ParamExtra::Dyn(alts) = info.info else {
        return None;
    };
    let alt = alts.get(usize::from(index))?;
    Some((alt, decode(alt.ty, bytes)))
}

/// The exact-size array of a fixed-size type; `None` for any other length (how [`decode`]
/// reads numbers: a payload of another size is not that number).
#[inline]
pub fn exact<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

/// The bytes before the first NUL, or all of them (how [`decode`] reads strings).
#[inline]
pub fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => b.get(..n).unwrap_or(b),
        None => b,
    }
}

#[inline]
fn split_u16(b: &[u8]) -> Option<(u16, &[u8])> {
    let (v, rest) = b.split_first_chunk::<2>()?;
    Some((u16::from_le_bytes(*v), rest))
}

#[inline]
fn split_u64(b: &[u8]) -> Option<(u64, &[u8])> {
    let (v, rest) = b.split_first_chunk::<8>()?;
    Some((u64::from_le_bytes(*v), rest))
}

#[inline]
fn split_i64(b: &[u8]) -> Option<(i64, &[u8])> {
    let (v, rest) = b.split_first_chunk::<8>()?;
    Some((i64::from_le_bytes(*v), rest))
}

impl<'a> Event<'a> {
    /// Parameter `i` decoded by the current table, with its schema. `None` if the event has
    /// fewer parameters, or the table does not know the code or declares fewer parameters
    /// (extra parameters from a newer writer have no schema).
    pub fn value(&self, i: usize) -> Option<(&'static ParamInfo, ParamValue<'a>)> {
        self.value_in(table::CURRENT, i)
    }

    /// Like [`Event::value`], decoded by `table` (e.g. [`table::SYSDIG_0_29`] to match sysdig
    /// 0.29.3).
    pub fn value_in(
        &self,
        table: &Table,
        i: usize,
    ) -> Option<(&'static ParamInfo, ParamValue<'a>)> {
        let info = table.event(self.event_type())?.params.get(i)?;
        let bytes = self.param(i)?;
        Some((info, decode(info.ty, bytes)))
    }

    /// Every parameter that both the event and the current table have, decoded, in order.
    pub fn values(&self) -> Values<'a> {
        self.values_in(table::CURRENT)
    }

    /// Like [`Event::values`], decoded by `table`.
    pub fn values_in(&self, table: &Table) -> Values<'a> {
        let infos = table.event(self.event_type()).map_or(&[][..], |e| e.params);
        Values {
            infos: infos.iter(),
            params: self.params(),
        }
    }
}

/// Iterator over `(schema, value)` pairs; see [`Event::values`].
#[derive(Debug, Clone)]
pub struct Values<'a> {
    infos: std::slice::Iter<'static, ParamInfo>,
    params: Params<'a>,
}

impl<'a> Iterator for Values<'a> {
    type Item = (&'static ParamInfo, ParamValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let info = self.infos.next()?;
        let bytes = self.params.next()?;
        Some((info, decode(info.ty, bytes)))
    }
}
