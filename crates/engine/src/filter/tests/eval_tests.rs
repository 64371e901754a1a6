//! Evaluation semantics: absent values, multi-valued fields, lists, transformers, globs, paths.

use super::fake::{event, Catalog, Ev, Event, V};
use crate::filter::glob::glob_match;
use crate::filter::{compile, parse, Macros, Scratch};

fn eval_on(src: &str, e: &mut Event) -> bool {
    let f =
        compile(&parse(src).unwrap(), &Catalog, &Macros::new()).unwrap_or_else(|e| panic!("{e}"));
    f.eval(e, &mut Scratch::new())
}

fn on(ev: Ev, src: &str) -> bool {
    eval_on(src, &mut event(ev))
}

fn with(fields: &[(&str, &[V])], src: &str) -> bool {
    eval_on(src, &mut Event::new(fields))
}

#[test]
fn absent_values_fail_every_comparison() {
    for src in [
        "fd.sip = 1.2.3.4",
        "fd.sip != 1.2.3.4",
        "fd.sip in (1.2.3.4)",
        "fd.sip != allof (1.2.3.4)",
        "proc.pname != bash",
        "evt.cpu > 0",
        "proc.name != val(proc.pname)",
    ] {
        assert!(!on(Ev::E7, src), "{src}");
    }
    assert!(on(Ev::E7, "not fd.sip exists"));
    assert!(on(Ev::E7, "not proc.pname != bash"));
}

#[test]
fn multi_valued_scalar_fields() {
    // fd.ip yields client and server: any may match, `!=` needs all to differ.
    assert!(on(Ev::E4, "fd.ip = 142.251.111.147"));
    assert!(on(Ev::E4, "fd.ip = 172.40.111.222"));
    assert!(!on(Ev::E4, "fd.ip != 142.251.111.147"));
    assert!(on(Ev::E4, "fd.ip != 1.1.1.1"));
    assert!(on(Ev::E4, "fd.ip in (9.9.9.9, 142.251.111.147)"));
    assert!(on(Ev::E4, "fd.net = 172.40.0.0/16"));
    assert!(on(Ev::E4, "fd.net in (10.0.0.0/8, 172.32.0.0/11)"));
    assert!(!on(Ev::E4, "fd.net in (10.0.0.0/8, ::1/128)"));
    assert!(on(
        Ev::E4,
        "fd.sport = 443 and fd.sport in (80, 443) and fd.sport > 100"
    ));
    assert!(!on(Ev::E4, "fd.sport = http"));
}

#[test]
fn list_fields() {
    let args: &[V] = &[V::S("-la"), V::S("/tmp")];
    let ev: &[(&str, &[V])] = &[("proc.args", args), ("proc.name", &[V::S("/tmp")])];
    assert!(with(ev, "proc.args intersects (/tmp, /var)"));
    assert!(
        !with(ev, "proc.args in (/tmp, /var)"),
        "in: every element must be in the set"
    );
    assert!(with(ev, "proc.args in (/tmp, -la, x)"));
    assert!(with(ev, "len(proc.args) = 2"));
    assert!(with(ev, "join(\" \", proc.args) = \"-la /tmp\""));
    assert!(with(ev, "toupper(proc.args) intersects (-LA)"));
    assert!(with(ev, "proc.args exists"));
    // Zero elements is absent.
    assert!(!with(&[("proc.args", &[])], "proc.args exists"));
    assert!(!with(&[("proc.args", &[])], "len(proc.args) = 0"));
    assert!(with(
        ev,
        "proc.name in val(proc.args) and proc.name intersects val(proc.args)"
    ));
    assert!(!with(ev, "proc.args in val(proc.name)"));
    assert!(with(ev, "proc.args intersects val(proc.name)"));
}

#[test]
fn c_string_semantics() {
    let v: &[(&str, &[V])] = &[
        ("proc.name", &[V::S("abc\0def")]),
        ("evt.buffer", &[V::B(b"a\0b")]),
    ];
    assert!(with(v, "proc.name = abc"));
    assert!(with(v, "len(proc.name) = 3"));
    assert!(with(v, "proc.name in (abc)"));
    assert!(!with(v, "proc.name contains def"));
    assert!(with(v, "evt.buffer = \"a\\x00b\""));
    assert!(with(v, "evt.buffer bcontains 0062"));
    assert!(with(v, "len(evt.buffer) = 3"));
}

