use super::*;
use crate::table::{code, ParamType as T, CURRENT, SYSDIG_0_29};
use crate::Capture;

type V<'a> = ParamValue<'a>;

/// Every type: zero-length is Empty.
#[test]
fn empty_for_every_type() {
    for id in 0..=u8::MAX {
        if let Some(ty) = T::from_u8(id) {
            assert_eq!(decode(ty, &[]), V::Empty, "{ty:?}");
        }
    }
}

/// Every fixed-size type decodes at its size and is Raw one byte off either way.
#[test]
fn fixed_sizes_and_wrong_lengths() {
    let buf = [0x5au8; 40];
    for id in 0..=u8::MAX {
        let Some(ty) = T::from_u8(id) else { continue };
        let Some(n) = ty.fixed_size() else { continue };
        let good = decode(ty, &buf[..n]);
        assert!(!good.is_raw() && !good.is_empty(), "{ty:?}: {good:?}");
        assert_eq!(
            decode(ty, &buf[..n + 1]),
            V::Raw(&buf[..n + 1]),
            "{ty:?} long"
        );
        if n > 1 {
            assert_eq!(
                decode(ty, &buf[..n - 1]),
                V::Raw(&buf[..n - 1]),
                "{ty:?} short"
            );
        }
    }
}

#[test]
fn signed_and_unsigned_integers() {
    assert_eq!(decode(T::Int8, &[0xff]), V::Int(-1));
    assert_eq!(decode(T::Int16, &(-300i16).to_le_bytes()), V::Int(-300));
    assert_eq!(decode(T::Int32, &(-70000i32).to_le_bytes()), V::Int(-70000));
    assert_eq!(decode(T::Int64, &i64::MIN.to_le_bytes()), V::Int(i64::MIN));
    assert_eq!(decode(T::Uint8, &[0xff]), V::Uint(255));
    assert_eq!(decode(T::Uint16, &[0x34, 0x12]), V::Uint(0x1234));
    assert_eq!(
        decode(T::Uint32, &u32::MAX.to_le_bytes()),
        V::Uint(u64::from(u32::MAX))
    );
    assert_eq!(
        decode(T::Uint64, &u64::MAX.to_le_bytes()),
        V::Uint(u64::MAX)
    );
    assert_eq!(decode(T::Errno, &(-2i64).to_le_bytes()), V::Errno(-2));
    assert_eq!(decode(T::Fd, &(-100i64).to_le_bytes()), V::Fd(-100));
    assert_eq!(decode(T::Fd32, &(-1i32).to_le_bytes()), V::Fd(-1));
    assert_eq!(decode(T::Pid, &1234i64.to_le_bytes()), V::Pid(1234));
    assert_eq!(decode(T::Pid32, &(-5i32).to_le_bytes()), V::Pid(-5));
    assert_eq!(decode(T::Int64, &[1, 2, 3]), V::Raw(&[1, 2, 3]));
    assert_eq!(V::Errno(-2).as_i64(), Some(-2));
    assert_eq!(V::Uint(7).as_i64(), None);
}

#[test]
fn small_scalars() {
    assert_eq!(decode(T::Syscallid, &[0x2c, 0x01]), V::SyscallId(300));
    assert_eq!(decode(T::Sigtype, &[9]), V::SigType(9));
    assert_eq!(
        decode(T::Reltime, &1_000_000u64.to_le_bytes()),
        V::RelTime(1_000_000)
    );
    assert_eq!(decode(T::Abstime, &5u64.to_le_bytes()), V::AbsTime(5));
    assert_eq!(decode(T::Port, &80u16.to_le_bytes()), V::Port(80));
    assert_eq!(decode(T::L4proto, &[6]), V::L4Proto(6));
    assert_eq!(decode(T::Sockfamily, &[10]), V::SockFamily(10));
    assert_eq!(decode(T::Bool, &[1, 0, 0, 0]), V::Bool(true));
    assert_eq!(decode(T::Bool, &[0, 0, 0, 0]), V::Bool(false));
    assert_eq!(decode(T::Bool, &[1]), V::Raw(&[1]));
    assert_eq!(decode(T::Uid, &u32::MAX.to_le_bytes()), V::Uid(u32::MAX));
    assert_eq!(decode(T::Gid, &42u32.to_le_bytes()), V::Gid(42));
    assert_eq!(decode(T::Mode, &0o755u32.to_le_bytes()), V::Mode(0o755));
    assert_eq!(decode(T::Sigset, &6u32.to_le_bytes()), V::SigSet(6));
    assert_eq!(decode(T::Double, &1.5f64.to_le_bytes()), V::Double(1.5));
    assert_eq!(V::Port(80).as_u64(), Some(80));
    assert_eq!(V::Bool(true).as_u64(), Some(1));
}

