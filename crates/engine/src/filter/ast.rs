//! The filter syntax tree: what [`parse`](super::parse()) produces and
//! [`compile`](super::compile()) reads. Every node carries a [`Span`] into the source text.
//! `Display` (in `print.rs`) gives the canonical form.

/// A position in the filter text. `offset` is a 0-based byte offset; `line` and `column` are
/// 1-based, columns count bytes, and CR and LF each start a new line (as libsinsp counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// Line number, from 1.
    pub line: usize,
    /// Column (in bytes), from 1.
    pub column: usize,
}

impl Position {
    /// The start of a text.
    pub const START: Position = Position {
        offset: 0,
        line: 1,
        column: 1,
    };

    /// A position from its parts.
    pub fn new(offset: usize, line: usize, column: usize) -> Position {
        Position {
            offset,
            line,
            column,
        }
    }
}

impl Default for Position {
    fn default() -> Position {
        Position::START
    }
}

/// A half-open range of the filter text, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: Position,
    /// One past the last byte.
    pub end: Position,
}

impl Span {
    /// A span from its ends.
    pub fn new(start: Position, end: Position) -> Span {
        Span { start, end }
    }

    /// An empty span at `pos`.
    pub fn splat(pos: Position) -> Span {
        Span {
            start: pos,
            end: pos,
        }
    }

    /// The byte range, for slicing the source.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start.offset..self.end.offset.max(self.start.offset)
    }

    /// True if the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.end.offset <= self.start.offset
    }
}

/// A parsed filter: the tree plus the text it came from (errors found later, at compile
/// time, point into it).
#[derive(Debug, Clone)]
pub struct Ast {
    source: String,
    root: Expr,
}

impl Ast {
    pub(crate) fn new(source: String, root: Expr) -> Ast {
        Ast { source, root }
    }

    /// Builds an `Ast` from a tree made by hand; `source` is what the spans point into.
    pub fn from_parts(source: impl Into<String>, root: Expr) -> Ast {
        Ast::new(source.into(), root)
    }

    /// The top expression.
    pub fn root(&self) -> &Expr {
        &self.root
    }

    /// The filter text.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a and b and …` (flat: one node for a chain).
    And(ExprList),
    /// `a or b or …` (flat).
    Or(ExprList),
    /// `not a`. An even run of `not` cancels out at parse time.
    Not(Box<NotExpr>),
    /// A bare identifier: a macro reference.
    Macro(Ident),
    /// A field check: `lhs op [rhs]`.
    Check(Box<Check>),
}

impl Expr {
    /// The text this expression covers.
    pub fn span(&self) -> Span {
        match self {
            Expr::And(l) | Expr::Or(l) => l.span,
            Expr::Not(n) => n.span,
            Expr::Macro(i) => i.span,
            Expr::Check(c) => c.span,
        }
    }

    /// A childless placeholder; `Drop` swaps it in so it never recurses.
    fn placeholder() -> Expr {
        Expr::And(ExprList {
            span: Span::default(),
            children: Vec::new(),
        })
    }
}

/// Dropping walks the tree with a heap stack: a hand-built tree may be deeper than the parser's
/// nest limit, and recursive drop would overflow the stack.
impl Drop for Expr {
    fn drop(&mut self) {
        let nested = match self {
            Expr::And(l) | Expr::Or(l) => !l.children.is_empty(),
            // A childless `and` is the placeholder: nothing below it.
            Expr::Not(n) => !matches!(&n.child, Expr::And(l) if l.children.is_empty()),
            Expr::Macro(_) | Expr::Check(_) => false,
        };
        if !nested {
            return;
        }
        let mut stack = vec![std::mem::replace(self, Expr::placeholder())];
        while let Some(mut e) = stack.pop() {
            match &mut e {
                Expr::And(l) | Expr::Or(l) => stack.append(&mut l.children),
                Expr::Not(n) => stack.push(std::mem::replace(&mut n.child, Expr::placeholder())),
                Expr::Macro(_) | Expr::Check(_) => {}
            }
        }
    }
}

