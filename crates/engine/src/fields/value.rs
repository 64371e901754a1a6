//! Typed field values, borrowed from the event, the state, or a scratch buffer.

use std::net::IpAddr;

/// The type of a field, as `scapkit fields` lists it and the filter compiler checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Text (`CHARBUF`).
    Str,
    /// A filesystem path (`FSPATH`): compares like text, supports path-aware operators.
    Path,
    /// Raw bytes (`BYTEBUF`).
    Bytes,
    /// Signed integer.
    I64,
    /// Unsigned integer.
    U64,
    /// A port number.
    Port,
    /// Boolean.
    Bool,
    /// Floating point.
    Double,
    /// An IPv4 or IPv6 address.
    IpAddr,
    /// An IP network (CIDR).
    IpNet,
    /// A duration in ns.
    RelTime,
    /// A timestamp in ns since the epoch.
    AbsTime,
}

impl FieldType {
    /// The libsinsp name of the type, as `sysdig -l` prints it.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Str => "CHARBUF",
            FieldType::Path => "FSPATH",
            FieldType::Bytes => "BYTEBUF",
            FieldType::I64 => "INT64",
            FieldType::U64 => "UINT64",
            FieldType::Port => "PORT",
            FieldType::Bool => "BOOL",
            FieldType::Double => "DOUBLE",
            FieldType::IpAddr => "IPADDR",
            FieldType::IpNet => "IPNET",
            FieldType::RelTime => "RELTIME",
            FieldType::AbsTime => "ABSTIME",
        }
    }

    /// True for types compared as numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::I64
                | FieldType::U64
                | FieldType::Port
                | FieldType::Double
                | FieldType::RelTime
                | FieldType::AbsTime
        )
    }

    /// True for types compared as text.
    pub fn is_text(self) -> bool {
        matches!(self, FieldType::Str | FieldType::Path | FieldType::Bytes)
    }
}

/// One extracted value. Text is bytes: captures hold non-UTF-8 data, and only the printer
/// decides how to show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Text or bytes.
    Bytes(&'a [u8]),
    /// Signed integer (also errno results, pids, fds).
    I64(i64),
    /// Unsigned integer (also ports, times).
    U64(u64),
    /// Boolean.
    Bool(bool),
    /// Floating point.
    Double(f64),
    /// An address.
    Ip(IpAddr),
    /// A network: address and prefix length.
    Net(IpAddr, u8),
}

impl<'a> Value<'a> {
    /// The bytes of a text value.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The value as a signed integer, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I64(v) => Some(v),
            Value::U64(v) => i64::try_from(v).ok(),
            Value::Bool(b) => Some(i64::from(b)),
            _ => None,
        }
    }

    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U64(v) => Some(v),
            Value::I64(v) => u64::try_from(v).ok(),
            Value::Bool(b) => Some(u64::from(b)),
            _ => None,
        }
    }
}
