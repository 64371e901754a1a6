//! `fs.path.*`: the paths of filesystem syscalls (libs ≥ 0.12 fields), read from the exit
//! event's parameters (or its enter's, for old exits that carry only the result).
//!
//! As libsinsp: only successful calls have them (`res` 0; for the open family an fd other
//! than -1, libsinsp's literal test), the non-raw forms prefix relative paths with the
//! thread's cwd (never a dirfd) and normalise them, and `fchmod`/`fchown` name their fd.

use super::registry::field_class;
use super::value::Value;
use super::{Field, Scratch};
use crate::session::{display_table, EventCtx};
use crate::state::paths;
use scap::param::ParamValue;
use scap::table::Direction;

field_class! { FsPath;
    Name "fs.path.name" Str None "path a filesystem syscall works on (mkdir, unlink, open, chmod, ...), resolved against the cwd";
    Nameraw "fs.path.nameraw" Str None "path a filesystem syscall works on, as given to the syscall";
    Source "fs.path.source" Str None "source path of a two-path syscall (rename, link, symlink, mount), resolved against the cwd";
    Sourceraw "fs.path.sourceraw" Str None "source path of a two-path syscall, as given to the syscall";
    Target "fs.path.target" Str None "target path of a two-path syscall (rename, link, symlink, mount), resolved against the cwd";
    Targetraw "fs.path.targetraw" Str None "target path of a two-path syscall, as given to the syscall";
}

/// Where a path comes from.
#[derive(Clone, Copy)]
enum Src {
    /// A parameter of the exit event (or else of its enter).
    Param(&'static str),
    /// The name of the event's fd.
    FdName,
}

/// True for the syscalls that have `fs.path.*` values (their enter events are kept for
/// exits that lack the parameters).
pub fn has_paths(syscall: &str) -> bool {
    sources(syscall).is_some()
}

/// Which of name / source / target an event has, and where each comes from.
fn sources(syscall: &str) -> Option<[Option<Src>; 3]> {
    use Src::{FdName, Param as P};
    Some(match syscall {
        "mkdir" | "mkdirat" | "rmdir" | "unlink" | "chown" | "lchown" => {
            [Some(P("path")), None, None]
        }
        "unlinkat" | "open" | "openat" | "openat2" | "umount" | "umount2" => {
            [Some(P("name")), None, None]
        }
        "fchmodat" | "chmod" => [Some(P("filename")), None, None],
        "fchownat" => [Some(P("pathname")), None, None],
        "quotactl" => [Some(P("special")), None, None],
        "fchmod" | "fchown" => [Some(FdName), None, None],
        "rename" | "renameat" | "renameat2" => [None, Some(P("oldpath")), Some(P("newpath"))],
        // libsinsp calls the new link the source and the linked file the target.
        "link" | "linkat" => [None, Some(P("newpath")), Some(P("oldpath"))],
        "symlink" | "symlinkat" => [None, Some(P("linkpath")), Some(P("target"))],
        "mount" => [None, Some(P("dev")), Some(P("dir"))],
        _ => return None,
    })
}

/// Value of an `fs.path.*` field.
pub(crate) fn extract<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    _field: &Field,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    let ev = &ctx.event;
    if ev.direction() != Direction::Exit {
        return None;
    }
    let ty = ev.event_type();
    let table = display_table(ty);
    let info = table.event(ty)?;
    let srcs = sources(info.name)?;
    let tid = ev.tid() as i64;
    let state = ctx.state;
    let exit_param = |name: &str| {
        let i = info.params.iter().position(|p| p.name == name)?;
        ev.value_in(table, i).map(|(_, v)| v)
    };
    let param = |name: &str| {
        exit_param(name)
            .filter(|v| !v.is_empty())
            .or_else(|| state.enter_value(tid, ty, name))
    };
    let as_int = |v: ParamValue<'_>| v.as_i64().or_else(|| v.as_u64().map(|u| u as i64));
    let ok = if matches!(info.name, "open" | "openat" | "openat2") {
        exit_param("fd").and_then(as_int).is_some_and(|fd| fd != -1)
    } else {
        exit_param("res").and_then(as_int) == Some(0)
    };
    if !ok {
        return None;
    }
    let (which, raw) = match id {
        Id::Name => (0, false),
        Id::Nameraw => (0, true),
        Id::Source => (1, false),
        Id::Sourceraw => (1, true),
        Id::Target => (2, false),
        Id::Targetraw => (2, true),
    };
    let path: &'s [u8] = match (*srcs.get(which)?)? {
        Src::Param(name) => param(name)?.as_bytes()?,
        Src::FdName => &state.event_fd(tid)?.name,
    };
    let path = path.strip_suffix(b"\0").unwrap_or(path);
    if raw || path.first() == Some(&b'/') {
        return Some(Value::Bytes(path));
    }
    let cwd = state.thread(tid).map(|t| t.cwd.as_slice())?;
    paths::resolve(cwd, path, &mut scratch.buf);
    Some(Value::Bytes(&scratch.buf))
}
