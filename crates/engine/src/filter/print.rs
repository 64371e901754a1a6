//! The canonical form of a tree (libsinsp's `ast::as_string`, what Falco shows for a compiled
//! condition): `and`/`or` always parenthesised, `not <child>`, `<lhs> <op> <rhs>`, lists as
//! `(a, b)`, transformers as `name(a,b)`.

use std::fmt;
use std::fmt::Display as _;

use super::ast::{
    Ast, Check, Expr, Field, FieldArg, Literal, OpKind, Operand, Operator, Rhs, TrArg, Transformer,
    ValueList,
};

impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root().fmt(f)
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(m) = self.modifier {
            write!(f, " {}", m.as_str())?;
        }
        Ok(())
    }
}

/// Deeper than this, `Display` prints `…` instead of recursing (only hand-built trees get here).
const PRINT_DEPTH_LIMIT: usize = 1000;

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self, 0)
    }
}

fn write_expr(f: &mut fmt::Formatter<'_>, e: &Expr, depth: usize) -> fmt::Result {
    if depth > PRINT_DEPTH_LIMIT {
        return f.write_str("…");
    }
    match e {
        Expr::And(l) | Expr::Or(l) => {
            let word = if matches!(e, Expr::And(_)) {
                " and "
            } else {
                " or "
            };
            f.write_str("(")?;
            for (i, c) in l.children.iter().enumerate() {
                if i > 0 {
                    f.write_str(word)?;
                }
                write_expr(f, c, depth + 1)?;
            }
            f.write_str(")")
        }
        Expr::Not(n) => {
            f.write_str("not ")?;
            write_expr(f, &n.child, depth + 1)
        }
        Expr::Macro(i) => f.write_str(&i.name),
        Expr::Check(c) => c.fmt(f),
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.lhs, self.op)?;
        if let Some(rhs) = &self.rhs {
            write!(f, " {rhs}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Value(v) => v.fmt(f),
            Rhs::List(l) => l.fmt(f),
            Rhs::Operand(o) => o.fmt(f),
        }
    }
}

impl fmt::Display for ValueList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            v.fmt(f)?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, &self.value, is_bare_value_byte)
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(x) => x.fmt(f),
            Operand::Transformer(t) => t.fmt(f),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(a) = &self.arg {
            a.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for FieldArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        write_value(f, &self.value, is_bare_arg_byte)?;
        f.write_str("]")
    }
}

impl fmt::Display for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_transformer(f, self, 0)
    }
}

impl fmt::Display for TrArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tr_arg(f, self, 0)
    }
}

fn write_transformer(f: &mut fmt::Formatter<'_>, t: &Transformer, depth: usize) -> fmt::Result {
    if depth > PRINT_DEPTH_LIMIT {
        return f.write_str("…");
    }
    write!(f, "{}(", t.kind.as_str())?;
    for (i, a) in t.args.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write_tr_arg(f, a, depth + 1)?;
    }
    f.write_str(")")?;
    if let Some(a) = &t.arg {
        a.fmt(f)?;
    }
    Ok(())
}

fn write_tr_arg(f: &mut fmt::Formatter<'_>, a: &TrArg, depth: usize) -> fmt::Result {
    match a {
        TrArg::Field(x) => x.fmt(f),
        TrArg::Transformer(t) => write_transformer(f, t, depth + 1),
        TrArg::Value(v) => v.fmt(f),
        TrArg::List(l) => {
            f.write_str("(")?;
            for (i, x) in l.items.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write_tr_arg(f, x, depth + 1)?;
            }
            f.write_str(")")
        }
    }
}

/// A byte that may appear in a bare value (`[^()"'=,[:space:]]`), minus `\`, which libsinsp's
/// printer always quotes.
fn is_bare_value_byte(b: u8) -> bool {
    !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',' | b'\\') && !is_unsafe_byte(b)
}

/// A byte that may appear in a bare field argument (`[^][\"'[:space:]]`), minus `\`.
fn is_bare_arg_byte(b: u8) -> bool {
    !matches!(b, b'[' | b']' | b'"' | b'\'' | b'\\') && !is_unsafe_byte(b)
}

fn is_unsafe_byte(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

/// Prints a value bare when it would lex back as the same bare token, else double-quoted with
/// escapes. Unlike libsinsp (quirk Q6) an empty value prints as `""`, and a trailing backslash
/// as `\x5c` (quirk Q3), so the canonical form always parses back to the same tree.
fn write_value(f: &mut fmt::Formatter<'_>, v: &[u8], bare_ok: fn(u8) -> bool) -> fmt::Result {
    let utf8 = std::str::from_utf8(v).ok();
    if let Some(s) = utf8 {
        if !s.is_empty() && s.bytes().all(bare_ok) {
            return f.write_str(s);
        }
    }
    f.write_str("\"")?;
    let mut off = 0;
    for chunk in v.utf8_chunks() {
        for c in chunk.valid().chars() {
            off += c.len_utf8();
            match c {
                '\\' if off == v.len() => f.write_str("\\x5c")?,
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\u{8}' => f.write_str("\\b")?,
                '\u{c}' => f.write_str("\\f")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
                c => write!(f, "{c}")?,
            }
        }
        for b in chunk.invalid() {
            off += 1;
            write!(f, "\\x{b:02x}")?;
        }
    }
    f.write_str("\"")
}
