//! Every rule of the Falco rule files compiles with the real field registry once its macros
//! and lists are expanded, and every field its output names exists.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use engine::filter::{self, Macros};
use engine::output::Format;
use engine::query::EventFilter;
use serde_yaml::Value;

fn shared() -> Option<PathBuf> {
    let dir = std::env::var("SCAPKIT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    dir.is_dir().then_some(dir)
}

/// Rules that need something a syscall capture does not give, with the reason (none today:
/// every rule of the three files compiles).
const SKIPPED: &[(&str, &str)] = &[];

/// A YAML scalar as the text Falco would read (lists hold names, numbers, quoted strings).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn load(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn get(item: &Value, k: &str) -> Option<String> {
    item.get(k).and_then(scalar)
}

/// Add the lists and macros of `docs` (Falco resolves names once every file is loaded, so
/// a rule may use a macro defined after it).
fn define(docs: &[Value], macros: &mut Macros, failures: &mut Vec<String>) {
    for item in docs {
        if let Some(name) = get(item, "list") {
            let items = item
                .get("items")
                .and_then(Value::as_sequence)
                .map(|s| s.iter().filter_map(scalar).collect())
                .unwrap_or_default();
            macros.insert_list(name, items);
        } else if let Some(name) = get(item, "macro") {
            let cond = get(item, "condition").unwrap_or_default();
            match filter::parse(&cond) {
                Ok(ast) => macros.insert_macro(name, ast),
                Err(e) => failures.push(format!("macro {name}: {e}")),
            }
        }
    }
}

/// Compile every rule of `docs`; returns the number of rules compiled.
fn compile_rules(docs: &[Value], macros: &Macros, failures: &mut Vec<String>) -> usize {
    let mut rules = 0;
    for item in docs {
        let (Some(name), Some(cond)) = (get(item, "rule"), get(item, "condition")) else {
            continue;
        };
        if SKIPPED.iter().any(|(r, _)| *r == name) {
            continue;
        }
        rules += 1;
        if let Err(e) = EventFilter::compile_with(&cond, macros) {
            failures.push(format!("rule {name}: {e}"));
        }
        if let Some(out) = get(item, "output") {
            // Falco outputs are formats without the leading '*'.
            if let Err(e) = Format::parse(out.trim()) {
                failures.push(format!("rule {name} output: {e}"));
            }
        }
    }
    rules
}

#[test]
fn falco_rules_compile() {
    let Some(dir) = shared() else {
        eprintln!("skipped: falco rules compile (../shared not found)");
        return;
    };
    let base_path = dir.join("rules/falco_rules.yaml");
    if !base_path.is_file() {
        eprintln!("skipped: falco rules compile (../shared/rules/falco_rules.yaml not found)");
        return;
    }
    let base = load(&base_path);
    let mut failures = Vec::new();
    let mut macros = Macros::new();
    define(&base, &mut macros, &mut failures);
    let rules = compile_rules(&base, &macros, &mut failures);
    assert!(rules >= 20, "falco_rules.yaml: only {rules} rules found");
    let mut all: Vec<String> = failures
        .into_iter()
        .map(|f| format!("falco_rules.yaml: {f}"))
        .collect();
    // The other files are loaded on top of the base rules, as Falco is usually run.
    for file in ["falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"] {
        let path = dir.join("rules").join(file);
        if !path.is_file() {
            eprintln!("skipped: {file} (not in ../shared/rules)");
            continue;
        }
        let docs = load(&path);
        let mut macros = macros.clone();
        let mut failures = Vec::new();
        define(&docs, &mut macros, &mut failures);
        let rules = compile_rules(&docs, &macros, &mut failures);
        assert!(rules > 0, "{file}: no rules found");
        all.extend(failures.into_iter().map(|f| format!("{file}: {f}")));
    }
    assert!(
        all.is_empty(),
        "{} failures:\n{}",
        all.len(),
        all.join("\n")
    );
}
