//! Parse and compile errors. Both keep the filter text so `Display` can show the offending
//! line with carets under the span:
//!
//! ```text
//! filter error at index 5, line 1, column 6: expected blank or '(' after 'and'
//!     a andb
//!          ^
//! ```

use std::fmt;

use super::ast::Span;

/// What the parser did not like. The messages are libsinsp's, word for word, except where a
/// variant says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text is empty.
    Empty,
    /// A complete expression is followed by more text.
    UnexpectedToken {
        /// The last token read (as written).
        after: String,
    },
    /// `and`/`or` not followed by a blank or `(`.
    ExpectedBlankOrParen {
        /// `"and"` or `"or"`.
        keyword: &'static str,
    },
    /// A `(` group is not closed.
    ExpectedCloseParen,
    /// Not a `(`, a field, a transformer or an identifier where a check was expected.
    ExpectedCheck,
    /// `field[` not followed by a quoted or bare argument.
    ExpectedFieldArg,
    /// `field[arg` not followed by `]`.
    ExpectedCloseBracket,
    /// No operator after a field.
    ExpectedOperator,
    /// A numeric operator not followed by a number, `val()` or a transformer.
    ExpectedNumber,
    /// A string operator not followed by a value, `val()` or a transformer.
    ExpectedStringOrTransformer,
    /// A bad element in a value list.
    ExpectedString,
    /// A list operator not followed by a list, an identifier, `val()` or a transformer.
    ExpectedListOrTransformer,
    /// `val(` not followed by a field.
    ExpectedFieldInVal,
    /// A transformer's arguments not followed by `)`.
    ExpectedCloseTransformer,
    /// A bad transformer argument.
    ExpectedTransformerArg,
    /// A bad transformer-list element.
    ExpectedTransformerListArg,
    /// A transformer list not closed.
    ExpectedCloseTransformerList,
    /// Nesting deeper than the parser's limit.
    NestLimitExceeded(u32),
    /// A quote with no closing quote (libsinsp reports the generic "expected …" error of the
    /// place instead).
    UnterminatedString,
    /// A bad `\` sequence in a quoted string.
    Escape(EscapeError),
}

/// A bad escape sequence in a quoted string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscapeError {
    /// `\"` inside `'…'`.
    DoubleQuoteInSingle,
    /// `\'` inside `"…"`.
    SingleQuoteInDouble,
    /// `\x` with fewer than two characters left.
    TruncatedHex,
    /// `\x` followed by two characters that are not hex digits.
    InvalidHex(String),
    /// Any other `\c`.
    Unsupported(String),
}

