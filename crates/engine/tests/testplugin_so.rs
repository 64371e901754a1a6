//! The plugin host against `scapkit_test` (crates/plugins/testplugin), the plugin that uses every
//! capability and field type. Each check is written once and run twice: on the plugin linked
//! statically (`testplugin::SCAPKIT_PLUGIN_TEST`) and on `libtestplugin.so` through dlopen.
//!
//! The `.so` is built by a separate cargo invocation with its own target dir: the engine's
//! dev-dependency enables the plugin's `static` feature, and a cdylib built with it has no
//! `plugin_*` exports.
// The shared test bodies are plain functions (run by `both!`), which clippy does not see as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use engine::plugin::event::{self, Header, PluginEvent, PLUGIN_PAYLOAD_OFFSET};
use engine::plugin::{
    ArgSpec, ErrorKind, ExtractedValue, FieldType, InitSchema, MapThreadTable, Merged, MetricValue,
    NextEvent, Plugin, PluginManager, Rc, StateType, StateValue, Tables, ThreadTable,
};
use serde_json::json;

const NAME: &str = "scapkit_test";
const ID: u32 = 999;
/// Timestamp of event 0; event `n` is `n` ms later.
const BASE_TS: u64 = 1_700_000_000_000_000_000;

/// Builds `libtestplugin.so` once per test binary (cargo makes it a no-op when fresh).
fn so_path() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-so");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "-q", "-p", "scapkit-plugin-test", "--target-dir"])
            .arg(&dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "building libtestplugin.so failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let so = dir.join("debug").join("libtestplugin.so");
        assert!(so.is_file(), "{} missing", so.display());
        so
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Static,
    Dynamic,
}

fn load(kind: Kind) -> Plugin {
    match kind {
        Kind::Static => Plugin::from_static(&testplugin::SCAPKIT_PLUGIN_TEST).unwrap(),
        Kind::Dynamic => Plugin::load(so_path()).unwrap(),
    }
}

