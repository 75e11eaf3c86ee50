//! One profile as the two files define it: merged settings, each knowing its file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Credentials,
}

/// A setting's value, the file it came from and its 1-based line there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub file: FileKind,
    pub line: usize,
}

/// A profile: its merged settings, and the line of its section header in each file.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub name: String,
    pub(super) settings: BTreeMap<String, Setting>,
    /// Config-file settings hidden by the credentials file's: botocore still reads static keys
    /// from the config file alone when the credentials file has no access key ([`Profile::get_in`]).
    pub(super) shadowed: BTreeMap<String, Setting>,
    pub(super) headers: BTreeMap<FileKind, usize>,
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

    /// Adds a setting read from a file. The credentials file's settings win over the config
    /// file's, as in botocore, whichever is read first.
    pub(super) fn insert(&mut self, key: String, setting: Setting) {
        match self.settings.get(&key) {
            Some(old) if old.file == FileKind::Credentials && setting.file == FileKind::Config => {
                self.shadowed.insert(key, setting);
            }
            Some(old) if old.file == FileKind::Config && setting.file == FileKind::Credentials => {
                let old = self.settings.insert(key.clone(), setting);
                self.shadowed.extend(old.map(|o| (key, o)));
            }
            _ => {
                self.settings.insert(key, setting);
            }
        }
    }

    /// A non-empty setting as one file alone has it.
    pub fn get_in(&self, file: FileKind, key: &str) -> Option<&str> {
        [self.settings.get(key), self.shadowed.get(key)]
            .into_iter()
            .flatten()
            .find(|s| s.file == file && !s.value.trim().is_empty())
            .map(|s| s.value.as_str())
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
