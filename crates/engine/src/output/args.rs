//! Rendering event parameters exactly as sysdig 0.29.3 prints `evt.args`.
//!
//! Every function appends to a caller-owned buffer, so rendering a line allocates nothing once
//! the buffers have grown.

use std::cell::Cell;
use std::io::Write as _;

use scap::param::{decode, decode_dyn, exact, until_nul, ParamValue, SockAddr, SockTuple};
use scap::table::{EventInfo, ParamExtra, ParamInfo, ParamType, PrintFormat, Table};

use crate::session::{display_table, EventCtx};

/// `PPM_AT_FDCWD`.
const AT_FDCWD: i64 = -100;

/// How `BYTEBUF` parameters are shown (sysdig's `-A`, `-x`, `-X`, `-b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufMode {
    /// Printable ASCII as is, every other byte as `.` (the default).
    #[default]
    Dots,
    /// `-A`: printable ASCII only, line ends kept; starts on a new line.
    Ascii,
    /// `-x`: hex dump lines.
    Hex,
    /// `-X`: hex dump lines with an ASCII column.
    HexAscii,
    /// `-b`: base64.
    Base64,
}

/// Options for rendering buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferOpts {
    /// Rendering mode.
    pub mode: BufMode,
    /// In [`BufMode::Dots`], longer buffers are cut to this many characters, the last three
    /// replaced by `...` (sysdig's text output uses 80; 0 = never cut, as in JSON).
    pub max_len: usize,
}

/// sysdig's cut length for buffers in text output.
pub const TEXT_MAX_LEN: usize = 80;

impl Default for BufferOpts {
    fn default() -> Self {
        BufferOpts {
            mode: BufMode::Dots,
            max_len: TEXT_MAX_LEN,
        }
    }
}

/// True for the generic syscall events (codes 0 and 1), which print no args.
fn is_generic(ty: u16) -> bool {
    ty <= 1
}

/// Append `evt.args` for the event: `name=value ` for every parameter present.
pub fn write_args(ctx: &EventCtx<'_>, opts: &BufferOpts, out: &mut Vec<u8>) {
    let ty = ctx.event.event_type();
    if is_generic(ty) {
        return;
    }
    let table = display_table(ty);
    if let Some(info) = table.event(ty) {
        let mut stage = Stage::new();
        let n = args_of(ctx, table, info, opts, None, &mut stage, 0, out);
        stage.flush(n, out);
    }
}

/// The `name=` text of every parameter of each event type seen, kept by a line writer so
/// that [`write_args_with`] copies each as one fixed-size piece.
#[derive(Debug, Default)]
pub(crate) struct ArgNames(Vec<Option<Box<[Text]>>>);

impl ArgNames {
    #[cold]
    fn fill(&mut self, ty: u16, info: &EventInfo) {
        let i = usize::from(ty);
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        if let Some(slot) = self.0.get_mut(i) {
            let names = info.params.iter().map(|p| {
                let mut t = p.name.as_bytes().to_vec();
                t.push(b'=');
                Text::new(&t)
            });
            *slot = Some(names.collect());
        }
    }
}

/// [`write_args`], with the parameter names from `names`, continuing the staged line at `n`;
/// returns the new position in `stage`.
#[inline]
pub(crate) fn write_args_with(
    ctx: &EventCtx<'_>,
    opts: &BufferOpts,
    names: &mut ArgNames,
    stage: &mut Stage,
    n: usize,
    out: &mut Vec<u8>,
) -> usize {
    let ty = ctx.event.event_type();
    if is_generic(ty) {
        return n;
    }
    let table = display_table(ty);
    let Some(info) = table.event(ty) else {
        return n;
    };
    if !matches!(names.0.get(usize::from(ty)), Some(Some(_))) {
        names.fill(ty, info);
    }
    let texts = names.0.get(usize::from(ty)).and_then(Option::as_deref);
    args_of(ctx, table, info, opts, texts, stage, n, out)
}

#[allow(clippy::too_many_arguments)]
fn args_of(
    ctx: &EventCtx<'_>,
    table: &'static Table,
    info: &'static EventInfo,
    opts: &BufferOpts,
    names: Option<&[Text]>,
    stage: &mut Stage,
    mut n: usize,
    out: &mut Vec<u8>,
) -> usize {
    let r = Renderer {
        ctx,
        table,
        opts,
        mark: Cell::new(None),
    };
    let count = ctx.event.nparams().min(info.params.len());
    // One walk over the payloads (looking each up by index would rescan the lengths).
    let mut payloads = ctx.event.params();
    for (i, p) in info.params.iter().enumerate().take(count) {
        n = stage.room(n, out);
        n = match names.and_then(|t| t.get(i)) {
            Some(t) => stage.text(n, t, out),
            None => {
                let m = stage.bytes(n, p.name.as_bytes(), out);
                let m = stage.room(m, out);
                stage.byte(m, b'=')
            }
        };
        if let Some(bytes) = payloads.next() {
            n = stage.room(n, out);
            n = match r.stage_param(p, bytes, stage, n, out) {
                Some(m) => m,
                None => {
                    stage.flush(n, out);
                    r.value(p, p.ty, p.fmt, decode(p.ty, bytes), out);
                    0
                }
            };
        }
        n = stage.room(n, out);
        n = stage.byte(n, b' ');
    }
    n
}

