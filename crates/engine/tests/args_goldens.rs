//! `evt.args`, the default line and `-j` against sysdig 0.29.3's reference outputs.
//!
//! Captures whose output already matches fully are asserted line for line; for the others the
//! match ratio is printed (their remaining differences come from state, numbering and the
//! generic-syscall category table, not from parameter rendering).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use engine::output::{Format, JsonWriter, LineWriter, DEFAULT_FORMAT};
use engine::session::{EventCtx, Hidden, Session, Sink};
use scap::Capture;

fn shared() -> Option<PathBuf> {
    let p = std::env::var("SCAPKIT_SHARED").map_or_else(
        |_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
        PathBuf::from,
    );
    p.join("captures/golden").is_dir().then_some(p)
}

const P_FORMAT: &str =
    "%evt.num %evt.time %evt.cpu %proc.name %thread.tid %evt.dir %evt.type %evt.args";

/// Captures whose p, default and JSON outputs match sysdig byte for byte.
const FULL: &[&str] = &[
    "falco_cat_write",
    "falco_empty_2016",
    "falco_empty_2019",
    "falco_open_multiple_files",
    "falco_ping_sendto",
    "falco_psp_privileged",
    "falco_psp_run_as_user_65534_container",
    "falco_psp_write_tmp_test",
    "falco_syscall",
];

/// Every capture with plain goldens (the k8s one is large and gzipped: left to the CLI).
const OTHERS: &[&str] = &[
    "bencer_ex0_nginx",
    "bencer_ex4_example4-1",
    "bencer_ex4_example4-2",
    "bencer_ex5_httpd",
    "bencer_ex5_nginx",
    "falco_connect_localhost",
    "falco_psp_run_as_user_0_container",
    "libs_e2e_curl_google",
    "libs_e2e_single_ipv6_conn",
    "libs_e2e_test_ipv6_client",
    "libs_sample",
];

enum Writer {
    Line(LineWriter),
    Json(JsonWriter),
}

struct Collect {
    w: Writer,
    out: Vec<u8>,
}

impl Sink for Collect {
    type Error = std::convert::Infallible;
    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        if ctx.hidden == Hidden::No {
            match &mut self.w {
                Writer::Line(l) => l.write(ctx, &mut self.out),
                Writer::Json(j) => j.write(ctx, &mut self.out),
            };
        }
        Ok(true)
    }
}

fn render(capture: &Capture, kind: &str) -> String {
    let w = match kind {
        "p" => Writer::Line(LineWriter::new(&Format::parse(P_FORMAT).unwrap())),
        "default" => Writer::Line(LineWriter::new(&Format::parse(DEFAULT_FORMAT).unwrap())),
        _ => Writer::Json(JsonWriter::new(&Format::parse(DEFAULT_FORMAT).unwrap())),
    };
    let mut sink = Collect { w, out: Vec::new() };
    let caps = std::slice::from_ref(capture);
    Session::new(caps).run(&mut sink, None).unwrap();
    String::from_utf8_lossy(&sink.out).into_owned()
}

/// (matching lines, golden lines), comparing as multisets.
fn score(golden: &str, ours: &str) -> (usize, usize) {
    let mut want: HashMap<&str, usize> = HashMap::new();
    for l in golden.lines() {
        *want.entry(l).or_default() += 1;
    }
    let mut ok = 0;
    for l in ours.lines() {
        if let Some(n) = want.get_mut(l) {
            if *n > 0 {
                *n -= 1;
                ok += 1;
            }
        }
    }
    (ok, golden.lines().count())
}

#[test]
fn args_match_sysdig_goldens() {
    // sysdig's goldens were made with TZ=UTC.
    std::env::set_var("TZ", "UTC");
    let Some(shared) = shared() else {
        eprintln!("skipped: args goldens (../shared not found)");
        return;
    };
    let dir = shared.join("captures");
    let mut total = (0, 0);
    for (name, must_match) in FULL
        .iter()
        .map(|n| (n, true))
        .chain(OTHERS.iter().map(|n| (n, false)))
    {
        let capture = Capture::open(dir.join(format!("{name}.scap"))).unwrap();
        for kind in ["p", "default", "json"] {
            let Ok(golden) = std::fs::read_to_string(dir.join(format!("golden/{name}.{kind}.txt")))
            else {
                continue;
            };
            let ours = render(&capture, kind);
            if must_match {
                for (i, (g, o)) in golden.lines().zip(ours.lines()).enumerate() {
                    assert_eq!(o, g, "{name}.{kind} line {}", i + 1);
                }
                assert_eq!(
                    ours.lines().count(),
                    golden.lines().count(),
                    "{name}.{kind}"
                );
            }
            let (ok, n) = score(&golden, &ours);
            eprintln!("{name}.{kind}: {ok}/{n} lines match");
            total.0 += ok;
            total.1 += n;
        }
    }
    eprintln!("total: {}/{} lines match", total.0, total.1);
}
