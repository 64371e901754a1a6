//! The plugin side of the command line: `scapkit plugins`, `fields --plugin`, reading and
//! recording from the `scapkit_test` source (`libtestplugin.so`), and bad plugin input.
//!
//! The `.so` is built by a separate cargo invocation with its own target dir: `scapkit` links
//! plugins with the cargo feature `static`, and a cdylib built alongside has no `plugin_*`
//! exports.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Builds `libtestplugin.so` once per test binary (cargo makes it a no-op when fresh).
fn so() -> &'static str {
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
    .to_str()
    .unwrap()
}

fn scapkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scapkit"))
        .args(args)
        .env("TZ", "UTC")
        .env_remove("SCAPKIT_LOG")
        .output()
        .unwrap()
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    // Exact event numbers below: keep the plugin's async event out of the stream.
    let mut args = args.to_vec();
    if args.contains(&"-I") {
        args.push("--no-async");
    }
    let args = &args[..];
    let out = scapkit(args);
    assert!(
        out.status.success(),
        "scapkit {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    without_async(&String::from_utf8(out.stdout).unwrap())
}

/// Drops async events: the test plugin sends one from its own thread when a live source
/// opens, at a moment no host can predict (`async_events_arrive` checks them).
fn without_async(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains("asyncevent") && !l.contains("scapkit_test_async"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn async_events_arrive() {
    // Enough events for the plugin's async thread to get its event in before EOF.
    let out = scapkit(&[
        "read",
        "-H",
        so(),
        "-I",
        "scapkit_test:100000",
        "-p",
        "*%evt.type %evt.arg.name",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l == "asyncevent scapkit_test_async"),
        "no async event among {} lines",
        text.lines().count()
    );
}

/// Runs and expects exit code 1 (an error, never a crash or a panic); returns stderr.
fn fails(args: &[&str]) -> String {
    let out = scapkit(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "scapkit {args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scapkit-plugins-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The table row of `scapkit plugins` for `name`, split on blanks.
fn row<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.first() == Some(&name))
        .unwrap_or_else(|| panic!("no row {name} in:\n{text}"))
}

#[test]
fn plugins_lists_builtins() {
    let text = ok(&["plugins"]);
    assert!(text.starts_with("NAME"), "{text}");
    let ct = row(&text, "cloudtrail");
    assert_eq!(ct[2..4], ["2", "aws_cloudtrail"], "{text}");
    assert!(
        ct[5].contains("source") && ct[5].contains("extract"),
        "{text}"
    );
    let json = row(&text, "json");
    assert_eq!(json[2..4], ["0", "-"], "{text}");
    assert!(!text.contains("scapkit_test"));
    let v: serde_json::Value = serde_json::from_str(&ok(&["plugins", "--json"])).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cloudtrail", "json"]);
    assert_eq!(v[0]["id"], 2);
    assert_eq!(v[0]["source"], "aws_cloudtrail");
}

#[test]
fn plugins_with_the_test_plugin() {
    let text = ok(&["plugins", "-H", so()]);
    let t = row(&text, "scapkit_test");
    assert_eq!(t[1..5], ["0.1.0", "999", "scapkit_test", "21"], "{text}");
    assert_eq!(t[5], "source,extract,parse,async,capture-listen", "{text}");
    row(&text, "cloudtrail");
    row(&text, "json");
    // Without the built-ins, only it.
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "plugins",
        "-H",
        so(),
        "--no-builtin-plugins",
        "--json",
    ]))
    .unwrap();
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["name"], "scapkit_test");
    assert_eq!(v[0]["id"], 999);
    assert_eq!(v[0]["fields"], 21);
    assert_eq!(
        v[0]["capabilities"],
        serde_json::json!(["source", "extract", "parse", "async", "capture-listen"])
    );
}

