//! The libsinsp/Falco filter language: text → [`Ast`] (with spans) → [`Filter`] (resolved,
//! type-checked, constants prepared, event-type set computed) → evaluation per event.
//!
//! ```text
//! let ast = filter::parse("proc.name in (bash, sh) and not fd.name startswith /dev/")?;
//! let f = filter::compile(&ast, &catalog, &macros)?;
//! if f.may_match_event(code) && f.eval(&mut source, &mut scratch) { … }
//! ```
//!
//! The field registry plugs in through two traits: [`FieldCatalog`] (names, types, event
//! codes; used once, by the compiler) and [`FieldSource`] (values of the current event; used
//! by the evaluator). Values are copied into the caller's [`Scratch`], which keeps its buffers
//! between events, so evaluation does not allocate once warmed up.
//!
//! # Decisions on libsinsp's quirks (spec §14)
//!
//! * **Q1** `exists` is a raw prefix: `x.y existsand m` is `(x.y exists and m)`. *Kept.*
//! * **Q2** `in`/`intersects`/`pmatch` need no blank and take an identifier as one literal:
//!   `proc.name inx` is `proc.name in x`. *Kept.*
//! * **Q3** A quoted string ends at the first same quote not preceded by a backslash, so
//!   `"a\\"b"` is one string, `a\"b`. *Kept.* The canonical printer writes a trailing
//!   backslash as `\x5c` so its output always parses back.
//! * **Q4** `not` alone, `notb`, `and_macro` are identifiers. *Kept.*
//! * **Q5** A field name written bare on the right is a string, with a warning. *Kept.*
//! * **Q6** An empty value prints as nothing in the canonical form. *Changed:* it prints as
//!   `""`, so the canonical form is always valid filter text.
//! * **Q7** Hex and float literals are rejected for integer and DOUBLE fields. *Kept.*
//! * **Q8** Operator errors on booleans say "numeric filters". *Changed:* "boolean filters".
//! * **Q9** Plugin field arguments with blanks fail. *Not ours:* the argument reaches the
//!   catalog intact; the catalog decides.
//! * **Q10** An indexed list field stays a list. *Catalog's call* ([`ResolvedField::list`]).
//!
//! Other deliberate differences, all on the error side:
//!
//! * Nesting depth counts nesting levels (`(`, `not(`, transformers, transformer lists), not
//!   parser frames; the default limit is 100 levels ([`Parser::nest_limit`]).
//! * A word operator without its blank (`x containsin (a)`) is an operator error; libsinsp
//!   leaves its cursor after the word and reads `in (a)`.
//! * An unterminated quote, or a bad escape in the first element of a list, gets its own
//!   message instead of the generic "expected …".
//! * "unexpected token after '…'" quotes the token as written (quotes included).
//! * `field = val(other)` accepts CHARBUF against FSPATH (both are text); other types must be
//!   identical, as in libsinsp.
//! * A non-list field that yields several values (like `fd.ip`: client and server) passes a
//!   check if any value does; for `!=` every value must differ.
//! * `evt.type` values are checked against the event table for `=`, `==`, `!=`, `in` and
//!   `intersects` (with or without modifiers); other operators take any text.
//! * Integer literals beyond the field's width are kept as written (compared
//!   mathematically), where libsinsp narrows them in a C-library-dependent way.
//! * An unknown field is "unknown field 'x'" with a did-you-mean suggestion (libsinsp:
//!   "filter_check called with nonexistent field x").
//! * Lists are expanded on the tree, not textually (see [`Macros`]); an unresolved identifier
//!   is "undefined macro 'x'".
//!
//! Output formats reuse the operand grammar: [`parse_operand`] reads `proc.name` or
//! `toupper(proc.name)` after a `%`, and [`compile_operand`] makes an [`Extractor`].

mod ast;
mod catalog;
mod check;
mod compile;
mod convert;
mod error;
mod eval;
mod evttype;
mod glob;
mod lexer;
mod macros;
mod operand;
mod ops;
mod parse;
mod print;
mod program;
mod substr;
mod suggest;
mod transform;
mod values;

#[cfg(test)]
mod tests;

pub use ast::{
    Ast, Check, Expr, ExprList, Field, FieldArg, Ident, LitKind, Literal, Modifier, NotExpr,
    OpKind, Operand, Operator, Position, Rhs, Span, TrArg, TrList, Transformer, TransformerKind,
    ValueList,
};
pub use catalog::{FieldCatalog, FieldSource, ResolveError, ResolvedField};
pub use compile::{compile, compile_operand, COMPILE_NEST_LIMIT};
pub use error::{CompileError, CompileErrorKind, EscapeError, ParseError, ParseErrorKind};
pub use eval::{Extracted, Scratch};
pub use evttype::{EventTypeSet, EVENT_CODE_LIMIT};
pub(crate) use glob::glob_match;
pub use macros::{MacroResolver, Macros};
pub use parse::{Parser, DEFAULT_NEST_LIMIT, MAX_NEST_LIMIT};
pub use program::{Extractor, Filter, Warning};
pub use values::{TextWriter, ValueSink};

/// Parses a filter with the default settings.
pub fn parse(src: &str) -> Result<Ast, ParseError> {
    Parser::new().parse(src)
}

/// Parses a field or transformer at the start of `src` (for output formats); returns it and
/// the number of bytes used.
pub fn parse_operand(src: &str) -> Result<(Operand, usize), ParseError> {
    Parser::new().parse_operand(src)
}
