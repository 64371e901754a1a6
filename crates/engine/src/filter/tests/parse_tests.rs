//! Parser behaviour beyond the conformance table: positions, carets, limits, printing.

use crate::filter::{
    parse, parse_operand, Ast, EscapeError, Expr, ExprList, Ident, NotExpr, ParseErrorKind, Parser,
    Position, Span,
};

fn err(src: &str) -> crate::filter::ParseError {
    parse(src).expect_err(src)
}

#[test]
fn error_display_points_at_the_column() {
    let e = err("a andb");
    assert_eq!(e.span().start, Position::new(5, 1, 6));
    assert_eq!(
        e.to_string(),
        "filter error at index 5, line 1, column 6: expected blank or '(' after 'and'\n    \
         a andb\n         ^"
    );
}

#[test]
fn unexpected_token_underlines_the_leftover_word() {
    let e = err("a.b = b = 1");
    assert_eq!(
        e.message(),
        "unexpected token after 'b', expecting 'or', 'and'"
    );
    assert_eq!(e.span().start.column, 9);
    assert!(
        e.to_string().ends_with("\n    a.b = b = 1\n            ^"),
        "{e}"
    );
}

#[test]
fn errors_on_later_lines_show_that_line() {
    let src = "proc.name = a and\n  fd.name startswith";
    let e = err(src);
    assert_eq!(e.kind(), &ParseErrorKind::ExpectedOperator);
    assert_eq!(e.span().start.line, 2);
    assert_eq!(e.span().start.column, 11);
    assert!(
        e.to_string()
            .ends_with("\n      fd.name startswith\n              ^^^^^^^^^^"),
        "{e}"
    );
    // CR and LF each start a line, as libsinsp counts.
    let e = err("a and\r\nb c");
    assert_eq!(e.span().start, Position::new(9, 3, 3));
}

#[test]
fn carets_are_aligned_after_wide_characters() {
    let e = err("x.y = éé or a b");
    let shown = e.to_string();
    let mut lines = shown.lines().skip(1);
    let text = lines.next().unwrap();
    let carets = lines.next().unwrap();
    let col = carets.find('^').unwrap();
    assert_eq!(text.chars().nth(col), Some('b'), "{shown}");
}

#[test]
fn control_characters_are_not_echoed() {
    let e = err("a \u{1b}[31m");
    assert!(!e.to_string().contains('\u{1b}'));
}

#[test]
fn empty_input() {
    assert_eq!(err("").kind(), &ParseErrorKind::Empty);
    assert_eq!(err("   ").kind(), &ParseErrorKind::ExpectedCheck);
}

