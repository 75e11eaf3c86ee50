//! Where long-term keys (`awsenv add`) and, when configured, cached sessions are kept: the OS
//! keyring or an encrypted file store. Never plain text.
//!
//! A [`Backend`] only stores opaque secrets under an [`ItemId`]. [`Store`] adds an index of what
//! is stored (profile names, access key ids, session owners and expiry — no secrets), because
//! the OS keyrings cannot list their items, and because planning and `awsenv list` must know
//! which profiles have keys without unlocking anything or asking for a passphrase.
//!
//! Which backend: `AWSENV_BACKEND=keyring|file`, else `backend = …` in
//! `$XDG_CONFIG_HOME/awsenv/config` (see [`settings`]).

pub mod cache;
pub mod file;
mod index;
pub mod keyring;
pub mod settings;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::creds::cache::{CacheKey, Entry};
use crate::creds::{Credentials, Secret};
use crate::os::env::Env;
use crate::plan::StoredKeys;
use index::{Index, KeyInfo, SessionInfo};
pub use settings::{BackendKind, Settings};

/// What one stored secret is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemId {
    /// The long-term keys of a profile.
    Keys(String),
    /// A cached session.
    Session(CacheKey),
}

impl ItemId {
    /// The item's name in the backend (the keyring's user name; hashed into a file name).
    pub fn name(&self) -> String {
        match self {
            ItemId::Keys(profile) => format!("keys:{profile}"),
            ItemId::Session(key) => format!("session:{}", key.as_str()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} is not available: {reason}; {advice}", advice = settings::ADVICE)]
    Unavailable { what: String, reason: String },
    #[error("wrong passphrase for the encrypted store in {path} (or its header was altered); nothing was changed")]
    WrongPassphrase { path: String },
    #[error("{path} is damaged or was tampered with ({problem}); nothing was changed")]
    Damaged { path: String, problem: String },
    #[error("the encrypted store in {path} needs a passphrase: set AWSENV_FILE_PASSPHRASE or run awsenv in a terminal ({reason})")]
    NoPassphrase { path: String, reason: String },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("the OS keyring: {0}")]
    Keyring(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Raw storage of secrets. Implementations never log or format the secret.
pub trait Backend {
    /// The secret under `id`, or None when there is none.
    fn get(&self, id: &ItemId) -> StoreResult<Option<Zeroizing<Vec<u8>>>>;
    /// Creates or replaces the secret under `id`.
    fn set(&self, id: &ItemId, secret: &[u8]) -> StoreResult<()>;
    /// Deletes the secret under `id`; false when there was none.
    fn delete(&self, id: &ItemId) -> StoreResult<bool>;
}

/// The long-term keys as stored (JSON inside the secret).
#[derive(Serialize, Deserialize)]
struct StoredKeyPair {
    access_key_id: String,
    secret_access_key: Secret,
}

/// A backend plus its index.
pub struct Store {
    kind: BackendKind,
    backend: Box<dyn Backend>,
    index: Index,
}

impl Store {
    /// Opens the store of `kind`. Cheap: nothing is unlocked, decrypted or asked until a secret
    /// is read or written.
    pub fn open(kind: BackendKind, env: &Env) -> anyhow::Result<Store> {
        let dir = crate::os::dirs::data(env)
            .map_err(anyhow::Error::msg)?
            .join(kind.name());
        let backend: Box<dyn Backend> = match kind {
            BackendKind::Keyring => Box::new(keyring::KeyringBackend::new(env)),
            BackendKind::File => Box::new(file::FileBackend::new(
                dir.join("items"),
                file::Passphrase::from_env_or_terminal(env),
            )),
        };
        Ok(Store {
            kind,
            backend,
            index: Index::new(dir),
        })
    }

    #[cfg(test)]
    pub fn with_backend(
        kind: BackendKind,
        backend: Box<dyn Backend>,
        dir: std::path::PathBuf,
    ) -> Store {
        Store {
            kind,
            backend,
            index: Index::new(dir),
        }
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// Profiles with stored keys and their access key ids, from the index (no secret is read).
    pub fn stored_keys(&self) -> anyhow::Result<StoredKeys> {
        let idx = self.index.read()?;
        Ok(StoredKeys::new(
            self.kind.name(),
            idx.keys
                .into_iter()
                .map(|(p, k)| (p, k.access_key_id))
                .collect(),
        ))
    }

    /// The stored long-term keys of `profile`.
    pub fn keys(&self, profile: &str) -> anyhow::Result<Option<Credentials>> {
        let Some(bytes) = self.backend.get(&ItemId::Keys(profile.to_string()))? else {
            return Ok(None);
        };
        let pair: StoredKeyPair = serde_json::from_slice(&bytes).map_err(|_| {
            anyhow::anyhow!(
                "the keys of profile `{profile}` in the {} are not in awsenv's format; store them again with `awsenv add {profile} --force`",
                self.kind.describe()
            )
        })?;
        Ok(Some(Credentials {
            access_key_id: pair.access_key_id,
            secret_access_key: pair.secret_access_key,
            session_token: None,
            expiration: None,
            account_id: None,
        }))
    }

    /// Stores (or replaces) the long-term keys of `profile`.
    pub fn put_keys(
        &self,
        profile: &str,
        access_key_id: &str,
        secret: &Secret,
    ) -> anyhow::Result<()> {
        let json = Zeroizing::new(serde_json::to_vec(&StoredKeyPair {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret.clone(),
        })?);
        let id = ItemId::Keys(profile.to_string());
        self.index.update(|idx| {
            self.backend.set(&id, &json)?;
            idx.keys.insert(
                profile.to_string(),
                KeyInfo {
                    access_key_id: access_key_id.to_string(),
                },
            );
            Ok(())
        })
    }

    /// Deletes the stored keys of `profile`; false when there were none.
    pub fn delete_keys(&self, profile: &str) -> anyhow::Result<bool> {
        let id = ItemId::Keys(profile.to_string());
        self.index.update(|idx| {
            // The item first: if this fails the index still shows the keys, so `remove` can be
            // tried again; the reverse order could hide a secret that is still stored.
            let deleted = self.backend.delete(&id)?;
            let listed = idx.keys.remove(profile).is_some();
            Ok(deleted || listed)
        })
    }

    /// A cached session, fresh or not.
    pub fn session(&self, key: &CacheKey) -> anyhow::Result<Option<Entry>> {
        let Some(bytes) = self.backend.get(&ItemId::Session(key.clone()))? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Caches a session, and forgets sessions that have expired.
    pub fn put_session(&self, key: &CacheKey, entry: &Entry) -> anyhow::Result<()> {
        let json = Zeroizing::new(serde_json::to_vec(entry)?);
        self.index.update(|idx| {
            self.backend.set(&ItemId::Session(key.clone()), &json)?;
            idx.sessions.insert(
                key.as_str().to_string(),
                SessionInfo {
                    profile: entry.profile.clone(),
                    kind: entry.kind,
                    expiration: entry.credentials.expiration,
                },
            );
            let now = time::OffsetDateTime::now_utc();
            let expired: Vec<String> = idx
                .sessions
                .iter()
                .filter(|(_, s)| s.expiration.is_none_or(|e| e <= now))
                .map(|(k, _)| k.clone())
                .collect();
            for k in expired {
                self.backend
                    .delete(&ItemId::Session(CacheKey::from_hex(&k)))?;
                idx.sessions.remove(&k);
            }
            Ok(())
        })
    }

    /// Keys of the cached sessions (of `profile`, or all), with their owner, kind and expiry.
    pub fn session_index(&self) -> anyhow::Result<Vec<(CacheKey, SessionInfo)>> {
        Ok(self
            .index
            .read()?
            .sessions
            .into_iter()
            .map(|(k, v)| (CacheKey::from_hex(&k), v))
            .collect())
    }

    /// Where runs that make the same session take turns (beside the index).
    pub fn lock_dir(&self) -> std::path::PathBuf {
        self.index.dir().join("session-locks")
    }

    /// Deletes one cached session (gone already is fine).
    pub fn delete_session(&self, key: &CacheKey) -> anyhow::Result<()> {
        self.index.update(|idx| {
            self.backend.delete(&ItemId::Session(key.clone()))?;
            idx.sessions.remove(key.as_str());
            Ok(())
        })
    }

    /// Deletes the cached sessions of `profile` (all when None); returns how many.
    pub fn delete_sessions(&self, profile: Option<&str>) -> anyhow::Result<usize> {
        self.index.update(|idx| {
            let doomed: Vec<String> = idx
                .sessions
                .iter()
                .filter(|(_, s)| profile.is_none_or(|p| s.profile == p))
                .map(|(k, _)| k.clone())
                .collect();
            for k in &doomed {
                self.backend
                    .delete(&ItemId::Session(CacheKey::from_hex(k)))?;
                idx.sessions.remove(k);
            }
            Ok(doomed.len())
        })
    }
}

/// Creates `dir` (and parents) and makes sure only the owner can enter it.
pub(crate) fn private_dir(dir: &std::path::Path) -> StoreResult<()> {
    crate::os::private_file::create_dir(dir).map_err(|source| StoreError::Io {
        action: "cannot create",
        path: dir.display().to_string(),
        source,
    })
}

/// Writes `bytes` to `path` atomically (see `crate::os::private_file`).
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> StoreResult<()> {
    crate::os::private_file::write(path, bytes).map_err(|source| StoreError::Io {
        action: "cannot write",
        path: path.display().to_string(),
        source,
    })
}
