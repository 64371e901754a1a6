//! Compiler behaviour: suggestions, event-type sets, macros and lists, limits, type rules.

use super::fake::{event, Catalog, Ev, FakeField};
use crate::filter::{
    compile, parse, CompileError, CompileErrorKind, EventTypeSet, Filter, Macros, Parser, Scratch,
};

fn build(src: &str) -> Result<Filter<FakeField>, CompileError> {
    compile(&parse(src).unwrap(), &Catalog, &Macros::new())
}

fn build_with(src: &str, m: &Macros) -> Result<Filter<FakeField>, CompileError> {
    compile(&parse(src).unwrap(), &Catalog, m)
}

fn cerr(src: &str) -> CompileError {
    build(src).expect_err(src)
}

#[test]
fn filter_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Filter<FakeField>>();
    check::<crate::filter::Extractor<FakeField>>();
    check::<crate::filter::Ast>();
}

#[test]
fn did_you_mean() {
    let e = cerr("proc.nme = bash");
    assert_eq!(e.kind(), CompileErrorKind::UnknownField);
    assert_eq!(e.message(), "unknown field 'proc.nme'");
    assert_eq!(e.help(), Some("did you mean 'proc.name'?"));
    assert_eq!(
        e.to_string(),
        "filter error at index 0, line 1, column 1: unknown field 'proc.nme'\n    \
         proc.nme = bash\n    ^^^^^^^^\nhelp: did you mean 'proc.name'?"
    );
    let e = cerr("evt.type = open and fd.nmae[3] exists");
    assert_eq!(e.help(), Some("did you mean 'fd.name'?"));
    assert_eq!(e.span().start.column, 21);
    let e = cerr("zzz.qqq exists");
    assert_eq!(e.help(), None);
}

#[test]
fn catalog_argument_errors() {
    let e = cerr("proc.aname = bash");
    assert!(
        e.message()
            .contains("requires an argument but none provided"),
        "{e}"
    );
    let e = cerr("proc.name[1] = bash");
    assert!(
        e.message()
            .contains("does not allow nor require an argument"),
        "{e}"
    );
}

fn set(codes: &[u16]) -> EventTypeSet {
    codes.iter().copied().collect()
}

#[test]
fn event_type_sets() {
    let open = set(&[10, 11, 12, 13]);
    let openat = set(&[14, 15]);
    let mut open_or_openat = open.clone();
    open_or_openat.union_with(&openat);
    let types = |s: &str| build(s).unwrap().event_types().cloned();
    assert_eq!(types("evt.type = open"), Some(open.clone()));
    assert_eq!(types("evt.type == open"), Some(open.clone()));
    assert_eq!(
        types("evt.type in (open, openat)"),
        Some(open_or_openat.clone())
    );
    assert_eq!(
        types("evt.type intersects (open, openat)"),
        Some(open_or_openat.clone())
    );
    assert_eq!(
        types("evt.type = anyof (open, openat)"),
        Some(open_or_openat.clone())
    );
    assert_eq!(
        types("evt.type = open or evt.type = openat"),
        Some(open_or_openat.clone())
    );
    assert_eq!(
        types("evt.type = open and proc.name = bash"),
        Some(open.clone())
    );
    assert_eq!(
        types("proc.name = bash and (evt.type = open or evt.type = openat)"),
        Some(open_or_openat.clone())
    );
    assert_eq!(types("evt.type = open or proc.name = bash"), None);
    assert_eq!(types("proc.name = bash"), None);
    assert_eq!(types("not proc.name = bash"), None);
    assert_eq!(types("not evt.type = open"), Some(open.complement()));
    assert_eq!(types("evt.type != open"), Some(open.complement()));
    assert_eq!(types("not evt.type != open"), Some(open.clone()));
    assert_eq!(types("not not evt.type = open"), Some(open.clone()));
    assert_eq!(
        types("evt.type != allof (open, openat)"),
        Some(open_or_openat.complement())
    );
    assert_eq!(
        types("not (evt.type = open or evt.type = openat)"),
        Some(open_or_openat.complement())
    );
    assert_eq!(types("not (evt.type = open and proc.name = x)"), None);
    assert_eq!(
        types("evt.type = open and evt.type = openat"),
        Some(EventTypeSet::empty())
    );
    assert_eq!(types("evt.type exists"), None);
    assert_eq!(types("not evt.type exists"), Some(EventTypeSet::empty()));
    // Operators other than =, ==, !=, in, intersects say nothing about event types.
    assert_eq!(types("evt.type startswith open"), None);
    assert_eq!(types("evt.type = oneof (open, openat)"), None);
    assert_eq!(types("toupper(evt.type) = OPEN"), None);
    assert_eq!(types("evt.type = val(proc.name)"), None);
    // Codes beyond the bitset are tracked as one block, so complements stay exact.
    let f = build("not evt.type = high").unwrap();
    assert!(!f.may_match_event(2000));
    assert!(f.may_match_event(10));
    let f = build("evt.type = high").unwrap();
    assert!(f.may_match_event(3000));
    assert!(!f.may_match_event(10));
    assert!(build("proc.name = x").unwrap().may_match_event(7));
}

