//! Compiling one check: operator × type rules (spec §10.1), right-hand literals converted and
//! prepared (§10.2), list names expanded, field-to-field rules (§8), warnings (§10.5) and the
//! check's contribution to the event-type set.

use std::borrow::Cow;
use std::collections::HashSet;

use super::ast::{Check, LitKind, Literal, Modifier, OpKind, Operand, Rhs, Span, TransformerKind};
use super::catalog::FieldCatalog;
use super::compile::{Compiler, EvtInfo, Side};
use super::convert;
use super::error::{show, CompileError, CompileErrorKind};
use super::evttype::EventTypeSet;
use super::lexer::{field_name_len, unescape};
use super::operand::{is_text, type_name, OperandInfo};
use super::ops::{Const, ConstSet, PathSet, Pred};
use super::program::{CheckProg, Quant, Step, Test};
use super::substr::Substr;
use crate::fields::value::FieldType;

/// How deeply lists may refer to lists.
const LIST_NEST_LIMIT: usize = 64;

/// A right-hand value after list expansion.
struct Val<'a> {
    text: Cow<'a, [u8]>,
    span: Span,
}

fn pred_of(k: OpKind) -> Pred {
    match k {
        OpKind::Le => Pred::Le,
        OpKind::Lt => Pred::Lt,
        OpKind::Ge => Pred::Ge,
        OpKind::Gt => Pred::Gt,
        OpKind::Glob => Pred::Glob,
        OpKind::IGlob => Pred::IGlob,
        OpKind::Contains => Pred::Contains,
        OpKind::IContains => Pred::IContains,
        OpKind::BContains => Pred::BContains,
        OpKind::StartsWith => Pred::StartsWith,
        OpKind::BStartsWith => Pred::BStartsWith,
        OpKind::EndsWith => Pred::EndsWith,
        OpKind::Regex => Pred::Regex,
        _ => Pred::Eq,
    }
}

/// The operator × type table; `Err` names the class for the message.
fn op_allowed(k: OpKind, ty: FieldType, list: bool) -> Result<(), &'static str> {
    use OpKind as O;
    if k == O::Exists {
        return Ok(());
    }
    let (ok, class) = if list {
        (matches!(k, O::In | O::Intersects), "list")
    } else {
        match ty {
            FieldType::I64
            | FieldType::U64
            | FieldType::Port
            | FieldType::Double
            | FieldType::RelTime
            | FieldType::AbsTime => (
                matches!(k, O::Eq | O::EqEq | O::Ne | O::In | O::Intersects) || k.is_ordering(),
                "numeric",
            ),
            // libsinsp says "numeric" for booleans too (quirk Q8); we name them.
            FieldType::Bool => (
                matches!(k, O::Eq | O::EqEq | O::Ne | O::In | O::Intersects),
                "boolean",
            ),
            FieldType::IpAddr | FieldType::IpNet => (
                matches!(k, O::Eq | O::EqEq | O::Ne | O::In | O::Intersects),
                "ip address and network",
            ),
            FieldType::Str | FieldType::Path => {
                (!matches!(k, O::BContains | O::BStartsWith), "string")
            }
            FieldType::Bytes => (
                matches!(
                    k,
                    O::Eq
                        | O::EqEq
                        | O::Ne
                        | O::Contains
                        | O::StartsWith
                        | O::EndsWith
                        | O::BContains
                        | O::BStartsWith
                        | O::In
                        | O::Intersects
                ),
                "buffer",
            ),
        }
    };
    if ok {
        Ok(())
    } else {
        Err(class)
    }
}

