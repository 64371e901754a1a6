//! Output: format strings and rendering events as sysdig does.

pub mod args;
mod format;
mod json;
mod line;
mod stage;
mod stdsort;
mod summary;

pub use args::{BufMode, BufferOpts};
pub use format::{Format, FormatError, Part, DEFAULT_FORMAT, PLUGIN_FORMAT};
pub use json::JsonWriter;
pub use line::{LineWriter, TimeMode};
pub use summary::EventSummary;
