//! Cached temporary credentials (MFA sessions and role credentials), reused until five minutes
//! before they expire.
//!
//! Keys are a SHA-256 of everything that shaped the credentials (source identity, roles,
//! external ids, durations, endpoints…), so changing a profile's settings misses the cache.
//! The store is a trait so that a keyring-backed cache can replace the file one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::creds::Credentials;
use crate::os::env::Env;

/// Cached credentials are not handed out when they expire within this margin.
pub const EXPIRY_MARGIN: time::Duration = time::Duration::minutes(5);

/// Identifies one set of cached credentials.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// Hashes the parts (joined unambiguously) into a key.
    pub fn from_parts<S: AsRef<str>>(parts: &[S]) -> CacheKey {
        let mut h = Sha256::new();
        for p in parts {
            let p = p.as_ref();
            h.update((p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        CacheKey(hex::encode(h.finalize()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key as `as_str` wrote it (read back from a store's index).
    pub fn from_hex(s: &str) -> CacheKey {
        CacheKey(s.to_string())
    }
}

/// What kind of session an entry holds (shown by `awsenv list --long`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    MfaSession,
    Role,
    Sso,
    WebIdentity,
}

/// One cached session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The profile the session belongs to.
    pub profile: String,
    pub kind: SessionKind,
    pub credentials: Credentials,
}

impl Entry {
    /// Usable: expires later than the margin from now.
    pub fn is_fresh(&self, now: OffsetDateTime) -> bool {
        self.credentials.expiration.is_some()
            && !self.credentials.expires_within(now, EXPIRY_MARGIN)
    }
}

/// Where sessions are kept.
pub trait SessionCache {
    /// The entry under `key`, if present and fresh.
    fn get(&self, key: &CacheKey) -> Option<Entry>;
    /// Stores an entry (credentials without an expiry are not worth caching; callers skip them).
    fn put(&self, key: &CacheKey, entry: &Entry) -> Result<()>;
    /// Every fresh entry, for listings.
    fn entries(&self) -> Vec<Entry>;
    /// Deletes the sessions of `profile` (every session when None); returns how many.
    fn remove(&self, profile: Option<&str>) -> Result<usize>;
    /// Deletes the session under `key` (STS says it was revoked).
    fn forget(&self, key: &CacheKey) -> Result<()>;
    /// Where the single-flight locks of these sessions are (see [`super::lock`]).
    fn lock_dir(&self) -> PathBuf;
}

/// One JSON file per session in a private directory (0700), each file 0600, written to a
/// temporary file and renamed so readers never see half a file and concurrent writers cannot
/// corrupt each other (the last rename wins, and both contents are valid).
pub struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    /// `$XDG_CACHE_HOME/awsenv/sessions` (or the platform's cache directory).
    pub fn default_location(env: &Env) -> Result<FileCache> {
        let base = crate::os::dirs::cache(env).map_err(anyhow::Error::msg)?;
        Ok(FileCache {
            dir: base.join("sessions"),
        })
    }

    #[cfg(test)]
    pub fn at(dir: impl Into<PathBuf>) -> FileCache {
        FileCache { dir: dir.into() }
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.as_str()))
    }

    /// Removes every entry of `kind` (fresh or not); returns how many. Used by `sso logout`,
    /// so that signing out also drops the role credentials the sign-in produced.
    pub fn remove_kind(&self, kind: SessionKind) -> Result<usize> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Ok(0);
        };
        let mut removed = 0;
        for e in dir.filter_map(|e| e.ok()) {
            let path = e.path();
            if Self::read(&path).is_some_and(|entry| entry.kind == kind) {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// An entry, if it is there and private (see `os::private_file::read`).
    fn read(path: &Path) -> Option<Entry> {
        let bytes = crate::os::private_file::read(path).ok()??;
        serde_json::from_slice(&bytes).ok()
    }
}

impl SessionCache for FileCache {
    fn get(&self, key: &CacheKey) -> Option<Entry> {
        // Credentials someone else could have planted are never used; say so.
        let bytes = match crate::os::private_file::read(&self.path(key)) {
            Ok(bytes) => bytes?,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    eprintln!("awsenv: warning: not using the cached session: {e}");
                }
                return None;
            }
        };
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        entry.is_fresh(OffsetDateTime::now_utc()).then_some(entry)
    }

    fn put(&self, key: &CacheKey, entry: &Entry) -> Result<()> {
        let json = serde_json::to_vec(entry)?;
        crate::os::private_file::create_dir(&self.dir)
            .and_then(|()| crate::os::private_file::write(&self.path(key), &json))
            .with_context(|| format!("cannot write to {}", self.dir.display()))
    }

    fn entries(&self) -> Vec<Entry> {
        let now = OffsetDateTime::now_utc();
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| Self::read(&e.path()))
            .filter(|e| e.is_fresh(now))
            .collect()
    }

    /// `…/awsenv/locks`, beside the sessions (not among them: listings and counts of session
    /// files stay what they were).
    fn lock_dir(&self) -> PathBuf {
        self.dir.parent().unwrap_or(&self.dir).join("session-locks")
    }

    fn forget(&self, key: &CacheKey) -> Result<()> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot delete {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    fn remove(&self, profile: Option<&str>) -> Result<usize> {
        let dir = match fs::read_dir(&self.dir) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        let mut removed = 0;
        for e in dir.filter_map(|e| e.ok()) {
            let path = e.path();
            if !e.file_name().to_string_lossy().ends_with(".json") {
                continue;
            }
            // Unreadable entries are useless to everyone: they go when all go.
            let matches = match (profile, Self::read(&path)) {
                (None, _) => true,
                (Some(p), Some(entry)) => entry.profile == p,
                (Some(_), None) => false,
            };
            if matches {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot delete {}", path.display()))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A role session of `profile` that expires in `minutes`, for tests of session stores.
#[cfg(test)]
pub fn test_entry(profile: &str, minutes: i64) -> Entry {
    Entry {
        profile: profile.into(),
        kind: SessionKind::Role,
        credentials: Credentials {
            access_key_id: "ASIA".into(),
            secret_access_key: crate::creds::Secret::new("s"),
            session_token: Some(crate::creds::Secret::new("t")),
            expiration: Some(OffsetDateTime::now_utc() + time::Duration::minutes(minutes)),
            account_id: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(minutes: i64) -> Entry {
        test_entry("p", minutes)
    }

    #[test]
    fn keys_are_unambiguous() {
        assert_ne!(
            CacheKey::from_parts(&["ab", "c"]),
            CacheKey::from_parts(&["a", "bc"])
        );
    }

    #[test]
    fn round_trip_permissions_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::at(dir.path().join("awsenv/sessions"));
        let k = CacheKey::from_parts(&["x"]);
        assert!(cache.get(&k).is_none());
        cache.put(&k, &entry(60)).unwrap();
        let got = cache.get(&k).unwrap();
        assert_eq!(got.credentials.access_key_id, "ASIA");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cache.dir), 0o700);
            assert_eq!(mode(&cache.path(&k)), 0o600);
        }
        // Within five minutes of expiry: a miss.
        cache.put(&k, &entry(4)).unwrap();
        assert!(cache.get(&k).is_none());
        assert!(cache.entries().is_empty());
    }

    #[test]
    fn concurrent_writers_leave_a_valid_file() {
        let dir = tempfile::tempdir().unwrap();
        let k = CacheKey::from_parts(&["same"]);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let d = dir.path().to_path_buf();
                let k = k.clone();
                std::thread::spawn(move || {
                    let c = FileCache::at(d);
                    for _ in 0..50 {
                        c.put(&k, &entry(60)).unwrap();
                        assert!(c.get(&k).is_some());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "temporary files were left behind");
    }

    #[test]
    fn remove_by_profile_or_all() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::at(dir.path());
        assert_eq!(cache.remove(None).unwrap(), 0, "no directory yet");
        let mut other = entry(60);
        other.profile = "q".into();
        cache
            .put(&CacheKey::from_parts(&["1"]), &entry(60))
            .unwrap();
        cache
            .put(&CacheKey::from_parts(&["2"]), &entry(60))
            .unwrap();
        cache.put(&CacheKey::from_parts(&["3"]), &other).unwrap();
        assert_eq!(cache.remove(Some("p")).unwrap(), 2);
        assert_eq!(cache.entries().len(), 1);
        assert_eq!(cache.remove(None).unwrap(), 1);
        assert!(cache.entries().is_empty());
    }
}
