//! The parameters the parsers read, found by a position worked out once per event code
//! instead of by comparing names on every event.

use scap::param::{decode, ParamValue};
use scap::table::{EventInfo, ParamType};
use scap::Event;

macro_rules! keys {
    ($($key:ident = $name:literal,)*) => {
        /// A parameter some parser reads, named as the event table names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub(super) enum Key {
            $(#[doc = $name] $key,)*
        }

        /// The table's name of each [`Key`], in declaration order.
        const NAMES: &[&str] = &[$($name,)*];

        /// The key named `name`.
        fn key_of(name: &str) -> Option<Key> {
            match name {
                $($name => Some(Key::$key),)*
                _ => None,
            }
        }
    };
}

keys! {
    Res = "res",
    Fd = "fd",
    Fd1 = "fd1",
    Fd2 = "fd2",
    Oldfd = "oldfd",
    Dirfd = "dirfd",
    Name = "name",
    Path = "path",
    Flags = "flags",
    Ino = "ino",
    Domain = "domain",
    Type = "type",
    Proto = "proto",
    Tuple = "tuple",
    Addr = "addr",
    Cmd = "cmd",
    Uid = "uid",
    Euid = "euid",
    Gid = "gid",
    Egid = "egid",
    Tid = "tid",
    Pid = "pid",
    Ptid = "ptid",
    Vtid = "vtid",
    Vpid = "vpid",
    Vpgid = "vpgid",
    Cwd = "cwd",
    Exe = "exe",
    Args = "args",
    Comm = "comm",
    Cgroups = "cgroups",
    Env = "env",
    Fdlimit = "fdlimit",
    Tty = "tty",
    Loginuid = "loginuid",
    PidnsInitStartTs = "pidns_init_start_ts",
    TrustedExepath = "trusted_exepath",
    Filename = "filename",
    CapInheritable = "cap_inheritable",
    CapPermitted = "cap_permitted",
    CapEffective = "cap_effective",
    ExeIno = "exe_ino",
    ExeInoCtime = "exe_ino_ctime",
    ExeInoMtime = "exe_ino_mtime",
    Json = "json",
    Id = "id",
    Image = "image",
}

/// Marks a [`Key`] that an event code does not have.
const ABSENT: u8 = u8::MAX;

/// Where each [`Key`] sits among one event code's parameters.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    info: Option<&'static EventInfo>,
    at: [u8; NAMES.len()],
}

impl Layout {
    /// The layout of `info`'s parameters (none for an unknown code).
    pub(super) fn of(info: Option<&'static EventInfo>) -> Layout {
        let mut at = [ABSENT; NAMES.len()];
        if let Some(info) = info {
            // The first parameter of a name wins (the table names each once).
            for (i, p) in info.params.iter().enumerate().rev() {
                if let Some(slot) = key_of(p.name).and_then(|k| at.get_mut(k as usize)) {
                    *slot = u8::try_from(i).unwrap_or(ABSENT);
                }
            }
        }
        Layout { info, at }
    }

    /// Index of `key` among the parameters, and its schema type.
    #[inline]
    fn find(&self, key: Key) -> Option<(usize, ParamType)> {
        let i = *self.at.get(key as usize)?;
        if i == ABSENT {
            return None;
        }
        let i = usize::from(i);
        Some((i, self.info?.params.get(i)?.ty))
    }

    /// Payload of parameter `key` of `p` (an event of this layout's code) and its type; none
    /// when the event lacks it or it is empty.
    #[inline]
    pub(super) fn raw<'a>(&self, p: &Split<'a>, key: Key) -> Option<Raw<'a>> {
        let (i, ty) = self.find(key)?;
        let b = p.get(i)?;
        (!b.is_empty()).then_some(Raw(ty, b))
    }
}

/// A non-empty parameter payload and its schema type.
#[derive(Debug, Clone, Copy)]
pub(super) struct Raw<'a>(ParamType, &'a [u8]);

