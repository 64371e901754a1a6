//! The fuzz targets' bodies. They live in `crates/scap/tests/common/targets.rs` so that
//! `crates/scap/tests/fuzz_smoke.rs` runs the very same checks on stable Rust.

#[path = "../../crates/scap/tests/common/targets.rs"]
mod targets;

pub use targets::{check_event, check_prefix, ok_events, prefix, read, Outcome};
