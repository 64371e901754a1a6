//! Recursive-descent parser for the libsinsp filter grammar (spec §3).
//!
//! Recursion happens only at nesting points (`(`, `not(`, transformer calls and transformer
//! lists), and each one counts against the nest limit, so stack use is bounded by the limit
//! whatever the input: `((((…` ten thousand deep is an error, not a stack overflow.

use super::ast::{
    Ast, Check, Expr, ExprList, Field, FieldArg, Ident, LitKind, Literal, Modifier, NotExpr,
    OpKind, Operand, Operator, Rhs, Span, TrArg, TrList, Transformer, TransformerKind, ValueList,
};
use super::error::{ParseError, ParseErrorKind};
use super::lexer::{is_blank, is_space, unescape, Cursor};

/// The default nest limit (libsinsp's default depth is 100 too, though it counts parser
/// frames, about five per parenthesis level; we count nesting levels).
pub const DEFAULT_NEST_LIMIT: u32 = 100;

/// The largest nest limit a [`Parser`] accepts: deeper would risk the stack, since each level
/// costs a few recursive calls.
pub const MAX_NEST_LIMIT: u32 = 1000;

/// A filter parser with settings.
#[derive(Debug, Clone, Copy)]
pub struct Parser {
    nest_limit: u32,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new()
    }
}

impl Parser {
    /// A parser with the default nest limit.
    pub fn new() -> Parser {
        Parser {
            nest_limit: DEFAULT_NEST_LIMIT,
        }
    }

    /// Sets how deeply parentheses, `not(`, transformers and transformer lists may nest
    /// (clamped to [`MAX_NEST_LIMIT`]).
    pub fn nest_limit(mut self, limit: u32) -> Parser {
        self.nest_limit = limit.min(MAX_NEST_LIMIT);
        self
    }

    /// Parses a whole filter expression.
    pub fn parse(&self, src: &str) -> Result<Ast, ParseError> {
        let mut p = P::new(src, self.nest_limit);
        if src.is_empty() {
            return Err(p.err_here(ParseErrorKind::Empty));
        }
        let root = p.parse_or()?;
        if !p.cur.at_end() {
            let after = p.last_text();
            return Err(p.err_token(ParseErrorKind::UnexpectedToken { after }));
        }
        Ok(Ast::new(src.to_owned(), root))
    }

    /// Parses a field or a transformer (not `val`) at the start of `src`, as output formats
    /// need after a `%`. Returns the operand and how many bytes it used; the rest is ignored.
    pub fn parse_operand(&self, src: &str) -> Result<(Operand, usize), ParseError> {
        let mut p = P::new(src, self.nest_limit);
        let start = p.cur.pos();
        let op = if p.cur.len_field_name() > 0 {
            Operand::Field(p.parse_field()?)
        } else if let Some(kind) = p.eat_transformer_open() {
            Operand::Transformer(Box::new(p.parse_transformer_rest(kind, start)?))
        } else {
            return Err(p.err_here(ParseErrorKind::ExpectedCheck));
        };
        Ok((op, p.cur.pos().offset))
    }
}

struct P<'s> {
    src: &'s str,
    cur: Cursor<'s>,
    depth: u32,
    limit: u32,
    /// The last token read, for "unexpected token after '…'".
    last: Span,
}

type PResult<T> = Result<T, ParseError>;

