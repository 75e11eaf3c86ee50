//! The two AWS files, read into a typed model: profiles, `[sso-session]` and `[services]` sections.
//!
//! Which files: `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE`
//! (default `~/.aws/credentials`); a missing file is simply empty. As in botocore, a profile is
//! `[profile NAME]` or `[default]` in the config file and `[NAME]` in the credentials file, and
//! the credentials file's settings win when both files name the same key.
//! The files are only ever read.

pub mod ini;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use ini::Value;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Credentials,
}

/// One of the two files, kept as text so error messages can point at a line.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    text: String,
}

/// A setting's value and the file it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub file: FileKind,
}

/// A profile: its merged settings, and the section header it had in each file.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub name: String,
    settings: BTreeMap<String, Setting>,
    headers: BTreeMap<FileKind, String>,
}

impl Profile {
    /// A non-empty setting (keys are lower case). An empty `key =` counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.setting(key).map(|s| s.value.as_str())
    }

    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings
            .get(key)
            .filter(|s| !s.value.trim().is_empty())
    }

    pub fn has(&self, key: &str) -> bool {
        self.setting(key).is_some()
    }
}

/// Everything read from the two files.
#[derive(Debug, Clone)]
pub struct Files {
    pub config: SourceFile,
    pub credentials: SourceFile,
    profiles: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, BTreeMap<String, String>>,
    services: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
}

impl Files {
    /// Reads the files named by the environment (or the defaults under the home directory).
    pub fn load() -> Result<Files, ConfigError> {
        let (config, credentials) = paths();
        Files::from_paths(&config, &credentials)
    }

    pub fn from_paths(config: &Path, credentials: &Path) -> Result<Files, ConfigError> {
        Files::from_texts(read(config)?, read(credentials)?)
    }

    fn from_texts(config: SourceFile, credentials: SourceFile) -> Result<Files, ConfigError> {
        let mut files = Files {
            config,
            credentials,
            profiles: BTreeMap::new(),
            sso_sessions: BTreeMap::new(),
            services: BTreeMap::new(),
        };
        for section in files.config.sections()? {
            let Some((kind, name)) = classify_config_header(&section.header) else {
                continue;
            };
            match kind {
                HeaderKind::Profile => files.add_profile(name, FileKind::Config, section),
                HeaderKind::SsoSession => {
                    files.sso_sessions.insert(name, flat(&section.entries));
                }
                HeaderKind::Services => {
                    let map = section
                        .entries
                        .into_iter()
                        .filter_map(|(k, v)| match v {
                            Value::Nested(m) => Some((k, m)),
                            Value::Str(_) => None,
                        })
                        .collect();
                    files.services.insert(name, map);
                }
            }
        }
        for section in files.credentials.sections()? {
            let name = section.header.clone();
            files.add_profile(name, FileKind::Credentials, section);
        }
        Ok(files)
    }

    fn add_profile(&mut self, name: String, file: FileKind, section: ini::Section) {
        let profile = self
            .profiles
            .entry(name.clone())
            .or_insert_with(|| Profile {
                name,
                ..Profile::default()
            });
        profile.headers.insert(file, section.header);
        for (key, value) in section.entries {
            if let Value::Str(value) = value {
                // Credentials-file settings override the config file's, as in botocore.
                let keep_existing = file == FileKind::Config
                    && profile.settings.get(&key).map(|s| s.file) == Some(FileKind::Credentials);
                if !keep_existing {
                    profile.settings.insert(key, Setting { value, file });
                }
            }
        }
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    pub fn sso_session(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.sso_sessions.get(name)
    }

    /// `[services NAME]` → `SERVICE =` → nested settings.
    pub fn service_setting(&self, services: &str, service: &str, key: &str) -> Option<&str> {
        self.services
            .get(services)?
            .get(service)?
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn file(&self, kind: FileKind) -> &SourceFile {
        match kind {
            FileKind::Config => &self.config,
            FileKind::Credentials => &self.credentials,
        }
    }

    /// Where a profile's setting is written, as `path:line`, for error messages.
    pub fn location(&self, profile: &Profile, key: &str) -> Location {
        let file = profile.setting(key).map(|s| s.file).unwrap_or_else(|| {
            if profile.headers.contains_key(&FileKind::Config) {
                FileKind::Config
            } else {
                FileKind::Credentials
            }
        });
        let source = self.file(file);
        let line = profile.headers.get(&file).and_then(|header| {
            ini::locate_key(&source.text, header, key)
                .or_else(|| ini::locate_section(&source.text, header))
        });
        Location {
            path: source.path.clone(),
            line,
        }
    }

    /// Up to three profile names close to `name`, best first ("did you mean").
    pub fn similar_names(&self, name: &str) -> Vec<&str> {
        let mut scored: Vec<(f64, &str)> = self
            .profile_names()
            .map(|n| (strsim::normalized_damerau_levenshtein(name, n), n))
            .filter(|(score, n)| *score >= 0.5 || n.contains(name) || name.contains(n))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }
}

/// The config and credentials paths the environment names (or the defaults under the home
/// directory).
fn paths() -> (PathBuf, PathBuf) {
    let home = dirs::home_dir().unwrap_or_default();
    let config = env_path("AWS_CONFIG_FILE").unwrap_or_else(|| home.join(".aws/config"));
    let credentials =
        env_path("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| home.join(".aws/credentials"));
    (config, credentials)
}

/// The profile names of the two files (the same as `Files::load()?.profile_names()`), read from
/// the section headers alone: tab completion asks at every TAB, and parsing every setting of a
/// 10,000-profile config costs ~50 ms of CPU where this costs a few. Lenient by design: a line
/// that is not a header is never looked at, so a syntax error elsewhere does not hide the names.
pub fn profile_names() -> Result<BTreeSet<String>, ConfigError> {
    let (config, credentials) = paths();
    Ok(names_in(&read(&config)?.text, &read(&credentials)?.text))
}

fn names_in(config: &str, credentials: &str) -> BTreeSet<String> {
    // A header is a whole line `[…]`, trimmed, as `ini::check_lines` and rust-ini read it.
    fn headers(text: &str) -> impl Iterator<Item = &str> {
        text.lines().filter_map(|line| {
            let t = line.trim();
            (t.len() > 2 && t.starts_with('[') && t.ends_with(']'))
                .then(|| t[1..t.len() - 1].trim())
        })
    }
    let from_config = headers(config).filter_map(|h| match classify_config_header(h) {
        Some((HeaderKind::Profile, name)) => Some(name),
        _ => None,
    });
    from_config
        .chain(headers(credentials).map(String::from))
        .collect()
}

/// `path:line` (or just `path`) for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

impl SourceFile {
    fn sections(&self) -> Result<Vec<ini::Section>, ConfigError> {
        ini::parse(&self.text).map_err(|e| ConfigError::Syntax {
            path: self.path.display().to_string(),
            line: e.line,
            message: e.message,
        })
    }
}

enum HeaderKind {
    Profile,
    SsoSession,
    Services,
}

/// botocore: `[default]`, and `[profile NAME]` / `[sso-session NAME]` / `[services NAME]` split
/// like a shell line (so `[profile "my name"]` works) and used only when exactly two words result.
fn classify_config_header(header: &str) -> Option<(HeaderKind, String)> {
    if header == "default" {
        return Some((HeaderKind::Profile, "default".into()));
    }
    let kind = if header.starts_with("profile") {
        HeaderKind::Profile
    } else if header.starts_with("sso-session") {
        HeaderKind::SsoSession
    } else if header.starts_with("services") {
        HeaderKind::Services
    } else {
        return None;
    };
    let mut parts = shlex::split(header)?;
    if parts.len() != 2 {
        return None;
    }
    Some((kind, parts.pop()?))
}

fn flat(entries: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    entries
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Str(s) => Some((k.clone(), s.clone())),
            Value::Nested(_) => None,
        })
        .collect()
}

fn env_path(var: &str) -> Option<PathBuf> {
    let value = std::env::var_os(var).filter(|v| !v.is_empty())?;
    Some(expand_tilde(Path::new(&value)))
}

fn expand_tilde(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        Err(_) => path.to_path_buf(),
    }
}

