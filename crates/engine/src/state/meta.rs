//! Loading the process, fd and user lists into the state.

use std::net::IpAddr;

use scap::meta::{FdDetail, FdInfo, IfaceAddr, Meta, UserEntry};
use scap::Block;

use super::{fd_kind, paths, Fd, Group, State, Thread, User};

/// Apply one metadata block; undecodable entries are skipped (the reader reports errors).
pub(super) fn load(state: &mut State, block: &Block<'_>) {
    let Ok(meta) = block.meta() else { return };
    match meta {
        Meta::Threads(iter) => {
            for t in iter.flatten() {
                let tid = t.tid as i64;
                let mut cwd = Vec::with_capacity(t.cwd.len() + 1);
                cwd.extend_from_slice(t.cwd);
                paths::ensure_trailing_slash(&mut cwd);
                let th = Thread {
                    tid,
                    pid: t.pid as i64,
                    ptid: t.ptid as i64,
                    sid: t.sid,
                    vpgid: t.vpgid,
                    vtid: t.vtid,
                    vpid: t.vpid,
                    comm: t.comm.to_vec(),
                    exe: t.exe.to_vec(),
                    exepath: t.exepath.to_vec(),
                    args: t.args.to_vec(),
                    env: t.env.to_vec(),
                    cwd,
                    cgroups: t.cgroups.to_vec(),
                    root: t.root.to_vec(),
                    container_id: state.cgroup_ids.id_of(t.cgroups).to_vec(),
                    uid: t.uid,
                    gid: t.gid,
                    loginuid: t.loginuid,
                    tty: t.tty,
                    fdlimit: t.fdlimit,
                    flags: t.flags,
                    vmsize_kb: t.vmsize_kb,
                    vmrss_kb: t.vmrss_kb,
                    vmswap_kb: t.vmswap_kb,
                    pfmajor: t.pfmajor,
                    pfminor: t.pfminor,
                    clone_ts: 0,
                    placeholder: false,
                    dead: false,
                    exe_info: super::ExeInfo::from_list(&t),
                    ..Thread::default()
                };
                let mut th = th;
                th.refresh_text();
                state.insert_thread(th);
            }
        }
        Meta::Fds { tid, fds } => {
            let tid = tid as i64;
            let pid = state.threads.get(&tid).map_or(tid, |t| t.pid);
            if let Some(table) = state.table_or_new(pid) {
                for info in fds.flatten() {
                    table.insert(info.fd, fd_from_list(&info));
                }
            }
        }
        Meta::Users(iter) => {
            for e in iter.flatten() {
                match e {
                    UserEntry::User(u) => {
                        state.users.insert(
                            u.uid,
                            User {
                                uid: u.uid,
                                gid: u.gid,
                                name: u.name.to_vec(),
                                home: u.homedir.to_vec(),
                                shell: u.shell.to_vec(),
                            },
                        );
                    }
                    UserEntry::Group(g) => {
                        state.groups.insert(
                            g.gid,
                            Group {
                                gid: g.gid,
                                name: g.name.to_vec(),
                            },
                        );
                    }
                }
            }
        }
        Meta::Interfaces(iter) => {
            for i in iter.flatten() {
                let (ip, mask) = match i.addr {
                    IfaceAddr::V4 { addr, netmask, .. } => (IpAddr::V4(addr), IpAddr::V4(netmask)),
                    IfaceAddr::V6 { addr, netmask, .. } => (IpAddr::V6(addr), IpAddr::V6(netmask)),
                };
                state.ifaces.push((ip, mask));
                if !state.local_ips.contains(&ip) {
                    state.local_ips.push(ip);
                }
            }
        }
        _ => {}
    }
}

/// An fd-list entry as libsinsp turns it into an fd (names built from the addresses).
fn fd_from_list(info: &FdInfo<'_>) -> Fd {
    let mut fd = Fd {
        kind: info.type_id(),
        ino: info.ino,
        ..Fd::default()
    };
    match info.detail {
        FdDetail::None | FdDetail::Unsupported { .. } => {}
        FdDetail::Named { name, .. } => fd.name = name.to_vec(),
        FdDetail::FileV2 {
            open_flags, name, ..
        } => {
            fd.kind = fd_kind::FILE_V2;
            fd.open_flags = open_flags;
            fd.name = name.to_vec();
        }
        FdDetail::Ipv4 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            fd.set_tuple(IpAddr::V4(sip), sport, IpAddr::V4(dip), dport);
            fd.l4proto = l4proto;
        }
        FdDetail::Ipv6 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            fd.set_tuple(IpAddr::V6(sip), sport, IpAddr::V6(dip), dport);
            fd.l4proto = l4proto;
        }
        FdDetail::Ipv4Server { ip, port, l4proto } => {
            fd.set_server(IpAddr::V4(ip), port);
            fd.l4proto = l4proto;
        }
        FdDetail::Ipv6Server { ip, port, l4proto } => {
            fd.set_server(IpAddr::V6(ip), port);
            fd.l4proto = l4proto;
        }
        // Names read from /proc/net/unix keep the line's newline; libsinsp shows none.
        FdDetail::Unix { name, .. } => {
            fd.name = name.strip_suffix(b"\n").unwrap_or(name).to_vec();
        }
    }
    fd
}

/// Sockets read from /proc list the local side first; libsinsp flips those whose local port
/// is a listening port so that every tuple reads client -> server.
pub(super) fn fix_sockets(state: &mut State) {
    let mut listening = PortSet::default();
    for f in state.fds.tables().flat_map(|t| t.values()) {
        if matches!(f.kind, fd_kind::IPV4_SERVSOCK | fd_kind::IPV6_SERVSOCK) {
            listening.insert(f.dport);
        }
    }
    if listening.is_empty() {
        return;
    }
    for f in state.fds.tables_mut().flat_map(|t| t.values_mut()) {
        if !matches!(f.kind, fd_kind::IPV4_SOCK | fd_kind::IPV6_SOCK) || f.is_server {
            continue;
        }
        if let (Some(sip), Some(dip)) = (f.sip, f.dip) {
            if listening.contains(&f.sport) && !listening.contains(&f.dport) {
                let (sport, dport) = (f.sport, f.dport);
                f.set_tuple(dip, dport, sip, sport);
                f.is_server = true;
            }
        }
    }
}

/// A set of ports: one bit each, allocated on the first insert.
#[derive(Default)]
struct PortSet(Vec<u64>);

impl PortSet {
    fn insert(&mut self, port: u16) {
        if self.0.is_empty() {
            self.0 = vec![0; 1 << 10];
        }
        if let Some(w) = self.0.get_mut(usize::from(port >> 6)) {
            *w |= 1 << (port & 63);
        }
    }

    fn contains(&self, port: &u16) -> bool {
        self.0
            .get(usize::from(*port >> 6))
            .is_some_and(|w| w & (1 << (*port & 63)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
