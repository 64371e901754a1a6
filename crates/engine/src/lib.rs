//! The scapkit engine: one engine behind every front-end.
//!
//! - [`session`]: reads one or more captures as libsinsp does (event numbering, hidden
//!   events, inputs merged by timestamp) and hands events to a [`session::Sink`].
//! - [`state`]: threads, processes and fds rebuilt from the capture.
//! - [`fields`]: the field registry and typed extraction.
//! - [`filter`]: the filter language: parse, compile against the registry, evaluate.
//! - [`output`]: format strings and sysdig-compatible rendering.
//! - [`query`]: a compiled filter over the built-in fields, ready to run on events.
//! - [`plugin`]: the Falco plugin host.
#![deny(missing_docs)]

pub mod fields;
pub mod filter;
pub mod output;
pub mod plugin;
pub mod query;
pub mod session;
pub mod state;
