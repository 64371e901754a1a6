//! Containers: ids from cgroups, metadata from container events.

use super::{Container, Mount, State, Thread};

/// The container id libsinsp derives from a thread's cgroups (NUL-separated
/// `subsys=path`): 12 hex characters for docker, cri-o and containerd, empty for the host.
pub fn container_id_from_cgroups(cgroups: &[u8]) -> Vec<u8> {
    container_id_in(cgroups)
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// The container id in `cgroups`, as [`container_id_from_cgroups`] finds it.
pub(super) fn container_id_in(cgroups: &[u8]) -> Option<&[u8]> {
    // An id is a 64-character last path component; memchr finds the separators, so an
    // entry whose last component is shorter costs a few instructions.
    let mut rest = cgroups;
    while !rest.is_empty() {
        let (entry, next) = match memchr::memchr(0, rest) {
            Some(i) => (rest.get(..i)?, rest.get(i + 1..)?),
            None => (rest, &[][..]),
        };
        rest = next;
        // What follows the entry's last `/` is at least as long as the path's last component.
        let tail = memchr::memrchr(b'/', entry).map_or(entry.len(), |i| entry.len() - i - 1);
        if tail < 64 {
            continue;
        }
        let path = match memchr::memchr(b'=', entry) {
            Some(i) => entry.get(i + 1..).unwrap_or_default(),
            None => entry,
        };
        if let Some(id) = id_in_path(path) {
            return Some(id);
        }
    }
    None
}

/// The last cgroups whose container id was worked out, and that id: the threads of a
/// process, and a process and its children, mostly share their cgroups.
#[derive(Debug, Default)]
pub(super) struct IdCache {
    cgroups: Vec<u8>,
    id: Vec<u8>,
}

impl IdCache {
    /// The container id of `cgroups`, as [`container_id_from_cgroups`] finds it.
    pub(super) fn id_of(&mut self, cgroups: &[u8]) -> &[u8] {
        if self.cgroups != cgroups {
            self.cgroups.clear();
            self.cgroups.extend_from_slice(cgroups);
            self.id.clear();
            self.id
                .extend_from_slice(container_id_in(cgroups).unwrap_or_default());
        }
        &self.id
    }
}

/// A 64-hex-character id as the last path component (optionally `docker-<id>.scope`,
/// `crio-<id>.scope`, `cri-containerd-<id>.scope`), cut to 12 characters.
fn id_in_path(path: &[u8]) -> Option<&[u8]> {
    let last = path.rsplit(|&b| b == b'/').next()?;
    let mut name = last;
    for prefix in [&b"docker-"[..], b"crio-", b"cri-containerd-", b"libpod-"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            name = rest.strip_suffix(b".scope").unwrap_or(rest);
            break;
        }
    }
    let is_hex = name.len() == 64 && name.iter().all(u8::is_ascii_hexdigit);
    if !is_hex {
        return None;
    }
    // docker and kubepods paths name the container by its full id under a known parent.
    let known = path
        .windows(8)
        .any(|w| w == b"/docker/" || w == b"kubepods")
        || last != name
        || path.windows(6).any(|w| w == b"/lxc/" || w == b"/ecs/");
    if known {
        name.get(..12)
    } else {
        None
    }
}

/// Apply a `container` JSON event payload (`{"container": {...}}`).
pub(super) fn apply_json(state: &mut State, json: &[u8], tid: u64) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let Some(c) = v.get("container") else { return };
    let text = |k: &str| {
        c.get(k)
            .and_then(|x| x.as_str())
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default()
    };
    let id = text("id");
    if id.is_empty() {
        return;
    }
    let kind = match c.get("type").and_then(|t| t.as_u64()) {
        Some(0) => "docker",
        Some(1) => "lxc",
        Some(2) => "libvirt-lxc",
        Some(3) => "mesos",
        Some(4) => "rkt",
        Some(5) => "cri",
        Some(6) => "containerd",
        Some(7) => "cri-o",
        Some(8) => "bpm",
        _ => "",
    };
    let container = Container {
        id: id.clone(),
        name: text("name"),
        image: text("image"),
        kind: kind.as_bytes().to_vec(),
        privileged: c.get("privileged").and_then(|p| p.as_bool()),
        image_repo: text("imagerepo"),
        image_tag: text("imagetag"),
        image_digest: text("imagedigest"),
        image_id: text("imageid"),
        labels: c
            .get("labels")
            .and_then(|l| l.as_object())
            .map(|l| {
                l.iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_bytes().to_vec(), v.as_str()?.as_bytes().to_vec()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        created_time: c.get("created_time").and_then(|t| t.as_i64()).unwrap_or(0),
        mounts: c
            .get("Mounts")
            .and_then(|m| m.as_array())
            .map(|m| m.iter().map(mount).collect())
            .unwrap_or_default(),
    };
    if tid == u64::MAX {
        // libsinsp shows container events under a made-up thread named after the container.
        let mut t = Thread::placeholder(-1);
        t.placeholder = false;
        t.comm = b"container:".to_vec();
        t.comm.extend_from_slice(&id);
        t.exe = t.comm.clone();
        t.container_id = id.clone();
        t.refresh_text();
        state.insert_thread(t);
    }
    state.containers.insert(id, container);
}

/// One entry of the container JSON's `Mounts`.
fn mount(m: &serde_json::Value) -> Mount {
    let text = |k: &str| {
        m.get(k)
            .and_then(|x| x.as_str())
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default()
    };
    Mount {
        source: text("Source"),
        dest: text("Destination"),
        mode: text("Mode"),
        rdwr: m.get("RW").and_then(|x| x.as_bool()).unwrap_or(false),
        propagation: text("Propagation"),
    }
}

/// Apply the old 4-parameter `container` event.
pub(super) fn apply_old(state: &mut State, id: &[u8], kind: u64, name: &[u8], image: &[u8]) {
    let container = Container {
        id: id.to_vec(),
        name: name.to_vec(),
        image: image.to_vec(),
        kind: match kind {
            0 => b"docker".to_vec(),
            _ => Vec::new(),
        },
        ..Container::default()
    };
    state.containers.insert(id.to_vec(), container);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_labels_mounts_and_start_time() {
        let json = br#"{"container":{"id":"455517a2d6f0","type":0,"created_time":1481210883,
            "labels":{"io.kubernetes.pod.name":"backend-1","io.kubernetes.pod.namespace":"critical-app"},
            "Mounts":[{"Destination":"/etc/hosts","Mode":"","Propagation":"rprivate","RW":true,"Source":"/var/lib/kubelet/etc-hosts"}]}}"#;
        let mut state = State::default();
        apply_json(&mut state, json, 1);
        let c = state.container(b"455517a2d6f0").unwrap();
        assert_eq!(c.created_time, 1481210883);
        assert_eq!(
            c.label(b"io.kubernetes.pod.namespace"),
            Some(&b"critical-app"[..])
        );
        assert_eq!(c.label(b"io.kubernetes.pod.name"), Some(&b"backend-1"[..]));
        assert_eq!(c.label(b"nope"), None);
        assert_eq!(c.mounts.len(), 1);
        assert_eq!(c.mounts[0].dest, b"/etc/hosts");
        assert!(c.mounts[0].rdwr);
    }
}