impl<'s> P<'s> {
    fn new(src: &'s str, limit: u32) -> P<'s> {
        P {
            src,
            cur: Cursor::new(src),
            depth: 0,
            limit,
            last: Span::default(),
        }
    }

    // --- errors -------------------------------------------------------------------------

    /// An error at the cursor, pointing at one character.
    fn err_here(&self, kind: ParseErrorKind) -> ParseError {
        let start = self.cur.pos();
        let mut c = self.cur.clone();
        let n = self.src.get(start.offset..).and_then(|s| s.chars().next());
        c.advance(n.map_or(0, char::len_utf8));
        ParseError::new(kind, Span::new(start, c.pos()), self.src)
    }

    /// An error at the cursor, pointing at the run of non-blank text there.
    fn err_token(&self, kind: ParseErrorKind) -> ParseError {
        let mut c = self.cur.clone();
        let n = c.rest().iter().take_while(|&&b| !is_blank(b)).count();
        c.advance(n.max(1));
        ParseError::new(kind, Span::new(self.cur.pos(), c.pos()), self.src)
    }

    fn err_at(&self, kind: ParseErrorKind, span: Span) -> ParseError {
        ParseError::new(kind, span, self.src)
    }

    fn last_text(&self) -> String {
        let r = self.last.range();
        super::error::show(self.src.as_bytes().get(r).unwrap_or_default())
    }

    // --- token helpers --------------------------------------------------------------------

    /// Consumes `s` if the text continues with it.
    fn eat(&mut self, s: &str) -> bool {
        if self.cur.starts_with(s) {
            self.last = self.cur.take(s.len());
            true
        } else {
            false
        }
    }

    fn take(&mut self, n: usize) -> Span {
        self.last = self.cur.take(n);
        self.last
    }

    fn enter(&mut self, at: Span) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.limit {
            return Err(self.err_at(ParseErrorKind::NestLimitExceeded(self.limit), at));
        }
        Ok(())
    }

    fn exit(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn text(&self, span: Span) -> &'s str {
        self.src.get(span.range()).unwrap_or_default()
    }

    // --- boolean structure ------------------------------------------------------------------

    fn parse_or(&mut self) -> PResult<Expr> {
        self.cur.blanks();
        let first = self.parse_and()?;
        self.cur.blanks();
        let mut children = Vec::new();
        while self.eat("or") {
            let child = self.after_keyword("or", Self::parse_and)?;
            children.push(child);
            self.cur.blanks();
        }
        Ok(join(first, children, Expr::Or))
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        self.cur.blanks();
        let first = self.parse_not()?;
        self.cur.blanks();
        let mut children = Vec::new();
        while self.eat("and") {
            let child = self.after_keyword("and", Self::parse_not)?;
            children.push(child);
            self.cur.blanks();
        }
        Ok(join(first, children, Expr::And))
    }

    /// After `and`/`or`: a blank then an operand, or `(` directly.
    fn after_keyword(
        &mut self,
        keyword: &'static str,
        operand: fn(&mut Self) -> PResult<Expr>,
    ) -> PResult<Expr> {
        if self.cur.blanks() {
            return operand(self);
        }
        let open = self.cur.pos();
        if self.eat("(") {
            return self.parse_embedded(Span::new(open, self.cur.pos()));
        }
        Err(self.err_here(ParseErrorKind::ExpectedBlankOrParen { keyword }))
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        self.cur.blanks();
        let start = self.cur.pos();
        let mut negate = false;
        // `not` followed by blanks (POSIX [:space:], as libsinsp's regex); pairs cancel out.
        while self.cur.starts_with("not") && self.cur.peek_at(3).is_some_and(is_space) {
            self.take(3);
            let n = self.cur.rest().iter().take_while(|&&b| is_space(b)).count();
            self.cur.advance(n);
            negate = !negate;
        }
        let child = if self.cur.starts_with("not(") {
            let open = self.take(4);
            negate = !negate;
            self.parse_embedded(open)?
        } else {
            self.parse_check()?
        };
        if !negate {
            return Ok(child);
        }
        let span = Span::new(start, child.span().end);
        Ok(Expr::Not(Box::new(NotExpr { span, child })))
    }

    /// The rest of a group after its `(`: an expression and `)`.
    fn parse_embedded(&mut self, open: Span) -> PResult<Expr> {
        self.enter(open)?;
        self.cur.blanks();
        let e = self.parse_or()?;
        self.cur.blanks();
        if !self.eat(")") {
            return Err(self.err_here(ParseErrorKind::ExpectedCloseParen));
        }
        self.exit();
        Ok(e)
    }

