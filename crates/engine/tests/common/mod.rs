//! Helpers shared by the engine's corpus tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// `../shared` (or `$SCAPKIT_SHARED`) when it holds the captures.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    dir.join("captures").is_dir().then_some(dir)
}

/// Every corpus capture, sorted; `None` (after saying so on stderr) without `../shared`.
pub fn captures(what: &str) -> Option<Vec<PathBuf>> {
    let Some(shared) = shared() else {
        eprintln!("skipped: {what} (../shared not found)");
        return None;
    };
    let mut scaps: Vec<PathBuf> = std::fs::read_dir(shared.join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    scaps.sort();
    Some(scaps)
}
