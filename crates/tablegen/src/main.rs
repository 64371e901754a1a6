//! Generates `crates/scap/src/table/{current,sysdig029}.rs` from the event-table JSON facts in
//! `shared/spec/` (schema: `shared/spec/EVENT-TABLE.md`).
//!
//! ```text
//! cargo run -p tablegen                               # regenerate both default tables
//! cargo run -p tablegen -- <in.json> <out.rs> <label> # one table
//! cargo run -p tablegen -- --check [<in> <out> <label>] # exit 1 if a committed file is stale
//! ```
//!
//! The output is piped through `rustfmt`, so `cargo fmt` never touches it and `--check` can
//! compare bytes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde_json::{Map, Value};

/// One table to generate. `input_shown` is what the header prints, so the output does not depend
/// on where the workspace is checked out.
struct Job {
    input: PathBuf,
    input_shown: String,
    command: String,
    output: PathBuf,
    label: String,
}

/// `ParamType` variants of `scap::table`, indexed by `ppm_param_type` id. Must follow mod.rs.
const PARAM_TYPES: [&str; 49] = [
    "None",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Uint8",
    "Uint16",
    "Uint32",
    "Uint64",
    "Charbuf",
    "Bytebuf",
    "Errno",
    "Sockaddr",
    "Socktuple",
    "Fd",
    "Pid",
    "Fdlist",
    "Fspath",
    "Syscallid",
    "Sigtype",
    "Reltime",
    "Abstime",
    "Port",
    "L4proto",
    "Sockfamily",
    "Bool",
    "Ipv4addr",
    "Dyn",
    "Flags8",
    "Flags16",
    "Flags32",
    "Uid",
    "Gid",
    "Double",
    "Sigset",
    "Charbufarray",
    "CharbufPairArray",
    "Ipv4net",
    "Ipv6addr",
    "Ipv6net",
    "Ipaddr",
    "Ipnet",
    "Mode",
    "Fsrelpath",
    "Enumflags8",
    "Enumflags16",
    "Enumflags32",
    "Fd32",
    "Pid32",
];

/// `PrintFormat` variants, indexed by `ppm_print_format` id. Must follow mod.rs.
const PRINT_FORMATS: [&str; 7] = ["Na", "Dec", "Hex", "PaddedDec", "Id", "Dir", "Oct"];

/// PT_* and PF_* names of one JSON file -> variant names in mod.rs.
struct Names {
    types: Vec<(String, &'static str)>,
    formats: Vec<(String, &'static str)>,
}

impl Names {
    /// Maps PT_*/PF_* names to variants through the JSON's numeric ids, and cross-checks the
    /// PT spelling so that a renumbering in either the JSON or mod.rs is caught here.
    fn new(doc: &Value) -> Result<Names> {
        let mut types = Vec::new();
        for pt in arr(doc, "param_types")? {
            let name = string(pt, "name")?;
            if name == "PT_MAX" {
                continue; // a count, not a type
            }
            let id = index(pt, "id")?;
            let variant = *PARAM_TYPES
                .get(id)
                .ok_or_else(|| anyhow!("{name}: id {id}"))?;
            let plain = name
                .trim_start_matches("PT_")
                .replace('_', "")
                .to_lowercase();
            ensure!(
                plain == variant.to_lowercase(),
                "{name} does not match ParamType::{variant}"
            );
            types.push((name.to_owned(), variant));
        }
        let mut formats = Vec::new();
        for pf in arr(doc, "print_formats")? {
            let id = index(pf, "id")?;
            let variant = PRINT_FORMATS
                .get(id)
                .ok_or_else(|| anyhow!("print format id {id}"))?;
            formats.push((string(pf, "name")?.to_owned(), *variant));
        }
        Ok(Names { types, formats })
    }

    fn ty(&self, pt: &str) -> Result<&'static str> {
        lookup(&self.types, pt).ok_or_else(|| anyhow!("unknown param type {pt}"))
    }

    fn fmt(&self, pf: &str) -> Result<&'static str> {
        lookup(&self.formats, pf).ok_or_else(|| anyhow!("unknown print format {pf}"))
    }
}

