//! Unit tests: path resolution and the clone/execve/open/close parsers, on synthetic events.

use scap::table;
use scap::{Capture, Record};

use super::paths;
use super::State;

fn resolve(dir: &str, name: &str) -> String {
    let mut out = Vec::new();
    paths::resolve(dir.as_bytes(), name.as_bytes(), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn paths_resolve_like_libsinsp() {
    assert_eq!(resolve("/home/u/", "a.txt"), "/home/u/a.txt");
    assert_eq!(resolve("/home/u/", "./a/../b//c"), "/home/u/b/c");
    assert_eq!(resolve("/home/u/", "../../../etc/passwd"), "/etc/passwd");
    assert_eq!(resolve("/home/u/", "/etc//./shadow"), "/etc/shadow");
    assert_eq!(resolve("/", "."), "/");
    assert_eq!(paths::file_name(b"/a/b/c"), b"c");
    assert_eq!(paths::directory(b"/a/b/c"), b"/a/b");
    assert_eq!(paths::directory(b"/c"), b"/");
}

#[test]
fn container_ids_from_cgroups() {
    let id = "a".repeat(64);
    let cg = format!("cpu=/docker/{id}\0memory=/docker/{id}\0");
    assert_eq!(
        super::container_id_from_cgroups(cg.as_bytes()),
        b"aaaaaaaaaaaa"
    );
    let scope = format!("cpu=/system.slice/docker-{id}.scope\0");
    assert_eq!(
        super::container_id_from_cgroups(scope.as_bytes()),
        b"aaaaaaaaaaaa"
    );
    assert!(super::container_id_from_cgroups(b"cpu=/user.slice\0").is_empty());
}

/// A parameter of a synthetic event.
enum P<'a> {
    I64(i64),
    U64(u64),
    U32(u32),
    Str(&'a str),
}

/// The code of the event named `name` with `nparams` parameters in direction `exit`.
fn code_of(ident: &str) -> u16 {
    let t = table::CURRENT;
    (0..t.len() as u16)
        .find(|&c| t.event(c).is_some_and(|e| e.ident == ident))
        .unwrap()
}

/// An EV_V2 block for event `ty` by `tid` with the parameters given by name (others empty).
fn event_block(ty: u16, tid: u64, ts: u64, params: &[(&str, P<'_>)]) -> Vec<u8> {
    let info = table::CURRENT.event(ty).unwrap();
    let mut lens = Vec::new();
    let mut data = Vec::new();
    for p in info.params {
        let bytes: Vec<u8> = match params.iter().find(|(n, _)| *n == p.name).map(|(_, v)| v) {
            Some(P::I64(v)) => v.to_le_bytes().to_vec(),
            Some(P::U64(v)) => v.to_le_bytes().to_vec(),
            Some(P::U32(v)) => v.to_le_bytes().to_vec(),
            Some(P::Str(s)) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                b
            }
            None => Vec::new(),
        };
        lens.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        data.extend_from_slice(&bytes);
    }
    let len = 26 + lens.len() + data.len();
    let mut ev = Vec::new();
    ev.extend_from_slice(&ts.to_le_bytes());
    ev.extend_from_slice(&tid.to_le_bytes());
    ev.extend_from_slice(&(len as u32).to_le_bytes());
    ev.extend_from_slice(&ty.to_le_bytes());
    ev.extend_from_slice(&(info.params.len() as u32).to_le_bytes());
    ev.extend_from_slice(&lens);
    ev.extend_from_slice(&data);
    let mut body = 0u16.to_le_bytes().to_vec();
    body.extend_from_slice(&ev);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    block(0x216, &body)
}

fn block(ty: u32, body: &[u8]) -> Vec<u8> {
    let total = (12 + body.len()) as u32;
    let mut b = ty.to_le_bytes().to_vec();
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

fn capture(events: &[Vec<u8>]) -> Capture {
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&2u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut data = block(0x0A0D_0D0A, &shb);
    for e in events {
        data.extend_from_slice(e);
    }
    Capture::from_vec(data)
}

/// Feed every event of `cap` to a fresh state, calling `check` after each.
fn run(cap: &Capture, mut check: impl FnMut(usize, &State)) {
    let mut state = State::default();
    let mut n = 0;
    for rec in cap.records() {
        if let Record::Event(ev) = rec.unwrap() {
            state.parse(&ev);
            check(n, &state);
            n += 1;
        }
    }
    assert!(n > 0, "no events parsed");
}

#[test]
fn clone_execve_open_close() {
    let clone_x = code_of("PPME_SYSCALL_CLONE_20_X");
    let execve_x = code_of("PPME_SYSCALL_EXECVE_19_X");
    let open_x = code_of("PPME_SYSCALL_OPENAT_2_X");
    let close_e = code_of("PPME_SYSCALL_CLOSE_E");
    let cap = capture(&[
        // bash (100) forks 200: the child's event comes first.
        event_block(
            clone_x,
            200,
            1,
            &[
                ("res", P::I64(0)),
                ("exe", P::Str("bash")),
                ("tid", P::I64(200)),
                ("pid", P::I64(200)),
                ("ptid", P::I64(100)),
                ("cwd", P::Str("/home/u")),
                ("comm", P::Str("bash")),
                ("uid", P::U32(1000)),
                ("gid", P::U32(1000)),
            ],
        ),
        event_block(
            execve_x,
            200,
            2,
            &[
                ("res", P::I64(0)),
                ("exe", P::Str("cat")),
                ("comm", P::Str("cat")),
                ("trusted_exepath", P::Str("/usr/bin/cat")),
            ],
        ),
        event_block(
            open_x,
            200,
            3,
            &[
                ("fd", P::I64(3)),
                ("dirfd", P::I64(-100)),
                ("name", P::Str("../u/./notes.txt")),
                ("flags", P::U32(1)),
            ],
        ),
        event_block(close_e, 200, 4, &[("fd", P::I64(3))]),
        event_block(
            close_e + 1,
            200,
            5,
            &[("res", P::I64(0)), ("fd", P::I64(3))],
        ),
        event_block(close_e, 200, 6, &[("fd", P::U64(0))]),
    ]);
    run(&cap, |n, s| {
        let t = s.thread(200).unwrap();
        match n {
            0 => {
                assert_eq!(t.comm, b"bash");
                assert_eq!(t.ptid, 100);
                assert_eq!(t.cwd, b"/home/u/");
                assert_eq!(t.uid, 1000);
            }
            1 => {
                assert_eq!(t.comm, b"cat");
                assert_eq!(t.exepath, b"/usr/bin/cat");
            }
            2 => {
                assert_eq!(s.event_fd(200).unwrap().name, b"/home/u/notes.txt");
                assert_eq!(s.event_fd(200).unwrap().type_name(), "file");
            }
            // The closed fd still resolves on the close exit, and is gone afterwards.
            4 => assert!(s.event_fd(200).is_some()),
            5 => assert!(s.fd(200, 3).is_none()),
            _ => {}
        }
    });
}

#[test]
fn versions_change_whenever_a_lookup_may_find_another_fd_or_name() {
    let clone_x = code_of("PPME_SYSCALL_CLONE_20_X");
    let open_x = code_of("PPME_SYSCALL_OPENAT_2_X");
    let read_e = code_of("PPME_SYSCALL_READ_E");
    let close_e = code_of("PPME_SYSCALL_CLOSE_E");
    let procexit = code_of("PPME_PROCEXIT_1_E");
    let read = |tid, ts| {
        [
            event_block(read_e, tid, ts, &[("fd", P::I64(3)), ("size", P::U32(9))]),
            event_block(read_e + 1, tid, ts + 1, &[("res", P::I64(9))]),
        ]
    };
    let mut events = vec![
        // 0: 200 starts, with its own fd table.
        event_block(
            clone_x,
            200,
            1,
            &[
                ("res", P::I64(0)),
                ("tid", P::I64(200)),
                ("pid", P::I64(200)),
                ("ptid", P::I64(100)),
                ("comm", P::Str("cat")),
            ],
        ),
        // 1: fd 3 opened.
        event_block(
            open_x,
            200,
            3,
            &[
                ("fd", P::I64(3)),
                ("dirfd", P::I64(-100)),
                ("name", P::Str("/etc/passwd")),
            ],
        ),
    ];
    // 2-5: reads of fd 3.
    events.extend(read(200, 4));
    events.extend(read(200, 6));
    // 6, 7: close of fd 3 (removed lazily, before the next event).
    events.push(event_block(close_e, 200, 8, &[("fd", P::I64(3))]));
    events.push(event_block(close_e + 1, 200, 9, &[("res", P::I64(0))]));
    // 8, 9: a read of the closed fd.
    events.extend(read(200, 10));
    // 10: 200 exits (removed before the next event), 11: a read by its (reused) tid.
    events.push(event_block(procexit, 200, 12, &[]));
    events.extend(read(200, 13));
    // 13: the new 200 runs another program.
    events.push(event_block(
        code_of("PPME_SYSCALL_EXECVE_19_X"),
        200,
        15,
        &[
            ("res", P::I64(0)),
            ("exe", P::Str("ls")),
            ("comm", P::Str("ls")),
        ],
    ));
    let cap = capture(&events);
    let mut versions = Vec::new();
    let mut names = Vec::new();
    run(&cap, |_, s| {
        versions.push(s.fd_version());
        names.push(s.names_version());
    });
    // Thread names change at the thread's removal and re-creation, and at the execve.
    let renamed: Vec<usize> = (1..names.len())
        .filter(|&i| names[i] != names[i - 1])
        .collect();
    assert_eq!(renamed, [11, 13]);
    let changed: Vec<usize> = (1..versions.len())
        .filter(|&i| versions[i] != versions[i - 1])
        .collect();
    // The open, the close's removal, the thread's removal; and for each, possibly the
    // placeholder made for the tid: never at a read.
    for i in [1, 8, 11] {
        assert!(changed.contains(&i), "no change at event {i}: {changed:?}");
    }
    for i in [2, 3, 4, 5, 9] {
        assert!(!changed.contains(&i), "change at read {i}: {changed:?}");
    }
    // Another state never shows the same versions.
    let mut other = Vec::new();
    run(&cap, |_, s| other.push(s.fd_version()));
    assert!(other.iter().all(|v| !versions.contains(v)));
}

#[test]
fn unbound_side_is_inferred_from_the_interfaces() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    let s = State {
        ifaces: vec![
            (v4(127, 0, 0, 1), v4(255, 0, 0, 0)),
            (v4(10, 0, 2, 15), v4(255, 255, 255, 0)),
            (v4(172, 17, 0, 1), v4(255, 255, 0, 0)),
            (
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ),
        ],
        ..State::default()
    };
    // Same address, then same subnet, then the first non-loopback interface.
    assert_eq!(s.infer_local(v4(127, 0, 0, 1)), Some(v4(127, 0, 0, 1)));
    assert_eq!(s.infer_local(v4(172, 17, 0, 7)), Some(v4(172, 17, 0, 1)));
    assert_eq!(s.infer_local(v4(8, 8, 8, 8)), Some(v4(10, 0, 2, 15)));
    let lo6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    assert_eq!(s.infer_local(lo6), Some(lo6));
    assert_eq!(
        s.infer_local(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
        None
    );
}

impl State {
    /// Panics unless the per-process thread counts match the thread table.
    fn check_thread_counts(&self) {
        let mut counts = std::collections::HashMap::new();
        for t in self.threads.values() {
            *counts.entry(t.pid).or_insert(0u32) += 1;
        }
        let kept: std::collections::HashMap<i64, u32> =
            self.nthreads.iter().map(|(p, n)| (*p, *n)).collect();
        assert_eq!(counts, kept);
    }

    /// Panics unless the pid hint is the thread's pid.
    fn check_pid_hint(&self) {
        if let Some(h) = self.hint {
            assert_eq!(h.pid, self.threads.get(&h.tid).map_or(h.tid, |t| t.pid));
            assert_eq!(h.slot, self.fds.slot(h.pid));
        }
        // Every table has its own slot.
        let mut slots: Vec<u32> = self.fds.pids().map(|(_, s)| s).collect();
        let n = slots.len();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), n);
    }
}

#[test]
fn thread_counts_follow_every_capture() {
    let shared = std::env::var("SCAPKIT_SHARED").map_or_else(
        |_| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
        std::path::PathBuf::from,
    );
    let dir = shared.join("captures");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: thread counts on the shared captures (../shared not found)");
        return;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let cap = Capture::open(&path).unwrap();
        let mut state = State::default();
        // Counts only ever drift, so a check now and then (and at the end) finds a slip.
        for (n, rec) in cap.records().enumerate() {
            let Ok(rec) = rec else { break };
            match rec {
                Record::Section(_) => state = State::default(),
                Record::Meta(b) => state.load_meta(&b),
                Record::Event(ev) => {
                    state.parse(&ev);
                }
                _ => {}
            }
            state.check_pid_hint();
            if n % 64 == 0 {
                state.check_thread_counts();
            }
        }
        state.check_thread_counts();
    }
}

#[test]
fn addresses_print_as_display_does() {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in [0u8, 1, 9, 10, 99, 100, 127, 199, 200, 255] {
        for b in [0u8, 7, 42, 168, 255] {
            ips.push(IpAddr::V4(Ipv4Addr::new(a, b, 255 - b, a / 2)));
        }
    }
    ips.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
    ips.push(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    ips.push(IpAddr::V6(Ipv6Addr::new(
        0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329,
    )));
    for ip in ips {
        for port in [0u16, 1, 9, 10, 80, 443, 999, 1000, 8080, 9999, 10000, 65535] {
            let mut out = b"x".to_vec();
            super::push_addr(&mut out, ip, port);
            assert_eq!(out, format!("x{ip}:{port}").into_bytes());
        }
    }
}

#[test]
fn capset_sets_the_thread_capabilities() {
    let clone_x = code_of("PPME_SYSCALL_CLONE_20_X");
    let capset_x = code_of("PPME_SYSCALL_CAPSET_X");
    let capset = |ts: u64, res: i64, permitted: u64| {
        event_block(
            capset_x,
            300,
            ts,
            &[
                ("res", P::I64(res)),
                ("cap_inheritable", P::U64(0)),
                ("cap_permitted", P::U64(permitted)),
                ("cap_effective", P::U64(permitted & 0xff)),
            ],
        )
    };
    let cap = capture(&[
        event_block(
            clone_x,
            300,
            1,
            &[
                ("res", P::I64(0)),
                ("exe", P::Str("sh")),
                ("tid", P::I64(300)),
                ("pid", P::I64(300)),
                ("ptid", P::I64(1)),
                ("comm", P::Str("sh")),
            ],
        ),
        capset(2, 0, 0x3ff),
        // A failed capset changes nothing.
        capset(3, -1, 0x1),
    ]);
    run(&cap, |n, s| {
        let e = &s.thread(300).unwrap().exe_info;
        match n {
            1 | 2 => {
                assert_eq!(e.cap_permitted, 0x3ff, "event {n}");
                assert_eq!(e.cap_effective, 0xff, "event {n}");
                assert_eq!(e.cap_inheritable, 0, "event {n}");
            }
            _ => {}
        }
    });
}
