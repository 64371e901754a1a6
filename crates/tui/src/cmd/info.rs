//! `scapkit info`: what a capture holds.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use scap::{BlockKind, Compression, Record};
use serde::Serialize;

use crate::cli::{Cli, InfoArgs};

/// Everything `info` reports about one file.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    file: String,
    compression: &'static str,
    stored_bytes: u64,
    capture_bytes: u64,
    sections: Vec<String>,
    blocks: BTreeMap<String, u64>,
    unknown_blocks: BTreeMap<String, u64>,
    events: u64,
    event_types: BTreeMap<String, u64>,
    first_ts: Option<u64>,
    last_ts: Option<u64>,
    cpus: Vec<u16>,
    threads_in_proclists: u64,
    processes_in_proclists: u64,
    hostname: Option<String>,
    num_cpus: Option<u32>,
    error: Option<String>,
}

fn analyze(path: &Path) -> Result<Report> {
    let cap = super::open_capture(path)?;
    let mut r = Report {
        file: path.display().to_string(),
        compression: match cap.compression() {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        },
        stored_bytes: cap.stored_len(),
        capture_bytes: cap.data().len() as u64,
        ..Report::default()
    };
    // Counting into arrays indexed by code keeps the per-event cost to a few adds.
    let mut by_type = vec![0u64; 1 << 16];
    let mut cpus = vec![false; 1 << 16];
    let (mut min_ts, mut max_ts) = (u64::MAX, 0u64);
    let mut ev_blocks: Vec<(u32, u64)> = Vec::new();
    for rec in cap.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                r.error = Some(e.to_string());
                break;
            }
        };
        match rec {
            Record::Event(ev) => {
                r.events += 1;
                if let Some(c) = by_type.get_mut(usize::from(ev.event_type())) {
                    *c += 1;
                }
                if let Some(c) = cpus.get_mut(usize::from(ev.cpu())) {
                    *c = true;
                }
                // Initial-state events carry ts 0; they do not bound the capture's time.
                if ev.ts() != 0 {
                    min_ts = min_ts.min(ev.ts());
                    max_ts = max_ts.max(ev.ts());
                }
                // Named once at the end: a name per event would allocate per event.
                match ev_blocks.iter_mut().find(|(t, _)| *t == ev.block_type()) {
                    Some((_, n)) => *n += 1,
                    None => ev_blocks.push((ev.block_type(), 1)),
                }
            }
            Record::Section(s) => {
                r.sections.push(format!("{}.{}", s.major, s.minor));
                *r.blocks.entry("SHB".into()).or_default() += 1;
            }
            Record::Meta(b) => {
                *r.blocks.entry(block_name(b.block_type())).or_default() += 1;
                match scap::meta::parse(&b) {
                    Ok(scap::meta::Meta::Threads(threads)) => {
                        for t in threads {
                            match t {
                                Ok(t) => {
                                    r.threads_in_proclists += 1;
                                    if t.tid == t.pid {
                                        r.processes_in_proclists += 1;
                                    }
                                }
                                Err(e) => {
                                    r.error = Some(e.to_string());
                                    break;
                                }
                            }
                        }
                    }
                    Ok(scap::meta::Meta::Machine(mi)) => {
                        r.hostname = Some(String::from_utf8_lossy(mi.hostname()).into_owned());
                        r.num_cpus = Some(mi.num_cpus);
                    }
                    Ok(_) => {}
                    Err(e) => r.error = Some(e.to_string()),
                }
            }
            Record::Unknown(b) => {
                *r.unknown_blocks
                    .entry(format!("0x{:x}", b.block_type()))
                    .or_default() += 1
            }
        }
    }
    for (ty, n) in ev_blocks {
        *r.blocks.entry(block_name(ty)).or_default() += n;
    }
    for (code, n) in by_type.iter().enumerate() {
        if *n > 0 {
            let ty = u16::try_from(code).unwrap_or(u16::MAX);
            let name = match scap::table::CURRENT.event(ty) {
                Some(i) => format!("{}{}", scap::table::Direction::of(ty).as_char(), i.name),
                None => format!("unknown({code})"),
            };
            *r.event_types.entry(name).or_default() += n;
        }
    }
    r.cpus = (0..=u16::MAX)
        .filter(|c| cpus.get(usize::from(*c)).copied().unwrap_or(false))
        .collect();
    if r.events > 0 && min_ts <= max_ts {
        r.first_ts = Some(min_ts);
        r.last_ts = Some(max_ts);
    }
    Ok(r)
}

fn block_name(ty: u32) -> String {
    BlockKind::from_type(ty)
        .name()
        .map_or_else(|| format!("0x{ty:x}"), str::to_string)
}

fn print_text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(out, "{}", r.file)?;
    writeln!(
        out,
        "  compression   {} ({} bytes stored, {} bytes of blocks)",
        r.compression, r.stored_bytes, r.capture_bytes
    )?;
    writeln!(
        out,
        "  sections      {} (versions {})",
        r.sections.len(),
        r.sections.join(", ")
    )?;
    let blocks: Vec<String> = r.blocks.iter().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(out, "  blocks        {}", blocks.join(" "))?;
    if !r.unknown_blocks.is_empty() {
        let u: Vec<String> = r
            .unknown_blocks
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(out, "  unknown       {}", u.join(" "))?;
    }
    writeln!(out, "  events        {}", r.events)?;
    if let (Some(a), Some(b)) = (r.first_ts, r.last_ts) {
        writeln!(
            out,
            "  time range    {a} .. {b} ({:.3} s)",
            (b - a) as f64 / 1e9
        )?;
    }
    if let Some(h) = &r.hostname {
        writeln!(
            out,
            "  machine       {h} ({} cpus)",
            r.num_cpus.unwrap_or(0)
        )?;
    }
    let cpus: Vec<String> = r.cpus.iter().map(u16::to_string).collect();
    writeln!(out, "  cpus seen     {}", cpus.join(","))?;
    writeln!(
        out,
        "  processes     {} ({} threads in process lists)",
        r.processes_in_proclists, r.threads_in_proclists
    )?;
    let mut types: Vec<(&String, &u64)> = r.event_types.iter().collect();
    types.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    writeln!(out, "  event types   {}", types.len())?;
    for (name, n) in types {
        writeln!(out, "    {n:>10}  {name}")?;
    }
    if let Some(e) = &r.error {
        writeln!(out, "  error         {e}")?;
    }
    Ok(())
}

/// Run `scapkit info`.
pub fn run(_cli: &Cli, args: &InfoArgs) -> Result<ExitCode> {
    let mut reports = Vec::new();
    let mut code = ExitCode::SUCCESS;
    for f in &args.files {
        match analyze(f) {
            Ok(r) => {
                if r.error.is_some() {
                    code = ExitCode::from(1);
                }
                reports.push(r);
            }
            Err(e) => {
                eprintln!("scapkit: {e:#}");
                code = ExitCode::from(1);
            }
        }
    }
    // Written through a checked handle: `scapkit info | head` must end quietly (main
    // treats a broken pipe as success).
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&reports)?)?;
    } else {
        for r in &reports {
            print_text(&mut out, r)?;
        }
    }
    Ok(code)
}