    fn parse_check(&mut self) -> PResult<Expr> {
        self.cur.blanks();
        let start = self.cur.pos();
        if self.eat("(") {
            return self.parse_embedded(Span::new(start, self.cur.pos()));
        }
        if self.cur.len_field_name() > 0 {
            let f = self.parse_field()?;
            return self.parse_condition(Operand::Field(f));
        }
        if let Some(kind) = self.eat_transformer_open() {
            let t = self.parse_transformer_rest(kind, start)?;
            return self.parse_condition(Operand::Transformer(Box::new(t)));
        }
        let n = self.cur.len_identifier();
        if n > 0 {
            let span = self.take(n);
            let name = self.text(span).to_owned();
            return Ok(Expr::Macro(Ident { span, name }));
        }
        Err(self.err_here(ParseErrorKind::ExpectedCheck))
    }

    // --- fields and transformers -----------------------------------------------------------

    /// A field name (the caller checked one starts here) and its optional `[arg]`.
    fn parse_field(&mut self) -> PResult<Field> {
        let n = self.cur.len_field_name();
        let name_span = self.take(n);
        let name = self.text(name_span).to_owned();
        let arg = self.parse_field_arg()?;
        let end = arg.as_ref().map_or(name_span.end, |a| a.span.end);
        Ok(Field {
            span: Span::new(name_span.start, end),
            name,
            arg,
        })
    }

    /// `[arg]` right after a field or transformer (no blank before `[`).
    fn parse_field_arg(&mut self) -> PResult<Option<FieldArg>> {
        let start = self.cur.pos();
        if !self.eat("[") {
            return Ok(None);
        }
        let value = if let Some(lit) = self.try_quoted()? {
            lit.value
        } else {
            let n = self.cur.len_arg_bare();
            if n == 0 {
                return Err(self.err_here(ParseErrorKind::ExpectedFieldArg));
            }
            let span = self.take(n);
            self.text(span).as_bytes().to_vec()
        };
        if !self.eat("]") {
            return Err(self.err_here(ParseErrorKind::ExpectedCloseBracket));
        }
        Ok(Some(FieldArg {
            span: Span::new(start, self.cur.pos()),
            value,
        }))
    }

    /// `tolower(`, `toupper(`, … (not `val(`; no blank before the parenthesis).
    fn eat_transformer_open(&mut self) -> Option<TransformerKind> {
        let kind = TransformerKind::ALL.into_iter().find(|k| {
            let name = k.as_str();
            self.cur.starts_with(name) && self.cur.peek_at(name.len()) == Some(b'(')
        })?;
        self.take(kind.as_str().len() + 1);
        Some(kind)
    }

    /// A transformer's arguments after its `(`, the `)` and an optional `[arg]`.
    fn parse_transformer_rest(
        &mut self,
        kind: TransformerKind,
        start: super::ast::Position,
    ) -> PResult<Transformer> {
        self.enter(Span::new(start, self.cur.pos()))?;
        self.cur.blanks();
        let mut args = Vec::new();
        loop {
            args.push(self.parse_tr_arg()?);
            self.cur.blanks();
            if !self.eat(",") {
                break;
            }
        }
        self.cur.blanks();
        if !self.eat(")") {
            return Err(self.err_here(ParseErrorKind::ExpectedCloseTransformer));
        }
        let arg = self.parse_field_arg()?;
        self.exit();
        Ok(Transformer {
            span: Span::new(start, self.cur.pos()),
            kind,
            args,
            arg,
        })
    }

    fn parse_tr_arg(&mut self) -> PResult<TrArg> {
        self.cur.blanks();
        let start = self.cur.pos();
        if let Some(lit) = self.try_number() {
            return Ok(TrArg::Value(lit));
        }
        if let Some(lit) = self.try_quoted()? {
            return Ok(TrArg::Value(lit));
        }
        if self.eat("(") {
            return Ok(TrArg::List(self.parse_tr_list(start)?));
        }
        if let Some(kind) = self.eat_transformer_open() {
            let t = self.parse_transformer_rest(kind, start)?;
            return Ok(TrArg::Transformer(Box::new(t)));
        }
        if self.cur.len_field_name() > 0 {
            return Ok(TrArg::Field(self.parse_field()?));
        }
        Err(self.err_here(ParseErrorKind::ExpectedTransformerArg))
    }

