//! Process, thread and fd state rebuilt from the capture.

use scap::{Block, Event};

/// What libsinsp knows while reading: threads, fds, users, interfaces.
#[derive(Debug, Default)]
pub struct State {
    /// Number of metadata blocks applied (machine, threads, fds, users, interfaces).
    pub meta_blocks: u64,
}

impl State {
    /// Apply a metadata block (process list, fd list, ...).
    pub fn load_meta(&mut self, _block: &Block<'_>) {
        self.meta_blocks += 1;
    }

    /// Update state from an event.
    pub fn parse(&mut self, _event: &Event<'_>) {}
}
