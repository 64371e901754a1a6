//! The processes' fd tables, kept in a slab: the table of the thread being parsed is then
//! found by its index (see `State::hint`), one hash lookup less for every fd lookup.

use super::hash::IntMap;
use super::{Fd, Version};

/// fd numbers below this are kept in a vector indexed by number.
const LOW: usize = 256;

/// One process's fds, by number. The kernel hands out the lowest free number, so nearly all
/// are small: those sit in a vector indexed by number (a lookup is an index, not a hash),
/// the others (and the negative ones some events carry) in a map.
#[derive(Debug, Default, Clone)]
pub(super) struct FdTable {
    /// By number, up to the highest low fd open (or once open).
    low: Vec<Option<Fd>>,
    high: IntMap<i64, Fd>,
}

impl FdTable {
    /// Index in `low` of fd `fd`, when it belongs there.
    #[inline]
    fn low_index(fd: i64) -> Option<usize> {
        usize::try_from(fd).ok().filter(|&i| i < LOW)
    }

    #[inline]
    pub(super) fn get(&self, fd: &i64) -> Option<&Fd> {
        match Self::low_index(*fd) {
            Some(i) => self.low.get(i)?.as_ref(),
            None => self.high.get(fd),
        }
    }

    #[inline]
    pub(super) fn get_mut(&mut self, fd: &i64) -> Option<&mut Fd> {
        match Self::low_index(*fd) {
            Some(i) => self.low.get_mut(i)?.as_mut(),
            None => self.high.get_mut(fd),
        }
    }

    /// Sets fd `fd`; the fd it replaces, if any.
    pub(super) fn insert(&mut self, fd: i64, f: Fd) -> Option<Fd> {
        let Some(i) = Self::low_index(fd) else {
            return self.high.insert(fd, f);
        };
        if i >= self.low.len() {
            self.low.resize_with(i + 1, || None);
        }
        self.low.get_mut(i)?.replace(f)
    }

    pub(super) fn remove(&mut self, fd: &i64) -> Option<Fd> {
        match Self::low_index(*fd) {
            Some(i) => self.low.get_mut(i)?.take(),
            None => self.high.remove(fd),
        }
    }

    /// Every fd with its number (low numbers first, in order).
    pub(super) fn iter(&self) -> impl Iterator<Item = (i64, &Fd)> {
        let low = (0i64..)
            .zip(&self.low)
            .filter_map(|(n, f)| Some((n, f.as_ref()?)));
        low.chain(self.high.iter().map(|(n, f)| (*n, f)))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Fd> {
        self.low.iter().flatten().chain(self.high.values())
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Fd> {
        self.low.iter_mut().flatten().chain(self.high.values_mut())
    }

    pub(super) fn into_values(self) -> impl Iterator<Item = Fd> {
        self.low
            .into_iter()
            .flatten()
            .chain(self.high.into_values())
    }
}

/// The fd tables, by pid. A removed table leaves an empty map in its slot for the next one,
/// so the slab never outgrows the most processes alive at once.
#[derive(Debug, Default)]
pub(super) struct FdTables {
    slab: Vec<FdTable>,
    free: Vec<u32>,
    of: IntMap<i64, u32>,
    version: Version,
}

impl FdTables {
    /// A number that stays the same only while no table is given out to change, and no
    /// [`FdTables::changed`] is called: what was read from the tables under one version
    /// still holds under it.
    #[inline]
    pub(super) fn version(&self) -> u64 {
        self.version.get()
    }

    /// Something that decides which table or fd a lookup finds changed (a thread came, went
    /// or moved to another process): ends the current [`FdTables::version`].
    #[inline]
    pub(super) fn changed(&mut self) {
        self.version.bump();
    }

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
        self.changed();
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
        self.changed();
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
        self.changed();
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
        self.changed();
        self.slab.iter_mut()
    }

    /// The pids that have a table.
    #[cfg(test)]
    pub(super) fn pids(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.of.iter().map(|(p, s)| (*p, *s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Fd {
        Fd {
            name: name.as_bytes().to_vec(),
            ..Fd::default()
        }
    }

    #[test]
    fn low_high_and_negative_numbers_behave_alike() {
        let mut t = FdTable::default();
        let nums = [0, 3, LOW as i64 - 1, LOW as i64, 100_000, -1, -100];
        for n in nums {
            assert!(t.insert(n, named(&format!("a{n}"))).is_none());
        }
        for n in nums {
            assert_eq!(
                t.get(&n).map(|f| f.name.clone()),
                Some(format!("a{n}").into_bytes())
            );
            // Replacing gives the old fd back.
            let old = t.insert(n, named(&format!("b{n}")));
            assert_eq!(old.map(|f| f.name), Some(format!("a{n}").into_bytes()));
        }
        assert!(t.get(&1).is_none());
        assert!(t.get(&(LOW as i64 + 1)).is_none());
        let mut seen: Vec<i64> = t.iter().map(|(n, _)| n).collect();
        seen.sort_unstable();
        let mut want = nums.to_vec();
        want.sort_unstable();
        assert_eq!(seen, want);
        assert_eq!(t.remove(&3).map(|f| f.name), Some(b"b3".to_vec()));
        assert_eq!(t.remove(&3).map(|f| f.name), None);
        assert_eq!(t.remove(&-1).map(|f| f.name), Some(b"b-1".to_vec()));
        if let Some(f) = t.get_mut(&0) {
            f.name = b"c0".to_vec();
        }
        assert_eq!(t.get(&0).map(|f| f.name.clone()), Some(b"c0".to_vec()));
        assert_eq!(t.values().count(), nums.len() - 2);
        assert_eq!(t.into_values().count(), nums.len() - 2);
    }
}