fn ready(kind: Kind) -> Plugin {
    let mut p = load(kind);
    p.init(json!({})).unwrap();
    p
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod static_plugin {
            $(#[test] fn $name() { super::$name(super::Kind::Static) })*
        }
        mod dynamic_plugin {
            $(#[test] fn $name() { super::$name(super::Kind::Dynamic) })*
        }
    };
}

both!(
    identity_and_capabilities,
    field_list,
    init_config,
    set_config,
    open_params,
    open_errors,
    next_event_five,
    next_event_small_counts,
    event_to_string,
    every_field_type,
    field_arguments,
    foreign_events_have_no_values,
    parse_counter_and_metrics,
    async_events,
    capture_listening,
    threads_table,
    manager_runs_the_source,
    drop_while_busy,
);

// --- helpers ---------------------------------------------------------------------------------

/// The documented payload of event `n`.
fn payload(n: u64) -> String {
    format!(r#"{{"n":{n},"msg":"hello {n}","even":{}}}"#, n % 2 == 0)
}

fn ts(n: u64) -> u64 {
    BASE_TS + n * 1_000_000
}

/// Event `n` as the plugin would have produced it.
fn own_event(n: u64) -> Vec<u8> {
    PluginEvent::encode(ts(n), ID, payload(n).as_bytes())
}

/// One field, extracted alone.
fn get(p: &mut Plugin, ev: &[u8], name: &str, arg: Option<&str>) -> Vec<ExtractedValue> {
    let r = p.field_request(name, arg).unwrap();
    p.extract(ev, 1, NAME, &[r]).unwrap().pop().unwrap()
}

fn u64_of(p: &mut Plugin, ev: &[u8], name: &str) -> Option<u64> {
    match get(p, ev, name, None)[..] {
        [ExtractedValue::U64(v)] => Some(v),
        [] => None,
        ref v => panic!("{name}: {v:?}"),
    }
}

fn s(v: &str) -> ExtractedValue {
    ExtractedValue::Str(v.as_bytes().to_vec())
}

fn ip(v: &str) -> IpAddr {
    v.parse().unwrap()
}

fn metric(p: &mut Plugin, name: &str) -> (bool, MetricValue) {
    let m = p.metrics().unwrap();
    let x = m
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("{m:?}"));
    (x.monotonic, x.value)
}

/// Drains the open capture: `E<n>` per event, `T` per timeout, `.` at EOF.
fn drain(p: &mut Plugin) -> Vec<String> {
    let mut seq = Vec::new();
    for _ in 0..2000 {
        match p.next_event().unwrap() {
            NextEvent::Event(b) => seq.push(format!("E{}", check_own_event(b))),
            NextEvent::Timeout => seq.push("T".into()),
            NextEvent::Eof => {
                seq.push(".".into());
                return seq;
            }
        }
    }
    panic!("no EOF: {seq:?}");
}

/// Checks an event the source produced against the docs; returns its `n`.
fn check_own_event(b: &[u8]) -> u64 {
    let h = Header::read(b).unwrap();
    let pe = PluginEvent::decode(b).unwrap();
    assert_eq!(h.ty, event::PLUGIN_EVENT);
    assert_eq!(h.len as usize, b.len());
    assert_eq!(h.tid, u64::MAX, "the host forces tid -1");
    assert_eq!(pe.plugin_id, ID);
    let text = std::str::from_utf8(pe.data).unwrap();
    let n: u64 = text
        .strip_prefix(r#"{"n":"#)
        .and_then(|r| r.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(text, payload(n));
    assert_eq!(
        &b[PLUGIN_PAYLOAD_OFFSET..],
        text.as_bytes(),
        "payload at byte 38"
    );
    assert_eq!(h.ts, ts(n));
    assert_eq!(pe.ts, ts(n));
    n
}

// --- the checks ------------------------------------------------------------------------------

fn identity_and_capabilities(kind: Kind) {
    let p = load(kind);
    let info = p.info();
    assert_eq!(info.name, NAME);
    assert_eq!(p.name(), NAME);
    assert_eq!(info.version, "0.1.0");
    assert_eq!(info.required_api_version, "3.11.0");
    assert_eq!(info.id, ID);
    assert_eq!(info.event_source.as_deref(), Some(NAME));
    assert!(info.description.contains("every capability"), "{info:?}");
    assert!(info.contact.contains("scapkit"), "{info:?}");
    let c = p.capabilities();
    assert!(c.sourcing && c.extraction && c.parsing && c.async_events && c.capture_listening);
    match p.init_schema() {
        InitSchema::Json(s) => {
            let v: serde_json::Value = serde_json::from_str(s).unwrap();
            assert_eq!(v["properties"]["tid"]["type"], "integer", "{s}");
            assert_eq!(v["properties"]["tid"]["default"], 1, "{s}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.async_event_names(), ["scapkit_test_async"]);
    assert!(!p.is_initialised());
    // Routing: the own source (added by the host to the empty lists), type 322 only.
    assert!(p.extracts_from(NAME, 322) && p.parses_from(NAME, 322));
    assert!(!p.extracts_from("syscall", 322) && !p.parses_from("syscall", 322));
    assert!(!p.extracts_from("aws_cloudtrail", 322));
    // Async events may go to any source.
    assert!(p.async_targets("syscall") && p.async_targets(NAME));
    // Before init every call is refused, naming the plugin.
    let mut p = p;
    let e = p.open("").unwrap_err();
    assert_eq!(
        (e.plugin.as_str(), &e.kind),
        (NAME, &ErrorKind::NotInitialised)
    );
    assert!(p.metrics().is_err());
    assert!(p.progress().is_none());
}

fn field_list(kind: Kind) {
    let p = load(kind);
    use FieldType::*;
    let (none, idx, key) = (
        ArgSpec::default(),
        ArgSpec {
            index: true,
            ..ArgSpec::default()
        },
        ArgSpec {
            key: true,
            ..ArgSpec::default()
        },
    );
    let req = |a: ArgSpec| ArgSpec {
        required: true,
        ..a
    };
    // (name, type, list, arg)
    let want = [
        ("test.n", U64, false, none),
        ("test.msg", String, false, none),
        ("test.even", Bool, false, none),
        ("test.reltime", RelTime, false, none),
        ("test.abstime", AbsTime, false, none),
        ("test.ipv4", IpAddr, false, none),
        ("test.ipv6", IpAddr, false, none),
        ("test.net", IpNet, false, none),
        ("test.list", String, true, none),
        ("test.list_u64", U64, true, none),
        ("test.list_empty", U64, true, none),
        ("test.mul", U64, false, idx),
        ("test.echo", String, false, key),
        ("test.item", String, false, req(idx)),
        ("test.json", String, false, req(key)),
        ("test.parsed", U64, false, none),
        ("test.captures", U64, false, none),
        ("test.thread.comm", String, false, idx),
        ("test.thread.seen", U64, false, none),
        ("test.absent", String, false, none),
        ("test.fail", String, false, none),
    ];
    let f = p.fields();
    assert_eq!(f.len(), want.len());
    for (i, (got, (name, ty, list, arg))) in f.iter().zip(want).enumerate() {
        assert_eq!(got.id as usize, i, "{got:?}");
        assert_eq!(got.name, name);
        assert_eq!(got.ty, ty, "{name}");
        assert_eq!(got.is_list, list, "{name}");
        assert_eq!(got.arg, arg, "{name}");
        assert!(!got.desc.is_empty(), "{name} has a description");
        assert_eq!(got.add_output, name == "test.msg", "addOutput: {name}");
        assert!(!got.is_hidden(), "{name}");
    }
}

fn init_config(kind: Kind) {
    // The documented config, as JSON text and as a JSON value.
    let mut p = load(kind);
    p.init(r#"{"tid": 7}"#).unwrap();
    assert!(p.is_initialised());
    let e = p.init("{}").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::State(_)), "{e}");
    // An empty config: the host passes `{}` for a JSON schema, so init succeeds.
    ready(kind);
    let mut p = load(kind);
    p.init("").unwrap();
    // Not JSON: refused by the host before the call, naming the plugin.
    let mut p = load(kind);
    let e = p.init("tid: 3").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Config(_)), "{e}");
    assert!(
        e.to_string()
            .starts_with("plugin scapkit_test: invalid config"),
        "{e}"
    );
    assert!(!p.is_initialised());
    // JSON of the wrong shape: the plugin's own error.
    let mut p = load(kind);
    let e = p.init(json!({"tid": "seven"})).unwrap_err();
    assert_eq!(e.plugin, NAME);
    let ErrorKind::Call { func, rc, message } = &e.kind else {
        panic!("{e}");
    };
    assert_eq!((*func, *rc), ("init", Rc::Failure));
    assert!(
        !message.is_empty() && !message.contains("no error message"),
        "{e}"
    );
    assert!(e.to_string().contains("init failed"), "{e}");
    // A failed plugin stays unusable, without crashing.
    assert!(!p.is_initialised());
    assert_eq!(p.open("").unwrap_err().kind, ErrorKind::NotInitialised);
    assert!(
        p.field_request("test.n", None).is_ok(),
        "fields are known before init"
    );
    let ev = own_event(1);
    let r = p.field_request("test.n", None).unwrap();
    assert_eq!(
        p.extract(&ev, 1, NAME, &[r]).unwrap_err().kind,
        ErrorKind::NotInitialised
    );
}

fn set_config(kind: Kind) {
    let table = Arc::new(Mutex::new(MapThreadTable::new(&[(
        "comm",
        StateType::String,
    )])));
    table
        .lock()
        .unwrap()
        .insert(1, &[("comm", StateValue::Str("init".into()))]);
    table
        .lock()
        .unwrap()
        .insert(2, &[("comm", StateValue::Str("kthreadd".into()))]);
    let mut p = load(kind);
    p.init_with_tables(json!({}), &Tables::new(table)).unwrap();
    let ev = own_event(1);
    // The default tid is 1; set_config replaces it.
    assert_eq!(get(&mut p, &ev, "test.thread.comm", None), [s("init")]);
    p.set_config(json!({"tid": 2})).unwrap();
    assert_eq!(get(&mut p, &ev, "test.thread.comm", None), [s("kthreadd")]);
    // Refusals name the plugin; the config in force stays.
    let e = p.set_config("{not json").unwrap_err();
    assert_eq!(e.plugin, NAME);
    assert!(matches!(e.kind, ErrorKind::Config(_)), "{e}");
    let e = p.set_config(r#"{"tid": []}"#).unwrap_err();
    assert!(e.to_string().contains("set_config failed"), "{e}");
    assert_eq!(get(&mut p, &ev, "test.thread.comm", None), [s("kthreadd")]);
}

fn open_params(kind: Kind) {
    let mut p = ready(kind);
    let params = p.open_params().unwrap();
    let values: Vec<&str> = params.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["5", "1", "1000"]);
    assert!(params.iter().all(|o| !o.desc.is_empty()), "{params:?}");
    assert!(params[0].desc.contains("default"), "{params:?}");
    assert!(params.iter().all(|o| o.separator.is_none()), "{params:?}");
}

fn open_errors(kind: Kind) {
    let mut p = ready(kind);
    for bad in ["lots", "1000001", "-1", "+3", "5 events"] {
        let e = p.open(bad).unwrap_err();
        assert_eq!(e.plugin, NAME);
        let want = format!(
            "invalid open params \"{}\": expected an event count from 0 to 1000000",
            bad.trim()
        );
        let ErrorKind::Call { func, rc, message } = &e.kind else {
            panic!("{e}");
        };
        assert_eq!((*func, *rc), ("open", Rc::Failure), "{e}");
        assert!(message.contains(&want), "{e}");
        assert!(p.next_event().is_err(), "nothing open after a failed open");
    }
    // Surrounding blanks are allowed; one capture at a time.
    p.open(" 1 ").unwrap();
    let e = p.open("1").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::State(_)), "{e}");
    assert_eq!(drain(&mut p), ["E1", "."]);
    p.close();
    // A NUL in the params is refused by the host.
    assert!(matches!(
        p.open("1\0").unwrap_err().kind,
        ErrorKind::Config(_)
    ));
}

fn next_event_five(kind: Kind) {
    let mut p = ready(kind);
    p.open("5").unwrap();
    assert_eq!(p.progress().unwrap().text.as_deref(), Some("0/5 events"));
    let mut seq = Vec::new();
    for _ in 0..2 {
        match p.next_event().unwrap() {
            NextEvent::Event(b) => seq.push(format!("E{}", check_own_event(b))),
            other => panic!("{other:?}"),
        }
    }
    let pr = p.progress().unwrap();
    assert_eq!((pr.pct, pr.text.as_deref()), (4000, Some("2/5 events")));
    seq.extend(drain(&mut p));
    assert_eq!(seq, ["E1", "E2", "T", "E3", "E4", "E5", "."]);
    // EOF sticks.
    assert_eq!(p.next_event().unwrap(), NextEvent::Eof);
    assert_eq!(p.next_event().unwrap(), NextEvent::Eof);
    let pr = p.progress().unwrap();
    assert_eq!((pr.pct, pr.text.as_deref()), (10000, Some("5/5 events")));
    // Closing and reopening starts over; empty params mean 5.
    p.close();
    assert!(p.progress().is_none());
    p.open("").unwrap();
    assert_eq!(drain(&mut p), ["E1", "E2", "T", "E3", "E4", "E5", "."]);
    p.close();
}

fn next_event_small_counts(kind: Kind) {
    let mut p = ready(kind);
    p.open("0").unwrap();
    assert_eq!(drain(&mut p), ["."]);
    assert_eq!(p.progress().unwrap().pct, 10000);
    p.close();
    p.open("1").unwrap();
    assert_eq!(drain(&mut p), ["E1", "."]);
    p.close();
    p.open("2").unwrap();
    assert_eq!(drain(&mut p), ["E1", "T", "E2", "."]);
    p.close();
    // Large counts: one timeout exactly, in the middle.
    p.open("1000").unwrap();
    let seq = drain(&mut p);
    assert_eq!(seq.len(), 1002);
    assert_eq!(seq[500], "T");
    assert_eq!(seq[1001], ".");
    assert_eq!(seq[1000], "E1000");
}

fn event_to_string(kind: Kind) {
    let mut p = ready(kind);
    p.open("3").unwrap();
    let NextEvent::Event(b) = p.next_event().unwrap() else {
        panic!();
    };
    let first = b.to_vec();
    assert_eq!(
        p.event_to_string(&first, 1).unwrap(),
        "scapkit_test event n=1 msg=hello 1"
    );
    assert_eq!(
        p.event_to_string(&own_event(12), 2).unwrap(),
        "scapkit_test event n=12 msg=hello 12"
    );
    // A payload the plugin did not write: it fails, and the host falls back to libsinsp's text.
    let junk = PluginEvent::encode(ts(1), ID, b"junk");
    assert_eq!(p.event_to_string(&junk, 3).unwrap(), "datalen=4 data=junk");
    // Another plugin's event is never passed to it.
    let other = PluginEvent::encode(ts(1), 2, payload(1).as_bytes());
    assert!(p
        .event_to_string(&other, 4)
        .unwrap()
        .starts_with("datalen=36 data="));
    // Not a plugin event at all.
    assert!(p.event_to_string(&first[..20], 5).is_err());
}

fn every_field_type(kind: Kind) {
    let mut p = ready(kind);
    use ExtractedValue::*;
    let names = [
        "test.n",
        "test.msg",
        "test.even",
        "test.reltime",
        "test.abstime",
        "test.ipv4",
        "test.ipv6",
        "test.net",
        "test.list",
        "test.list_u64",
        "test.list_empty",
        "test.mul",
        "test.echo",
        "test.parsed",
        "test.captures",
        "test.thread.comm",
        "test.thread.seen",
        "test.absent",
        "test.fail",
    ];
    let reqs: Vec<_> = names
        .iter()
        .map(|n| p.field_request(n, None).unwrap())
        .collect();
    let check = |p: &mut Plugin, n: u64, want: Vec<Vec<ExtractedValue>>| {
        let ev = own_event(n);
        let got = p.extract(&ev, n, NAME, &reqs).unwrap();
        for ((name, g), w) in names.iter().zip(&got).zip(&want) {
            assert_eq!(g, w, "{name} of event {n}");
        }
        // One at a time (as libsinsp asks) gives the same answers.
        for ((name, r), w) in names.iter().zip(&reqs).zip(&want) {
            let one = p.extract(&ev, n, NAME, std::slice::from_ref(r)).unwrap();
            assert_eq!(&one[0], w, "{name} of event {n}, alone");
        }
    };
    check(
        &mut p,
        5,
        vec![
            vec![U64(5)],
            vec![s("hello 5")],
            vec![Bool(false)],
            vec![RelTime(5000)],
            vec![AbsTime(ts(5))],
            vec![Ip(ip("192.168.0.5"))],
            vec![Ip(ip("2001:db8::5"))],
            vec![Net(ip("10.5.0.0"))],
            (1..=5).map(|i| s(&format!("item{i}"))).collect(),
            vec![U64(5), U64(10), U64(15)],
            vec![],
            vec![U64(5)],
            vec![s("n=5")],
            vec![U64(0)],
            vec![U64(0)],
            // Without entries in the threads table: no value.
            vec![],
            vec![],
            vec![],
            // test.fail: the plugin fails; that is "no value", not an error.
            vec![],
        ],
    );
    // Wrap-arounds and the list cap.
    check(
        &mut p,
        70_000,
        vec![
            vec![U64(70_000)],
            vec![s("hello 70000")],
            vec![Bool(true)],
            vec![RelTime(70_000_000)],
            vec![AbsTime(ts(70_000))],
            vec![Ip(ip("192.168.0.112"))],
            vec![Ip(ip("2001:db8::1170"))],
            vec![Net(ip("10.112.0.0"))],
            (1..=8).map(|i| s(&format!("item{i}"))).collect(),
            vec![U64(70_000), U64(140_000), U64(210_000)],
            vec![],
            vec![U64(70_000)],
            vec![s("n=70000")],
            vec![U64(0)],
            vec![U64(0)],
            vec![],
            vec![],
            vec![],
            vec![],
        ],
    );
}

fn field_arguments(kind: Kind) {
    let mut p = ready(kind);
    let ev = own_event(4);
    use ExtractedValue::*;
    // Index, optional.
    assert_eq!(get(&mut p, &ev, "test.mul", Some("3")), [U64(12)]);
    assert_eq!(get(&mut p, &ev, "test.mul", Some("0")), [U64(0)]);
    assert_eq!(
        get(&mut p, &ev, "test.mul", Some(&u64::MAX.to_string())),
        [U64(u64::MAX)],
        "saturating"
    );
    // Key, optional.
    assert_eq!(get(&mut p, &ev, "test.echo", Some("abc")), [s("abc=4")]);
    assert_eq!(get(&mut p, &ev, "test.echo", Some("7")), [s("7=4")]);
    // Index, required: element i of test.list, no value out of range.
    assert_eq!(get(&mut p, &ev, "test.item", Some("0")), [s("item1")]);
    assert_eq!(get(&mut p, &ev, "test.item", Some("3")), [s("item4")]);
    assert_eq!(get(&mut p, &ev, "test.item", Some("4")), []);
    // Key, required: payload members as text.
    assert_eq!(get(&mut p, &ev, "test.json", Some("n")), [s("4")]);
    assert_eq!(get(&mut p, &ev, "test.json", Some("msg")), [s("hello 4")]);
    assert_eq!(get(&mut p, &ev, "test.json", Some("even")), [s("true")]);
    assert_eq!(get(&mut p, &ev, "test.json", Some("nope")), []);
    // Bad requests are refused by the host before any call, naming the plugin and field.
    let err = |p: &Plugin, name: &str, arg: Option<&str>| {
        let e = p.field_request(name, arg).unwrap_err();
        assert_eq!(e.plugin, NAME);
        assert!(matches!(e.kind, ErrorKind::Field(_)), "{e}");
        e.to_string()
    };
    assert!(err(&p, "test.item", None).contains("test.item requires an argument"));
    assert!(err(&p, "test.json", None).contains("test.json requires an argument"));
    assert!(err(&p, "test.item", Some("x")).contains("numeric index"));
    assert!(err(&p, "test.mul", Some("-1")).contains("numeric index"));
    assert!(err(&p, "test.n", Some("1")).contains("takes no argument"));
    assert!(err(&p, "test.nope", None).contains("no field named test.nope"));
}

fn foreign_events_have_no_values(kind: Kind) {
    let mut p = ready(kind);
    let reqs: Vec<_> = p
        .fields()
        .iter()
        .filter(|f| !f.arg.required)
        .map(|f| f.name.clone())
        .collect::<Vec<_>>()
        .iter()
        .map(|n| p.field_request(n, None).unwrap())
        .collect();
    // A payload the plugin did not write: every field fails, i.e. no value.
    for data in [&b"{}"[..], b"", br#"{"n":3,"msg":"hello 4","even":false}"#] {
        let ev = PluginEvent::encode(ts(1), ID, data);
        let got = p.extract(&ev, 1, NAME, &reqs).unwrap();
        assert!(got.iter().all(Vec::is_empty), "{data:?}: {got:?}");
    }
    // A truncated event never reaches the plugin.
    let ev = own_event(1);
    let e = p.extract(&ev[..ev.len() - 1], 1, NAME, &reqs).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Event(_)), "{e}");
}

