//! Thread state against sysdig 0.29.3: the `proc.name` and `thread.tid` columns of every
//! capture's `X.p.txt` golden (a format without `*`: events whose thread is unknown are not
//! printed, so this also checks which threads exist when).

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::PathBuf;

mod common;
use common::shared;

use engine::fields::{self, Field};
use engine::session::{EventCtx, Hidden, Session, Sink};
use scap::Capture;

struct Columns {
    name: Field,
    tid: Field,
    lines: Vec<String>,
}

impl Sink for Columns {
    type Error = std::convert::Infallible;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        if ctx.hidden != Hidden::No {
            return Ok(true);
        }
        // Without `*`, sysdig skips events with a field it cannot resolve.
        let (mut s1, mut s2) = (fields::Scratch::default(), fields::Scratch::default());
        let Some(name) = fields::extract(ctx, &self.name, &mut s1) else {
            return Ok(true);
        };
        let tid = fields::extract(ctx, &self.tid, &mut s2)
            .and_then(|v| v.as_i64())
            .unwrap();
        let name = String::from_utf8_lossy(name.as_bytes().unwrap()).into_owned();
        self.lines.push(format!("{name} {tid}"));
        Ok(true)
    }
}

fn golden_columns(path: &PathBuf) -> Vec<String> {
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        let f = std::fs::File::open(path).unwrap();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = std::fs::read_to_string(path).unwrap();
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let cols: Vec<&str> = l.split(' ').collect();
            // Lines continuing a multi-line argument have no time column.
            (cols.len() >= 7 && cols.get(1).is_some_and(|t| t.contains(':')))
                .then(|| format!("{} {}", cols[3], cols[4]))
        })
        .collect()
}

#[test]
fn proc_name_and_tid_match_sysdig() {
    let Some(shared) = shared() else {
        eprintln!("skipped: state goldens (../shared not found)");
        return;
    };
    let dir = shared.join("captures");
    let mut scaps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scap"))
        .collect();
    scaps.sort();
    assert_eq!(scaps.len(), 21, "expected the 21 corpus captures");
    let mut failures = Vec::new();
    for scap_path in &scaps {
        let stem = scap_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let golden = dir.join("golden").join(format!("{stem}.p.txt"));
        let golden = if golden.exists() {
            golden
        } else {
            dir.join("golden").join(format!("{stem}.p.txt.gz"))
        };
        let want = golden_columns(&golden);
        let captures = [Capture::open(scap_path).unwrap()];
        let mut sink = Columns {
            name: Field::builtin(fields::lookup("proc.name").unwrap(), None),
            tid: Field::builtin(fields::lookup("thread.tid").unwrap(), None),
            lines: Vec::new(),
        };
        Session::new(&captures).run(&mut sink, None).unwrap();
        if sink.lines != want {
            let at = sink
                .lines
                .iter()
                .zip(&want)
                .position(|(a, b)| a != b)
                .unwrap_or(want.len().min(sink.lines.len()));
            failures.push(format!(
                "{stem}: {} lines vs {} in the golden, first difference at line {}: {:?} vs {:?}",
                sink.lines.len(),
                want.len(),
                at + 1,
                sink.lines.get(at),
                want.get(at)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
