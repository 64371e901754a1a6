//! One loaded plugin: validation at load, init, and one safe wrapper per capability.

use std::collections::VecDeque;
use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::error::{ErrorKind, PluginError, Rc, Result};
use super::event::{self, PluginEvent};
use super::ffi::{self, OwnerCtx, RawValue, TablesHost, Vtable};
use super::fields::{self, FieldArg, FieldInfo, FieldType, OpenParam};
use super::tables::{MapThreadTable, ThreadTable};
use super::version::{Version, HOST_API_VERSION, HOST_API_VERSION_STR};

/// The SDK's static vtable type, as exported by `falco_plugin::static_plugin!`.
pub use super::ffi::StaticPluginApi;

/// What a plugin can do, inferred from its symbols (§2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// open/close/next_batch.
    pub sourcing: bool,
    /// get_fields/extract_fields.
    pub extraction: bool,
    /// parse_event.
    pub parsing: bool,
    /// get_async_events/set_async_event_handler.
    pub async_events: bool,
    /// capture_open/capture_close.
    pub capture_listening: bool,
}

/// Init config: a string given as is, or JSON (from a YAML or JSON map) serialised for the
/// plugin.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginConfig {
    /// Passed verbatim.
    Text(String),
    /// Serialised to JSON text.
    Json(Value),
}

impl From<&str> for PluginConfig {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}
impl From<String> for PluginConfig {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}
impl From<Value> for PluginConfig {
    fn from(v: Value) -> Self {
        Self::Json(v)
    }
}

/// The init schema (§9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitSchema {
    /// Opaque config, not validated.
    None,
    /// A JSON Schema object (the config must be JSON).
    Json(String),
}

/// Static facts about a plugin, read before init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Unique name.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// Description.
    pub description: String,
    /// Contact.
    pub contact: String,
    /// Minimum plugin API version it needs.
    pub required_api_version: String,
    /// Registered event source ID (0: none).
    pub id: u32,
    /// Its event source name (`None` without an ID).
    pub event_source: Option<String>,
}

/// A metric reported by `get_metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Name.
    pub name: String,
    /// Monotonic counter (else a gauge).
    pub monotonic: bool,
    /// Value.
    pub value: MetricValue,
}

/// A metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    /// Unsigned (u32 or u64).
    U64(u64),
    /// Signed (s32, s64, int).
    I64(i64),
    /// Float or double.
    F64(f64),
}

/// Progress of an open capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Hundredths of a percent (0–10000).
    pub pct: u32,
    /// A formatted progress string, when the plugin gives one.
    pub text: Option<String>,
}

/// What `next_event` produced.
#[derive(Debug, PartialEq, Eq)]
pub enum NextEvent<'a> {
    /// One event, already validated and fixed up; valid until the next call.
    Event(&'a [u8]),
    /// Nothing now; poll again.
    Timeout,
    /// The stream ended.
    Eof,
}

/// A validated field request, ready to send (built by [`Plugin::field_request`]).
#[derive(Debug, Clone)]
pub struct FieldRequest {
    field: usize,
    arg: FieldArg,
    key: Option<CString>,
}

impl FieldRequest {
    /// Index of the field in [`Plugin::fields`].
    pub fn field_index(&self) -> usize {
        self.field
    }
    /// The classified argument.
    pub fn arg(&self) -> &FieldArg {
        &self.arg
    }
}

/// One extracted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractedValue {
    /// uint64
    U64(u64),
    /// string (bytes, not necessarily UTF-8)
    Str(Vec<u8>),
    /// reltime, ns
    RelTime(u64),
    /// abstime, ns since the epoch
    AbsTime(u64),
    /// bool
    Bool(bool),
    /// ipaddr
    Ip(IpAddr),
    /// ipnet (the address; the host treats it as a network)
    Net(IpAddr),
}

/// Shared tables (the engine's `threads` table) to hand to parse and extract plugins.
#[derive(Debug, Clone)]
pub struct Tables(pub(crate) Arc<TablesHost>);

impl Tables {
    /// Exposes `threads` to plugins.
    pub fn new(threads: Arc<Mutex<dyn ThreadTable>>) -> Self {
        Self(TablesHost::new(threads))
    }

