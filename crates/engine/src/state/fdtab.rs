//! The processes' fd tables, kept in a slab: the table of the thread being parsed is then
//! found by its index (see `State::hint`), one hash lookup less for every fd lookup.

use super::hash::IntMap;
use super::Fd;

/// One process's fds, by number.
pub(super) type FdTable = IntMap<i64, Fd>;

/// The fd tables, by pid. A removed table leaves an empty map in its slot for the next one,
/// so the slab never outgrows the most processes alive at once.
#[derive(Debug, Default)]
pub(super) struct FdTables {
    slab: Vec<FdTable>,
    free: Vec<u32>,
    of: IntMap<i64, u32>,
}

impl FdTables {
    /// The slot of `pid`'s table, if it has one.
    #[inline]
    pub(super) fn slot(&self, pid: i64) -> Option<u32> {
        self.of.get(&pid).copied()
    }

    /// The table in `slot`.
    #[inline]
    pub(super) fn at(&self, slot: u32) -> Option<&FdTable> {
        self.slab.get(slot as usize)
    }

    /// The table in `slot`, to change.
    #[inline]
    pub(super) fn at_mut(&mut self, slot: u32) -> Option<&mut FdTable> {
        self.slab.get_mut(slot as usize)
    }

    /// `pid`'s table.
    pub(super) fn get(&self, pid: i64) -> Option<&FdTable> {
        self.at(self.slot(pid)?)
    }

    /// The slot of `pid`'s table, made empty if it had none.
    pub(super) fn slot_or_new(&mut self, pid: i64) -> u32 {
        if let Some(slot) = self.slot(pid) {
            return slot;
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slab.push(FdTable::default());
                u32::try_from(self.slab.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.of.insert(pid, slot);
        slot
    }

    /// Take `pid`'s table away.
    pub(super) fn remove(&mut self, pid: i64) -> Option<FdTable> {
        let slot = self.of.remove(&pid)?;
        let table = std::mem::take(self.slab.get_mut(slot as usize)?);
        self.free.push(slot);
        Some(table)
    }

    /// Every table.
    pub(super) fn tables(&self) -> impl Iterator<Item = &FdTable> {
        // Free slots hold empty tables.
        self.slab.iter()
    }

    /// Every table, to change.
    pub(super) fn tables_mut(&mut self) -> impl Iterator<Item = &mut FdTable> {
        self.slab.iter_mut()
    }

    /// The pids that have a table.
    #[cfg(test)]
    pub(super) fn pids(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.of.iter().map(|(p, s)| (*p, *s))
    }
}