#[test]
fn flags_and_enums() {
    assert_eq!(decode(T::Flags8, &[3]), V::Flags { bits: 3, width: 1 });
    assert_eq!(
        decode(T::Flags16, &[0, 0x80]),
        V::Flags {
            bits: 0x8000,
            width: 2
        }
    );
    assert_eq!(
        decode(T::Flags32, &u32::MAX.to_le_bytes()),
        V::Flags {
            bits: u32::MAX,
            width: 4
        }
    );
    assert_eq!(decode(T::Enumflags8, &[2]), V::Enum { value: 2, width: 1 });
    assert_eq!(
        decode(T::Enumflags16, &[1, 1]),
        V::Enum {
            value: 257,
            width: 2
        }
    );
    assert_eq!(
        decode(T::Enumflags32, &7u32.to_le_bytes()),
        V::Enum { value: 7, width: 4 }
    );
    assert_eq!(decode(T::Flags32, &[1, 2]), V::Raw(&[1, 2]));
}

#[test]
fn addresses() {
    assert_eq!(
        decode(T::Ipv4addr, &[127, 0, 0, 1]),
        V::Ipv4([127, 0, 0, 1])
    );
    let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    assert_eq!(decode(T::Ipv6addr, &v6), V::Ipv6(v6));
    assert_eq!(decode(T::Ipaddr, &[10, 0, 0, 1]), V::Ipv4([10, 0, 0, 1]));
    assert_eq!(decode(T::Ipaddr, &v6), V::Ipv6(v6));
    assert_eq!(decode(T::Ipaddr, &[1, 2, 3]), V::Raw(&[1, 2, 3]));
    assert_eq!(decode(T::Ipaddr, &v6[..8]), V::Raw(&v6[..8]));
}

#[test]
fn strings_and_buffers() {
    assert_eq!(decode(T::Charbuf, b"cat\0"), V::Str(b"cat"));
    assert_eq!(decode(T::Fspath, b"/a\0junk"), V::Str(b"/a"));
    assert_eq!(decode(T::Fsrelpath, b"x/y"), V::Str(b"x/y"));
    assert_eq!(decode(T::Charbuf, b"\0"), V::Str(b""));
    // Non-UTF-8 bytes are kept as they are.
    assert_eq!(decode(T::Fspath, b"\xff\xfe\0"), V::Str(b"\xff\xfe"));
    assert_eq!(decode(T::Bytebuf, b"ls\0-l\0"), V::Bytes(b"ls\0-l\0"));
    assert_eq!(
        decode(T::Charbufarray, b"a\0b\0"),
        V::CharBufArray(b"a\0b\0")
    );
    assert_eq!(
        decode(T::CharbufPairArray, b"k\0v\0"),
        V::CharBufArray(b"k\0v\0")
    );
    assert_eq!(V::Str(b"x").as_bytes(), Some(&b"x"[..]));
}

#[test]
fn types_without_encoding_are_raw() {
    for ty in [T::None, T::Ipv4net, T::Ipv6net, T::Ipnet] {
        assert_eq!(decode(ty, &[1, 2]), V::Raw(&[1, 2]), "{ty:?}");
    }
}

fn sockaddr_v4() -> Vec<u8> {
    let mut b = vec![family::INET, 127, 0, 0, 1];
    b.extend_from_slice(&8080u16.to_le_bytes());
    b
}

#[test]
fn sockaddr() {
    assert_eq!(
        decode(T::Sockaddr, &sockaddr_v4()),
        V::SockAddr(SockAddr::V4 {
            ip: [127, 0, 0, 1],
            port: 8080
        })
    );
    let mut v6 = vec![family::INET6];
    v6.extend_from_slice(&[0; 15]);
    v6.push(1);
    v6.extend_from_slice(&443u16.to_le_bytes());
    let mut ip = [0; 16];
    ip[15] = 1;
    let got = decode(T::Sockaddr, &v6);
    assert_eq!(got, V::SockAddr(SockAddr::V6 { ip, port: 443 }));
    assert_eq!(
        decode(T::Sockaddr, b"\x01/run/x.sock\0"),
        V::SockAddr(SockAddr::Unix(b"/run/x.sock"))
    );
    assert_eq!(
        decode(T::Sockaddr, &[family::UNIX]),
        V::SockAddr(SockAddr::Unix(b""))
    );
    let other = decode(T::Sockaddr, &[16, 9, 9]);
    assert_eq!(
        other,
        V::SockAddr(SockAddr::Other {
            family: 16,
            data: &[9, 9]
        })
    );
    if let V::SockAddr(a) = other {
        assert_eq!(a.family(), 16);
    }
    // Short or long IP sockaddrs are Raw.
    let v4 = sockaddr_v4();
    assert!(decode(T::Sockaddr, &v4[..6]).is_raw());
    let mut long = v4.clone();
    long.push(0);
    assert!(decode(T::Sockaddr, &long).is_raw());
    assert!(decode(T::Sockaddr, &v6[..18]).is_raw());
    assert!(decode(T::Sockaddr, &[family::INET]).is_raw());
}