impl<'a, C: FieldCatalog + ?Sized> Compiler<'a, C> {
    pub(crate) fn check(&mut self, c: &'a Check) -> Result<usize, CompileError> {
        let lhs = self.operand(&c.lhs, Side::Lhs)?;
        let kind = c.op.kind;
        let cstr = is_text(lhs.ty);
        if let Err(class) = op_allowed(kind, lhs.ty, lhs.list) {
            return Err(self.invalid(
                format!("'{kind}' operator not supported for {class} filters"),
                c.op.span,
            ));
        }
        let (test, evt) = match (&c.rhs, kind) {
            (None, OpKind::Exists) => {
                let evt = if lhs.event_type {
                    EvtInfo::Exists
                } else {
                    EvtInfo::Neutral
                };
                (Test::Exists, evt)
            }
            (Some(_), OpKind::Exists) | (None, _) => {
                return Err(
                    self.invalid(format!("operator '{kind}' has the wrong operands"), c.span)
                );
            }
            (Some(Rhs::Operand(o)), _) => (self.field_rhs(c, &lhs, o)?, EvtInfo::Neutral),
            (Some(Rhs::Value(v)), _) => {
                let vals = vec![Val {
                    text: Cow::Borrowed(&v.value),
                    span: v.span,
                }];
                self.literal_rhs(c, &lhs, vals)?
            }
            (Some(Rhs::List(l)), _) => {
                if !kind.is_list_op() && c.op.modifier.is_none() {
                    return Err(self.invalid(format!("'{kind}' takes a single value"), l.span));
                }
                let mut vals = Vec::new();
                for v in &l.values {
                    self.expand(v, &mut vals)?;
                }
                self.literal_rhs(c, &lhs, vals)?
            }
        };
        // An `evt.type` equality or set check is decided from the code where it can be.
        let codes = match (&evt, kind, c.op.modifier) {
            (
                EvtInfo::Codes {
                    shown: Some(shown),
                    ne,
                    ..
                },
                OpKind::Eq | OpKind::EqEq | OpKind::Ne | OpKind::In,
                None,
            ) => Some(Box::new(((**shown).clone(), *ne))),
            _ => None,
        };
        // A plain scalar field tested against constants: the evaluator can test its value in
        // place (see `FieldSource::peek`).
        let single = match (lhs.steps.as_slice(), &test) {
            (
                [Step::Field(slot)],
                Test::Cmp {
                    quant: Quant::Single,
                    ..
                }
                | Test::Set { every: false, .. }
                | Test::PMatch(_),
            ) if !lhs.list => Some(*slot),
            _ => None,
        };
        self.checks.push(CheckProg {
            codes,
            single,
            lhs: lhs.steps,
            cstr,
            test,
        });
        self.evt.push(evt);
        self.present.push(lhs.present_on);
        Ok(self.checks.len() - 1)
    }

    /// Adds a list value, replacing a bare list name by the list's items.
    fn expand(&self, v: &'a Literal, out: &mut Vec<Val<'a>>) -> Result<(), CompileError> {
        let name = std::str::from_utf8(&v.value).ok();
        let items = name
            .filter(|_| v.kind == LitKind::Bare)
            .and_then(|n| self.macros.list_items(n));
        match (name, items) {
            (Some(name), Some(items)) => {
                self.expand_list(name, items, v.span, &mut vec![name], out)
            }
            _ => {
                out.push(Val {
                    text: Cow::Borrowed(&v.value),
                    span: v.span,
                });
                Ok(())
            }
        }
    }

    fn expand_list(
        &self,
        name: &str,
        items: &'a [String],
        span: Span,
        seen: &mut Vec<&'a str>,
        out: &mut Vec<Val<'a>>,
    ) -> Result<(), CompileError> {
        if seen.len() > LIST_NEST_LIMIT {
            return Err(self.err(
                CompileErrorKind::NestLimitExceeded,
                format!("lists nest too deeply in list '{name}'"),
                span,
            ));
        }
        for item in items {
            let b = item.as_bytes();
            if b.is_empty() {
                continue;
            }
            if let Some(sub) = self.macros.list_items(item) {
                if seen.contains(&item.as_str()) {
                    return Err(self.err(
                        CompileErrorKind::ReferenceLoop,
                        format!("reference loop in list '{item}'"),
                        span,
                    ));
                }
                seen.push(item);
                self.expand_list(item, sub, span, seen, out)?;
                seen.pop();
                continue;
            }
            let text = match b {
                [q @ (b'"' | b'\''), inner @ .., last] if last == q => {
                    Cow::Owned(unescape(inner, *q).map_err(|(e, _)| {
                        self.invalid(
                            format!("invalid item {} in list '{name}': {e}", show(b)),
                            span,
                        )
                    })?)
                }
                _ => Cow::Borrowed(b),
            };
            out.push(Val { text, span });
        }
        Ok(())
    }

