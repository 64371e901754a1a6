//! End-to-end tests of the plugin host against the `mini` SDK plugin, both statically linked
//! (the SDK's `static_plugin!` vtable) and as a `.so` through dlopen. Each test runs for both.
// The shared test bodies are plain functions (run by `both!`), which clippy does not see as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Duration;

use engine::plugin::event::{self, Header, PluginEvent};
use engine::plugin::{
    ErrorKind, ExtractedValue, FieldArg, FieldType, InitSchema, Merged, MetricValue, NextEvent,
    Plugin, PluginManager,
};
use serde_json::json;

/// Finds or builds `libscapkit_plugin_mini.so` (the cdylib of the dev-dependency).
fn mini_so() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    let profile = deps.parent().unwrap().to_path_buf();
    let mut found: Vec<PathBuf> = [&profile, &deps]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("libscapkit_plugin_mini") && n.ends_with(".so")
        })
        .collect();
    if found.is_empty() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = std::process::Command::new(cargo)
            .args(["build", "-p", "scapkit-plugin-mini"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(st.success());
        found.push(profile.join("libscapkit_plugin_mini.so"));
    }
    // The newest build wins.
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found.pop().unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Static,
    Dynamic,
}

fn load(kind: Kind) -> Plugin {
    match kind {
        Kind::Static => Plugin::from_static(&scapkit_plugin_mini::MINI_STATIC_API).unwrap(),
        Kind::Dynamic => Plugin::load(mini_so()).unwrap(),
    }
}

fn ready(kind: Kind) -> Plugin {
    let mut p = load(kind);
    p.init("").unwrap();
    p
}

fn id(kind: Kind) -> u32 {
    match kind {
        Kind::Static => 998,
        Kind::Dynamic => 999,
    }
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
    metadata_and_fields,
    config_handling,
    sourcing,
    timeouts_and_stamping,
    extraction,
    parsing_event_to_string_metrics,
    async_events,
    capture_listening,
);

fn metadata_and_fields(kind: Kind) {
    let p = load(kind);
    let caps = p.capabilities();
    assert!(
        caps.sourcing
            && caps.extraction
            && caps.parsing
            && caps.async_events
            && caps.capture_listening
    );
    assert_eq!(p.info().id, id(kind));
    assert_eq!(p.info().event_source.as_deref(), Some("mini"));
    assert_eq!(p.info().version, "0.1.0");
    assert!(matches!(p.init_schema(), InitSchema::Json(s) if s.contains("count")));
    assert_eq!(p.async_event_names(), ["mini_async"]);
    let f = p.fields();
    let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
    assert_eq!(get("mini.payload").ty, FieldType::String);
    assert!(get("mini.payload").add_output);
    assert_eq!(get("mini.payload").desc, "the payload");
    assert_eq!(get("mini.len").display.as_deref(), Some("Length"));
    assert_eq!(get("mini.even").ty, FieldType::Bool);
    assert!(get("mini.chars").is_list);
    assert!(
        get("mini.char").arg.index && get("mini.char").arg.required && !get("mini.char").arg.key
    );
    assert!(get("mini.kv").arg.key && !get("mini.kv").arg.index);
    assert_eq!(get("mini.ip").ty, FieldType::IpAddr);
    assert_eq!(get("mini.reltime").ty, FieldType::RelTime);
    assert_eq!(
        f.iter().map(|x| x.id).collect::<Vec<_>>(),
        (0..f.len() as u32).collect::<Vec<_>>()
    );
}