    /// An empty `threads` table: plugins see the API but no entries.
    pub fn empty() -> Self {
        Self::new(Arc::new(Mutex::new(MapThreadTable::default())))
    }

    /// True once a plugin has asked for a field of the table: only then must the host keep
    /// the table in step with its state.
    pub fn in_use(&self) -> bool {
        self.0.in_use()
    }
}

#[derive(Debug, Default)]
struct Instance {
    pending: VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    current: Vec<u8>,
    last_rc: Option<Rc>,
    eof: bool,
}

/// A loaded plugin. Calls are serialised by `&mut self`; dropping it closes, stops and
/// destroys the plugin (the shared object stays mapped).
#[derive(Debug)]
pub struct Plugin {
    raw: ffi::Raw,
    info: PluginInfo,
    caps: Capabilities,
    schema: InitSchema,
    fields: Vec<FieldInfo>,
    field_names: Vec<CString>,
    extract_sources: Vec<String>,
    parse_sources: Vec<String>,
    async_sources: Vec<String>,
    async_events: Vec<String>,
    extract_types: Option<Vec<u16>>,
    parse_types: Option<Vec<u16>>,
    owner: Option<Arc<OwnerCtx>>,
    tables: Option<Tables>,
    initialised: bool,
    instance: Option<Instance>,
    async_on: bool,
    capturing: bool,
}

const REQUIRED: [&str; 8] = [
    "get_required_api_version",
    "get_version",
    "get_name",
    "get_description",
    "get_contact",
    "init",
    "destroy",
    "get_last_error",
];

