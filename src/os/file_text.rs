//! A file's contents, copied into memory and checked to be UTF-8.
//!
//! The files are read, never mapped: a mapping shares the pages of a file that other programs may
//! rewrite in place (`aws configure set` does) while awsenv runs, so text checked once could change
//! under a `&str` afterwards (undefined behaviour) and a file cut short would raise SIGBUS. A copy
//! costs a megabyte of fresh memory for a config of 10,000 profiles; bench/scale.sh shows the
//! goals hold with it.

use std::fs::File;
use std::ops::Deref;

/// The contents of `file`, whose size the caller has just read (`len`; it may still change).
/// Through `Take`, because std's `read_to_end` on a `File` asks the size and position again
/// (two more system calls per file, on the hook's path at every `cd`).
pub fn read_sized(file: &File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    prefault(&mut bytes);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, u64::MAX), &mut bytes)?;
    Ok(bytes)
}

/// From this size on, the buffer's pages are made in one call.
const PREFAULT_FROM: usize = 256 * 1024;

/// Makes the fresh pages of a big buffer in one system call (MADV_POPULATE_WRITE, Linux 5.14;
/// on older kernels the call fails and the pages come one fault at a time, as without it).
/// Measured (bench/scale.sh, `use` of a config of 10,000 profiles, 1.3 MB): the copy's 318 page
/// faults cost about 0.4 ms of CPU on this virtual machine, which took `use` and the hook from
/// 1.8x to 3.2x their 3-profile cost (the goal is 3x); made in one call they cost about 0.1 ms.
/// libc, not rustix: rustix's `mm` feature would rebuild rustix and every crate above it, and
/// its `madvise` is unsafe just the same.
#[cfg(target_os = "linux")]
fn prefault(buffer: &mut Vec<u8>) {
    const PAGE: usize = 4096;
    if buffer.capacity() < PREFAULT_FROM {
        return;
    }
    let spare = buffer.spare_capacity_mut();
    let start = spare.as_mut_ptr() as usize;
    // Whole pages inside the buffer only: the first and last may be shared with other memory.
    let first = start.div_ceil(PAGE) * PAGE;
    let end = (start + spare.len()) / PAGE * PAGE;
    if end > first {
        // SAFETY: the range lies inside memory this Vec owns and has not initialised;
        // MADV_POPULATE_WRITE only makes its pages present and changes no byte a program can
        // read (fresh pages read as zero either way).
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                end - first,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn prefault(_: &mut Vec<u8>) {}

/// A file's text, checked to be UTF-8 when it was read. A `String` of its own: nothing outside
/// awsenv can change it afterwards.
#[derive(Default)]
pub struct Text(String);

impl Text {
    /// The text, or the bytes back with where the first invalid byte is.
    pub fn new(bytes: Vec<u8>) -> Result<Text, std::string::FromUtf8Error> {
        String::from_utf8(bytes).map(Text)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(s)
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the contents: any line may hold a secret.
        write!(f, "Text({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_and_debug_hides_it() {
        let bad = Text::new(b"ok\n\xe9".to_vec()).unwrap_err();
        assert_eq!(bad.utf8_error().valid_up_to(), 3);
        let good = Text::new(b"aws_secret_access_key = s3cr3t\n".to_vec()).unwrap();
        assert_eq!(&*good, "aws_secret_access_key = s3cr3t\n");
        assert_eq!(format!("{good:?}"), "Text(31 bytes)");
    }
}