    fn literal_rhs(
        &mut self,
        c: &Check,
        lhs: &OperandInfo,
        vals: Vec<Val<'_>>,
    ) -> Result<(Test, EvtInfo), CompileError> {
        let kind = c.op.kind;
        let pred = pred_of(kind);
        for v in &vals {
            self.warn_value(&v.text, v.span, pred);
        }
        let evt = if lhs.event_type {
            self.event_codes(c, &vals)?
        } else {
            EvtInfo::Neutral
        };
        let test = match kind {
            OpKind::PMatch => {
                let mut paths = PathSet::default();
                for v in &vals {
                    self.no_nul(&v.text, v.span, lhs.ty)?;
                    paths.add(&v.text);
                }
                Test::PMatch(paths)
            }
            OpKind::In | OpKind::Intersects => {
                let consts = vals
                    .iter()
                    .map(|v| self.convert(&v.text, v.span, lhs.ty, Pred::Eq))
                    .collect::<Result<Vec<_>, _>>()?;
                Test::Set {
                    set: build_set(lhs.ty, consts),
                    every: kind == OpKind::In && lhs.list,
                }
            }
            _ => {
                let consts = vals
                    .iter()
                    .map(|v| self.convert(&v.text, v.span, lhs.ty, pred))
                    .collect::<Result<Vec<_>, _>>()?;
                let quant = match c.op.modifier {
                    None => Quant::Single,
                    Some(Modifier::AnyOf) => Quant::AnyOf,
                    Some(Modifier::AllOf) => Quant::AllOf,
                    Some(Modifier::OneOf) => Quant::OneOf,
                };
                if quant == Quant::Single && consts.len() != 1 {
                    return Err(self.invalid(format!("'{kind}' takes a single value"), c.span));
                }
                Test::Cmp {
                    pred,
                    negate: kind == OpKind::Ne,
                    quant,
                    consts,
                }
            }
        };
        Ok((test, evt))
    }

