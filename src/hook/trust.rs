//! Which `.awsprofile` markers the user has allowed, like `direnv allow`.
//!
//! An allow entry is named by SHA-256(absolute path + "\n" + content): editing the file, or the
//! same file appearing at another path (a clone), needs a new `awsenv allow`. A deny entry is named
//! by SHA-256(absolute path) and wins over allow entries, so a denied marker stays quiet whatever
//! its content.
//!
//! "Path" is the marker's own path as found: its directory without symlinks, plus the file
//! name, never what the file itself points to. A `.awsprofile` that is a symlink (a cloned
//! repository can carry one, aimed at a marker the user allowed) is a marker of its own that
//! needs its own `allow`, and a `deny` in the clone denies the clone's marker only.
//!
//! Entries are empty-ish files (they hold the path, for people who look), 0600 in
//! 0700 directories under `$XDG_DATA_HOME/awsenv/`, written atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::os::env::Env;
use crate::os::text::shown;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    Allowed,
    Denied,
    /// Never allowed, or allowed with other content.
    Unknown,
}

pub struct TrustStore {
    dir: PathBuf,
}

impl TrustStore {
    /// `$XDG_DATA_HOME/awsenv` (or the platform's data directory).
    pub fn default_location(env: &Env) -> Result<TrustStore> {
        Ok(TrustStore {
            dir: crate::os::dirs::data(env).map_err(anyhow::Error::msg)?,
        })
    }

    #[cfg(test)]
    pub fn at(dir: impl Into<PathBuf>) -> TrustStore {
        TrustStore { dir: dir.into() }
    }

    /// The trust of the marker at `path` with `content`.
    pub fn check(&self, path: &Path, content: &[u8]) -> Trust {
        let Ok(abs) = canonical(path) else {
            return Trust::Unknown;
        };
        // An entry counts only if the user made it: one planted by another user who can
        // write to the store's directory is ignored.
        if crate::os::private_file::is_private_file(&self.deny_entry(&abs)) {
            Trust::Denied
        } else if crate::os::private_file::is_private_file(&self.allow_entry(&abs, content)) {
            Trust::Allowed
        } else {
            Trust::Unknown
        }
    }

    /// Trusts this exact content at this path, and lifts a deny.
    pub fn allow(&self, path: &Path, content: &[u8]) -> Result<()> {
        let abs = canonical(path)?;
        self.write_entry(&self.allow_entry(&abs, content), &abs)?;
        remove(&self.deny_entry(&abs))
    }

    /// Refuses the marker at this path whatever its content, and drops its current allow entry.
    pub fn deny(&self, path: &Path, content: &[u8]) -> Result<()> {
        let abs = canonical(path)?;
        self.write_entry(&self.deny_entry(&abs), &abs)?;
        remove(&self.allow_entry(&abs, content))
    }

    fn allow_entry(&self, abs: &Path, content: &[u8]) -> PathBuf {
        let mut h = Sha256::new();
        h.update(abs.as_os_str().as_encoded_bytes());
        h.update(b"\n");
        h.update(content);
        self.dir.join("allow").join(hex::encode(h.finalize()))
    }

    fn deny_entry(&self, abs: &Path) -> PathBuf {
        let h = Sha256::digest(abs.as_os_str().as_encoded_bytes());
        self.dir.join("deny").join(hex::encode(h))
    }

    fn write_entry(&self, entry: &Path, abs: &Path) -> Result<()> {
        let dir = entry.parent().expect("entries live in a directory");
        let line = format!("{}\n", abs.display());
        crate::os::private_file::create_dir(&self.dir)
            .and_then(|()| crate::os::private_file::create_dir(dir))
            .and_then(|()| crate::os::private_file::write(entry, line.as_bytes()))
            .with_context(|| format!("cannot write to {}", shown(dir)))
    }
}

