//! A file's contents, copied into memory and checked to be UTF-8.
//!
//! The files are read, never mapped: a mapping shares the pages of a file that other programs may
//! rewrite in place (`aws configure set` does) while awsenv runs, so text checked once could change
//! under a `&str` afterwards (undefined behaviour) and a file cut short would raise SIGBUS. The
//! price, measured with bench/scale.sh: a config of 10,000 profiles is 1.3 MB of fresh memory,
//! about 0.07 µs of CPU per profile, which takes `use` from 1.8x to about 3x its 3-profile cost.

use std::fs::File;
use std::ops::Deref;

/// The contents of `file`, whose size the caller has just read (`len`; it may still change).
/// Through `Take`, because std's `read_to_end` on a `File` asks the size and position again
/// (two more system calls per file, on the hook's path at every `cd`).
pub fn read_sized(file: &File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    std::io::Read::read_to_end(&mut std::io::Read::take(file, u64::MAX), &mut bytes)?;
    Ok(bytes)
}

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
