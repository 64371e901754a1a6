//! Process list blocks (`PL_V1` … `PL_V9`): one entry per thread.

use super::{put_entry, put_str, read_str, short_entry, split_entry, Entries};
use super::{MAX_ARGS_LEN, MAX_PATH_LEN};
use crate::block::id;
use crate::cursor::Cursor;
use crate::error::Result;
use crate::frame::{write_block, PutLe};

/// Bytes of `loginuid … cap_effective`: if no more than this is left after `root`, a V9
/// entry comes from a pre-0.10 writer that had not yet inserted `pidns_init_start_ts`/`tty`.
const PRE_0_10_TAIL: usize = 4 + 1 + 8 + 8 + 8;

const V9_SHORT: &str = "process list: entry length smaller than its fields";

/// One thread of a process list, any version. Fields a version lacks hold the defaults
/// libscap uses (see [`ThreadInfo::default`]).
///
/// Strings are the raw bytes from the file; `args`, `env` and `cgroups` are NUL-separated
/// lists (a trailing NUL may or may not be present).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadInfo<'a> {
    /// Thread id.
    pub tid: u64,
    /// Process id (thread group leader).
    pub pid: u64,
    /// Parent thread id.
    pub ptid: u64,
    /// Session id (V6+; −1 when absent).
    pub sid: i64,
    /// Process group id in the pid namespace (V8+; −1 when absent).
    pub vpgid: i64,
    /// Command name.
    pub comm: &'a [u8],
    /// `argv[0]`.
    pub exe: &'a [u8],
    /// Full executable path (V7+).
    pub exepath: &'a [u8],
    /// Arguments, NUL-separated.
    pub args: &'a [u8],
    /// Working directory.
    pub cwd: &'a [u8],
    /// Fd limit.
    pub fdlimit: u64,
    /// `PPM_CL_*` thread flags.
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Virtual memory size in KiB (V2+).
    pub vmsize_kb: u32,
    /// Resident set size in KiB (V2+).
    pub vmrss_kb: u32,
    /// Swapped memory in KiB (V2+).
    pub vmswap_kb: u32,
    /// Major page faults (V2+).
    pub pfmajor: u64,
    /// Minor page faults (V2+).
    pub pfminor: u64,
    /// Environment, NUL-separated (V3+).
    pub env: &'a [u8],
    /// Thread id in its pid namespace (V4+; −1 when absent).
    pub vtid: i64,
    /// Process id in its pid namespace (V4+; −1 when absent).
    pub vpid: i64,
    /// Cgroups as NUL-separated `subsystem=path` items (V4+).
    pub cgroups: &'a [u8],
    /// Root directory (V5+).
    pub root: &'a [u8],
    /// Start time of the pid namespace's init (V9 tail, libs ≥ 0.10).
    pub pidns_init_start_ts: u64,
    /// Controlling terminal (V9 tail, libs ≥ 0.10).
    pub tty: u32,
    /// Audit login uid (V9 tail; 0xFFFFFFFF when absent).
    pub loginuid: u32,
    /// The executable is writable by the user (V9 tail).
    pub exe_writable: bool,
    /// Inheritable capabilities (V9 tail).
    pub cap_inheritable: u64,
    /// Permitted capabilities (V9 tail).
    pub cap_permitted: u64,
    /// Effective capabilities (V9 tail).
    pub cap_effective: u64,
    /// The executable lives in an overlayfs upper layer (V9 tail).
    pub exe_upper_layer: bool,
    /// Inode of the executable (V9 tail).
    pub exe_ino: u64,
    /// ctime of the executable's inode (V9 tail).
    pub exe_ino_ctime: u64,
    /// mtime of the executable's inode (V9 tail).
    pub exe_ino_mtime: u64,
    /// The executable was run from a memfd (V9 tail).
    pub exe_from_memfd: bool,
    /// The executable lives in an overlayfs lower layer (V9 tail).
    pub exe_lower_layer: bool,
    /// Process group id (V9 tail; −1 when absent).
    pub pgid: i64,
}