impl Plugin {
    /// Loads a plugin shared object (dlopen `RTLD_NOW|RTLD_LOCAL`, never unloaded) and
    /// validates it. Call [`Plugin::init`] next.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let vt = Vtable::load(path).map_err(|e| PluginError::new(&origin, ErrorKind::Open(e)))?;
        Self::from_vtable(vt, &origin)
    }

    /// Wraps a statically linked plugin (the vtable `falco_plugin::static_plugin!` exports).
    pub fn from_static(api: &'static StaticPluginApi) -> Result<Self> {
        Self::from_vtable(Vtable::from_static(api), "<static>")
    }

    /// Validates a symbol table (§12 steps 2–8).
    pub(crate) fn from_vtable(vt: Vtable, origin: &str) -> Result<Self> {
        let err = |kind| PluginError::new(origin, kind);
        let raw = ffi::Raw::new(vt);
        let present = |n: &str| -> bool {
            match n {
                "get_required_api_version" => vt.get_required_api_version.is_some(),
                "get_version" => vt.get_version.is_some(),
                "get_name" => vt.get_name.is_some(),
                "get_description" => vt.get_description.is_some(),
                "get_contact" => vt.get_contact.is_some(),
                "init" => vt.init.is_some(),
                "destroy" => vt.destroy.is_some(),
                _ => vt.get_last_error.is_some(),
            }
        };
        if !present("get_required_api_version") {
            return Err(err(ErrorKind::MissingSymbol("get_required_api_version")));
        }
        // Version first: an old-ABI plugin must not be called any further.
        let required = raw.get_str(vt.get_required_api_version).unwrap_or_default();
        match Version::parse(&required) {
            Some(v) if HOST_API_VERSION.satisfies(&v) => {}
            _ => {
                return Err(err(ErrorKind::ApiVersion {
                    required,
                    host: HOST_API_VERSION_STR,
                }))
            }
        }
        if let Some(missing) = REQUIRED.iter().find(|n| !present(n)) {
            return Err(err(ErrorKind::MissingSymbol(missing)));
        }
        // Copy each string before the next call (some SDKs share one buffer).
        let name = raw.get_str(vt.get_name).unwrap_or_default();
        let description = raw.get_str(vt.get_description).unwrap_or_default();
        let contact = raw.get_str(vt.get_contact).unwrap_or_default();
        let version = raw.get_str(vt.get_version).unwrap_or_default();
        if name.is_empty() {
            return Err(err(ErrorKind::Capabilities("empty plugin name".into())));
        }
        let err = |kind| PluginError::new(&name, kind);
        if Version::parse(&version).is_none() {
            return Err(err(ErrorKind::InvalidVersion(version)));
        }
        let caps = infer_capabilities(&vt).map_err(|m| err(ErrorKind::Capabilities(m)))?;
        let (mut id, mut event_source) = (0, None);
        if caps.sourcing {
            id = raw.get_id().unwrap_or(0);
            let src = raw.get_str(vt.get_event_source).unwrap_or_default();
            if (id != 0) == src.is_empty() {
                return Err(err(ErrorKind::Capabilities(format!(
                    "plugin ID {id} and event source {src:?} must be given together"
                ))));
            }
            if ["syscall", "internal", "plugins"].contains(&src.as_str()) {
                return Err(err(ErrorKind::Capabilities(format!(
                    "event source name {src:?} is reserved"
                ))));
            }
            event_source = (!src.is_empty()).then_some(src);
        }
        let json_err = |what| move |msg| err(ErrorKind::Json { what, msg });
        let own = |mut v: Vec<String>| {
            if let Some(s) = &event_source {
                if !v.is_empty() && !v.contains(s) {
                    v.push(s.clone());
                }
            }
            v
        };
        let (mut fields, mut extract_sources) = (Vec::new(), Vec::new());
        if caps.extraction {
            let json = raw.get_str(vt.get_fields).unwrap_or_default();
            fields = fields::parse_fields(&json).map_err(json_err("get_fields JSON"))?;
            extract_sources = own(fields::parse_sources(
                raw.get_str(vt.get_extract_event_sources).as_deref(),
            )
            .map_err(json_err("extract event sources"))?);
        }
        let parse_sources = if caps.parsing {
            own(
                fields::parse_sources(raw.get_str(vt.get_parse_event_sources).as_deref())
                    .map_err(json_err("parse event sources"))?,
            )
        } else {
            Vec::new()
        };
        let (mut async_sources, mut async_events) = (Vec::new(), Vec::new());
        if caps.async_events {
            async_sources = own(fields::parse_sources(
                raw.get_str(vt.get_async_event_sources).as_deref(),
            )
            .map_err(json_err("async event sources"))?);
            async_events = fields::parse_sources(raw.get_str(vt.get_async_events).as_deref())
                .map_err(json_err("async event list"))?;
            if async_events.is_empty() {
                return Err(err(ErrorKind::Json {
                    what: "async event list",
                    msg: "empty".into(),
                }));
            }
        }
        let schema = match raw.init_schema() {
            Some((1, s)) if !s.trim().is_empty() => InitSchema::Json(s),
            _ => InitSchema::None,
        };
        let field_names = fields
            .iter()
            .map(|f| CString::new(f.name.clone()).unwrap_or_default())
            .collect();
        Ok(Self {
            raw,
            info: PluginInfo {
                name,
                version,
                description,
                contact,
                required_api_version: required,
                id,
                event_source,
            },
            caps,
            schema,
            fields,
            field_names,
            extract_sources,
            parse_sources,
            async_sources,
            async_events,
            extract_types: None,
            parse_types: None,
            owner: None,
            tables: None,
            initialised: false,
            instance: None,
            async_on: false,
            capturing: false,
        })
    }

    // --- facts ---------------------------------------------------------------------------

    /// Name, version, ID, source…
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }
    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }
    /// Inferred capabilities.
    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }
    /// The init schema.
    pub fn init_schema(&self) -> &InitSchema {
        &self.schema
    }
    /// Extractable fields, in `get_fields` order (empty without extraction).
    pub fn fields(&self) -> &[FieldInfo] {
        &self.fields
    }
    /// Declared async event names.
    pub fn async_event_names(&self) -> &[String] {
        &self.async_events
    }
    /// Whether `init` succeeded.
    pub fn is_initialised(&self) -> bool {
        self.initialised
    }

    fn err(&self, kind: ErrorKind) -> PluginError {
        PluginError::new(&self.info.name, kind)
    }

    fn call_err(&self, func: &'static str, rc: Rc) -> PluginError {
        let message = self
            .raw
            .last_error()
            .unwrap_or_else(|| "no error message from the plugin".into());
        self.err(ErrorKind::Call { func, rc, message })
    }

    fn ready(&self) -> Result<()> {
        if self.initialised {
            Ok(())
        } else {
            Err(self.err(ErrorKind::NotInitialised))
        }
    }

    fn need(&self, has: bool, what: &'static str) -> Result<()> {
        self.ready()?;
        if has {
            Ok(())
        } else {
            Err(self.err(ErrorKind::NotCapable(what)))
        }
    }

    // --- init and config -------------------------------------------------------------------

    /// Turns the caller's config into the string the plugin gets: JSON values serialised,
    /// `"{}"` for an empty config when the schema is JSON, and a JSON syntax check then.
    pub fn config_string(&self, config: &PluginConfig) -> Result<CString> {
        let text = match config {
            PluginConfig::Text(s) => s.clone(),
            PluginConfig::Json(Value::Null) => String::new(),
            PluginConfig::Json(v) => v.to_string(),
        };
        let text = match (&self.schema, text.trim().is_empty()) {
            (InitSchema::Json(_), true) => "{}".to_owned(),
            (InitSchema::Json(_), false) => {
                serde_json::from_str::<Value>(&text).map_err(|e| {
                    self.err(ErrorKind::Config(format!("the plugin wants JSON: {e}")))
                })?;
                text
            }
            _ => text,
        };
        CString::new(text).map_err(|_| self.err(ErrorKind::Config("NUL byte in config".into())))
    }

    /// Initialises the plugin with an empty `threads` table.
    pub fn init(&mut self, config: impl Into<PluginConfig>) -> Result<()> {
        self.init_with_tables(config, &Tables::empty())
    }

    /// Initialises the plugin; parse and extract plugins get `tables`.
    pub fn init_with_tables(
        &mut self,
        config: impl Into<PluginConfig>,
        tables: &Tables,
    ) -> Result<()> {
        if self.initialised || self.raw.has_state() {
            return Err(self.err(ErrorKind::State("already initialised".into())));
        }
        let config = self.config_string(&config.into())?;
        let wants_tables = self.caps.parsing || self.caps.extraction;
        let tables = wants_tables.then(|| tables.clone());
        let owner = OwnerCtx::new(
            &self.info.name,
            self.async_events.clone(),
            tables.as_ref().map(|t| Arc::clone(&t.0)),
        );
        let rc = Rc::from(
            self.raw
                .init(&config, &owner, tables.as_ref().map(|t| &*t.0)),
        );
        self.owner = Some(owner);
        self.tables = tables;
        if rc != Rc::Success || !self.raw.has_state() {
            let message = self
                .raw
                .last_error()
                .unwrap_or_else(|| "no error message from the plugin".into());
            // The failed state is destroyed now; the plugin stays unusable.
            self.raw.destroy();
            return Err(self.err(ErrorKind::Call {
                func: "init",
                rc,
                message,
            }));
        }
        self.initialised = true;
        if self.caps.extraction {
            self.extract_types = self.raw.event_types(self.raw.vt.get_extract_event_types);
        }
        if self.caps.parsing {
            self.parse_types = self.raw.event_types(self.raw.vt.get_parse_event_types);
        }
        Ok(())
    }

    /// `set_config`: runtime reconfiguration, with the same config rules as init.
    pub fn set_config(&mut self, config: impl Into<PluginConfig>) -> Result<()> {
        self.ready()?;
        let config = self.config_string(&config.into())?;
        match self.raw.set_config(&config).map(Rc::from) {
            None => Err(self.err(ErrorKind::NotCapable("set_config"))),
            Some(Rc::Success) => Ok(()),
            Some(rc) => Err(self.call_err("set_config", rc)),
        }
    }

    /// The event schema version the plugin needs (`None`: 3.0.0).
    pub fn required_event_schema_version(&self) -> Option<String> {
        if !self.initialised {
            return None;
        }
        self.raw
            .required_event_schema_version()
            .filter(|s| !s.is_empty())
    }

    /// `get_metrics`.
    pub fn metrics(&mut self) -> Result<Vec<Metric>> {
        self.ready()?;
        let raw = self.raw.metrics().unwrap_or_default();
        Ok(raw
            .into_iter()
            .map(|(name, kind, bits, vt)| {
                let value = match vt {
                    0 => MetricValue::U64(bits & 0xffff_ffff),
                    1 | 6 => MetricValue::I64(i64::from((bits & 0xffff_ffff) as u32 as i32)),
                    2 => MetricValue::U64(bits),
                    3 => MetricValue::I64(bits as i64),
                    4 => MetricValue::F64(f64::from_bits(bits)),
                    5 => MetricValue::F64(f64::from(f32::from_bits((bits & 0xffff_ffff) as u32))),
                    _ => MetricValue::U64(bits),
                };
                Metric {
                    name,
                    monotonic: kind == 0,
                    value,
                }
            })
            .collect())
    }

    // --- event routing (§11.3) -----------------------------------------------------------

    fn compatible(set: &[String], types: Option<&Vec<u16>>, source: &str, ty: u16) -> bool {
        let source_ok = set.is_empty() || set.iter().any(|s| s == source);
        let type_ok = match types {
            Some(t) if !t.is_empty() => t.contains(&ty),
            _ => {
                let syscall_ok = set.is_empty() || set.iter().any(|s| s == "syscall");
                syscall_ok || ty == event::PLUGIN_EVENT
            }
        };
        source_ok && type_ok
    }

    fn own_sources(&self, declared: &[String]) -> Vec<String> {
        match (&self.info.event_source, declared.is_empty()) {
            (Some(s), true) => vec![s.clone()],
            _ => declared.to_vec(),
        }
    }

    /// Whether `extract` applies to an event of `ty` from `source`.
    pub fn extracts_from(&self, source: &str, ty: u16) -> bool {
        self.caps.extraction
            && Self::compatible(
                &self.own_sources(&self.extract_sources),
                self.extract_types.as_ref(),
                source,
                ty,
            )
    }

    /// Whether `parse` applies to an event of `ty` from `source`.
    pub fn parses_from(&self, source: &str, ty: u16) -> bool {
        self.caps.parsing
            && Self::compatible(
                &self.own_sources(&self.parse_sources),
                self.parse_types.as_ref(),
                source,
                ty,
            )
    }

    /// Whether the plugin may inject async events into `source`.
    pub fn async_targets(&self, source: &str) -> bool {
        self.async_sources.is_empty() || self.async_sources.iter().any(|s| s == source)
    }

    // --- extraction ------------------------------------------------------------------------

    /// Builds a request for `name` with an optional `[ARG]` (§8.1).
    pub fn field_request(&self, name: &str, arg: Option<&str>) -> Result<FieldRequest> {
        let idx = self
            .fields
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| self.err(ErrorKind::Field(format!("no field named {name}"))))?;
        let info = self
            .fields
            .get(idx)
            .ok_or_else(|| self.err(ErrorKind::Field(name.into())))?;
        let arg = fields::classify_arg(info, arg).map_err(|m| self.err(ErrorKind::Field(m)))?;
        let key = match &arg {
            FieldArg::Key(k) | FieldArg::IndexKey(_, k) => Some(
                CString::new(k.clone())
                    .map_err(|_| self.err(ErrorKind::Field("NUL in argument".into())))?,
            ),
            _ => None,
        };
        Ok(FieldRequest {
            field: idx,
            arg,
            key,
        })
    }

    /// Extracts `reqs` from one event (the whole event, header included). Each result is the
    /// list of values (empty: no value). A plugin failure is "no value", as in libsinsp.
    pub fn extract(
        &mut self,
        event: &[u8],
        evtnum: u64,
        source: &str,
        reqs: &[FieldRequest],
    ) -> Result<Vec<Vec<ExtractedValue>>> {
        self.need(self.caps.extraction, "extraction")?;
        event::check_whole(event).map_err(|m| self.err(ErrorKind::Event(m)))?;
        let source =
            CString::new(source).map_err(|_| self.err(ErrorKind::Field("NUL in source".into())))?;
        let mut raw_reqs = Vec::with_capacity(reqs.len());
        let mut types = Vec::with_capacity(reqs.len());
        for r in reqs {
            let (info, name) = self
                .fields
                .get(r.field)
                .zip(self.field_names.get(r.field))
                .ok_or_else(|| self.err(ErrorKind::Field("request for another plugin".into())))?;
            let (present, index) = match r.arg {
                FieldArg::None => (0, 0),
                FieldArg::Index(i) | FieldArg::IndexKey(i, _) => (1, i),
                FieldArg::Key(_) => (1, 0),
            };
            types.push(info.ty);
            raw_reqs.push(ffi::ExtractField {
                res: std::ptr::null_mut(),
                res_len: 0,
                field_id: info.id,
                field: name.as_ptr(),
                arg_key: r.key.as_ref().map_or(std::ptr::null(), |k| k.as_ptr()),
                arg_index: index,
                arg_present: present,
                ftype: info.ty.code(),
                flist: u32::from(info.is_list),
            });
        }
        let mut out: Vec<Vec<ExtractedValue>> = vec![Vec::new(); reqs.len()];
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        // One field per call, as libsinsp does: the Rust SDK 0.5.1 reuses result memory
        // across the fields of one batch (list results of earlier fields get overwritten).
        for (i, (req, slot)) in raw_reqs.iter_mut().zip(out.iter_mut()).enumerate() {
            let ty = types.get(i).copied();
            let rc = self.raw.extract(
                event,
                evtnum,
                &source,
                std::slice::from_mut(req),
                &owner,
                |_, v| {
                    if let Some(v) = ty.and_then(|ty| convert(ty, v)) {
                        slot.push(v);
                    }
                },
            );
            if Rc::from(rc) != Rc::Success {
                slot.clear();
            }
        }
        Ok(out)
    }

    /// Runs `parse_event` on one event. The return code is only logged, as in libsinsp.
    pub fn parse(&mut self, event: &[u8], evtnum: u64, source: &str) -> Result<()> {
        self.need(self.caps.parsing, "parsing")?;
        event::check_whole(event).map_err(|m| self.err(ErrorKind::Event(m)))?;
        let source =
            CString::new(source).map_err(|_| self.err(ErrorKind::Field("NUL in source".into())))?;
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        let rc = Rc::from(self.raw.parse(event, evtnum, &source, &owner));
        if rc != Rc::Success {
            let e = self.call_err("parse_event", rc);
            super::log_line(&self.info.name, &self.info.name, "warning", &e.to_string());
        }
        Ok(())
    }

    // --- sourcing --------------------------------------------------------------------------

    /// `list_open_params`.
    pub fn open_params(&mut self) -> Result<Vec<OpenParam>> {
        self.need(self.caps.sourcing, "sourcing")?;
        match self.raw.list_open_params() {
            None => Ok(Vec::new()),
            Some((rc, s)) if Rc::from(rc) == Rc::Success => {
                fields::parse_open_params(&s).map_err(|msg| {
                    self.err(ErrorKind::Json {
                        what: "list_open_params JSON",
                        msg,
                    })
                })
            }
            Some((rc, _)) => Err(self.call_err("list_open_params", Rc::from(rc))),
        }
    }

    /// Opens a capture (one instance per plugin).
    pub fn open(&mut self, params: &str) -> Result<()> {
        self.need(self.caps.sourcing, "sourcing")?;
        if self.raw.has_instance() {
            return Err(self.err(ErrorKind::State("a capture is already open".into())));
        }
        let params = CString::new(params)
            .map_err(|_| self.err(ErrorKind::Config("NUL in open params".into())))?;
        let rc = Rc::from(self.raw.open(&params));
        if rc != Rc::Success {
            return Err(self.call_err("open", rc));
        }
        self.instance = Some(Instance::default());
        Ok(())
    }

    /// Next event of the open capture (§7): batches are drained before a non-SUCCESS rc is
    /// reported; events are validated and fixed up in our own buffer.
    pub fn next_event(&mut self) -> Result<NextEvent<'_>> {
        self.need(self.caps.sourcing, "sourcing")?;
        let id = self.info.id;
        let name = self.info.name.clone();
        let err = |kind| PluginError::new(&name, kind);
        let Some(inst) = self.instance.as_mut() else {
            return Err(err(ErrorKind::State("no open capture".into())));
        };
        loop {
            if let Some(ev) = inst.pending.pop_front() {
                let old = std::mem::replace(&mut inst.current, ev);
                inst.spare.push(old);
                event::fix_source_event(&mut inst.current, id, event::now_ns())
                    .map_err(|m| err(ErrorKind::Event(m)))?;
                return Ok(NextEvent::Event(&inst.current));
            }
            if inst.eof {
                return Ok(NextEvent::Eof);
            }
            match inst.last_rc.take() {
                Some(Rc::Timeout) => return Ok(NextEvent::Timeout),
                Some(Rc::Eof) => {
                    inst.eof = true;
                    return Ok(NextEvent::Eof);
                }
                Some(rc) => {
                    let message = self
                        .raw
                        .last_error()
                        .unwrap_or_else(|| "no error message from the plugin".into());
                    return Err(err(ErrorKind::Call {
                        func: "next_batch",
                        rc,
                        message,
                    }));
                }
                None => {}
            }
            let batch = self
                .raw
                .next_batch(&mut inst.pending, &mut inst.spare)
                .map_err(|m| err(ErrorKind::Event(m)))?;
            let rc = Rc::from(batch.rc);
            if batch.count == 0 && rc == Rc::Success {
                return Err(err(ErrorKind::Event(
                    "unexpected 0 size event (SUCCESS with an empty batch)".into(),
                )));
            }
            // A non-SUCCESS code is reported once the batch is drained (the loop's top).
            if rc != Rc::Success {
                inst.last_rc = Some(rc);
            }
        }
    }

    /// `get_progress` of the open capture.
    pub fn progress(&mut self) -> Option<Progress> {
        if !self.initialised {
            return None;
        }
        self.raw.progress().map(|(pct, text)| Progress {
            pct,
            text: text.filter(|s| !s.is_empty()),
        })
    }

    /// Closes the capture, if one is open.
    pub fn close(&mut self) {
        self.raw.close();
        self.instance = None;
    }

    /// The `evt.plugininfo` text of a 322 event: `event_to_string`, or libsinsp's fallback.
    pub fn event_to_string(&mut self, event: &[u8], evtnum: u64) -> Result<String> {
        self.ready()?;
        let pe = PluginEvent::decode(event)
            .ok_or_else(|| self.err(ErrorKind::Event("not a plugin event".into())))?;
        let source =
            CString::new(self.info.event_source.clone().unwrap_or_default()).unwrap_or_default();
        let text = if pe.plugin_id == self.info.id && self.info.id != 0 {
            self.raw
                .event_to_string(event, evtnum, &source)
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(if text.is_empty() {
            event::fallback_plugin_info(pe.data)
        } else {
            text
        })
    }

    // --- async events ----------------------------------------------------------------------

    /// Installs the async handler (live captures only).
    pub fn start_async(&mut self) -> Result<()> {
        self.need(self.caps.async_events, "async")?;
        if self.async_on {
            return Ok(());
        }
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        owner.set_async_enabled(true);
        let rc = Rc::from(self.raw.set_async_handler(&owner, true));
        if rc != Rc::Success {
            owner.set_async_enabled(false);
            return Err(self.call_err("set_async_event_handler", rc));
        }
        self.async_on = true;
        Ok(())
    }

    /// Removes the async handler; the plugin joins its threads.
    pub fn stop_async(&mut self) -> Result<()> {
        if !self.async_on {
            return Ok(());
        }
        self.async_on = false;
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        let rc = Rc::from(self.raw.set_async_handler(&owner, false));
        owner.set_async_enabled(false);
        if rc != Rc::Success {
            return Err(self.call_err("set_async_event_handler", rc));
        }
        Ok(())
    }

    /// Takes the queued async events, stamped with the current source's plugin ID and ts.
    pub fn take_async_events(&mut self, source_id: u32) -> Vec<Vec<u8>> {
        let Some(owner) = &self.owner else {
            return Vec::new();
        };
        let mut v = owner.drain_async();
        let now = event::now_ns();
        for e in &mut v {
            event::fix_async_event(e, source_id, now);
        }
        v
    }

    /// How many async events the handler refused (bad type or undeclared name).
    pub fn async_rejected(&self) -> usize {
        self.owner.as_ref().map_or(0, |o| o.async_rejected())
    }

    /// `dump_state`: the state events to write at the start of a capture file.
    pub fn dump_state(&mut self) -> Result<Vec<Vec<u8>>> {
        self.need(self.caps.async_events, "async")?;
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        match self.raw.dump_state(&owner) {
            None => Ok(Vec::new()),
            Some((rc, events, _)) if Rc::from(rc) == Rc::Success => Ok(events),
            Some((rc, _, _)) => Err(self.call_err("dump_state", Rc::from(rc))),
        }
    }

    // --- capture listening -----------------------------------------------------------------

    /// `capture_open`; routines the plugin subscribes run on host threads.
    pub fn capture_open(&mut self) -> Result<()> {
        self.need(self.caps.capture_listening, "capture listening")?;
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        match self.raw.capture(&owner, true).map(Rc::from) {
            Some(Rc::Success) => {
                self.capturing = true;
                Ok(())
            }
            Some(rc) => Err(self.call_err("capture_open", rc)),
            None => Err(self.err(ErrorKind::NotCapable("capture listening"))),
        }
    }

    /// `capture_close`, then stops and joins the plugin's routines.
    pub fn capture_close(&mut self) -> Result<()> {
        self.need(self.caps.capture_listening, "capture listening")?;
        let owner = self
            .owner
            .clone()
            .ok_or_else(|| self.err(ErrorKind::NotInitialised))?;
        self.capturing = false;
        let rc = self.raw.capture(&owner, false).map(Rc::from);
        owner.purge_routines();
        match rc {
            Some(Rc::Success) | None => Ok(()),
            Some(rc) => Err(self.call_err("capture_close", rc)),
        }
    }
}

