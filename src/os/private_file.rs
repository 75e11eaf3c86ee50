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

/// The most a private file may hold: caches and stores of a few keys and tokens. Anything
/// larger was not written by awsenv or the AWS CLI, and is refused before it is read.
pub const MAX_SIZE: u64 = 1024 * 1024;

/// Creates `dir` and every missing parent, each 0700, and makes sure `dir` is a directory (not a
/// symbolic link) of the user's that nobody else can write to, in a path whose every directory
/// belongs to the user or root and is writable by nobody else (unless sticky, as /tmp), as
/// OpenSSH's `safe_path` checks. A directory awsenv did not create is never `chmod`ed: one that
/// others can write to is an error (another user could point it anywhere the user owns).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = std::fs::symlink_metadata(dir)?;
        if meta.file_type().is_symlink() {
            return Err(refused(dir, "is a symbolic link"));
        }
        check_private(dir, &meta, Rule::Cli)?;
        for parent in dir.ancestors().skip(1) {
            if parent.as_os_str().is_empty() {
                break;
            }
            check_private(parent, &std::fs::metadata(parent)?, Rule::Parent)?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// The content of the private file at `path`; None when it (or its directory) does not exist.
/// An error of kind `PermissionDenied` when the file or its directory belongs to someone else
/// or can be written by group or others, when it is not a regular file, or is larger than
/// [`MAX_SIZE`].
pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
    read_with(path, Rule::Own)
}

/// Like [`read`], for the files the AWS CLI writes and awsenv reads (the SSO token and client
/// registration caches, the `aws login` cache): botocore creates their directories with the
/// default mode, which a umask of 002 (Ubuntu's, with a private group per user) makes group
/// writable. Group write is accepted there when the group is the user's own private group (its
/// name is the user's and it lists no other member); the rest of the rule is the same.
pub fn read_cli(path: &Path) -> io::Result<Option<Vec<u8>>> {
    read_with(path, Rule::Cli)
}

fn read_with(path: &Path, rule: Rule) -> io::Result<Option<Vec<u8>>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(m) => check_private(dir, &m, rule)?,
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
    check_private(path, &meta, rule)?;
    if meta.len() > MAX_SIZE {
        return Err(refused(path, "is larger than 1 MiB"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Bounded even if the file grows while it is read.
    io::Read::read_to_end(&mut io::Read::take(&file, MAX_SIZE + 1), &mut bytes)?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(refused(path, "is larger than 1 MiB"));
    }
    Ok(Some(bytes))
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

/// How strict [`check_private`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// awsenv's own files and directories: writable by the owner alone.
    Own,
    /// The AWS CLI's: group write allowed for the user's private group (see [`read_cli`]).
    Cli,
    /// A directory above a private one: as `Cli`, and others may write where the sticky bit
    /// keeps them from replacing what is not theirs (/tmp).
    #[cfg_attr(not(unix), allow(dead_code))]
    Parent,
}

/// Owned by the user (or root), writable by nobody else (as `rule` says).
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata, rule: Rule) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    check_owner(path, meta)?;
    let mode = meta.mode();
    let sticky = rule == Rule::Parent && mode & 0o1000 != 0;
    let others = mode & 0o002 != 0 && !sticky;
    let group = mode & 0o020 != 0 && !sticky && (rule == Rule::Own || !private_group(meta.gid()));
    if others || group {
        return Err(refused(
            path,
            &format!("can be written by others (mode {:o})", mode & 0o7777),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata, _rule: Rule) -> io::Result<()> {
    Ok(())
}

/// True when `gid` is the user's own private group: their primary group, named as they are,
/// with no other member listed.
#[cfg(unix)]
fn private_group(gid: u32) -> bool {
    use std::ffi::CStr;
    // SAFETY: getegid/geteuid cannot fail; getpwuid_r/getgrgid_r write only into the buffers
    // given, and the names read are NUL-terminated strings inside them.
    unsafe {
        if gid != libc::getegid() {
            return false;
        }
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut gr: libc::group = std::mem::zeroed();
        let mut pbuf = vec![0 as libc::c_char; 4096];
        let mut gbuf = vec![0 as libc::c_char; 16384];
        let (mut pout, mut gout) = (std::ptr::null_mut(), std::ptr::null_mut());
        if libc::getpwuid_r(
            libc::geteuid(),
            &mut pw,
            pbuf.as_mut_ptr(),
            pbuf.len(),
            &mut pout,
        ) != 0
            || pout.is_null()
            || libc::getgrgid_r(gid, &mut gr, gbuf.as_mut_ptr(), gbuf.len(), &mut gout) != 0
            || gout.is_null()
        {
            return false;
        }
        let same_name = CStr::from_ptr(pw.pw_name) == CStr::from_ptr(gr.gr_name);
        let no_members = gr.gr_mem.is_null() || (*gr.gr_mem).is_null();
        same_name && no_members
    }
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
        // create_dir does not repair a directory it did not make: it refuses it.
        assert!(create_dir(&dir).is_err());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(!denied(&f));
        // Too large: refused before it is read.
        std::fs::write(&f, vec![b'x'; MAX_SIZE as usize + 1]).unwrap();
        assert!(denied(&f));
        std::fs::write(&f, b"x").unwrap();
        // A symlinked directory is not created through.
        let elsewhere = top.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, top.path().join("redirect")).unwrap();
        assert!(create_dir(&top.path().join("redirect")).is_err());
        assert_eq!(
            std::fs::metadata(&elsewhere).unwrap().permissions().mode() & 0o777,
            0o755,
            "not chmod-ed"
        );
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
