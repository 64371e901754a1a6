//! Plugin (322) and async (402) events as bytes: decoding, checks and fix-ups (§6, §7).

/// `PPME_PLUGINEVENT_E`.
pub const PLUGIN_EVENT: u16 = 322;
/// `PPME_ASYNCEVENT_E`.
pub const ASYNC_EVENT: u16 = 402;
/// Header size.
pub const HEADER_LEN: usize = 26;
/// Offset of a plugin event's payload.
pub const PLUGIN_PAYLOAD_OFFSET: usize = 38;

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(off..off.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// The 26-byte header of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Timestamp (ns).
    pub ts: u64,
    /// Thread id (all-ones: none).
    pub tid: u64,
    /// Total length.
    pub len: u32,
    /// Event code.
    pub ty: u16,
    /// Parameter count.
    pub nparams: u32,
}

impl Header {
    /// Reads the header; `None` if `b` is shorter than a header.
    pub fn read(b: &[u8]) -> Option<Self> {
        Some(Self {
            ts: u64_at(b, 0)?,
            tid: u64_at(b, 8)?,
            len: u32_at(b, 16)?,
            ty: u16_at(b, 20)?,
            nparams: u32_at(b, 22)?,
        })
    }
}

/// Checks that `b` is one whole event a plugin may safely read: a header whose `len` equals
/// the buffer length. Plugins trust `len`, so a hostile capture must not reach them otherwise.
pub fn check_whole(b: &[u8]) -> Result<Header, String> {
    let h = Header::read(b).ok_or("event shorter than its header")?;
    if h.len as usize != b.len() {
        return Err(format!("event length {} but {} bytes", h.len, b.len()));
    }
    Ok(h)
}

/// A decoded plugin event (type 322).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginEvent<'a> {
    /// Timestamp.
    pub ts: u64,
    /// The plugin ID of the event's source.
    pub plugin_id: u32,
    /// The opaque payload.
    pub data: &'a [u8],
}

impl<'a> PluginEvent<'a> {
    /// Decodes a whole 322 event (header included); `None` if it is not a well-formed one.
    pub fn decode(b: &'a [u8]) -> Option<Self> {
        let h = check_whole(b).ok()?;
        if h.ty != PLUGIN_EVENT || h.nparams != 2 || u32_at(b, 26)? != 4 {
            return None;
        }
        let dlen = u32_at(b, 30)? as usize;
        if PLUGIN_PAYLOAD_OFFSET.checked_add(dlen)? != b.len() {
            return None;
        }
        Some(Self {
            ts: h.ts,
            plugin_id: u32_at(b, 34)?,
            data: b.get(PLUGIN_PAYLOAD_OFFSET..)?,
        })
    }

    /// Encodes a 322 event (tid all-ones).
    pub fn encode(ts: u64, plugin_id: u32, data: &[u8]) -> Vec<u8> {
        let len = PLUGIN_PAYLOAD_OFFSET + data.len();
        let mut v = Vec::with_capacity(len);
        v.extend_from_slice(&ts.to_le_bytes());
        v.extend_from_slice(&u64::MAX.to_le_bytes());
        v.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
        v.extend_from_slice(&PLUGIN_EVENT.to_le_bytes());
        v.extend_from_slice(&2u32.to_le_bytes());
        v.extend_from_slice(&4u32.to_le_bytes());
        v.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
        v.extend_from_slice(&plugin_id.to_le_bytes());
        v.extend_from_slice(data);
        v
    }
}

/// Encodes an async event (type 402): plugin_id, NUL-terminated name, data.
pub fn encode_async(ts: u64, tid: u64, plugin_id: u32, name: &str, data: &[u8]) -> Vec<u8> {
    let name_len = name.len() + 1;
    let len = HEADER_LEN + 12 + 4 + name_len + data.len();
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&ts.to_le_bytes());
    v.extend_from_slice(&tid.to_le_bytes());
    v.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
    v.extend_from_slice(&ASYNC_EVENT.to_le_bytes());
    v.extend_from_slice(&3u32.to_le_bytes());
    for l in [4, name_len, data.len()] {
        v.extend_from_slice(&u32::try_from(l).unwrap_or(u32::MAX).to_le_bytes());
    }
    v.extend_from_slice(&plugin_id.to_le_bytes());
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    v.extend_from_slice(data);
    v
}

/// The name of an async event (without its NUL), if well-formed.
pub fn async_name(b: &[u8]) -> Option<&[u8]> {
    let name_len = u32_at(b, 30)? as usize;
    let data_len = u32_at(b, 34)? as usize;
    let end = 42usize.checked_add(name_len)?;
    if u32_at(b, 26)? != 4 || name_len == 0 || end.checked_add(data_len)? != b.len() {
        return None;
    }
    let name = b.get(42..end)?;
    let (nul, name) = name.split_last()?;
    (*nul == 0).then_some(name)
}

