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
/// Highest plugin log severity shown (Falco's scale: 1 fatal ... 4 warning ... 7 debug, 8
/// trace). Warnings and worse by default.
static LOG_THRESHOLD: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(4);

/// Show plugin log messages up to `severity` (4 = warning, 6 = info, 7 = debug).
pub fn set_log_threshold(severity: u32) {
    LOG_THRESHOLD.store(severity, std::sync::atomic::Ordering::Relaxed);
}

pub(crate) fn log_threshold() -> u32 {
    LOG_THRESHOLD.load(std::sync::atomic::Ordering::Relaxed)
}

pub(crate) fn log_line(plugin: &str, component: &str, severity: &str, msg: &str) {
    if component == plugin {
        eprintln!("[plugin {plugin}] {severity}: {msg}");
    } else {
        eprintln!("[plugin {plugin}/{component}] {severity}: {msg}");
    }
}