#[test]
fn unknown_event_type() {
    let e = cerr("evt.type in (open, opn)");
    assert_eq!(e.kind(), CompileErrorKind::UnknownEventType);
    assert_eq!(e.message(), "unknown event type opn");
    assert_eq!(e.span().start.column, 20);
    // Only equality-like operators name events.
    assert!(build("evt.type startswith op").is_ok());
}

fn macros() -> Macros {
    let mut m = Macros::new();
    m.insert_macro("spawned", parse("evt.type = execve").unwrap());
    m.insert_macro("is_shell", parse("proc.name in (shell_binaries)").unwrap());
    m.insert_macro("shell_spawn", parse("spawned and is_shell").unwrap());
    m.insert_macro("bad", parse("proc.name = x and fd.nme = y").unwrap());
    m.insert_macro("uses_bad", parse("evt.type = open and bad").unwrap());
    m.insert_macro("loop_a", parse("loop_b").unwrap());
    m.insert_macro("loop_b", parse("proc.name = x or loop_a").unwrap());
    m.insert_macro("warns", parse("proc.name = proc.pname").unwrap());
    m.insert_list(
        "shell_binaries",
        vec!["bash".into(), "sh".into(), "more_shells".into()],
    );
    m.insert_list(
        "more_shells",
        vec!["zsh".into(), "'fish shell'".into(), "".into()],
    );
    m.insert_list("self_a", vec!["self_b".into()]);
    m.insert_list("self_b", vec!["x".into(), "self_a".into()]);
    m
}

#[test]
fn macros_expand_on_the_tree() {
    let m = macros();
    let f = build_with("shell_spawn and not proc.name = dash", &m).unwrap();
    assert_eq!(f.event_types(), Some(&set(&[30, 31])));
    let run = |f: &Filter<FakeField>, name: &'static str| {
        let mut e = super::fake::Event::new(&[
            ("evt.type", &[super::fake::V::S("execve")]),
            ("proc.name", &[super::fake::V::S(name)]),
        ]);
        f.eval(&mut e, &mut Scratch::new())
    };
    assert!(run(&f, "bash"));
    assert!(run(&f, "zsh"));
    assert!(run(&f, "fish shell"));
    assert!(!run(&f, "dash"));
    assert!(!run(&f, "more_shells"));
}