impl<'a> Raw<'a> {
    /// Decoded.
    #[inline]
    pub(super) fn value(self) -> ParamValue<'a> {
        decode(self.0, self.1)
    }

    /// As a signed number, as `ParamValue::as_i64` or else `as_u64` reads it.
    #[inline]
    pub(super) fn int(self) -> Option<i64> {
        match self.0 {
            // The usual results and fds, read without the decoder.
            ParamType::Int64 | ParamType::Errno | ParamType::Fd | ParamType::Pid => {
                Some(i64::from_le_bytes(self.1.try_into().ok()?))
            }
            _ => {
                let v = self.value();
                v.as_i64().or_else(|| v.as_u64().map(|u| u as i64))
            }
        }
    }

    /// As an unsigned number, as `ParamValue::as_u64` or else `as_i64` reads it.
    #[inline]
    pub(super) fn uint(self) -> Option<u64> {
        use ParamType as T;
        match self.0 {
            // Unsigned kinds of a fixed width, read without the decoder (a payload of another
            // width decodes as raw bytes: no number).
            T::Uint64 => Some(u64::from_le_bytes(self.1.try_into().ok()?)),
            T::Uint32 | T::Flags32 | T::Enumflags32 | T::Mode | T::Uid | T::Gid => {
                Some(u64::from(u32::from_le_bytes(self.1.try_into().ok()?)))
            }
            T::Uint16 | T::Flags16 | T::Enumflags16 => {
                Some(u64::from(u16::from_le_bytes(self.1.try_into().ok()?)))
            }
            T::Uint8 | T::Flags8 | T::Enumflags8 => {
                Some(u64::from(u8::from_le_bytes(self.1.try_into().ok()?)))
            }
            _ => {
                let v = self.value();
                v.as_u64().or_else(|| v.as_i64().map(|i| i as u64))
            }
        }
    }

    /// As bytes (strings up to their NUL), as `ParamValue::as_bytes` reads it.
    #[inline]
    pub(super) fn bytes(self) -> Option<&'a [u8]> {
        match self.0 {
            // What the decoder makes of a string, with memchr for the NUL (paths are long).
            ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath => Some(
                memchr::memchr(0, self.1).map_or(self.1, |n| self.1.get(..n).unwrap_or(self.1)),
            ),
            _ => self.value().as_bytes(),
        }
    }
}

/// The parameters of one event, found in one walk of its length array (up to the most any
/// code has: the layouts point at no parameter past those).
#[derive(Debug, Clone)]
pub(super) struct Split<'a> {
    data: &'a [u8],
    /// Parameter `i` is `data[ends[i]..ends[i + 1]]`.
    ends: [u32; MAX_PARAMS + 1],
    n: usize,
}

const MAX_PARAMS: usize = scap::table::MAX_PARAMS;

impl<'a> Split<'a> {
    /// The parameters of `ev`.
    #[inline]
    pub(super) fn of_event(ev: &Event<'a>) -> Split<'a> {
        let lens_at = if ev.is_v1() {
            scap::event::HEADER_V1_LEN
        } else {
            scap::event::HEADER_LEN
        };
        Split::new(ev.raw(), lens_at, ev.len_width(), ev.nparams())
    }

    /// The parameters of the event bytes `raw`, whose `n` lengths, `width` bytes each,
    /// start at `lens_at`. A length array that does not fit gives no parameters.
    pub(super) fn new(raw: &'a [u8], lens_at: usize, width: usize, n: usize) -> Split<'a> {
        let mut split = Split {
            data: &[],
            ends: [0; MAX_PARAMS + 1],
            n: 0,
        };
        let Some(data_at) = n.checked_mul(width).and_then(|l| l.checked_add(lens_at)) else {
            return split;
        };
        let (Some(lens), Some(data)) = (raw.get(lens_at..data_at), raw.get(data_at..)) else {
            return split;
        };
        let mut end = 0u32;
        let mut count = 0;
        for (len, slot) in lens
            .chunks_exact(width.max(1))
            .zip(split.ends.iter_mut().skip(1))
        {
            let len = match *len {
                [a, b] => u32::from(u16::from_le_bytes([a, b])),
                [a, b, c, d] => u32::from_le_bytes([a, b, c, d]),
                _ => break,
            };
            end = end.saturating_add(len);
            *slot = end;
            count += 1;
        }
        split.data = data;
        split.n = count;
        split
    }

    /// Payload of parameter `i`.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.n {
            return None;
        }
        let start = *self.ends.get(i)? as usize;
        let end = *self.ends.get(i + 1)? as usize;
        self.data.get(start..end)
    }
}