#[test]
fn socktuple() {
    let mut t4 = vec![family::INET, 10, 0, 0, 1];
    t4.extend_from_slice(&40000u16.to_le_bytes());
    t4.extend_from_slice(&[10, 0, 0, 2]);
    t4.extend_from_slice(&80u16.to_le_bytes());
    assert_eq!(t4.len(), 13);
    assert_eq!(
        decode(T::Socktuple, &t4),
        V::SockTuple(SockTuple::V4 {
            src: [10, 0, 0, 1],
            sport: 40000,
            dst: [10, 0, 0, 2],
            dport: 80
        })
    );
    assert!(decode(T::Socktuple, &t4[..12]).is_raw());

    let mut t6 = vec![family::INET6];
    t6.extend_from_slice(&[1; 16]);
    t6.extend_from_slice(&1u16.to_le_bytes());
    t6.extend_from_slice(&[2; 16]);
    t6.extend_from_slice(&2u16.to_le_bytes());
    assert_eq!(t6.len(), 37);
    assert_eq!(
        decode(T::Socktuple, &t6),
        V::SockTuple(SockTuple::V6 {
            src: [1; 16],
            sport: 1,
            dst: [2; 16],
            dport: 2
        })
    );
    t6.push(0);
    assert!(decode(T::Socktuple, &t6).is_raw());

    let mut tu = vec![family::UNIX];
    tu.extend_from_slice(&0u64.to_le_bytes());
    tu.extend_from_slice(&0xffff_94dc_817b_9400u64.to_le_bytes());
    tu.extend_from_slice(b"/var/run/nscd/socket\0");
    let got = decode(T::Socktuple, &tu);
    assert_eq!(
        got,
        V::SockTuple(SockTuple::Unix {
            src: 0,
            dst: 0xffff_94dc_817b_9400,
            path: b"/var/run/nscd/socket"
        })
    );
    if let V::SockTuple(t) = got {
        assert_eq!(t.family(), family::UNIX);
    }
    // Pointers only, no path: still a tuple.
    assert!(matches!(
        decode(T::Socktuple, &tu[..17]),
        V::SockTuple(SockTuple::Unix { path: b"", .. })
    ));
    assert!(decode(T::Socktuple, &tu[..16]).is_raw());
    assert_eq!(
        decode(T::Socktuple, &[0]),
        V::SockTuple(SockTuple::Other {
            family: 0,
            data: &[]
        })
    );
}

