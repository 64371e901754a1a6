//! `thread.*` and `proc.*`: the thread that generated the event and its process.

use super::registry::field_class;
use super::value::Value;
use super::{Field, Scratch};
use crate::session::EventCtx;
use crate::state::{write_caps, State, Thread};

field_class! { Thread;
    Tid "thread.tid" I64 None "id of the thread that generated the event";
    Vtid "thread.vtid" I64 None "id of the thread as seen from its pid namespace";
    IsMain "thread.ismain" Bool None "true if the thread is its process's main thread";
    Name "proc.name" Str None "name of the executable (comm) of the thread that generated the event";
    Pid "proc.pid" I64 None "id of the process that generated the event";
    Vpid "proc.vpid" I64 None "id of the process as seen from its pid namespace";
    Ppid "proc.ppid" I64 None "id of the parent process";
    Exe "proc.exe" Str None "first command-line argument (argv[0]) of the process";
    Exepath "proc.exepath" Str None "full path of the process's executable";
    Args "proc.args" Str None "command-line arguments after argv[0], separated by spaces";
    Cmdline "proc.cmdline" Str None "process name and arguments";
    Cwd "proc.cwd" Str None "working directory of the thread";
    Env "proc.env" Str None "environment variables of the process, separated by spaces";
    Tty "proc.tty" I64 None "controlling terminal of the process (0 for none)";
    Sid "proc.sid" I64 None "session id of the process";
    Sname "proc.sname" Str None "name of the session leader of the process";
    Vpgid "proc.vpgid" I64 None "process group id of the process, in its pid namespace";
    IsVpgidLeader "proc.is_vpgid_leader" Bool None "true if the process leads its process group";
    Nthreads "proc.nthreads" U64 None "number of threads of the process, including the main thread";
    Pname "proc.pname" Str None "name of the parent process";
    Pcmdline "proc.pcmdline" Str None "name and arguments of the parent process";
    Pexe "proc.pexe" Str None "argv[0] of the parent process";
    Pexepath "proc.pexepath" Str None "full executable path of the parent process";
    Aname "proc.aname" Str OptionalIndex "name of an ancestor process: [1] parent, [2] grandparent, ...";
    Apid "proc.apid" I64 OptionalIndex "pid of an ancestor process: [1] parent, [2] grandparent, ...";
    Aexepath "proc.aexepath" Str OptionalIndex "executable path of an ancestor process";
    Loginshellid "proc.loginshellid" I64 None "pid of the oldest shell among the ancestors of the process";
    Duration "proc.duration" RelTime None "nanoseconds since the process started (its clone or execve)";
    Aexe "proc.aexe" Str OptionalIndex "argv[0] of an ancestor process: [1] parent, [2] grandparent, ...";
    ExeIno "proc.exe_ino" I64 None "inode of the executable file (compare with fd.ino)";
    ExeInoCtime "proc.exe_ino.ctime" AbsTime None "last status change time (ctime) of the executable file, ns since the epoch";
    ExeInoMtime "proc.exe_ino.mtime" AbsTime None "last modification time (mtime) of the executable file, ns since the epoch";
    ExeInoCtimeDurationProcStart "proc.exe_ino.ctime_duration_proc_start" AbsTime None "ns between the executable's ctime and the start (clone) of the process";
    ExeInoCtimeDurationPidnsStart "proc.exe_ino.ctime_duration_pidns_start" AbsTime None "ns between the pid namespace start and the executable's ctime, when the namespace is older";
    PidnsInitStartTs "proc.pidns_init_start_ts" U64 None "start of the process's pid namespace, ns since the epoch";
    IsExeWritable "proc.is_exe_writable" Bool None "true if the executable file is writable by the user running it";
    IsExeUpperLayer "proc.is_exe_upper_layer" Bool None "true if the executable file is in an overlayfs upper layer (e.g. written in the container)";
    IsExeLowerLayer "proc.is_exe_lower_layer" Bool None "true if the executable file is in an overlayfs lower layer (part of the image)";
    IsExeFromMemfd "proc.is_exe_from_memfd" Bool None "true if the executable was run from a memfd (exists only in memory)";
    CapPermitted "thread.cap_permitted" Str None "permitted capabilities of the thread, e.g. 'CAP_CHOWN CAP_KILL'";
    CapInheritable "thread.cap_inheritable" Str None "inheritable capabilities of the thread";
    CapEffective "thread.cap_effective" Str None "effective capabilities of the thread";
}

/// Shells counted by `proc.loginshellid`.
const SHELLS: &[&[u8]] = &[
    b"sh", b"bash", b"zsh", b"ksh", b"csh", b"tcsh", b"fish", b"dash",
];

/// The thread of the event, if known (threads libsinsp invented show `<NA>` names).
fn thread<'s>(ctx: &'s EventCtx<'_>) -> Option<&'s Thread> {
    ctx.state.thread(ctx.event.tid() as i64)
}

/// `proc.name` alone, for filters that test it on most events.
#[inline]
pub(crate) fn name<'s>(ctx: &'s EventCtx<'_>) -> Option<Value<'s>> {
    thread(ctx).map(|t| Value::Bytes(&t.comm))
}