#[test]
fn strings() {
    assert!(on(Ev::S229, "proc.name > 1 and proc.name < val(proc.cmdline) and proc.name <= val(proc.name) and not proc.name < 5"));
    assert!(on(
        Ev::S229,
        "proc.name icontains URL and proc.name iglob C*L"
    ));
    assert!(!on(Ev::S229, "proc.name glob C*L"));
    assert!(on(
        Ev::S229,
        "proc.name endswith rl and proc.name startswith cu"
    ));
    assert!(on(Ev::S229, "proc.cmdline regex 'curl -6 .*'"));
    assert!(on(Ev::S229, "proc.name = val(proc.aname[0])"));
    assert!(on(Ev::S229, "proc.name != val(proc.pname)"));
    assert!(on(Ev::S229, "proc.cmdline contains val(proc.name)"));
    assert!(on(Ev::S229, "proc.cmdline startswith val(proc.name)"));
    assert!(on(Ev::S229, "toupper(proc.name) icontains val(proc.name)"));
    assert!(on(
        Ev::S229,
        "not proc.pname glob toupper(proc.pname) and proc.pname iglob toupper(proc.pname)"
    ));
    // Regexes see invalid UTF-8 as U+FFFD.
    assert!(with(
        &[("proc.name", &[V::B(b"a\xffb")])],
        "proc.name regex 'a.b'"
    ));
}

#[test]
fn numbers() {
    assert!(on(
        Ev::S229,
        "proc.pid = 17497 and proc.pid in (1, 017497) and proc.pid >= 17497"
    ));
    assert!(
        on(Ev::S229, "proc.pid = ' 17497'"),
        "leading blanks tolerated, as %d"
    );
    assert!(on(Ev::E6, "evt.rawarg.res < 0 and evt.rawarg.res = -22"));
    // Unsigned fields wrap negative literals.
    assert!(with(&[("c.true", &[V::U(u64::MAX)])], "c.true = -1"));
    assert!(with(
        &[("thread.cpu", &[V::D(2.0)])],
        "thread.cpu = 2 and thread.cpu in (2) and thread.cpu > 1"
    ));
    assert!(!with(&[("thread.cpu", &[V::D(2.5)])], "thread.cpu in (2)"));
    assert!(on(
        Ev::S229,
        "evt.failed = false and evt.failed in (false) and evt.failed != true"
    ));
    assert!(on(Ev::S229, "len(proc.name) = 4 and len(proc.name) < 5"));
}

#[test]
fn transformers() {
    assert!(on(Ev::E2, "tolower(toupper(fd.name)) = val(fd.name)"));
    assert!(on(Ev::E2, "basename(fd.directory) = tmp"));
    assert!(with(
        &[("fd.name", &[V::S("/")])],
        "basename(fd.name) = \"\""
    ));
    assert!(with(
        &[("fd.name", &[V::S("/hello/")])],
        "basename(fd.name) = \"\""
    ));
    assert!(with(
        &[("fd.name", &[V::S("hello")])],
        "basename(fd.name) = hello"
    ));
    assert!(on(
        Ev::E2,
        "concat(\"<\", fd.name, \">\") = \"</tmp/file_to_run>\""
    ));
    assert!(
        !on(Ev::E2, "concat(fd.name, proc.name) exists"),
        "absent argument"
    );
    assert!(on(Ev::E2, "len(join(\"\", (fd.name, fd.directory))) = 20"));
    assert!(on(Ev::E2, "join(\"\", (\"a\", 12, 0x1F)) = a120x1F"));
    // b64 decode; invalid input is absent.
    let b = |s: &'static str, src: &str| with(&[("proc.name", &[V::S(s)])], src);
    assert!(b("aGVsbG8=", "b64(proc.name) = hello"));
    assert!(b("aGVsbG8", "b64(proc.name) = hello"));
    assert!(b("aGk=", "b64(proc.name) = hi"));
    assert!(!b("aGVsbG8*", "b64(proc.name) exists"));
    assert!(!b("a", "b64(proc.name) exists"));
    assert!(!b("aG=Vs", "b64(proc.name) exists"));
    assert!(b("", "b64(proc.name) = \"\""));
}

