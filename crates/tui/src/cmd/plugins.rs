//! `scapkit plugins`: what plugins are available and what they can do.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use crate::cli::PluginsArgs;
use crate::cmd::read::prepare_plugins;

#[derive(Serialize)]
struct Row {
    name: String,
    version: String,
    id: u32,
    source: String,
    capabilities: Vec<&'static str>,
    fields: usize,
}

/// Run `scapkit plugins`.
pub fn run(args: &PluginsArgs) -> Result<ExitCode> {
    let mut plugin_args = args.plugins.clone();
    // Listing never opens sources.
    plugin_args.inputs.clear();
    let (loaded, _) = prepare_plugins(&plugin_args, true)?;
    let manager = loaded.manager.borrow();
    let rows: Vec<Row> = manager
        .plugins()
        .iter()
        .map(|p| {
            let caps = p.capabilities();
            let mut c = Vec::new();
            for (on, name) in [
                (caps.sourcing, "source"),
                (caps.extraction, "extract"),
                (caps.parsing, "parse"),
                (caps.async_events, "async"),
                (caps.capture_listening, "capture-listen"),
            ] {
                if on {
                    c.push(name);
                }
            }
            let info = p.info();
            Row {
                name: info.name.clone(),
                version: info.version.clone(),
                id: info.id,
                source: info.event_source.clone().unwrap_or_default(),
                capabilities: c,
                fields: p.fields().len(),
            }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<14} {:<10} {:>5}  {:<16} {:>6}  CAPABILITIES",
        "NAME", "VERSION", "ID", "SOURCE", "FIELDS"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<14} {:<10} {:>5}  {:<16} {:>6}  {}",
            r.name,
            r.version,
            r.id,
            if r.source.is_empty() { "-" } else { &r.source },
            r.fields,
            r.capabilities.join(",")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
