//! The built-in CloudTrail and JSON plugins through the command line, on the real
//! CloudTrail logs in `../shared/cloudtrail` (with `expected-matches.json`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scapkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scapkit"))
        .arg(args[0])
        .arg("--no-progress")
        .args(&args[1..])
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scapkit-ct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn cloudtrail_dir() -> Option<PathBuf> {
    let shared = common::shared_or_skip("CloudTrail plugin tests")?;
    Some(shared.join("cloudtrail"))
}

#[test]
fn every_sample_gives_the_expected_events() {
    let Some(dir) = cloudtrail_dir() else { return };
    let text = std::fs::read_to_string(dir.join("expected-matches.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let files = expected["files"].as_object().unwrap();
    assert!(files.len() > 20);
    for (rel, want) in files {
        let path = dir.join(rel);
        let input = format!("cloudtrail:{}", path.display());
        let out = scapkit(&[
            "read",
            "-I",
            &input,
            "-p",
            "*%ct.name|%json.value[/eventName]",
        ]);
        assert!(
            out.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Files with no per-record list (bare arrays) emit nothing.
        let records = want["records"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = records
            .iter()
            .filter(|r| r["emitted"] == true)
            .map(|r| r["eventName"].as_str().unwrap_or("<NA>").to_string())
            .collect();
        let got: Vec<String> = lines(&out);
        assert_eq!(
            got.len() as u64,
            want["events_emitted"].as_u64().unwrap(),
            "{rel}"
        );
        for (g, n) in got.iter().zip(&names) {
            // The CloudTrail field and the JSON plugin's pointer agree with the record.
            assert_eq!(g, &format!("{n}|{n}"), "{rel}");
        }
    }
}

#[test]
fn record_then_read_back() {
    let Some(dir) = cloudtrail_dir() else { return };
    // Every sample log at once: the directory is read recursively.
    let input = format!("cloudtrail:{}", dir.display());
    let live = scapkit(&["read", "-I", &input]);
    assert!(live.status.success());
    let out = tmp("all-logs.scap.gz");
    let rec = scapkit(&["record", "-I", &input, "-w", out.to_str().unwrap(), "-z"]);
    assert!(
        rec.status.success(),
        "{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    let back = scapkit(&["read", out.to_str().unwrap()]);
    assert!(back.status.success());
    assert!(!live.stdout.is_empty());
    assert_eq!(lines(&back), lines(&live));
    // Plugin events: tid -1, type 322, plugin id 2 in a LARGE block.
    let cap = scap::Capture::open(&out).unwrap();
    for ev in cap.events() {
        let ev = ev.unwrap();
        assert_eq!(ev.event_type(), 322);
        assert_eq!(ev.tid(), u64::MAX);
        assert_eq!(ev.param(0), Some(&2u32.to_le_bytes()[..]));
    }
}

#[test]
fn syscall_and_plugin_events_in_one_capture() {
    let Some(dir) = cloudtrail_dir() else { return };
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample.scap");
    let input = format!(
        "cloudtrail:{}",
        dir.join("falco/alice_start_instances.json").display()
    );
    let mixed = tmp("mixed.scap");
    let rec = scapkit(&[
        "record",
        "-r",
        sample.to_str().unwrap(),
        "-I",
        &input,
        "-w",
        mixed.to_str().unwrap(),
    ]);
    assert!(
        rec.status.success(),
        "{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    let m = mixed.to_str().unwrap();
    let all = lines(&scapkit(&["read", m]));
    // The 2014 CloudTrail record sorts before the 2026 syscalls.
    assert!(
        all[0].contains("[cloudtrail]") && all[0].contains("StartInstances"),
        "{}",
        all[0]
    );
    assert!(all.iter().any(|l| l.contains("cat (1201) < openat")));
    // Plugin fields apply to their source only, syscall fields to syscalls only.
    let ct = lines(&scapkit(&["read", m, "ct.name=StartInstances"]));
    assert_eq!(ct.len(), 1);
    let sys = lines(&scapkit(&["read", m, "-p", "%proc.name", "proc.name=cat"]));
    assert!(!sys.is_empty() && sys.iter().all(|l| l == "cat"));
    // Without the plugin the payload still shows.
    let raw = lines(&scapkit(&["read", m, "--no-builtin-plugins", "-n", "1"]));
    assert!(raw.iter().any(|l| l.contains("StartInstances")), "{raw:?}");
}

#[test]
fn falco_yaml_plugins_and_errors() {
    let Some(dir) = cloudtrail_dir() else { return };
    let yaml = tmp("falco.yaml");
    std::fs::write(
        &yaml,
        format!(
            "plugins:\n  - name: cloudtrail\n    library_path: libcloudtrail.so\n    init_config:\n      sqsDelete: false\n    open_params: \"{}\"\n  - name: json\n    library_path: libjson.so\n    init_config: \"\"\nload_plugins: [cloudtrail, json]\n",
            dir.join("falco").display()
        ),
    )
    .unwrap();
    let out = scapkit(&["read", "-c", yaml.to_str().unwrap(), "-p", "%ct.name"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out), ["StartInstances"]);

    let bad = scapkit(&["read", "-H", "/nonexistent/libnope.so", "-I", "nope"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope"));
    let notlib = scapkit(&["read", "-H", "/etc/hostname", "-I", "hostname"]);
    assert_eq!(notlib.status.code(), Some(1));
    let unknown = scapkit(&["read", "-I", "nosuchsource:x"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nosuchsource"));
    let badopen = scapkit(&["read", "-I", "cloudtrail:/nonexistent/dir"]);
    assert_eq!(badopen.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&badopen.stderr).contains("cloudtrail"));
}
