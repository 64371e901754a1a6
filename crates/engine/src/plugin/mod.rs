//! Falco plugin host (plugin API 3.12.0): load `.so` plugins or statically linked SDK
//! plugins through one vtable path, validate them, and drive every capability.
//!
//! - [`Plugin`]: one plugin: [`Plugin::load`] / [`Plugin::from_static`], then
//!   [`Plugin::init`]; sourcing ([`Plugin::open`], [`Plugin::next_event`]), extraction
//!   ([`Plugin::field_request`], [`Plugin::extract`]), parsing, async events, capture
//!   listening, metrics, `set_config`.
//! - [`PluginManager`]: several plugins; event routing by source and type (§11.3) and any
//!   number of source plugins merged by timestamp.
//! - [`ThreadTable`]: the `threads` table plugins see through the tables API.
//!
//! All `unsafe` code lives in `ffi`. No plugin failure takes the host down: each becomes a
//! [`PluginError`] naming the plugin and its `get_last_error`.

mod error;
pub mod event;
mod ffi;
pub mod fields;
mod host;
mod manager;
pub mod tables;
pub mod version;

#[cfg(test)]
mod tests;

pub use error::{ErrorKind, PluginError, Rc, Result};
pub use fields::{ArgSpec, FieldArg, FieldInfo, FieldType, OpenParam};
pub use host::{
    Capabilities, ExtractedValue, FieldRequest, InitSchema, Metric, MetricValue, NextEvent, Plugin,
    PluginConfig, PluginInfo, Progress, StaticPluginApi, Tables,
};
pub use manager::{EventSource, Merged, PluginIdx, PluginManager, KNOWN_SOURCES};
pub use tables::{MapThreadTable, StateType, StateValue, TableField, ThreadTable};

/// Writes one plugin log line to stderr (never stdout, where events go).
pub(crate) fn log_line(plugin: &str, component: &str, severity: &str, msg: &str) {
    if component == plugin {
        eprintln!("[plugin {plugin}] {severity}: {msg}");
    } else {
        eprintln!("[plugin {plugin}/{component}] {severity}: {msg}");
    }
}
