//! The engine's `threads` table as plugins see it through the tables API.
//!
//! Plugins run on our thread while we hold the state, so they read a mirror of it: a
//! [`MapThreadTable`] refreshed from the [`State`] whenever threads may have changed and a
//! plugin is about to run. Fields that plugins add live only in the mirror.

use std::sync::{Arc, Mutex};

use scap::table;

use super::State;
use crate::plugin::{MapThreadTable, StateType, StateValue};

/// The built-in fields of the `threads` table (read-only for plugins).
pub const FIELDS: &[(&str, StateType)] = &[
    ("tid", StateType::I64),
    ("pid", StateType::I64),
    ("ptid", StateType::I64),
    ("sid", StateType::I64),
    ("vtid", StateType::I64),
    ("vpid", StateType::I64),
    ("comm", StateType::String),
    ("exe", StateType::String),
    ("exepath", StateType::String),
    ("cwd", StateType::String),
    ("container_id", StateType::String),
    ("uid", StateType::U32),
    ("gid", StateType::U32),
    ("loginuid", StateType::U32),
    ("tty", StateType::U32),
];

/// A new, empty mirror with the built-in fields.
pub fn new_table() -> Arc<Mutex<MapThreadTable>> {
    Arc::new(Mutex::new(MapThreadTable::new(FIELDS)))
}

/// Keeps a mirror in step with a state.
#[derive(Debug)]
pub struct Mirror {
    table: Arc<Mutex<MapThreadTable>>,
    /// Event codes that create, change or end threads.
    changers: Vec<bool>,
    synced_threads: usize,
    dirty: bool,
}

impl Mirror {
    /// Mirror into `table`.
    pub fn new(table: Arc<Mutex<MapThreadTable>>) -> Mirror {
        const NAMES: &[&str] = &[
            "clone",
            "clone3",
            "fork",
            "vfork",
            "execve",
            "execveat",
            "procexit",
            "chdir",
            "fchdir",
            "setuid",
            "setgid",
            "setresuid",
            "setresgid",
            "setsid",
            "setpgid",
            "container",
            "capset",
        ];
        let changers = table::CURRENT
            .events
            .iter()
            .map(|e| NAMES.contains(&e.name))
            .collect();
        Mirror {
            table,
            changers,
            synced_threads: usize::MAX,
            dirty: true,
        }
    }

    /// Note that `code` was parsed (cheap; no copy yet).
    #[inline]
    pub fn saw(&mut self, code: u16, state: &State) {
        if self
            .changers
            .get(usize::from(code))
            .copied()
            .unwrap_or(false)
            || state.thread_count() != self.synced_threads
        {
            self.dirty = true;
        }
    }

    /// Copy the state into the table if it may have changed since the last copy.
    pub fn sync(&mut self, state: &State) {
        if !self.dirty {
            return;
        }
        let Ok(mut t) = self.table.lock() else { return };
        t.retain(|tid| state.thread(tid).is_some());
        for th in state.threads() {
            let s = |b: &[u8]| StateValue::Str(String::from_utf8_lossy(b).into_owned());
            t.insert(
                th.tid,
                &[
                    ("tid", StateValue::I64(th.tid)),
                    ("pid", StateValue::I64(th.pid)),
                    ("ptid", StateValue::I64(th.ptid)),
                    ("sid", StateValue::I64(th.sid)),
                    ("vtid", StateValue::I64(th.vtid)),
                    ("vpid", StateValue::I64(th.vpid)),
                    ("comm", s(&th.comm)),
                    ("exe", s(&th.exe)),
                    ("exepath", s(&th.exepath)),
                    ("cwd", s(&th.cwd)),
                    ("container_id", s(&th.container_id)),
                    ("uid", StateValue::U32(th.uid)),
                    ("gid", StateValue::U32(th.gid)),
                    ("loginuid", StateValue::U32(th.loginuid)),
                    ("tty", StateValue::U32(th.tty)),
                ],
            );
        }
        self.synced_threads = state.thread_count();
        self.dirty = false;
    }
}
