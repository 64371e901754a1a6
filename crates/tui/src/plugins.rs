//! Which plugins a run uses: the ones linked into scapkit, `-H`/`-I` on the command line,
//! and Falco's `falco.yaml` (`plugins:` and `load_plugins:`) via `-c`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use std::sync::{Arc, Mutex};

use engine::plugin::{
    MapThreadTable, Plugin, PluginConfig, PluginIdx, PluginManager, StaticPluginApi, Tables,
    ThreadTable,
};
use serde::Deserialize;

/// Plugins linked into the binary: usable by name with no `.so`.
pub fn builtins() -> [(&'static str, &'static StaticPluginApi); 2] {
    [
        ("cloudtrail", &cloudtrail::CLOUDTRAIL_PLUGIN_API),
        ("json", &json::SCAPKIT_PLUGIN_JSON),
    ]
}

/// One plugin to load: where from, and its init config.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// Name (as `-I` and `load_plugins` refer to it).
    pub name: String,
    /// A built-in name or a path to a `.so`.
    pub library: String,
    /// Init config.
    pub init: PluginConfig,
    /// Open params from `falco.yaml` (used when the plugin is a source and `-I` does not
    /// name it).
    pub open_params: Option<String>,
}

/// `plugins:` entries of `falco.yaml`.
#[derive(Debug, Deserialize)]
struct FalcoYaml {
    #[serde(default)]
    plugins: Vec<FalcoPlugin>,
    #[serde(default)]
    load_plugins: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct FalcoPlugin {
    name: String,
    library_path: String,
    #[serde(default)]
    init_config: Option<serde_yaml::Value>,
    #[serde(default)]
    open_params: Option<String>,
}

/// Read the plugins `falco.yaml` loads (all of `plugins:` when `load_plugins` is empty,
/// as Falco does).
pub fn from_falco_yaml(path: &Path) -> Result<Vec<PluginSpec>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: FalcoYaml =
        serde_yaml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
    let mut out = Vec::new();
    for p in doc.plugins {
        if !doc.load_plugins.is_empty() && !doc.load_plugins.contains(&p.name) {
            continue;
        }
        let init = match p.init_config {
            None | Some(serde_yaml::Value::Null) => PluginConfig::Text(String::new()),
            Some(serde_yaml::Value::String(s)) => PluginConfig::Text(s),
            // A YAML map becomes its JSON text, as Falco does.
            Some(v) => PluginConfig::Json(
                serde_json::to_value(&v)
                    .with_context(|| format!("{}: init_config of {}", path.display(), p.name))?,
            ),
        };
        out.push(PluginSpec {
            name: p.name,
            library: p.library_path,
            init,
            open_params: p.open_params,
        });
    }
    for name in &doc.load_plugins {
        if !out.iter().any(|s| &s.name == name) {
            bail!(
                "{}: load_plugins names '{name}', which plugins: does not define",
                path.display()
            );
        }
    }
    Ok(out)
}

/// `-H NAME_OR_PATH[:INIT]`.
pub fn from_flag(text: &str) -> PluginSpec {
    let (library, init) = match text.split_once(':') {
        Some((l, i)) => (l, i),
        None => (text, ""),
    };
    PluginSpec {
        name: plugin_name_of(library),
        library: library.to_string(),
        init: PluginConfig::Text(init.to_string()),
        open_params: None,
    }
}

/// `libcloudtrail.so` or `/x/libcloudtrail.so` -> `cloudtrail`.
fn plugin_name_of(library: &str) -> String {
    let stem = Path::new(library)
        .file_stem()
        .map_or_else(|| library.to_string(), |s| s.to_string_lossy().into_owned());
    stem.strip_prefix("lib").unwrap_or(&stem).to_string()
}

/// Open the plugin a spec names: an existing file is loaded with libloading; otherwise a
/// built-in of that name is used.
fn open(spec: &PluginSpec) -> Result<Plugin> {
    let path = PathBuf::from(&spec.library);
    let plugin = if path.is_file() {
        Plugin::load(&path)?
    } else if let Some((_, api)) = builtins()
        .into_iter()
        .find(|(n, _)| *n == spec.library || *n == spec.name || *n == plugin_name_of(&spec.library))
    {
        Plugin::from_static(api)?
    } else {
        bail!(
            "plugin '{}': no file '{}' and no built-in plugin of that name (built-in: {})",
            spec.name,
            spec.library,
            builtins().map(|(n, _)| n).join(", ")
        );
    };
    Ok(plugin)
}

/// The plugins of a run, loaded and initialised.
pub struct Loaded {
    /// The manager, shared with the engine.
    pub manager: RefCell<PluginManager>,
    /// The `threads` table the plugins see (mirrored from the engine's state).
    pub threads: Arc<Mutex<MapThreadTable>>,
    specs: Vec<(PluginIdx, PluginSpec)>,
}

/// Load `specs`, then the built-ins not named (so their fields work out of the box).
pub fn load(specs: &[PluginSpec], with_builtins: bool) -> Result<Loaded> {
    let mut manager = PluginManager::new();
    let threads = engine::state::table::new_table();
    let shared: Arc<Mutex<dyn ThreadTable>> = threads.clone();
    let tables = Tables::new(shared);
    let mut loaded = Vec::new();
    for spec in specs {
        let mut plugin = open(spec)?;
        plugin.init_with_tables(spec.init.clone(), &tables)?;
        let idx = manager.add(plugin)?;
        loaded.push((idx, spec.clone()));
    }
    if with_builtins {
        for (name, api) in builtins() {
            if manager.find(name).is_some() {
                continue;
            }
            let mut plugin = Plugin::from_static(api)?;
            plugin.init_with_tables(PluginConfig::Text(String::new()), &tables)?;
            manager.add(plugin)?;
        }
    }
    manager.set_tables(tables);
    Ok(Loaded {
        manager: RefCell::new(manager),
        threads,
        specs: loaded,
    })
}

impl Loaded {
    /// Open the sources named by `-I NAME[:PARAMS]` (or, with none, the loaded specs that
    /// have `open_params` in falco.yaml). Returns how many were opened.
    pub fn open_sources(&self, inputs: &[String]) -> Result<usize> {
        let mut manager = self.manager.borrow_mut();
        let mut which: Vec<(PluginIdx, String)> = Vec::new();
        for input in inputs {
            let (name, params) = input.split_once(':').unwrap_or((input.as_str(), ""));
            let idx = match manager.find(name) {
                Some(i) => i,
                None => bail!(
                    "-I {input}: no plugin named '{name}' is loaded (use -H or a built-in: {})",
                    builtins().map(|(n, _)| n).join(", ")
                ),
            };
            which.push((idx, params.to_string()));
        }
        if inputs.is_empty() {
            for (idx, spec) in &self.specs {
                if let Some(p) = &spec.open_params {
                    which.push((*idx, p.clone()));
                }
            }
        }
        let refs: Vec<(PluginIdx, &str)> = which.iter().map(|(i, p)| (*i, p.as_str())).collect();
        manager.open_sources(&refs)?;
        Ok(which.len())
    }
}