/// Payload of parameter `i` of the event bytes `raw`, whose `n` parameter lengths, `width`
/// bytes each, start at `lens_at`.
pub(super) fn param_at(
    raw: &[u8],
    lens_at: usize,
    width: usize,
    n: usize,
    i: usize,
) -> Option<&[u8]> {
    if i >= n {
        return None;
    }
    let data_at = lens_at.checked_add(n.checked_mul(width)?)?;
    let lens = raw.get(lens_at..data_at)?;
    let len_of = |k: usize| -> Option<usize> {
        if width == 4 {
            let b = lens.get(k * 4..k * 4 + 4)?;
            Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
        } else {
            let b = lens.get(k * 2..k * 2 + 2)?;
            Some(usize::from(u16::from_le_bytes(b.try_into().ok()?)))
        }
    };
    let mut start = data_at;
    for k in 0..i {
        start = start.checked_add(len_of(k)?)?;
    }
    raw.get(start..start.checked_add(len_of(i)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_reads_as_the_decoder_does() {
        // Every parameter type of the table, with payloads of every small length.
        let mut types: Vec<ParamType> = Vec::new();
        for e in scap::table::CURRENT.events {
            for p in e.params {
                if !types.contains(&p.ty) {
                    types.push(p.ty);
                }
            }
        }
        let bytes: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let mut with_nul = bytes.clone();
        with_nul[5] = 0;
        for ty in types {
            for len in 1..=18 {
                for src in [&bytes, &with_nul] {
                    let b = &src[..len];
                    let v = decode(ty, b);
                    let raw = Raw(ty, b);
                    let int = v.as_i64().or_else(|| v.as_u64().map(|u| u as i64));
                    let uint = v.as_u64().or_else(|| v.as_i64().map(|i| i as u64));
                    assert_eq!(raw.int(), int, "{ty:?} {len}");
                    assert_eq!(raw.uint(), uint, "{ty:?} {len}");
                    assert_eq!(raw.bytes(), v.as_bytes(), "{ty:?} {len}");
                }
            }
        }
    }

    #[test]
    fn split_finds_every_parameter() {
        // 3 parameters of lengths 2, 0 and 3, with 2- and 4-byte lengths.
        for width in [2usize, 4] {
            let mut raw = vec![0xEE; 26];
            for len in [2u32, 0, 3] {
                raw.extend_from_slice(&len.to_le_bytes()[..width]);
            }
            raw.extend_from_slice(b"abxyz");
            let split = Split::new(&raw, 26, width, 3);
            assert_eq!(split.get(0), Some(&b"ab"[..]));
            assert_eq!(split.get(1), Some(&b""[..]));
            assert_eq!(split.get(2), Some(&b"xyz"[..]));
            assert_eq!(split.get(3), None);
            for i in 0..3 {
                assert_eq!(param_at(&raw, 26, width, 3, i), split.get(i));
            }
            // A length array running past the event gives no parameters.
            assert_eq!(Split::new(&raw, 26, width, 100).get(0), None);
        }
    }

    #[test]
    fn names_are_distinct_and_known() {
        for (i, n) in NAMES.iter().enumerate() {
            assert!(!NAMES[..i].contains(n), "{n} twice");
            let known = scap::table::CURRENT
                .events
                .iter()
                .any(|e| e.params.iter().any(|p| p.name == *n));
            assert!(known, "no event has a parameter {n}");
            assert_eq!(key_of(n).map(|k| k as usize), Some(i));
        }
    }
}
