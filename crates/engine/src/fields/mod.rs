//! Fields: the registry, typed values, and extraction from an event in context.
//!
//! One module per field class; each declares its fields once (see [`registry`]) and
//! implements their extraction.

pub mod catalog;
pub mod container;
pub mod evt;
mod extract;
pub mod fd;
pub mod fspath;
pub mod k8s;
pub mod plugin;
pub mod registry;
pub mod thread;
mod time;
pub mod user;
pub mod value;

pub use extract::{extract, Field, Scratch};
pub use registry::{all, lookup, ArgKind, FieldDef, FieldId};
pub use time::TimeFormatter;
pub use value::{FieldType, Value};

/// False for the fields whose value comes from the event alone (number, times, cpu,
/// direction, type, tid, raw result): a consumer that uses only those lets the session skip
/// the state updates.
pub fn needs_state(field: &Field) -> bool {
    use evt::Id as E;
    !matches!(
        field.def.id,
        FieldId::Evt(
            E::Num
                | E::Time
                | E::TimeS
                | E::TimeIso
                | E::Datetime
                | E::DatetimeS
                | E::Rawtime
                | E::RawtimeS
                | E::RawtimeNs
                | E::Outputtime
                | E::Reltime
                | E::ReltimeS
                | E::ReltimeNs
                | E::Deltatime
                | E::Dir
                | E::Type
                | E::RawType
                | E::Cpu
                | E::IsEnter
                | E::Nparams
                | E::Offset
                | E::RawRes
        ) | FieldId::Thread(thread::Id::Tid)
    )
}

/// The registered field name closest to `name` (edit distance at most 3), for error messages.
pub fn did_you_mean(name: &str) -> Option<&'static str> {
    all()
        .map(|f| (edit_distance(name, f.name), f.name))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance over bytes (names are ASCII).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.bytes().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}