fn lookup(list: &[(String, &'static str)], key: &str) -> Option<&'static str> {
    list.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

fn main() -> Result<ExitCode> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    args.retain(|a| a != "--check");
    let jobs = match args.as_slice() {
        [] => default_jobs()?,
        [input, output, label] => vec![Job {
            input: PathBuf::from(input),
            input_shown: format!("`{input}`"),
            command: format!("cargo run -p tablegen -- {input} {output} {label:?}"),
            output: PathBuf::from(output),
            label: label.clone(),
        }],
        _ => bail!("usage: tablegen [--check] [<event-table.json> <out.rs> <label>]"),
    };

    let mut stale = false;
    for job in &jobs {
        let code = generate(job)?;
        if check {
            let committed = std::fs::read_to_string(&job.output).unwrap_or_default();
            if committed != code {
                eprintln!("stale: {} (run `{}`)", job.output.display(), job.command);
                stale = true;
            }
        } else {
            std::fs::write(&job.output, code)
                .with_context(|| format!("writing {}", job.output.display()))?;
            eprintln!("wrote {}", job.output.display());
        }
    }
    Ok(if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// crates/tablegen/../.. (`ancestors` rather than `join("../..")` keeps printed paths short).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

fn default_jobs() -> Result<Vec<Job>> {
    let root = workspace_root();
    let spec = root.join("../shared/spec");
    ensure!(
        spec.is_dir(),
        "{} not found; pass paths explicitly",
        spec.display()
    );
    let job = |json: &str, rs: &str, label: &str| Job {
        input: spec.join(json),
        input_shown: format!("`../shared/spec/{json}` (relative to the workspace root)"),
        command: "cargo run -p tablegen".to_owned(),
        output: root.join("crates/scap/src/table").join(rs),
        label: label.to_owned(),
    };
    Ok(vec![
        job("event-table.json", "current.rs", "libs 48dfd53 (2026-07)"),
        job(
            "event-table-0.29.json",
            "sysdig029.rs",
            "libs e5c53d6 (2022-03), sysdig 0.29.3",
        ),
    ])
}

/// Reads one JSON file and returns the formatted Rust module.
fn generate(job: &Job) -> Result<String> {
    let text = std::fs::read_to_string(&job.input)
        .with_context(|| format!("reading {}", job.input.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", job.input.display()))?;
    let raw = render(&doc, job).with_context(|| format!("in {}", job.input.display()))?;
    rustfmt(&raw)
}

/// Everything except formatting. Line breaks are left to rustfmt.
fn render(doc: &Value, job: &Job) -> Result<String> {
    let names = Names::new(doc)?;
    let flags_tables = obj(doc, "flags_tables")?;
    let dyn_tables = obj(doc, "dyn_params_tables")?;
    let mut out = String::new();

    header(&mut out, doc, job)?;
    out.push_str(
        "use super::{DynParam, EventInfo, FlagTable, ParamExtra, ParamInfo, ParamType, \
         PrintFormat, Table};\n\n",
    );
    writeln!(
        out,
        "pub(super) static TABLE: Table = Table {{ label: {:?}, events: &EVENTS, \
         syscalls: &SYSCALLS, errnos: &ERRNOS, signals: &SIGNALS, \
         fd_type_chars: &FD_TYPE_CHARS }};\n",
        job.label
    )?;

    // Events first; the flag and dyn tables they reference are collected on the way so that
    // only referenced ones are emitted (an unreferenced static would fail `-D warnings`).
    let mut used_flags: Vec<&str> = Vec::new();
    let mut used_dyn: Vec<(&str, usize)> = Vec::new();
    let events = arr(doc, "events")?;
    writeln!(out, "static EVENTS: [EventInfo; {}] = [", events.len())?;
    for (code, ev) in events.iter().enumerate() {
        ensure!(
            index(ev, "code")? == code,
            "events[] is not in code order at {code}"
        );
        let params = arr(ev, "params")?;
        ensure!(
            params.len() == index(ev, "nparams")?,
            "event {code}: nparams != params.len()"
        );
        ensure!(
            params.len() <= 32,
            "event {code}: more than PPM_MAX_EVENT_PARAMS params"
        );
        writeln!(
            out,
            "// {code}\nEventInfo {{ name: {:?}, ident: {:?}, category: {}, flags: {}, params: &[",
            string(ev, "name")?,
            string(ev, "enum")?,
            uint(ev, "category_value")?,
            uint(ev, "flags_value")?,
        )?;
        for p in params {
            let info = match p.get("info") {
                None | Some(Value::Null) => "ParamExtra::None".to_owned(),
                Some(info) => {
                    if let Some(ft) = info.get("flags_table") {
                        let ft = ft
                            .as_str()
                            .ok_or_else(|| anyhow!("event {code}: flags_table"))?;
                        ensure!(flags_tables.contains_key(ft), "event {code}: no table {ft}");
                        if !used_flags.contains(&ft) {
                            used_flags.push(ft);
                        }
                        format!("ParamExtra::Flags(&{})", ident("FT", ft))
                    } else if let Some(dt) = info.get("dyn_params") {
                        let dt = dt
                            .as_str()
                            .ok_or_else(|| anyhow!("event {code}: dyn_params"))?;
                        let ninfo = index(info, "ninfo")?;
                        if !used_dyn.contains(&(dt, ninfo)) {
                            used_dyn.push((dt, ninfo));
                        }
                        format!("ParamExtra::Dyn(&{})", dyn_ident(dyn_tables, dt, ninfo)?)
                    } else if info.get("dirfd_param").is_some() {
                        let i = u8::try_from(index(info, "dirfd_param")?)?;
                        format!("ParamExtra::DirFd({i})")
                    } else {
                        bail!("event {code}: unknown param info {info}");
                    }
                }
            };
            writeln!(
                out,
                "ParamInfo {{ name: {:?}, ty: ParamType::{}, fmt: PrintFormat::{}, info: {info} }},",
                string(p, "name")?,
                names.ty(string(p, "type")?)?,
                names.fmt(string(p, "print_format")?)?,
            )?;
        }
        out.push_str("] },\n");
    }
    out.push_str("];\n\n");

    // Flag tables in source order, including `only_if` entries (userspace compiles them in).
    for name in flags_tables
        .keys()
        .filter(|k| used_flags.contains(&k.as_str()))
    {
        let entries = flags_tables
            .get(name)
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("flags table {name} is not an array"))?;
        writeln!(
            out,
            "static {}: FlagTable = FlagTable {{ name: {name:?}, entries: &[",
            ident("FT", name)
        )?;
        for e in entries {
            write!(out, "({:?}, {}),", string(e, "name")?, uint(e, "value")?)?;
            match e.get("only_if").and_then(Value::as_str) {
                Some(cond) => writeln!(out, " // only_if: {cond}")?,
                None => out.push('\n'),
            }
        }
        out.push_str("] };\n\n");
    }
    let unused: Vec<&str> = flags_tables
        .keys()
        .map(String::as_str)
        .filter(|k| !used_flags.contains(k))
        .collect();
    if !unused.is_empty() {
        eprintln!("note: flags tables referenced by no param, not emitted: {unused:?}");
    }

    for &(name, ninfo) in &used_dyn {
        let entries = dyn_entries(dyn_tables, name)?;
        writeln!(
            out,
            "static {}: [DynParam; {ninfo}] = [",
            dyn_ident(dyn_tables, name, ninfo)?
        )?;
        for e in entries.iter().take(ninfo) {
            writeln!(
                out,
                "DynParam {{ name: {:?}, ty: ParamType::{}, fmt: PrintFormat::{} }},",
                string(e, "name")?,
                names.ty(string(e, "type")?)?,
                names.fmt(string(e, "print_format")?)?,
            )?;
        }
        out.push_str("];\n\n");
    }

    // Syscall names indexed by ppm_sc id; gaps (and nameless ids) become "" = unknown.
    let mut syscalls: Vec<String> = Vec::new();
    for sc in arr(doc, "syscall_names")? {
        let id = index(sc, "id")?;
        if syscalls.len() <= id {
            syscalls.resize(id + 1, String::new());
        }
        let slot = syscalls
            .get_mut(id)
            .ok_or_else(|| anyhow!("syscall id {id}"))?;
        ensure!(slot.is_empty(), "syscall id {id} listed twice");
        *slot = string(sc, "name")?.to_owned();
    }
    writeln!(out, "static SYSCALLS: [&str; {}] = [", syscalls.len())?;
    for (id, name) in syscalls.iter().enumerate() {
        writeln!(out, "{name:?}, // {id}")?;
    }
    out.push_str("];\n\n");

    for (key, stat) in [("errno_names", "ERRNOS"), ("signal_names", "SIGNALS")] {
        let list = arr(doc, key)?;
        writeln!(out, "static {stat}: [(u32, &str); {}] = [", list.len())?;
        for e in list {
            writeln!(out, "({}, {:?}),", uint(e, "value")?, string(e, "name")?)?;
        }
        out.push_str("];\n\n");
    }

    // fd type chars indexed by scap fd type; gaps get the JSON's default char.
    let default = single_char(string(doc, "fd_type_chars_default")?)?;
    let mut chars: Vec<Option<char>> = Vec::new();
    for fc in arr(doc, "fd_type_chars")? {
        let value = index(fc, "value")?;
        if chars.len() <= value {
            chars.resize(value + 1, None);
        }
        let slot = chars
            .get_mut(value)
            .ok_or_else(|| anyhow!("fd type {value}"))?;
        ensure!(slot.is_none(), "fd type {value} listed twice");
        *slot = Some(single_char(string(fc, "char")?)?);
    }
    writeln!(out, "static FD_TYPE_CHARS: [char; {}] = [", chars.len())?;
    for c in &chars {
        write!(out, "{:?}, ", c.unwrap_or(default))?;
    }
    out.push_str("];\n");
    Ok(out)
}

fn header(out: &mut String, doc: &Value, job: &Job) -> Result<()> {
    let source = doc.get("source").ok_or_else(|| anyhow!("missing source"))?;
    writeln!(
        out,
        "// @generated by tablegen (crates/tablegen). DO NOT EDIT."
    )?;
    writeln!(out, "//")?;
    writeln!(out, "// Event schema table: {}.", job.label)?;
    writeln!(out, "// Input: {}.", job.input_shown)?;
    writeln!(out, "// Regenerate: {}", job.command)?;
    writeln!(
        out,
        "// Check:      add `--check` (exits 1 if this file is stale)"
    )?;
    writeln!(out, "//")?;
    writeln!(out, "// source.repo:   {}", string(source, "repo")?)?;
    writeln!(out, "// source.commit: {}", string(source, "commit")?)?;
    writeln!(out, "// source.license_note:")?;
    for line in wrap(string(source, "license_note")?, 92) {
        writeln!(out, "//   {line}")?;
    }
    out.push('\n');
    Ok(())
}

/// Greedy word wrap for the header comment (rustfmt leaves comments alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `file_flags` -> `FT_FILE_FLAGS`.
fn ident(prefix: &str, name: &str) -> String {
    format!("{prefix}_{}", name.to_ascii_uppercase())
}

/// A dyn table truncated to `ninfo` entries gets its own static, so `&DYN_X` stays a whole array.
fn dyn_ident(tables: &Map<String, Value>, name: &str, ninfo: usize) -> Result<String> {
    let len = dyn_entries(tables, name)?.len();
    ensure!(
        ninfo <= len,
        "dyn table {name} has {len} entries, ninfo {ninfo}"
    );
    Ok(if ninfo == len {
        ident("DYN", name)
    } else {
        format!("{}_{ninfo}", ident("DYN", name))
    })
}

/// The entries of a dyn table in index order; the indices must be 0..n.
fn dyn_entries<'a>(tables: &'a Map<String, Value>, name: &str) -> Result<Vec<&'a Value>> {
    let list = tables
        .get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("no dyn table {name}"))?;
    let mut sorted: Vec<(usize, &Value)> = list
        .iter()
        .map(|e| Ok((index(e, "index")?, e)))
        .collect::<Result<_>>()?;
    sorted.sort_by_key(|(i, _)| *i);
    for (want, (got, _)) in sorted.iter().enumerate() {
        ensure!(want == *got, "dyn table {name}: index {want} missing");
    }
    Ok(sorted.into_iter().map(|(_, e)| e).collect())
}

fn single_char(s: &str) -> Result<char> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        _ => bail!("{s:?} is not one char"),
    }
}

fn arr<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("{key}: missing or not an array"))
}

fn obj<'a>(v: &'a Value, key: &str) -> Result<&'a Map<String, Value>> {
    v.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("{key}: missing or not an object"))
}

fn string<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{key}: missing or not a string"))
}

fn uint(v: &Value, key: &str) -> Result<u32> {
    let n = v
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("{key}: not a uint"))?;
    u32::try_from(n).with_context(|| format!("{key}: {n} does not fit u32"))
}

fn index(v: &Value, key: &str) -> Result<usize> {
    Ok(usize::try_from(uint(v, key)?)?)
}

/// Formats through `rustfmt` on stdin, run from the workspace root so it sees the same config
/// as `cargo fmt`.
fn rustfmt(code: &str) -> Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (is it installed?)")?;
    let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("rustfmt stdin"))?;
    // Write from a thread: rustfmt may fill its stdout pipe before we finish writing.
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("waiting for rustfmt")?;
    writer
        .join()
        .map_err(|_| anyhow!("rustfmt writer thread panicked"))??;
    ensure!(
        output.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?)
}