/// Index of the parameter named `name` (or given as a decimal index) in the event's schema.
pub fn arg_index(ctx: &EventCtx<'_>, name: &str) -> Option<usize> {
    let ty = ctx.event.event_type();
    let info = display_table(ty).event(ty)?;
    let n = ctx.event.nparams().min(info.params.len());
    let i = match name.parse::<usize>() {
        Ok(i) => i,
        Err(_) => info.params.iter().position(|p| p.name == name)?,
    };
    (i < n).then_some(i)
}

/// Append parameter `i` rendered as in `evt.args` (value plus resolved form). Returns false
/// when the event has no such parameter.
pub fn write_arg(ctx: &EventCtx<'_>, i: usize, opts: &BufferOpts, out: &mut Vec<u8>) -> bool {
    let ty = ctx.event.event_type();
    let table = display_table(ty);
    let Some((info, v)) = ctx.event.value_in(table, i) else {
        return false;
    };
    let r = Renderer {
        ctx,
        table,
        opts,
        mark: Cell::new(None),
    };
    r.value(info, info.ty, info.fmt, v, out);
    true
}

/// Append parameter `i` as `evt.arg.NAME` shows it: the resolved form alone when there is one
/// (`<f>/etc/passwd`, `ENOENT`), else the value.
pub fn write_arg_resolved(
    ctx: &EventCtx<'_>,
    i: usize,
    opts: &BufferOpts,
    out: &mut Vec<u8>,
) -> bool {
    let ty = ctx.event.event_type();
    let table = display_table(ty);
    let Some((info, v)) = ctx.event.value_in(table, i) else {
        return false;
    };
    let start = out.len();
    let r = Renderer {
        ctx,
        table,
        opts,
        mark: Cell::new(None),
    };
    r.value(info, info.ty, info.fmt, v, out);
    if let Some(m) = r.mark.get() {
        if m >= start && out.get(m) == Some(&b'(') && out.last() == Some(&b')') {
            out.pop();
            out.drain(start..=m);
        }
    }
    true
}

struct Renderer<'c, 'a> {
    ctx: &'c EventCtx<'a>,
    table: &'static Table,
    opts: &'c BufferOpts,
    /// Where the resolved form (`(...)`) of the value being rendered starts, if it has one.
    mark: Cell<Option<usize>>,
}

impl Renderer<'_, '_> {
    fn tid(&self) -> i64 {
        self.ctx.event.tid() as i64
    }

