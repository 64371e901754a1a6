//! The bytes of a capture: memory-mapped, or owned (gzip, stdin, tests).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::reader::{Events, Records};

/// gzip magic.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How the file was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain blocks.
    None,
    /// Whole-file gzip (what `sysdig -z` and most test captures use).
    Gzip,
}

/// Whether to memory-map plain files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MmapChoice {
    /// Map plain files; read them if mapping fails.
    #[default]
    Auto,
    /// Always read into memory.
    Never,
}

enum Backing {
    Mmap(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// A whole capture in memory: the decoded bytes plus how they were stored.
///
/// Plain files are memory-mapped, so reading costs no heap proportional to the file. gzip
/// files are inflated once into an owned buffer (one allocation of the decompressed size,
/// and one pass of inflate), then read the same zero-copy way.
pub struct Capture {
    backing: Backing,
    compression: Compression,
    stored_len: u64,
    /// A gzip stream that ended early or was corrupt: reported after the last event.
    tail_error: Option<Error>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("compression", &self.compression)
            .field("len", &self.data().len())
            .field("stored_len", &self.stored_len)
            .finish()
    }
}

impl Capture {
    /// Open a capture file, memory-mapping it when it is not compressed.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Capture> {
        Capture::open_with(path, MmapChoice::Auto)
    }

    /// Open a capture file with an explicit mmap policy.
    pub fn open_with(path: impl AsRef<Path>, mmap: MmapChoice) -> io::Result<Capture> {
        let mut file = File::open(path)?;
        let stored_len = file.metadata()?.len();
        let mut magic = [0u8; 2];
        let n = read_up_to(&mut file, &mut magic)?;
        if n == 2 && magic == GZIP_MAGIC {
            let mut cap = Capture::inflate(io::Read::chain(&magic[..], file));
            cap.stored_len = stored_len;
            return Ok(cap);
        }
        if mmap == MmapChoice::Auto && stored_len > 0 {
            if let Some(map) = map_file(&file) {
                return Ok(Capture {
                    backing: Backing::Mmap(map),
                    compression: Compression::None,
                    stored_len,
                    tail_error: None,
                });
            }
        }
        let mut data = magic.get(..n).unwrap_or_default().to_vec();
        file.read_to_end(&mut data)?;
        Ok(Capture::from_vec(data))
    }

    /// Read a whole capture from a stream (stdin, a pipe).
    pub fn from_reader(mut r: impl Read) -> io::Result<Capture> {
        let mut data = Vec::new();
        r.read_to_end(&mut data)?;
        Ok(Capture::from_vec(data))
    }

    /// Wrap bytes already in memory, inflating them if they are gzip.
    pub fn from_vec(data: Vec<u8>) -> Capture {
        if data.starts_with(&GZIP_MAGIC) {
            let stored_len = data.len() as u64;
            let mut cap = Capture::inflate(&data[..]);
            cap.stored_len = stored_len;
            return cap;
        }
        Capture {
            stored_len: data.len() as u64,
            backing: Backing::Owned(data),
            compression: Compression::None,
            tail_error: None,
        }
    }

    fn inflate(r: impl Read) -> Capture {
        let mut out = Vec::new();
        let mut dec = flate2::read::MultiGzDecoder::new(r);
        // A damaged stream keeps everything inflated before the damage.
        let tail_error = match dec.read_to_end(&mut out) {
            Ok(_) => None,
            Err(e) => {
                let msg = if e.kind() == io::ErrorKind::UnexpectedEof {
                    "stream cut short (is the file truncated?)".to_string()
                } else {
                    e.to_string()
                };
                Some(Error::new(ErrorKind::Gzip(msg), out.len() as u64))
            }
        };
        Capture {
            stored_len: 0,
            backing: Backing::Owned(out),
            compression: Compression::Gzip,
            tail_error,
        }
    }

    /// The decoded capture bytes (blocks).
    pub fn data(&self) -> &[u8] {
        match &self.backing {
            Backing::Mmap(m) => m,
            Backing::Owned(v) => v,
        }
    }

    /// How the capture was stored.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// True when the bytes are memory-mapped rather than owned.
    pub fn is_mmap(&self) -> bool {
        matches!(self.backing, Backing::Mmap(_))
    }

    /// Size of the file as stored (compressed size for gzip).
    pub fn stored_len(&self) -> u64 {
        self.stored_len
    }

    /// Error of the gzip layer, if the stream was damaged.
    pub fn gzip_error(&self) -> Option<&Error> {
        self.tail_error.as_ref()
    }

    /// Every block of the capture, as records.
    pub fn records(&self) -> Records<'_> {
        Records::new(self.data(), self.tail_error.clone())
    }

    /// Every event of the capture; metadata blocks are skipped.
    pub fn events(&self) -> Events<'_> {
        Events::new(self.records())
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[allow(unsafe_code)]
fn map_file(file: &File) -> Option<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives inside `Capture`. If another process truncates
    // the file while it is mapped, reads past the new end fault (SIGBUS); like ripgrep, we
    // accept that for capture files, which are written once. Callers that cannot accept it
    // use `MmapChoice::Never`.
    unsafe { memmap2::Mmap::map(file) }.ok()
}
