//! Every metadata block of the shared corpus decodes, and decode → encode (final block
//! versions) → decode gives the same typed values.

// The helpers below are test code too; clippy only exempts `#[test]` functions themselves.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashSet;
use std::path::PathBuf;

use scap::block::id;
use scap::meta::{self, FdInfo, Interface, Meta, ThreadInfo, UserEntry};
use scap::{Block, BlockKind, Capture, Record, Records};

fn shared() -> Option<PathBuf> {
    let dir = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    dir.join("captures").is_dir().then_some(dir)
}

/// PL block version per file, from the corpus MANIFEST.
const PL_VERSIONS: &[(&str, u8)] = &[
    ("bencer_ex0_nginx.scap", 7),
    ("bencer_ex4_example4-1.scap", 7),
    ("bencer_ex4_example4-2.scap", 7),
    ("bencer_ex5_httpd.scap", 7),
    ("bencer_ex5_nginx.scap", 7),
    ("bencer_k8s_troubleshooting_capture.scap", 6),
    ("falco_cat_write.scap", 6),
    ("falco_connect_localhost.scap", 7),
    ("falco_empty_2016.scap", 6),
    ("falco_empty_2019.scap", 9),
    ("falco_open_multiple_files.scap", 6),
    ("falco_ping_sendto.scap", 9),
    ("falco_psp_privileged.scap", 9),
    ("falco_psp_run_as_user_0_container.scap", 9),
    ("falco_psp_run_as_user_65534_container.scap", 9),
    ("falco_psp_write_tmp_test.scap", 9),
    ("falco_syscall.scap", 8),
    ("libs_e2e_curl_google.scap", 5),
    ("libs_e2e_single_ipv6_conn.scap", 9),
    ("libs_e2e_test_ipv6_client.scap", 5),
    ("libs_sample.scap", 9),
];

/// A minimal capture prefix (section header, format 1.2) so `Records` accepts a block.
fn with_shb(block: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&id::SHB.to_le_bytes());
    v.extend_from_slice(&28u32.to_le_bytes());
    v.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&(-1i64).to_le_bytes());
    v.extend_from_slice(&28u32.to_le_bytes());
    v.extend_from_slice(block);
    v
}

