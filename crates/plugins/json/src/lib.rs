//! The `json` Falco plugin: field extraction from JSON event payloads.
//!
//! A port of falcosecurity/plugins `json` 0.7.4 on the official `falco_plugin` SDK, following
//! `shared/spec/cloudtrail-json.md` §6.
//!
//! * Name `json`, version `0.7.4`, extraction capability only. Extraction-only plugins have
//!   no plugin ID and no event source of their own (plugin-api.md §11.1).
//! * Extract event sources `[]` and no event types: compatible with every source and, when the
//!   `syscall` source is loaded, every event code (plugin-api.md §11.3).
//! * The payload is the `event_data` of a plugin event (322) or the `data` of an async event
//!   (402). Any other event, a payload not starting with `{` or `[`, or one that is not valid
//!   JSON makes every field fail (rc FAILURE, so the field is absent).
//! * Init config: `{"useAsync": bool}` (default `true`, accepted for compatibility and
//!   otherwise ignored); unknown keys are ignored. As for every JSON-config plugin, the host
//!   must pass `{}` rather than an empty string.
//!
//! | id | field | type | arg | value |
//! |---|---|---|---|---|
//! | 0 | `json.value` | string | key, required | value at the JSON pointer |
//! | 1 | `json.obj` | string | none | the payload indented as Go's `json.Indent(.., "", "  ")` |
//! | 2 | `json.rawtime` | string | none | event timestamp in ns, as a decimal string |
//! | 3–5 | `jevt.value`, `jevt.obj`, `jevt.rawtime` | same | same | aliases |
//!
//! `json.value[ptr]`: an empty pointer selects the whole document; otherwise one leading `/`
//! is optional, tokens are split on `/` and unescaped `~1`→`/` then `~0`→`~`; array elements
//! take a decimal index. A missing path gives no value (and no error). Strings come back
//! unescaped (cut at an escaped NUL); every other value as compact JSON text: numbers exactly
//! as written, `true`/`false`/`null`, and objects/arrays with insignificant whitespace removed
//! and string escapes kept as written.
//!
//! Byte ranges (`value_offsets`): `json.value` reports the source text of the value (for a
//! string, the bytes between its quotes), `json.obj` the whole payload, `json.rawtime` none.
//!
//! Parsing happens once per payload: the plugin keeps the last payload and its parse and
//! compares the next event's payload bytes with it. (The SDK's `ExtractContext` lives only for
//! one `extract_fields` call, and hosts such as libsinsp ask for one field per call, so the cache
//! lives in the plugin state instead.)
//!
//! # Linking
//!
//! Built as a `cdylib`, the crate exports the `plugin_*` C symbols (`plugin!` and
//! `extract_plugin!`). With the cargo feature `static` it exports none of those and instead
//! defines [`SCAPKIT_PLUGIN_JSON`], a `#[no_mangle] pub static` of type
//! `falco_plugin::api::plugin_api` made by the SDK's `static_plugin!`; a host takes
//! `&json::SCAPKIT_PLUGIN_JSON` as its `&'static plugin_api`.

#![deny(missing_docs)]

pub mod doc;
pub mod extractor;
pub mod payload;
#[cfg(test)]
mod tests_support;

use extractor::Extractor;
use falco_plugin::anyhow::{self, Error};
use falco_plugin::base::{Json, Plugin};
use falco_plugin::event::events::RawEvent;
use falco_plugin::extract::{
    field, ExtractByteRange, ExtractFieldInfo, ExtractPlugin, ExtractRequest,
};
use falco_plugin::schemars::JsonSchema;
use falco_plugin::serde::Deserialize;
use falco_plugin::tables::TablesInput;
use std::ffi::{CStr, CString};
use std::ops::Range;

/// Init config (`{"useAsync": true}`); other keys are ignored.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(crate = "falco_plugin::serde", rename_all = "camelCase", default)]
#[schemars(crate = "falco_plugin::schemars")]
pub struct Config {
    /// Accepted for compatibility with the Go plugin's async-extraction optimisation; it has
    /// no effect on the extracted values.
    pub use_async: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { use_async: true }
    }
}

/// The plugin state.
#[derive(Debug)]
pub struct JsonPlugin {
    config: Config,
    cache: Extractor,
}

/// The event's payload and its offset in the event.
fn event_payload<'a>(event: &RawEvent<'a>) -> Result<(usize, &'a [u8]), Error> {
    Ok(payload::event_data(
        event.event_type,
        event.nparams,
        event.payload,
    )?)
}

