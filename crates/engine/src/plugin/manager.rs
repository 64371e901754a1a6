//! Several plugins together: registration rules, event routing, and running any number of
//! source plugins at once, merged by timestamp.

use super::error::{ErrorKind, PluginError, Result};
use super::event::{self, Header, PluginEvent};
use super::host::Tables;
use super::host::{ExtractedValue, FieldRequest, NextEvent, Plugin};

/// Index of a plugin in a [`PluginManager`].
pub type PluginIdx = usize;

/// Registered plugin IDs and their sources (falcosecurity/plugins `registry.yaml`, §11.1),
/// to name the source of plugin events whose plugin is not loaded.
pub const KNOWN_SOURCES: &[(u32, &str)] = &[
    (1, "k8s_audit"),
    (2, "aws_cloudtrail"),
    (3, "dummy"),
    (4, "dummy_c"),
    (5, "docker"),
    (6, "seccompagent"),
    (7, "okta"),
    (8, "github"),
    (9, "k8s_audit"),
    (10, "nomad"),
    (11, "dnscollector"),
    (12, "gcp_auditlog"),
    (13, "syslogsrv"),
    (14, "salesforce"),
    (15, "box"),
    (16, "k8s_audit"),
    (17, "journal"),
    (18, "kafka"),
    (19, "gitlab"),
    (20, "keycloak"),
    (21, "k8s_audit"),
    (22, "k8s_audit"),
    (23, "dummy_rs"),
    (24, "collector"),
    (25, "awselb"),
    (26, "edera_zone"),
    (27, "nginx"),
    (28, "coding_agent"),
    (999, "test"),
];

/// The event source of an event (§11.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource<'a> {
    /// The kernel/libscap stream.
    Syscall,
    /// A plugin source.
    Plugin(&'a str),
    /// A plugin ID nobody claims: parsers and extractors skip the event.
    Unknown(u32),
}

impl<'a> EventSource<'a> {
    /// The source name (`None` for unknown).
    pub fn name(&self) -> Option<&'a str> {
        match self {
            Self::Syscall => Some("syscall"),
            Self::Plugin(s) => Some(*s),
            Self::Unknown(_) => None,
        }
    }
}

/// One item of the merged stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Merged<'a> {
    /// An event from a source plugin (or an async event), valid until the next call.
    Event {
        /// The plugin that produced it.
        plugin: PluginIdx,
        /// The bytes (header included).
        bytes: &'a [u8],
    },
    /// No source has an event now (some timed out); poll again.
    Timeout,
    /// Every source ended.
    Eof,
}

#[derive(Debug)]
struct OpenSource {
    plugin: PluginIdx,
    head: Option<Vec<u8>>,
    eof: bool,
}

/// Holds plugins, routes events to them, and runs source plugins.
#[derive(Debug, Default)]
pub struct PluginManager {
    plugins: Vec<Plugin>,
    /// The tables the plugins were initialised with, if any.
    tables: Option<Tables>,
    open: Vec<OpenSource>,
    async_queue: Vec<(PluginIdx, Vec<u8>)>,
    current: Vec<u8>,
}

impl PluginManager {
    /// Remember the tables given to the plugins at init (see [`Plugin::init_with_tables`]).
    pub fn set_tables(&mut self, tables: Tables) {
        self.tables = Some(tables);
    }

    /// True when a plugin uses the host's tables.
    pub fn tables_in_use(&self) -> bool {
        self.tables.as_ref().is_some_and(Tables::in_use)
    }

    /// An empty manager.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plugin: names are unique, and so are non-zero source IDs.
    pub fn add(&mut self, plugin: Plugin) -> Result<PluginIdx> {
        let dup = |m: String| Err(PluginError::new(plugin.name(), ErrorKind::Duplicate(m)));
        if self.plugins.iter().any(|p| p.name() == plugin.name()) {
            return dup("a plugin with this name is already loaded".into());
        }
        let id = plugin.info().id;
        if id != 0 {
            if let Some(p) = self.plugins.iter().find(|p| p.info().id == id) {
                return dup(format!(
                    "plugin ID {id} is already used by plugin {}",
                    p.name()
                ));
            }
        }
        self.plugins.push(plugin);
        Ok(self.plugins.len() - 1)
    }

    /// Every plugin, in registration order.
    pub fn plugins(&self) -> &[Plugin] {
        &self.plugins
    }

    /// One plugin.
    pub fn get(&self, idx: PluginIdx) -> Option<&Plugin> {
        self.plugins.get(idx)
    }

    /// One plugin, mutably.
    pub fn get_mut(&mut self, idx: PluginIdx) -> Option<&mut Plugin> {
        self.plugins.get_mut(idx)
    }

    /// Finds a plugin by name.
    pub fn find(&self, name: &str) -> Option<PluginIdx> {
        self.plugins.iter().position(|p| p.name() == name)
    }

