//! Every sample log in shared/cloudtrail: the records that become events must
//! be exactly those `expected-matches.json` marks as emitted.

// Test helpers outside #[test] fns: the workspace test exemption applies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cloudtrail::fetch::{Feed, Poll};
use cloudtrail::fields::Parsed;
use cloudtrail::records::parse_file;
use std::path::PathBuf;
use std::time::Duration;

fn shared() -> Option<PathBuf> {
    let p = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared"))
        });
    p.join("cloudtrail").is_dir().then_some(p)
}

fn event_name(bytes: &[u8]) -> Option<String> {
    let p = Parsed::new(bytes).ok()?;
    p.record()?.str_at(&["eventName"])
}

#[test]
fn emitted_records_match_expectations() {
    let Some(shared) = shared() else {
        eprintln!("skipped: cloudtrail corpus test (../shared not found)");
        return;
    };
    let dir = shared.join("cloudtrail");
    let text = std::fs::read_to_string(dir.join("expected-matches.json")).unwrap();
    let exp: serde_json::Value = serde_json::from_str(&text).unwrap();
    let files = exp["files"].as_object().unwrap();
    let mut total = 0;
    for (rel, e) in files {
        let data = std::fs::read(dir.join(rel)).unwrap();
        let parsed = parse_file(rel, data);
        let want = e["events_emitted"].as_u64().unwrap() as usize;
        assert_eq!(parsed.records.len(), want, "{rel}: {:?}", parsed.problems);
        if let Some(recs) = e.get("records").and_then(|r| r.as_array()) {
            let want_names: Vec<Option<String>> = recs
                .iter()
                .filter(|r| r["emitted"].as_bool().unwrap())
                .map(|r| r["eventName"].as_str().map(str::to_string))
                .collect();
            let got: Vec<Option<String>> = parsed
                .records
                .iter()
                .map(|r| event_name(parsed.bytes(r)))
                .collect();
            assert_eq!(got, want_names, "{rel}");
        }
        // Payloads are the file's own bytes and start with '{'.
        for r in &parsed.records {
            assert_eq!(parsed.bytes(r).first(), Some(&b'{'));
        }
        total += want;
    }
    // Every sample file is listed.
    let mut on_disk = 0;
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for ent in std::fs::read_dir(d).unwrap() {
            let p = ent.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if cloudtrail::records::is_log_name(&p.to_string_lossy())
                && !p.ends_with("expected-matches.json")
                && !p.ends_with("MANIFEST.json")
            {
                on_disk += 1;
                let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
                assert!(
                    files.contains_key(&rel),
                    "{rel} not in expected-matches.json"
                );
            }
        }
    }
    assert_eq!(on_disk, files.len());
    assert!(total > 100);
}

#[test]
fn gz_and_plain_give_the_same_records() {
    let Some(shared) = shared() else {
        eprintln!("skipped: cloudtrail gzip test (../shared not found)");
        return;
    };
    let d = shared.join("cloudtrail/aws-cloudtrail-processing-library");
    let a = parse_file(
        "x.json",
        std::fs::read(d.join("SerializerTestFileCompact.json")).unwrap(),
    );
    let b = parse_file(
        "x.json.gz",
        std::fs::read(d.join("SerializerTestFileCompact.json.gz")).unwrap(),
    );
    assert_eq!(a.records, b.records);
    assert_eq!(a.content, b.content);
}

#[test]
fn bad_files_are_reported_and_the_rest_is_read() {
    let Some(shared) = shared() else {
        eprintln!("skipped: cloudtrail bad-file test (../shared not found)");
        return;
    };
    let src = shared.join("cloudtrail/aws-cloudtrail-processing-library");
    let tmp = std::env::temp_dir().join(format!("ct-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let good = std::fs::read(src.join("SerializerTestFile.json")).unwrap();
    std::fs::write(
        tmp.join("1-bad.json"),
        std::fs::read(src.join("SerializerTestFileBadJsonFormat.json")).unwrap(),
    )
    .unwrap();
    // Cut inside the third record: the first two survive.
    let third = {
        let s = cloudtrail::records::split_records(&good);
        s.spans[2].start + 10
    };
    std::fs::write(tmp.join("2-truncated.json"), &good[..third]).unwrap();
    std::fs::write(tmp.join("3-notjson.json"), b"hello world").unwrap();
    std::fs::write(tmp.join("4-badgzip.json.gz"), b"not gzip").unwrap();
    std::fs::write(tmp.join("5-good.json"), &good).unwrap();

    let mut feed = Feed::local(&tmp).unwrap();
    let mut per_file = Vec::new();
    loop {
        match feed.next_file(Duration::from_millis(10)) {
            Poll::File(f) => {
                let name = f.name.clone();
                let p = parse_file(&f.name, f.data);
                per_file.push((name, p.records.len(), p.problems));
            }
            Poll::Done => break,
            other => panic!("{other:?}"),
        }
    }
    let counts: Vec<usize> = per_file.iter().map(|f| f.1).collect();
    assert_eq!(counts, [0, 2, 0, 0, 6]);
    for (name, _, problems) in &per_file[..4] {
        assert!(!problems.is_empty(), "{name}");
        for p in problems {
            assert!(p.starts_with(name.as_str()), "{p}");
        }
    }
    assert!(
        per_file[0].2.iter().any(|p| p.contains("not valid JSON")),
        "{:?}",
        per_file[0].2
    );
    assert!(
        per_file[1].2.iter().any(|p| p.contains("truncated")),
        "{:?}",
        per_file[1].2
    );
    assert!(
        per_file[2]
            .2
            .iter()
            .any(|p| p.contains("not a JSON object")),
        "{:?}",
        per_file[2].2
    );
    assert!(
        per_file[3].2.iter().any(|p| p.contains("gzip")),
        "{:?}",
        per_file[3].2
    );
    assert!(per_file[4].2.is_empty());
    std::fs::remove_dir_all(&tmp).unwrap();
}
