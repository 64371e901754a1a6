//! `evt.latency`: time between a syscall's enter event and its exit, per thread.

use scap::table::Direction;
use scap::Event;

/// Remembers each thread's last event so that an exit event can be matched to its enter.
#[derive(Debug, Default)]
pub struct LatencyTracker {
    /// tid -> (type, ts) of its last event.
    last: super::hash::IntMap<i64, (u16, u64)>,
}

impl LatencyTracker {
    /// Record `ev` and return its latency: for an exit event right after its own enter event
    /// on the same thread, the ns between them; 0 otherwise (as libsinsp).
    pub fn track(&mut self, ev: &Event<'_>) -> u64 {
        let ty = ev.event_type();
        let ts = ev.ts();
        let prev = self.last.insert(ev.tid() as i64, (ty, ts));
        match (ev.direction(), prev) {
            (Direction::Exit, Some((pty, pts))) if pty.wrapping_add(1) == ty => {
                ts.saturating_sub(pts)
            }
            _ => 0,
        }
    }

    /// Forget everything (a new section starts).
    pub fn clear(&mut self) {
        self.last.clear();
    }
}
