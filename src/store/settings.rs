//! Which store holds long-term keys and cached sessions: one setting,
//! `AWSENV_BACKEND=keyring|file`, else `backend = keyring|file` in `$XDG_CONFIG_HOME/awsenv/config`.
//!
//! When nothing is configured, keys added with `awsenv add` go to the OS keyring, and sessions
//! stay in the private file cache of `crate::cache` (as before this setting existed): it needs
//! no D-Bus round trip or passphrase on the shell-hook path, and it holds only temporary
//! credentials, as the AWS CLI's own cache does. Choosing a backend moves sessions there too.

use anyhow::{bail, Context, Result};

use crate::os::env::{self, Env};

/// How to choose a backend, for error messages.
pub const ADVICE: &str = "choose a store with AWSENV_BACKEND=keyring|file or `backend = keyring|file` in $XDG_CONFIG_HOME/awsenv/config (`file` is an encrypted file, with AWSENV_FILE_PASSPHRASE or a prompt)";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// The OS keyring.
    Keyring,
    /// The encrypted file store.
    File,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Keyring => "keyring",
            BackendKind::File => "file",
        }
    }

    /// For messages: "OS keyring" / "encrypted file store".
    pub fn describe(self) -> &'static str {
        match self {
            BackendKind::Keyring => "OS keyring",
            BackendKind::File => "encrypted file store",
        }
    }

    fn parse(s: &str) -> Option<BackendKind> {
        match s.trim() {
            "keyring" => Some(BackendKind::Keyring),
            "file" => Some(BackendKind::File),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Settings {
    /// None: nothing configured.
    pub backend: Option<BackendKind>,
}

impl Settings {
    /// Reads `AWSENV_BACKEND`, then the config file.
    pub fn load(env: &Env) -> Result<Settings> {
        if let Some(v) = env.get(env::BACKEND) {
            let backend = BackendKind::parse(v)
                .with_context(|| format!("AWSENV_BACKEND=`{v}` is not one of keyring, file"))?;
            return Ok(Settings {
                backend: Some(backend),
            });
        }
        let Ok(dir) = crate::os::dirs::config(env) else {
            return Ok(Settings::default());
        };
        let path = dir.join("config");
        match std::fs::read_to_string(&path) {
            Ok(text) => Settings::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn parse(text: &str, path: &std::path::Path) -> Result<Settings> {
        let ini = ini::Ini::load_from_str(text)
            .map_err(|e| anyhow::anyhow!("{}:{}: {}", path.display(), e.line + 1, e.msg))?;
        let Some(value) = ini.general_section().get("backend") else {
            return Ok(Settings::default());
        };
        match BackendKind::parse(value) {
            Some(b) => Ok(Settings { backend: Some(b) }),
            None => {
                let line = text
                    .lines()
                    .position(|l| l.trim_start().starts_with("backend"))
                    .map(|i| format!(":{}", i + 1))
                    .unwrap_or_default();
                bail!(
                    "{}{line}: backend `{value}` is not one of keyring, file",
                    path.display()
                )
            }
        }
    }

    /// Where `awsenv add` puts keys and where resolution looks for them.
    pub fn keys_backend(self) -> BackendKind {
        self.backend.unwrap_or(BackendKind::Keyring)
    }

    /// Where sessions are cached: None for the plain private file cache.
    pub fn sessions_backend(self) -> Option<BackendKind> {
        self.backend
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_values_and_errors() {
        let p = std::path::Path::new("/home/u/.config/awsenv/config");
        assert_eq!(Settings::parse("", p).unwrap().backend, None);
        assert_eq!(
            Settings::parse("# store\nbackend = file\n", p)
                .unwrap()
                .backend,
            Some(BackendKind::File)
        );
        assert_eq!(
            Settings::parse("backend=keyring\n", p)
                .unwrap()
                .keys_backend(),
            BackendKind::Keyring
        );
        let err = Settings::parse("# x\n\nbackend = plaintext\n", p)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/home/u/.config/awsenv/config:3: backend `plaintext` is not one of keyring, file"
        );
    }

    #[test]
    fn default_keeps_sessions_in_the_file_cache_and_keys_in_the_keyring() {
        let s = Settings::default();
        assert_eq!(s.keys_backend(), BackendKind::Keyring);
        assert_eq!(s.sessions_backend(), None);
    }
}
