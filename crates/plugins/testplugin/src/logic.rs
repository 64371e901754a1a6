//! Everything the test plugin computes, without SDK types: open params, the event schedule,
//! payloads and the field values derived from them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// Events per capture when the open params are empty.
pub const DEFAULT_EVENTS: u64 = 5;
/// Largest accepted event count.
pub const MAX_EVENTS: u64 = 1_000_000;
/// Timestamp of event 0 (2023-11-14T22:13:20Z); event `n` is `n` ms later.
pub const BASE_TS: u64 = 1_700_000_000_000_000_000;
/// Longest `test.list`.
pub const MAX_LIST: u64 = 8;

/// A rejected open string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenParamsError(pub String);

impl fmt::Display for OpenParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid open params {:?}: expected an event count from 0 to {MAX_EVENTS}",
            self.0
        )
    }
}

impl std::error::Error for OpenParamsError {}

/// Parses the open string: empty (or absent) means [`DEFAULT_EVENTS`], else a decimal count.
pub fn parse_open_params(params: Option<&str>) -> Result<u64, OpenParamsError> {
    let p = params.unwrap_or("").trim();
    if p.is_empty() {
        return Ok(DEFAULT_EVENTS);
    }
    match p.parse::<u64>() {
        Ok(n) if n <= MAX_EVENTS && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(OpenParamsError(p.to_owned())),
    }
}

/// What the next `next_batch` call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One event, number `n` (1-based).
    Event(u64),
    /// TIMEOUT with an empty batch.
    Timeout,
    /// EOF with an empty batch.
    Eof,
}

/// One event per call; a single TIMEOUT after `total / 2` events (when `total >= 2`); EOF
/// after the last event, and again on every later call.
#[derive(Debug, Clone)]
pub struct Schedule {
    total: u64,
    emitted: u64,
    timed_out: bool,
}

impl Schedule {
    /// A schedule of `total` events.
    pub fn new(total: u64) -> Self {
        Self {
            total,
            emitted: 0,
            timed_out: false,
        }
    }

    /// The next step.
    pub fn next_step(&mut self) -> Step {
        if self.emitted >= self.total {
            return Step::Eof;
        }
        if !self.timed_out && self.total >= 2 && self.emitted == self.total / 2 {
            self.timed_out = true;
            return Step::Timeout;
        }
        self.emitted += 1;
        Step::Event(self.emitted)
    }

    /// Progress in percent (0–100; 100 for an empty capture).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.emitted as f64 * 100.0 / self.total as f64
        }
    }

    /// `"<emitted>/<total> events"`.
    pub fn detail(&self) -> String {
        format!("{}/{} events", self.emitted, self.total)
    }
}

/// The timestamp of event `n`.
pub fn timestamp(n: u64) -> u64 {
    BASE_TS.saturating_add(n.saturating_mul(1_000_000))
}

/// The payload of event `n`: `{"n":<n>,"msg":"hello <n>","even":<true|false>}`.
pub fn payload(n: u64) -> String {
    format!(r#"{{"n":{n},"msg":"hello {n}","even":{}}}"#, n % 2 == 0)
}

/// A decoded payload: the event number and where the message text lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The `n` member.
    pub n: u64,
    /// The bytes of the `msg` string's content in the payload.
    pub msg: Range<usize>,
}

/// Decodes a payload written by [`payload`]; anything else is `None`.
pub fn decode(data: &[u8]) -> Option<Decoded> {
    let rest = data.strip_prefix(br#"{"n":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let n: u64 = std::str::from_utf8(rest.get(..digits)?)
        .ok()?
        .parse()
        .ok()?;
    let msg_start = 5 + digits + br#","msg":""#.len();
    if data.get(5 + digits..msg_start)? != br#","msg":""# {
        return None;
    }
    let msg_len = data.get(msg_start..)?.iter().position(|&b| b == b'"')?;
    let msg = msg_start..msg_start + msg_len;
    (data == payload(n).as_bytes()).then_some(Decoded { n, msg })
}

/// `event_to_string`: `scapkit_test event n=<n> msg=hello <n>`.
pub fn describe(n: u64) -> String {
    format!("scapkit_test event n={n} msg=hello {n}")
}

/// `test.reltime`: `n` µs, in ns.
pub fn reltime_ns(n: u64) -> u64 {
    n.saturating_mul(1000)
}

