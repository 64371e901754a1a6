//! The compiled form: an immutable program of checks and jumps, with every name resolved,
//! every constant converted and every regex built. It is `Send + Sync`; all per-evaluation
//! state lives in the caller's [`Scratch`](super::Scratch).

use super::ast::Span;
use super::evttype::EventTypeSet;
use super::ops::{Const, ConstSet, PathSet, Pred};
use crate::fields::value::FieldType;

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct Filter<F> {
    pub(crate) code: Vec<Insn>,
    pub(crate) checks: Vec<CheckProg>,
    /// Extraction slots: each distinct field once, so an event extracts it once.
    pub(crate) fields: Vec<F>,
    pub(crate) event_types: Option<EventTypeSet>,
    /// `event_types` without the events on which some needed field is absent.
    pub(crate) candidates: Option<EventTypeSet>,
    /// The syscall ids a generic event must carry to possibly match (`None`: any).
    pub(crate) generic_ids: Option<EventTypeSet>,
    pub(crate) warnings: Vec<Warning>,
}

impl<F> Filter<F> {
    /// The event codes this filter can match, or `None` when it may match any event. Callers
    /// skip other events before extracting anything.
    pub fn event_types(&self) -> Option<&EventTypeSet> {
        self.event_types.as_ref()
    }

    /// True unless `code` cannot match: it is outside [`Filter::event_types`], or a field the
    /// filter needs has no value on such events (see
    /// [`ResolvedField::present_on`](super::ResolvedField::present_on)).
    pub fn may_match_event(&self, code: u16) -> bool {
        self.candidates.as_ref().is_none_or(|s| s.contains(code))
    }

    /// False when a generic event (codes 0 and 1, whose `evt.type` is the name of the
    /// syscall it carries) carrying syscall `id` cannot match; codes come first, from
    /// [`Filter::may_match_event`].
    pub fn may_match_generic(&self, id: u16) -> bool {
        self.generic_ids.as_ref().is_none_or(|s| s.contains(id))
    }

    /// Non-fatal findings (a field name used as a string, a regex that could be `=`, …).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The fields the filter extracts, each once.
    pub fn fields(&self) -> &[F] {
        &self.fields
    }
}

/// A compile-time warning (Falco's `LOAD_COMPILE_CONDITION`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The value it is about.
    pub span: Span,
    /// What may be wrong.
    pub message: String,
    /// The macro whose text `span` points into, if not the filter itself.
    pub macro_name: Option<String>,
}

/// One instruction. The accumulator holds the last boolean; `and`/`or` short-circuit by
/// jumping over the remaining operands with the accumulator as their result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insn {
    Check(usize),
    Not,
    JumpIfFalse(usize),
    JumpIfTrue(usize),
    Const(bool),
}

/// One check: extract the left side, then test it.
#[derive(Debug, Clone)]
pub(crate) struct CheckProg {
    /// For an `evt.type` equality or set check: the codes it accepts and whether it is
    /// negated (`!=`), deciding it without extraction where the source knows the code.
    pub(crate) codes: Option<Box<(EventTypeSet, bool)>>,
    /// The field slot when the left side is one plain scalar field and the test looks at a
    /// single value: the source may then test the value where it lies.
    pub(crate) single: Option<usize>,
    pub(crate) lhs: Vec<Step>,
    /// Compare the left side as C strings (cut at NUL): CHARBUF and paths.
    pub(crate) cstr: bool,
    pub(crate) test: Test,
}

/// How a check tests its left-side values. An absent left side fails every test.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Exists,
    /// `v pred c` against constants; with `negate` (`!=`) each pair is negated and every
    /// value must pass.
    Cmp {
        pred: Pred,
        negate: bool,
        quant: Quant,
        consts: Vec<Const>,
    },
    /// `in`/`intersects` against constants; `every` for `in` on a list field.
    Set {
        set: ConstSet,
        every: bool,
    },
    PMatch(PathSet),
    /// Against another operand's values.
    FieldCmp {
        pred: Pred,
        negate: bool,
        rhs: Vec<Step>,
        rhs_cstr: bool,
    },
    FieldSet {
        rhs: Vec<Step>,
        rhs_cstr: bool,
        every: bool,
    },
}

/// How the constants of a check combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quant {
    Single,
    AnyOf,
    AllOf,
    OneOf,
}

/// A postfix program producing one range of values.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Extract the field in this slot (once per evaluation).
    Field(usize),
    /// A text constant.
    Const(Box<[u8]>),
    /// Flatten the top `n` ranges into one list.
    List(usize),
    /// Apply a transformer to its arguments on top of the stack.
    Tr(TrOp),
}

/// A transformer, ready to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrOp {
    Lower,
    Upper,
    B64,
    Basename,
    Len(LenMode),
    Join,
    Concat(usize),
    GetOpt(Option<u8>),
}

impl TrOp {
    /// How many ranges it takes from the stack.
    pub(crate) fn arity(self) -> usize {
        match self {
            TrOp::Join | TrOp::GetOpt(_) => 2,
            TrOp::Concat(n) => n,
            _ => 1,
        }
    }
}

/// What `len()` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LenMode {
    /// Bytes up to the first NUL.
    Text,
    /// Bytes.
    Bytes,
    /// List elements.
    Count,
}

/// A compiled field or transformer on its own, for output formats (`%toupper(proc.name)`).
#[derive(Debug, Clone)]
pub struct Extractor<F> {
    pub(crate) steps: Vec<Step>,
    pub(crate) fields: Vec<F>,
    pub(crate) ty: FieldType,
    pub(crate) list: bool,
}

impl<F> Extractor<F> {
    /// The type of the values it yields.
    pub fn field_type(&self) -> FieldType {
        self.ty
    }

    /// True if it yields a list.
    pub fn is_list(&self) -> bool {
        self.list
    }

    /// The fields it extracts.
    pub fn fields(&self) -> &[F] {
        &self.fields
    }
}
