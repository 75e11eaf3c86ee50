//! Files that hold secrets or trust decisions: directories only the owner can enter (0700) and
//! files only the owner can read (0600), written whole or not at all.
//!
//! Every writer in awsenv (session cache, trust store, keyring index and file store, SSO token
//! cache) goes through here, so the rules live in one place: a temporary file created 0600 by
//! `tempfile` in the target's own directory, synced, then renamed over the target. Readers see
//! the old content or the new, never a mix, and concurrent writers cannot corrupt each other.

use std::io::{self, Write};
use std::path::Path;

/// Creates `dir` (and parents) and makes sure only the owner can enter it.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, replacing what was there. The directory must exist.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    temp_with(path, bytes)?.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Like [`write`], but never replaces an existing file: when `path` exists the result is an
/// error of kind `AlreadyExists` and the file is untouched (the first writer wins).
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    temp_with(path, bytes)?
        .persist_noclobber(path)
        .map_err(|e| e.error)?;
    Ok(())
}

fn temp_with(path: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_replace_and_no_clobber() {
        use std::os::unix::fs::PermissionsExt;
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("a/b");
        create_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("f");
        write(&f, b"one").unwrap();
        assert_eq!(mode(&f), 0o600);
        write(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        let err = write_new(&f, b"three").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