fn config_handling(kind: Kind) {
    // A JSON value (e.g. from a YAML map).
    let mut p = load(kind);
    p.init(json!({"count": 5})).unwrap();
    p.open("").unwrap();
    let mut n = 0;
    while let NextEvent::Event(_) = p.next_event().unwrap() {
        n += 1;
    }
    assert_eq!(n, 5);
    // set_config is wired, and a refusal names the plugin and its message.
    p.set_config(r#"{"count": 2}"#).unwrap();
    let e = p.set_config(json!({"failInit": true})).unwrap_err();
    assert_eq!(e.plugin, p.name());
    assert!(
        e.to_string().contains("set_config failed") && e.to_string().contains("refused"),
        "{e}"
    );
    // Init failure: error with the plugin's message; the host keeps going.
    let mut p = load(kind);
    let e = p.init(json!({"failInit": true})).unwrap_err();
    assert!(
        e.to_string().contains("init refused as asked by failInit"),
        "{e}"
    );
    assert!(matches!(p.open(""), Err(e) if e.kind == ErrorKind::NotInitialised));
    // Not JSON for a JSON schema: refused before the call.
    let mut p = load(kind);
    assert!(matches!(
        p.init("count: 3").unwrap_err().kind,
        ErrorKind::Config(_)
    ));
    // Unknown keys: the plugin's own error.
    let mut p = load(kind);
    assert!(p
        .init(r#"{"nope": 1}"#)
        .unwrap_err()
        .to_string()
        .contains("init failed"));
}

fn sourcing(kind: Kind) {
    let mut p = ready(kind);
    let params = p.open_params().unwrap();
    assert_eq!(params[0].value, "count=2");
    assert_eq!(params[1].separator.as_deref(), Some(","));
    p.open("count=5,start=100,step=7").unwrap();
    assert!(p.open("").is_err(), "one instance at a time");
    let mut got = vec![];
    loop {
        match p.next_event().unwrap() {
            NextEvent::Event(b) => {
                let h = Header::read(b).unwrap();
                let pe = PluginEvent::decode(b).unwrap();
                assert_eq!(h.tid, u64::MAX, "tid forced to -1");
                assert_eq!(pe.plugin_id, id(kind), "plugin_id 0 patched");
                got.push((pe.ts, String::from_utf8(pe.data.to_vec()).unwrap()));
            }
            NextEvent::Eof => break,
            NextEvent::Timeout => panic!("no timeouts asked"),
        }
    }
    assert_eq!(
        got,
        (0..5)
            .map(|i| (100 + 7 * i, format!("ev{i}")))
            .collect::<Vec<_>>()
    );
    assert_eq!(p.next_event().unwrap(), NextEvent::Eof);
    assert_eq!(p.progress().unwrap().pct, 10000);
    p.close();
    // Open failure carries the plugin's message.
    let e = p.open("fail=1").unwrap_err();
    assert!(
        e.to_string().contains("open failed") && e.to_string().contains("asked to fail"),
        "{e}"
    );
    assert!(p.next_event().is_err());
}

fn timeouts_and_stamping(kind: Kind) {
    let mut p = ready(kind);
    p.open("count=3,timeouts=1,maxts=1").unwrap();
    let mut seq = vec![];
    for _ in 0..20 {
        match p.next_event().unwrap() {
            NextEvent::Event(b) => {
                assert_ne!(Header::read(b).unwrap().ts, u64::MAX, "ts stamped");
                seq.push('E');
            }
            NextEvent::Timeout => seq.push('T'),
            NextEvent::Eof => {
                seq.push('.');
                break;
            }
        }
    }
    assert_eq!(seq.iter().collect::<String>(), "TEETE.");
}

fn extraction(kind: Kind) {
    let mut p = ready(kind);
    let ev = PluginEvent::encode(5, id(kind), b"ev4");
    let names = [
        ("mini.payload", None),
        ("mini.len", None),
        ("mini.even", None),
        ("mini.chars", None),
        ("mini.char", Some("1")),
        ("mini.kv", Some("abc")),
        ("mini.ip", None),
        ("mini.reltime", None),
    ];
    let reqs: Vec<_> = names
        .iter()
        .map(|(n, a)| p.field_request(n, *a).unwrap())
        .collect();
    assert_eq!(reqs[4].arg(), &FieldArg::Index(1));
    let v = p.extract(&ev, 1, "mini", &reqs).unwrap();
    use ExtractedValue::*;
    assert_eq!(v[0], vec![Str(b"ev4".to_vec())]);
    assert_eq!(v[1], vec![U64(3)]);
    assert_eq!(v[2], vec![Bool(true)]);
    assert_eq!(
        v[3],
        vec![Str(b"e".to_vec()), Str(b"v".to_vec()), Str(b"4".to_vec())]
    );
    assert_eq!(v[4], vec![Str(b"v".to_vec())]);
    assert_eq!(v[5], vec![Str(b"key=abc".to_vec())]);
    assert_eq!(v[6], vec![Ip("10.1.2.3".parse().unwrap())]);
    assert_eq!(v[7], vec![RelTime(1500)]);
    // One field at a time, as libsinsp does, gives the same answers.
    for (r, want) in reqs.iter().zip(&v) {
        assert_eq!(
            &p.extract(&ev, 1, "mini", std::slice::from_ref(r)).unwrap()[0],
            want
        );
    }
    // An index out of range: the plugin fails -> no value, not an error.
    let r = p.field_request("mini.char", Some("9")).unwrap();
    assert_eq!(p.extract(&ev, 2, "mini", &[r]).unwrap(), vec![vec![]]);
    // Bad requests.
    assert!(p
        .field_request("mini.char", None)
        .unwrap_err()
        .to_string()
        .contains("requires an argument"));
    assert!(p
        .field_request("mini.char", Some("x"))
        .unwrap_err()
        .to_string()
        .contains("numeric index"));
    assert!(p
        .field_request("mini.len", Some("1"))
        .unwrap_err()
        .to_string()
        .contains("takes no argument"));
    assert!(p.field_request("mini.nope", None).is_err());
    // A truncated event never reaches the plugin.
    assert!(matches!(
        p.extract(&ev[..30], 3, "mini", &reqs).unwrap_err().kind,
        ErrorKind::Event(_)
    ));
    // Routing: own source only, type 322 only.
    assert!(
        p.extracts_from("mini", 322)
            && !p.extracts_from("syscall", 322)
            && !p.extracts_from("mini", 402)
    );
}

fn parsing_event_to_string_metrics(kind: Kind) {
    let mut p = ready(kind);
    let ev = PluginEvent::encode(5, id(kind), b"ev1");
    for n in 0..3 {
        p.parse(&ev, n, "mini").unwrap();
    }
    let r = p.field_request("mini.parsed", None).unwrap();
    assert_eq!(
        p.extract(&ev, 4, "mini", &[r]).unwrap()[0],
        vec![ExtractedValue::U64(3)]
    );
    let m = p.metrics().unwrap();
    assert_eq!(m.len(), 1);
    assert!(m[0].name.ends_with("parsed") && m[0].monotonic, "{m:?}");
    assert_eq!(m[0].value, MetricValue::U64(3));
    assert_eq!(p.event_to_string(&ev, 1).unwrap(), "mini:ev1");
    // Another plugin's event: libsinsp's fallback rendering.
    let other = PluginEvent::encode(5, 12345, b"raw data");
    assert_eq!(
        p.event_to_string(&other, 1).unwrap(),
        "datalen=8 data=raw data"
    );
    assert_eq!(p.required_event_schema_version(), None);
}

fn async_events(kind: Kind) {
    let mut p = ready(kind);
    p.start_async().unwrap();
    let mut got = vec![];
    // The plugin's thread emits one refused and one accepted event; poll for it.
    for _ in 0..500 {
        got.extend(p.take_async_events(id(kind)));
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    p.stop_async().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(event::async_name(&got[0]), Some(&b"mini_async"[..]));
    assert!(
        got[0].ends_with(b"refused"),
        "the undeclared name must be refused"
    );
    assert_eq!(p.async_rejected(), 1);
    let h = Header::read(&got[0]).unwrap();
    assert_eq!(h.ty, 402);
    assert_ne!(h.ts, u64::MAX);
    assert_eq!(&got[0][38..42], &id(kind).to_le_bytes());
    // dump_state pushes its state synchronously.
    let dumped = p.dump_state().unwrap();
    assert_eq!(dumped.len(), 1);
    assert!(dumped[0].ends_with(b"state"));
}

fn capture_listening(kind: Kind) {
    let mut p = ready(kind);
    p.capture_open().unwrap();
    let ev = PluginEvent::encode(5, id(kind), b"ev1");
    let r = p.field_request("mini.routine", None).unwrap();
    let mut runs = 0;
    for _ in 0..500 {
        runs = match p.extract(&ev, 1, "mini", std::slice::from_ref(&r)).unwrap()[0][..] {
            [ExtractedValue::U64(n)] => n,
            _ => 0,
        };
        if runs >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    p.capture_close().unwrap();
    assert_eq!(
        runs, 3,
        "the routine ran on a host thread until it stopped itself"
    );
}

#[test]
fn manager_merges_sources_and_routes() {
    let mut m = PluginManager::new();
    let a = m.add(ready(Kind::Static)).unwrap();
    let b = m.add(ready(Kind::Dynamic)).unwrap();
    // Duplicates are refused.
    let e = m.add(ready(Kind::Static)).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Duplicate(_)), "{e}");
    assert_eq!(m.sources(), vec!["mini"]);
    assert_eq!(m.source_for_id(999), Some("mini"));
    assert_eq!(m.source_for_id(2), Some("aws_cloudtrail"));
    m.open_sources(&[
        (a, "count=4,start=1000,step=10"),
        (b, "count=3,start=1005,step=10,timeouts=1"),
    ])
    .unwrap();
    let mut seen = vec![];
    for _ in 0..100 {
        match m.next_event().unwrap() {
            Merged::Event { plugin, bytes } => {
                let pe = PluginEvent::decode(bytes).unwrap();
                seen.push((pe.ts, plugin));
            }
            Merged::Timeout => {}
            Merged::Eof => break,
        }
    }
    let ts: Vec<u64> = seen.iter().map(|s| s.0).collect();
    let mut sorted = ts.clone();
    sorted.sort_unstable();
    assert_eq!(ts.len(), 7);
    assert_eq!(ts, sorted, "merged by timestamp: {seen:?}");
    m.close_sources();
    // Routing: both plugins extract from source "mini".
    let ev = PluginEvent::encode(1, 999, b"ev0");
    assert_eq!(m.extractors_for(&ev), vec![a, b]);
    let unknown = PluginEvent::encode(1, 4242, b"x");
    assert!(m.extractors_for(&unknown).is_empty());
    let (idx, req) = m.field_request("mini.payload", None).unwrap();
    let v = m.extract(idx, &ev, 1, &[req.unwrap()]).unwrap();
    assert_eq!(v[0], vec![ExtractedValue::Str(b"ev0".to_vec())]);
    m.parse(&ev, 1).unwrap();
    assert_eq!(m.plugin_info(&ev, 1).as_deref(), Some("mini:ev0"));
    // A failing open names the plugin and leaves nothing open.
    let e = m.open_sources(&[(a, ""), (b, "fail=1")]).unwrap_err();
    assert!(e.to_string().contains("asked to fail"));
}
