//! The OS keyring through the `keyring` crate: the Secret Service (GNOME Keyring, KWallet…) over
//! D-Bus on Linux, the Keychain on macOS, the Credential Manager on Windows. Every item is
//! service `awsenv`, user `keys:PROFILE` or `session:HASH`
//! (`secret-tool lookup service awsenv username keys:PROFILE` shows one on Linux).

use zeroize::Zeroizing;

use super::{Backend, ItemId, StoreError, StoreResult};
use crate::os::env::{self, Env};

pub const SERVICE: &str = "awsenv";

pub struct KeyringBackend {
    /// No D-Bus session bus is named in the environment: the likely cause of a failure.
    no_bus: bool,
}

impl KeyringBackend {
    pub fn new(env: &Env) -> KeyringBackend {
        KeyringBackend {
            no_bus: cfg!(target_os = "linux") && env.get(env::DBUS_SESSION_BUS_ADDRESS).is_none(),
        }
    }

    fn entry(&self, id: &ItemId) -> StoreResult<keyring::Entry> {
        keyring::Entry::new(SERVICE, &id.name()).map_err(|e| self.map_error(e))
    }

    /// Turns the crate's errors into ones that say what is wrong and what to do about it.
    fn map_error(&self, e: keyring::Error) -> StoreError {
        map_error(e, self.no_bus)
    }
}

fn map_error(e: keyring::Error, no_bus: bool) -> StoreError {
    use keyring::Error as E;
    let unavailable = |reason: String| StoreError::Unavailable {
        what: "the OS keyring".into(),
        reason,
    };
    match e {
        E::PlatformFailure(inner) => {
            if no_bus {
                unavailable(format!(
                    "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set) to reach the Secret Service ({inner})"
                ))
            } else {
                unavailable(one_line(&*inner))
            }
        }
        E::NoStorageAccess(inner) => unavailable(format!(
            "the keyring is locked or refused access; unlock it (for example by logging in to the desktop) ({})",
            one_line(&*inner)
        )),
        E::Ambiguous(items) => StoreError::Keyring(format!(
            "{} items match; delete the duplicates with your keyring manager",
            items.len()
        )),
        // NoEntry is handled by the callers; the rest name an attribute, never a secret.
        other => StoreError::Keyring(other.to_string()),
    }
}

fn one_line(e: &(dyn std::error::Error + Send + Sync)) -> String {
    crate::os::text::one_line(&e.to_string())
}

impl Backend for KeyringBackend {
    fn get(&self, id: &ItemId) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(id)?.get_secret() {
            Ok(s) => Ok(Some(Zeroizing::new(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.map_error(e)),
        }
    }

    fn set(&self, id: &ItemId, secret: &[u8]) -> StoreResult<()> {
        self.entry(id)?
            .set_secret(secret)
            .map_err(|e| self.map_error(e))
    }

    fn delete(&self, id: &ItemId) -> StoreResult<bool> {
        match self.entry(id)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.map_error(e)),
        }
    }
}