#[test]
fn escape_errors_point_at_the_sequence() {
    let e = err(r#"x.y = "ab\qc""#);
    assert_eq!(
        e.kind(),
        &ParseErrorKind::Escape(EscapeError::Unsupported("q".into()))
    );
    assert_eq!(e.message(), r"unsupported string escape sequence: \q");
    assert_eq!((e.span().start.offset, e.span().end.offset), (9, 11));
    assert_eq!(
        err(r#"x.y = "\x4""#).message(),
        "truncated hex char escape sequence"
    );
    assert_eq!(
        err(r#"x.y = "\xZZ""#).message(),
        "invalid hex char escape sequence: ZZ"
    );
    assert_eq!(
        err(r#"x.y = '\"'"#).message(),
        r#"invalid \" escape in '-quoted string"#
    );
    // A bad escape in the first list element is reported as such.
    assert!(matches!(
        err(r#"x.y in ("\q")"#).kind(),
        ParseErrorKind::Escape(_)
    ));
}

#[test]
fn escapes() {
    let ast = parse(r#"x.y in ("\b\f\n\r\t\\\/", '\x41\x62', "\ x", 'a"b', "a'b")"#).unwrap();
    assert_eq!(
        ast.to_string(),
        r#"x.y in ("\b\f\n\r\t\\/", Ab, "\\x", "a\"b", "a'b")"#
    );
}

#[test]
fn unterminated_string() {
    let e = err("x.y = 'abc");
    assert_eq!(e.kind(), &ParseErrorKind::UnterminatedString);
    assert_eq!(e.span().start.column, 7);
}

#[test]
fn word_operator_without_blank_is_an_operator_error() {
    // libsinsp would read this as `x.y in (a)`; we report it.
    assert_eq!(
        err("x.y containsin (a)").kind(),
        &ParseErrorKind::ExpectedOperator
    );
    assert!(parse("x.y contains\tin").is_ok());
}

#[test]
fn modifiers() {
    let ok = |s: &str, want: &str| assert_eq!(parse(s).unwrap().to_string(), want, "{s}");
    ok(
        "proc.name startswith anyof (/tmp/, /dev/shm/)",
        "proc.name startswith anyof (/tmp/, /dev/shm/)",
    );
    ok("proc.name == oneof mylist", "proc.name == oneof mylist");
    ok("proc.name != allof ()", "proc.name != allof ()");
    ok("proc.name == oneof", "proc.name == oneof");
    ok("proc.name = anyof or x", "(proc.name = anyof or x)");
    assert!(parse("proc.name < anyof (1)").is_err());
}

#[test]
fn transformers_and_val() {
    let ok = |s: &str, want: &str| assert_eq!(parse(s).unwrap().to_string(), want, "{s}");
    ok(
        "len( join( \"-\" , ( a.b , c.d ) ) ) > 3",
        "len(join(-,(a.b,c.d))) > 3",
    );
    ok("x.y = val( a.b[1] )", "x.y = val(a.b[1])");
    ok(
        "getopt(proc.args, \"nt:\")[t] = x",
        "getopt(proc.args,nt:)[t] = x",
    );
    ok("x.y in tolower(a.b)", "x.y in tolower(a.b)");
    ok("x.y < len(a.b)", "x.y < len(a.b)");
    assert_eq!(
        err("b64(x.y [1]) exists").kind(),
        &ParseErrorKind::ExpectedCloseTransformer
    );
    assert_eq!(
        err("b64(b64) exists").kind(),
        &ParseErrorKind::ExpectedTransformerArg
    );
    assert_eq!(
        err("join(\"-\", (a.b) exists").kind(),
        &ParseErrorKind::ExpectedCloseTransformer
    );
    assert_eq!(
        err("join(\"-\", (a.b x)) exists").kind(),
        &ParseErrorKind::ExpectedCloseTransformerList
    );
}

#[test]
fn field_arguments() {
    let ok = |s: &str, want: &str| assert_eq!(parse(s).unwrap().to_string(), want, "{s}");
    ok("x.y[\"a b\"] exists", "x.y[\"a b\"] exists");
    ok("x.y[''] exists", "x.y[\"\"] exists");
    ok("x.y[/a/b] exists", "x.y[/a/b] exists");
    assert_eq!(
        err("x.y[a b] exists").kind(),
        &ParseErrorKind::ExpectedCloseBracket
    );
}

#[test]
fn canonical_form_round_trips_awkward_values() {
    for v in [
        "\"\"",
        "\"a b\"",
        "'it\\'s'",
        r#""a\x5c""#,
        r#""\\x""#,
        "\"x=y\"",
        "\"(,)\"",
        "\"\\xff\\x00z\"",
        "\"tab\\there\"",
        "'\\\\\"'",
    ] {
        let src = format!("x.y = {v}");
        let a = parse(&src).unwrap();
        let printed = a.to_string();
        let b = parse(&printed).unwrap_or_else(|e| panic!("{src} -> {printed}\n{e}"));
        assert_eq!(rhs_value(&a), rhs_value(&b), "{src} -> {printed}");
    }
}

fn rhs_value(a: &Ast) -> Vec<u8> {
    match a.root() {
        Expr::Check(c) => match &c.rhs {
            Some(crate::filter::Rhs::Value(v)) => v.value.clone(),
            _ => panic!("{a}"),
        },
        _ => panic!("{a}"),
    }
}

#[test]
fn nest_limit() {
    let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&nested(100)).is_ok());
    let e = err(&nested(101));
    assert_eq!(e.kind(), &ParseErrorKind::NestLimitExceeded(100));
    assert_eq!(e.message(), "exceeded max depth limit of 100");
    assert_eq!(e.span().start.offset, 100);
    assert!(Parser::new().nest_limit(200).parse(&nested(150)).is_ok());
    assert!(Parser::new().nest_limit(5).parse(&nested(6)).is_err());
}

/// Ten thousand levels of every nesting form fail cleanly, on a small stack.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let inputs = [
        format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}a{}", "not(".repeat(10_000), ")".repeat(10_000)),
        format!(
            "{}x.y{} exists",
            "tolower(".repeat(10_000),
            ")".repeat(10_000)
        ),
        format!(
            "x.y = {}x.y{}",
            "toupper(".repeat(10_000),
            ")".repeat(10_000)
        ),
        format!("{}a", "not ".repeat(100_000)),
        format!("a{}", " and a".repeat(100_000)),
        "(".repeat(1_000_000),
    ];
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            inputs
                .iter()
                .map(|s| parse(s).map(|_| ()).map_err(|e| e.kind().clone()))
                .collect::<Vec<_>>()
        })
        .unwrap();
    let results = t.join().unwrap();
    let limit = Err(ParseErrorKind::NestLimitExceeded(100));
    assert_eq!(results[0], limit);
    assert_eq!(results[1], limit);
    assert_eq!(results[2], limit);
    assert_eq!(results[3], limit);
    assert_eq!(results[4], Ok(()));
    assert_eq!(results[5], Ok(()));
    assert_eq!(results[6], limit);
}

