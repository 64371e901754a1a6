//! Test-only crate: `tests/two_plugins.rs` links the `json` and `scapkit_test` plugins
//! statically (their `static` feature) into one binary and drives both through the
//! `falco_plugin::api::plugin_api` tables that `static_plugin!` exports.
//!
//! Building this crate's tests turns on `static` for both plugin crates in that cargo
//! invocation (features are unified per build), so their `.so` files from the same build lack
//! the `plugin_*` symbols: build the `.so` files with a separate
//! `cargo build -p scapkit-plugin-json -p scapkit-plugin-test`.