    /// Source names of the loaded sourcing plugins (deduplicated).
    pub fn sources(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for p in &self.plugins {
            if let Some(s) = p.info().event_source.as_deref() {
                if !v.contains(&s) {
                    v.push(s);
                }
            }
        }
        v
    }

    /// Source name for a plugin ID: a loaded plugin first, then the public registry.
    pub fn source_for_id(&self, id: u32) -> Option<&str> {
        if id == 0 {
            return None;
        }
        self.plugins
            .iter()
            .find(|p| p.info().id == id)
            .and_then(|p| p.info().event_source.as_deref())
            .or_else(|| {
                KNOWN_SOURCES
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, s)| *s)
            })
    }

    /// The source of an event (§11.2): 322 and 402 with a non-zero plugin_id belong to that
    /// plugin's source; everything else is `syscall`.
    pub fn event_source(&self, bytes: &[u8]) -> EventSource<'_> {
        let Some(h) = Header::read(bytes) else {
            return EventSource::Syscall;
        };
        let id = match h.ty {
            event::PLUGIN_EVENT | event::ASYNC_EVENT => bytes
                .get(34..38)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes),
            _ => None,
        };
        let id = if h.ty == event::ASYNC_EVENT {
            bytes
                .get(38..42)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        } else {
            id
        };
        match id {
            Some(0) | None => EventSource::Syscall,
            Some(id) => self
                .source_for_id(id)
                .map_or(EventSource::Unknown(id), EventSource::Plugin),
        }
    }

    /// Plugins whose extraction applies to this event.
    pub fn extractors_for(&self, bytes: &[u8]) -> Vec<PluginIdx> {
        let (Some(src), Some(h)) = (self.event_source(bytes).name(), Header::read(bytes)) else {
            return Vec::new();
        };
        (0..self.plugins.len())
            .filter(|i| {
                self.plugins
                    .get(*i)
                    .is_some_and(|p| p.is_initialised() && p.extracts_from(src, h.ty))
            })
            .collect()
    }

    /// Resolves `name[arg]` against every extraction plugin, first match wins.
    pub fn field_request(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Option<(PluginIdx, Result<FieldRequest>)> {
        self.plugins
            .iter()
            .enumerate()
            .find(|(_, p)| p.fields().iter().any(|f| f.name == name))
            .map(|(i, p)| (i, p.field_request(name, arg)))
    }

    /// Extracts with one plugin, if the event is routed to it (else every result is empty).
    pub fn extract(
        &mut self,
        idx: PluginIdx,
        bytes: &[u8],
        evtnum: u64,
        reqs: &[FieldRequest],
    ) -> Result<Vec<Vec<ExtractedValue>>> {
        let Some(src) = self.event_source(bytes).name().map(str::to_owned) else {
            return Ok(vec![Vec::new(); reqs.len()]);
        };
        let ty = Header::read(bytes).map_or(0, |h| h.ty);
        let Some(p) = self.plugins.get_mut(idx) else {
            return Ok(vec![Vec::new(); reqs.len()]);
        };
        if !p.extracts_from(&src, ty) {
            return Ok(vec![Vec::new(); reqs.len()]);
        }
        p.extract(bytes, evtnum, &src, reqs)
    }

    /// Runs every parse plugin the event is routed to, in registration order.
    pub fn parse(&mut self, bytes: &[u8], evtnum: u64) -> Result<()> {
        let Some(src) = self.event_source(bytes).name().map(str::to_owned) else {
            return Ok(());
        };
        let ty = Header::read(bytes).map_or(0, |h| h.ty);
        for p in &mut self.plugins {
            if p.is_initialised() && p.parses_from(&src, ty) {
                p.parse(bytes, evtnum, &src)?;
            }
        }
        Ok(())
    }

    /// `evt.plugininfo` for a 322 event, from the plugin that owns its ID.
    pub fn plugin_info(&mut self, bytes: &[u8], evtnum: u64) -> Option<String> {
        let pe = PluginEvent::decode(bytes)?;
        match self
            .plugins
            .iter_mut()
            .find(|p| p.info().id == pe.plugin_id && p.is_initialised())
        {
            Some(p) => p.event_to_string(bytes, evtnum).ok(),
            None => Some(event::fallback_plugin_info(pe.data)),
        }
    }

    /// Opens several source plugins (each `(plugin, params)`); on failure, the ones already
    /// opened are closed again and the error names the plugin.
    pub fn open_sources(&mut self, which: &[(PluginIdx, &str)]) -> Result<()> {
        self.close_sources();
        for (idx, params) in which {
            let r = match self.plugins.get_mut(*idx) {
                Some(p) => p.open(params),
                None => Err(PluginError::new(
                    format!("#{idx}"),
                    ErrorKind::State("no such plugin".into()),
                )),
            };
            if let Err(e) = r {
                self.close_sources();
                return Err(e);
            }
            self.open.push(OpenSource {
                plugin: *idx,
                head: None,
                eof: false,
            });
        }
        Ok(())
    }

    /// Tells every capture-listening plugin that a capture opens; errors name the plugin.
    pub fn capture_open_all(&mut self) -> Result<()> {
        for p in &mut self.plugins {
            if p.capabilities().capture_listening && p.is_initialised() {
                p.capture_open()?;
            }
        }
        Ok(())
    }

    /// Tells every capture-listening plugin that the capture closed.
    pub fn capture_close_all(&mut self) -> Result<()> {
        for p in &mut self.plugins {
            if p.capabilities().capture_listening && p.is_initialised() {
                p.capture_close()?;
            }
        }
        Ok(())
    }

    /// Every plugin's metrics, as `(plugin name, metric)`.
    pub fn metrics_all(&mut self) -> Vec<(String, super::host::Metric)> {
        let mut out = Vec::new();
        for p in &mut self.plugins {
            let name = p.name().to_string();
            if let Ok(ms) = p.metrics() {
                out.extend(ms.into_iter().map(|m| (name.clone(), m)));
            }
        }
        out
    }

    /// Starts async events on every async plugin (live captures).
    pub fn start_async(&mut self) -> Result<()> {
        for p in &mut self.plugins {
            if p.capabilities().async_events && p.is_initialised() {
                p.start_async()?;
            }
        }
        Ok(())
    }

    /// Next event of the merged stream: the oldest head among the sources; queued async
    /// events go first when they are older, or when no source has an event.
    pub fn next_event(&mut self) -> Result<Merged<'_>> {
        // Fill the heads.
        let mut timed_out = false;
        for s in &mut self.open {
            if s.head.is_some() || s.eof {
                continue;
            }
            let Some(p) = self.plugins.get_mut(s.plugin) else {
                continue;
            };
            match p.next_event()? {
                NextEvent::Event(b) => s.head = Some(b.to_vec()),
                NextEvent::Timeout => timed_out = true,
                NextEvent::Eof => s.eof = true,
            }
        }
        // Collect async events, targeted at the first open source (0 = syscall).
        let source_id = self
            .open
            .first()
            .and_then(|s| self.plugins.get(s.plugin))
            .map_or(0, |p| p.info().id);
        let source_name = self
            .source_for_id(source_id)
            .unwrap_or("syscall")
            .to_owned();
        for (i, p) in self.plugins.iter_mut().enumerate() {
            if p.capabilities().async_events && p.is_initialised() {
                let targets = p.async_targets(&source_name);
                for e in p.take_async_events(source_id) {
                    if targets {
                        self.async_queue.push((i, e));
                    }
                }
            }
        }
        let head_min = self
            .open
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.head
                    .as_ref()
                    .and_then(|h| Header::read(h))
                    .map(|h| (h.ts, i))
            })
            .min();
        let async_min = self
            .async_queue
            .iter()
            .enumerate()
            .filter_map(|(i, (_, e))| Header::read(e).map(|h| (h.ts, i)))
            .min();
        match (head_min, async_min) {
            (Some((hts, _)), Some((ats, ai))) if ats < hts => self.emit_async(ai),
            (None, Some((_, ai))) if timed_out || self.open.iter().all(|s| s.eof) => {
                self.emit_async(ai)
            }
            (Some((_, si)), _) => {
                let Some(s) = self.open.get_mut(si) else {
                    return Ok(Merged::Timeout);
                };
                let Some(head) = s.head.take() else {
                    return Ok(Merged::Timeout);
                };
                self.current = head;
                Ok(Merged::Event {
                    plugin: s.plugin,
                    bytes: &self.current,
                })
            }
            _ if self.open.iter().all(|s| s.eof) => Ok(Merged::Eof),
            _ => Ok(Merged::Timeout),
        }
    }

    fn emit_async(&mut self, i: usize) -> Result<Merged<'_>> {
        if i >= self.async_queue.len() {
            return Ok(Merged::Timeout);
        }
        let (plugin, e) = self.async_queue.remove(i);
        self.current = e;
        Ok(Merged::Event {
            plugin,
            bytes: &self.current,
        })
    }

    /// Closes every open source, then stops async handlers (§10.6 order).
    pub fn close_sources(&mut self) {
        for s in self.open.drain(..) {
            if let Some(p) = self.plugins.get_mut(s.plugin) {
                p.close();
            }
        }
        for p in &mut self.plugins {
            if let Err(e) = p.stop_async() {
                super::log_line(p.name(), p.name(), "warning", &e.to_string());
            }
        }
        self.async_queue.clear();
    }
}
