//! Cached sessions kept in a [`Store`] (the OS keyring or the encrypted file store) instead of
//! the plain file cache, when a backend is configured.

use std::cell::Cell;

use anyhow::Result;
use time::OffsetDateTime;

use super::Store;
use crate::creds::cache::{CacheKey, Entry, SessionCache};

pub struct StoreCache<'s> {
    store: &'s Store,
    /// A store that cannot be read is reported once per run, not at every step.
    warned: Cell<bool>,
}

impl<'s> StoreCache<'s> {
    pub fn new(store: &'s Store) -> StoreCache<'s> {
        StoreCache {
            store,
            warned: Cell::new(false),
        }
    }

    fn warn(&self, e: &anyhow::Error) {
        if !self.warned.replace(true) {
            eprintln!("awsenv: warning: cached sessions: {e:#}");
        }
    }
}

impl SessionCache for StoreCache<'_> {
    fn get(&self, key: &CacheKey) -> Option<Entry> {
        // The index says whether there is anything to read: a miss costs no keyring call and no
        // passphrase.
        match self.store.session_index() {
            Ok(idx) if !idx.iter().any(|(k, _)| k == key) => return None,
            Ok(_) => {}
            Err(e) => {
                self.warn(&e);
                return None;
            }
        }
        match self.store.session(key) {
            Ok(entry) => entry.filter(|e| e.is_fresh(OffsetDateTime::now_utc())),
            Err(e) => {
                self.warn(&e);
                None
            }
        }
    }

    fn put(&self, key: &CacheKey, entry: &Entry) -> Result<()> {
        self.store.put_session(key, entry)
    }

    fn entries(&self) -> Vec<Entry> {
        let now = OffsetDateTime::now_utc();
        let Ok(idx) = self.store.session_index() else {
            return Vec::new();
        };
        idx.into_iter()
            .filter(|(_, info)| info.expiration.is_some_and(|e| e > now))
            .filter_map(|(k, _)| self.store.session(&k).ok().flatten())
            .filter(|e| e.is_fresh(now))
            .collect()
    }

    fn remove(&self, profile: Option<&str>) -> Result<usize> {
        self.store.delete_sessions(profile)
    }

    fn forget(&self, key: &CacheKey) -> Result<()> {
        self.store.delete_session(key)
    }

    fn lock_dir(&self) -> std::path::PathBuf {
        self.store.lock_dir()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::Secret;
    use crate::store::file::{Cost, FileBackend, Passphrase};
    use crate::store::BackendKind;

    fn store(dir: &std::path::Path) -> Store {
        let backend = FileBackend::new(dir.join("items"), Passphrase::Fixed("pw".into()))
            .with_cost(Cost {
                m_kib: 64,
                t: 1,
                p: 1,
            });
        Store::with_backend(BackendKind::File, Box::new(backend), dir.to_path_buf())
    }

    fn entry(profile: &str, minutes: i64) -> Entry {
        crate::creds::cache::test_entry(profile, minutes)
    }

    #[test]
    fn sessions_round_trip_expire_and_clear() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let cache = StoreCache::new(&s);
        let (k1, k2, k3) = (
            CacheKey::from_parts(&["1"]),
            CacheKey::from_parts(&["2"]),
            CacheKey::from_parts(&["3"]),
        );
        assert!(cache.get(&k1).is_none());
        cache.put(&k1, &entry("a", 60)).unwrap();
        cache.put(&k2, &entry("b", 60)).unwrap();
        assert_eq!(cache.get(&k1).unwrap().profile, "a");
        // Within the margin: not handed out.
        cache.put(&k3, &entry("a", 3)).unwrap();
        assert!(cache.get(&k3).is_none());
        assert_eq!(cache.entries().len(), 2);
        assert_eq!(cache.remove(Some("a")).unwrap(), 2);
        assert!(cache.get(&k1).is_none());
        assert!(cache.get(&k2).is_some());
        assert_eq!(cache.remove(None).unwrap(), 1);
        assert!(cache.entries().is_empty());
    }

    #[test]
    fn expired_sessions_are_pruned_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let cache = StoreCache::new(&s);
        let old = CacheKey::from_parts(&["old"]);
        cache.put(&old, &entry("a", -1)).unwrap();
        cache
            .put(&CacheKey::from_parts(&["new"]), &entry("a", 60))
            .unwrap();
        assert!(
            s.session(&old).unwrap().is_none(),
            "expired item still stored"
        );
        assert_eq!(s.session_index().unwrap().len(), 1);
    }

    #[test]
    fn keys_round_trip_through_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        s.put_keys("prod", "AKIAPROD", &Secret::new("sekret"))
            .unwrap();
        let stored = s.stored_keys().unwrap();
        assert_eq!(stored.access_key_id("prod"), Some("AKIAPROD"));
        let c = s.keys("prod").unwrap().unwrap();
        assert_eq!(c.secret_access_key.expose(), "sekret");
        assert!(c.session_token.is_none());
        let index = std::fs::read_to_string(dir.path().join("index.json")).unwrap();
        assert!(!index.contains("sekret"), "the index holds a secret");
        assert!(s.delete_keys("prod").unwrap());
        assert!(!s.delete_keys("prod").unwrap());
        assert!(s.keys("prod").unwrap().is_none());
        assert_eq!(s.stored_keys().unwrap().access_key_id("prod"), None);
    }
}
