//! `container.*`: the container of the thread that generated the event.

use super::registry::field_class;
use super::value::Value;
use super::{Field, Scratch};
use crate::filter::glob_match;
use crate::session::EventCtx;
use crate::state::Mount;

field_class! { Container;
    Id_ "container.id" Str None "container id, or 'host' for threads outside containers";
    Name "container.name" Str None "container name, or 'host'";
    Image "container.image" Str None "container image name";
    ImageId "container.image.id" Str None "container image id";
    ImageRepository "container.image.repository" Str None "repository of the container image";
    ImageTag "container.image.tag" Str None "tag of the container image";
    ImageDigest "container.image.digest" Str None "digest of the container image";
    Type "container.type" Str None "container runtime: docker, cri, containerd, cri-o, ...";
    Privileged "container.privileged" Bool None "true for containers running privileged";
    StartTs "container.start_ts" AbsTime None "container start (creation) time, ns since the epoch";
    Mounts "container.mounts" Str None "the container's mounts, space-separated, each as source:dest:mode:rdwr:propagation";
    Mount "container.mount" Str Required "one mount, by index (container.mount[0]) or source glob (container.mount[/usr/*]), as source:dest:mode:rdwr:propagation";
    MountSource "container.mount.source" Str Required "source of one mount, by index or destination glob";
    MountDest "container.mount.dest" Str Required "destination of one mount, by index or source glob";
    MountMode "container.mount.mode" Str Required "mode of one mount, by index or source glob";
    MountRdwr "container.mount.rdwr" Str Required "read-write flag (true/false) of one mount, by index or source glob";
    MountPropagation "container.mount.propagation" Str Required "propagation of one mount, by index or source glob";
}

/// Value of a `container.*` field.
pub(crate) fn extract<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    field: &Field,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    let state = ctx.state;
    let t = state.thread(ctx.event.tid() as i64)?;
    let cid = &t.container_id;
    if cid.is_empty() {
        return match id {
            Id::Id_ | Id::Name => Some(Value::Bytes(b"host")),
            Id::Type => Some(Value::Bytes(b"host")),
            _ => None,
        };
    }
    if let Id::Id_ = id {
        return Some(Value::Bytes(cid));
    }
    let c = state.container(cid)?;
    let text = |b: &'s [u8]| (!b.is_empty()).then_some(Value::Bytes(b));
    match id {
        Id::Id_ => None,
        Id::Name => text(&c.name),
        Id::Image => text(&c.image),
        Id::ImageId => text(&c.image_id),
        Id::ImageRepository => text(&c.image_repo),
        Id::ImageTag => text(&c.image_tag),
        Id::ImageDigest => text(&c.image_digest),
        Id::Type => text(&c.kind),
        Id::Privileged => c.privileged.map(Value::Bool),
        Id::StartTs => u64::try_from(c.created_time)
            .ok()
            .filter(|s| *s > 0)
            .map(|s| Value::U64(s.saturating_mul(1_000_000_000))),
        Id::Mounts => {
            scratch.buf.clear();
            for (i, m) in c.mounts.iter().enumerate() {
                if i > 0 {
                    scratch.buf.push(b' ');
                }
                write_mount(m, &mut scratch.buf);
            }
            Some(Value::Bytes(&scratch.buf))
        }
        Id::Mount => {
            let m = find_mount(&c.mounts, field.arg.as_deref()?, false)?;
            scratch.buf.clear();
            write_mount(m, &mut scratch.buf);
            Some(Value::Bytes(&scratch.buf))
        }
        Id::MountSource => {
            let m = find_mount(&c.mounts, field.arg.as_deref()?, true)?;
            Some(Value::Bytes(&m.source))
        }
        Id::MountDest | Id::MountMode | Id::MountRdwr | Id::MountPropagation => {
            let m = find_mount(&c.mounts, field.arg.as_deref()?, false)?;
            Some(Value::Bytes(match id {
                Id::MountDest => &m.dest,
                Id::MountMode => &m.mode,
                Id::MountRdwr if m.rdwr => b"true",
                Id::MountRdwr => b"false",
                _ => &m.propagation,
            }))
        }
    }
}

/// The mount `arg` names: an index, or else a glob matched against the source (against the
/// destination for `container.mount.source`), as libsinsp looks mounts up.
fn find_mount<'m>(mounts: &'m [Mount], arg: &str, by_dest: bool) -> Option<&'m Mount> {
    if let Ok(i) = arg.parse::<usize>() {
        return mounts.get(i);
    }
    mounts.iter().find(|m| {
        let key = if by_dest { &m.dest } else { &m.source };
        glob_match(arg.as_bytes(), key, false)
    })
}

fn write_mount(m: &Mount, out: &mut Vec<u8>) {
    for (i, part) in [&m.source, &m.dest, &m.mode].into_iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.extend_from_slice(part);
    }
    out.extend_from_slice(if m.rdwr { b":true:" } else { b":false:" });
    out.extend_from_slice(&m.propagation);
}