    /// Checks `evt.type` values against the catalog and works out the codes the check selects.
    fn event_codes(&self, c: &Check, vals: &[Val<'_>]) -> Result<EvtInfo, CompileError> {
        let kind = c.op.kind;
        let m = c.op.modifier;
        let eq_like = matches!(
            kind,
            OpKind::Eq | OpKind::EqEq | OpKind::Ne | OpKind::In | OpKind::Intersects
        );
        if !eq_like {
            return Ok(EvtInfo::Neutral);
        }
        let mut set = EventTypeSet::empty();
        // The syscall ids of the generic events the values name, and the codes of the other
        // events they name (`None`: unknown to the catalog).
        let mut ids = Some(EventTypeSet::empty());
        let mut shown = Some(EventTypeSet::empty());
        let union = |acc: Option<EventTypeSet>, more: Option<EventTypeSet>| {
            let (mut acc, more) = (acc?, more?);
            acc.union_with(&more);
            Some(acc)
        };
        for v in vals {
            let name = std::str::from_utf8(&v.text).ok();
            let known = name.is_some_and(|n| self.catalog.event_codes(n, &mut set));
            ids = union(ids, name.and_then(|n| self.catalog.generic_ids(n)));
            shown = union(shown, name.and_then(|n| self.catalog.codes_shown_as(n)));
            if !known {
                return Err(self.err(
                    CompileErrorKind::UnknownEventType,
                    format!("unknown event type {}", show(&v.text)),
                    v.span,
                ));
            }
        }
        Ok(match (kind, m) {
            (OpKind::Ne, None | Some(Modifier::AllOf)) => EvtInfo::Codes {
                set,
                ids: ids.map(Box::new),
                shown: shown.map(Box::new),
                ne: true,
            },
            (OpKind::Ne, _) | (_, Some(Modifier::OneOf | Modifier::AllOf)) => EvtInfo::Neutral,
            _ => EvtInfo::Codes {
                set,
                ids: ids.map(Box::new),
                shown: shown.map(Box::new),
                ne: false,
            },
        })
    }

    fn no_nul(&self, v: &[u8], span: Span, ty: FieldType) -> Result<(), CompileError> {
        if ty != FieldType::Bytes && v.contains(&0) {
            return Err(self.invalid(
                "filter value cannot contain a NUL byte (\\x00)".into(),
                span,
            ));
        }
        Ok(())
    }

    /// Converts a literal for the left side's type and the predicate that will use it.
    fn convert(
        &self,
        v: &[u8],
        span: Span,
        ty: FieldType,
        pred: Pred,
    ) -> Result<Const, CompileError> {
        self.no_nul(v, span, ty)?;
        let conv = |r: Result<i128, String>| r.map(Const::Int).map_err(|m| self.invalid(m, span));
        match ty {
            FieldType::Str | FieldType::Path => match pred {
                Pred::Regex => self.regex(v, span),
                Pred::Glob | Pred::IGlob => Ok(Const::Glob(v.into())),
                Pred::Contains => Ok(finder(v)),
                Pred::IContains => Ok(finder(&v.to_ascii_lowercase())),
                _ => Ok(Const::Bytes(v.into())),
            },
            FieldType::Bytes => match pred {
                Pred::BContains | Pred::BStartsWith => {
                    let Some(b) = convert::parse_hex_bytes(v) else {
                        return Err(self.invalid(
                            "bcontains and bstartswith operator support hex strings only".into(),
                            span,
                        ));
                    };
                    Ok(if pred == Pred::BContains {
                        finder(&b)
                    } else {
                        Const::Bytes(b.into())
                    })
                }
                Pred::Contains => Ok(finder(v)),
                _ => Ok(Const::Bytes(v.into())),
            },
            // DOUBLE fields take integers only, as libsinsp (quirk Q7).
            FieldType::I64 | FieldType::Double => conv(convert::parse_signed(v)),
            FieldType::U64 | FieldType::RelTime | FieldType::AbsTime => {
                conv(convert::parse_unsigned(v))
            }
            FieldType::Port => conv(convert::parse_port(v, |n| self.catalog.service_port(n))),
            FieldType::Bool => convert::parse_bool(v)
                .map(Const::Bool)
                .map_err(|m| self.invalid(m, span)),
            FieldType::IpAddr => convert::parse_ip(v)
                .map(Const::Ip)
                .map_err(|m| self.invalid(m, span)),
            FieldType::IpNet => convert::parse_net(v)
                .map(|(a, p)| Const::Net(a, p))
                .map_err(|m| self.invalid(m, span)),
        }
    }

    /// A full-match regex: the pattern is validated alone, then anchored.
    fn regex(&self, v: &[u8], span: Span) -> Result<Const, CompileError> {
        let bad = |m: String| self.invalid(format!("invalid regex pattern: {m}"), span);
        let p = std::str::from_utf8(v).map_err(|_| bad("not valid UTF-8".into()))?;
        regex::Regex::new(p).map_err(|e| bad(e.to_string()))?;
        let re = regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| bad(e.to_string()))?;
        Ok(Const::Regex(re))
    }

    /// `lhs op val(f)` / `lhs op transformer(…)`.
    fn field_rhs(
        &mut self,
        c: &Check,
        lhs: &OperandInfo,
        o: &'a Operand,
    ) -> Result<Test, CompileError> {
        let kind = c.op.kind;
        if matches!(kind, OpKind::Regex | OpKind::PMatch) {
            return Err(self.invalid(
                format!("operator '{kind}' doesn't support right-hand side fields"),
                o.span(),
            ));
        }
        if c.op.modifier.is_some() {
            return Err(self.invalid("list modifiers take a list, not a field".into(), o.span()));
        }
        if lhs.no_rhs_field || lhs.ty == FieldType::IpNet {
            return Err(self.invalid(
                format!(
                    "field '{}' does not support right-hand side field comparisons",
                    c.lhs
                ),
                c.lhs.span(),
            ));
        }
        let rhs = self.operand(o, Side::Rhs)?;
        let same_base = rhs.ty == lhs.ty || (is_text(rhs.ty) && is_text(lhs.ty));
        let set_op = matches!(kind, OpKind::In | OpKind::Intersects);
        if !same_base || (!set_op && rhs.list != lhs.list) {
            let rname = match o {
                Operand::Transformer(t) if t.kind == TransformerKind::Val => {
                    t.args.first().map_or_else(String::new, ToString::to_string)
                }
                _ => o.to_string(),
            };
            return Err(self.invalid(
                format!(
                    "field '{}' has type '{}' while the right-hand side field '{rname}' has \
                     incompatible type '{}'",
                    c.lhs,
                    type_name(lhs.ty, lhs.list),
                    type_name(rhs.ty, rhs.list)
                ),
                o.span(),
            ));
        }
        let rhs_cstr = is_text(rhs.ty);
        Ok(if set_op {
            Test::FieldSet {
                rhs: rhs.steps,
                rhs_cstr,
                every: kind == OpKind::In && lhs.list,
            }
        } else {
            Test::FieldCmp {
                pred: pred_of(kind),
                negate: kind == OpKind::Ne,
                rhs: rhs.steps,
                rhs_cstr,
            }
        })
    }