    /// The common parameters (integers, return values, pids, fds, strings) straight from
    /// their payload, as [`decode`] and [`Renderer::value`] show them, staged at `n` (which
    /// [`Stage::room`] returned); `None` for the others and for payloads that do not fit their
    /// type. One dispatch on the type instead of two, and no intermediate value. Does not set
    /// the resolved-form mark: `evt.args` does not need it.
    #[inline]
    fn stage_param(
        &self,
        info: &ParamInfo,
        b: &[u8],
        stage: &mut Stage,
        n: usize,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        use ParamType as T;
        let int = |x: i64| match info.fmt {
            PrintFormat::Hex => Some(x as u64 & int_mask(bits_of(info.ty))),
            PrintFormat::Oct | PrintFormat::PaddedDec => None,
            _ => Some(x as u64),
        };
        Some(match info.ty {
            T::Int8 | T::Int16 | T::Int32 | T::Int64 => {
                let x = match info.ty {
                    T::Int8 => i64::from(i8::from_le_bytes(exact(b)?)),
                    T::Int16 => i64::from(i16::from_le_bytes(exact(b)?)),
                    T::Int32 => i64::from(i32::from_le_bytes(exact(b)?)),
                    _ => i64::from_le_bytes(exact(b)?),
                };
                match (info.fmt, int(x)?) {
                    (PrintFormat::Hex, u) => stage.hex(n, u),
                    _ => stage.i64(n, x),
                }
            }
            T::Uint8 | T::Uint16 | T::Uint32 | T::Uint64 => {
                let x = match info.ty {
                    T::Uint8 => u64::from(u8::from_le_bytes(exact(b)?)),
                    T::Uint16 => u64::from(u16::from_le_bytes(exact(b)?)),
                    T::Uint32 => u64::from(u32::from_le_bytes(exact(b)?)),
                    _ => u64::from_le_bytes(exact(b)?),
                };
                match info.fmt {
                    PrintFormat::Hex => stage.hex(n, x),
                    PrintFormat::Oct | PrintFormat::PaddedDec => return None,
                    _ => stage.i64(n, uint_as_signed(info.ty, x)),
                }
            }
            T::Errno => {
                let x = i64::from_le_bytes(exact(b)?);
                let n = stage.i64(n, x);
                match errno_name(self.table, x) {
                    Some(name) => stage_paren(stage, n, name.as_bytes(), out),
                    None => n,
                }
            }
            T::Pid | T::Pid32 => {
                let pid = match info.ty {
                    T::Pid => i64::from_le_bytes(exact(b)?),
                    _ => i64::from(i32::from_le_bytes(exact(b)?)),
                };
                let n = stage.i64(n, pid);
                match self.ctx.state.thread(pid) {
                    Some(t) => stage_paren(stage, n, &t.comm, out),
                    None => n,
                }
            }
            T::Fd | T::Fd32 => {
                let fd = match info.ty {
                    T::Fd => i64::from_le_bytes(exact(b)?),
                    _ => i64::from(i32::from_le_bytes(exact(b)?)),
                };
                self.stage_fd(fd, stage, n, out)
            }
            T::Charbuf if !b.is_empty() => stage.bytes(n, until_nul(b), out),
            T::Flags8
            | T::Flags16
            | T::Flags32
            | T::Enumflags8
            | T::Enumflags16
            | T::Enumflags32 => {
                let x = match b.len() {
                    1 => u32::from(u8::from_le_bytes(exact(b)?)),
                    2 => u32::from(u16::from_le_bytes(exact(b)?)),
                    _ => u32::from_le_bytes(exact(b)?),
                };
                let width = match info.ty {
                    T::Flags8 | T::Enumflags8 => 1,
                    T::Flags16 | T::Enumflags16 => 2,
                    _ => 4,
                };
                if b.len() != width {
                    return None;
                }
                let hits = match info.info {
                    ParamExtra::Flags(t)
                        if matches!(info.ty, T::Flags8 | T::Flags16 | T::Flags32) =>
                    {
                        Some((t.entries, flag_hits(t.entries, x)?))
                    }
                    ParamExtra::Flags(t) => Some((t.entries, enum_hits(t.entries, x)?)),
                    _ => None,
                };
                let n = stage.u64(n, u64::from(x));
                match hits {
                    Some((entries, hits)) => stage_names(entries, hits, stage, n, out),
                    None => n,
                }
            }
            _ => return None,
        })
    }

    /// [`Renderer::fd`], staged.
    #[inline]
    fn stage_fd(&self, fd: i64, stage: &mut Stage, n: usize, out: &mut Vec<u8>) -> usize {
        let n = stage.i64(n, fd);
        if fd == AT_FDCWD {
            let n = stage.room(n, out);
            return stage.bytes(n, b"(AT_FDCWD)", out);
        }
        if fd < 0 {
            return match errno_name(self.table, fd) {
                Some(name) => stage_paren(stage, n, name.as_bytes(), out),
                None => n,
            };
        }
        let Some(f) = self.ctx.state.fd(self.tid(), fd) else {
            return n;
        };
        let mut tag = [0u8; 8];
        let mut len = 0;
        for c in [b'(', b'<'] {
            tag[len] = c;
            len += 1;
        }
        let c = self.type_char(f.kind);
        len += c.encode_utf8(&mut tag[len..len + 4]).len();
        // IP sockets show their layer-4 protocol once known.
        if let (3..=6, Some(c)) = (f.kind, l4_char(f.l4proto)) {
            tag[len] = c;
            len += 1;
        }
        tag[len] = b'>';
        len += 1;
        let n = stage.room(n, out);
        let n = stage.bytes(n, &tag[..len], out);
        let n = stage.room(n, out);
        let n = stage.bytes(n, &f.name, out);
        let n = stage.room(n, out);
        stage.byte(n, b')')
    }

