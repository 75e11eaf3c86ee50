//! Files that hold secrets or trust decisions: directories only the owner can enter (0700) and
//! files only the owner can read (0600), written whole or not at all.
//!
//! Every writer in awsenv (session cache, trust store, keyring index and file store, SSO token
//! cache) goes through here, so the rules live in one place: a temporary file created 0600 by
//! `tempfile` in the target's own directory, synced, then renamed over the target. Readers see
//! the old content or the new, never a mix, and concurrent writers cannot corrupt each other.
//!
//! What is read back is checked the way OpenSSH checks `~/.ssh`: the file and its directory
//! must belong to the user (or root) and be writable by nobody else, or another local user who could
//! reach the place (a shared or pre-created `XDG_CACHE_HOME`) could plant credentials or trust.

use std::io::{self, Write};
use std::path::Path;

use crate::os::text::shown;

/// Creates `dir` and every missing parent, each 0700, and makes sure `dir` belongs to the user
/// and only the user can enter it.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        check_owner(dir, &std::fs::metadata(dir)?)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// The content of the private file at `path`; None when it (or its directory) does not exist.
/// An error of kind `PermissionDenied` when the file or its directory belongs to someone else
/// or can be written by group or others, or when it is not a regular file.
pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(m) => check_private(dir, &m)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let file = match open_no_follow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(path, "is not a regular file"));
    }
    check_private(path, &meta)?;
    Ok(Some(super::file_text::read_sized(&file, meta.len())?))
}

/// True when `path` is a private file [`read`] would accept (used for entries whose presence
/// is the information, like the trust store's).
pub fn is_private_file(path: &Path) -> bool {
    matches!(read(path), Ok(Some(_)))
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                refused(path, "is a symbolic link")
            } else {
                e
            }
        })
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{} {why}; not trusting it", shown(path)),
    )
}

/// Owned by the user (or root), writable by nobody else.
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    check_owner(path, meta)?;
    if meta.mode() & 0o022 != 0 {
        return Err(refused(
            path,
            &format!("can be written by others (mode {:o})", meta.mode() & 0o7777),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn check_owner(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    // Root could change the file anyway; OpenSSH accepts it too.
    if meta.uid() != me && meta.uid() != 0 {
        return Err(refused(
            path,
            &format!("belongs to another user (uid {})", meta.uid()),
        ));
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
    fn read_takes_only_private_regular_files() {
        use std::os::unix::fs::PermissionsExt;
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("d");
        create_dir(&dir).unwrap();
        let f = dir.join("f");
        assert_eq!(read(&f).unwrap(), None);
        assert_eq!(read(&top.path().join("nodir/f")).unwrap(), None);
        write(&f, b"x").unwrap();
        assert_eq!(read(&f).unwrap().as_deref(), Some(&b"x"[..]));
        let denied = |p: &Path| read(p).is_err_and(|e| e.kind() == io::ErrorKind::PermissionDenied);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o620)).unwrap();
        assert!(denied(&f));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(denied(&f));
        // create_dir repairs the directory's mode.
        create_dir(&dir).unwrap();
        assert!(!denied(&f));
        let link = dir.join("link");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        assert!(denied(&link));
        assert!(!is_private_file(&link) && is_private_file(&f));
    }

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