fn c_string(bytes: &[u8]) -> CString {
    // The extractor already cut values at NUL; this keeps the invariant local.
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(bytes.get(..end).unwrap_or_default()).unwrap_or_default()
}

fn found(offset: &mut ExtractByteRange, base: usize, range: Range<usize>) {
    if *offset == ExtractByteRange::Requested {
        *offset = ExtractByteRange::Found(base + range.start..base + range.end);
    }
}

impl JsonPlugin {
    /// Loads the event's payload into the cache; returns its offset in the event.
    fn load(&mut self, req: &ExtractRequest<Self>) -> Result<usize, Error> {
        let event = req.event.event()?;
        let (base, data) = event_payload(&event)?;
        self.cache.load(data)?;
        Ok(base)
    }

    fn extract_value(
        &mut self,
        req: ExtractRequest<Self>,
        arg: &CStr,
    ) -> Result<Option<CString>, Error> {
        let base = self.load(&req)?;
        let Some(v) = self.cache.value(arg.to_bytes()) else {
            return Ok(None);
        };
        found(req.offset, base, v.range.clone());
        Ok(Some(c_string(&v.bytes)))
    }

    fn extract_obj(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        let base = self.load(&req)?;
        let v = self
            .cache
            .obj()
            .ok_or_else(|| anyhow::anyhow!("no JSON document loaded"))?;
        found(req.offset, base, v.range.clone());
        Ok(c_string(&v.bytes))
    }

    fn extract_rawtime(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        self.load(&req)?;
        let ts = req.event.event()?.metadata.ts;
        Ok(c_string(extractor::rawtime(ts).as_bytes()))
    }

    /// The parsed configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Plugin for JsonPlugin {
    const NAME: &'static CStr = c"json";
    const PLUGIN_VERSION: &'static CStr = c"0.7.4";
    const DESCRIPTION: &'static CStr = c"Extract values from any JSON payload";
    const CONTACT: &'static CStr = c"https://example.invalid/scapkit";
    type ConfigType = Json<Config>;

    fn new(_input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        Ok(Self {
            config,
            cache: Extractor::default(),
        })
    }

    fn set_config(&mut self, Json(config): Self::ConfigType) -> Result<(), Error> {
        self.config = config;
        Ok(())
    }
}

impl ExtractPlugin for JsonPlugin {
    type Event<'a> = RawEvent<'a>;
    type ExtractContext = ();

    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("json.value", &Self::extract_value)
            .with_display("JSON Value")
            .with_description(
                "Extracts a value from a JSON-encoded input. Syntax is json.value[<json pointer>], \
                 where <json pointer> is a json pointer (see https://datatracker.ietf.org/doc/html/rfc6901)",
            ),
        field("json.obj", &Self::extract_obj)
            .with_display("JSON Object")
            .with_description("The full json message as a text string."),
        field("json.rawtime", &Self::extract_rawtime)
            .with_display("JSON Raw Time")
            .with_description("The time of the event, identical to evt.rawtime."),
        field("jevt.value", &Self::extract_value)
            .with_display("JSON Value")
            .with_description("Alias for json.value, provided for backwards compatibility."),
        field("jevt.obj", &Self::extract_obj)
            .with_display("JSON Object")
            .with_description("Alias for json.obj, provided for backwards compatibility."),
        field("jevt.rawtime", &Self::extract_rawtime)
            .with_display("JSON Raw Time")
            .with_description("Alias for json.rawtime, provided for backwards compatibility."),
    ];
}

/// Static linking (feature `static`): the SDK's `static_plugin!` defines one
/// `#[no_mangle] pub static SCAPKIT_PLUGIN_JSON: falco_plugin::api::plugin_api`; the functions
/// it points to keep mangled names, so several plugins link into one binary without clashes.
#[cfg(feature = "static")]
#[allow(missing_docs)]
mod static_api {
    use falco_plugin::static_plugin;
    static_plugin!(pub SCAPKIT_PLUGIN_JSON = super::JsonPlugin);
}
#[cfg(feature = "static")]
pub use static_api::SCAPKIT_PLUGIN_JSON;

/// Dynamic linking (the default): the `plugin_*` C symbols of the `.so`.
#[cfg(not(feature = "static"))]
mod dynamic_api {
    use falco_plugin::{extract_plugin, plugin};
    plugin!(super::JsonPlugin);
    extract_plugin!(super::JsonPlugin);
}
