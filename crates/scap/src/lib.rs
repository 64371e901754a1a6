//! A zero-copy reader and writer for Falco/sysdig `.scap` capture files.
//!
//! A capture is a sequence of pcapng-framed blocks: a section header, metadata (machine,
//! processes, fds, interfaces, users), then events. [`Capture`] holds the bytes
//! (memory-mapped, or inflated once when the file is gzip); [`Records`] walks them and hands
//! out borrowed [`Event`]s whose parameters are decoded only when asked.
//!
//! ```
//! let cap = scap::Capture::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/sample.scap"))?;
//! let mut n = 0;
//! for ev in cap.events() {
//!     let ev = ev?;
//!     n += 1;
//!     let _ = (ev.ts(), ev.tid(), ev.event_type(), ev.param(0));
//! }
//! assert!(n > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every length read from a file is checked before use; a truncated or corrupt file yields
//! every complete record and then one [`Error`] naming the offset and block.
#![deny(missing_docs)]

pub mod block;
mod capture;
mod cursor;
mod error;
pub mod event;
mod frame;
pub mod meta;
pub mod param;
mod reader;
pub mod table;
pub mod write;

pub use block::{Block, BlockKind};
pub use capture::{Capture, Compression, MmapChoice};
pub use error::{Error, ErrorKind, FileOffset, Result};
pub use event::Event;
pub use reader::{Events, Record, Records, SectionHeader};
pub use write::Writer;
