//! Comparison predicates over values: against precompiled constants, sets and path trees, or
//! against another field's values.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::net::IpAddr;

use memchr::memmem;

use super::glob::glob_match;
use super::substr::Substr;
use crate::fields::value::Value;

/// A value-level predicate. `!=` is `Eq` negated by the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pred {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    StartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    BContains,
    BStartsWith,
}

/// A right-hand constant, prepared for its predicate.
#[derive(Debug, Clone)]
pub(crate) enum Const {
    Bytes(Box<[u8]>),
    /// Substring search (needle lower-cased for `icontains`).
    Find(Box<Substr>),
    Int(i128),
    Bool(bool),
    Ip(IpAddr),
    Net(IpAddr, u8),
    Glob(Box<[u8]>),
    Regex(regex::Regex),
}

/// Reusable buffers for predicates that must rewrite a value (case folding, UTF-8 repair).
#[derive(Debug, Default)]
pub(crate) struct Tmp {
    a: Vec<u8>,
    b: Vec<u8>,
    s: String,
}

/// Text of a value; with `cstr`, cut at the first NUL (C-string semantics of CHARBUF/paths).
pub(crate) fn text<'v>(v: &Value<'v>, cstr: bool) -> Option<&'v [u8]> {
    let b = v.as_bytes()?;
    if cstr {
        if let Some(n) = memchr::memchr(0, b) {
            return b.get(..n);
        }
    }
    Some(b)
}

#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn num(v: &Value<'_>) -> Option<Num> {
    match *v {
        Value::I64(x) => Some(Num::Int(i128::from(x))),
        Value::U64(x) => Some(Num::Int(i128::from(x))),
        Value::Double(x) => Some(Num::Float(x)),
        _ => None,
    }
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Int(y)) => x.partial_cmp(&(y as f64)),
        (Num::Int(x), Num::Float(y)) => (x as f64).partial_cmp(&y),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
    }
}

/// True if `addr` is in `net/prefix` (same address family only).
pub(crate) fn net_contains(net: IpAddr, prefix: u8, addr: IpAddr) -> bool {
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

fn ordering_ok(pred: Pred, o: Ordering) -> bool {
    match pred {
        Pred::Lt => o == Ordering::Less,
        Pred::Le => o != Ordering::Greater,
        Pred::Gt => o == Ordering::Greater,
        Pred::Ge => o != Ordering::Less,
        _ => false,
    }
}

fn lower_into<'t>(buf: &'t mut Vec<u8>, src: &[u8]) -> &'t [u8] {
    buf.clear();
    buf.extend(src.iter().map(u8::to_ascii_lowercase));
    buf
}

/// Regexes see UTF-8: invalid sequences become U+FFFD, as libsinsp sanitises before RE2.
fn utf8_of<'t>(buf: &'t mut String, src: &'t [u8]) -> &'t str {
    if let Ok(s) = std::str::from_utf8(src) {
        return s;
    }
    buf.clear();
    for chunk in src.utf8_chunks() {
        buf.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            buf.push('\u{FFFD}');
        }
    }
    buf
}

/// `t pred c` for a text value, the commonest cases without a call.
#[inline(always)]
pub(crate) fn pred_text(pred: Pred, t: &[u8], c: &Const, cstr: bool, tmp: &mut Tmp) -> bool {
    match (pred, c) {
        (Pred::Contains, Const::Find(f)) => f.is_in(t, cstr),
        (Pred::Eq, Const::Bytes(b)) => eq_text(t, b, cstr),
        _ => pred_const(pred, &Value::Bytes(t), c, cstr, tmp),
    }
}

/// `v pred c`.
#[inline(never)]
pub(crate) fn pred_const(pred: Pred, v: &Value<'_>, c: &Const, cstr: bool, tmp: &mut Tmp) -> bool {
    match (pred, c) {
        (Pred::Eq, _) => eq_const(v, c, cstr),
        (Pred::Lt | Pred::Le | Pred::Gt | Pred::Ge, _) => {
            order_const(v, c, cstr).is_some_and(|o| ordering_ok(pred, o))
        }
        // The search cuts C strings at their first NUL itself; case folding keeps NULs.
        (Pred::Contains | Pred::BContains, Const::Find(f)) => {
            v.as_bytes().is_some_and(|t| f.is_in(t, cstr))
        }
        (Pred::IContains, Const::Find(f)) => v
            .as_bytes()
            .is_some_and(|t| f.is_in(lower_into(&mut tmp.a, t), cstr)),
        // A prefix without NUL is a prefix of the text before the first NUL: no need to find it.
        (Pred::StartsWith | Pred::BStartsWith, Const::Bytes(b)) => v
            .as_bytes()
            .is_some_and(|t| t.starts_with(b) && !(cstr && b.contains(&0))),
        (Pred::EndsWith, Const::Bytes(b)) => text(v, cstr).is_some_and(|t| t.ends_with(b)),
        (Pred::Glob, Const::Glob(p)) => text(v, cstr).is_some_and(|t| glob_match(p, t, false)),
        (Pred::IGlob, Const::Glob(p)) => text(v, cstr).is_some_and(|t| glob_match(p, t, true)),
        (Pred::Regex, Const::Regex(re)) => {
            text(v, cstr).is_some_and(|t| re.is_match(utf8_of(&mut tmp.s, t)))
        }
        _ => false,
    }
}

