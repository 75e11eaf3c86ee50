//! One [`Context`] per run: what a run reads, loaded once, and lazily where it costs.
//!
//! `main` makes it from the process environment and hands it to the command; the command hands
//! it to the engine (`engine::resolve`). The environment is a snapshot taken at start; the two
//! files, awsenv's settings, the key store and its secret-free index are read the first time a
//! command needs them (`awsenv unset` reads none of them, the hook reads them only when it loads
//! a profile), and never twice.

use std::cell::OnceCell;

use anyhow::Result;

use crate::config::{ConfigError, Files};
use crate::creds::cache::{FileCache, SessionCache};
use crate::os::env::Env;
use crate::plan::StoredKeys;
use crate::store::cache::StoreCache;
use crate::store::{Settings, Store};

pub struct Context {
    pub env: Env,
    files: OnceCell<Files>,
    settings: OnceCell<Settings>,
    store: OnceCell<Store>,
    stored: OnceCell<StoredKeys>,
}

/// The value in `cell`, made by `make` the first time.
fn once<T, E>(cell: &OnceCell<T>, make: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = make()?;
    Ok(cell.get_or_init(|| v))
}

impl Context {
    pub fn new(env: Env) -> Context {
        Context {
            env,
            files: OnceCell::new(),
            settings: OnceCell::new(),
            store: OnceCell::new(),
            stored: OnceCell::new(),
        }
    }

    /// Ends the run. The files' text and parse are left to the process's exit: on a big
    /// config (`list --long` of 10,000 profiles) freeing them one by one cost more than
    /// printing the table. The stores drop as usual, wiping the secrets they held.
    pub fn finish(self) {
        let Context { files, .. } = self;
        std::mem::forget(files);
    }

    /// A context for this process's environment.
    pub fn from_process() -> Context {
        Context::new(Env::from_process())
    }

    /// The config and credentials files.
    pub fn files(&self) -> Result<&Files, ConfigError> {
        once(&self.files, || Files::load(&self.env))
    }

    /// awsenv's own settings (`AWSENV_BACKEND`, `$XDG_CONFIG_HOME/awsenv/config`).
    pub fn settings(&self) -> Result<Settings> {
        once(&self.settings, || Settings::load(&self.env)).copied()
    }

    /// The store of long-term keys (opening it unlocks nothing).
    pub fn store(&self) -> Result<&Store> {
        once(&self.store, || {
            Store::open(self.settings()?.keys_backend(), &self.env)
        })
    }

    /// Which profiles have keys in the store, from its index: no secret is read.
    pub fn stored_keys(&self) -> Result<&StoredKeys> {
        once(&self.stored, || self.store()?.stored_keys())
    }

    /// Where sessions are cached: the store holding the keys when a backend is configured (one
    /// setting for both), else the private file cache.
    pub fn session_cache(&self) -> Result<Box<dyn SessionCache + '_>> {
        Ok(match self.settings()?.sessions_backend() {
            Some(_) => Box::new(StoreCache::new(self.store()?)),
            None => Box::new(self.file_cache()?),
        })
    }

    /// The private file cache of sessions.
    pub fn file_cache(&self) -> Result<FileCache> {
        FileCache::default_location(&self.env)
    }

    /// Every profile name: the files' and the store's, merged, sorted, without repeats.
    /// Borrowed, not copied: `list` and completion take them all from a 10,000-profile config.
    pub fn profile_names(&self) -> Result<Vec<&str>> {
        self.with_stored_names(self.files()?.profile_names(), "")
    }

    /// [`Context::profile_names`] that start with `prefix`.
    pub fn profile_names_starting(&self, prefix: &str) -> Result<Vec<&str>> {
        self.with_stored_names(self.files()?.profile_names_starting(prefix), prefix)
    }

    /// The files' names (sorted) merged with the store's that start with `prefix`.
    fn with_stored_names<'a>(
        &'a self,
        mut names: Vec<&'a str>,
        prefix: &str,
    ) -> Result<Vec<&'a str>> {
        let from_files = names.len();
        names.extend(
            self.stored_keys()?
                .names()
                .filter(|n| n.starts_with(prefix)),
        );
        if names.len() > from_files {
            names = crate::config::sorted(names.into_iter());
        }
        Ok(names)
    }
}
