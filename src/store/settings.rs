//! awsenv's own settings: `AWSENV_<NAME>` in the environment, else `<name> = …` in
//! `$XDG_CONFIG_HOME/awsenv/config`.
//!
//! `backend = keyring|file` (`AWSENV_BACKEND`): which store holds long-term keys and cached
//! sessions. When nothing is configured, keys added with `awsenv add` go to the OS keyring, and
//! sessions stay in the private file cache of `crate::cache` (as before this setting existed): it
//! needs no D-Bus round trip or passphrase on the shell-hook path, and it holds only temporary
//! credentials, as the AWS CLI's own cache does. Choosing a backend moves sessions there too.
//!
//! `deadline = SECONDS` (`AWSENV_DEADLINE`): how long the network part of one run may take,
//! retries included, so that a black-holed endpoint costs a `cd` seconds, not minutes.
//!
//! `server = true` (file only): the shell hook loads profiles as a per-shell credential server
//! (see `crate::server`) instead of keys.

use std::time::Duration;

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

/// The network deadline of a run when nothing is configured.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// How to change the deadline, for the error that reports it.
pub const DEADLINE_ADVICE: &str = "allow more with AWSENV_DEADLINE=SECONDS or `deadline = SECONDS` in $XDG_CONFIG_HOME/awsenv/config";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Settings {
    /// None: nothing configured.
    pub backend: Option<BackendKind>,
    /// None: [`DEFAULT_DEADLINE`].
    pub deadline: Option<Duration>,
    /// `server = true`: the shell hook loads profiles as a per-shell credential server
    /// (`awsenv use --server`) instead of keys.
    pub server: bool,
}

impl Settings {
    /// Reads the config file, then lets each `AWSENV_*` variable override its setting (a
    /// variable that is set makes the file's value for that setting irrelevant, even a bad one).
    pub fn load(env: &Env) -> Result<Settings> {
        let file = match crate::os::dirs::config(env) {
            Ok(dir) => {
                let path = dir.join("config");
                match std::fs::read_to_string(&path) {
                    Ok(text) => Some((text, path)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read {}", path.display()))
                    }
                }
            }
            Err(_) => None,
        };
        let lines = match &file {
            Some((text, path)) => read_lines(text, path)?,
            None => Vec::new(),
        };
        // (value, `path:line`) of a setting in the file.
        let from_file = |name: &str| -> Result<Option<(String, String)>> {
            Ok(lines.iter().find(|l| l.name == name).map(|l| {
                let (_, path) = file.as_ref().expect("lines come from the file");
                (
                    l.value.to_string(),
                    format!("{}:{}", path.display(), l.line),
                )
            }))
        };
        let backend = match env.get(env::BACKEND) {
            Some(v) => Some(
                BackendKind::parse(v)
                    .with_context(|| format!("AWSENV_BACKEND=`{v}` is not one of keyring, file"))?,
            ),
            None => match from_file("backend")? {
                Some((value, at)) => Some(BackendKind::parse(&value).with_context(|| {
                    format!("{at}: backend `{value}` is not one of keyring, file")
                })?),
                None => None,
            },
        };
        let deadline = match env.get(env::DEADLINE) {
            Some(v) => Some(parse_deadline(v).with_context(|| {
                format!("AWSENV_DEADLINE=`{v}` is not a number of seconds from 1 to 3600")
            })?),
            None => match from_file("deadline")? {
                Some((value, at)) => Some(parse_deadline(&value).with_context(|| {
                    format!("{at}: deadline `{value}` is not a number of seconds from 1 to 3600")
                })?),
                None => None,
            },
        };
        let server = match from_file("server")? {
            None => false,
            Some((value, at)) => match value.trim() {
                "true" => true,
                "false" => false,
                other => bail!("{at}: server `{other}` is not one of true, false"),
            },
        };
        Ok(Settings {
            backend,
            deadline,
            server,
        })
    }

    #[cfg(test)]
    fn parse(text: &str, path: &std::path::Path) -> Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("awsenv")).unwrap();
        std::fs::write(dir.path().join("awsenv/config"), text).unwrap();
        let env = Env::default().with(env::XDG_CONFIG_HOME, dir.path().to_str().unwrap());
        Settings::load(&env).map_err(|e| {
            let shown = dir.path().join("awsenv/config").display().to_string();
            anyhow::anyhow!(
                "{}",
                format!("{e:#}").replace(&shown, &path.display().to_string())
            )
        })
    }

    /// How long the network part of a run may take.
    pub fn deadline(self) -> Duration {
        self.deadline.unwrap_or(DEFAULT_DEADLINE)
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

/// One `name = value` line of the settings file.
struct Line<'t> {
    name: &'t str,
    value: &'t str,
    line: usize,
}