/// The marker's own path, absolute: its directory canonicalized (so that `cd` through a
/// symlinked directory finds the same entry), then its file name as is (so that a symlinked
/// marker is never taken for its target).
fn canonical(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", shown(path)))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).with_context(|| format!("cannot find {}", shown(dir)))?;
    Ok(dir.join(name))
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", shown(path)))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::private_file::is_private_file;

    #[test]
    fn allow_is_bound_to_path_and_content() {
        let root = tempfile::tempdir().unwrap();
        let store = TrustStore::at(root.path().join("data/awsenv"));
        let a = root.path().join("a");
        let b = root.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let (ma, mb) = (a.join(".awsprofile"), b.join(".awsprofile"));
        std::fs::write(&ma, "prod").unwrap();
        std::fs::write(&mb, "prod").unwrap();

        assert_eq!(store.check(&ma, b"prod"), Trust::Unknown);
        store.allow(&ma, b"prod").unwrap();
        assert_eq!(store.check(&ma, b"prod"), Trust::Allowed);
        // Same content elsewhere (a clone), or other content here (an edit): not allowed.
        assert_eq!(store.check(&mb, b"prod"), Trust::Unknown);
        assert_eq!(
            store.check(&ma, b"prod\nregion = us-east-1"),
            Trust::Unknown
        );
        // The directory is taken without symlinks; the marker itself is not followed.
        #[cfg(unix)]
        {
            let link = root.path().join("link");
            std::os::unix::fs::symlink(&a, &link).unwrap();
            assert_eq!(
                store.check(&link.join(".awsprofile"), b"prod"),
                Trust::Allowed
            );
            let c = root.path().join("c");
            std::fs::create_dir_all(&c).unwrap();
            let mc = c.join(".awsprofile");
            std::os::unix::fs::symlink(&ma, &mc).unwrap();
            assert_eq!(store.check(&mc, b"prod"), Trust::Unknown);
            store.deny(&mc, b"prod").unwrap();
            assert_eq!(store.check(&mc, b"prod"), Trust::Denied);
            assert_eq!(store.check(&ma, b"prod"), Trust::Allowed);
        }

        store.deny(&ma, b"prod").unwrap();
        assert_eq!(store.check(&ma, b"prod"), Trust::Denied);
        assert_eq!(store.check(&ma, b"other"), Trust::Denied);
        store.allow(&ma, b"prod").unwrap();
        assert_eq!(store.check(&ma, b"prod"), Trust::Allowed);
    }

    /// Both entries can exist at once: `deny` drops only the allow entry of the content it sees,
    /// so an allow of an earlier content stays behind. If the file comes back to that content,
    /// the deny still wins, whichever command came first for that content.
    #[test]
    fn a_deny_beats_an_allow_of_the_same_marker() {
        let root = tempfile::tempdir().unwrap();
        let store = TrustStore::at(root.path().join("data/awsenv"));
        let m = root.path().join(".awsprofile");
        std::fs::write(&m, "prod").unwrap();
        store.allow(&m, b"prod").unwrap();
        store.deny(&m, b"edited").unwrap();
        assert!(is_private_file(
            &store.allow_entry(&canonical(&m).unwrap(), b"prod")
        ));
        assert_eq!(store.check(&m, b"prod"), Trust::Denied);
        assert_eq!(store.check(&m, b"edited"), Trust::Denied);

        // The other order: denied first, then an allow of another content lifts the deny.
        let n = root.path().join("n");
        std::fs::create_dir_all(&n).unwrap();
        let m = n.join(".awsprofile");
        store.deny(&m, b"prod").unwrap();
        store.allow(&m, b"edited").unwrap();
        assert_eq!(store.check(&m, b"edited"), Trust::Allowed);
        assert_eq!(store.check(&m, b"prod"), Trust::Unknown);
    }

    #[cfg(unix)]
    #[test]
    fn entries_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let store = TrustStore::at(root.path().join("awsenv"));
        let m = root.path().join(".awsprofile");
        std::fs::write(&m, "x").unwrap();
        store.allow(&m, b"x").unwrap();
        store.deny(&m, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root.path().join("awsenv")), 0o700);
        for sub in ["allow", "deny"] {
            let dir = root.path().join("awsenv").join(sub);
            assert_eq!(mode(&dir), 0o700);
            for e in std::fs::read_dir(&dir).unwrap() {
                assert_eq!(mode(&e.unwrap().path()), 0o600);
            }
        }
    }
}