/// `test.ipv4`: `192.168.0.<n mod 256>`.
pub fn ipv4(n: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 0, (n % 256) as u8))
}

/// `test.ipv6`: `2001:db8::<n mod 65536, hex>`.
pub fn ipv6(n: u64) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(
        0x2001,
        0xdb8,
        0,
        0,
        0,
        0,
        0,
        (n % 65536) as u16,
    ))
}

/// `test.net`: the network `10.<n mod 256>.0.0/16` (the API carries only the address).
pub fn net(n: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, (n % 256) as u8, 0, 0))
}

/// `test.list`: `item1` … `item<min(n, 8)>`.
pub fn list(n: u64) -> Vec<String> {
    (1..=n.min(MAX_LIST)).map(|i| format!("item{i}")).collect()
}

/// `test.list_u64`: `[n, 2n, 3n]`.
pub fn list_u64(n: u64) -> Vec<u64> {
    vec![n, n.saturating_mul(2), n.saturating_mul(3)]
}

/// `test.json[key]`: the payload member `key` as text, or `None`.
pub fn member(n: u64, key: &[u8]) -> Option<String> {
    match key {
        b"n" => Some(n.to_string()),
        b"msg" => Some(format!("hello {n}")),
        b"even" => Some((n % 2 == 0).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_params() {
        assert_eq!(parse_open_params(None), Ok(5));
        assert_eq!(parse_open_params(Some("")), Ok(5));
        assert_eq!(parse_open_params(Some("0")), Ok(0));
        assert_eq!(parse_open_params(Some(" 12 ")), Ok(12));
        assert!(parse_open_params(Some("+3")).is_err());
        assert!(parse_open_params(Some("1000001")).is_err());
        let e = parse_open_params(Some("lots")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid open params \"lots\": expected an event count from 0 to 1000000"
        );
    }

    fn run(total: u64) -> Vec<Step> {
        let mut s = Schedule::new(total);
        let mut out = Vec::new();
        loop {
            let st = s.next_step();
            out.push(st);
            if st == Step::Eof {
                return out;
            }
        }
    }

    #[test]
    fn schedule() {
        use Step::*;
        assert_eq!(run(0), [Eof]);
        assert_eq!(run(1), [Event(1), Eof]);
        assert_eq!(run(2), [Event(1), Timeout, Event(2), Eof]);
        assert_eq!(
            run(5),
            [
                Event(1),
                Event(2),
                Timeout,
                Event(3),
                Event(4),
                Event(5),
                Eof
            ]
        );
        let mut s = Schedule::new(1);
        s.next_step();
        assert_eq!(s.percent(), 100.0);
        assert_eq!(s.detail(), "1/1 events");
        assert_eq!(s.next_step(), Eof);
        assert_eq!(s.next_step(), Eof);
    }

    #[test]
    fn payload_round_trip() {
        assert_eq!(payload(3), r#"{"n":3,"msg":"hello 3","even":false}"#);
        let p = payload(12);
        let d = decode(p.as_bytes()).unwrap();
        assert_eq!(d.n, 12);
        assert_eq!(&p[d.msg], "hello 12");
        assert_eq!(decode(b"{}"), None);
        assert_eq!(decode(br#"{"n":3,"msg":"hello 4","even":false}"#), None);
        assert_eq!(decode(br#"{"n":3,"msg":"hello 3"#), None);
    }

    #[test]
    fn derived_values() {
        assert_eq!(timestamp(2), 1_700_000_000_002_000_000);
        assert_eq!(describe(4), "scapkit_test event n=4 msg=hello 4");
        assert_eq!(reltime_ns(3), 3000);
        assert_eq!(ipv4(258).to_string(), "192.168.0.2");
        assert_eq!(ipv6(255).to_string(), "2001:db8::ff");
        assert_eq!(net(7).to_string(), "10.7.0.0");
        assert_eq!(list(2), ["item1", "item2"]);
        assert_eq!(list(20).len(), 8);
        assert_eq!(list_u64(2), [2, 4, 6]);
        assert_eq!(member(2, b"even").as_deref(), Some("true"));
        assert_eq!(member(2, b"msg").as_deref(), Some("hello 2"));
        assert_eq!(member(2, b"x"), None);
    }
}
