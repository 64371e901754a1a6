//! AST → [`Filter`]: macro resolution, the boolean structure, the event-type set, and the flat
//! instruction stream. Checks are compiled in `check.rs`, operands in `operand.rs`.

use super::ast::{Ast, Expr, Ident, Operand, Span};
use super::catalog::FieldCatalog;
use super::error::{CompileError, CompileErrorKind};
use super::evttype::EventTypeSet;
use super::macros::MacroResolver;
use super::program::{CheckProg, Extractor, Filter, Insn, Warning};

/// How deeply groups, negations, macro references and transformers may nest once macros are
/// expanded. Each level costs a few stack frames, so this bounds stack use.
pub const COMPILE_NEST_LIMIT: u32 = 300;

/// Compiles a parsed filter against a field catalog, resolving macro references and list names
/// through `macros`.
pub fn compile<C>(
    ast: &Ast,
    catalog: &C,
    macros: &dyn MacroResolver,
) -> Result<Filter<C::Field>, CompileError>
where
    C: FieldCatalog + ?Sized,
{
    let mut c = Compiler::new(catalog, macros, ast.source());
    let node = c.expr(ast.root())?;
    let types = node_types(&node, false, &c.evt, &[]);
    let candidates = node_types(&node, false, &c.evt, &c.present);
    let generic = node_ids(&node, false, &c.evt, &c.present);
    let mut code = Vec::new();
    emit(&node, &mut code);
    Ok(Filter {
        code,
        checks: c.checks,
        fields: c.fields,
        event_types: (!types.is_all()).then_some(types),
        candidates: (!candidates.is_all()).then_some(candidates),
        generic_ids: (!generic.is_all()).then_some(generic),
        warnings: c.warnings,
    })
}

/// Compiles a lone operand (from [`Parser::parse_operand`](super::Parser::parse_operand)) for
/// output formats. `source` is the text its spans point into.
pub fn compile_operand<C>(
    operand: &Operand,
    source: &str,
    catalog: &C,
) -> Result<Extractor<C::Field>, CompileError>
where
    C: FieldCatalog + ?Sized,
{
    let mut c = Compiler::new(catalog, &NoMacros, source);
    let o = c.operand(operand, Side::Lhs)?;
    Ok(Extractor {
        steps: o.steps,
        fields: c.fields,
        ty: o.ty,
        list: o.list,
    })
}

struct NoMacros;

impl MacroResolver for NoMacros {
    fn macro_ast(&self, _: &str) -> Option<&Ast> {
        None
    }
}

/// Which side of a check an operand is on (`val()` is right-side only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Lhs,
    Rhs,
}

/// What a check contributes to the event-type set.
#[derive(Debug, Clone)]
pub(crate) enum EvtInfo {
    /// Says nothing about event types: all of them.
    Neutral,
    /// `evt.type exists`: all, and none once negated.
    Exists,
    /// `evt.type = x`, `in (…)`; with `ne` for `!=` (the set is complemented). `ids`: the
    /// syscall ids of the generic events (codes 0 and 1) so named, when the catalog knows.
    Codes {
        set: EventTypeSet,
        ids: Option<Box<EventTypeSet>>,
        /// The codes (generic ones aside) whose `evt.type` the values name, when the catalog
        /// knows: the check is then decided from the code (`CheckProg::codes`).
        shown: Option<Box<EventTypeSet>>,
        ne: bool,
    },
}

/// The boolean skeleton, before flattening.
#[derive(Debug)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check(usize),
}

struct Frame<'a> {
    name: &'a str,
    source: &'a str,
}

pub(crate) struct Compiler<'a, C: FieldCatalog + ?Sized> {
    pub(crate) catalog: &'a C,
    pub(crate) macros: &'a dyn MacroResolver,
    root_source: &'a str,
    frames: Vec<Frame<'a>>,
    depth: u32,
    pub(crate) fields: Vec<C::Field>,
    pub(crate) checks: Vec<CheckProg>,
    pub(crate) evt: Vec<EvtInfo>,
    /// Per check: the event codes on which its left side can have a value (`None`: any).
    pub(crate) present: Vec<Option<EventTypeSet>>,
    pub(crate) warnings: Vec<Warning>,
}