#[inline]
fn eq_const(v: &Value<'_>, c: &Const, cstr: bool) -> bool {
    match (v, c) {
        (Value::Bytes(t), Const::Bytes(b)) => eq_text(t, b, cstr),
        (Value::Bool(x), Const::Bool(y)) => x == y,
        (Value::Ip(a), Const::Ip(b)) => a == b,
        (Value::Ip(a) | Value::Net(a, _), Const::Net(n, p)) => net_contains(*n, *p, *a),
        (_, Const::Int(y)) => {
            num(v).and_then(|x| num_cmp(x, Num::Int(*y))) == Some(Ordering::Equal)
        }
        _ => false,
    }
}

/// `t` (up to its first NUL with `cstr`) equals `b`, lengths compared first and short texts
/// without a call.
#[inline]
fn eq_text(t: &[u8], b: &[u8], cstr: bool) -> bool {
    let n = b.len();
    // With `cstr`, equal up to the first NUL without searching for it: `b` holds none.
    let ends = t.len() == n || (cstr && t.get(n) == Some(&0));
    ends && t.get(..n).is_some_and(|h| same(h, b)) && !(cstr && b.contains(&0))
}

/// `a == b` for slices of the same length.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

fn order_const(v: &Value<'_>, c: &Const, cstr: bool) -> Option<Ordering> {
    match c {
        Const::Bytes(b) => Some(text(v, cstr)?.cmp(b)),
        Const::Int(y) => num_cmp(num(v)?, Num::Int(*y)),
        _ => None,
    }
}

/// `l pred r`, both extracted values (field-to-field comparison).
pub(crate) fn pred_values(
    pred: Pred,
    l: &Value<'_>,
    r: &Value<'_>,
    cstr: (bool, bool),
    tmp: &mut Tmp,
) -> bool {
    let texts = || Some((text(l, cstr.0)?, text(r, cstr.1)?));
    match pred {
        Pred::Eq => values_eq(l, r, cstr),
        Pred::Lt | Pred::Le | Pred::Gt | Pred::Ge => {
            let o = match texts() {
                Some((a, b)) => Some(a.cmp(b)),
                None => num(l).zip(num(r)).and_then(|(a, b)| num_cmp(a, b)),
            };
            o.is_some_and(|o| ordering_ok(pred, o))
        }
        Pred::Contains | Pred::BContains => {
            texts().is_some_and(|(a, b)| memmem::find(a, b).is_some())
        }
        Pred::IContains => texts().is_some_and(|(a, b)| {
            let Tmp { a: ta, b: tb, .. } = tmp;
            memmem::find(lower_into(ta, a), lower_into(tb, b)).is_some()
        }),
        Pred::StartsWith | Pred::BStartsWith => texts().is_some_and(|(a, b)| a.starts_with(b)),
        Pred::EndsWith => texts().is_some_and(|(a, b)| a.ends_with(b)),
        Pred::Glob => texts().is_some_and(|(a, b)| glob_match(b, a, false)),
        Pred::IGlob => texts().is_some_and(|(a, b)| glob_match(b, a, true)),
        // Rejected at compile time: a regex must be a literal.
        Pred::Regex => false,
    }
}

/// Equality of two extracted values.
pub(crate) fn values_eq(l: &Value<'_>, r: &Value<'_>, cstr: (bool, bool)) -> bool {
    match (l, r) {
        (Value::Bytes(_), Value::Bytes(_)) => text(l, cstr.0) == text(r, cstr.1),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Ip(a), Value::Ip(b)) => a == b,
        (Value::Net(a, p), Value::Net(b, q)) => a == b && p == q,
        (Value::Ip(a), Value::Net(n, p)) | (Value::Net(n, p), Value::Ip(a)) => {
            net_contains(*n, *p, *a)
        }
        _ => match (num(l), num(r)) {
            (Some(a), Some(b)) => num_cmp(a, b) == Some(Ordering::Equal),
            _ => false,
        },
    }
}

/// The converted values of an `in`/`intersects` list.
#[derive(Debug, Clone)]
pub(crate) enum ConstSet {
    Text(HashSet<Box<[u8]>>),
    /// A few texts, compared one by one.
    Texts(Box<[Box<[u8]>]>),
    Int(HashSet<i128>),
    Bool {
        t: bool,
        f: bool,
    },
    Ip(HashSet<IpAddr>),
    Net(Vec<(IpAddr, u8)>),
}

