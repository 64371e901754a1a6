//! `container.*`: the container of the thread that generated the event.

use super::registry::field_class;
use super::value::Value;
use super::Field;
use crate::session::EventCtx;

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
}

/// Value of a `container.*` field.
pub(crate) fn extract<'s>(id: Id, ctx: &'s EventCtx<'_>, _field: &Field) -> Option<Value<'s>> {
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
    }
}
