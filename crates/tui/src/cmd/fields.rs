//! `scapkit fields`: the field registry, as `sysdig -l` lists it, and the fields of plugins
//! (`--plugin NAME`, or those loaded with `-H`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use engine::fields::{self, ArgKind, FieldDef};
use engine::plugin::{ArgSpec, FieldInfo, Plugin};
use serde::Serialize;

use crate::cli::{FieldsArgs, PluginArgs};
use crate::cmd::read::prepare_plugins;

#[derive(Serialize)]
struct FieldJson<'a> {
    name: &'a str,
    /// The field class; for a plugin field, the plugin's name.
    class: &'a str,
    #[serde(rename = "type")]
    ty: &'a str,
    arg: &'a str,
    desc: &'a str,
    /// Plugin fields only: the value is a list.
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<bool>,
    /// Plugin fields only: the plugin suggests adding it to rule outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    add_output: Option<bool>,
}

fn arg_text(arg: ArgKind) -> &'static str {
    match arg {
        ArgKind::None => "none",
        ArgKind::Required => "required",
        ArgKind::OptionalIndex => "optional index",
        ArgKind::OptionalKey => "optional key",
    }
}

fn plugin_arg_text(arg: ArgSpec) -> &'static str {
    match (arg.required, arg.index, arg.key) {
        (_, false, false) => "none",
        (true, true, false) => "required index",
        (true, false, true) => "required key",
        (true, true, true) => "required",
        (false, true, false) => "optional index",
        (false, false, true) => "optional key",
        (false, true, true) => "optional",
    }
}

/// Run `scapkit fields`.
pub fn run(args: &FieldsArgs) -> Result<ExitCode> {
    let matches = |name: &str| args.filter.as_deref().is_none_or(|m| name.contains(m));
    // Plugins only when asked for: loading them costs an init each.
    let loaded = if args.plugin.is_some() || !args.load.is_empty() {
        let plugin_args = PluginArgs {
            plugins: args.load.clone(),
            inputs: Vec::new(),
            ..PluginArgs::default()
        };
        Some(prepare_plugins(&plugin_args, true)?.0)
    } else {
        None
    };
    let manager = loaded.as_ref().map(|l| l.manager.borrow());
    let plugins: Vec<&Plugin> = match (&manager, &args.plugin) {
        (Some(m), Some(name)) => match m.find(name) {
            Some(i) => m.get(i).into_iter().collect(),
            None => {
                let names: Vec<&str> = m.plugins().iter().map(Plugin::name).collect();
                bail!(
                    "--plugin {name}: no plugin of that name is loaded (loaded: {}; load \
                     others with -H)",
                    names.join(", ")
                );
            }
        },
        // The -H plugins come first in the manager, in command-line order.
        (Some(m), None) => m.plugins().iter().take(args.load.len()).collect(),
        (None, _) => Vec::new(),
    };
    let builtin: Vec<&'static FieldDef> = if args.plugin.is_some() {
        Vec::new()
    } else {
        fields::all().filter(|f| matches(f.name)).collect()
    };
    let plugin_fields: Vec<(&Plugin, Vec<&FieldInfo>)> = plugins
        .iter()
        .map(|p| {
            let fs = p
                .fields()
                .iter()
                .filter(|f| !f.is_hidden() && matches(&f.name))
                .collect();
            (*p, fs)
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let mut rows: Vec<FieldJson<'_>> = builtin
            .iter()
            .map(|f| FieldJson {
                name: f.name,
                class: f.class(),
                ty: f.ty.name(),
                arg: arg_text(f.arg),
                desc: f.desc,
                list: None,
                add_output: None,
            })
            .collect();
        for (p, fs) in &plugin_fields {
            rows.extend(fs.iter().map(|f| FieldJson {
                name: &f.name,
                class: p.name(),
                ty: f.ty.name(),
                arg: plugin_arg_text(f.arg),
                desc: &f.desc,
                list: Some(f.is_list),
                add_output: Some(f.add_output),
            }));
        }
        // Text first: an io::Error (e.g. a closed pipe) then reaches main as such.
        let text = serde_json::to_string_pretty(&rows)?;
        writeln!(out, "{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut class = "";
    for f in builtin {
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
    for (p, fs) in plugin_fields {
        if fs.is_empty() && args.plugin.is_none() {
            continue;
        }
        write_plugin_class(&mut out, p, &fs)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One plugin's fields in `sysdig -l` style.
fn write_plugin_class(out: &mut impl Write, p: &Plugin, fs: &[&FieldInfo]) -> Result<()> {
    let info = p.info();
    writeln!(out, "-------------------------------")?;
    writeln!(out, "Field Class:                  {}", info.name)?;
    writeln!(out, "Description:                  {}", info.description)?;
    let sources = info
        .event_source
        .as_deref()
        .unwrap_or("(the sources of other plugins)");
    writeln!(out, "Event Sources:                {sources}\n")?;
    for f in fs {
        let name = match (f.arg.allowed(), f.arg.required) {
            (false, _) => f.name.clone(),
            (true, true) => format!("{}[ARG]", f.name),
            (true, false) => format!("{}[ARG?]", f.name),
        };
        let list = if f.is_list { ", list" } else { "" };
        writeln!(out, "{name:<29} (Type: {}{list}) {}", f.ty.name(), f.desc)?;
    }
    Ok(())
}
