//! The fields added for the Falco rules, on corpus captures that have data for them.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use engine::fields::{self, registry, Field, Value};
use engine::query::EventFilter;
use engine::session::{EventCtx, Hidden, Session, Sink};
use scap::Capture;

fn capture(name: &str) -> Option<Capture> {
    let dir = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let path = dir.join("captures").join(name);
    if !path.is_file() {
        eprintln!("skipped: {name} (../shared not found)");
        return None;
    }
    Some(Capture::open(&path).unwrap())
}

struct Rows {
    filter: EventFilter,
    fields: Vec<Field>,
    rows: Vec<Vec<String>>,
}

fn text(v: Option<Value<'_>>) -> String {
    match v {
        None => "<NA>".into(),
        Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Value::I64(n)) => n.to_string(),
        Some(Value::U64(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Double(d)) => d.to_string(),
        Some(Value::Ip(ip)) => ip.to_string(),
        Some(Value::Net(ip, p)) => format!("{ip}/{p}"),
    }
}

impl Sink for Rows {
    type Error = std::convert::Infallible;

    fn event(&mut self, ctx: &EventCtx<'_>) -> Result<bool, Self::Error> {
        if ctx.hidden != Hidden::No || !self.filter.matches(ctx) {
            return Ok(true);
        }
        let mut scratch = fields::Scratch::default();
        let row = self
            .fields
            .iter()
            .map(|f| text(fields::extract(ctx, f, &mut scratch)))
            .collect();
        self.rows.push(row);
        Ok(true)
    }
}

/// The values of `names` for the events of `cap` that match `filter`.
fn rows(cap: Capture, filter: &str, names: &[&str]) -> Vec<Vec<String>> {
    let fields = names
        .iter()
        .map(|n| {
            let (def, arg) = registry::resolve_name(n).unwrap();
            Field::builtin(def, arg.map(Into::into))
        })
        .collect();
    let mut sink = Rows {
        filter: EventFilter::compile(filter).unwrap(),
        fields,
        rows: Vec::new(),
    };
    let caps = [cap];
    Session::new(&caps).run(&mut sink, None).unwrap();
    sink.rows
}

#[test]
fn server_network_of_an_ipv4_socket() {
    let Some(cap) = capture("bencer_ex0_nginx.scap") else {
        return;
    };
    let all = rows(cap, "fd.typechar = 4", &["fd.sip", "fd.cip"]);
    assert!(!all.is_empty());
    let Some(cap) = capture("bencer_ex0_nginx.scap") else {
        return;
    };
    let private = rows(
        cap,
        "fd.snet in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
        &["fd.sip", "fd.snet", "fd.net"],
    );
    assert!(!private.is_empty());
    for r in &private {
        assert!(r[0].starts_with("172.18."), "{r:?}");
        // Filter-only in libsinsp: fd.net has no single value to print.
        assert_eq!(r[2], "<NA>");
    }
    // fd.net matches either side; a wrong network matches nothing.
    let Some(cap) = capture("bencer_ex0_nginx.scap") else {
        return;
    };
    assert_eq!(
        rows(cap, "fd.net = 172.16.0.0/12", &["fd.num"]).len(),
        private.len()
    );
    let Some(cap) = capture("bencer_ex0_nginx.scap") else {
        return;
    };
    assert!(rows(cap, "fd.snet = 10.0.0.0/8", &["fd.num"]).is_empty());
}

#[test]
fn connect_renames_its_socket() {
    let Some(cap) = capture("falco_connect_localhost.scap") else {
        return;
    };
    let r = rows(
        cap,
        "evt.type = connect and evt.dir = < and fd.snet = 127.0.0.0/8",
        &["fd.name", "fd.name_changed", "fd.sip.name"],
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0][1], "true");
    // No DNS data in a capture.
    assert_eq!(r[0][2], "<NA>");
}

#[test]
fn capabilities_and_executable_from_the_process_list() {
    let Some(cap) = capture("libs_sample.scap") else {
        return;
    };
    let r = rows(
        cap,
        "proc.name = haveged",
        &[
            "thread.cap_effective",
            "thread.cap_permitted",
            "proc.exe_ino",
            "proc.exe_ino.ctime",
            "proc.is_exe_writable",
            "proc.is_exe_upper_layer",
            "proc.is_exe_from_memfd",
        ],
    );
    assert!(!r.is_empty());
    assert_eq!(r[0][0], "CAP_SYS_ADMIN");
    assert_eq!(
        r[0][2..],
        ["1475615", "1680133201130714090", "true", "false", "false"]
    );
    let Some(cap) = capture("libs_sample.scap") else {
        return;
    };
    // Filters use the names, as Falco rules do.
    let r = rows(
        cap,
        "thread.cap_effective contains CAP_SYS_ADMIN and thread.cap_effective icontains sys_module",
        &["proc.name"],
    );
    assert!(r.iter().any(|r| r[0] == "containerd"));
    assert!(!r.iter().any(|r| r[0] == "haveged"));
}

#[test]
fn open_modes_and_paths() {
    let Some(cap) = capture("falco_psp_write_tmp_test.scap") else {
        return;
    };
    let r = rows(
        cap,
        "evt.type = open",
        &[
            "evt.dir",
            "evt.is_open_read",
            "evt.is_open_write",
            "evt.is_open_exec",
            "fs.path.name",
            "fs.path.nameraw",
        ],
    );
    let exit: Vec<_> = r.iter().filter(|r| r[0] == "<").collect();
    assert_eq!(exit.len(), 1);
    assert_eq!(
        exit[0][1..],
        ["false", "true", "false", "/tmp/test", "/tmp/test"]
    );
    let enter: Vec<_> = r.iter().filter(|r| r[0] == ">").collect();
    assert!(enter
        .iter()
        .all(|r| r[1..] == ["false", "false", "false", "<NA>", "<NA>"]));

    let Some(cap) = capture("falco_cat_write.scap") else {
        return;
    };
    let r = rows(
        cap,
        "evt.is_open_read = true",
        &["fd.name", "fs.path.name", "evt.is_open_write"],
    );
    assert!(!r.is_empty());
    for row in &r {
        assert_eq!(row[0], row[1]);
        assert_eq!(row[2], "false");
    }
}