#[test]
fn macro_errors() {
    let m = macros();
    let e = build_with("spawned and nosuch", &m).unwrap_err();
    assert_eq!(e.kind(), CompileErrorKind::UndefinedMacro);
    assert_eq!(e.message(), "undefined macro 'nosuch'");
    assert_eq!(e.span().start.column, 13);

    let e = build_with("loop_a", &m).unwrap_err();
    assert_eq!(e.kind(), CompileErrorKind::ReferenceLoop);
    assert_eq!(e.message(), "reference loop in macro 'loop_a'");

    // An error inside a macro points into the macro's text and names the macro chain.
    let e = build_with("proc.name = a or uses_bad", &m).unwrap_err();
    assert_eq!(e.source(), "proc.name = x and fd.nme = y");
    assert_eq!(e.macros(), ["bad", "uses_bad"]);
    assert_eq!(
        e.to_string(),
        "filter error at index 18, line 1, column 19: unknown field 'fd.nme'\n    \
         proc.name = x and fd.nme = y\n                      ^^^^^^\n\
         help: did you mean 'fd.name'?\nnote: in macro 'bad'\nnote: used by macro 'uses_bad'"
    );

    let f = build_with("warns", &m).unwrap();
    assert_eq!(f.warnings().len(), 1);
    assert_eq!(f.warnings()[0].macro_name.as_deref(), Some("warns"));
    assert_eq!(
        f.warnings()[0].message,
        "'proc.pname' may be a valid field misused as a const string value"
    );
}

#[test]
fn lists_expand_only_as_bare_values_in_parentheses() {
    let m = macros();
    let s229 = |src: &str| {
        let f = build_with(src, &m).unwrap();
        f.eval(&mut event(Ev::S229), &mut Scratch::new())
    };
    let mut l = Macros::new();
    l.insert_list("tools", vec!["wget".into(), "curl".into()]);
    let with_tools = |src: &str| {
        let f = build_with(src, &l).unwrap();
        f.eval(&mut event(Ev::S229), &mut Scratch::new())
    };
    assert!(with_tools("proc.name in (tools)"));
    assert!(with_tools("proc.name in (ls, tools, ps)"));
    assert!(with_tools("proc.name startswith anyof (tools)"));
    assert!(!with_tools("proc.name in ('tools')"));
    assert!(!with_tools("proc.name in tools"));
    assert!(!with_tools("proc.name = tools"));
    assert!(!s229("proc.name in (shell_binaries)"));
    let e = build_with("proc.name in (self_a)", &m).unwrap_err();
    assert_eq!(e.kind(), CompileErrorKind::ReferenceLoop);
}

#[test]
fn deep_macro_chains_are_an_error_not_a_stack_overflow() {
    let mut m = Macros::new();
    for i in 0..2000 {
        m.insert_macro(
            format!("m{i}"),
            parse(&format!("(((m{})))", i + 1)).unwrap(),
        );
    }
    m.insert_macro("m2000", parse("proc.name = x").unwrap());
    let t = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || build_with("m0", &m).map(|_| ()).map_err(|e| e.kind()))
        .unwrap();
    assert_eq!(t.join().unwrap(), Err(CompileErrorKind::NestLimitExceeded));
}

#[test]
fn deepest_parse_compiles_and_evaluates() {
    let src = format!("{}proc.name = curl{}", "not(".repeat(100), ")".repeat(100));
    let ast = Parser::new().parse(&src).unwrap();
    let f = compile(&ast, &Catalog, &Macros::new()).unwrap();
    assert!(f.eval(&mut event(Ev::S229), &mut Scratch::new()));
}

