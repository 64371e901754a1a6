//! Fields: value types (the registry comes with the lead's merge).

pub mod value;