    /// A transformer list after its `(`.
    fn parse_tr_list(&mut self, start: super::ast::Position) -> PResult<TrList> {
        self.enter(Span::new(start, self.cur.pos()))?;
        self.cur.blanks();
        let mut items = Vec::new();
        if !self.eat(")") {
            loop {
                items.push(self.parse_tr_list_arg()?);
                self.cur.blanks();
                if !self.eat(",") {
                    break;
                }
                self.cur.blanks();
            }
            if !self.eat(")") {
                return Err(self.err_here(ParseErrorKind::ExpectedCloseTransformerList));
            }
        }
        self.exit();
        Ok(TrList {
            span: Span::new(start, self.cur.pos()),
            items,
        })
    }

    fn parse_tr_list_arg(&mut self) -> PResult<TrArg> {
        let start = self.cur.pos();
        if self.cur.len_field_name() > 0 {
            return Ok(TrArg::Field(self.parse_field()?));
        }
        if let Some(kind) = self.eat_transformer_open() {
            let t = self.parse_transformer_rest(kind, start)?;
            return Ok(TrArg::Transformer(Box::new(t)));
        }
        if let Some(lit) = self.try_quoted()? {
            return Ok(TrArg::Value(lit));
        }
        if let Some(lit) = self.try_number() {
            return Ok(TrArg::Value(lit));
        }
        Err(self.err_here(ParseErrorKind::ExpectedTransformerListArg))
    }

    /// `val(field)[arg]` or a transformer, on the right-hand side.
    fn try_rhs_operand(&mut self) -> PResult<Option<Operand>> {
        self.cur.blanks();
        let start = self.cur.pos();
        if self.eat("val(") {
            self.enter(Span::new(start, self.cur.pos()))?;
            self.cur.blanks();
            if self.cur.len_field_name() == 0 {
                return Err(self.err_here(ParseErrorKind::ExpectedFieldInVal));
            }
            let f = self.parse_field()?;
            self.cur.blanks();
            if !self.eat(")") {
                return Err(self.err_here(ParseErrorKind::ExpectedCloseTransformer));
            }
            let arg = self.parse_field_arg()?;
            self.exit();
            return Ok(Some(Operand::Transformer(Box::new(Transformer {
                span: Span::new(start, self.cur.pos()),
                kind: TransformerKind::Val,
                args: vec![TrArg::Field(f)],
                arg,
            }))));
        }
        if let Some(kind) = self.eat_transformer_open() {
            let t = self.parse_transformer_rest(kind, start)?;
            return Ok(Some(Operand::Transformer(Box::new(t))));
        }
        Ok(None)
    }

    // --- values -----------------------------------------------------------------------------

    /// A quoted string at the cursor, un-escaped.
    fn try_quoted(&mut self) -> PResult<Option<Literal>> {
        let Some(len) = self.cur.quoted_len() else {
            return Ok(None);
        };
        let Ok(len) = len else {
            return Err(self.err_here(ParseErrorKind::UnterminatedString));
        };
        let start = self.cur.clone();
        let span = self.take(len);
        let raw = self.src.as_bytes().get(span.range()).unwrap_or_default();
        let quote = raw.first().copied().unwrap_or(b'"');
        let content = raw.get(1..len.saturating_sub(1)).unwrap_or_default();
        match unescape(content, quote) {
            Ok(value) => Ok(Some(Literal {
                span,
                value,
                kind: LitKind::Quoted,
            })),
            Err((e, bad)) => {
                let mut c = start;
                c.advance(1 + bad.start);
                let from = c.pos();
                c.advance(bad.len());
                Err(self.err_at(ParseErrorKind::Escape(e), Span::new(from, c.pos())))
            }
        }
    }

    /// A hex or decimal number token.
    fn try_number(&mut self) -> Option<Literal> {
        let n = match self.cur.len_hex() {
            0 => self.cur.len_number(),
            n => n,
        };
        if n == 0 {
            return None;
        }
        let span = self.take(n);
        Some(Literal {
            span,
            value: self.text(span).as_bytes().to_vec(),
            kind: LitKind::Number,
        })
    }