    fn value(
        &self,
        info: &ParamInfo,
        ty: ParamType,
        fmt: PrintFormat,
        v: ParamValue<'_>,
        out: &mut Vec<u8>,
    ) {
        use ParamValue as V;
        match v {
            V::Empty => match ty {
                ParamType::Sockaddr | ParamType::Socktuple => out.extend_from_slice(b"NULL"),
                ParamType::Dyn => out.extend_from_slice(b"INVALID DYNAMIC PARAMETER"),
                _ => {}
            },
            V::Raw(_) | V::CharBufArray(_) => {}
            V::Int(n) => write_int(out, n, bits_of(ty), fmt),
            V::Uint(n) => match fmt {
                PrintFormat::Hex | PrintFormat::Oct => write_int(out, n as i64, 64, fmt),
                _ => write_int(out, uint_as_signed(ty, n), 64, fmt),
            },
            V::Errno(n) => {
                push_i64(out, n);
                if n < 0 {
                    self.errno_suffix(n, out);
                }
            }
            V::Fd(fd) => self.fd(fd, out),
            V::Pid(pid) => {
                push_i64(out, pid);
                if let Some(t) = self.ctx.state.thread(pid) {
                    self.mark.set(Some(out.len()));
                    out.push(b'(');
                    out.extend_from_slice(&t.comm);
                    out.push(b')');
                }
            }
            V::Str(s) => match ty {
                ParamType::Fspath | ParamType::Fsrelpath => self.path(info, ty, s, out),
                _ => out.extend_from_slice(s),
            },
            V::Bytes(b) => write_buffer(b, self.opts, out),
            V::SockAddr(a) => write_sockaddr(&a, out),
            V::SockTuple(t) => write_socktuple(&t, out),
            V::FdList(items) => {
                let mut first = true;
                for item in items {
                    if !first {
                        out.push(b' ');
                    }
                    first = false;
                    push_i64(out, item.fd);
                    out.push(b':');
                    let c = self
                        .ctx
                        .state
                        .fd(self.tid(), item.fd)
                        .map_or('?', |f| self.type_char(f.kind));
                    push_char(out, c);
                    let _ = write!(out, "{:x}", item.flags as i16 as i32 as u32);
                }
            }
            V::SyscallId(id) => {
                push_i64(out, i64::from(id));
                if let Some(name) = self.table.syscall_name(id) {
                    self.mark.set(Some(out.len()));
                    paren(out, name.as_bytes());
                }
            }
            V::SigType(s) => {
                push_i64(out, i64::from(s));
                if let Some(name) = self.table.signal_name(u32::from(s)) {
                    self.mark.set(Some(out.len()));
                    paren(out, name.as_bytes());
                }
            }
            V::RelTime(ns) => {
                if ns == u64::MAX {
                    out.extend_from_slice(b"none");
                } else {
                    push_u64(out, ns);
                    self.mark.set(Some(out.len()));
                    out.push(b'(');
                    write_g(out, ns as f64 / 1e9);
                    out.extend_from_slice(b"s)");
                }
            }
            V::AbsTime(ns) => push_u64(out, ns),
            V::Port(p) => push_u64(out, u64::from(p)),
            V::L4Proto(p) | V::SockFamily(p) => push_u64(out, u64::from(p)),
            V::Bool(b) => push_u64(out, u64::from(b)),
            V::Ipv4(ip) => {
                let _ = write!(out, "{}", std::net::Ipv4Addr::from(ip));
            }
            V::Ipv6(ip) => {
                let _ = write!(out, "{}", std::net::Ipv6Addr::from(ip));
            }
            V::Double(d) => {
                let _ = write!(out, "{d}");
            }
            V::Flags { bits, .. } => {
                push_u64(out, u64::from(bits));
                self.mark.set(Some(out.len()));
                if let ParamExtra::Flags(t) = info.info {
                    write_flag_names(t.entries, bits, out);
                }
            }
            V::Enum { value, .. } => {
                push_u64(out, u64::from(value));
                if let ParamExtra::Flags(t) = info.info {
                    let start = out.len();
                    self.mark.set(Some(out.len()));
                    out.push(b'(');
                    for (name, v) in t.entries {
                        if *v == value {
                            if out.len() > start + 1 {
                                out.push(b'|');
                            }
                            out.extend_from_slice(name.as_bytes());
                        }
                    }
                    if out.len() == start + 1 {
                        out.truncate(start);
                    } else {
                        out.push(b')');
                    }
                }
            }
            V::Mode(m) => {
                write_int(out, i64::from(m), 32, fmt);
                self.mark.set(Some(out.len()));
                if let ParamExtra::Flags(t) = info.info {
                    write_flag_names(t.entries, m, out);
                }
            }
            V::Uid(u) | V::Gid(u) => {
                if u == u32::MAX {
                    out.extend_from_slice(b"-1");
                    self.mark.set(Some(out.len()));
                    out.extend_from_slice(b"(<NONE>)");
                } else {
                    push_u64(out, u64::from(u));
                    let name = if matches!(v, V::Uid(_)) {
                        self.ctx.state.user(u).map(|x| &x.name[..])
                    } else {
                        self.ctx.state.group(u).map(|x| &x.name[..])
                    };
                    self.mark.set(Some(out.len()));
                    paren(out, name.unwrap_or(b"<NA>"));
                }
            }
            V::SigSet(bits) => {
                let mut first = true;
                for n in 0..32u32 {
                    if bits & (1 << n) == 0 {
                        continue;
                    }
                    if let Some(name) = self.table.signal_name(n + 1) {
                        if !first {
                            out.push(b' ');
                        }
                        first = false;
                        out.extend_from_slice(name.as_bytes());
                    }
                }
            }
            V::Dyn { index, bytes } => match decode_dyn(info, index, bytes) {
                Some((alt, inner)) => self.value(&NO_EXTRA, alt.ty, fmt, inner, out),
                None => out.extend_from_slice(b"INVALID DYNAMIC PARAMETER"),
            },
        }
    }