impl<'a, C: FieldCatalog + ?Sized> Compiler<'a, C> {
    fn new(catalog: &'a C, macros: &'a dyn MacroResolver, source: &'a str) -> Self {
        Compiler {
            catalog,
            macros,
            root_source: source,
            frames: Vec::new(),
            depth: 0,
            fields: Vec::new(),
            checks: Vec::new(),
            evt: Vec::new(),
            present: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// An error at `span` of the text being compiled (the filter or a macro body).
    #[cold]
    pub(crate) fn err(&self, kind: CompileErrorKind, msg: String, span: Span) -> CompileError {
        let source = self.frames.last().map_or(self.root_source, |f| f.source);
        let macros = self
            .frames
            .iter()
            .rev()
            .map(|f| f.name.to_owned())
            .collect();
        CompileError::new(kind, msg, span, source).with_macros(macros)
    }

    #[cold]
    pub(crate) fn invalid(&self, msg: String, span: Span) -> CompileError {
        self.err(CompileErrorKind::Invalid, msg, span)
    }

    pub(crate) fn warn(&mut self, message: String, span: Span) {
        let macro_name = self.frames.last().map(|f| f.name.to_owned());
        self.warnings.push(Warning {
            span,
            message,
            macro_name,
        });
    }

    pub(crate) fn enter(&mut self, span: Span) -> Result<(), CompileError> {
        self.depth += 1;
        if self.depth > COMPILE_NEST_LIMIT {
            return Err(self.err(
                CompileErrorKind::NestLimitExceeded,
                format!("exceeded max depth limit of {COMPILE_NEST_LIMIT}"),
                span,
            ));
        }
        Ok(())
    }

    pub(crate) fn exit(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn expr(&mut self, e: &'a Expr) -> Result<Node, CompileError> {
        self.enter(e.span())?;
        let node = match e {
            Expr::And(l) => Node::And(self.exprs(&l.children)?),
            Expr::Or(l) => Node::Or(self.exprs(&l.children)?),
            Expr::Not(n) => Node::Not(Box::new(self.expr(&n.child)?)),
            Expr::Macro(id) => self.macro_ref(id)?,
            Expr::Check(c) => Node::Check(self.check(c)?),
        };
        self.exit();
        Ok(node)
    }

    fn exprs(&mut self, es: &'a [Expr]) -> Result<Vec<Node>, CompileError> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn macro_ref(&mut self, id: &'a Ident) -> Result<Node, CompileError> {
        let Some(ast) = self.macros.macro_ast(&id.name) else {
            return Err(self.err(
                CompileErrorKind::UndefinedMacro,
                format!("undefined macro '{}'", id.name),
                id.span,
            ));
        };
        if self.frames.iter().any(|f| f.name == id.name) {
            return Err(self.err(
                CompileErrorKind::ReferenceLoop,
                format!("reference loop in macro '{}'", id.name),
                id.span,
            ));
        }
        self.frames.push(Frame {
            name: &id.name,
            source: ast.source(),
        });
        let node = self.expr(ast.root());
        self.frames.pop();
        node
    }

    /// The slot of a field, adding it the first time.
    pub(crate) fn slot(&mut self, field: C::Field) -> usize {
        match self.fields.iter().position(|f| *f == field) {
            Some(i) => i,
            None => {
                self.fields.push(field);
                self.fields.len() - 1
            }
        }
    }
}

/// A set worked out over the boolean skeleton with negations pushed to the leaves (De
/// Morgan): `and` intersects, `or` unites, and `leaf(check, negated)` gives a check's own.
fn over_tree(n: &Node, negated: bool, leaf: &dyn Fn(usize, bool) -> EventTypeSet) -> EventTypeSet {
    match n {
        Node::Check(i) => leaf(*i, negated),
        Node::Not(c) => over_tree(c, !negated, leaf),
        Node::And(cs) | Node::Or(cs) => {
            // `and` intersects; under negation it becomes `or`, which unites.
            let intersect = matches!(n, Node::And(_)) != negated;
            let mut acc = if intersect {
                EventTypeSet::all()
            } else {
                EventTypeSet::empty()
            };
            for c in cs {
                let t = over_tree(c, negated, leaf);
                if intersect {
                    acc.intersect_with(&t);
                } else {
                    acc.union_with(&t);
                }
            }
            acc
        }
    }
}

/// The event types a node can match, as libsinsp computes them; with `present` (per check,
/// where its left side has values), also ruling out the events on which a check cannot pass
/// because its field is absent.
fn node_types(
    n: &Node,
    negated: bool,
    evt: &[EvtInfo],
    present: &[Option<EventTypeSet>],
) -> EventTypeSet {
    over_tree(n, negated, &|i, negated| {
        let mut set = match evt.get(i) {
            Some(EvtInfo::Exists) if negated => EventTypeSet::empty(),
            Some(EvtInfo::Codes { set, ne, .. }) if negated != *ne => set.complement(),
            Some(EvtInfo::Codes { set, .. }) => set.clone(),
            _ => EventTypeSet::all(),
        };
        // An absent value fails the check, which passes once negated.
        if let (false, Some(Some(p))) = (negated, present.get(i)) {
            set.intersect_with(p);
        }
        set
    })
}

/// The syscall ids a generic event (codes 0 and 1, named after the syscall they carry) must
/// carry for the node to match it, worked out like [`node_types`] over ids.
fn node_ids(
    n: &Node,
    negated: bool,
    evt: &[EvtInfo],
    present: &[Option<EventTypeSet>],
) -> EventTypeSet {
    over_tree(n, negated, &|i, negated| {
        // A field absent from generic events fails the check on all of them.
        if let (false, Some(Some(p))) = (negated, present.get(i)) {
            if !p.contains(0) && !p.contains(1) {
                return EventTypeSet::empty();
            }
        }
        match evt.get(i) {
            Some(EvtInfo::Exists) if negated => EventTypeSet::empty(),
            Some(EvtInfo::Codes {
                ids: Some(ids), ne, ..
            }) if negated != *ne => ids.complement(),
            Some(EvtInfo::Codes { ids: Some(ids), .. }) => (**ids).clone(),
            _ => EventTypeSet::all(),
        }
    })
}

/// Flattens the tree into jumps: each `and`/`or` operand but the last is followed by a jump to
/// the end taken when the result is already decided.
fn emit(n: &Node, code: &mut Vec<Insn>) {
    match n {
        Node::Check(i) => code.push(Insn::Check(*i)),
        Node::Not(c) => {
            emit(c, code);
            code.push(Insn::Not);
        }
        Node::And(cs) | Node::Or(cs) => {
            let and = matches!(n, Node::And(_));
            if cs.is_empty() {
                code.push(Insn::Const(and));
                return;
            }
            let mut patches = Vec::new();
            for (k, c) in cs.iter().enumerate() {
                emit(c, code);
                if k + 1 < cs.len() {
                    patches.push(code.len());
                    code.push(if and {
                        Insn::JumpIfFalse(0)
                    } else {
                        Insn::JumpIfTrue(0)
                    });
                }
            }
            let end = code.len();
            for p in patches {
                if let Some(Insn::JumpIfFalse(t) | Insn::JumpIfTrue(t)) = code.get_mut(p) {
                    *t = end;
                }
            }
        }
    }
}
