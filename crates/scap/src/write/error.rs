//! What can go wrong while writing a capture.

use std::io;

/// An error from [`Writer`](super::Writer).
///
/// Nothing is written for the block that caused a non-I/O error, so the output stays a valid
/// capture up to the previous block and the writer can go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The underlying writer (or the gzip encoder) failed.
    #[error("cannot write capture: {0}")]
    Io(#[from] io::Error),
    /// The event does not fit in the block its type allows. Event types without the
    /// large-payload flag are limited to 64 KiB blocks, because readers refuse longer
    /// non-LARGE blocks; the writer refuses rather than truncate.
    #[error(
        "event of type {event_type} is {event_len} bytes, more than the {max} bytes its block \
         allows (types without the large-payload flag are limited to 64 KiB blocks)"
    )]
    TooLarge {
        /// Event type code.
        event_type: u16,
        /// Encoded event length (header, length array and parameters).
        event_len: u64,
        /// Largest event length this block id can hold.
        max: u64,
    },
    /// A block handed to [`Writer::write_raw_block`](super::Writer::write_raw_block) is not
    /// a well-framed block; the text says why.
    #[error("invalid block: {0}")]
    BadBlock(&'static str),
    /// A non-event block after the first event of a section. Readers (libscap) accept only
    /// event blocks or a new section header there, so the file would not open.
    #[error(
        "block 0x{block_type:x} after the first event of the section: only events may follow \
         events (start a new section first)"
    )]
    OutOfOrder {
        /// Id of the refused block.
        block_type: u32,
    },
}