impl Default for ThreadInfo<'_> {
    /// Everything 0 or empty except the ids libscap defaults to −1 (`sid`, `vpgid`, `vtid`,
    /// `vpid`, `pgid`) and `loginuid` (0xFFFFFFFF).
    fn default() -> Self {
        ThreadInfo {
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            comm: b"",
            exe: b"",
            exepath: b"",
            args: b"",
            cwd: b"",
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: b"",
            vtid: -1,
            vpid: -1,
            cgroups: b"",
            root: b"",
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: u32::MAX,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
            pgid: -1,
        }
    }
}

/// The threads of a process list block.
#[derive(Debug, Clone)]
pub struct ThreadIter<'a> {
    entries: Entries<'a>,
    version: u8,
}

impl<'a> ThreadIter<'a> {
    pub(crate) fn new(cur: Cursor<'a>, ty: u32, version: u8) -> ThreadIter<'a> {
        ThreadIter {
            entries: Entries::new(cur, ty),
            version,
        }
    }

    /// Block version, 1–9.
    pub fn version(&self) -> u8 {
        self.version
    }
}

impl<'a> Iterator for ThreadIter<'a> {
    type Item = Result<ThreadInfo<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let v = self.version;
        self.entries.next_with(|cur| {
            if v < 9 {
                return decode(cur, v);
            }
            let (mut entry, at) = split_entry(cur, true, V9_SHORT)?;
            decode(&mut entry, v).map_err(|e| short_entry(e, at, V9_SHORT))
        })
    }
}

impl std::iter::FusedIterator for ThreadIter<'_> {}

/// Read a `u64` if it fits in what is left of the entry.
fn opt_u64(cur: &mut Cursor<'_>) -> Result<Option<u64>> {
    if cur.remaining() >= 8 {
        cur.read_u64().map(Some)
    } else {
        Ok(None)
    }
}

fn opt_u32(cur: &mut Cursor<'_>) -> Result<Option<u32>> {
    if cur.remaining() >= 4 {
        cur.read_u32().map(Some)
    } else {
        Ok(None)
    }
}

fn opt_bool(cur: &mut Cursor<'_>) -> Result<Option<bool>> {
    if cur.remaining() >= 1 {
        cur.read_u8().map(|b| Some(b != 0))
    } else {
        Ok(None)
    }
}

/// Decode one entry of version `v`; for V9, `cur` holds exactly the entry (after its length).
fn decode<'a>(cur: &mut Cursor<'a>, v: u8) -> Result<ThreadInfo<'a>> {
    let mut t = ThreadInfo {
        tid: cur.read_u64()?,
        pid: cur.read_u64()?,
        ptid: cur.read_u64()?,
        ..ThreadInfo::default()
    };
    if v >= 6 {
        t.sid = cur.read_i64()?;
    }
    if v >= 8 {
        t.vpgid = cur.read_i64()?;
    }
    t.comm = read_str(cur, MAX_PATH_LEN, "process list: comm too long")?;
    t.exe = read_str(cur, MAX_PATH_LEN, "process list: exe too long")?;
    if v >= 7 {
        t.exepath = read_str(cur, MAX_PATH_LEN, "process list: exepath too long")?;
    }
    t.args = read_str(cur, MAX_ARGS_LEN, "process list: args too long")?;
    t.cwd = read_str(cur, MAX_PATH_LEN, "process list: cwd too long")?;
    t.fdlimit = cur.read_u64()?;
    t.flags = cur.read_u32()?;
    t.uid = cur.read_u32()?;
    t.gid = cur.read_u32()?;
    if v >= 2 {
        t.vmsize_kb = cur.read_u32()?;
        t.vmrss_kb = cur.read_u32()?;
        t.vmswap_kb = cur.read_u32()?;
        t.pfmajor = cur.read_u64()?;
        t.pfminor = cur.read_u64()?;
    }
    if v >= 3 {
        t.env = read_str(cur, MAX_ARGS_LEN, "process list: env too long")?;
    }
    if v >= 4 {
        t.vtid = cur.read_i64()?;
        t.vpid = cur.read_i64()?;
        t.cgroups = read_str(cur, MAX_ARGS_LEN, "process list: cgroups too long")?;
    }
    if v >= 5 {
        t.root = read_str(cur, MAX_PATH_LEN, "process list: root too long")?;
    }
    if v >= 9 {
        decode_tail(cur, &mut t)?;
    }
    Ok(t)
}