    fn errno_suffix(&self, n: i64, out: &mut Vec<u8>) {
        if let Some(name) = errno_name(self.table, n) {
            self.mark.set(Some(out.len()));
            paren(out, name.as_bytes());
        }
    }

    fn type_char(&self, kind: u8) -> char {
        self.table
            .fd_type_chars
            .get(usize::from(kind))
            .copied()
            .unwrap_or('?')
    }

    fn fd(&self, fd: i64, out: &mut Vec<u8>) {
        push_i64(out, fd);
        if fd == AT_FDCWD {
            self.mark.set(Some(out.len()));
            out.extend_from_slice(b"(AT_FDCWD)");
            return;
        }
        if fd < 0 {
            self.errno_suffix(fd, out);
            return;
        }
        let Some(f) = self.ctx.state.fd(self.tid(), fd) else {
            return;
        };
        self.mark.set(Some(out.len()));
        out.extend_from_slice(b"(<");
        push_char(out, self.type_char(f.kind));
        // IP sockets show their layer-4 protocol once known.
        if matches!(f.kind, 3..=6) {
            if let Some(c) = l4_char(f.l4proto) {
                out.push(c);
            }
        }
        out.push(b'>');
        out.extend_from_slice(&f.name);
        out.push(b')');
    }

    fn path(&self, info: &ParamInfo, ty: ParamType, s: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(s);
        if s.first() == Some(&b'/') || s.starts_with(b"<NA>") {
            return;
        }
        let tid = self.tid();
        let Some(t) = self.ctx.state.thread(tid) else {
            return;
        };
        let mut base: &[u8] = &t.cwd;
        if ty == ParamType::Fsrelpath {
            if let ParamExtra::DirFd(k) = info.info {
                if let Some((_, ParamValue::Fd(dirfd))) =
                    self.ctx.event.value_in(self.table, usize::from(k))
                {
                    if dirfd != AT_FDCWD {
                        match self.ctx.state.fd(tid, dirfd) {
                            Some(f) => base = &f.name,
                            None => return,
                        }
                    }
                }
            }
        }
        self.mark.set(Some(out.len()));
        out.push(b'(');
        join_path(base, s, out);
        out.push(b')');
    }
}

static NO_EXTRA: ParamInfo = ParamInfo {
    name: "",
    ty: ParamType::None,
    fmt: PrintFormat::Na,
    info: ParamExtra::None,
};

fn l4_char(proto: u8) -> Option<u8> {
    Some(match proto {
        2 => b't',
        3 => b'u',
        4 => b'i',
        5 => b'r',
        _ => return None,
    })
}

fn bits_of(ty: ParamType) -> u32 {
    match ty {
        ParamType::Int8 | ParamType::Uint8 => 8,
        ParamType::Int16 | ParamType::Uint16 => 16,
        ParamType::Int32 | ParamType::Uint32 => 32,
        _ => 64,
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut b = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

use super::line::{push_hex, push_i64, push_u64, Text};
use super::stage::Stage;

fn paren(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'(');
    out.extend_from_slice(s);
    out.push(b')');
}

/// The name of errno `-n` for a negative return value `n`.
fn errno_name(table: &Table, n: i64) -> Option<&'static str> {
    if n >= 0 {
        return None;
    }
    let p = u32::try_from(n.checked_neg()?).ok()?;
    table.errno_name(p)
}

/// An unsigned parameter as sysdig prints it in decimal.
fn uint_as_signed(ty: ParamType, n: u64) -> i64 {
    match ty {
        // sysdig prints these through a signed conversion.
        ParamType::Uint32 => i64::from(n as u32 as i32),
        ParamType::Uint64 => n as i64,
        _ => i64::try_from(n).unwrap_or(i64::MAX),
    }
}

/// Stage `(s)` at `n` (which [`Stage::room`] returned).
#[inline]
fn stage_paren(stage: &mut Stage, n: usize, s: &[u8], out: &mut Vec<u8>) -> usize {
    let n = stage.byte(n, b'(');
    let n = stage.bytes(n, s, out);
    let n = stage.room(n, out);
    stage.byte(n, b')')
}