    /// A quoted or bare string.
    fn try_value(&mut self) -> PResult<Option<Literal>> {
        if let Some(lit) = self.try_quoted()? {
            return Ok(Some(lit));
        }
        let n = self.cur.len_bare();
        if n == 0 {
            return Ok(None);
        }
        let span = self.take(n);
        Ok(Some(Literal {
            span,
            value: self.text(span).as_bytes().to_vec(),
            kind: LitKind::Bare,
        }))
    }

    /// `( v, … )` after its `(`; `()` is allowed, a trailing comma is not.
    fn parse_value_list(&mut self, start: super::ast::Position) -> PResult<ValueList> {
        self.cur.blanks();
        let mut values = Vec::new();
        if let Some(v) = self.try_value()? {
            values.push(v);
            self.cur.blanks();
            while self.eat(",") {
                self.cur.blanks();
                match self.try_value()? {
                    Some(v) => values.push(v),
                    None => return Err(self.err_here(ParseErrorKind::ExpectedString)),
                }
                self.cur.blanks();
            }
        }
        if !self.eat(")") {
            return Err(self.err_here(ParseErrorKind::ExpectedCloseParen));
        }
        Ok(ValueList {
            span: Span::new(start, self.cur.pos()),
            values,
        })
    }

    // --- conditions ---------------------------------------------------------------------------

    fn parse_condition(&mut self, lhs: Operand) -> PResult<Expr> {
        self.cur.blanks();
        let op_start = self.cur.pos();
        let Some(kind) = self.eat_operator() else {
            return Err(self.err_token(ParseErrorKind::ExpectedOperator));
        };
        let op_span = Span::new(op_start, self.last.end);
        let mut op = Operator {
            span: op_span,
            kind,
            modifier: None,
        };
        let rhs = match kind {
            OpKind::Exists => None,
            OpKind::Le | OpKind::Lt | OpKind::Ge | OpKind::Gt => Some(self.parse_num_rhs()?),
            OpKind::In | OpKind::Intersects | OpKind::PMatch => Some(self.parse_list_rhs()?),
            _ => {
                let (m, rhs) = self.parse_str_rhs(kind)?;
                if let Some((m, end)) = m {
                    op.modifier = Some(m);
                    op.span.end = end;
                }
                Some(rhs)
            }
        };
        let start = lhs.span().start;
        let end = rhs.as_ref().map_or(op.span.end, |r| r.span().end);
        Ok(Expr::Check(Box::new(Check {
            span: Span::new(start, end),
            lhs,
            op,
            rhs,
        })))
    }

    /// Operators are matched as literal prefixes in libsinsp's order. Word operators need a
    /// blank after them; `exists`, the symbols and the list operators do not (quirks Q1, Q2).
    fn eat_operator(&mut self) -> Option<OpKind> {
        const NO_BLANK: [OpKind; 8] = [
            OpKind::Exists,
            OpKind::Le,
            OpKind::Lt,
            OpKind::Ge,
            OpKind::Gt,
            OpKind::EqEq,
            OpKind::Eq,
            OpKind::Ne,
        ];
        const WORDS: [OpKind; 9] = [
            OpKind::Glob,
            OpKind::IGlob,
            OpKind::Contains,
            OpKind::IContains,
            OpKind::BContains,
            OpKind::StartsWith,
            OpKind::BStartsWith,
            OpKind::EndsWith,
            OpKind::Regex,
        ];
        const LISTS: [OpKind; 3] = [OpKind::Intersects, OpKind::In, OpKind::PMatch];
        if let Some(k) = NO_BLANK
            .into_iter()
            .find(|k| self.cur.starts_with(k.as_str()))
        {
            self.take(k.as_str().len());
            return Some(k);
        }
        // libsinsp leaves its cursor after a word operator that lacks its blank, so that
        // `x containsin (a)` reads as `x in (a)`; we do not, and report the operator error.
        if let Some(k) = WORDS.into_iter().find(|k| {
            let w = k.as_str();
            self.cur.starts_with(w) && self.cur.peek_at(w.len()).is_some_and(is_blank)
        }) {
            self.take(k.as_str().len());
            self.cur.blanks();
            return Some(k);
        }
        let k = LISTS
            .into_iter()
            .find(|k| self.cur.starts_with(k.as_str()))?;
        self.take(k.as_str().len());
        Some(k)
    }

