//! The list of what a store holds, next to it: `index.json` (0600), replaced atomically, and
//! changed only under an exclusive lock on `index.lock`, so two awsenv runs that store at the same
//! time cannot lose each other's entries. It holds names, access key ids and expiry times —
//! identifiers, never secrets.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{private_dir, write_atomic};
use crate::creds::cache::SessionKind;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct IndexData {
    #[serde(default)]
    pub keys: BTreeMap<String, KeyInfo>,
    #[serde(default)]
    pub sessions: BTreeMap<String, SessionInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyInfo {
    pub access_key_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionInfo {
    pub profile: String,
    pub kind: SessionKind,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expiration: Option<OffsetDateTime>,
}

pub struct Index {
    dir: PathBuf,
}

impl Index {
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    pub fn new(dir: PathBuf) -> Index {
        Index { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// The current index; empty when nothing was ever stored.
    pub fn read(&self) -> Result<IndexData> {
        let path = self.path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is damaged; delete it and store your keys again with `awsenv add`",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IndexData::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Runs `change` on the index under the lock and saves the result if it succeeds. The
    /// change may store or delete secrets: they happen under the same lock.
    pub fn update<T>(&self, change: impl FnOnce(&mut IndexData) -> Result<T>) -> Result<T> {
        private_dir(&self.dir)?;
        let lock_path = self.dir.join("index.lock");
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        // Another run holding the lock (a slow keyring, a passphrase prompt) would otherwise
        // look like a hang: say what this one waits for. The lock goes with the file (closed
        // when this function returns).
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "awsenv: waiting for another awsenv run to release {}…",
                    lock_path.display()
                );
                file.lock()
                    .with_context(|| format!("cannot lock {}", lock_path.display()))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()))
            }
        }
        let mut data = self.read()?;
        let out = change(&mut data)?;
        let json = serde_json::to_vec_pretty(&data)?;
        write_atomic(&self.path(), &json)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_updates_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let d = dir.path().join("store");
                std::thread::spawn(move || {
                    let idx = Index::new(d);
                    for i in 0..20 {
                        idx.update(|data| {
                            data.keys.insert(
                                format!("p{t}-{i}"),
                                KeyInfo {
                                    access_key_id: "AKIA".into(),
                                },
                            );
                            Ok(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let data = Index::new(dir.path().join("store")).read().unwrap();
        assert_eq!(data.keys.len(), 160, "an update was lost");
    }

    #[test]
    fn a_failed_change_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let idx = Index::new(dir.path().to_path_buf());
        let r: Result<()> = idx.update(|data| {
            data.keys.insert(
                "p".into(),
                KeyInfo {
                    access_key_id: "AKIA".into(),
                },
            );
            anyhow::bail!("the backend failed")
        });
        assert!(r.is_err());
        assert!(idx.read().unwrap().keys.is_empty());
    }
}
