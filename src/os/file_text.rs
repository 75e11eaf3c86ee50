//! A file's bytes: read into memory when small, mapped when big.
//!
//! A config of 10,000 profiles is 1.3 MB. Reading it means 330 fresh pages of heap and a copy;
//! on a virtual machine the fresh pages alone cost about as much as the rest of a run. Mapping
//! it shares the pages the kernel already holds for the file: no copy, no fresh memory.
//!
//! The price of a mapping: if another program cuts the file short while awsenv reads it (`aws
//! configure set` rewrites the config in place), touching the lost pages raises SIGBUS. awsenv
//! then says so in one line and exits 1, before printing anything on stdout (the files are read
//! first), so a shell evaluates nothing, as after any other error. A program that rewrites the
//! file in place (rather than writing a new file and renaming it, as awsenv and most editors
//! do) during the millisecond awsenv reads it can also change bytes under the text it already
//! checked, which a `read` would have copied first: the result is then a mix of old and new,
//! as a `read` racing the same writer would give, and in the worst case text that is no longer
//! valid UTF-8. That window is why only big files, where the copy costs most, are mapped.

use std::fs::File;
use std::ops::Deref;

/// From this size on a file is mapped; below it, reading costs less than setting up a mapping.
const MAP_FROM: u64 = 256 * 1024;

pub enum Bytes {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Read(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.len())
    }
}

/// The bytes of `file`, an open regular file of `len` bytes.
pub fn bytes_of(file: File, len: u64) -> std::io::Result<Bytes> {
    if len >= MAP_FROM {
        cut_short_is_an_error();
        // SAFETY: the mapping is read-only and private, and awsenv never writes the files it
        // reads this way; a file cut short underneath is handled above (SIGBUS → a message and
        // exit), one rewritten in place is the risk the module's comment describes.
        // Populated: every page is read anyway (the UTF-8 check, the header scan), and one call
        // maps them all where page faults would map sixteen at a time.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            return Ok(Bytes::Mapped(map));
        }
    }
    read_sized(&file, len).map(Bytes::Read)
}

/// The contents of `file`, whose size the caller has just read (`len`; it may still change).
/// Through `Take`, because std's `read_to_end` on a `File` asks the size and position again
/// (two more system calls per file, on the hook's path at every `cd`).
pub fn read_sized(file: &File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    std::io::Read::read_to_end(&mut std::io::Read::take(file, u64::MAX), &mut bytes)?;
    Ok(bytes)
}

/// Turns SIGBUS (a mapped file cut short) into one line on stderr and exit status 1.
#[cfg(unix)]
fn cut_short_is_an_error() {
    const MESSAGE: &[u8] = b"awsenv: an AWS config file was cut short by another program while awsenv read it; run the command again\n";
    extern "C" fn on_sigbus(_: libc::c_int) {
        // SAFETY: write and _exit are async-signal-safe; MESSAGE is static.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(1);
        }
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: installs a handler that only makes async-signal-safe calls.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

/// Windows refuses to cut short a file that is mapped: nothing to handle.
#[cfg(not(unix))]
fn cut_short_is_an_error() {}

/// Bytes checked to be UTF-8, read as a `str`.
pub struct Text(Bytes);

impl Text {
    /// The text, or the bytes back with where the first invalid byte is.
    pub fn new(bytes: Bytes) -> Result<Text, (Bytes, std::str::Utf8Error)> {
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(Text(bytes)),
            Err(e) => Err((bytes, e)),
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Bytes::Read(s.into_bytes()))
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: checked in `Text::new` (or a String's own guarantee). A Vec we own never
        // changes; a mapping could only if another program rewrote the file in place while
        // awsenv runs (see the module's comment), the one risk taken for big files.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the contents: any line may hold a secret.
        write!(f, "Text({} bytes)", self.len())
    }
}