/// Dropping a hand-built tree far deeper than the parser allows does not recurse.
#[test]
fn deep_tree_drops_without_recursion() {
    let t = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let leaf = |i: usize| {
                Expr::Macro(Ident {
                    span: Span::default(),
                    name: format!("m{i}"),
                })
            };
            let mut e = leaf(0);
            for i in 0..200_000 {
                e = if i % 2 == 0 {
                    Expr::Not(Box::new(NotExpr {
                        span: Span::default(),
                        child: e,
                    }))
                } else {
                    Expr::And(ExprList {
                        span: Span::default(),
                        children: vec![leaf(i), e],
                    })
                };
            }
            let ast = Ast::from_parts("", e);
            drop(ast);
        })
        .unwrap();
    t.join().unwrap();
}

#[test]
fn spans() {
    let ast = parse("  proc.name = 'x' and not fd.num > 3").unwrap();
    let Expr::And(l) = ast.root() else { panic!() };
    assert_eq!(l.span.start.offset, 2);
    assert_eq!(l.span.end.offset, 36);
    let Expr::Check(c) = &l.children[0] else {
        panic!()
    };
    assert_eq!(&ast.source()[c.span.range()], "proc.name = 'x'");
    assert_eq!(&ast.source()[c.op.span.range()], "=");
    let Expr::Not(n) = &l.children[1] else {
        panic!()
    };
    assert_eq!(&ast.source()[n.span.range()], "not fd.num > 3");
}

#[test]
fn operand_prefix() {
    let (op, n) = parse_operand("proc.aname[2] and more").unwrap();
    assert_eq!((op.to_string(), n), ("proc.aname[2]".to_owned(), 13));
    let (op, n) = parse_operand("toupper(proc.name)end").unwrap();
    assert_eq!((op.to_string(), n), ("toupper(proc.name)".to_owned(), 18));
    assert!(parse_operand("val(proc.name)").is_err());
}

#[test]
fn keywords_are_case_sensitive_and_positional() {
    assert_eq!(
        parse("a AND b").unwrap_err().message(),
        "unexpected token after 'a', expecting 'or', 'and'"
    );
    assert_eq!(parse("x.y = and").unwrap().to_string(), "x.y = and");
    assert_eq!(parse("not.x exists").unwrap().to_string(), "not.x exists");
    assert_eq!(parse("a or(b)").unwrap().to_string(), "(a or b)");
    assert_eq!(
        parse("a or").unwrap_err().message(),
        "expected blank or '(' after 'or'"
    );
    assert_eq!(
        parse("a and b and").unwrap_err().message(),
        "expected blank or '(' after 'and'"
    );
}

#[test]
fn numbers() {
    let ok = |s: &str, want: &str| assert_eq!(parse(s).unwrap().to_string(), want, "{s}");
    ok("x.y > -1.5e+3", "x.y > -1.5e+3");
    ok("x.y > +7", "x.y > +7");
    ok("x.y > 1.", "x.y > 1.");
    assert!(parse("x.y > 1e5").is_err());
    assert!(parse("x.y > .5").is_err());
}
