//! sysdig's `-S` summary: calls per event type, most frequent first.

use std::io::{self, Write};

use scap::table::{self, Direction};

use super::stdsort;
use crate::session::{EventCtx, Hidden};

/// How many rows sysdig prints at most.
const MAX_ROWS: usize = 100;

/// Counts events per type as sysdig 0.29.3 does: one slot per event code of its table, then
/// two slots (enter, exit) per syscall id for generic events.
#[derive(Debug, Clone)]
pub struct EventSummary {
    counts: Vec<u64>,
}

impl Default for EventSummary {
    fn default() -> Self {
        let t = table::SYSDIG_0_29;
        EventSummary {
            counts: vec![0; t.len() + 2 * t.syscalls.len()],
        }
    }
}

impl EventSummary {
    /// Count one event. Initial-state events never reach sysdig's loop, and codes its table
    /// does not know have no slot: both are left out, as there.
    pub fn add(&mut self, ctx: &EventCtx<'_>) {
        if ctx.hidden == Hidden::InitialState {
            return;
        }
        let t = table::SYSDIG_0_29;
        let ty = ctx.event.event_type();
        let slot = if ty <= 1 {
            let id = ctx
                .event
                .param(0)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .map(u16::from_le_bytes);
            match id {
                Some(id) if usize::from(id) < t.syscalls.len() => {
                    t.len() + 2 * usize::from(id) + usize::from(ty)
                }
                _ => return,
            }
        } else {
            usize::from(ty)
        };
        if let Some(c) = self.counts.get_mut(slot) {
            *c += 1;
        }
    }

    /// Write the table: the same rows, in the same order, as `sysdig -S`.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let t = table::SYSDIG_0_29;
        // sysdig sorts its whole slot vector with std::sort (not stable): ties come out in
        // the order that algorithm leaves them, which we reproduce exactly.
        let mut rows: Vec<(usize, u64)> = self.counts.iter().copied().enumerate().collect();
        stdsort::sort_by(&mut rows, |a, b| a.1 > b.1);
        writeln!(out, "----------------------")?;
        writeln!(out, "{:<15} #Calls", "Event")?;
        writeln!(out, "----------------------")?;
        for (slot, n) in rows.into_iter().take(MAX_ROWS) {
            if n == 0 {
                break;
            }
            let (dir, name) = if slot < t.len() {
                let code = u16::try_from(slot).unwrap_or(u16::MAX);
                (Direction::of(code), t.event(code).map_or("", |e| e.name))
            } else {
                let s = slot - t.len();
                let dir = if s % 2 == 0 {
                    Direction::Enter
                } else {
                    Direction::Exit
                };
                (dir, t.syscalls.get(s / 2).copied().unwrap_or(""))
            };
            writeln!(out, "{} {:<15} {}", dir.as_char(), name, n)?;
        }
        Ok(())
    }
}