/// The file's settings: `name = value` lines; blank lines and lines starting with `#` or `;` are
/// skipped. Anything else, or a name set twice, is an error at its line: the file is awsenv's
/// own and small, so it has no sections and no continuation lines (the AWS files' reader,
/// `config/ini.rs`, follows botocore's rules, which this file does not need).
fn read_lines<'t>(text: &'t str, path: &std::path::Path) -> Result<Vec<Line<'t>>> {
    let mut out: Vec<Line<'t>> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            bail!(
                "{}:{line}: expected `name = value` (backend, deadline, server)",
                path.display()
            );
        };
        let name = name.trim_end();
        if name.is_empty() {
            bail!("{}:{line}: a setting without a name", path.display());
        }
        if let Some(first) = out.iter().find(|l| l.name == name) {
            bail!(
                "{}:{line}: `{name}` is already set on line {}",
                path.display(),
                first.line
            );
        }
        out.push(Line {
            name,
            value: value.trim_start(),
            line,
        });
    }
    Ok(out)
}

/// Whole seconds, 1 to an hour: a deadline of 0 could never succeed, and more than an hour is
/// no deadline.
fn parse_deadline(s: &str) -> Option<Duration> {
    let secs: u64 = s.trim().parse().ok()?;
    (1..=3600)
        .contains(&secs)
        .then(|| Duration::from_secs(secs))
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

    /// The reader of the file itself: comments, spacing, the line of each value, and a clear
    /// error for what is not a setting.
    #[test]
    fn the_file_is_name_value_lines_and_errors_name_their_line() {
        let p = std::path::Path::new("/home/u/.config/awsenv/config");
        let s = Settings::parse("; a note\n  # indented note\n\n  deadline=7  \n", p).unwrap();
        assert_eq!(s.deadline(), Duration::from_secs(7));
        // The line of the value itself, not of an earlier line that starts with its name.
        let err = Settings::parse("# deadline = 5\ndeadlines = 1\ndeadline = x\n", p)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/home/u/.config/awsenv/config:3: deadline `x` is not a number of seconds from 1 to 3600"
        );
        let err = Settings::parse("backend = file\n[general]\n", p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/home/u/.config/awsenv/config:2: expected `name = value` (backend, deadline, server)"
        );
        let err = Settings::parse("server = true\nserver = false\n", p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/home/u/.config/awsenv/config:2: `server` is already set on line 1"
        );
        let err = Settings::parse("= file\n", p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/home/u/.config/awsenv/config:1: a setting without a name"
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
    fn deadline_from_the_file_or_the_environment() {
        let p = std::path::Path::new("/home/u/.config/awsenv/config");
        assert_eq!(Settings::default().deadline(), DEFAULT_DEADLINE);
        assert_eq!(
            Settings::parse("deadline = 25\n", p).unwrap().deadline(),
            Duration::from_secs(25)
        );
        let err = Settings::parse("backend = file\ndeadline = 2s\n", p)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/home/u/.config/awsenv/config:2: deadline `2s` is not a number of seconds from 1 to 3600"
        );
        assert!(Settings::parse("deadline = 0\n", p).is_err());
        // The variable wins over the file, even over a bad value there.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("awsenv")).unwrap();
        std::fs::write(dir.path().join("awsenv/config"), "deadline = soon\n").unwrap();
        let env = Env::default()
            .with(env::XDG_CONFIG_HOME, dir.path().to_str().unwrap())
            .with(env::DEADLINE, "3");
        assert_eq!(
            Settings::load(&env).unwrap().deadline(),
            Duration::from_secs(3)
        );
        let env = env.with(env::DEADLINE, "never");
        assert_eq!(
            Settings::load(&env).unwrap_err().to_string(),
            "AWSENV_DEADLINE=`never` is not a number of seconds from 1 to 3600"
        );
    }

    #[test]
    fn default_keeps_sessions_in_the_file_cache_and_keys_in_the_keyring() {
        let s = Settings::default();
        assert_eq!(s.keys_backend(), BackendKind::Keyring);
        assert_eq!(s.sessions_backend(), None);
    }
}