/// The children of an `and` or `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprList {
    /// From the first child to the last.
    pub span: Span,
    /// Two or more operands (the parser never builds fewer).
    pub children: Vec<Expr>,
}

/// A negation.
#[derive(Debug, Clone, PartialEq)]
pub struct NotExpr {
    /// From `not` to the end of the operand.
    pub span: Span,
    /// The negated expression.
    pub child: Expr,
}

/// An identifier (macro name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// Where it is.
    pub span: Span,
    /// `[A-Za-z][A-Za-z0-9_]*`.
    pub name: String,
}

/// `lhs op [rhs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// From the start of `lhs` to the end of the check.
    pub span: Span,
    /// A field or a transformer.
    pub lhs: Operand,
    /// The operator.
    pub op: Operator,
    /// `None` only for `exists`.
    pub rhs: Option<Rhs>,
}

/// An operator with its optional `oneof`/`anyof`/`allof` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The operator word (and modifier, when present).
    pub span: Span,
    /// Which operator.
    pub kind: OpKind,
    /// The list modifier, for string operators.
    pub modifier: Option<Modifier>,
}

/// The check operators, in libsinsp's lexing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `exists` (unary).
    Exists,
    /// `<=`.
    Le,
    /// `<`.
    Lt,
    /// `>=`.
    Ge,
    /// `>`.
    Gt,
    /// `==`.
    EqEq,
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `glob`.
    Glob,
    /// `iglob`.
    IGlob,
    /// `contains`.
    Contains,
    /// `icontains`.
    IContains,
    /// `bcontains`.
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith`.
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `regex`.
    Regex,
    /// `intersects`.
    Intersects,
    /// `in`.
    In,
    /// `pmatch`.
    PMatch,
}

impl OpKind {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Exists => "exists",
            OpKind::Le => "<=",
            OpKind::Lt => "<",
            OpKind::Ge => ">=",
            OpKind::Gt => ">",
            OpKind::EqEq => "==",
            OpKind::Eq => "=",
            OpKind::Ne => "!=",
            OpKind::Glob => "glob",
            OpKind::IGlob => "iglob",
            OpKind::Contains => "contains",
            OpKind::IContains => "icontains",
            OpKind::BContains => "bcontains",
            OpKind::StartsWith => "startswith",
            OpKind::BStartsWith => "bstartswith",
            OpKind::EndsWith => "endswith",
            OpKind::Regex => "regex",
            OpKind::Intersects => "intersects",
            OpKind::In => "in",
            OpKind::PMatch => "pmatch",
        }
    }

    /// True for `in`, `intersects` and `pmatch`, which take a list.
    pub fn is_list_op(self) -> bool {
        matches!(self, OpKind::In | OpKind::Intersects | OpKind::PMatch)
    }

    /// True for `<`, `<=`, `>`, `>=`.
    pub fn is_ordering(self) -> bool {
        matches!(self, OpKind::Le | OpKind::Lt | OpKind::Ge | OpKind::Gt)
    }
}

/// List modifiers for string operators (`proc.name startswith anyof (a, b)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// Exactly one list entry satisfies the operator.
    OneOf,
    /// At least one entry does.
    AnyOf,
    /// Every entry does (and the list is not empty).
    AllOf,
}

impl Modifier {
    /// The modifier as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// Something that produces values: a field or a transformer over fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `name[arg]`.
    Field(Field),
    /// `name(args…)[arg]`, including `val(field)`.
    Transformer(Box<Transformer>),
}

impl Operand {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            Operand::Field(f) => f.span,
            Operand::Transformer(t) => t.span,
        }
    }
}

/// A field reference, `fd.name` or `proc.aname[2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Name and argument.
    pub span: Span,
    /// Dotted name.
    pub name: String,
    /// The `[arg]`, if written (`[""]` is present but empty).
    pub arg: Option<FieldArg>,
}

