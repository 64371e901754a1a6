//! Compiling fields and transformers into postfix steps, with libsinsp's type rules (spec §7).

use super::ast::{Field, Operand, TrArg, Transformer, TransformerKind};
use super::catalog::{FieldCatalog, ResolveError};
use super::compile::{Compiler, Side};
use super::error::{show, CompileError, CompileErrorKind};
use super::evttype::EventTypeSet;
use super::program::{LenMode, Step, TrOp};
use super::suggest;
use crate::fields::value::FieldType;

/// A compiled operand and what is known about its values.
#[derive(Debug)]
pub(crate) struct OperandInfo {
    pub(crate) steps: Vec<Step>,
    pub(crate) ty: FieldType,
    pub(crate) list: bool,
    /// A plain `evt.type`-like field (no transformer).
    pub(crate) event_type: bool,
    /// A plain field that refuses right-hand field comparisons.
    pub(crate) no_rhs_field: bool,
    /// For a plain field, the event codes on which it can have a value (`None`: any).
    pub(crate) present_on: Option<EventTypeSet>,
}

/// Type facts gathered while emitting steps.
#[derive(Debug, Clone, Copy)]
struct Ty {
    ty: FieldType,
    list: bool,
    event_type: bool,
    no_rhs_field: bool,
    no_transformers: bool,
}

impl Ty {
    fn text(list: bool) -> Ty {
        Ty {
            ty: FieldType::Str,
            list,
            event_type: false,
            no_rhs_field: false,
            no_transformers: false,
        }
    }
}

pub(crate) fn is_text(ty: FieldType) -> bool {
    matches!(ty, FieldType::Str | FieldType::Path)
}

pub(crate) fn type_name(ty: FieldType, list: bool) -> String {
    if list {
        format!("{} list", ty.name())
    } else {
        ty.name().to_owned()
    }
}

impl<'a, C: FieldCatalog + ?Sized> Compiler<'a, C> {
    pub(crate) fn operand(
        &mut self,
        o: &'a Operand,
        side: Side,
    ) -> Result<OperandInfo, CompileError> {
        let mut steps = Vec::new();
        let mut present_on = None;
        let t = match o {
            Operand::Field(f) => self.field(f, &mut steps, &mut present_on)?,
            Operand::Transformer(t) => {
                if t.kind == TransformerKind::Val && side == Side::Lhs {
                    return Err(self.invalid(
                        "'val' can only be used on the right-hand side of a check".into(),
                        t.span,
                    ));
                }
                let mut ty = self.transformer(t, &mut steps)?;
                if t.kind != TransformerKind::Val {
                    ty.event_type = false;
                }
                ty
            }
        };
        Ok(OperandInfo {
            steps,
            ty: t.ty,
            list: t.list,
            event_type: t.event_type && matches!(o, Operand::Field(_)),
            no_rhs_field: t.no_rhs_field,
            present_on,
        })
    }

    fn field(
        &mut self,
        f: &'a Field,
        steps: &mut Vec<Step>,
        present_on: &mut Option<EventTypeSet>,
    ) -> Result<Ty, CompileError> {
        let arg =
            match &f.arg {
                None => None,
                Some(a) => Some(std::str::from_utf8(&a.value).map_err(|_| {
                    self.invalid("field argument is not valid UTF-8".into(), a.span)
                })?),
            };
        match self.catalog.resolve(&f.name, arg) {
            Ok(r) => {
                let slot = self.slot(r.field);
                steps.push(Step::Field(slot));
                *present_on = r.present_on;
                Ok(Ty {
                    ty: r.ty,
                    list: r.list,
                    event_type: r.event_type && arg.is_none(),
                    no_rhs_field: r.no_rhs_field,
                    no_transformers: r.no_transformers,
                })
            }
            Err(ResolveError::Invalid(msg)) => Err(self.invalid(msg, f.span)),
            Err(ResolveError::Unknown) => {
                let mut names = Vec::new();
                self.catalog
                    .for_each_field_name(&mut |n| names.push(n.to_owned()));
                let e = self.err(
                    CompileErrorKind::UnknownField,
                    format!("unknown field '{}'", show(f.to_string().as_bytes())),
                    f.span,
                );
                Err(
                    match suggest::closest(&f.name, names.iter().map(String::as_str)) {
                        Some(s) => e.with_help(format!("did you mean '{s}'?")),
                        None => e,
                    },
                )
            }
        }
    }

    fn transformer(
        &mut self,
        t: &'a Transformer,
        steps: &mut Vec<Step>,
    ) -> Result<Ty, CompileError> {
        self.enter(t.span)?;
        let name = t.kind.as_str();
        if let Some(a) = &t.arg {
            if t.kind != TransformerKind::GetOpt {
                return Err(self.invalid(
                    format!("transformer '{name}' does not support field arguments"),
                    a.span,
                ));
            }
        }
        let ty = match t.kind {
            TransformerKind::Val => match t.args.as_slice() {
                [TrArg::Field(f)] => self.field(f, steps, &mut None)?,
                _ => return Err(self.invalid("'val' takes exactly one field".into(), t.span)),
            },
            TransformerKind::ToLower
            | TransformerKind::ToUpper
            | TransformerKind::B64
            | TransformerKind::Basename
            | TransformerKind::Len => self.unary_transformer(t, steps)?,
            TransformerKind::Join => self.join(t, steps)?,
            TransformerKind::Concat => {
                if t.args.len() < 2 {
                    return Err(
                        self.invalid("concat() requires at least 2 arguments".into(), t.span)
                    );
                }
                for a in &t.args {
                    let ty = self.tr_arg(a, steps)?;
                    if !is_text(ty.ty) || ty.list {
                        return Err(
                            self.invalid("concat() arguments must be strings".into(), a.span())
                        );
                    }
                }
                steps.push(Step::Tr(TrOp::Concat(t.args.len())));
                Ty::text(false)
            }
            TransformerKind::GetOpt => self.getopt(t, steps)?,
        };
        self.exit();
        Ok(ty)
    }

