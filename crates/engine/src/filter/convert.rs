//! Converting right-hand literal text to typed constants (spec §10.2), with libsinsp's messages.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::show;
use super::lexer::{hex_val, is_space};

/// `%d`-style: leading blanks, optional sign, decimal digits, nothing after. Hex and floats are
/// rejected (quirk Q7). Values beyond the field's width are kept as written rather than
/// narrowed (libsinsp narrows in a C-library-dependent way).
pub(crate) fn parse_signed(v: &[u8]) -> Result<i128, String> {
    parse_decimal(v).ok_or_else(|| format!("{} is not a valid number", show(v)))
}

/// `%u`-style: as [`parse_signed`], but a negative value wraps around 2^64 (`-1` is
/// `18446744073709551615`), as `strtoul` does.
pub(crate) fn parse_unsigned(v: &[u8]) -> Result<i128, String> {
    let n = parse_signed(v)?;
    if n < 0 {
        let wrapped = (n % (1i128 << 64) + (1i128 << 64)) % (1i128 << 64);
        return Ok(wrapped);
    }
    Ok(n)
}

fn parse_decimal(v: &[u8]) -> Option<i128> {
    let start = v.iter().take_while(|&&b| is_space(b)).count();
    let s = v.get(start..)?;
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i128 = 0;
    for d in digits {
        n = n.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
    }
    Some(if neg { -n } else { n })
}

/// `true` or `false`, case sensitive.
pub(crate) fn parse_bool(v: &[u8]) -> Result<bool, String> {
    match v {
        b"true" => Ok(true),
        b"false" => Ok(false),
        _ => Err(format!("unrecognized boolean value {}", show(v))),
    }
}

/// IPv4 if the text contains a `.`, else IPv6.
pub(crate) fn parse_ip(v: &[u8]) -> Result<IpAddr, String> {
    let s = std::str::from_utf8(v).unwrap_or_default();
    if v.contains(&b'.') {
        s.parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| format!("unrecognized IPv4 address {}", show(v)))
    } else {
        s.parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| format!("unrecognized IPv6 address {}", show(v)))
    }
}

/// `addr/len`.
pub(crate) fn parse_net(v: &[u8]) -> Result<(IpAddr, u8), String> {
    let bad = || format!("unrecognized IP network {}", show(v));
    let slash = v.iter().position(|&b| b == b'/').ok_or_else(bad)?;
    let (addr, len) = (
        v.get(..slash).unwrap_or_default(),
        v.get(slash + 1..).unwrap_or_default(),
    );
    let addr = parse_ip(addr).map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = parse_decimal(len).ok_or_else(bad)?;
    match u8::try_from(bits) {
        Ok(b) if b <= max => Ok((addr, b)),
        _ => Err(format!("invalid netmask {}", show(len))),
    }
}

/// An even-length hex string, for `bcontains`/`bstartswith`.
pub(crate) fn parse_hex_bytes(v: &[u8]) -> Option<Vec<u8>> {
    if v.len() % 2 != 0 {
        return None;
    }
    v.chunks_exact(2)
        .map(|p| Some(hex_val(*p.first()?)? << 4 | hex_val(*p.get(1)?)?))
        .collect()
}

/// A port: all digits, or a service name.
pub(crate) fn parse_port(v: &[u8], service: impl Fn(&str) -> Option<u16>) -> Result<i128, String> {
    if !v.is_empty() && v.iter().all(u8::is_ascii_digit) {
        return parse_unsigned(v);
    }
    std::str::from_utf8(v)
        .ok()
        .and_then(service)
        .map(i128::from)
        .ok_or_else(|| format!("unrecognized protocol {}", show(v)))
}

/// Looks a service name (or alias) up in `/etc/services`, first match wins, as
/// `getservbyname(name, NULL)`.
pub(crate) fn lookup_service(name: &str) -> Option<u16> {
    let text = std::fs::read_to_string("/etc/services").ok()?;
    service_in(&text, name)
}

pub(crate) fn service_in(text: &str, name: &str) -> Option<u16> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let service = words.next()?;
        let port = words.next()?.split('/').next()?.parse::<u16>().ok()?;
        (service == name || words.any(|alias| alias == name)).then_some(port)
    })
}

/// True when a `regex` pattern could be a plain comparison: nothing special except a leading
/// `^`, a trailing `$`, and leading/trailing `.*`, `.+` or `.?`.
pub(crate) fn regex_is_simple(p: &str) -> bool {
    let mut s = p.trim();
    s = s.strip_prefix('^').unwrap_or(s);
    if s.ends_with('$') && !s.ends_with("\\$") {
        s = s.strip_suffix('$').unwrap_or(s);
    }
    for w in [".*", ".+", ".?"] {
        s = s.strip_prefix(w).unwrap_or(s);
    }
    for w in [".*", ".+", ".?"] {
        if !s.ends_with(&format!("\\{w}")) {
            s = s.strip_suffix(w).unwrap_or(s);
        }
    }
    !s.bytes().any(|b| b"\\.+*?()|[]{}^$".contains(&b))
}