/// A `[arg]` after a field or transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldArg {
    /// The brackets and their content.
    pub span: Span,
    /// The argument, un-escaped if it was quoted.
    pub value: Vec<u8>,
}

/// The transformers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformerKind {
    /// `val(field)`: the RHS is a field, not text.
    Val,
    /// `tolower(x)`.
    ToLower,
    /// `toupper(x)`.
    ToUpper,
    /// `b64(x)`: base64 decode.
    B64,
    /// `basename(x)`.
    Basename,
    /// `len(x)`.
    Len,
    /// `join(sep, list)`.
    Join,
    /// `concat(a, b, …)`.
    Concat,
    /// `getopt(args, optstring)`.
    GetOpt,
}

impl TransformerKind {
    /// Every transformer but `val`, as written before `(`.
    pub const ALL: [TransformerKind; 8] = [
        TransformerKind::ToLower,
        TransformerKind::ToUpper,
        TransformerKind::B64,
        TransformerKind::Basename,
        TransformerKind::Len,
        TransformerKind::Join,
        TransformerKind::Concat,
        TransformerKind::GetOpt,
    ];

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerKind::Val => "val",
            TransformerKind::ToLower => "tolower",
            TransformerKind::ToUpper => "toupper",
            TransformerKind::B64 => "b64",
            TransformerKind::Basename => "basename",
            TransformerKind::Len => "len",
            TransformerKind::Join => "join",
            TransformerKind::Concat => "concat",
            TransformerKind::GetOpt => "getopt",
        }
    }
}

/// A transformer application.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformer {
    /// From the name to the closing `)` or `]`.
    pub span: Span,
    /// Which transformer.
    pub kind: TransformerKind,
    /// Its arguments.
    pub args: Vec<TrArg>,
    /// `[arg]` after the call (only `getopt` accepts one).
    pub arg: Option<FieldArg>,
}

/// A transformer argument.
#[derive(Debug, Clone, PartialEq)]
pub enum TrArg {
    /// A field.
    Field(Field),
    /// A nested transformer.
    Transformer(Box<Transformer>),
    /// A quoted string or a number: a constant.
    Value(Literal),
    /// `( … )`: a list built from fields, transformers and constants.
    List(TrList),
}

impl TrArg {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            TrArg::Field(f) => f.span,
            TrArg::Transformer(t) => t.span,
            TrArg::Value(v) => v.span,
            TrArg::List(l) => l.span,
        }
    }
}

/// A transformer list, `(a.b, "x", tolower(c.d))`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrList {
    /// The parentheses and their content.
    pub span: Span,
    /// The elements (never lists).
    pub items: Vec<TrArg>,
}

/// How a literal was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LitKind {
    /// A bare string or an identifier: used verbatim.
    Bare,
    /// A quoted string: escapes already processed.
    Quoted,
    /// A number token (after a numeric operator or in transformer arguments).
    Number,
}

/// A constant value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// The token, quotes included.
    pub span: Span,
    /// The value (un-escaped; may be non-UTF-8 after `\xHH`).
    pub value: Vec<u8>,
    /// How it was written.
    pub kind: LitKind,
}

/// The right-hand side of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// One value (also an identifier after a list operator or a modifier).
    Value(Literal),
    /// `(v1, v2, …)`.
    List(ValueList),
    /// `val(field)` or a transformer: compared against another field.
    Operand(Operand),
}

impl Rhs {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            Rhs::Value(v) => v.span,
            Rhs::List(l) => l.span,
            Rhs::Operand(o) => o.span(),
        }
    }
}

/// A list of values after `in`, `intersects`, `pmatch` or a modifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueList {
    /// The parentheses and their content.
    pub span: Span,
    /// Quoted or bare strings.
    pub values: Vec<Literal>,
}