/// The handler's check (§10.4): type 402, 3 params, well-formed, name in the declared list.
pub fn check_async_event(b: &[u8], names: &[String]) -> Result<(), String> {
    let h = check_whole(b)?;
    if h.ty != ASYNC_EVENT || h.nparams != 3 {
        return Err(format!(
            "async event must be type 402 with 3 params, got type {} with {}",
            h.ty, h.nparams
        ));
    }
    let name = async_name(b).ok_or("malformed async event")?;
    if !names.iter().any(|n| n.as_bytes() == name) {
        return Err(format!(
            "async event name {:?} is not declared by the plugin",
            String::from_utf8_lossy(name)
        ));
    }
    Ok(())
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = b.get_mut(off..off + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}
fn put_u64(b: &mut [u8], off: usize, v: u64) {
    if let Some(s) = b.get_mut(off..off + 8) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// Validates and fixes up one event from a sourcing plugin with ID `own_id` (§7):
/// plugin_id 0 patched to the plugin's ID, tid forced to -1 on 322 events, ts stamped when it
/// is all-ones.
pub fn fix_source_event(b: &mut [u8], own_id: u32, now: u64) -> Result<(), String> {
    let h = check_whole(b)?;
    if h.ty == PLUGIN_EVENT {
        if h.nparams != 2
            || u32_at(b, 26) != Some(4)
            || PLUGIN_PAYLOAD_OFFSET + u32_at(b, 30).unwrap_or(0) as usize != b.len()
        {
            return Err("a 322 event must have 2 parameters (plugin_id, data)".into());
        }
        let id = u32_at(b, 34).unwrap_or(0);
        match (id, own_id) {
            (0, 0) => return Err("plugin event with plugin_id 0".into()),
            (0, own) => put_u32(b, 34, own),
            (id, own) if own != 0 && id != own => {
                return Err(format!(
                    "plugin event carries plugin_id {id}, expected {own}"
                ));
            }
            _ => {}
        }
        put_u64(b, 8, u64::MAX);
    } else if own_id != 0 {
        return Err(format!(
            "a plugin with an ID must emit only type 322 events, got type {}",
            h.ty
        ));
    } else if scap::table::CURRENT.event(h.ty).is_none() {
        return Err(format!("unknown event type {}", h.ty));
    }
    if h.ts == u64::MAX {
        put_u64(b, 0, now);
    }
    Ok(())
}

/// Fix-ups at dequeue for an async event (§10.4): plugin ID of the current source, ts.
pub fn fix_async_event(b: &mut [u8], source_id: u32, now: u64) {
    put_u32(b, 38, source_id);
    if u64_at(b, 0) == Some(u64::MAX) {
        put_u64(b, 0, now);
    }
}

/// Current time in ns since the epoch.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1))
        .unwrap_or(0)
}

/// libsinsp's fallback rendering of a plugin event without `event_to_string`:
/// `datalen=N data=<first 50 bytes if printable, else <binary>>`.
pub fn fallback_plugin_info(data: &[u8]) -> String {
    let head = data.get(..data.len().min(50)).unwrap_or_default();
    if head.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        format!(
            "datalen={} data={}",
            data.len(),
            String::from_utf8_lossy(head)
        )
    } else {
        format!("datalen={} data=<binary>", data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_event_round_trip_and_fixups() {
        let mut e = PluginEvent::encode(u64::MAX, 0, b"hello");
        assert_eq!(e.len(), 43);
        // Patched to our ID, tid forced, ts stamped.
        fix_source_event(&mut e, 7, 55).unwrap();
        let d = PluginEvent::decode(&e).unwrap();
        assert_eq!((d.ts, d.plugin_id, d.data), (55, 7, &b"hello"[..]));
        assert_eq!(Header::read(&e).unwrap().tid, u64::MAX);
        // Foreign ID is an error for a plugin with an ID.
        let mut e = PluginEvent::encode(1, 8, b"x");
        assert!(fix_source_event(&mut e, 7, 0)
            .unwrap_err()
            .contains("expected 7"));
        // ID 0 with an ID-0 source is an error; another plugin's ID is fine.
        let mut e = PluginEvent::encode(1, 0, b"x");
        assert!(fix_source_event(&mut e, 0, 0)
            .unwrap_err()
            .contains("plugin_id 0"));
        let mut e = PluginEvent::encode(1, 9, b"x");
        fix_source_event(&mut e, 0, 0).unwrap();
        // Truncated or inconsistent.
        let e = PluginEvent::encode(1, 9, b"xyz");
        assert!(fix_source_event(&mut e[..40].to_vec(), 9, 0).is_err());
        assert!(PluginEvent::decode(&e[..40]).is_none());
        // Non-322 from a plugin with an ID.
        let mut a = encode_async(1, u64::MAX, 0, "n", b"");
        assert!(fix_source_event(&mut a, 3, 0)
            .unwrap_err()
            .contains("only type 322"));
    }

    #[test]
    fn async_checks() {
        let names = vec!["good".to_string()];
        let e = encode_async(1, u64::MAX, 0, "good", b"data");
        assert_eq!(async_name(&e), Some(&b"good"[..]));
        check_async_event(&e, &names).unwrap();
        let bad = encode_async(1, u64::MAX, 0, "bad", b"data");
        assert!(check_async_event(&bad, &names)
            .unwrap_err()
            .contains("not declared"));
        let p = PluginEvent::encode(1, 1, b"x");
        assert!(check_async_event(&p, &names)
            .unwrap_err()
            .contains("type 402"));
        let mut e2 = e.clone();
        fix_async_event(&mut e2, 5, 9);
        assert_eq!(u32_at(&e2, 38), Some(5));
        assert_eq!(fallback_plugin_info(b"abc"), "datalen=3 data=abc");
        assert_eq!(fallback_plugin_info(&[0, 1]), "datalen=2 data=<binary>");
    }
}