/// The V9 optional fields: each is read only if it fits in what is left of the entry.
fn decode_tail(cur: &mut Cursor<'_>, t: &mut ThreadInfo<'_>) -> Result<()> {
    if cur.remaining() > PRE_0_10_TAIL {
        if let Some(x) = opt_u64(cur)? {
            t.pidns_init_start_ts = x;
        }
        if let Some(x) = opt_u32(cur)? {
            t.tty = x;
        }
    }
    if let Some(x) = opt_u32(cur)? {
        t.loginuid = x;
    }
    if let Some(x) = opt_bool(cur)? {
        t.exe_writable = x;
    }
    for cap in [
        &mut t.cap_inheritable,
        &mut t.cap_permitted,
        &mut t.cap_effective,
    ] {
        if let Some(x) = opt_u64(cur)? {
            *cap = x;
        }
    }
    if let Some(x) = opt_bool(cur)? {
        t.exe_upper_layer = x;
    }
    for ino in [&mut t.exe_ino, &mut t.exe_ino_ctime, &mut t.exe_ino_mtime] {
        if let Some(x) = opt_u64(cur)? {
            *ino = x;
        }
    }
    if let Some(x) = opt_bool(cur)? {
        t.exe_from_memfd = x;
    }
    if let Some(x) = opt_bool(cur)? {
        t.exe_lower_layer = x;
    }
    if cur.remaining() >= 8 {
        t.pgid = cur.read_i64()?;
    }
    // Anything left is a field from a newer writer: skipped with the entry.
    Ok(())
}

/// Append one `PL_V9` entry with every field, so the pre-0.10 heuristic sees a full tail.
fn encode(out: &mut Vec<u8>, t: &ThreadInfo<'_>) -> Result<()> {
    put_entry(out, true, |o| {
        o.put_u64(t.tid);
        o.put_u64(t.pid);
        o.put_u64(t.ptid);
        o.put_i64(t.sid);
        o.put_i64(t.vpgid);
        put_str(o, t.comm, MAX_PATH_LEN, "process list: comm too long")?;
        put_str(o, t.exe, MAX_PATH_LEN, "process list: exe too long")?;
        put_str(o, t.exepath, MAX_PATH_LEN, "process list: exepath too long")?;
        put_str(o, t.args, MAX_ARGS_LEN, "process list: args too long")?;
        put_str(o, t.cwd, MAX_PATH_LEN, "process list: cwd too long")?;
        o.put_u64(t.fdlimit);
        o.put_u32(t.flags);
        o.put_u32(t.uid);
        o.put_u32(t.gid);
        o.put_u32(t.vmsize_kb);
        o.put_u32(t.vmrss_kb);
        o.put_u32(t.vmswap_kb);
        o.put_u64(t.pfmajor);
        o.put_u64(t.pfminor);
        put_str(o, t.env, MAX_ARGS_LEN, "process list: env too long")?;
        o.put_i64(t.vtid);
        o.put_i64(t.vpid);
        put_str(o, t.cgroups, MAX_ARGS_LEN, "process list: cgroups too long")?;
        put_str(o, t.root, MAX_PATH_LEN, "process list: root too long")?;
        o.put_u64(t.pidns_init_start_ts);
        o.put_u32(t.tty);
        o.put_u32(t.loginuid);
        o.put_u8(u8::from(t.exe_writable));
        o.put_u64(t.cap_inheritable);
        o.put_u64(t.cap_permitted);
        o.put_u64(t.cap_effective);
        o.put_u8(u8::from(t.exe_upper_layer));
        o.put_u64(t.exe_ino);
        o.put_u64(t.exe_ino_ctime);
        o.put_u64(t.exe_ino_mtime);
        o.put_u8(u8::from(t.exe_from_memfd));
        o.put_u8(u8::from(t.exe_lower_layer));
        o.put_i64(t.pgid);
        Ok(())
    })
}