    /// Warnings for a literal that looks like a field or a transformer, or a regex that need
    /// not be one.
    fn warn_value(&mut self, v: &[u8], span: Span, pred: Pred) {
        let s = String::from_utf8_lossy(v);
        let t = s.trim();
        if self.is_field_text(t) {
            self.warn(
                format!("'{t}' may be a valid field misused as a const string value"),
                span,
            );
        } else if looks_like_transformer(t) {
            self.warn(
                format!("'{t}' may be a valid field transformer misused as a const string value"),
                span,
            );
        }
        if pred == Pred::Regex && convert::regex_is_simple(t) {
            self.warn(
                format!(
                    "regex check with '{t}' may be optimized with simpler operators such as \
                     '=', 'contains', 'startswith', 'endswith'"
                ),
                span,
            );
        }
    }

    /// True if `t` is `field` or `field[arg]` for a field the catalog resolves.
    fn is_field_text(&self, t: &str) -> bool {
        let n = field_name_len(t.as_bytes());
        if n == 0 {
            return false;
        }
        let (name, rest) = t.split_at(n);
        let arg = match rest {
            "" => None,
            r => match r.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                Some(a) if !a.is_empty() => Some(a),
                _ => return false,
            },
        };
        self.catalog.resolve(name, arg).is_ok()
    }
}

fn finder(needle: &[u8]) -> Const {
    Const::Find(Box::new(Substr::new(needle)))
}

fn looks_like_transformer(t: &str) -> bool {
    t.ends_with(')')
        && TransformerKind::ALL
            .iter()
            .chain(std::iter::once(&TransformerKind::Val))
            .any(|k| {
                t.strip_prefix(k.as_str())
                    .is_some_and(|r| r.starts_with('('))
            })
}

/// Up to this many text values, a set is a list.
const FEW_TEXTS: usize = 16;

/// Puts converted constants into a lookup set for the left side's type.
fn build_set(ty: FieldType, consts: Vec<Const>) -> ConstSet {
    match ty {
        FieldType::Bool => {
            let (mut t, mut f) = (false, false);
            for c in consts {
                match c {
                    Const::Bool(true) => t = true,
                    Const::Bool(false) => f = true,
                    _ => {}
                }
            }
            ConstSet::Bool { t, f }
        }
        FieldType::IpAddr => ConstSet::Ip(
            consts
                .into_iter()
                .filter_map(|c| match c {
                    Const::Ip(a) => Some(a),
                    _ => None,
                })
                .collect(),
        ),
        FieldType::IpNet => ConstSet::Net(
            consts
                .into_iter()
                .filter_map(|c| match c {
                    Const::Net(a, p) => Some((a, p)),
                    _ => None,
                })
                .collect(),
        ),
        t if t.is_numeric() => ConstSet::Int(
            consts
                .into_iter()
                .filter_map(|c| match c {
                    Const::Int(i) => Some(i),
                    _ => None,
                })
                .collect(),
        ),
        _ => {
            let set = consts
                .into_iter()
                .filter_map(|c| match c {
                    Const::Bytes(b) => Some(b),
                    _ => None,
                })
                .collect::<HashSet<_>>();
            // A few are compared faster one by one than hashed.
            if set.len() <= FEW_TEXTS {
                ConstSet::Texts(set.into_iter().collect())
            } else {
                ConstSet::Text(set)
            }
        }
    }
}