    fn unary_transformer(
        &mut self,
        t: &'a Transformer,
        steps: &mut Vec<Step>,
    ) -> Result<Ty, CompileError> {
        let name = t.kind.as_str();
        let [a] = t.args.as_slice() else {
            return Err(self.invalid(format!("{name}() requires exactly 1 argument"), t.span));
        };
        let inp = self.tr_arg(a, steps)?;
        if inp.no_transformers {
            return Err(self.invalid(
                format!("field '{a}' does not support transformers"),
                a.span(),
            ));
        }
        let (ok, op, out) = match t.kind {
            TransformerKind::ToLower => (is_text(inp.ty), TrOp::Lower, inp.ty),
            TransformerKind::ToUpper => (is_text(inp.ty), TrOp::Upper, inp.ty),
            TransformerKind::B64 => (
                matches!(inp.ty, FieldType::Str | FieldType::Bytes),
                TrOp::B64,
                inp.ty,
            ),
            TransformerKind::Basename => (is_text(inp.ty), TrOp::Basename, inp.ty),
            _ => {
                let mode = if inp.list {
                    LenMode::Count
                } else if inp.ty == FieldType::Bytes {
                    LenMode::Bytes
                } else {
                    LenMode::Text
                };
                let ok = inp.list || is_text(inp.ty) || inp.ty == FieldType::Bytes;
                (ok, TrOp::Len(mode), FieldType::U64)
            }
        };
        if !ok {
            return Err(self.invalid(
                format!(
                    "can't add field transformer: type '{}' is not supported by '{name}' \
                     transformer applied on field '{a}'",
                    type_name(inp.ty, inp.list)
                ),
                a.span(),
            ));
        }
        steps.push(Step::Tr(op));
        Ok(Ty {
            ty: out,
            list: inp.list && t.kind != TransformerKind::Len,
            ..inp
        })
    }

    fn join(&mut self, t: &'a Transformer, steps: &mut Vec<Step>) -> Result<Ty, CompileError> {
        let [sep, list] = t.args.as_slice() else {
            return Err(self.invalid(
                "join() requires exactly 2 arguments: separator and list".into(),
                t.span,
            ));
        };
        let s = self.tr_arg(sep, steps)?;
        if !is_text(s.ty) || s.list {
            return Err(self.invalid("join() separator must be a string".into(), sep.span()));
        }
        let l = self.tr_arg(list, steps)?;
        if !l.list {
            return Err(self.invalid("join() second argument must be a list".into(), list.span()));
        }
        if !is_text(l.ty) {
            return Err(self.invalid("join() list elements must be strings".into(), list.span()));
        }
        steps.push(Step::Tr(TrOp::Join));
        Ok(Ty::text(false))
    }

    fn getopt(&mut self, t: &'a Transformer, steps: &mut Vec<Step>) -> Result<Ty, CompileError> {
        let [args, opts] = t.args.as_slice() else {
            return Err(self.invalid(
                "getopt() requires exactly 2 arguments: argument list and option string".into(),
                t.span,
            ));
        };
        let a = self.tr_arg(args, steps)?;
        if !a.list || !is_text(a.ty) {
            return Err(self.invalid("getopt() first argument must be a list".into(), args.span()));
        }
        let o = self.tr_arg(opts, steps)?;
        if o.list || !is_text(o.ty) {
            return Err(self.invalid(
                "getopt() second argument must be a string".into(),
                opts.span(),
            ));
        }
        let want = match &t.arg {
            None => None,
            Some(a) => match a.value.as_slice() {
                [c] if *c != b':' => Some(*c),
                _ => {
                    return Err(self.invalid(
                        "getopt() field argument must be a single option character".into(),
                        a.span,
                    ))
                }
            },
        };
        steps.push(Step::Tr(TrOp::GetOpt(want)));
        Ok(Ty::text(want.is_none()))
    }

    fn tr_arg(&mut self, a: &'a TrArg, steps: &mut Vec<Step>) -> Result<Ty, CompileError> {
        match a {
            TrArg::Field(f) => self.field(f, steps, &mut None),
            TrArg::Transformer(t) if t.kind == TransformerKind::Val => {
                Err(self.invalid("'val' cannot be used inside a transformer".into(), t.span))
            }
            TrArg::Transformer(t) => {
                let mut ty = self.transformer(t, steps)?;
                ty.no_transformers = false;
                Ok(ty)
            }
            TrArg::Value(v) => {
                steps.push(Step::Const(v.value.clone().into_boxed_slice()));
                Ok(Ty::text(false))
            }
            TrArg::List(l) => {
                self.enter(l.span)?;
                for item in &l.items {
                    if matches!(item, TrArg::List(_)) {
                        return Err(
                            self.invalid("transformer lists cannot nest".into(), item.span())
                        );
                    }
                    let ty = self.tr_arg(item, steps)?;
                    if !is_text(ty.ty) {
                        return Err(self.invalid(
                            format!(
                                "transformer list elements must be strings, not '{}'",
                                type_name(ty.ty, ty.list)
                            ),
                            item.span(),
                        ));
                    }
                }
                steps.push(Step::List(l.items.len()));
                self.exit();
                Ok(Ty::text(true))
            }
        }
    }
}