/// Append a `PL_V9` block holding `threads`. Strings over the reader's limits are refused
/// (nothing is appended on error).
pub fn write_proc_list<'t, 'a: 't>(
    out: &mut Vec<u8>,
    threads: impl IntoIterator<Item = &'t ThreadInfo<'a>>,
) -> Result<()> {
    write_block(out, id::PL_V9, |o| {
        threads.into_iter().try_for_each(|t| encode(o, t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::meta::testutil::*;
    use crate::meta::{parse, Meta};

    fn threads(data: &[u8], base: u64) -> (u8, Vec<Result<ThreadInfo<'_>>>) {
        let Meta::Threads(it) = parse(&block(data, base)).unwrap() else {
            panic!("not a PL block")
        };
        (it.version(), it.collect())
    }

    /// Body of one entry of version `v` (without the V9 length), fields numbered so each
    /// is recognisable.
    fn entry(v: u8) -> B {
        let mut b = B::default().u64(100).u64(101).u64(1);
        if v >= 6 {
            b = b.u64(7);
        }
        if v >= 8 {
            b = b.u64(8);
        }
        b = b.s(b"comm").s(b"/bin/exe");
        if v >= 7 {
            b = b.s(b"/usr/bin/exe");
        }
        b = b
            .s(b"a\0b\0")
            .s(b"/cwd")
            .u64(1024)
            .u32(0x10)
            .u32(1000)
            .u32(1001);
        if v >= 2 {
            b = b.u32(11).u32(12).u32(13).u64(14).u64(15);
        }
        if v >= 3 {
            b = b.s(b"HOME=/\0");
        }
        if v >= 4 {
            b = b.u64(5).u64(6).s(b"cpu=/\0");
        }
        if v >= 5 {
            b = b.s(b"/");
        }
        b
    }

    fn check_common(t: &ThreadInfo<'_>, v: u8) {
        assert_eq!((t.tid, t.pid, t.ptid), (100, 101, 1));
        assert_eq!(t.comm, b"comm");
        assert_eq!(t.exe, b"/bin/exe");
        assert_eq!(t.args, b"a\0b\0");
        assert_eq!(t.cwd, b"/cwd");
        assert_eq!((t.fdlimit, t.flags, t.uid, t.gid), (1024, 0x10, 1000, 1001));
        assert_eq!(t.sid, if v >= 6 { 7 } else { -1 });
        assert_eq!(t.vpgid, if v >= 8 { 8 } else { -1 });
        assert_eq!(t.exepath, if v >= 7 { &b"/usr/bin/exe"[..] } else { b"" });
        if v >= 2 {
            assert_eq!((t.vmsize_kb, t.vmrss_kb, t.vmswap_kb), (11, 12, 13));
            assert_eq!((t.pfmajor, t.pfminor), (14, 15));
        } else {
            assert_eq!((t.vmsize_kb, t.pfminor), (0, 0));
        }
        assert_eq!(t.env, if v >= 3 { &b"HOME=/\0"[..] } else { b"" });
        assert_eq!((t.vtid, t.vpid), if v >= 4 { (5, 6) } else { (-1, -1) });
        assert_eq!(t.cgroups, if v >= 4 { &b"cpu=/\0"[..] } else { b"" });
        assert_eq!(t.root, if v >= 5 { &b"/"[..] } else { b"" });
    }

    #[test]
    fn every_version() {
        let ids = [
            (1, id::PL_V1),
            (1, id::PL_V1_INT),
            (2, id::PL_V2),
            (2, id::PL_V2_INT),
            (3, id::PL_V3),
            (3, id::PL_V3_INT),
            (4, id::PL_V4),
            (5, id::PL_V5),
            (6, id::PL_V6),
            (7, id::PL_V7),
            (8, id::PL_V8),
            (9, id::PL_V9),
        ];
        for (v, ty) in ids {
            let one = if v == 9 {
                entry(v).entry(true)
            } else {
                entry(v)
            };
            let body = B::default().bytes(&one.0).bytes(&one.0);
            let data = frame(ty, &body.0);
            let (ver, got) = threads(&data, 0);
            assert_eq!(ver, v);
            assert_eq!(got.len(), 2, "version {v}");
            for t in got {
                let t = t.unwrap();
                check_common(&t, v);
                // No tail: the V9 defaults.
                assert_eq!(t.loginuid, u32::MAX);
                assert_eq!(t.pgid, -1);
                assert!(!t.exe_writable);
            }
        }
    }

    #[test]
    fn v9_full_tail() {
        let b = entry(9)
            .u64(0x1111) // pidns_init_start_ts
            .u32(34816) // tty
            .u32(1000) // loginuid
            .u8(1) // exe_writable
            .u64(1)
            .u64(2)
            .u64(3) // caps
            .u8(1) // exe_upper_layer
            .u64(77)
            .u64(78)
            .u64(79) // ino, ctime, mtime
            .u8(1) // exe_from_memfd
            .u8(1) // exe_lower_layer
            .u64(4242) // pgid
            .bytes(&[9, 9, 9]) // a field from the future
            .entry(true);
        let data = frame(id::PL_V9, &b.0);
        let (_, got) = threads(&data, 0);
        let t = got[0].clone().unwrap();
        check_common(&t, 9);
        assert_eq!(
            (t.pidns_init_start_ts, t.tty, t.loginuid),
            (0x1111, 34816, 1000)
        );
        assert!(t.exe_writable && t.exe_upper_layer && t.exe_from_memfd && t.exe_lower_layer);
        assert_eq!(
            (t.cap_inheritable, t.cap_permitted, t.cap_effective),
            (1, 2, 3)
        );
        assert_eq!((t.exe_ino, t.exe_ino_ctime, t.exe_ino_mtime), (77, 78, 79));
        assert_eq!(t.pgid, 4242);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn v9_pre_0_10_heuristic() {
        // A 2022 writer: loginuid, exe_writable and the capabilities right after root
        // (exactly 29 bytes), no pidns_init_start_ts/tty.
        let b = entry(9).u32(500).u8(1).u64(1).u64(2).u64(3).entry(true);
        let data = frame(id::PL_V9, &b.0);
        let t = threads(&data, 0).1[0].clone().unwrap();
        assert_eq!((t.pidns_init_start_ts, t.tty), (0, 0));
        assert_eq!(t.loginuid, 500);
        assert!(t.exe_writable);
        assert_eq!(
            (t.cap_inheritable, t.cap_permitted, t.cap_effective),
            (1, 2, 3)
        );

        // Older still: loginuid only.
        let b = entry(9).u32(501).entry(true);
        let data = frame(id::PL_V9, &b.0);
        let t = threads(&data, 0).1[0].clone().unwrap();
        assert_eq!((t.loginuid, t.tty), (501, 0));

        // 34 bytes left (> 29): read as the 0.10+ layout (pidns, tty first).
        let b = entry(9)
            .u64(9)
            .u32(10)
            .u32(502)
            .u8(0)
            .u64(1)
            .u64(2)
            .u8(0)
            .entry(true);
        let data = frame(id::PL_V9, &b.0);
        let t = threads(&data, 0).1[0].clone().unwrap();
        assert_eq!((t.pidns_init_start_ts, t.tty, t.loginuid), (9, 10, 502));
        assert_eq!(
            (t.cap_inheritable, t.cap_permitted, t.cap_effective),
            (1, 2, 0)
        );
    }

    #[test]
    fn truncated_entry_reports_offset() {
        // V5 has no entry length: cut right after cwd's length (a multiple of 4, so the
        // block padding does not stand in for the missing bytes).
        let full = entry(5).0;
        let cut_at = 3 * 8 + 6 + 10 + 6 + 2; // ids, comm, exe, args, cwd length
        let data = frame(id::PL_V5, &full[..cut_at]);
        let (_, got) = threads(&data, 4096);
        assert_eq!(got.len(), 1);
        let e = got[0].as_ref().unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        assert_eq!(e.block_type(), Some(id::PL_V5));
        assert_eq!(e.offset().0, 4096 + 8 + cut_at as u64);
        assert_eq!(e.needed(), Some(4));
    }

    #[test]
    fn v9_length_too_small_or_too_large() {
        // Length claims fewer bytes than the mandatory fields take.
        let mut b = entry(9).entry(true).0;
        b[0..4].copy_from_slice(&20u32.to_le_bytes());
        let data = frame(id::PL_V9, &b);
        let e = threads(&data, 0).1.remove(0).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Corrupt(_)));
        assert_eq!(e.offset().0, 8);
        // Length 0, 3 and beyond the block.
        for bad in [0u32, 3, 0xFFFF_FFFF] {
            b[0..4].copy_from_slice(&bad.to_le_bytes());
            let data = frame(id::PL_V9, &b);
            let got = threads(&data, 0).1;
            assert_eq!(got.len(), 1);
            let e = got[0].as_ref().unwrap_err();
            assert_eq!(e.offset().0, 8, "length {bad}");
            assert_eq!(e.block_type(), Some(id::PL_V9));
        }
    }

    #[test]
    fn string_limits() {
        let long = vec![b'a'; MAX_ARGS_LEN + 1];
        let b = B::default().u64(1).u64(1).u64(1).s(b"c").s(b"e").s(&long);
        let data = frame(id::PL_V1, &b.0);
        let e = threads(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Corrupt("process list: args too long"));
        assert_eq!(e.offset().0, 8 + 24 + 3 + 3);
        // 1024 is allowed for paths, 1025 is not.
        let ok = vec![b'p'; MAX_PATH_LEN];
        let b = B::default().u64(1).u64(1).u64(1).s(&ok);
        let data = frame(id::PL_V1, &b.0);
        let e = threads(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Truncated);
        let mut bad = ok.clone();
        bad.push(b'p');
        let b = B::default().u64(1).u64(1).u64(1).s(&bad);
        let data = frame(id::PL_V1, &b.0);
        let e = threads(&data, 0).1.remove(0).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Corrupt("process list: comm too long"));
    }

    #[test]
    fn stops_after_error_and_at_padding() {
        // Fill up to a multiple of 4 with non-zero bytes: fewer than 4 left is padding.
        let mut b = entry(9).u8(0).entry(true).0;
        let fill = (4 - b.len() % 4) % 4;
        assert_ne!(fill, 0);
        b.extend(std::iter::repeat_n(0xFF, fill));
        let data = frame(id::PL_V9, &b);
        assert_eq!(threads(&data, 0).1.len(), 1);
        let mut b = entry(9).entry(true).0;
        b.extend_from_slice(&[0xFF; 4]); // garbage entry
        b.extend_from_slice(&entry(9).entry(true).0);
        let data = frame(id::PL_V9, &b);
        let got = threads(&data, 0).1;
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok() && got[1].is_err());
    }

    #[test]
    fn encode_round_trips_every_version() {
        for (v, ty) in [(1, id::PL_V1), (4, id::PL_V4), (8, id::PL_V8)] {
            let data = frame(ty, &entry(v).0);
            let t = threads(&data, 0).1.remove(0).unwrap();
            let mut out = Vec::new();
            write_proc_list(&mut out, [&t, &t]).unwrap();
            let (ver, back) = threads(&out, 0);
            assert_eq!(ver, 9);
            assert_eq!(back.len(), 2);
            for b in back {
                assert_eq!(b.unwrap(), t);
            }
        }
        let full = ThreadInfo {
            tid: 5,
            pidns_init_start_ts: 1,
            tty: 2,
            loginuid: 3,
            exe_writable: true,
            cap_effective: 4,
            exe_lower_layer: true,
            pgid: 6,
            ..ThreadInfo::default()
        };
        let mut out = Vec::new();
        write_proc_list(&mut out, [&full]).unwrap();
        assert_eq!(threads(&out, 0).1.remove(0).unwrap(), full);
    }

    #[test]
    fn encode_refuses_long_strings() {
        let long = vec![b'x'; MAX_PATH_LEN + 1];
        let t = ThreadInfo {
            cwd: &long,
            ..ThreadInfo::default()
        };
        let mut out = vec![1, 2, 3];
        let e = write_proc_list(&mut out, [&ThreadInfo::default(), &t]).unwrap_err();
        assert_eq!(out, vec![1, 2, 3]);
        assert_eq!(e.block_type(), Some(id::PL_V9));
    }
}
