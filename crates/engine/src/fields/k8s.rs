//! `k8s.*`: Kubernetes pod and namespace of the event's container, read from the labels the
//! kubelet puts on its containers (`io.kubernetes.pod.name`, ...), as libsinsp does without an
//! API server.

use std::io::Write as _;

use super::registry::field_class;
use super::value::Value;
use super::{Field, Scratch};
use crate::session::EventCtx;
use crate::state::Container;

field_class! { K8s;
    PodName "k8s.pod.name" Str None "Kubernetes pod name (container label io.kubernetes.pod.name)";
    PodId "k8s.pod.id" Str None "Kubernetes pod uid (label io.kubernetes.pod.uid); same as k8s.pod.uid";
    PodUid "k8s.pod.uid" Str None "Kubernetes pod uid (label io.kubernetes.pod.uid)";
    PodLabel "k8s.pod.label" Str Required "one label of the pod's container, e.g. k8s.pod.label.app or k8s.pod.label[app]";
    PodLabels "k8s.pod.labels" Str None "labels of the pod's container as comma-separated key:value pairs";
    NsName "k8s.ns.name" Str None "Kubernetes namespace name (container label io.kubernetes.pod.namespace)";
}

/// The container of the event's thread, if it is in one with known metadata.
fn container<'s>(ctx: &'s EventCtx<'_>) -> Option<&'s Container> {
    let t = ctx.state.thread(ctx.event.tid() as i64)?;
    if t.container_id.is_empty() {
        return None;
    }
    ctx.state.container(&t.container_id)
}

/// Value of a `k8s.*` field.
pub(crate) fn extract<'s>(
    id: Id,
    ctx: &'s EventCtx<'_>,
    field: &Field,
    scratch: &'s mut Scratch,
) -> Option<Value<'s>> {
    let c = container(ctx)?;
    let label = |key: &[u8]| c.label(key).filter(|v| !v.is_empty()).map(Value::Bytes);
    match id {
        Id::PodName => label(b"io.kubernetes.pod.name"),
        Id::PodId | Id::PodUid => label(b"io.kubernetes.pod.uid"),
        Id::NsName => label(b"io.kubernetes.pod.namespace"),
        Id::PodLabel => {
            let key = field.arg.as_deref()?;
            // Only pods have labels: a container without pod labels has none.
            c.label(b"io.kubernetes.pod.name")?;
            c.label(key.as_bytes()).map(Value::Bytes)
        }
        Id::PodLabels => {
            c.label(b"io.kubernetes.pod.name")?;
            scratch.buf.clear();
            for (i, (k, v)) in c.labels.iter().enumerate() {
                if i > 0 {
                    scratch.buf.push(b',');
                }
                let _ = scratch.buf.write_all(k);
                scratch.buf.push(b':');
                let _ = scratch.buf.write_all(v);
            }
            Some(Value::Bytes(&scratch.buf))
        }
    }
}