#[test]
fn fdlist() {
    let mut b = 2u16.to_le_bytes().to_vec();
    b.extend_from_slice(&3i64.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b.extend_from_slice(&0x44u16.to_le_bytes());
    let V::FdList(it) = decode(T::Fdlist, &b) else {
        panic!("not a fd list")
    };
    assert_eq!(it.len(), 2);
    let items: Vec<FdItem> = it.collect();
    assert_eq!(
        items,
        [
            FdItem { fd: 3, flags: 1 },
            FdItem {
                fd: -1,
                flags: 0x44
            }
        ]
    );
    // A zero count is an empty list, not Raw.
    let V::FdList(mut it) = decode(T::Fdlist, &[0, 0]) else {
        panic!("not a fd list")
    };
    assert_eq!(it.next(), None);
    // Hostile counts: larger or smaller than the payload, or a lone count byte.
    let mut hostile = b.clone();
    hostile[0] = 0xff;
    hostile[1] = 0xff;
    assert!(decode(T::Fdlist, &hostile).is_raw());
    let mut short = b.clone();
    short[0] = 1;
    assert!(decode(T::Fdlist, &short).is_raw());
    assert!(decode(T::Fdlist, &b[..b.len() - 1]).is_raw());
    assert!(decode(T::Fdlist, &[5]).is_raw());
}

#[test]
fn dynamic() {
    let info = CURRENT
        .events
        .iter()
        .flat_map(|e| e.params)
        .find(|p| p.ty == T::Dyn)
        .expect("a DYN param");
    let ParamExtra::Dyn(alts) = info.info else {
        panic!("DYN param without alternatives")
    };
    let mut b = vec![0u8];
    b.extend_from_slice(&[0xab; 8]);
    let V::Dyn { index, bytes } = decode(T::Dyn, &b) else {
        panic!("not dyn")
    };
    assert_eq!((index, bytes), (0, &b[1..]));
    let (alt, inner) = decode_dyn(info, index, bytes).expect("index 0");
    assert_eq!(alt.ty, alts[0].ty);
    assert_eq!(inner, decode(alts[0].ty, &b[1..]));
    // Index only: the inner value is empty.
    assert_eq!(
        decode(T::Dyn, &[1]),
        V::Dyn {
            index: 1,
            bytes: &[]
        }
    );
    assert!(decode_dyn(info, 0, &[]).is_some_and(|(_, v)| v.is_empty()));
    // Out-of-range index, or not a DYN param.
    assert!(decode_dyn(info, u8::MAX, &b).is_none());
    let plain = &CURRENT.event(2).expect("open").params[0];
    assert!(decode_dyn(plain, 0, &b).is_none());
}

/// A one-event capture: SHB then an EV_V2 block holding `ty` with `params`.
fn capture_with(ty: u16, params: &[&[u8]]) -> Capture {
    fn block(out: &mut Vec<u8>, id: u32, body: &[u8]) {
        let total = (12 + body.len()).div_ceil(4) * 4;
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(body);
        out.resize(out.len() + total - 12 - body.len(), 0);
        out.extend_from_slice(&(total as u32).to_le_bytes());
    }
    let mut shb = Vec::new();
    shb.extend_from_slice(&crate::block::BYTE_ORDER_MAGIC.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&2u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let lens: usize = params.iter().map(|p| p.len()).sum();
    let len = crate::event::HEADER_LEN + 2 * params.len() + lens;
    let mut ev = 0u16.to_le_bytes().to_vec(); // cpu
    ev.extend_from_slice(&7u64.to_le_bytes());
    ev.extend_from_slice(&42u64.to_le_bytes());
    ev.extend_from_slice(&(len as u32).to_le_bytes());
    ev.extend_from_slice(&ty.to_le_bytes());
    ev.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        ev.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        ev.extend_from_slice(p);
    }
    let mut data = Vec::new();
    block(&mut data, crate::block::id::SHB, &shb);
    block(&mut data, crate::block::id::EV_V2, &ev);
    Capture::from_vec(data)
}

#[test]
fn event_values() {
    // access exit (type 37 in both tables): res ERRNO, name FSPATH.
    let ty = CURRENT
        .codes_named("access")
        .find(|c| c & 1 == 1)
        .expect("access exit");
    let cap = capture_with(ty, &[&(-2i64).to_le_bytes(), b"/etc/ld.so.nohwcap\0"]);
    let ev = cap.events().next().expect("one event").expect("valid");
    let (info, v) = ev.value(0).expect("param 0");
    assert_eq!((info.name, v), ("res", V::Errno(-2)));
    let (info, v) = ev.value(1).expect("param 1");
    assert_eq!((info.name, v), ("name", V::Str(b"/etc/ld.so.nohwcap")));
    assert!(ev.value(2).is_none());
    let (info, _) = ev.value_in(SYSDIG_0_29, 1).expect("0.29 param 1");
    assert_eq!(info.name, "name");
    let all: Vec<_> = ev.values().map(|(i, v)| (i.name, v)).collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], ("res", V::Errno(-2)));
    assert_eq!(ev.values_in(SYSDIG_0_29).count(), 2);
}

#[test]
fn event_values_unknown_or_extra() {
    // A code neither table knows: no schema, no values.
    let cap = capture_with(1000, &[&[1, 2]]);
    let ev = cap.events().next().expect("one event").expect("valid");
    assert!(ev.value(0).is_none());
    assert_eq!(ev.values().count(), 0);
    // A code only the current table knows.
    let cap = capture_with(code::USER_ADDED_E, &[&[1, 0, 0, 0], &[2, 0, 0, 0]]);
    let ev = cap.events().next().expect("one event").expect("valid");
    assert!(ev.value(0).is_some());
    assert!(ev.value_in(SYSDIG_0_29, 0).is_none());
    // Fewer params than the table: only those present.
    let ty = CURRENT
        .codes_named("access")
        .find(|c| c & 1 == 1)
        .expect("access exit");
    let cap = capture_with(ty, &[&(-2i64).to_le_bytes()]);
    let ev = cap.events().next().expect("one event").expect("valid");
    assert_eq!(ev.values().count(), 1);
    assert!(ev.value(1).is_none());
    // A wrong-size param is Raw, not an error.
    let cap = capture_with(ty, &[&[1, 2, 3], b"x\0"]);
    let ev = cap.events().next().expect("one event").expect("valid");
    assert_eq!(ev.value(0).map(|(_, v)| v), Some(V::Raw(&[1, 2, 3])));
}