fn convert(ty: FieldType, v: RawValue<'_>) -> Option<ExtractedValue> {
    Some(match (ty, v) {
        (FieldType::U64, RawValue::U64(x)) => ExtractedValue::U64(x),
        (FieldType::RelTime, RawValue::U64(x)) => ExtractedValue::RelTime(x),
        (FieldType::AbsTime, RawValue::U64(x)) => ExtractedValue::AbsTime(x),
        (FieldType::Bool, RawValue::U64(x)) => ExtractedValue::Bool(x != 0),
        (FieldType::String, RawValue::Bytes(b)) => ExtractedValue::Str(b.to_vec()),
        (FieldType::IpAddr, RawValue::Bytes(b)) => ExtractedValue::Ip(ip(b)?),
        (FieldType::IpNet, RawValue::Bytes(b)) => ExtractedValue::Net(ip(b)?),
        _ => return None,
    })
}

fn ip(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?))),
        _ => None,
    }
}

/// Capability inference with the BROKEN rules of §2.2.
fn infer_capabilities(vt: &Vtable) -> std::result::Result<Capabilities, String> {
    let src = [
        vt.open.is_some(),
        vt.close.is_some(),
        vt.next_batch.is_some(),
    ];
    let sourcing = src.iter().all(|x| *x);
    if !sourcing && src.iter().any(|x| *x) {
        return Err(
            "incomplete sourcing capability: open, close and next_batch go together".into(),
        );
    }
    if vt.extract_fields.is_some() && vt.get_fields.is_none() {
        return Err("extract_fields without get_fields".into());
    }
    if vt.set_async_event_handler.is_some() && vt.get_async_events.is_none() {
        return Err("set_async_event_handler without get_async_events".into());
    }
    if vt.capture_open.is_some() && vt.capture_close.is_none() {
        return Err("capture_open without capture_close".into());
    }
    let caps = Capabilities {
        sourcing,
        extraction: vt.get_fields.is_some() && vt.extract_fields.is_some(),
        parsing: vt.parse_event.is_some(),
        async_events: vt.get_async_events.is_some() && vt.set_async_event_handler.is_some(),
        capture_listening: vt.capture_open.is_some() && vt.capture_close.is_some(),
    };
    if caps == Capabilities::default() {
        return Err("the plugin has no capability".into());
    }
    Ok(caps)
}

impl Drop for Plugin {
    fn drop(&mut self) {
        // §10.6 order: close the source, stop async, stop listening, then destroy.
        self.close();
        if let Err(e) = self.stop_async() {
            super::log_line(&self.info.name, &self.info.name, "warning", &e.to_string());
        }
        if self.capturing {
            if let Err(e) = self.capture_close() {
                super::log_line(&self.info.name, &self.info.name, "warning", &e.to_string());
            }
        }
        if let Some(o) = &self.owner {
            o.purge_routines();
        }
        self.raw.destroy();
        if let Some(o) = &self.owner {
            o.unregister();
        }
    }
}
