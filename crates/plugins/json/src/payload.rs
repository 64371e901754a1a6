//! Finding the data bytes of an event (plugin-api.md §6), without SDK types.

use std::fmt;

/// Size of the event header.
const HEADER_LEN: usize = 26;
/// `PPME_PLUGINEVENT_E`: params `plugin_id` (u32), `event_data` (bytes).
pub const PLUGIN_EVENT: u16 = 322;
/// `PPME_ASYNCEVENT_E`: params `plugin_id` (u32), `name` (C string), `data` (bytes).
pub const ASYNC_EVENT: u16 = 402;

/// Why an event carries no payload the JSON plugin can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Not a plugin (322) or async (402) event.
    NoPayload(u16),
    /// The parameter lengths do not fit the event.
    Malformed(u16),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPayload(ty) => write!(f, "event type {ty} has no plugin payload"),
            Self::Malformed(ty) => write!(f, "malformed event of type {ty}"),
        }
    }
}

impl std::error::Error for PayloadError {}

/// The data parameter of a 322 (`event_data`) or 402 (`data`) event.
///
/// `params` is everything after the 26-byte header (the length words, then the values). Returns
/// the offset of the data from the start of the event, header included, and the data itself.
/// Length words are host byte order, 4 bytes each (both types have `EF_LARGE_PAYLOAD`).
pub fn event_data(
    event_type: u16,
    nparams: u32,
    params: &[u8],
) -> Result<(usize, &[u8]), PayloadError> {
    let (want, data_idx) = match event_type {
        PLUGIN_EVENT => (2usize, 1usize),
        ASYNC_EVENT => (3, 2),
        other => return Err(PayloadError::NoPayload(other)),
    };
    let bad = || PayloadError::Malformed(event_type);
    if usize::try_from(nparams).ok() != Some(want) {
        return Err(bad());
    }
    let mut off = want * 4;
    let mut data_len = 0usize;
    for i in 0..want {
        let word = params.get(i * 4..i * 4 + 4).ok_or_else(bad)?;
        let len = u32::from_ne_bytes(word.try_into().map_err(|_| bad())?);
        let len = usize::try_from(len).map_err(|_| bad())?;
        if i < data_idx {
            off = off.checked_add(len).ok_or_else(bad)?;
        } else {
            data_len = len;
        }
    }
    let end = off.checked_add(data_len).ok_or_else(bad)?;
    let data = params.get(off..end).ok_or_else(bad)?;
    Ok((HEADER_LEN + off, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(lens: &[u32], values: &[&[u8]]) -> Vec<u8> {
        let mut v: Vec<u8> = lens.iter().flat_map(|l| l.to_ne_bytes()).collect();
        for x in values {
            v.extend_from_slice(x);
        }
        v
    }

    #[test]
    fn plugin_event_payload_at_38() {
        let p = params(&[4, 2], &[&2u32.to_ne_bytes(), b"{}"]);
        assert_eq!(event_data(322, 2, &p), Ok((38, &b"{}"[..])));
    }

    #[test]
    fn async_event_payload_after_name() {
        let p = params(&[4, 4, 3], &[&0u32.to_ne_bytes(), b"abc\0", b"[1]"]);
        assert_eq!(event_data(402, 3, &p), Ok((26 + 12 + 4 + 4, &b"[1]"[..])));
    }

    #[test]
    fn rejects_others_and_truncation() {
        assert_eq!(event_data(3, 6, &[]), Err(PayloadError::NoPayload(3)));
        let p = params(&[4, 10], &[&2u32.to_ne_bytes(), b"{}"]);
        assert_eq!(event_data(322, 2, &p), Err(PayloadError::Malformed(322)));
        assert_eq!(event_data(322, 3, &p), Err(PayloadError::Malformed(322)));
        let huge = params(&[u32::MAX, u32::MAX], &[]);
        assert!(event_data(322, 2, &huge).is_err());
        assert!(event_data(322, 2, &[1, 2]).is_err());
    }
}
