//! `scapkit fields`: the field registry, as `sysdig -l` lists it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use engine::fields::{self, ArgKind, FieldDef};
use serde::Serialize;

use crate::cli::FieldsArgs;

#[derive(Serialize)]
struct FieldJson<'a> {
    name: &'a str,
    class: &'a str,
    #[serde(rename = "type")]
    ty: &'a str,
    arg: &'a str,
    desc: &'a str,
}

fn arg_text(arg: ArgKind) -> &'static str {
    match arg {
        ArgKind::None => "none",
        ArgKind::Required => "required",
        ArgKind::OptionalIndex => "optional index",
        ArgKind::OptionalKey => "optional key",
    }
}

/// Run `scapkit fields`.
pub fn run(args: &FieldsArgs) -> Result<ExitCode> {
    let selected: Vec<&'static FieldDef> = fields::all()
        .filter(|f| args.filter.as_deref().is_none_or(|m| f.name.contains(m)))
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let rows: Vec<FieldJson<'_>> = selected
            .iter()
            .map(|f| FieldJson {
                name: f.name,
                class: f.class(),
                ty: f.ty.name(),
                arg: arg_text(f.arg),
                desc: f.desc,
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut class = "";
    for f in selected {
        if f.class() != class {
            class = f.class();
            writeln!(out, "-------------------------------")?;
            writeln!(out, "Field Class:                  {class}")?;
            writeln!(
                out,
                "Description:                  {}\n",
                fields::registry::class_description(class)
            )?;
        }
        let name = match f.arg {
            ArgKind::None => f.name.to_string(),
            ArgKind::Required => format!("{}[ARG]", f.name),
            ArgKind::OptionalIndex | ArgKind::OptionalKey => format!("{}[ARG?]", f.name),
        };
        writeln!(out, "{name:<29} (Type: {}) {}", f.ty.name(), f.desc)?;
    }
    Ok(ExitCode::SUCCESS)
}
