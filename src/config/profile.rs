//! One profile as the two files define it: merged settings, each knowing its file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Credentials,
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
    pub(super) settings: BTreeMap<String, Setting>,
    pub(super) headers: BTreeMap<FileKind, String>,
}

impl Profile {
    /// A profile with no settings (one known only to awsenv's key store).
    pub fn named(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            ..Profile::default()
        }
    }

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

    /// The file a setting is in, if it is set.
    pub fn file_of(&self, key: &str) -> Option<FileKind> {
        self.setting(key).map(|s| s.file)
    }
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
