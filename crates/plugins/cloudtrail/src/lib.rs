//! Falco CloudTrail plugin (plugin id 2, event source `aws_cloudtrail`,
//! name `cloudtrail`) on the `falco_plugin` SDK.
//!
//! * Source: `open` takes a file, a directory (walked recursively, sorted),
//!   `s3://bucket[/prefix]` or `sqs://queue-name`; each CloudTrail record
//!   becomes one plugin event whose payload is the record's exact bytes and
//!   whose timestamp is its `eventTime`.
//! * Extraction: every `ct.*`, `s3.*`, `ec2.*`, `ecr.*`, `iam.*` field of the
//!   official plugin (see [`fields::FIELDS`]).
//!
//! Logic lives in plain modules ([`records`], [`fields`], [`fetch`], [`aws`],
//! [`config`]); [`plugin`] only adapts them to the SDK.
//!
//! # Linking
//!
//! By default the crate exports the `plugin_*` C symbols (`plugin!`,
//! `source_plugin!`, `extract_plugin!`), so `libcloudtrail.so` loads in Falco.
//! With the cargo feature `static` it instead exports one static vtable,
//! `cloudtrail::CLOUDTRAIL_PLUGIN_API: falco_plugin::api::plugin_api`
//! (`static_plugin!`), for a host linking the rlib; the two forms cannot
//! coexist in one build because both implement the SDK's export traits.
//!
//! ```
//! let p = cloudtrail::records::parse_content("x.json", br#"{"Records":[
//!     {"eventTime":"2021-01-01T00:00:00Z","eventType":"AwsApiCall"}]}"#.to_vec());
//! assert_eq!(p.records.len(), 1);
//! ```
#![deny(missing_docs)]

pub mod aws;
pub mod config;
pub mod fetch;
pub mod fields;
pub mod json;
pub mod plugin;
pub mod records;

pub use plugin::CloudTrail;

// The export macros expand to `#[no_mangle]` items and `unsafe impl`s of the
// SDK's marker traits; that generated code is the SDK's FFI, not ours.
#[cfg(not(feature = "static"))]
#[allow(unsafe_code)]
mod export {
    use super::CloudTrail;
    use falco_plugin::{extract_plugin, plugin, source_plugin};
    plugin!(CloudTrail);
    source_plugin!(CloudTrail);
    extract_plugin!(CloudTrail);
}

#[cfg(feature = "static")]
#[allow(unsafe_code, missing_docs)] // documented at the re-export below
mod export {
    use super::CloudTrail;
    use falco_plugin::static_plugin;
    static_plugin!(pub CLOUDTRAIL_PLUGIN_API = CloudTrail);
}

/// The plugin's vtable for static linking (feature `static`).
#[cfg(feature = "static")]
pub use export::CLOUDTRAIL_PLUGIN_API;