const TRANSFORMERS: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseErrorKind as K;
        match self {
            K::Empty => f.write_str("filter input string is empty"),
            K::UnexpectedToken { after } => {
                write!(f, "unexpected token after '{after}', expecting 'or', 'and'")
            }
            K::ExpectedBlankOrParen { keyword } => {
                write!(f, "expected blank or '(' after '{keyword}'")
            }
            K::ExpectedCloseParen => f.write_str("expected a ')' token"),
            K::ExpectedCheck => {
                f.write_str("expected a '(' token, a field check, or an identifier")
            }
            K::ExpectedFieldArg => {
                f.write_str("expected a valid field argument: a quoted string or a bare string")
            }
            K::ExpectedCloseBracket => f.write_str("expected a ']' token"),
            K::ExpectedOperator => f.write_str(
                "expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', \
                 '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', \
                 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'",
            ),
            K::ExpectedNumber => write!(
                f,
                "expected a number value or a field with a valid transformer: {TRANSFORMERS}"
            ),
            K::ExpectedStringOrTransformer => write!(
                f,
                "expected a string value or a field with a valid transformer: {TRANSFORMERS}"
            ),
            K::ExpectedString => f.write_str("expected a string value"),
            K::ExpectedListOrTransformer => write!(
                f,
                "expected a list, an identifier, or a field with a valid transformer: \
                 {TRANSFORMERS}"
            ),
            K::ExpectedFieldInVal => f.write_str("expected a field within 'val' transformer"),
            K::ExpectedCloseTransformer => {
                f.write_str("expected a ')' token closing the transformer")
            }
            K::ExpectedTransformerArg => f.write_str(
                "expected field transformer argument: field, transformer, quoted string, \
                 number, or transformer list",
            ),
            K::ExpectedTransformerListArg => f.write_str(
                "expected transformer list argument: field, transformer, quoted string, or number",
            ),
            K::ExpectedCloseTransformerList => f.write_str("expected ')'"),
            K::NestLimitExceeded(n) => write!(f, "exceeded max depth limit of {n}"),
            K::UnterminatedString => f.write_str("unterminated quoted string"),
            K::Escape(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for EscapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EscapeError::DoubleQuoteInSingle => {
                f.write_str("invalid \\\" escape in '-quoted string")
            }
            EscapeError::SingleQuoteInDouble => {
                f.write_str("invalid \\' escape in \"-quoted string")
            }
            EscapeError::TruncatedHex => f.write_str("truncated hex char escape sequence"),
            EscapeError::InvalidHex(s) => write!(f, "invalid hex char escape sequence: {s}"),
            EscapeError::Unsupported(s) => write!(f, "unsupported string escape sequence: \\{s}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ParseInner {
    kind: ParseErrorKind,
    span: Span,
    source: String,
}

/// A syntax error, with the text and the span it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(Box<ParseInner>);

impl ParseError {
    #[cold]
    pub(crate) fn new(kind: ParseErrorKind, span: Span, source: &str) -> ParseError {
        ParseError(Box::new(ParseInner {
            kind,
            span,
            source: source.to_owned(),
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.0.kind
    }

    /// Where the parser stopped.
    pub fn span(&self) -> Span {
        self.0.span
    }

    /// The filter text.
    pub fn source(&self) -> &str {
        &self.0.source
    }

    /// The message alone, without position or snippet.
    pub fn message(&self) -> String {
        self.0.kind.to_string()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_header(f, self.0.span, &self.0.kind)?;
        write_snippet(f, &self.0.source, self.0.span)
    }
}

impl std::error::Error for ParseError {}

/// Classes of compile errors that callers may want to treat specially (Falco downgrades unknown
/// fields and event types to warnings under `skip-if-unknown-filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompileErrorKind {
    /// The field catalog does not know the field.
    UnknownField,
    /// An `evt.type` value names no event.
    UnknownEventType,
    /// An identifier that no macro defines.
    UndefinedMacro,
    /// A macro or list that refers to itself.
    ReferenceLoop,
    /// Macros and groups nest deeper than the compiler's limit.
    NestLimitExceeded,
    /// A type, operator, value or transformer error.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CompileInner {
    kind: CompileErrorKind,
    message: String,
    span: Span,
    source: String,
    help: Option<String>,
    /// Innermost first: the macros the error sits in.
    macros: Vec<String>,
}

/// A semantic error: unknown field, wrong type, bad value, undefined macro, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError(Box<CompileInner>);

impl CompileError {
    #[cold]
    pub(crate) fn new(
        kind: CompileErrorKind,
        message: String,
        span: Span,
        source: &str,
    ) -> CompileError {
        CompileError(Box::new(CompileInner {
            kind,
            message,
            span,
            source: source.to_owned(),
            help: None,
            macros: Vec::new(),
        }))
    }

    pub(crate) fn with_help(mut self, help: String) -> CompileError {
        self.0.help = Some(help);
        self
    }

    pub(crate) fn with_macros(mut self, macros: Vec<String>) -> CompileError {
        self.0.macros = macros;
        self
    }

    /// The class of error.
    pub fn kind(&self) -> CompileErrorKind {
        self.0.kind
    }

    /// The message alone (libsinsp's wording where it has one).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// A suggestion, such as a field name the user may have meant.
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// Where in [`source`](Self::source) the problem is.
    pub fn span(&self) -> Span {
        self.0.span
    }

    /// The text the span points into: the filter, or the body of the macro named first in
    /// [`macros`](Self::macros).
    pub fn source(&self) -> &str {
        &self.0.source
    }

    /// The macros the error sits in, innermost first (empty when it is in the filter itself).
    pub fn macros(&self) -> &[String] {
        &self.0.macros
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_header(f, self.0.span, &self.0.message)?;
        write_snippet(f, &self.0.source, self.0.span)?;
        if let Some(h) = &self.0.help {
            write!(f, "\nhelp: {h}")?;
        }
        for (i, m) in self.0.macros.iter().enumerate() {
            let how = if i == 0 { "in" } else { "used by" };
            write!(f, "\nnote: {how} macro '{m}'")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

fn write_header(f: &mut fmt::Formatter<'_>, span: Span, msg: &dyn fmt::Display) -> fmt::Result {
    let p = span.start;
    write!(
        f,
        "filter error at index {}, line {}, column {}: {msg}",
        p.offset, p.line, p.column
    )
}

/// Writes the line holding `span.start`, then carets under the span (to the end of that line).
/// Control characters print as spaces so a hostile filter cannot drive the terminal, and so
/// the carets stay aligned.
fn write_snippet(f: &mut fmt::Formatter<'_>, source: &str, span: Span) -> fmt::Result {
    let bytes = source.as_bytes();
    let at = span.start.offset.min(bytes.len());
    let line_start = bytes
        .get(..at)
        .and_then(|b| b.iter().rposition(|&c| c == b'\n' || c == b'\r'))
        .map_or(0, |i| i + 1);
    let line_end = bytes
        .get(at..)
        .and_then(|b| b.iter().position(|&c| c == b'\n' || c == b'\r'))
        .map_or(bytes.len(), |i| at + i);
    let line = String::from_utf8_lossy(bytes.get(line_start..line_end).unwrap_or_default());
    let before = String::from_utf8_lossy(bytes.get(line_start..at).unwrap_or_default())
        .chars()
        .count();
    let end = span.end.offset.clamp(at, line_end);
    let width = String::from_utf8_lossy(bytes.get(at..end).unwrap_or_default())
        .chars()
        .count()
        .max(1);
    f.write_str("\n    ")?;
    for c in line.chars() {
        if c.is_control() {
            f.write_str(" ")?;
        } else {
            write!(f, "{c}")?;
        }
    }
    write!(f, "\n    {:before$}{:^<width$}", "", "")
}

/// Renders user text for a message: control characters and invalid UTF-8 become `\xHH`.
pub(crate) fn show(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}
