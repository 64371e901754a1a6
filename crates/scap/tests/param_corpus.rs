//! Decode every parameter of every event in the shared capture corpus, and spot-check decoded
//! values against sysdig 0.29.3's goldens.
// clippy.toml exempts `#[test]` fns only; the helpers here are test code too.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scap::param::{family, FdItem, ParamValue, SockAddr, SockTuple};
use scap::table::{Table, CURRENT, SYSDIG_0_29};
use scap::{Capture, Event};

fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    dir.join("captures").is_dir().then_some(dir)
}

fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    v.sort();
    v
}

#[derive(Default)]
struct Tally {
    params: u64,
    empty: u64,
    /// (table, event name, param name, type, length) -> count
    raw: BTreeMap<(&'static str, &'static str, &'static str, String, usize), u64>,
    sockaddr: BTreeMap<u8, u64>,
    socktuple: BTreeMap<u8, u64>,
    fdlists: u64,
    fd_items: u64,
}

fn tally_event(t: &mut Tally, label: &'static str, table: &Table, ev: &Event<'_>) {
    let name = table.event(ev.event_type()).map_or("?", |e| e.name);
    for (info, v) in ev.values_in(table) {
        t.params += 1;
        match v {
            ParamValue::Empty => t.empty += 1,
            ParamValue::Raw(b) => {
                let key = (label, name, info.name, format!("{:?}", info.ty), b.len());
                *t.raw.entry(key).or_default() += 1;
            }
            ParamValue::SockAddr(a) => *t.sockaddr.entry(a.family()).or_default() += 1,
            ParamValue::SockTuple(s) => *t.socktuple.entry(s.family()).or_default() += 1,
            ParamValue::FdList(it) => {
                t.fdlists += 1;
                t.fd_items += it.len() as u64;
            }
            _ => {}
        }
    }
}

#[test]
fn corpus_decodes_cleanly() {
    let Some(dir) = shared() else {
        eprintln!("skipped: param corpus test (../shared not found)");
        return;
    };
    let files = captures(&dir);
    assert_eq!(files.len(), 21);
    let mut t = Tally::default();
    let mut events = 0u64;
    for path in files {
        let cap = Capture::open(&path).unwrap();
        for ev in cap.events() {
            let ev = ev.unwrap();
            events += 1;
            tally_event(&mut t, "current", CURRENT, &ev);
            tally_event(&mut t, "0.29", SYSDIG_0_29, &ev);
        }
    }
    eprintln!(
        "{events} events, {} params decoded by both tables ({} empty), {} fd lists ({} items)",
        t.params, t.empty, t.fdlists, t.fd_items
    );
    eprintln!("sockaddr families: {:?}", t.sockaddr);
    eprintln!("socktuple families: {:?}", t.socktuple);
    for (k, n) in &t.raw {
        eprintln!("RAW {n:>6} {k:?}");
    }
    assert_eq!(events, 175_097);
    // Every payload in the corpus fits its declared type, by either table.
    assert!(t.raw.is_empty(), "{} kinds of Raw params", t.raw.len());
    // Unix and IPv6 sockaddrs; all three families of socktuples; nothing undecoded.
    for f in [family::UNIX, family::INET6] {
        assert!(t.sockaddr.get(&f).is_some_and(|&n| n > 0), "sockaddr {f}");
    }
    for f in [family::UNIX, family::INET, family::INET6] {
        assert!(t.socktuple.get(&f).is_some_and(|&n| n > 0), "socktuple {f}");
    }
    assert!(t.sockaddr.keys().chain(t.socktuple.keys()).all(|f| [
        family::UNIX,
        family::INET,
        family::INET6
    ]
    .contains(f)));
    assert!(t.fdlists > 0 && t.fd_items > 0);
}

/// Event number `num` (sysdig's `evt.num`: position from 1 over all events of the file),
/// after checking that its time of day (UTC) and tid match the golden line.
fn with_event(
    dir: &Path,
    file: &str,
    num: usize,
    time: &str,
    tid: u64,
    f: impl FnOnce(&Event<'_>),
) {
    let cap = Capture::open(dir.join("captures").join(file)).unwrap();
    let ev = cap.events().nth(num - 1).unwrap().unwrap();
    let ns = ev.ts() % 86_400_000_000_000;
    let (s, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    let got = format!("{:02}:{:02}:{:02}.{frac:09}", s / 3600, s / 60 % 60, s % 60);
    assert_eq!((got.as_str(), ev.tid()), (time, tid), "{file} #{num}");
    f(&ev);
}

/// `2001:db8::<last>`.
fn db8(last: u8) -> [u8; 16] {
    let mut ip = [0u8; 16];
    ip[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    ip[15] = last;
    ip
}

fn v<'a>(ev: &Event<'a>, i: usize) -> (&'static str, ParamValue<'a>) {
    let (info, val) = ev.value_in(SYSDIG_0_29, i).unwrap();
    // Both tables agree on these events.
    assert_eq!(ev.value(i).map(|(_, x)| x), Some(val));
    (info.name, val)
}

#[test]
fn golden_spot_checks() {
    let Some(dir) = shared() else {
        eprintln!("skipped: param golden spot checks (../shared not found)");
        return;
    };
    let dir = dir.as_path();
    // 135 16:17:57.881765998 0 cat 20072 < access res=-2(ENOENT) name=/etc/ld.so.nohwcap
    with_event(
        dir,
        "falco_cat_write.scap",
        135,
        "16:17:57.881765998",
        20072,
        |ev| {
            assert_eq!(v(ev, 0), ("res", ParamValue::Errno(-2)));
            assert_eq!(v(ev, 1), ("name", ParamValue::Str(b"/etc/ld.so.nohwcap")));
        },
    );
    // 180 ... < open fd=3(<f>/etc/ld.so.cache) name=/etc/ld.so.cache flags=4097(O_RDONLY|O_CLOEXEC) mode=0
    with_event(
        dir,
        "falco_syscall.scap",
        180,
        "14:58:20.492332843",
        16518,
        |ev| {
            assert_eq!(v(ev, 0), ("fd", ParamValue::Fd(3)));
            assert_eq!(v(ev, 1), ("name", ParamValue::Str(b"/etc/ld.so.cache")));
            let (name, flags) = v(ev, 2);
            assert_eq!((name, flags.as_u64()), ("flags", Some(4097)));
            assert_eq!(v(ev, 3).1.as_u64(), Some(0));
        },
    );
    // 187 ... < connect res=-115(EINPROGRESS) tuple=127.0.0.1:47192->127.0.0.1:80
    with_event(
        dir,
        "falco_connect_localhost.scap",
        187,
        "21:27:03.470627540",
        31699,
        |ev| {
            assert_eq!(v(ev, 0), ("res", ParamValue::Errno(-115)));
            let tuple = SockTuple::V4 {
                src: [127, 0, 0, 1],
                sport: 47192,
                dst: [127, 0, 0, 1],
                dport: 80,
            };
            assert_eq!(v(ev, 1), ("tuple", ParamValue::SockTuple(tuple)));
        },
    );
    let ipv6 = "libs_e2e_single_ipv6_conn.scap";
    // 851 ... < bind res=0 addr=2001:db8::3:1234
    with_event(dir, ipv6, 851, "23:30:53.000944904", 25886, |ev| {
        assert_eq!(v(ev, 0), ("res", ParamValue::Errno(0)));
        let addr = SockAddr::V6 {
            ip: db8(3),
            port: 1234,
        };
        assert_eq!(v(ev, 1), ("addr", ParamValue::SockAddr(addr)));
    });
    // 1143 ... < connect res=-2(ENOENT) tuple=0->ffff94dc817b9400 /var/run/nscd/socket
    with_event(dir, ipv6, 1143, "23:30:56.117952757", 25888, |ev| {
        assert_eq!(v(ev, 0), ("res", ParamValue::Errno(-2)));
        let tuple = SockTuple::Unix {
            src: 0,
            dst: 0xffff_94dc_817b_9400,
            path: b"/var/run/nscd/socket",
        };
        assert_eq!(v(ev, 1), ("tuple", ParamValue::SockTuple(tuple)));
    });
    // 1153 ... < accept fd=4(...) tuple=2001:db8::4:54405->2001:db8::3:1234 queuepct=0 queuelen=0 queuemax=1
    with_event(dir, ipv6, 1153, "23:30:56.118352985", 25886, |ev| {
        assert_eq!(v(ev, 0), ("fd", ParamValue::Fd(4)));
        let tuple = SockTuple::V6 {
            src: db8(4),
            sport: 54405,
            dst: db8(3),
            dport: 1234,
        };
        assert_eq!(v(ev, 1), ("tuple", ParamValue::SockTuple(tuple)));
        assert_eq!(v(ev, 2).1.as_u64(), Some(0));
        assert_eq!(v(ev, 3).1.as_u64(), Some(0));
        assert_eq!(v(ev, 4).1.as_u64(), Some(1));
    });
    let ex4 = "bencer_ex4_example4-1.scap";
    // 44 ... < poll res=0 fds=
    with_event(dir, ex4, 44, "22:26:27.461900442", 1168, |ev| {
        assert_eq!(v(ev, 0), ("res", ParamValue::Errno(0)));
        let (name, ParamValue::FdList(it)) = v(ev, 1) else {
            panic!("fds is not a fd list")
        };
        assert_eq!((name, it.len()), ("fds", 0));
    });
    // 45 ... > poll fds=6:u1 4:u1 timeout=250
    with_event(dir, ex4, 45, "22:26:27.461905399", 1168, |ev| {
        let (name, ParamValue::FdList(it)) = v(ev, 0) else {
            panic!("fds is not a fd list")
        };
        assert_eq!(name, "fds");
        let items: Vec<FdItem> = it.collect();
        assert_eq!(
            items,
            [FdItem { fd: 6, flags: 1 }, FdItem { fd: 4, flags: 1 }]
        );
        assert_eq!(v(ev, 1), ("timeout", ParamValue::Int(250)));
    });
    // 155 ... > futex addr=C420478110 op=1(FUTEX_WAKE) val=1
    with_event(dir, ex4, 155, "22:26:27.514260509", 5436, |ev| {
        assert_eq!(v(ev, 0), ("addr", ParamValue::Uint(0xC4_2047_8110)));
        assert_eq!(v(ev, 1).1.as_u64(), Some(1));
        assert_eq!(v(ev, 2), ("val", ParamValue::Uint(1)));
    });
    // 3967 ... > signaldeliver spid=25294 dpid=19498(bash) sig=17(SIGCHLD)
    with_event(dir, ex4, 3967, "22:26:28.974222870", 19498, |ev| {
        assert_eq!(v(ev, 0), ("spid", ParamValue::Pid(25294)));
        assert_eq!(v(ev, 1), ("dpid", ParamValue::Pid(19498)));
        assert_eq!(v(ev, 2), ("sig", ParamValue::SigType(17)));
    });
}