#[test]
fn type_rules() {
    let msg = |s: &str| cerr(s).message().to_owned();
    assert_eq!(
        msg("evt.is_io contains x"),
        "'contains' operator not supported for boolean filters"
    );
    assert_eq!(
        msg("ec2.imageids[0] = ami-1"),
        "'=' operator not supported for list filters"
    );
    assert!(build("ec2.imageids[0] in (ami-1)").is_ok());
    assert_eq!(msg("fd.sip = 1.2.3"), "unrecognized IPv4 address 1.2.3");
    assert_eq!(msg("fd.sip = ::zz"), "unrecognized IPv6 address ::zz");
    assert_eq!(msg("fd.net = 10.0.0.0"), "unrecognized IP network 10.0.0.0");
    assert_eq!(msg("fd.net = 10.0.0.0/33"), "invalid netmask 33");
    assert_eq!(msg("fd.sport = gopherz"), "unrecognized protocol gopherz");
    assert_eq!(msg("evt.latency = 5s"), "5s is not a valid number");
    assert!(msg("proc.name regex '('").starts_with("invalid regex pattern: "));
    assert_eq!(msg("len(proc.pid) = 1"), "can't add field transformer: type 'INT64' is not supported by 'len' transformer applied on field 'proc.pid'");
    assert_eq!(msg("tolower(evt.buffer) = x"), "can't add field transformer: type 'BYTEBUF' is not supported by 'tolower' transformer applied on field 'evt.buffer'");
    assert_eq!(msg("proc.name = val(fd.ip)"), "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'fd.ip' has incompatible type 'IPADDR'");
    assert_eq!(
        msg("fd.ip = val(fd.sip)"),
        "field 'fd.ip' does not support right-hand side field comparisons"
    );
    assert_eq!(
        msg("fd.name pmatch val(proc.name)"),
        "operator 'pmatch' doesn't support right-hand side fields"
    );
    assert_eq!(
        msg("concat(fd.name) = x"),
        "concat() requires at least 2 arguments"
    );
    assert_eq!(
        msg("concat(fd.name, fd.num) = x"),
        "concat() arguments must be strings"
    );
    assert_eq!(
        msg("join(\"-\", fd.name) = x"),
        "join() second argument must be a list"
    );
    assert_eq!(
        msg("getopt(proc.name, \"a\") = x"),
        "getopt() first argument must be a list"
    );
    assert_eq!(
        msg("getopt(proc.args, \"a\")[ab] = x"),
        "getopt() field argument must be a single option character"
    );
    assert_eq!(
        msg("getopt(proc.args, \"a\") = x"),
        "'=' operator not supported for list filters"
    );
    assert!(build("getopt(proc.args, \"a\")[a] = x").is_ok());
    assert!(
        build("proc.name = val(fd.name)").is_ok(),
        "CHARBUF against FSPATH is text"
    );
    assert!(build("proc.name in val(proc.args)").is_ok());
    assert!(
        build("evt.buffer = \"a\\x00b\"").is_ok(),
        "NUL is fine in a buffer"
    );
    assert!(build("fd.sport = http").is_ok());
    assert!(build("len(proc.args) > 2").is_ok());
}

#[test]
fn warnings() {
    let w = |s: &str| -> Vec<String> {
        build(s)
            .unwrap()
            .warnings()
            .iter()
            .map(|w| w.message.clone())
            .collect()
    };
    assert_eq!(
        w("proc.name = 'toupper(proc.name)'"),
        ["'toupper(proc.name)' may be a valid field transformer misused as a const string value"]
    );
    assert_eq!(w("proc.name in (a, proc.aname[2])").len(), 1);
    assert_eq!(w("proc.name = proc.nope").len(), 0);
    assert_eq!(w("proc.name regex '.*bash'").len(), 1);
    assert_eq!(w("proc.name regex 'ba(sh|zh)'").len(), 0);
}

#[test]
fn each_field_is_extracted_once_per_event() {
    let f = build(
        "proc.name = a or proc.name = b or proc.name startswith c or tolower(proc.name) = curl",
    )
    .unwrap();
    assert_eq!(f.fields().len(), 1);
    let mut e = event(Ev::S229);
    let mut sc = Scratch::new();
    assert!(f.eval(&mut e, &mut sc));
    assert_eq!(e.calls, 1);
    // Short-circuit: the second operand is never extracted.
    let f = build("proc.name = curl or fd.num = 3").unwrap();
    let mut e = event(Ev::S229);
    assert!(f.eval(&mut e, &mut sc));
    assert_eq!(e.calls, 1);
}