/// The bits of an integer stored in `bits` bits shown in hex or octal: C promotes narrow
/// values to int, so negatives show 32 bits.
fn int_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    }
}

/// An integer in its print format. `bits` is the stored width (for hex of negatives).
fn write_int(out: &mut Vec<u8>, n: i64, bits: u32, fmt: PrintFormat) {
    let u = n as u64 & int_mask(bits);
    match fmt {
        PrintFormat::Hex => push_hex(out, u),
        PrintFormat::Oct => {
            if u == 0 {
                out.push(b'0');
            } else {
                let _ = write!(out, "0{u:o}");
            }
        }
        PrintFormat::PaddedDec => {
            let _ = write!(out, "{n:09}");
        }
        _ => push_i64(out, n),
    }
}

/// The names of `orig` from a flags table, in parentheses, walked as libsinsp 0.29 does.
fn write_flag_names(entries: &[(&str, u32)], orig: u32, out: &mut Vec<u8>) {
    let start = out.len();
    out.push(b'(');
    let mut rem = orig;
    let mut any = false;
    for (name, v) in entries {
        if *v == orig {
            if any {
                out.push(b'|');
            }
            out.extend_from_slice(name.as_bytes());
            any = true;
            break;
        }
        let hit = (*v == 0 && orig == 0) || (*v != 0 && rem & *v == *v && rem != 0);
        if hit {
            if any {
                out.push(b'|');
            }
            out.extend_from_slice(name.as_bytes());
            any = true;
            rem &= !*v;
        }
    }
    if any {
        out.push(b')');
    } else {
        out.truncate(start);
    }
}

/// The entries [`write_flag_names`] names for `orig`, as a bitmask of their indices (`None`
/// when the table is too long for one).
fn flag_hits(entries: &[(&str, u32)], orig: u32) -> Option<u64> {
    if entries.len() > 64 {
        return None;
    }
    let mut rem = orig;
    let mut hits = 0u64;
    for (i, (_, v)) in entries.iter().enumerate() {
        if *v == orig {
            hits |= 1 << i;
            break;
        }
        if (*v == 0 && orig == 0) || (*v != 0 && rem & *v == *v && rem != 0) {
            hits |= 1 << i;
            rem &= !*v;
        }
    }
    Some(hits)
}

/// The entries equal to the enum value `value`, as a bitmask of their indices (`None` when
/// the table is too long for one).
fn enum_hits(entries: &[(&str, u32)], value: u32) -> Option<u64> {
    if entries.len() > 64 {
        return None;
    }
    let hits = entries.iter().enumerate().filter(|(_, (_, v))| *v == value);
    Some(hits.fold(0, |h, (i, _)| h | 1 << i))
}

/// Stage `(A|B|...)`, the names of the entries in `hits`; nothing when there are none.
fn stage_names(
    entries: &[(&str, u32)],
    mut hits: u64,
    stage: &mut Stage,
    n: usize,
    out: &mut Vec<u8>,
) -> usize {
    if hits == 0 {
        return n;
    }
    let mut n = stage.byte(n, b'(');
    let mut sep = false;
    while hits != 0 {
        let i = hits.trailing_zeros() as usize;
        hits &= hits - 1;
        if let Some((name, _)) = entries.get(i) {
            if sep {
                n = stage.room(n, out);
                n = stage.byte(n, b'|');
            }
            sep = true;
            n = stage.room(n, out);
            n = stage.bytes(n, name.as_bytes(), out);
        }
    }
    n = stage.room(n, out);
    stage.byte(n, b')')
}

/// `base` joined with the relative path `rel`, normalised (`.`, `..`, repeated `/`).
fn join_path(base: &[u8], rel: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    if base.first() != Some(&b'/') {
        // Not a path (e.g. a socket name): keep it as is.
        out.extend_from_slice(base);
        if base.last() != Some(&b'/') {
            out.push(b'/');
        }
        out.extend_from_slice(rel);
        return;
    }
    out.push(b'/');
    let root = start + 1;
    for comp in base.split(|c| *c == b'/').chain(rel.split(|c| *c == b'/')) {
        match comp {
            b"" | b"." => {}
            b".." => {
                let cut = out
                    .get(root..)
                    .and_then(|s| s.iter().rposition(|c| *c == b'/'))
                    .map_or(root, |p| root + p);
                out.truncate(cut);
            }
            c => {
                if out.len() > root {
                    out.push(b'/');
                }
                out.extend_from_slice(c);
            }
        }
    }
    if rel.last() == Some(&b'/') && out.len() > root {
        out.push(b'/');
    }
}