fn parse_counter_and_metrics(kind: Kind) {
    let mut p = ready(kind);
    let ev = own_event(2);
    assert_eq!(u64_of(&mut p, &ev, "test.parsed"), Some(0));
    assert_eq!(
        metric(&mut p, "scapkit_test.events_parsed"),
        (true, MetricValue::U64(0))
    );
    for n in 1..=3 {
        p.parse(&own_event(n), n, NAME).unwrap();
    }
    assert_eq!(u64_of(&mut p, &ev, "test.parsed"), Some(3));
    // Exactly two metrics.
    let m = p.metrics().unwrap();
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(
        metric(&mut p, "scapkit_test.events_parsed"),
        (true, MetricValue::U64(3))
    );
    assert_eq!(
        metric(&mut p, "scapkit_test.captures_open"),
        (false, MetricValue::U64(0))
    );
    // dump_state reports the counter synchronously.
    let dumped = p.dump_state().unwrap();
    assert_eq!(dumped.len(), 1);
    assert_eq!(
        event::async_name(&dumped[0]),
        Some(&b"scapkit_test_async"[..])
    );
    assert!(dumped[0].ends_with(br#"{"dump":3}"#), "{:?}", dumped[0]);
    // A truncated event is refused by the host and does not count.
    assert!(p.parse(&ev[..30], 4, NAME).is_err());
    assert_eq!(u64_of(&mut p, &ev, "test.parsed"), Some(3));
}

/// Polls for async events until `want` arrived (the plugin emits from its own thread).
fn wait_async(p: &mut Plugin, want: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    for _ in 0..500 {
        got.extend(p.take_async_events(ID));
        if got.len() >= want {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

fn async_events(kind: Kind) {
    let mut p = ready(kind);
    p.start_async().unwrap();
    let got = wait_async(&mut p, 1);
    assert_eq!(got.len(), 1);
    let e = &got[0];
    let h = Header::read(e).unwrap();
    assert_eq!(h.ty, event::ASYNC_EVENT);
    assert_eq!(h.len as usize, e.len());
    assert_ne!(h.ts, u64::MAX, "stamped by the host");
    assert_eq!(
        &e[38..42],
        &ID.to_le_bytes(),
        "plugin_id of the current source"
    );
    assert_eq!(event::async_name(e), Some(&b"scapkit_test_async"[..]));
    assert!(e.ends_with(br#"{"async":1}"#), "{e:?}");
    assert_eq!(p.async_rejected(), 0, "the declared name is accepted");
    // One event per installation, and no more.
    std::thread::sleep(Duration::from_millis(50));
    assert!(p.take_async_events(ID).is_empty());
    p.stop_async().unwrap();
    p.start_async().unwrap();
    let got = wait_async(&mut p, 1);
    assert_eq!(got.len(), 1);
    assert!(got[0].ends_with(br#"{"async":2}"#), "{:?}", got[0]);
    p.stop_async().unwrap();
    p.stop_async().unwrap();
}

fn capture_listening(kind: Kind) {
    let mut p = ready(kind);
    let ev = own_event(1);
    let gauge = |p: &mut Plugin| metric(p, "scapkit_test.captures_open");
    assert_eq!(u64_of(&mut p, &ev, "test.captures"), Some(0));
    p.capture_open().unwrap();
    assert_eq!(u64_of(&mut p, &ev, "test.captures"), Some(1));
    assert_eq!(gauge(&mut p), (false, MetricValue::U64(1)));
    // Let the routine run on a host thread (it stops itself after one call).
    std::thread::sleep(Duration::from_millis(30));
    p.capture_close().unwrap();
    assert_eq!(gauge(&mut p), (false, MetricValue::U64(0)));
    // A second open/close, closed at once (the routine may not have run).
    p.capture_open().unwrap();
    assert_eq!(u64_of(&mut p, &ev, "test.captures"), Some(2));
    assert_eq!(gauge(&mut p), (false, MetricValue::U64(1)));
    p.capture_close().unwrap();
    assert_eq!(gauge(&mut p), (false, MetricValue::U64(0)));
    assert_eq!(u64_of(&mut p, &ev, "test.captures"), Some(2));
}

fn threads_table(kind: Kind) {
    let table = Arc::new(Mutex::new(MapThreadTable::new(&[
        ("comm", StateType::String),
        ("pid", StateType::I64),
    ])));
    {
        let mut t = table.lock().unwrap();
        t.insert(1, &[("comm", StateValue::Str("init".into()))]);
        t.insert(42, &[("comm", StateValue::Str("bash".into()))]);
    }
    let mut p = load(kind);
    p.init_with_tables(json!({"tid": 42}), &Tables::new(table.clone()))
        .unwrap();
    // The plugin added its field, writable.
    let fields = table.lock().unwrap().fields();
    let seen = fields
        .iter()
        .find(|f| f.name == "scapkit_test.seen")
        .unwrap_or_else(|| panic!("{fields:?}"));
    assert_eq!((seen.ty, seen.read_only), (StateType::U64, false));
    let ev = own_event(1);
    assert_eq!(get(&mut p, &ev, "test.thread.comm", None), [s("bash")]);
    assert_eq!(get(&mut p, &ev, "test.thread.comm", Some("1")), [s("init")]);
    assert_eq!(get(&mut p, &ev, "test.thread.comm", Some("7")), []);
    // Not written yet: no value.
    assert_eq!(get(&mut p, &ev, "test.thread.seen", None), []);
    for n in 1..=2 {
        p.parse(&own_event(n), n, NAME).unwrap();
    }
    assert_eq!(
        table.lock().unwrap().read(42, "scapkit_test.seen"),
        Some(StateValue::U64(2))
    );
    assert_eq!(table.lock().unwrap().read(1, "scapkit_test.seen"), None);
    assert_eq!(u64_of(&mut p, &ev, "test.thread.seen"), Some(2));
    // A tid without an entry: parsing still works, the thread fields have no value.
    p.set_config(json!({"tid": 5})).unwrap();
    p.parse(&own_event(3), 3, NAME).unwrap();
    assert_eq!(u64_of(&mut p, &ev, "test.parsed"), Some(3));
    assert_eq!(get(&mut p, &ev, "test.thread.seen", None), []);
    assert_eq!(get(&mut p, &ev, "test.thread.comm", None), []);
    // Without a `comm` field the plugin runs without the table (init still succeeds).
    let mut p = load(kind);
    p.init_with_tables(json!({}), &Tables::empty()).unwrap();
    p.parse(&ev, 1, NAME).unwrap();
    assert_eq!(get(&mut p, &ev, "test.thread.comm", None), []);
    assert_eq!(u64_of(&mut p, &ev, "test.parsed"), Some(1));
}

fn manager_runs_the_source(kind: Kind) {
    let mut m = PluginManager::new();
    let idx = m.add(ready(kind)).unwrap();
    // The other linkage of the same plugin clashes on name and ID.
    let other = match kind {
        Kind::Static => Kind::Dynamic,
        Kind::Dynamic => Kind::Static,
    };
    let e = m.add(ready(other)).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Duplicate(_)), "{e}");
    assert_eq!(m.find(NAME), Some(idx));
    assert_eq!(m.sources(), [NAME]);
    assert_eq!(m.source_for_id(ID), Some(NAME));
    m.open_sources(&[(idx, "5")]).unwrap();
    let mut seq = Vec::new();
    let mut events = Vec::new();
    for _ in 0..50 {
        match m.next_event().unwrap() {
            Merged::Event { plugin, bytes } => {
                assert_eq!(plugin, idx);
                let n = check_own_event(bytes);
                seq.push(format!("E{n}"));
                events.push((n, bytes.to_vec()));
            }
            Merged::Timeout => seq.push("T".into()),
            Merged::Eof => {
                seq.push(".".into());
                break;
            }
        }
    }
    assert_eq!(seq, ["E1", "E2", "T", "E3", "E4", "E5", "."]);
    // Routing, parsing, extraction and evt.plugininfo through the manager.
    for (n, ev) in &events {
        assert_eq!(m.extractors_for(ev), [idx]);
        m.parse(ev, *n).unwrap();
        assert_eq!(
            m.plugin_info(ev, *n).unwrap(),
            format!("scapkit_test event n={n} msg=hello {n}")
        );
    }
    let (i, req) = m.field_request("test.parsed", None).unwrap();
    assert_eq!(i, idx);
    let (_, ev) = &events[4];
    let v = m.extract(idx, ev, 5, &[req.unwrap()]).unwrap();
    assert_eq!(v, [[ExtractedValue::U64(5)]]);
    // Another source's event is not routed to it.
    let foreign = PluginEvent::encode(ts(1), 2, payload(1).as_bytes());
    assert!(m.extractors_for(&foreign).is_empty());
    let (_, req) = m.field_request("test.n", None).unwrap();
    let v = m.extract(idx, &foreign, 6, &[req.unwrap()]).unwrap();
    assert_eq!(v, [Vec::<ExtractedValue>::new()]);
    m.close_sources();
    // A bad open names the plugin and quotes the params.
    let e = m.open_sources(&[(idx, "many")]).unwrap_err();
    assert_eq!(e.plugin, NAME);
    assert!(
        e.to_string().contains("invalid open params \"many\""),
        "{e}"
    );
}

fn drop_while_busy(kind: Kind) {
    // Open capture, async thread, capture listening: dropping tears everything down in order.
    let mut p = ready(kind);
    p.open("1000").unwrap();
    assert!(matches!(p.next_event().unwrap(), NextEvent::Event(_)));
    p.start_async().unwrap();
    p.capture_open().unwrap();
    drop(p);
    // A plugin whose init failed drops cleanly too.
    let mut p = load(kind);
    assert!(p.init(json!({"tid": false})).is_err());
    drop(p);
}

#[test]
fn dynamic_load_errors() {
    let e = Plugin::load("/nonexistent/libnope.so").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Open(_)), "{e}");
    assert!(e.to_string().contains("/nonexistent/libnope.so"), "{e}");
    let e = Plugin::load("/etc/hostname").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Open(_)), "{e}");
    assert!(
        e.to_string()
            .starts_with("plugin /etc/hostname: cannot load"),
        "{e}"
    );
    // Loading the same `.so` twice gives two independent plugins.
    let mut a = ready(Kind::Dynamic);
    let mut b = ready(Kind::Dynamic);
    a.parse(&own_event(1), 1, NAME).unwrap();
    assert_eq!(u64_of(&mut a, &own_event(1), "test.parsed"), Some(1));
    assert_eq!(u64_of(&mut b, &own_event(1), "test.parsed"), Some(0));
}
