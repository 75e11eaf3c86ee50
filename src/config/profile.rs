//! One profile as the two files define it: merged settings, each knowing its file.

use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Credentials,
}

/// A setting's value, the file it came from and its 1-based line there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting<'p> {
    pub value: &'p str,
    pub file: FileKind,
    pub line: usize,
}

/// A profile: its merged settings, and the line of its section header in each file.
///
/// Kept small: `list --long` reads every profile of a config, 10,000 of them in the big
/// ones, and each one stays parsed until the run ends. So the keys and values are one string
/// (`text`) and the settings a short list of ranges into it, searched in order: a profile has a
/// handful of settings, and a map per profile cost more in allocations than its lookups saved.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub name: String,
    text: String,
    settings: Vec<Entry>,
    /// The line of the section header in the config file and in the credentials file.
    headers: [Option<u32>; 2],
}

/// One setting of a [`Profile`]: ranges of its key and value in the profile's text.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: (usize, usize),
    value: (usize, usize),
    /// The key's first bytes and length ([`tag`]): a lookup compares this before the key.
    tag: u64,
    /// The value is blank (an empty `key =` counts as absent).
    blank: bool,
    file: FileKind,
    line: u32,
    /// A config-file setting hidden by the credentials file's: botocore still reads static
    /// keys from the config file alone when the credentials file has no access key
    /// ([`Profile::get_in`]).
    shadowed: bool,
}

impl Profile {
    /// A profile with no settings (one known only to awsenv's key store).
    pub fn named(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            ..Profile::default()
        }
    }

    /// Room for `text` more bytes of keys and values and `settings` more settings, so that a
    /// section is read without growing them again and again.
    pub(super) fn reserve(&mut self, text: usize, settings: usize) {
        self.text.reserve(text);
        self.settings.reserve(settings);
    }

    /// A non-empty setting (keys are lower case). An empty `key =` counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.setting(key).map(|s| s.value)
    }

    /// Notes that a section of this profile starts at `line` of `file`.
    pub(super) fn header(&mut self, file: FileKind, line: usize) {
        self.headers[file as usize] = Some(at(line));
    }

    /// The line of the profile's section header in `file`, if it has one there.
    pub(super) fn header_line(&self, file: FileKind) -> Option<usize> {
        self.headers[file as usize].map(|l| l as usize)
    }

    /// Adds a setting read from a file. The credentials file's settings win over the config
    /// file's, as in botocore, whichever is read first; within one file the later one wins.
    pub(super) fn insert(&mut self, key: &str, value: &str, file: FileKind, line: usize) {
        let entry = Entry {
            key: self.push(key),
            value: self.push(value),
            tag: tag(key),
            blank: value.trim().is_empty(),
            file,
            line: at(line),
            shadowed: false,
        };
        let Some(old) = self.find(key, false) else {
            self.settings.push(entry);
            return;
        };
        let old_file = self.settings[old].file;
        match (old_file, file) {
            (FileKind::Credentials, FileKind::Config) => self.shadow(key, entry),
            (FileKind::Config, FileKind::Credentials) => {
                let hidden = std::mem::replace(&mut self.settings[old], entry);
                self.shadow(key, hidden);
            }
            _ => self.settings[old] = entry,
        }
    }

    /// Keeps `entry` as the shadowed setting of `key` (one per key, the last one).
    fn shadow(&mut self, key: &str, entry: Entry) {
        let entry = Entry {
            shadowed: true,
            ..entry
        };
        match self.find(key, true) {
            Some(i) => self.settings[i] = entry,
            None => self.settings.push(entry),
        }
    }

    /// Appends `s` to the text: where it is.
    fn push(&mut self, s: &str) -> (usize, usize) {
        let from = self.text.len();
        self.text.push_str(s);
        (from, self.text.len())
    }

    fn str_of(&self, (from, to): (usize, usize)) -> &str {
        &self.text[from..to]
    }

    /// The index of the (shadowed or not) setting of `key`.
    fn find(&self, key: &str, shadowed: bool) -> Option<usize> {
        let tag = tag(key);
        self.settings
            .iter()
            .position(|e| e.tag == tag && e.shadowed == shadowed && self.str_of(e.key) == key)
    }

    fn at_index(&self, i: usize) -> Option<Setting<'_>> {
        let e = &self.settings[i];
        (!e.blank).then(|| Setting {
            value: self.str_of(e.value),
            file: e.file,
            line: e.line as usize,
        })
    }

    /// A non-empty setting as one file alone has it.
    pub fn get_in(&self, file: FileKind, key: &str) -> Option<&str> {
        [self.find(key, false), self.find(key, true)]
            .into_iter()
            .flatten()
            .filter_map(|i| self.at_index(i))
            .find(|s| s.file == file)
            .map(|s| s.value)
    }

    pub fn setting(&self, key: &str) -> Option<Setting<'_>> {
        self.find(key, false).and_then(|i| self.at_index(i))
    }

    pub fn has(&self, key: &str) -> bool {
        self.setting(key).is_some()
    }

    /// The file a setting is in, if it is set.
    pub fn file_of(&self, key: &str) -> Option<FileKind> {
        self.setting(key).map(|s| s.file)
    }
}

/// A key's length and first seven bytes in one word: the settings awsenv reads differ there
/// (`aws_acce…`, `aws_secr…`, `sso_acco…`), so a lookup rarely compares a whole key twice.
fn tag(key: &str) -> u64 {
    let mut first = [0u8; 8];
    let n = key.len().min(7);
    first[..n].copy_from_slice(&key.as_bytes()[..n]);
    first[7] = key.len() as u8;
    u64::from_le_bytes(first)
}

/// Lines as 32 bits: a file is at most 4 GiB (`config::read`), so it has fewer lines.
fn at(line: usize) -> u32 {
    u32::try_from(line).expect("files are at most 4 GiB")
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