/// C's `isprint` in the C locale.
fn is_print(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// A `BYTEBUF` as sysdig shows it in `opts.mode`.
pub fn write_buffer(b: &[u8], opts: &BufferOpts, out: &mut Vec<u8>) {
    match opts.mode {
        BufMode::Dots => {
            let cut = opts.max_len != 0 && b.len() > opts.max_len;
            let shown = if cut {
                b.get(..opts.max_len.saturating_sub(3)).unwrap_or(b)
            } else {
                b
            };
            out.extend(shown.iter().map(|&c| if is_print(c) { c } else { b'.' }));
            if cut {
                out.extend_from_slice(b"...");
            }
        }
        BufMode::Ascii => {
            out.push(b'\n');
            for (j, &c) in b.iter().enumerate() {
                if is_print(c) {
                    out.push(c);
                } else if c == b'\r' {
                    out.push(b'\n');
                } else if c == b'\n' && j > 0 && b.get(j - 1) != Some(&b'\r') {
                    out.push(c);
                }
            }
        }
        BufMode::Hex | BufMode::HexAscii => {
            for (row, chunk) in b.chunks(16).enumerate() {
                let _ = write!(out, "\n\t0x{:04x}:", row * 16);
                let mut n = 0;
                for pair in chunk.chunks(2) {
                    match pair {
                        [a, b2] => {
                            let _ = write!(out, " {a:02x}{b2:02x}");
                        }
                        [a] => {
                            let _ = write!(out, " {a:02x}");
                        }
                        _ => {}
                    }
                    n += 1;
                }
                if opts.mode == BufMode::HexAscii {
                    for _ in n..8 {
                        out.extend_from_slice(b"     ");
                    }
                    out.extend_from_slice(b"  ");
                    out.extend(chunk.iter().map(|&c| if is_print(c) { c } else { b'.' }));
                }
            }
            out.push(b'\n');
        }
        BufMode::Base64 => write_base64(b, out),
    }
}

fn write_base64(b: &[u8], out: &mut Vec<u8>) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| A.get((i & 63) as usize).copied().unwrap_or(b'=');
    for c in b.chunks(3) {
        let x = c.iter().fold(0u32, |acc, &v| acc << 8 | u32::from(v)) << (8 * (3 - c.len()));
        out.push(sym(x >> 18));
        out.push(sym(x >> 12));
        out.push(if c.len() > 1 { sym(x >> 6) } else { b'=' });
        out.push(if c.len() > 2 { sym(x) } else { b'=' });
    }
}

fn write_ipv4(out: &mut Vec<u8>, ip: [u8; 4], port: u16) {
    let _ = write!(out, "{}:{port}", std::net::Ipv4Addr::from(ip));
}

fn write_ipv6(out: &mut Vec<u8>, ip: [u8; 16], port: u16) {
    let _ = write!(out, "{}:{port}", std::net::Ipv6Addr::from(ip));
}

fn write_sockaddr(a: &SockAddr<'_>, out: &mut Vec<u8>) {
    match *a {
        SockAddr::Unix(p) => out.extend_from_slice(p),
        SockAddr::V4 { ip, port } => write_ipv4(out, ip, port),
        SockAddr::V6 { ip, port } => write_ipv6(out, ip, port),
        SockAddr::Other { family, .. } => {
            let _ = write!(out, "family {family}");
        }
    }
}

/// `::ffff:a.b.c.d`, or `::` (which libsinsp also treats as IPv4-mapped: `0.0.0.0`).
fn mapped_v4(ip: &[u8; 16]) -> Option<[u8; 4]> {
    let (head, v4) = ip.split_last_chunk::<4>()?;
    let mapped = *head == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] || *ip == [0; 16];
    mapped.then_some(*v4)
}

fn write_socktuple(t: &SockTuple<'_>, out: &mut Vec<u8>) {
    match *t {
        SockTuple::V4 {
            src,
            sport,
            dst,
            dport,
        } => {
            write_ipv4(out, src, sport);
            out.extend_from_slice(b"->");
            write_ipv4(out, dst, dport);
        }
        SockTuple::V6 {
            src,
            sport,
            dst,
            dport,
        } => match (mapped_v4(&src), mapped_v4(&dst)) {
            (Some(s), Some(d)) => {
                write_ipv4(out, s, sport);
                out.extend_from_slice(b"->");
                write_ipv4(out, d, dport);
            }
            _ => {
                write_ipv6(out, src, sport);
                out.extend_from_slice(b"->");
                write_ipv6(out, dst, dport);
            }
        },
        SockTuple::Unix { src, dst, path } => {
            let _ = write!(out, "{src:x}->{dst:x} ");
            out.extend_from_slice(path);
        }
        SockTuple::Other { family, .. } => {
            let _ = write!(out, "family {family}");
        }
    }
}