    fn parse_num_rhs(&mut self) -> PResult<Rhs> {
        self.cur.blanks();
        if let Some(o) = self.try_rhs_operand()? {
            return Ok(Rhs::Operand(o));
        }
        match self.try_number() {
            Some(lit) => Ok(Rhs::Value(lit)),
            None => Err(self.err_here(ParseErrorKind::ExpectedNumber)),
        }
    }

    /// The right side of a string operator, with an optional modifier: only
    /// `op␣modifier␣(…)` or `op␣modifier␣identifier` (not `and`/`or`/`not`) make one; any other
    /// use of the word is a plain value.
    #[allow(clippy::type_complexity)]
    fn parse_str_rhs(
        &mut self,
        kind: OpKind,
    ) -> PResult<(Option<(Modifier, super::ast::Position)>, Rhs)> {
        let word_op = !matches!(kind, OpKind::EqEq | OpKind::Eq | OpKind::Ne);
        if word_op || self.cur.peek().is_some_and(is_blank) {
            let save = (self.cur.clone(), self.last);
            self.cur.blanks();
            if let Some(m) = self.eat_modifier() {
                let m_end = self.last.end;
                self.cur.blanks();
                let start = self.cur.pos();
                if self.eat("(") {
                    let list = self.parse_value_list(start)?;
                    return Ok((Some((m, m_end)), Rhs::List(list)));
                }
                let n = self.cur.len_identifier();
                let word = self.cur.rest().get(..n).unwrap_or_default();
                if n > 0 && !matches!(word, b"and" | b"or" | b"not") {
                    let span = self.take(n);
                    let lit = Literal {
                        span,
                        value: word.to_vec(),
                        kind: LitKind::Bare,
                    };
                    return Ok((Some((m, m_end)), Rhs::Value(lit)));
                }
            }
            (self.cur, self.last) = save;
        }
        self.cur.blanks();
        if let Some(o) = self.try_rhs_operand()? {
            return Ok((None, Rhs::Operand(o)));
        }
        match self.try_value()? {
            Some(lit) => Ok((None, Rhs::Value(lit))),
            None => Err(self.err_here(ParseErrorKind::ExpectedStringOrTransformer)),
        }
    }

    /// `oneof`, `anyof` or `allof` followed by a blank (case sensitive).
    fn eat_modifier(&mut self) -> Option<Modifier> {
        let m = [Modifier::OneOf, Modifier::AnyOf, Modifier::AllOf]
            .into_iter()
            .find(|m| {
                self.cur.starts_with(m.as_str()) && self.cur.peek_at(5).is_some_and(is_blank)
            })?;
        self.take(5);
        Some(m)
    }

    fn parse_list_rhs(&mut self) -> PResult<Rhs> {
        self.cur.blanks();
        let start = self.cur.pos();
        if self.eat("(") {
            return Ok(Rhs::List(self.parse_value_list(start)?));
        }
        if let Some(o) = self.try_rhs_operand()? {
            return Ok(Rhs::Operand(o));
        }
        // An identifier becomes one literal value (quirk Q2: `proc.name inx` is `in x`).
        let n = self.cur.len_identifier();
        if n > 0 {
            let span = self.take(n);
            return Ok(Rhs::Value(Literal {
                span,
                value: self.text(span).as_bytes().to_vec(),
                kind: LitKind::Bare,
            }));
        }
        Err(self.err_here(ParseErrorKind::ExpectedListOrTransformer))
    }
}

/// Builds an n-ary node when there is more than one operand.
fn join(first: Expr, mut rest: Vec<Expr>, make: fn(ExprList) -> Expr) -> Expr {
    if rest.is_empty() {
        return first;
    }
    let start = first.span().start;
    let end = rest.last().map_or(first.span().end, |e| e.span().end);
    rest.insert(0, first);
    make(ExprList {
        span: Span::new(start, end),
        children: rest,
    })
}