/// Parse the single metadata block written after a section header and hand it to `f`.
fn reparse(encoded: &[u8], f: impl FnOnce(Meta<'_>)) {
    let data = with_shb(encoded);
    let mut recs = Records::new(&data, None);
    assert!(matches!(recs.next(), Some(Ok(Record::Section(_)))));
    let Some(Ok(Record::Meta(block))) = recs.next() else {
        panic!("re-encoded block not read back as metadata")
    };
    assert!(recs.next().is_none(), "one block expected");
    f(block.meta().unwrap());
}

#[derive(Default, Debug)]
struct Counts {
    machine: usize,
    pl_versions: HashSet<u8>,
    threads: usize,
    fd_blocks: usize,
    fds: usize,
    fds_without_thread: usize,
    ifaces: usize,
    users: usize,
}

fn check_block(block: &Block<'_>, c: &mut Counts, tids: &mut HashSet<u64>, name: &str) {
    let ctx = |e: scap::Error| format!("{name}: {e}");
    match block.meta().unwrap_or_else(|e| panic!("{}", ctx(e))) {
        Meta::Machine(mi) => {
            c.machine += 1;
            assert!(mi.num_cpus > 0, "{name}: num_cpus");
            let mut out = Vec::new();
            meta::write_machine_info(&mut out, &mi).unwrap();
            reparse(&out, |m| match m {
                Meta::Machine(back) => assert_eq!(back, mi, "{name}"),
                _ => panic!("{name}: MI came back as something else"),
            });
        }
        Meta::Threads(it) => {
            c.pl_versions.insert(it.version());
            let list: Vec<ThreadInfo<'_>> = it
                .map(|t| t.unwrap_or_else(|e| panic!("{}", ctx(e))))
                .collect();
            c.threads += list.len();
            tids.extend(list.iter().map(|t| t.tid));
            let mut out = Vec::new();
            meta::write_proc_list(&mut out, &list).unwrap();
            reparse(&out, |m| {
                let Meta::Threads(back) = m else {
                    panic!("{name}: PL came back as something else")
                };
                assert_eq!(back.version(), 9);
                let back: Vec<_> = back.map(Result::unwrap).collect();
                assert_eq!(back.len(), list.len(), "{name}");
                for (b, t) in back.iter().zip(&list) {
                    assert_eq!(b, t, "{name}: thread {}", t.tid);
                }
            });
        }
        Meta::Fds { tid, fds } => {
            c.fd_blocks += 1;
            let list: Vec<FdInfo<'_>> = fds
                .map(|f| f.unwrap_or_else(|e| panic!("{}", ctx(e))))
                .collect();
            c.fds += list.len();
            if !tids.contains(&tid) {
                c.fds_without_thread += 1;
            }
            let mut out = Vec::new();
            meta::write_fd_list(&mut out, tid, &list).unwrap();
            reparse(&out, |m| {
                let Meta::Fds { tid: t2, fds } = m else {
                    panic!("{name}: FDL came back as something else")
                };
                assert_eq!((t2, fds.version()), (tid, 2));
                let back: Vec<_> = fds.map(Result::unwrap).collect();
                assert_eq!(back, list, "{name}: fds of {tid}");
            });
        }
        Meta::Interfaces(it) => {
            let list: Vec<Interface<'_>> = it
                .map(|i| i.unwrap_or_else(|e| panic!("{}", ctx(e))))
                .collect();
            c.ifaces += list.len();
            let mut out = Vec::new();
            meta::write_iface_list(&mut out, &list).unwrap();
            reparse(&out, |m| {
                let Meta::Interfaces(back) = m else {
                    panic!("{name}: IL came back as something else")
                };
                assert_eq!(back.version(), 2);
                let back: Vec<_> = back.map(Result::unwrap).collect();
                assert_eq!(back, list, "{name}");
            });
        }
        Meta::Users(it) => {
            let list: Vec<UserEntry<'_>> = it
                .map(|u| u.unwrap_or_else(|e| panic!("{}", ctx(e))))
                .collect();
            c.users += list.len();
            let mut out = Vec::new();
            meta::write_user_list(&mut out, &list).unwrap();
            reparse(&out, |m| {
                let Meta::Users(back) = m else {
                    panic!("{name}: UL came back as something else")
                };
                assert_eq!(back.version(), 2);
                let back: Vec<_> = back.map(Result::unwrap).collect();
                assert_eq!(back, list, "{name}");
            });
        }
    }
}

#[test]
fn every_metadata_block_decodes_and_round_trips() {
    let Some(shared) = shared() else {
        eprintln!("skipped: metadata corpus test (../shared not found)");
        return;
    };
    let mut files = 0;
    for (name, pl_version) in PL_VERSIONS {
        let path = shared.join("captures").join(name);
        let cap = Capture::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut c = Counts::default();
        let mut tids = HashSet::new();
        for rec in cap.records() {
            match rec.unwrap_or_else(|e| panic!("{name}: {e}")) {
                Record::Meta(block) => check_block(&block, &mut c, &mut tids, name),
                // Metadata ends at the first event.
                Record::Event(_) => break,
                Record::Section(_) | Record::Unknown(_) => {}
            }
        }
        eprintln!("{name}: {c:?}");
        assert_eq!(c.pl_versions, HashSet::from([*pl_version]), "{name}");
        assert!(c.threads > 0, "{name}: no threads");
        assert!(c.fds > 0, "{name}: no fds");
        assert!(c.fd_blocks > 0, "{name}: no fd lists");
        assert_eq!(c.machine, 1, "{name}: machine info");
        assert_eq!(
            c.fds_without_thread, 0,
            "{name}: fd lists for unknown threads"
        );
        files += 1;
    }
    assert_eq!(files, 21);
}

/// Hand-checked values (threads 382 and 2987 agree with `sysdig -r libs_sample.scap -p
/// '*%thread.tid %proc.name %proc.exe %proc.exepath %proc.cwd %proc.sid %proc.vpgid'`).
#[test]
fn known_values_libs_sample() {
    let Some(shared) = shared() else {
        eprintln!("skipped: metadata known values (../shared not found)");
        return;
    };
    let cap = Capture::open(shared.join("captures/libs_sample.scap")).unwrap();
    let mut kinds = Vec::new();
    let mut seen = 0;
    for rec in cap.records() {
        let block = match rec.unwrap() {
            Record::Meta(b) => b,
            Record::Event(_) => break,
            _ => continue,
        };
        kinds.push(block.kind());
        match block.meta().unwrap() {
            Meta::Machine(mi) => {
                assert_eq!(mi.hostname(), b"ubuntu2204.localdomain");
                assert_eq!(mi.num_cpus, 4);
                seen += 1;
            }
            Meta::Threads(it) => {
                for t in it.map(Result::unwrap) {
                    if t.tid == 382 {
                        assert_eq!(t.comm, b"systemd-journal");
                        assert_eq!(t.exe, b"/lib/systemd/systemd-journald");
                        assert_eq!(t.exepath, b"/usr/lib/systemd/systemd-journald");
                        assert_eq!((t.sid, t.vpgid, t.ptid), (382, 382, 1));
                        seen += 1;
                    }
                    if t.tid == 2987 {
                        assert_eq!((t.comm, t.exe), (&b"sysdig"[..], &b"sysdig"[..]));
                        assert_eq!(t.exepath, b"/usr/bin/sysdig");
                        assert_eq!(t.cwd, b"/root");
                        assert_eq!((t.sid, t.vpgid, t.ptid), (1629, 2986, 2986));
                        // V9 tail from a libs >= 0.10 writer: tty is pts/1.
                        assert_eq!((t.loginuid, t.tty), (1000, (136 << 8) | 1));
                        seen += 1;
                    }
                }
            }
            Meta::Fds { tid: 1, fds } => {
                let first = fds.map(Result::unwrap).next().unwrap();
                assert_eq!(first.fd, 0);
                assert_eq!(first.name(), Some(&b"/dev/null"[..]));
                assert_eq!(first.fd_type(), Some(meta::FdType::FileV2));
                seen += 1;
            }
            Meta::Interfaces(it) => {
                let eth0 = it.map(Result::unwrap).find(|i| i.name == b"eth0").unwrap();
                assert_eq!(
                    eth0.addr,
                    meta::IfaceAddr::V4 {
                        addr: [192, 168, 121, 128].into(),
                        netmask: [255, 255, 255, 0].into(),
                        bcast: [192, 168, 121, 255].into(),
                    }
                );
                seen += 1;
            }
            Meta::Users(it) => {
                let root = it.map(Result::unwrap).next().unwrap();
                assert_eq!(
                    root,
                    UserEntry::User(meta::UserInfo {
                        uid: 0,
                        gid: 0,
                        name: b"root",
                        homedir: b"/root",
                        shell: b"/bin/bash",
                    })
                );
                seen += 1;
            }
            Meta::Fds { .. } => {}
        }
    }
    assert_eq!(seen, 6);
    assert!(kinds.contains(&BlockKind::ProcList(9)));
    assert!(kinds.contains(&BlockKind::FdList(2)));
    assert!(kinds.contains(&BlockKind::IfList(2)));
    assert!(kinds.contains(&BlockKind::UserList(2)));
}