/// C's `%g` (6 significant digits, trailing zeros removed).
pub(crate) fn write_g(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    let sci = format!("{v:.5e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        let fixed = format!("{v:.decimals$}");
        out.extend_from_slice(strip_zeros(&fixed).as_bytes());
    } else {
        out.extend_from_slice(strip_zeros(mant).as_bytes());
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format() {
        let g = |v: f64| {
            let mut o = Vec::new();
            write_g(&mut o, v);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(g(0.001), "0.001");
        assert_eq!(g(1.5), "1.5");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(1234567.0), "1.23457e+06");
        assert_eq!(g(10.0), "10");
    }

    #[test]
    fn paths_join() {
        let j = |b: &[u8], r: &[u8]| {
            let mut o = Vec::new();
            join_path(b, r, &mut o);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(j(b"/", b"."), "/");
        assert_eq!(j(b"/var/lib/mysql/", b"./userss"), "/var/lib/mysql/userss");
        assert_eq!(j(b"/a/b/", b"../c"), "/a/c");
        assert_eq!(j(b"/", b"../../x"), "/x");
    }

    #[test]
    fn buffers() {
        let r = |b: &[u8], mode| {
            let mut o = Vec::new();
            write_buffer(b, &BufferOpts { mode, max_len: 80 }, &mut o);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(r(b"ls\0-l\0", BufMode::Dots), "ls.-l.");
        assert_eq!(r(b"/dev/null\0", BufMode::Base64), "L2Rldi9udWxsAA==");
        assert_eq!(
            r(b"/dev/null\0", BufMode::HexAscii),
            "\n\t0x0000: 2f64 6576 2f6e 756c 6c00                 /dev/null.\n"
        );
        let long = [b'a'; 81];
        assert_eq!(r(&long, BufMode::Dots).len(), 80);
        assert!(r(&long, BufMode::Dots).ends_with("aaa..."));
        assert_eq!(r(&long[..80], BufMode::Dots).len(), 80);
    }

    #[test]
    fn staged_flag_names_match() {
        let mut tables: Vec<&scap::table::FlagTable> = Vec::new();
        for t in [scap::table::CURRENT, scap::table::SYSDIG_0_29] {
            for e in t.events {
                for p in e.params {
                    if let ParamExtra::Flags(f) = p.info {
                        tables.push(f);
                    }
                }
            }
        }
        assert!(!tables.is_empty());
        for t in tables {
            let mut values: Vec<u32> = vec![0, 1, 2, 3, u32::MAX, 0x8000_0000];
            values.extend(t.entries.iter().map(|e| e.1));
            values.extend(t.entries.iter().map(|e| e.1 | 1));
            values.extend(t.entries.windows(2).map(|w| w[0].1 | w[1].1));
            values.extend(t.entries.windows(3).map(|w| w[0].1 | w[2].1 | 0x100));
            for v in values {
                let mut want = Vec::new();
                write_flag_names(t.entries, v, &mut want);
                let hits = flag_hits(t.entries, v).unwrap();
                let mut stage = Stage::new();
                let mut got = Vec::new();
                let n = stage_names(t.entries, hits, &mut stage, 0, &mut got);
                stage.flush(n, &mut got);
                assert_eq!(got, want, "{} {v:#x}", t.name);
                // Enums: every entry equal to the value.
                let names: Vec<&str> = t.entries.iter().filter(|e| e.1 == v).map(|e| e.0).collect();
                let want = if names.is_empty() {
                    String::new()
                } else {
                    format!("({})", names.join("|"))
                };
                let mut got = Vec::new();
                let n = stage_names(
                    t.entries,
                    enum_hits(t.entries, v).unwrap(),
                    &mut stage,
                    0,
                    &mut got,
                );
                stage.flush(n, &mut got);
                assert_eq!(String::from_utf8(got).unwrap(), want);
            }
        }
    }

    #[test]
    fn flag_walk() {
        let t = [
            ("O_NONE", 0),
            ("O_RDWR", 3),
            ("O_RDONLY", 1),
            ("O_WRONLY", 2),
        ];
        let f = |v| {
            let mut o = Vec::new();
            write_flag_names(&t, v, &mut o);
            String::from_utf8(o).unwrap()
        };
        assert_eq!(f(0), "(O_NONE)");
        assert_eq!(f(1), "(O_RDONLY)");
        assert_eq!(f(3), "(O_RDWR)");
        assert_eq!(f(8), "");
        // An entry equal to the whole value ends the walk, after the bits already named.
        let t2 = [("A", 1), ("AB", 3)];
        let mut o = Vec::new();
        write_flag_names(&t2, 3, &mut o);
        assert_eq!(o, b"(A|AB)");
    }
}
