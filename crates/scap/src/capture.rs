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
/// files are read, then inflated once into an owned buffer (one allocation of the
/// decompressed size, one pass of inflate unless the stream is damaged), then read the same
/// zero-copy way.
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
            // In memory, because a damaged stream is inflated again in part (see `gunzip`).
            let mut gz = magic.to_vec();
            file.read_to_end(&mut gz)?;
            let mut cap = Capture::inflate(&gz);
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
            let mut cap = Capture::inflate(&data);
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

    fn inflate(gz: &[u8]) -> Capture {
        let mut out = Vec::new();
        // A damaged stream keeps everything inflated before the damage.
        let tail_error = match gunzip(gz, &mut out) {
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

    /// Says that `range` of [`Capture::data`] has been read: a mapped file's pages there
    /// are unmapped now, by the caller's thread, instead of all at once when the capture is
    /// dropped. Reading them again maps them again from the file, so this only moves work;
    /// owned buffers are left alone.
    pub fn release(&self, range: std::ops::Range<usize>) {
        if let (Backing::Mmap(m), Some((at, len))) = (&self.backing, self.bounded(range)) {
            release_pages(m, at, len);
        }
    }

    /// Maps `range` of [`Capture::data`] now, so that reading it later takes no page
    /// faults: for a thread that would otherwise wait while another reads the capture.
    /// A no-op for owned buffers and where the system cannot do it.
    pub fn prefault(&self, range: std::ops::Range<usize>) {
        #[cfg(target_os = "linux")]
        if let (Backing::Mmap(m), Some((at, len))) = (&self.backing, self.bounded(range)) {
            // Only a hint: older kernels refuse it, and then reading faults as usual.
            let _ = m.advise_range(memmap2::Advice::PopulateRead, at, len);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = range;
    }

    /// Start and length of the part of `range` inside the data, if not empty.
    fn bounded(&self, range: std::ops::Range<usize>) -> Option<(usize, usize)> {
        let len = range.end.min(self.data().len()).checked_sub(range.start)?;
        (len > 0).then_some((range.start, len))
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

/// Inflate `gz` into `out`; on damage, keep every byte that inflates before it.
///
/// flate2 drops what it inflated in the `read` call that meets the damage (a chunk, plus what
/// the inflater held back), so that alone could lose good events. A stream cut short before
/// the damage loses nothing: so the input of the failing call is searched for the longest
/// such cut, and that cut is inflated again.
fn gunzip(gz: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let Err((err, before, after)) = inflate_into(gz, out) else {
        return Ok(());
    };
    if err.kind() == io::ErrorKind::UnexpectedEof {
        return Err(err); // cut short: nothing held back
    }
    let damaged =
        |cut: usize| match inflate_into(gz.get(..cut).unwrap_or_default(), &mut Vec::new()) {
            Err((e, ..)) => e.kind() != io::ErrorKind::UnexpectedEof,
            Ok(()) => false,
        };
    // The inflater looks a few bytes ahead of what it decodes: start a little early.
    let mut lo = before.saturating_sub(64);
    if damaged(lo) {
        lo = 0;
    }
    let mut hi = after.max(lo + 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if damaged(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let mut best = Vec::new();
    // Only the bytes matter here; this cut ends early by construction.
    let _cut_short = inflate_into(gz.get(..lo).unwrap_or_default(), &mut best);
    if best.len() > out.len() && best.starts_with(out) {
        *out = best;
    }
    Err(err)
}

/// Inflate `gz` into `out` in chunks. On error, also returns how much input had been
/// consumed before and after the failing `read`.
fn inflate_into(gz: &[u8], out: &mut Vec<u8>) -> Result<(), (io::Error, usize, usize)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut dec = flate2::bufread::MultiGzDecoder::new(gz);
    loop {
        let before = gz.len() - dec.get_ref().len();
        match dec.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((e, before, gz.len() - dec.get_ref().len())),
        }
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

/// Unmaps `len` bytes of `map` from `at` (both inside the map).
#[allow(unsafe_code)]
fn release_pages(map: &memmap2::Mmap, at: usize, len: usize) {
    // SAFETY: the map is a read-only, private mapping of a file that was never written
    // through it: after MADV_DONTNEED, a read maps the same file bytes again (madvise(2)).
    // Borrowed slices stay valid and see the same contents (unless the file changes under
    // the map, which `map_file` already accepts).
    #[cfg(unix)]
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, at, len) };
    #[cfg(not(unix))]
    let _ = (map, at, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzz smoke test: the deflate data breaks after 16 good bytes, and
    /// flate2 alone returns none of them.
    const DAMAGED: [u8; 39] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xff, 0xe3, 0xe2, 0xe5, 0xe5, 0x92,
        0x61, 0x60, 0x60, 0xf0, 0xb5, 0xd1, 0x06, 0xcf, 0x0c, 0x0c, 0xff, 0xff, 0xff, 0xff, 0x0f,
        0x00, 0x69, 0xe1, 0xd3, 0x0a, 0x14, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn damaged_gzip_keeps_what_inflates_before_the_damage() {
        let cap = Capture::from_vec(DAMAGED.to_vec());
        let cut = Capture::from_vec(DAMAGED[..26].to_vec());
        assert_eq!(cut.data().len(), 16);
        assert_eq!(cap.data(), cut.data());
        let e = cap.gzip_error().unwrap();
        assert!(matches!(e.kind(), ErrorKind::Gzip(_)), "{e}");
        assert_eq!(e.offset().0, 16);
        assert!(matches!(
            cut.gzip_error().unwrap().kind(),
            ErrorKind::Gzip(m) if m.contains("cut short")
        ));
    }

    #[test]
    fn released_and_prefaulted_pages_read_back_the_same() {
        let path = std::env::temp_dir().join(format!("scapkit-release-{}", std::process::id()));
        let bytes: Vec<u8> = (0..3 * 65536u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let cap = Capture::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(cap.is_mmap());
        let before = cap.data();
        assert_eq!(before, &bytes[..]);
        // Unaligned bounds, an empty range and one past the end are all accepted.
        cap.release(1000..70000);
        cap.release(5..5);
        cap.release(100_000..usize::MAX);
        assert_eq!(cap.data(), &bytes[..]);
        cap.prefault(0..usize::MAX);
        cap.prefault(7..7);
        assert_eq!(cap.data(), &bytes[..]);
        assert_eq!(before, &bytes[..]);
        // Owned buffers are left alone.
        let owned = Capture::from_vec(bytes.clone());
        owned.release(0..bytes.len());
        assert_eq!(owned.data(), &bytes[..]);
    }
}