#[test]
fn fields_of_a_builtin_plugin() {
    let text = ok(&["fields", "--plugin", "cloudtrail"]);
    assert!(
        text.contains("Field Class:                  cloudtrail"),
        "{text}"
    );
    assert!(
        text.contains("Event Sources:                aws_cloudtrail"),
        "{text}"
    );
    let id = text.lines().find(|l| l.starts_with("ct.id ")).unwrap();
    assert!(
        id.contains("(Type: string)") && id.contains("eventID"),
        "{id}"
    );
    // Only that plugin: no built-in classes, no other plugin.
    assert!(
        !text.contains("evt.num") && !text.contains("json.value"),
        "{text}"
    );
    // A match narrows the list.
    let text = ok(&["fields", "--plugin", "cloudtrail", "ct.user"]);
    assert!(text
        .lines()
        .filter(|l| l.starts_with("ct."))
        .all(|l| l.starts_with("ct.user")));
    assert!(text.contains("ct.user "), "{text}");
    // JSON.
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["fields", "--plugin", "json", "--json"])).unwrap();
    let rows = v.as_array().unwrap();
    assert!(rows.iter().all(|r| r["class"] == "json"), "{v}");
    let value = rows.iter().find(|r| r["name"] == "json.value").unwrap();
    assert_eq!(value["type"], "string");
    assert_eq!(value["arg"], "required key");
    assert!(!value["desc"].as_str().unwrap().is_empty());
    // An unknown plugin.
    let err = fails(&["fields", "--plugin", "nosuch"]);
    assert!(
        err.contains("--plugin nosuch") && err.contains("cloudtrail, json"),
        "{err}"
    );
}

#[test]
fn fields_of_the_test_plugin() {
    let text = ok(&["fields", "-H", so(), "--plugin", "scapkit_test"]);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .to_string()
    };
    assert!(line("test.n").contains("(Type: uint64) event number n"));
    assert!(line("test.list").contains("(Type: string, list)"));
    assert!(line("test.net").contains("(Type: ipnet)"));
    assert!(line("test.item[ARG]").contains("(Type: string)"));
    assert!(line("test.mul[ARG?]").contains("(Type: uint64)"));
    assert_eq!(text.lines().filter(|l| l.starts_with("test.")).count(), 21);
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "fields",
        "-H",
        so(),
        "--plugin",
        "scapkit_test",
        "--json",
    ]))
    .unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 21);
    let get = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap();
    assert_eq!(get("test.msg")["add_output"], true);
    assert_eq!(get("test.n")["add_output"], false);
    assert_eq!(get("test.list_u64")["list"], true);
    assert_eq!(get("test.json")["arg"], "required key");
    assert_eq!(get("test.echo")["arg"], "optional key");
    assert_eq!(get("test.abstime")["type"], "abstime");
    // Without --plugin, -H plugins follow the built-in registry.
    let text = ok(&["fields", "-H", so()]);
    assert!(
        text.contains("evt.num") && text.contains("test.thread.comm"),
        "{text}"
    );
    assert!(
        !text.contains("ct.id"),
        "built-in plugins only with --plugin"
    );
}

/// The custom format: every field type and argument kind.
const FORMAT: &str = "*%evt.num|%evt.pluginname|%test.n|%test.msg|%test.even|%test.reltime|\
%test.abstime|%test.ipv4|%test.ipv6|%test.net|%test.list|%test.list_u64|%test.list_empty|\
%test.mul[3]|%test.echo[k]|%test.item[1]|%test.json[msg]|%test.parsed|%test.absent|%test.fail";

