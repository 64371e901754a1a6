//! User list blocks (`UL`, `UL_V2`): users and groups.

use super::{put_entry, put_str, read_str, short_entry, split_entry, Entries, MAX_CREDENTIAL_LEN};
use crate::block::id;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::frame::{write_block, PutLe};

const V2_SHORT: &str = "user list: entry length smaller than its fields";

/// Entry types (`USERBLOCK_TYPE_*`).
const USER: u8 = 0;
const GROUP: u8 = 1;

/// A user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserInfo<'a> {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: &'a [u8],
    /// Home directory.
    pub homedir: &'a [u8],
    /// Login shell.
    pub shell: &'a [u8],
}

/// A group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupInfo<'a> {
    /// Group id.
    pub gid: u32,
    /// Group name.
    pub name: &'a [u8],
}

/// One entry of a user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserEntry<'a> {
    /// Type 0.
    User(UserInfo<'a>),
    /// Type 1.
    Group(GroupInfo<'a>),
}

/// The entries of a user list block.
#[derive(Debug, Clone)]
pub struct UserIter<'a> {
    entries: Entries<'a>,
    v2: bool,
}

impl<'a> UserIter<'a> {
    pub(crate) fn new(cur: Cursor<'a>, ty: u32, v2: bool) -> UserIter<'a> {
        UserIter {
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

impl<'a> Iterator for UserIter<'a> {
    type Item = Result<UserEntry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let v2 = self.v2;
        self.entries.next_with(|cur| {
            if !v2 {
                return decode(cur);
            }
            let (mut entry, at) = split_entry(cur, true, V2_SHORT)?;
            decode(&mut entry).map_err(|e| short_entry(e, at, V2_SHORT))
        })
    }
}

impl std::iter::FusedIterator for UserIter<'_> {}

fn decode<'a>(cur: &mut Cursor<'a>) -> Result<UserEntry<'a>> {
    let at = cur.offset();
    match cur.read_u8()? {
        USER => Ok(UserEntry::User(UserInfo {
            uid: cur.read_u32()?,
            gid: cur.read_u32()?,
            name: read_str(cur, MAX_CREDENTIAL_LEN, "user list: user name too long")?,
            homedir: read_str(
                cur,
                MAX_CREDENTIAL_LEN,
                "user list: home directory too long",
            )?,
            shell: read_str(cur, MAX_CREDENTIAL_LEN, "user list: shell too long")?,
        })),
        GROUP => Ok(UserEntry::Group(GroupInfo {
            gid: cur.read_u32()?,
            name: read_str(cur, MAX_CREDENTIAL_LEN, "user list: group name too long")?,
        })),
        _ => Err(Error::corrupt("user list: unknown entry type", at)),
    }
}

fn encode(out: &mut Vec<u8>, e: &UserEntry<'_>) -> Result<()> {
    put_entry(out, true, |o| {
        match e {
            UserEntry::User(u) => {
                o.put_u8(USER);
                o.put_u32(u.uid);
                o.put_u32(u.gid);
                put_str(
                    o,
                    u.name,
                    MAX_CREDENTIAL_LEN,
                    "user list: user name too long",
                )?;
                put_str(
                    o,
                    u.homedir,
                    MAX_CREDENTIAL_LEN,
                    "user list: home directory too long",
                )?;
                put_str(o, u.shell, MAX_CREDENTIAL_LEN, "user list: shell too long")?;
            }
            UserEntry::Group(g) => {
                o.put_u8(GROUP);
                o.put_u32(g.gid);
                put_str(
                    o,
                    g.name,
                    MAX_CREDENTIAL_LEN,
                    "user list: group name too long",
                )?;
            }
        }
        Ok(())
    })
}

/// Append a `UL_V2` block with `entries`. Strings of 256 bytes or more are refused (the
/// reader's limit), appending nothing.
pub fn write_user_list<'u, 'a: 'u>(
    out: &mut Vec<u8>,
    entries: impl IntoIterator<Item = &'u UserEntry<'a>>,
) -> Result<()> {
    write_block(out, id::UL_V2, |o| {
        entries.into_iter().try_for_each(|e| encode(o, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::meta::testutil::*;
    use crate::meta::{parse, Meta};

    fn users(data: &[u8], base: u64) -> (u8, Vec<Result<UserEntry<'_>>>) {
        let Meta::Users(it) = parse(&block(data, base)).unwrap() else {
            panic!("not a UL block")
        };
        (it.version(), it.collect())
    }

    fn samples() -> Vec<(B, UserEntry<'static>)> {
        vec![
            (
                B::default()
                    .u8(0)
                    .u32(0)
                    .u32(0)
                    .s(b"root")
                    .s(b"/root")
                    .s(b"/bin/bash"),
                UserEntry::User(UserInfo {
                    uid: 0,
                    gid: 0,
                    name: b"root",
                    homedir: b"/root",
                    shell: b"/bin/bash",
                }),
            ),
            (
                B::default().u8(1).u32(27).s(b"sudo"),
                UserEntry::Group(GroupInfo {
                    gid: 27,
                    name: b"sudo",
                }),
            ),
            (
                B::default()
                    .u8(0)
                    .u32(65534)
                    .u32(65534)
                    .s(b"")
                    .s(b"")
                    .s(b""),
                UserEntry::User(UserInfo {
                    uid: 65534,
                    gid: 65534,
                    name: b"",
                    homedir: b"",
                    shell: b"",
                }),
            ),
        ]
    }

    #[test]
    fn v1_and_v2() {
        for (v2, ty) in [(false, id::UL), (false, id::UL_INT), (true, id::UL_V2)] {
            let mut body = B::default();
            for (b, _) in samples() {
                body = body.bytes(&if v2 { b.entry(true) } else { b }.0);
            }
            let data = frame(ty, &body.0);
            let (ver, got) = users(&data, 0);
            assert_eq!(ver, if v2 { 2 } else { 1 });
            let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
            let want: Vec<_> = samples().into_iter().map(|(_, e)| e).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn errors() {
        let data = frame(id::UL, &B::default().u8(2).u32(0).0);
        let e = users(&data, 8).1.remove(0).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::Corrupt("user list: unknown entry type")
        );
        assert_eq!(e.offset().0, 16);
        assert_eq!(e.block_type(), Some(id::UL));
        // 256-byte shell: too long (even though the writer side of libs allows it).
        let b = B::default()
            .u8(0)
            .u32(1)
            .u32(1)
            .s(b"a")
            .s(b"b")
            .s(&[b's'; 256]);
        let data = frame(id::UL, &b.0);
        let e = users(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Corrupt("user list: shell too long"));
        assert_eq!(e.offset().0, 8 + 9 + 3 + 3);
        // Truncated group name.
        let data = frame(id::UL, &B::default().u8(1).u32(1).u16(50).bytes(b"abc").0);
        let e = users(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        assert_eq!(e.offset().0, 8 + 7);
        // v2 length too small.
        let mut e = samples().remove(1).0.entry(true).0;
        e[..4].copy_from_slice(&8u32.to_le_bytes());
        let data = frame(id::UL_V2, &e);
        let e = users(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Corrupt(V2_SHORT));
        assert_eq!(e.offset().0, 8);
    }

    #[test]
    fn encode_round_trip() {
        let list: Vec<_> = samples().into_iter().map(|(_, e)| e).collect();
        let mut out = Vec::new();
        write_user_list(&mut out, &list).unwrap();
        let (ver, got) = users(&out, 0);
        assert_eq!(ver, 2);
        assert_eq!(
            got.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            list
        );
        let long = [b'x'; 256];
        let bad = UserEntry::Group(GroupInfo {
            gid: 1,
            name: &long,
        });
        let mut out = Vec::new();
        assert!(write_user_list(&mut out, [&bad]).is_err());
        assert!(out.is_empty());
    }
}