impl ConstSet {
    pub(crate) fn contains(&self, v: &Value<'_>, cstr: bool) -> bool {
        match self {
            ConstSet::Text(s) => text(v, cstr).is_some_and(|t| s.contains(t)),
            ConstSet::Texts(s) => v
                .as_bytes()
                .is_some_and(|t| s.iter().any(|b| eq_text(t, b, cstr))),
            ConstSet::Int(s) => match num(v) {
                Some(Num::Int(x)) => s.contains(&x),
                // A float only equals an integer constant when it is integral.
                Some(Num::Float(x)) => {
                    x.fract() == 0.0 && x.abs() < 1e38 && s.contains(&(x as i128))
                }
                None => false,
            },
            ConstSet::Bool { t, f } => match v {
                Value::Bool(true) => *t,
                Value::Bool(false) => *f,
                _ => false,
            },
            ConstSet::Ip(s) => match v {
                Value::Ip(a) => s.contains(a),
                _ => false,
            },
            ConstSet::Net(nets) => match v {
                Value::Ip(a) | Value::Net(a, _) => {
                    nets.iter().any(|(n, p)| net_contains(*n, *p, *a))
                }
                _ => false,
            },
        }
    }
}

/// `pmatch` paths: a value matches when some path's components are a prefix of (or equal to)
/// the value's components. Empty components are dropped; a component holding `*`, `?` or `[`
/// is matched with `fnmatch` against exactly one value component.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathSet {
    paths: Vec<Vec<Component>>,
}

#[derive(Debug, Clone)]
struct Component {
    text: Box<[u8]>,
    glob: bool,
}

impl PathSet {
    pub(crate) fn add(&mut self, path: &[u8]) {
        let comps = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .map(|c| Component {
                text: c.into(),
                glob: c.iter().any(|b| matches!(b, b'*' | b'?' | b'[')),
            })
            .collect();
        self.paths.push(comps);
    }

    pub(crate) fn matches(&self, v: &[u8]) -> bool {
        self.paths.iter().any(|p| {
            let mut comps = v.split(|&b| b == b'/').filter(|c| !c.is_empty());
            p.iter().all(|pc| {
                comps.next().is_some_and(|vc| {
                    if pc.glob {
                        glob_match(&pc.text, vc, false)
                    } else {
                        *pc.text == *vc
                    }
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_texts_answer_as_the_hashed_set() {
        let items: [&[u8]; 5] = [b"etcd", b"", b"a", b"bash", b"/dev/null"];
        let hashed = ConstSet::Text(items.iter().map(|b| Box::<[u8]>::from(*b)).collect());
        let listed = ConstSet::Texts(items.iter().map(|b| Box::<[u8]>::from(*b)).collect());
        let values: [&[u8]; 12] = [
            b"etcd",
            b"etc",
            b"etcdd",
            b"etcd\0x",
            b"\0",
            b"",
            b"a",
            b"a\0",
            b"bash\0\0",
            b"/dev/null",
            b"/dev/nul",
            b"x",
        ];
        for v in values {
            for cstr in [false, true] {
                let v = Value::Bytes(v);
                assert_eq!(
                    listed.contains(&v, cstr),
                    hashed.contains(&v, cstr),
                    "{v:?} {cstr}"
                );
            }
        }
        assert!(!listed.contains(&Value::I64(1), true));
    }

    #[test]
    fn text_equality_and_prefix_cut_at_nul() {
        let mut tmp = Tmp::default();
        let cases: [(&[u8], &[u8]); 8] = [
            (b"etcd", b"etcd"),
            (b"etcd\0junk", b"etcd"),
            (b"etc", b"etcd"),
            (b"etcdx", b"etcd"),
            (b"", b""),
            (b"\0", b""),
            (b"et\0cd", b"et"),
            (
                b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
            ),
        ];
        for (v, k) in cases {
            for cstr in [false, true] {
                let cut = if cstr {
                    text(&Value::Bytes(v), true)
                } else {
                    Some(v)
                };
                let c = Const::Bytes(k.into());
                let val = Value::Bytes(v);
                assert_eq!(
                    pred_const(Pred::Eq, &val, &c, cstr, &mut tmp),
                    cut == Some(k)
                );
                assert_eq!(
                    pred_const(Pred::StartsWith, &val, &c, cstr, &mut tmp),
                    cut.is_some_and(|t| t.starts_with(k))
                );
                assert_eq!(
                    pred_text(Pred::Eq, v, &c, cstr, &mut tmp),
                    cut == Some(k),
                    "{v:?} {k:?}"
                );
            }
        }
    }
}
