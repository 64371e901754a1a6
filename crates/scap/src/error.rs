//! Errors: what went wrong, and where in the file.

use std::fmt;

/// An absolute byte offset in the (decompressed) capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileOffset(pub u64);

impl fmt::Display for FileOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input does not start with a section header block.
    NotScap,
    /// The section header's byte-order magic is byte-swapped (big-endian writer).
    BigEndian,
    /// The section header's byte-order magic is neither little- nor big-endian.
    BadMagic(u32),
    /// The file format major version is newer than this reader.
    UnsupportedVersion {
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
    },
    /// The data ends in the middle of a structure.
    Truncated,
    /// A block length is impossible (too small, or larger than the data).
    BadBlockLength(u32),
    /// A metadata block's trailer does not repeat its length.
    TrailerMismatch {
        /// Length in the header.
        header: u32,
        /// Length in the trailer.
        trailer: u32,
    },
    /// A structure inside a block is inconsistent; the text says which.
    Corrupt(&'static str),
    /// The gzip stream is damaged or cut short.
    Gzip(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::NotScap => f.write_str("not a scap capture"),
            ErrorKind::BigEndian => f.write_str(
                "big-endian capture (byte-swapped section magic) is not supported, as in libscap",
            ),
            ErrorKind::BadMagic(m) => write!(f, "invalid byte-order magic 0x{m:08x}"),
            ErrorKind::UnsupportedVersion { major, minor } => write!(
                f,
                "unsupported capture format version {major}.{minor} (this reader knows 1.x)"
            ),
            ErrorKind::Truncated => f.write_str("truncated data"),
            ErrorKind::BadBlockLength(n) => write!(f, "invalid block length {n}"),
            ErrorKind::TrailerMismatch { header, trailer } => write!(
                f,
                "block trailer length {trailer} does not match header length {header}"
            ),
            ErrorKind::Corrupt(what) => write!(f, "corrupt {what}"),
            ErrorKind::Gzip(msg) => write!(f, "gzip stream error: {msg}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: FileOffset,
    block_type: Option<u32>,
    needed: Option<usize>,
}

/// A decoding error: a kind, the absolute offset, and the block being read.
///
/// Boxed so that `Result<Event<'_>, Error>` stays small on the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

impl Error {
    #[cold]
    pub(crate) fn new(kind: ErrorKind, offset: u64) -> Error {
        Error(Box::new(Inner {
            kind,
            offset: FileOffset(offset),
            block_type: None,
            needed: None,
        }))
    }

    #[cold]
    pub(crate) fn eof(offset: u64, needed: usize) -> Error {
        let mut e = Error::new(ErrorKind::Truncated, offset);
        e.0.needed = Some(needed);
        e
    }

    #[cold]
    pub(crate) fn corrupt(what: &'static str, offset: u64) -> Error {
        Error::new(ErrorKind::Corrupt(what), offset)
    }

    /// Attach the type of the block being decoded (kept if already set).
    #[cold]
    pub(crate) fn in_block(mut self, block_type: u32) -> Error {
        if self.0.block_type.is_none() {
            self.0.block_type = Some(block_type);
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Absolute offset (in the decompressed data) where the problem was found.
    pub fn offset(&self) -> FileOffset {
        self.0.offset
    }

    /// Type id of the block being read, if any.
    pub fn block_type(&self) -> Option<u32> {
        self.0.block_type
    }

    /// For truncation: how many more bytes were needed.
    pub fn needed(&self) -> Option<usize> {
        self.0.needed
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if let Some(n) = self.0.needed {
            write!(f, " (needed {n} more bytes)")?;
        }
        write!(f, " at offset {}", self.0.offset)?;
        if let Some(bt) = self.0.block_type {
            write!(f, ", block 0x{bt:x}")?;
            if let Some(name) = crate::block::BlockKind::from_type(bt).name() {
                write!(f, " ({name})")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
