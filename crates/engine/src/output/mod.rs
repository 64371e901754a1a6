//! Output: format strings and rendering events as sysdig does.

mod format;
mod line;

pub use format::{Format, FormatError, Part, DEFAULT_FORMAT, PLUGIN_FORMAT};
pub use line::{LineWriter, TimeMode};
