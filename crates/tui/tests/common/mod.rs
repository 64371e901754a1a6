//! Helpers shared by the CLI's integration tests: locating `../shared`, running goldens.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared folder (`SCAPKIT_SHARED`, else `../shared` beside the checkout).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    dir.join("captures").is_dir().then_some(dir)
}

/// The shared folder, or `None` after printing why the calling test is skipped.
pub fn shared_or_skip(what: &str) -> Option<PathBuf> {
    let d = shared_dir();
    if d.is_none() {
        eprintln!("skipped: {what} (../shared not found; set SCAPKIT_SHARED)");
    }
    d
}

/// One golden: the sysdig command line that made it and its expected output.
#[derive(Debug)]
pub struct Golden {
    /// e.g. `falco_cat_write.all`.
    pub name: String,
    /// sysdig's arguments (after `sysdig`).
    pub args: Vec<String>,
    /// Expected stdout.
    pub expected: Vec<u8>,
}

/// Split a POSIX shell command line made of words and single-quoted words.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Every golden of the corpus whose name ends with `.{kind}` (kind `all`, `p`, `f_open`...),
/// or all of them when `kind` is `None`.
pub fn goldens(shared: &Path, kind: Option<&str>) -> Vec<Golden> {
    let dir = shared.join("captures/golden");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cmd"))
        .collect();
    entries.sort();
    for cmd in entries {
        let name = cmd.file_stem().unwrap().to_string_lossy().to_string();
        if let Some(k) = kind {
            if name.rsplit('.').next() != Some(k) {
                continue;
            }
        }
        let text = std::fs::read_to_string(&cmd).unwrap();
        let first = text.lines().next().unwrap();
        let cmdline = first.split(" > ").next().unwrap();
        let words = shell_words(cmdline);
        let at = words.iter().position(|w| w == "sysdig").unwrap();
        let args = words[at + 1..].to_vec();
        let txt = dir.join(format!("{name}.txt"));
        let expected = if txt.exists() {
            std::fs::read(&txt).unwrap()
        } else {
            let gz = std::fs::File::open(dir.join(format!("{name}.txt.gz"))).unwrap();
            let mut v = Vec::new();
            flate2::read::MultiGzDecoder::new(gz)
                .read_to_end(&mut v)
                .unwrap();
            v
        };
        out.push(Golden {
            name,
            args,
            expected,
        });
    }
    out
}

/// Run `scapkit read ARGS` in the captures folder with TZ=UTC; returns stdout and status.
pub fn run_read(shared: &Path, args: &[String]) -> (Vec<u8>, i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scapkit"))
        .arg("read")
        .arg("--no-progress")
        .args(args)
        .current_dir(shared.join("captures"))
        .env("TZ", "UTC")
        .output()
        .expect("run scapkit");
    (
        out.stdout,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// First differing line of two outputs, for a readable failure.
pub fn first_diff(got: &[u8], want: &[u8]) -> String {
    let g: Vec<&[u8]> = got.split(|b| *b == b'\n').collect();
    let w: Vec<&[u8]> = want.split(|b| *b == b'\n').collect();
    for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
        if a != b {
            return format!(
                "line {}:\n  got:  {}\n  want: {}",
                i + 1,
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
    }
    format!("line counts differ: got {} want {}", g.len(), w.len())
}

/// Subtract `by` from the evt.num that starts each line (text or `"evt.num":N` in JSON).
pub fn renumber(out: &[u8], by: u64) -> Vec<u8> {
    let text = String::from_utf8_lossy(out);
    let mut res = String::new();
    for line in text.lines() {
        if let Some(at) = line.find("\"evt.num\":") {
            let start = at + "\"evt.num\":".len();
            let end = line[start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(line.len(), |e| start + e);
            let n: u64 = line[start..end].parse().unwrap_or(0);
            res.push_str(&format!(
                "{}{}{}\n",
                &line[..start],
                n.saturating_sub(by),
                &line[end..]
            ));
            continue;
        }
        match line.split_once(' ') {
            Some((num, rest)) if num.parse::<u64>().is_ok() => {
                let n: u64 = num.parse().unwrap();
                res.push_str(&format!("{} {rest}\n", n.saturating_sub(by)));
            }
            _ => {
                res.push_str(line);
                res.push('\n');
            }
        }
    }
    res.into_bytes()
}

/// Lines of `want` that `got` has at the same position, and the number of lines in `want`.
pub fn matching_lines(got: &[u8], want: &[u8]) -> (usize, usize) {
    let g: Vec<&[u8]> = got.split(|b| *b == b'\n').collect();
    let w: Vec<&[u8]> = want.split(|b| *b == b'\n').collect();
    let ok = g.iter().zip(w.iter()).filter(|(a, b)| a == b).count();
    (ok, w.len())
}