/// Ancestor `n` of thread `t` (1 = parent), following each thread's parent tid as libsinsp
/// does.
fn ancestor<'s>(state: &'s State, t: &'s Thread, n: usize) -> Option<&'s Thread> {
    let mut cur = t;
    for _ in 0..n {
        if cur.ptid < 0 {
            return None;
        }
        let next = state.thread(cur.ptid)?;
        if next.tid == cur.tid {
            return None;
        }
        cur = next;
    }
    Some(cur)
}

fn index(field: &Field) -> usize {
    field
        .arg
        .as_deref()
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or(1)
}

/// Value of a `thread.*`/`proc.*` field.
pub(crate) fn extract<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    field: &Field,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    let ev = &ctx.event;
    if let Id::Tid = id {
        // Plugin events carry tid u64::MAX, which sysdig prints as -1.
        return Some(Value::I64(ev.tid() as i64));
    }
    let state = ctx.state;
    let t = thread(ctx)?;
    // The main thread costs two lookups: only the process-wide fields need it.
    let main = || state.process(t.tid).unwrap_or(t);
    let text = |b: &'s [u8]| Some(Value::Bytes(b));
    match id {
        Id::Tid => None,
        Id::Vtid => (t.vtid >= 0).then_some(Value::I64(t.vtid)),
        Id::IsMain => Some(Value::Bool(t.tid == t.pid)),
        Id::Name => text(&t.comm),
        Id::Pid => Some(Value::I64(t.pid)),
        Id::Vpid => (t.vpid >= 0).then_some(Value::I64(t.vpid)),
        Id::Ppid => Some(Value::I64(main().ptid)),
        Id::Exe => text(&t.exe),
        Id::Exepath => text(&t.exepath),
        Id::Args => text(&t.args_text),
        Id::Cmdline => text(&t.cmdline),
        Id::Cwd => text(&main().cwd),
        Id::Env => text(&main().env_text),
        Id::Tty => Some(Value::I64(i64::from(t.tty))),
        Id::Sid => Some(Value::I64(t.sid)),
        Id::Sname => text(&state.process(t.sid)?.comm),
        Id::Vpgid => Some(Value::I64(t.vpgid)),
        Id::IsVpgidLeader => Some(Value::Bool(t.vpid == t.vpgid)),
        Id::Nthreads => Some(Value::U64(state.process_threads(t.pid).max(1) as u64)),
        Id::Pname => text(&ancestor(state, t, 1)?.comm),
        Id::Pcmdline => text(&ancestor(state, t, 1)?.cmdline),
        Id::Pexe => text(&ancestor(state, t, 1)?.exe),
        Id::Pexepath => text(&ancestor(state, t, 1)?.exepath),
        Id::Aname => text(&ancestor(state, main(), index(field))?.comm),
        Id::Apid => Some(Value::I64(ancestor(state, main(), index(field))?.pid)),
        Id::Aexepath => text(&ancestor(state, main(), index(field))?.exepath),
        Id::Loginshellid => {
            let mut found = None;
            let mut cur = Some(t);
            let mut hops = 0;
            while let Some(c) = cur {
                if SHELLS.contains(&c.comm.as_slice()) {
                    found = Some(c.pid);
                }
                hops += 1;
                if hops > 64 {
                    break;
                }
                cur = ancestor(state, c, 1);
            }
            found.map(Value::I64)
        }
        Id::Duration => {
            let start = main().clone_ts;
            (start != 0).then(|| Value::U64(ev.ts().saturating_sub(start)))
        }
        Id::Aexe => text(&ancestor(state, main(), index(field))?.exe),
        // libsinsp reads 0 as "not known" for the inode and its times.
        Id::ExeIno => nonzero(t.exe_info.ino).map(|v| Value::I64(v as i64)),
        Id::ExeInoCtime => nonzero(t.exe_info.ino_ctime).map(Value::U64),
        Id::ExeInoMtime => nonzero(t.exe_info.ino_mtime).map(Value::U64),
        Id::ExeInoCtimeDurationProcStart => {
            nonzero(t.exe_info.ctime_duration_clone_ts).map(Value::U64)
        }
        Id::ExeInoCtimeDurationPidnsStart => {
            nonzero(t.exe_info.ctime_duration_pidns_start).map(Value::U64)
        }
        Id::PidnsInitStartTs => nonzero(t.exe_info.pidns_init_start_ts).map(Value::U64),
        Id::IsExeWritable => Some(Value::Bool(t.exe_info.writable)),
        Id::IsExeUpperLayer => Some(Value::Bool(t.exe_info.upper_layer)),
        Id::IsExeLowerLayer => Some(Value::Bool(t.exe_info.lower_layer)),
        Id::IsExeFromMemfd => Some(Value::Bool(t.exe_info.from_memfd)),
        Id::CapPermitted | Id::CapInheritable | Id::CapEffective => {
            let caps = match id {
                Id::CapPermitted => t.exe_info.cap_permitted,
                Id::CapInheritable => t.exe_info.cap_inheritable,
                _ => t.exe_info.cap_effective,
            };
            scratch.buf.clear();
            write_caps(caps, &mut scratch.buf);
            Some(Value::Bytes(&scratch.buf))
        }
    }
}

fn nonzero(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}