#[test]
fn getopt() {
    let args: &[V] = &[
        V::S("-abfoo"),
        V::S("-c"),
        V::S("bar"),
        V::S("--long"),
        V::S("-x"),
        V::S("-c"),
        V::S("baz"),
        V::S("file"),
        V::S("-a"),
    ];
    let ev: &[(&str, &[V])] = &[("proc.args", args)];
    let g = |src: &str| with(ev, src);
    // a: flag, b: takes a value (rest of token), c: takes the next token; x unknown.
    assert!(g("len(getopt(proc.args, \"ab:c:\")) = 8"));
    assert!(g(
        "join(\",\", getopt(proc.args, \"ab:c:\")) = \"a,b,foo,c,bar,?,c,baz\""
    ));
    assert!(
        g("getopt(proc.args, \"ab:c:\")[c] = baz"),
        "the last -c wins"
    );
    assert!(g("getopt(proc.args, \"ab:c:\")[b] = foo"));
    assert!(g("getopt(proc.args, \"ab:c:\")[a] = a"));
    assert!(!g("getopt(proc.args, \"ab:c:\")[z] exists"));
    assert!(g(
        "getopt((\"-n\", \"file\", \"-t\", \"x\"), \"nt:\")[n] = n"
    ));
    assert!(
        !g("getopt((\"-n\", \"file\", \"-t\", \"x\"), \"nt:\")[t] exists"),
        "stops at a non-option"
    );
    assert!(g("getopt((\"-t\"), \"t:\")[t] = \"\""));
}

#[test]
fn glob() {
    let m = |p: &str, t: &str| glob_match(p.as_bytes(), t.as_bytes(), false);
    assert!(m("*", ""));
    assert!(m("*", "/a/.b"));
    assert!(m("a*b*c", "aXXbYYc"));
    assert!(!m("a*b*c", "aXXbYY"));
    assert!(m("*.so.?", "/usr/lib/libc.so.6"));
    assert!(m("[abc]x", "bx"));
    assert!(!m("[!abc]x", "bx"));
    assert!(m("[^abc]x", "dx"));
    assert!(m("[]]", "]"));
    assert!(m("[!]]", "a"));
    assert!(m("[a-c]", "b"));
    assert!(m("[a-]", "-"));
    assert!(m("[[:digit:]][[:alpha:]]", "1z"));
    assert!(m("\\*", "*"));
    assert!(!m("\\*", "x"));
    assert!(!m("ab\\", "ab\\"), "a trailing backslash never matches");
    assert!(m("[ab", "[ab"), "an unclosed class is literal");
    assert!(m("**a", "a"));
    assert!(m("?", "/"));
    assert!(!m("?", ""));
    assert!(glob_match(b"C[U]*", b"curl", true));
    assert!(glob_match(b"[A-C]url", b"curl", true));
    assert!(!glob_match(b"C[U]*", b"curl", false));
}

#[test]
fn pmatch() {
    let p = |paths: &str| on(Ev::E3, &format!("fd.name pmatch ({paths})"));
    assert!(p("/opt/dir"));
    assert!(!p("/opt/di"));
    assert!(p("/opt/*"));
    assert!(p("/opt/*/subdir"));
    assert!(p("/opt/di?/subdir"));
    assert!(!p("/opt/*/subdir2"));
    assert!(!p("/opt/*/*/subsubdir"));
    assert!(p("/opt/dir/subdir/file.txt"));
    assert!(!p("/opt/dir/subdir/file.txt/more"));
    assert!(p("/usr, //opt//dir//"));
    assert!(p("/"));
    assert!(!p(""));
    assert!(on(Ev::E3, "fd.name pmatch (/var, /opt)"));
}

#[test]
fn modifiers_with_lists() {
    assert!(on(Ev::S229, "proc.name startswith anyof (wg, cu)"));
    assert!(!on(Ev::S229, "proc.name startswith allof (wg, cu)"));
    assert!(on(Ev::S229, "proc.name != allof (wget, ls)"));
    assert!(!on(Ev::S229, "proc.name != allof (wget, curl)"));
    assert!(on(Ev::S229, "proc.name != anyof (curl, ls)"));
    assert!(on(Ev::S229, "proc.name iglob oneof (C*, x*)"));
    assert!(on(Ev::S229, "proc.pid = anyof (1, 17497)"));
    assert!(!on(Ev::S229, "proc.name endswith allof ()"));
    assert!(!on(Ev::S229, "proc.name = anyof mylist"));
    assert!(with(
        &[("proc.name", &[V::S("mylist")])],
        "proc.name = anyof mylist"
    ));
}

#[test]
fn scratch_is_reused_across_filters_and_events() {
    let a = compile(
        &parse("proc.name = curl").unwrap(),
        &Catalog,
        &Macros::new(),
    )
    .unwrap();
    let b = compile(
        &parse("fd.num = 3 and concat(proc.name, \"!\") = curl!").unwrap(),
        &Catalog,
        &Macros::new(),
    )
    .unwrap();
    let mut sc = Scratch::new();
    for _ in 0..3 {
        assert!(a.eval(&mut event(Ev::S229), &mut sc));
        assert!(b.eval(&mut event(Ev::S229), &mut sc));
        assert!(!a.eval(&mut event(Ev::E7), &mut sc));
        assert!(!b.eval(&mut event(Ev::E2), &mut sc));
    }
}
