//! `server = true` in the same file makes the shell hook load profiles as a per-shell
//! credential server (see `crate::server`) instead of keys.
//!
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
    /// `server = true`: the shell hook loads profiles as a per-shell credential server
    /// (`awsenv use --server`) instead of keys.
    pub server: bool,
}

impl Settings {
    /// Reads `AWSENV_BACKEND`, then the config file.
    pub fn load(env: &Env) -> Result<Settings> {
        if let Some(v) = env.get(env::BACKEND) {
            let backend = BackendKind::parse(v)
                .with_context(|| format!("AWSENV_BACKEND=`{v}` is not one of keyring, file"))?;
            // The variable overrides the file, whatever the file says about the backend.
            let server = Settings::load_file(env).is_ok_and(|s| s.server);
            return Ok(Settings {
                backend: Some(backend),
                server,
            });
        }
        Settings::load_file(env)
    }

    fn load_file(env: &Env) -> Result<Settings> {
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
        let general = ini.general_section();
        let line_of = |key: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(key))
                .map(|i| format!(":{}", i + 1))
                .unwrap_or_default()
        };
        let server = match general.get("server").map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => bail!(
                "{}{}: server `{v}` is not one of true, false",
                path.display(),
                line_of("server")
            ),
        };
        let Some(value) = general.get("backend") else {
            return Ok(Settings {
                backend: None,
                server,
            });
        };
        match BackendKind::parse(value) {
            Some(b) => Ok(Settings {
                backend: Some(b),
                server,
            }),
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
    fn server_setting_for_the_hook() {
        let p = std::path::Path::new("/home/u/.config/awsenv/config");
        assert!(!Settings::parse("", p).unwrap().server);
        let s = Settings::parse("backend = file\nserver = true\n", p).unwrap();
        assert!(s.server);
        assert_eq!(s.backend, Some(BackendKind::File));
        assert!(!Settings::parse("server = false\n", p).unwrap().server);
        let err = Settings::parse("# x\nserver = yes\n", p)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/home/u/.config/awsenv/config:2: server `yes` is not one of true, false"
        );
    }

    #[test]
    fn default_keeps_sessions_in_the_file_cache_and_keys_in_the_keyring() {
        let s = Settings::default();
        assert_eq!(s.keys_backend(), BackendKind::Keyring);
        assert_eq!(s.sessions_backend(), None);
    }
}