#[test]
fn read_the_test_source() {
    // The default format: evt.plugininfo from event_to_string.
    let text = ok(&["read", "-H", so(), "-I", "scapkit_test:5"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        assert!(l.starts_with(&format!("{n} 2023-11-14 ")), "{l}");
        assert!(
            l.ends_with(&format!(
                "[scapkit_test] scapkit_test event n={n} msg=hello {n}"
            )),
            "{l}"
        );
    }
    // Every field type (the TIMEOUT after event 2 is invisible).
    let text = ok(&["read", "-H", so(), "-I", "scapkit_test:5", "-p", FORMAT]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split('|').collect::<Vec<_>>(),
        [
            "1",
            "scapkit_test",
            "1",
            "hello 1",
            "false",
            "1000",
            "1700000000001000000",
            "192.168.0.1",
            "2001:db8::1",
            // The ipnet value carries only the address; the host prints it as a /32.
            "10.1.0.0/32",
            "(item1)",
            "(1,2,3)",
            "<NA>",
            "3",
            "k=1",
            // test.item[1] of event 1: out of range.
            "<NA>",
            "hello 1",
            // The parse plugin saw this event before extraction.
            "1",
            "<NA>",
            "<NA>",
        ],
        "{text}"
    );
    assert_eq!(
        lines[4],
        "5|scapkit_test|5|hello 5|false|5000|1700000000005000000|192.168.0.5|2001:db8::5|\
10.5.0.0/32|(item1,item2,item3,item4,item5)|(5,10,15)|<NA>|15|k=5|item2|hello 5|5|<NA>|<NA>"
    );
    assert_eq!(lines.len(), 5);
    // A filter on plugin fields.
    let text = ok(&[
        "read",
        "-H",
        so(),
        "-I",
        "scapkit_test:5",
        "-p",
        "%test.n %test.json[even]",
        "test.even = true",
    ]);
    assert_eq!(text, "2 true\n4 true\n");
    // No params: 5 events; 0: none.
    assert_eq!(
        ok(&["read", "-H", so(), "-I", "scapkit_test"])
            .lines()
            .count(),
        5
    );
    assert_eq!(ok(&["read", "-H", so(), "-I", "scapkit_test:0"]), "");
}

#[test]
fn record_and_read_back() {
    let out = tmp("testplugin.scap");
    let outs = out.to_str().unwrap();
    ok(&["record", "-H", so(), "-I", "scapkit_test:5", "-w", outs]);
    let live = ok(&["read", "-H", so(), "-I", "scapkit_test:5"]);
    let replay = ok(&["read", "-H", so(), outs]);
    assert_eq!(
        replay, live,
        "same evt.plugininfo lines with the plugin loaded"
    );
    let fields = "%evt.num %evt.rawtime %test.n %test.msg %test.list_u64";
    assert_eq!(
        ok(&["read", "-H", so(), outs, "-p", fields]),
        ok(&["read", "-H", so(), "-I", "scapkit_test:5", "-p", fields])
    );
    // Without the plugin: the raw payload (libsinsp's fallback), same timestamps.
    let raw = ok(&["read", outs, "-p", "%evt.num %evt.rawtime %evt.plugininfo"]);
    assert_eq!(
        raw.lines().next().unwrap(),
        r#"1 1700000000001000000 {"n":1,"msg":"hello 1","even":false}"#
    );
    assert_eq!(raw.lines().count(), 5);
    // -n stops early.
    let two = tmp("testplugin2.scap");
    ok(&[
        "record",
        "-H",
        so(),
        "-I",
        "scapkit_test:1000",
        "-n",
        "2",
        "-w",
        two.to_str().unwrap(),
    ]);
    assert_eq!(ok(&["read", two.to_str().unwrap()]).lines().count(), 2);
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&two);
}

#[test]
fn bad_plugin_input() {
    // No such file and no built-in of that name.
    let err = fails(&["plugins", "-H", "/nonexistent.so"]);
    assert!(
        err.contains("plugin 'nonexistent'") && err.contains("no file '/nonexistent.so'"),
        "{err}"
    );
    fails(&["read", "-H", "/nonexistent.so", "-I", "nonexistent"]);
    // Not a shared library.
    for args in [
        &["plugins", "-H", "/etc/hostname"][..],
        &["read", "-H", "/etc/hostname", "-I", "hostname"],
        &["fields", "-H", "/etc/hostname"],
    ] {
        let err = fails(args);
        assert!(err.contains("plugin /etc/hostname: cannot load"), "{err}");
    }
    // No such source.
    let err = fails(&["read", "-I", "nosuchsource"]);
    assert!(
        err.contains("-I nosuchsource") && err.contains("no plugin named"),
        "{err}"
    );
    // A source that is not a source plugin.
    let err = fails(&["read", "-I", "json"]);
    assert!(err.contains("json"), "{err}");
    // Bad open params: the plugin's message, quoting them.
    let want = r#"plugin scapkit_test: open failed (FAILURE): invalid open params "lots""#;
    let err = fails(&["read", "-H", so(), "-I", "scapkit_test:lots"]);
    assert!(err.contains(want), "{err}");
    let out = tmp("never.scap");
    let err = fails(&[
        "record",
        "-H",
        so(),
        "-I",
        "scapkit_test:lots",
        "-w",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains(want), "{err}");
    assert!(!out.exists(), "no capture written after a failed open");
    // Bad init config: refused by the host (not JSON) or by the plugin (wrong type).
    let err = fails(&["plugins", "-H", &format!("{}:notjson", so())]);
    assert!(err.contains("plugin scapkit_test: invalid config"), "{err}");
    let err = fails(&["plugins", "-H", &format!(r#"{}:{{"tid":"x"}}"#, so())]);
    assert!(err.contains("plugin scapkit_test: init failed"), "{err}");
    // The same plugin twice.
    let err = fails(&["plugins", "-H", so(), "-H", so()]);
    assert!(
        err.contains("scapkit_test") && err.contains("already loaded"),
        "{err}"
    );
    // A field that needs an argument, or of an unknown plugin.
    let err = fails(&[
        "read",
        "-H",
        so(),
        "-I",
        "scapkit_test:1",
        "-p",
        "%test.item",
    ]);
    assert!(err.contains("test.item"), "{err}");
}