fn read(path: &Path) -> Result<SourceFile, ConfigError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| ConfigError::Syntax {
            path: path.display().to_string(),
            line: 0,
            message: "the file is not valid UTF-8".into(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.display().to_string(),
                source,
            })
        }
    };
    Ok(SourceFile {
        path: path.to_path_buf(),
        text,
    })
}

#[cfg(test)]
pub(crate) fn from_strs(config: &str, credentials: &str) -> Files {
    Files::from_texts(
        SourceFile {
            path: "config".into(),
            text: config.into(),
        },
        SourceFile {
            path: "credentials".into(),
            text: credentials.into(),
        },
    )
    .expect("test files parse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_from_both_files_credentials_win() {
        let f = from_strs(
            "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n\
             [profile \"with space\"]\nregion = ap-south-1\n[profile a b c]\nregion = ignored\n\
             [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://x.awsapps.com/start\n\
             [services local]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n[preview]\nx = 1\n",
            "[dev]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n[onlycreds]\naws_access_key_id = K\n",
        );
        let names: Vec<_> = f.profile_names().collect();
        assert_eq!(names, ["default", "dev", "onlycreds", "with space"]);
        let dev = f.profile("dev").unwrap();
        assert_eq!(dev.get("aws_access_key_id"), Some("FROMCREDS"));
        assert_eq!(
            dev.setting("aws_access_key_id").unwrap().file,
            FileKind::Credentials
        );
        assert_eq!(dev.get("region"), Some("eu-west-1"));
        assert_eq!(
            f.sso_session("corp")
                .unwrap()
                .get("sso_region")
                .map(String::as_str),
            Some("us-east-1")
        );
        assert_eq!(
            f.service_setting("local", "sts", "endpoint_url"),
            Some("http://127.0.0.1:5000")
        );
    }

    #[test]
    fn header_scan_finds_the_same_names_as_the_parser() {
        let config =
            "[default]\nregion = us-east-1\n[profile dev]\ns3 =\n  max_concurrent_requests = 10\n\
            [profile \"with space\"]\n  [profile indented]  \n[profile a b c]\n[sso-session corp]\n\
            [services local]\n# [profile commented]\n[preview]\nx = 1\n[profile dev]\n";
        let credentials = "[dev]\nk = v\n[ me@corp ]\n[team/prod.admin]\n";
        let parsed = from_strs(config, credentials);
        let scanned = names_in(config, credentials);
        assert_eq!(
            scanned.iter().map(String::as_str).collect::<Vec<_>>(),
            parsed.profile_names().collect::<Vec<_>>()
        );
        assert!(scanned.contains("indented") && scanned.contains("me@corp"));
    }

    #[test]
    fn location_points_at_the_line() {
        let f = from_strs("[profile a]\nregion = x\nsource_profile = b\n", "");
        let a = f.profile("a").unwrap();
        assert_eq!(f.location(a, "source_profile").to_string(), "config:3");
        assert_eq!(f.location(a, "role_arn").to_string(), "config:1");
    }

    #[test]
    fn suggestions() {
        let f = from_strs("[profile prod]\n[profile prod-admin]\n[profile dev]\n", "");
        assert_eq!(f.similar_names("prdo")[0], "prod");
        assert!(f.similar_names("zzzzzz").is_empty());
    }
}
