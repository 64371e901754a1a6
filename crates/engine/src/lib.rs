//! The scapkit engine.

pub mod fields;
pub mod filter;
