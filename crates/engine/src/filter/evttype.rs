//! Sets of event codes: which events a filter can match, so the others are skipped before any
//! field is extracted.
//!
//! The set is computed the way libsinsp's `ppm_event_codes` does it: `and` intersects, `or`
//! unites, and negations are pushed down to the leaves (De Morgan), where an `evt.type` check
//! is complemented and any other check stays neutral (all events).

use std::fmt;

/// Codes below this are tracked one by one; codes at or above it share one flag.
pub const EVENT_CODE_LIMIT: u16 = 1024;

const WORDS: usize = EVENT_CODE_LIMIT as usize / 64;

/// A set of event codes: a bitset over `0..1024`, plus one flag standing for every code above,
/// so complement stays exact.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EventTypeSet {
    bits: [u64; WORDS],
    high: bool,
}

impl EventTypeSet {
    /// No codes.
    pub const fn empty() -> EventTypeSet {
        EventTypeSet {
            bits: [0; WORDS],
            high: false,
        }
    }

    /// Every code.
    pub const fn all() -> EventTypeSet {
        EventTypeSet {
            bits: [u64::MAX; WORDS],
            high: true,
        }
    }

    /// Adds a code (a code at or above [`EVENT_CODE_LIMIT`] adds them all).
    pub fn insert(&mut self, code: u16) {
        match self.slot(code) {
            Some((w, m)) => {
                if let Some(word) = self.bits.get_mut(w) {
                    *word |= m;
                }
            }
            None => self.high = true,
        }
    }

    /// True if the set holds `code`.
    pub fn contains(&self, code: u16) -> bool {
        match self.slot(code) {
            Some((w, m)) => self.bits.get(w).is_some_and(|word| word & m != 0),
            None => self.high,
        }
    }

    fn slot(&self, code: u16) -> Option<(usize, u64)> {
        (code < EVENT_CODE_LIMIT).then(|| (usize::from(code / 64), 1u64 << (code % 64)))
    }

    /// Adds every code of `other`.
    pub fn union_with(&mut self, other: &EventTypeSet) {
        for (a, b) in self.bits.iter_mut().zip(other.bits.iter()) {
            *a |= b;
        }
        self.high |= other.high;
    }

    /// Keeps only the codes also in `other`.
    pub fn intersect_with(&mut self, other: &EventTypeSet) {
        for (a, b) in self.bits.iter_mut().zip(other.bits.iter()) {
            *a &= b;
        }
        self.high &= other.high;
    }

    /// Every code not in the set.
    pub fn complement(&self) -> EventTypeSet {
        let mut out = self.clone();
        for w in out.bits.iter_mut() {
            *w = !*w;
        }
        out.high = !out.high;
        out
    }

    /// True if the set holds every code.
    pub fn is_all(&self) -> bool {
        self.high && self.bits.iter().all(|&w| w == u64::MAX)
    }

    /// True if the set holds no code.
    pub fn is_empty(&self) -> bool {
        !self.high && self.bits.iter().all(|&w| w == 0)
    }

    /// True if the set holds the codes at or above [`EVENT_CODE_LIMIT`].
    pub fn includes_high_codes(&self) -> bool {
        self.high
    }

    /// The codes below [`EVENT_CODE_LIMIT`] in the set, in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..EVENT_CODE_LIMIT).filter(|&c| self.contains(c))
    }
}

impl Default for EventTypeSet {
    fn default() -> EventTypeSet {
        EventTypeSet::empty()
    }
}

impl fmt::Debug for EventTypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_set();
        l.entries(self.iter());
        if self.high {
            l.entry(&format_args!("{EVENT_CODE_LIMIT}.."));
        }
        l.finish()
    }
}

impl FromIterator<u16> for EventTypeSet {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> EventTypeSet {
        let mut s = EventTypeSet::empty();
        for c in iter {
            s.insert(c);
        }
        s
    }
}
