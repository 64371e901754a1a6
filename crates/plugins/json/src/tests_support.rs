//! Sample CloudTrail records from `../shared/cloudtrail` for the unit tests.

use crate::doc::{Doc, Kind};
use std::path::PathBuf;

fn shared() -> PathBuf {
    std::env::var_os("SCAPKIT_SHARED").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared")),
        PathBuf::from,
    )
}

/// The bytes of every record of every `{"Records":[...]}` file under `cloudtrail/falco`,
/// `cloudtrail/panther-analysis` and `cloudtrail/stratus-red-team/records`, or `None` (after
/// printing the skip notice) when the shared folder is absent.
pub fn cloudtrail_records() -> Option<Vec<Vec<u8>>> {
    let root = shared().join("cloudtrail");
    if !root.is_dir() {
        eprintln!("skipped: CloudTrail sample records (../shared not found)");
        return None;
    }
    let mut files = Vec::new();
    for dir in ["falco", "panther-analysis", "stratus-red-team/records"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    let mut doc = Doc::default();
    for f in files {
        let src = std::fs::read(&f).unwrap();
        if doc.parse(&src).is_err() {
            continue;
        }
        let root = doc.root().unwrap();
        let Some(recs) = doc.child(&src, root, b"Records") else {
            continue;
        };
        for i in 0.. {
            let Some(r) = doc.child(&src, recs, i.to_string().as_bytes()) else {
                break;
            };
            if doc.kind(r) == Some(Kind::Object) {
                out.push(src[doc.range(r).unwrap()].to_vec());
            }
        }
    }
    assert!(
        !out.is_empty(),
        "no CloudTrail records found under {}",
        root.display()
    );
    Some(out)
}
