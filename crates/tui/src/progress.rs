//! Progress on stderr with indicatif, only when stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// An indicatif bar implementing the engine's progress trait.
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar for `total` bytes, or `None` when progress must not be shown.
    pub fn new(total: u64, disabled: bool) -> Option<Bar> {
        if disabled || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec})",
        ) {
            bar.set_style(style);
        }
        Some(Bar(bar))
    }
}

impl engine::session::Progress for Bar {
    fn on_bytes(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
