//! The engine-provided `threads` table that plugins reach through the tables API (§10.3).
//!
//! The host only needs [`ThreadTable`]; [`MapThreadTable`] is a simple implementation for tests
//! and for hosts without process state. The engine can implement the trait on its own state.

use std::collections::HashMap;

/// A table field type (`ss_plugin_state_type`), without sub-tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum StateType {
    /// int8
    I8 = 1,
    /// int16
    I16 = 2,
    /// int32
    I32 = 3,
    /// int64
    I64 = 4,
    /// uint8
    U8 = 5,
    /// uint16
    U16 = 6,
    /// uint32
    U32 = 7,
    /// uint64
    U64 = 8,
    /// NUL-terminated string
    String = 9,
    /// bool (4 bytes on the wire)
    Bool = 25,
}

impl StateType {
    /// The type for a wire code; `None` for unknown codes and sub-tables (10).
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::I64,
            5 => Self::U8,
            6 => Self::U16,
            7 => Self::U32,
            8 => Self::U64,
            9 => Self::String,
            25 => Self::Bool,
            _ => return None,
        })
    }
}

/// A value stored in a table field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateValue {
    /// int8
    I8(i8),
    /// int16
    I16(i16),
    /// int32
    I32(i32),
    /// int64
    I64(i64),
    /// uint8
    U8(u8),
    /// uint16
    U16(u16),
    /// uint32
    U32(u32),
    /// uint64
    U64(u64),
    /// string
    Str(String),
    /// bool
    Bool(bool),
}

impl StateValue {
    /// The value's type.
    pub fn ty(&self) -> StateType {
        match self {
            Self::I8(_) => StateType::I8,
            Self::I16(_) => StateType::I16,
            Self::I32(_) => StateType::I32,
            Self::I64(_) => StateType::I64,
            Self::U8(_) => StateType::U8,
            Self::U16(_) => StateType::U16,
            Self::U32(_) => StateType::U32,
            Self::U64(_) => StateType::U64,
            Self::Str(_) => StateType::String,
            Self::Bool(_) => StateType::Bool,
        }
    }
}

/// One field of a table, as listed to plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableField {
    /// Field name (`comm`, `pid`, …).
    pub name: String,
    /// Field type.
    pub ty: StateType,
    /// Plugins may not write it (fields of the engine's own state).
    pub read_only: bool,
}

/// The `threads` table (key: tid as int64) as the host exposes it to plugins.
pub trait ThreadTable: Send {
    /// Every field, built-in and plugin-added.
    fn fields(&self) -> Vec<TableField>;
    /// Number of entries.
    fn len(&self) -> u64;
    /// Whether there are no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether `tid` has an entry.
    fn contains(&self, tid: i64) -> bool;
    /// Every key, for iteration.
    fn tids(&self) -> Vec<i64>;
    /// The value of a field of an entry.
    fn read(&self, tid: i64, field: &str) -> Option<StateValue>;
    /// Defines a new writable field on every entry (idempotent for the same type).
    fn add_field(&mut self, name: &str, ty: StateType) -> Result<(), String>;
    /// Writes a writable field.
    fn write(&mut self, tid: i64, field: &str, value: StateValue) -> Result<(), String>;
}

/// A [`ThreadTable`] over a `HashMap`; built-in fields are read-only.
#[derive(Debug, Default)]
pub struct MapThreadTable {
    fields: Vec<TableField>,
    rows: HashMap<i64, HashMap<String, StateValue>>,
}

impl MapThreadTable {
    /// An empty table with the given built-in (read-only) fields.
    pub fn new(builtin: &[(&str, StateType)]) -> Self {
        let fields = builtin
            .iter()
            .map(|(n, t)| TableField {
                name: (*n).to_owned(),
                ty: *t,
                read_only: true,
            })
            .collect();
        Self {
            fields,
            rows: HashMap::new(),
        }
    }

    /// Drops the entries whose tid `keep` refuses.
    pub fn retain(&mut self, mut keep: impl FnMut(i64) -> bool) {
        self.rows.retain(|tid, _| keep(*tid));
    }

    /// Inserts or replaces an entry's built-in values.
    pub fn insert(&mut self, tid: i64, values: &[(&str, StateValue)]) {
        let row = self.rows.entry(tid).or_default();
        for (k, v) in values {
            row.insert((*k).to_owned(), v.clone());
        }
    }
}

impl ThreadTable for MapThreadTable {
    fn fields(&self) -> Vec<TableField> {
        self.fields.clone()
    }

    fn len(&self) -> u64 {
        self.rows.len() as u64
    }

    fn contains(&self, tid: i64) -> bool {
        self.rows.contains_key(&tid)
    }

    fn tids(&self) -> Vec<i64> {
        self.rows.keys().copied().collect()
    }

    fn read(&self, tid: i64, field: &str) -> Option<StateValue> {
        self.rows.get(&tid)?.get(field).cloned()
    }

    fn add_field(&mut self, name: &str, ty: StateType) -> Result<(), String> {
        match self.fields.iter().find(|f| f.name == name) {
            Some(f) if f.ty == ty => Ok(()),
            Some(_) => Err(format!("field {name} exists with another type")),
            None => {
                self.fields.push(TableField {
                    name: name.to_owned(),
                    ty,
                    read_only: false,
                });
                Ok(())
            }
        }
    }

    fn write(&mut self, tid: i64, field: &str, value: StateValue) -> Result<(), String> {
        let f = self
            .fields
            .iter()
            .find(|f| f.name == field)
            .ok_or_else(|| format!("no field {field}"))?;
        if f.read_only {
            return Err(format!("field {field} is read-only"));
        }
        if f.ty != value.ty() {
            return Err(format!("field {field} has another type"));
        }
        let row = self
            .rows
            .get_mut(&tid)
            .ok_or_else(|| format!("no thread {tid}"))?;
        row.insert(field.to_owned(), value);
        Ok(())
    }
}
