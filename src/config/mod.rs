//! The two AWS files, read into a typed model: profiles, `[sso-session]` and `[services]` sections.
//!
//! Which files: `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE`
//! (default `~/.aws/credentials`); a missing file is simply empty. As in botocore, a profile is
//! `[profile NAME]` or `[default]` in the config file and `[NAME]` in the credentials file, and
//! the credentials file's settings win when both files name the same key.
//! The files are only ever read.

pub mod block;
pub mod endpoint;
pub mod ini;
pub mod keys;
mod profile;
pub mod reach;
pub mod shlex;
pub mod sso_session;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ini::{Span, Value};
pub use profile::{FileKind, Location, Profile};

use crate::os::file_text::{self, Text};
use crate::os::{dirs, env::Env};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
}

/// One of the two files: its text, where its sections are and what their headers name.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    text: Text,
    spans: Vec<Span>,
    /// What each span's header names, decided once when the file is read, so that lookups and
    /// listings compare and copy slices instead of splitting every header again.
    names: Vec<Named>,
    /// The quoted names, as shlex reads them ([`Named::Unquoted`] holds an index here).
    unquoted: Vec<String>,
    /// The spans of `[DEFAULT]`.
    defaults: Vec<usize>,
}

/// What one header names.
#[derive(Debug, Clone)]
enum Named {
    /// `[DEFAULT]`, or a header botocore does not read (`[preview]`, `[profile a b]`).
    Nothing,
    /// A name as it is written in the file (a byte range of the text)...
    Written(HeaderKind, u32, u32),
    /// ...or, for a quoted one, as shlex reads it (an index into `SourceFile::unquoted`).
    /// Twelve bytes in all: one per section, it is fresh memory every run touches.
    Unquoted(HeaderKind, u32),
}

impl SourceFile {
    /// The named headers: (span index, kind, name).
    fn named(&self) -> impl Iterator<Item = (usize, HeaderKind, &str)> + '_ {
        self.names
            .iter()
            .enumerate()
            .filter_map(|(i, named)| match named {
                Named::Nothing => None,
                Named::Written(kind, from, to) => {
                    Some((i, *kind, &self.text[*from as usize..*to as usize]))
                }
                Named::Unquoted(kind, n) => Some((i, *kind, self.unquoted[*n as usize].as_str())),
            })
    }

    /// The names of one kind, in file order.
    fn names_of(&self, kind: HeaderKind) -> impl Iterator<Item = &str> + '_ {
        self.named()
            .filter(move |(_, k, _)| *k == kind)
            .map(|(_, _, name)| name)
    }
}

type Nested = BTreeMap<String, BTreeMap<String, String>>;

/// The parse of one name's sections, kept in the cell of its first section.
type Cell = OnceCell<Box<Result<Parsed, ConfigError>>>;

/// Where the sections of one name are: (file, index of the span in that file).
type Places = Vec<(FileKind, usize)>;

/// The sections of each name of one kind.
type NameIndex = HashMap<Box<str>, Places>;

/// What the sections of one name parse into.
#[derive(Debug, Clone)]
enum Parsed {
    Profile(Profile),
    SsoSession(BTreeMap<String, String>),
    Services(Nested),
}

/// How many lookups scan the headers before the name index is built: a scan compares slices
/// (about 30 µs over 10,000 headers), the index costs a megabyte of fresh memory.
const SCANS: usize = 16;

/// Everything read from the two files. Up front only the section headers are found; the
/// sections of a name are parsed the first time that name is asked for (and kept in the cell of
/// its first section). So a config of 10,000 profiles costs little more than one of three, and a
/// syntax error is reported for the sections a command uses.
#[derive(Debug)]
pub struct Files {
    pub config: SourceFile,
    pub credentials: SourceFile,
    /// Boxed, so that a cell is one word: 10,000 sections' cells are then 80 KB of memory to
    /// touch, not a megabyte (fresh pages are what a big config costs most); and made at the
    /// first parse, so that listing names touches none.
    config_cells: OnceCell<Vec<Cell>>,
    credentials_cells: OnceCell<Vec<Cell>>,
    /// Name → its sections for each [`HeaderKind`], built once [`SCANS`] lookups have scanned
    /// the headers, so that `list --long` over N profiles costs N lookups, not N scans.
    names: OnceCell<[NameIndex; 3]>,
    scans: std::cell::Cell<usize>,
    /// The `[DEFAULT]` section of each file, parsed: configparser gives its keys to every section
    /// of that file that does not set them.
    defaults: OnceCell<Result<[BTreeMap<String, Value>; 2], ConfigError>>,
}

impl Files {
    /// Reads the files named by the environment (or the defaults under the home directory).
    pub fn load(env: &Env) -> Result<Files, ConfigError> {
        Files::from_paths(
            &dirs::aws_config_file(env),
            &dirs::aws_credentials_file(env),
        )
    }

    pub fn from_paths(config: &Path, credentials: &Path) -> Result<Files, ConfigError> {
        Files::from_texts(
            read(config, FileKind::Config)?,
            read(credentials, FileKind::Credentials)?,
        )
    }

    fn from_texts(config: SourceFile, credentials: SourceFile) -> Result<Files, ConfigError> {
        Ok(Files {
            config_cells: OnceCell::new(),
            credentials_cells: OnceCell::new(),
            config,
            credentials,
            names: OnceCell::new(),
            scans: Default::default(),
            defaults: OnceCell::new(),
        })
    }

    /// The sections that belong to `name` of `kind`, config file first, in file order. The
    /// first lookups scan the headers (a `use` makes a few: the profile, its source, a
    /// services section); after [`SCANS`] of them the index is built and used.
    fn spans_of(&self, kind: HeaderKind, name: &str) -> Cow<'_, [(FileKind, usize)]> {
        if self.names.get().is_none() && self.scans.get() < SCANS {
            self.scans.set(self.scans.get() + 1);
            return Cow::Owned(self.scan(kind, name));
        }
        let names = self.names.get_or_init(|| {
            let mut names: [NameIndex; 3] = Default::default();
            for file in [FileKind::Config, FileKind::Credentials] {
                for (i, k, n) in self.file(file).named() {
                    names[k as usize]
                        .entry(n.into())
                        .or_default()
                        .push((file, i));
                }
            }
            names
        });
        Cow::Borrowed(names[kind as usize].get(name).map_or(&[], Vec::as_slice))
    }

    /// [`Files::spans_of`] without the index.
    fn scan(&self, kind: HeaderKind, name: &str) -> Vec<(FileKind, usize)> {
        [FileKind::Config, FileKind::Credentials]
            .into_iter()
            .flat_map(|file| {
                self.file(file)
                    .named()
                    .filter(|&(_, k, n)| k == kind && n == name)
                    .map(move |(i, _, _)| (file, i))
            })
            .collect()
    }

    /// Parses the sections of a name, in file order, each with its file's `[DEFAULT]` keys.
    fn sections<'a>(
        &'a self,
        spans: &'a [(FileKind, usize)],
    ) -> impl Iterator<Item = Result<(FileKind, ini::Section), ConfigError>> + 'a {
        spans.iter().map(move |&(kind, i)| {
            let mut section = self.parse_section(kind, i)?;
            let defaults = self.defaults()?;
            for (key, value) in &defaults[kind as usize] {
                section
                    .entries
                    .entry(key.clone())
                    .or_insert_with(|| value.clone());
            }
            Ok((kind, section))
        })
    }

    fn parse_section(&self, kind: FileKind, i: usize) -> Result<ini::Section, ConfigError> {
        let file = self.file(kind);
        ini::parse_span(&file.text, &file.spans[i]).map_err(|e| self.syntax_error(kind, e))
    }

    fn syntax_error(&self, kind: FileKind, e: ini::SyntaxError) -> ConfigError {
        ConfigError::Syntax {
            path: self.file(kind).path.display().to_string(),
            line: e.line,
            message: e.message,
        }
    }

    fn defaults(&self) -> Result<&[BTreeMap<String, Value>; 2], ConfigError> {
        let read = |kind: FileKind| -> Result<BTreeMap<String, Value>, ConfigError> {
            let mut map = BTreeMap::new();
            for &i in &self.file(kind).defaults {
                map.extend(self.parse_section(kind, i)?.entries);
            }
            Ok(map)
        };
        self.defaults
            .get_or_init(|| Ok([read(FileKind::Config)?, read(FileKind::Credentials)?]))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Finds, parses once and returns the sections of `name`.
    fn parsed(
        &self,
        kind: HeaderKind,
        name: &str,
        build: impl FnOnce(&[(FileKind, usize)]) -> Result<Parsed, ConfigError>,
    ) -> Result<Option<&Parsed>, ConfigError> {
        let spans = self.spans_of(kind, name);
        let Some(&(file, first)) = spans.first() else {
            return Ok(None);
        };
        let cells = match file {
            FileKind::Config => &self.config_cells,
            FileKind::Credentials => &self.credentials_cells,
        };
        let count = self.file(file).spans.len();
        cells.get_or_init(|| (0..count).map(|_| OnceCell::new()).collect())[first]
            .get_or_init(|| Box::new(build(&spans)))
            .as_ref()
            .as_ref()
            .map(Some)
            .map_err(Clone::clone)
    }

    /// The profile called `name`, if there is one; a syntax error in its sections is an error.
    /// Its sections are read straight into the [`Profile`] ([`ini::parse_span_settings`]),
    /// each with its file's `[DEFAULT]` keys as [`Files::sections`] gives them to the others.
    pub fn profile(&self, name: &str) -> Result<Option<&Profile>, ConfigError> {
        let parsed = self.parsed(HeaderKind::Profile, name, |spans| {
            let mut profile = Profile::named(name);
            // The keys of one section, nested ones too: a default fills in only the others.
            let mut keys: Vec<Cow<'_, str>> = Vec::new();
            for (file, i) in self.one_spelling(spans) {
                let source = self.file(file);
                let header_line = source.spans[i].line();
                profile.header(file, header_line);
                // A section's keys and values are shorter than its text; most have a few lines.
                let body = source.spans[i].body(&source.text);
                profile.reserve(body.len(), 8);
                keys.clear();
                ini::parse_span_settings(&source.text, &source.spans[i], |read| {
                    if let ini::ReadValue::Str(value) = &read.value {
                        profile.insert(&read.key, value, file, read.line);
                    }
                    keys.push(read.key);
                })
                .map_err(|e| self.syntax_error(file, e))?;
                for (key, value) in &self.defaults()?[file as usize] {
                    if let (Value::Str(value), false) = (value, keys.iter().any(|k| k == key)) {
                        profile.insert(key, value, file, header_line);
                    }
                }
            }
            Ok(Parsed::Profile(profile))
        })?;
        Ok(match parsed {
            Some(Parsed::Profile(p)) => Some(p),
            _ => None,
        })
    }

    /// The sections of one name that botocore reads: in each file, those written as its last
    /// one is. Two spellings of a name in one file (`[default]` and `[profile default]`,
    /// `[profile a]` and `[profile "a"]`) are two sections to configparser, and botocore's
    /// profile map keeps the later whole; a header repeated exactly is merged (README: a kept
    /// difference, where configparser refuses the file).
    fn one_spelling(&self, spans: &[(FileKind, usize)]) -> Vec<(FileKind, usize)> {
        let header = |file: FileKind, i: usize| {
            let source = self.file(file);
            source.spans[i].header(&source.text)
        };
        spans
            .iter()
            .copied()
            .filter(|&(file, i)| {
                let last = spans.iter().rev().find(|(f, _)| *f == file);
                last.is_some_and(|&(f, j)| header(f, j) == header(file, i))
            })
            .collect()
    }

    /// Every profile name in both files, sorted and without repeats. Reads headers only.
    pub fn profile_names(&self) -> Vec<&str> {
        sorted(self.unsorted_profile_names())
    }

    fn unsorted_profile_names(&self) -> impl Iterator<Item = &str> + '_ {
        let names = self.config.names_of(HeaderKind::Profile);
        names.chain(self.credentials.names_of(HeaderKind::Profile))
    }

    /// [`Files::profile_names`] that start with `prefix` (a TAB: picked before they are sorted).
    /// (Not used for all names: measured, the filter made `list` of 10,000 names ~1 ms slower.)
    pub fn profile_names_starting(&self, prefix: &str) -> Vec<&str> {
        sorted(
            self.unsorted_profile_names()
                .filter(|n| n.starts_with(prefix)),
        )
    }

    /// Every `[sso-session NAME]` of the config file, sorted, without repeats. Reads headers only.
    pub fn sso_session_names(&self) -> Vec<&str> {
        sorted(self.config.names_of(HeaderKind::SsoSession))
    }

    /// The settings of `[sso-session NAME]` (read them through [`sso_session`]).
    fn sso_session_section(
        &self,
        name: &str,
    ) -> Result<Option<&BTreeMap<String, String>>, ConfigError> {
        let parsed = self.parsed(HeaderKind::SsoSession, name, |spans| {
            let mut map = BTreeMap::new();
            for section in self.sections(spans) {
                map.extend(flat(&section?.1.entries));
            }
            Ok(Parsed::SsoSession(map))
        })?;
        Ok(match parsed {
            Some(Parsed::SsoSession(m)) => Some(m),
            _ => None,
        })
    }

    /// `[services NAME]` → `SERVICE =` → nested settings.
    pub fn service_setting(
        &self,
        services: &str,
        service: &str,
        key: &str,
    ) -> Result<Option<&str>, ConfigError> {
        let parsed = self.parsed(HeaderKind::Services, services, |spans| {
            let mut map = Nested::new();
            for section in self.sections(spans) {
                for (k, v) in section?.1.entries {
                    if let Value::Nested(m) = v {
                        map.insert(k, m);
                    }
                }
            }
            Ok(Parsed::Services(map))
        })?;
        let Some(Parsed::Services(map)) = parsed else {
            return Ok(None);
        };
        Ok(map
            .get(service)
            .and_then(|m| m.get(key))
            .map(String::as_str)
            .filter(|v| !v.is_empty()))
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
            if profile.header_line(FileKind::Config).is_some() {
                FileKind::Config
            } else {
                FileKind::Credentials
            }
        });
        let line = profile
            .setting(key)
            .filter(|s| s.file == file)
            .map(|s| s.line)
            .or_else(|| profile.header_line(file));
        Location {
            path: self.file(file).path.clone(),
            line,
        }
    }

    /// Up to three profile names close to `name`, best first ("did you mean").
    pub fn similar_names(&self, name: &str) -> Vec<String> {
        let mut scored: Vec<(f64, &str)> = self
            .profile_names()
            .into_iter()
            .map(|n| (strsim::normalized_damerau_levenshtein(name, n), n))
            .filter(|(score, n)| *score >= 0.5 || n.contains(name) || name.contains(n))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(3)
            .map(|(_, n)| n.to_string())
            .collect()
    }
}

/// configparser's default section: not a section of its own, its keys go to every other one.
const DEFAULT_SECTION: &str = "DEFAULT";

/// The kinds of named section; the values index [`Files::names`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum HeaderKind {
    Profile,
    SsoSession,
    Services,
}

/// botocore: `[default]`, and `[profile NAME]` / `[sso-session NAME]` / `[services NAME]` split
/// like a shell line (so `[profile "my name"]` works) and used only when exactly two words result.
/// Runs once for every header when the file is read, so the common unquoted case allocates nothing;
/// a borrowed name is always a slice of `header` ([`classify`] keeps it as a range).
fn classify_config_header(header: &str) -> Option<(HeaderKind, Cow<'_, str>)> {
    if header == "default" {
        // The header itself, not a literal: a borrowed name is a slice of the header.
        return Some((HeaderKind::Profile, Cow::Borrowed(header)));
    }
    let (kind, word) = if header.starts_with("profile") {
        (HeaderKind::Profile, "profile")
    } else if header.starts_with("sso-session") {
        (HeaderKind::SsoSession, "sso-session")
    } else if header.starts_with("services") {
        (HeaderKind::Services, "services")
    } else {
        return None;
    };
    // One pass over the bytes (all of these are ASCII; a char pattern would decode each one):
    // the kind's word up to a blank, blanks, the name, perhaps blanks. shlex's separators; a
    // header line holds no `\r` or `\n`. A quote or backslash before the answer is known means
    // shlex's own rules. Runs for every header of the file: no memchr, a header is a few dozen
    // bytes, less than its set-up costs.
    let bytes = header.as_bytes();
    let blank = |b: u8| matches!(b, b' ' | b'\t');
    let special = |b: u8| matches!(b, b'"' | b'\'' | b'\\');
    let shlex = || {
        let mut parts = self::shlex::split(header)?;
        (parts.len() == 2).then(|| (kind, Cow::Owned(parts.pop().unwrap_or_default())))
    };
    // The kind's word is known to start the header (none of its bytes is a blank or a quote).
    let mut i = word.len();
    // Over a word: where it ends, or None at a quote or backslash.
    let word = |i: &mut usize| {
        while *i < bytes.len() && !blank(bytes[*i]) {
            if special(bytes[*i]) {
                return None;
            }
            *i += 1;
        }
        Some(*i)
    };
    let blanks = |i: &mut usize| {
        while *i < bytes.len() && blank(bytes[*i]) {
            *i += 1;
        }
    };
    if word(&mut i).is_none() {
        return shlex();
    }
    blanks(&mut i);
    let name_start = i;
    let Some(name_end) = word(&mut i) else {
        return shlex();
    };
    blanks(&mut i);
    match bytes.get(i) {
        // Only one word, or the two words alone.
        None => {
            (name_end > name_start).then(|| (kind, Cow::Borrowed(&header[name_start..name_end])))
        }
        // A third word begins: no quote can join it to the name (it could only start it).
        Some(&b) if special(b) => shlex(),
        Some(_) => None,
    }
}

/// What each header of a file names, and where its `[DEFAULT]` sections are. The credentials file
/// has no prefixes: each header but `[DEFAULT]` is a profile name as written.
fn classify(text: &str, spans: &[Span], kind: FileKind) -> (Vec<Named>, Vec<String>, Vec<usize>) {
    let mut defaults = Vec::new();
    let mut unquoted = Vec::new();
    // Offsets fit in u32: `read` refuses files over ini::MAX_LEN, and so counts do too.
    let at = |n: usize| n as u32;
    let names = spans
        .iter()
        .enumerate()
        .map(|(i, span)| {
            let header = span.header(text);
            if header == DEFAULT_SECTION {
                defaults.push(i);
                return Named::Nothing;
            }
            let named = match kind {
                FileKind::Config => classify_config_header(header),
                FileKind::Credentials => Some((HeaderKind::Profile, Cow::Borrowed(header))),
            };
            match named {
                None => Named::Nothing,
                Some((k, Cow::Borrowed(name))) => {
                    let range = ini::offset_in(text, name);
                    Named::Written(k, at(range.start), at(range.end))
                }
                Some((k, Cow::Owned(name))) => {
                    unquoted.push(name);
                    Named::Unquoted(k, at(unquoted.len() - 1))
                }
            }
        })
        .collect();
    (names, unquoted, defaults)
}

/// Names sorted, without repeats.
pub fn sorted<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut all: Vec<&str> = names.collect();
    all.sort_unstable();
    all.dedup();
    all
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

fn read(path: &Path, kind: FileKind) -> Result<SourceFile, ConfigError> {
    let display = || path.display().to_string();
    let bytes = match read_regular(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(ConfigError::Read {
                path: display(),
                message: e.to_string(),
            })
        }
    };
    let text = Text::new(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = &bytes[..e.utf8_error().valid_up_to()];
        // The line the first bad byte is on (the text before it is valid).
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let ends_a_line = before.is_empty() || before.ends_with(['\n', '\r']);
        ConfigError::Syntax {
            path: display(),
            line: ini::line_count(before) + usize::from(ends_a_line),
            message: "not valid UTF-8".into(),
        }
    })?;
    source_file(path.to_path_buf(), text, kind)
}

/// Reads a regular file. Anything else is refused without waiting: opening a FIFO for reading
/// blocks until someone writes to it, so the open does not block and the opened file is checked.
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > ini::MAX_LEN as u64 {
        return Err(std::io::Error::other("larger than 4 GiB"));
    }
    let bytes = file_text::read_sized(&file, meta.len())?;
    // The file may have grown since its size was read.
    if bytes.len() > ini::MAX_LEN {
        return Err(std::io::Error::other("larger than 4 GiB"));
    }
    Ok(bytes)
}

fn source_file(path: PathBuf, text: Text, kind: FileKind) -> Result<SourceFile, ConfigError> {
    let spans = ini::index(&text).map_err(|e| ConfigError::Syntax {
        path: path.display().to_string(),
        line: e.line,
        message: e.message,
    })?;
    let (names, unquoted, defaults) = classify(&text, &spans, kind);
    Ok(SourceFile {
        path,
        text,
        spans,
        names,
        unquoted,
        defaults,
    })
}

#[cfg(test)]
pub(crate) fn from_strs(config: &str, credentials: &str) -> Files {
    Files::from_texts(
        source_file("config".into(), config.to_string().into(), FileKind::Config)
            .expect("test config indexes"),
        source_file(
            "credentials".into(),
            credentials.to_string().into(),
            FileKind::Credentials,
        )
        .expect("test credentials index"),
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
        let names = f.profile_names();
        assert_eq!(names, ["default", "dev", "onlycreds", "with space"]);
        let dev = f.profile("dev").unwrap().unwrap();
        assert_eq!(dev.get("aws_access_key_id"), Some("FROMCREDS"));
        assert_eq!(
            dev.setting("aws_access_key_id").unwrap().file,
            FileKind::Credentials
        );
        assert_eq!(dev.get("region"), Some("eu-west-1"));
        assert_eq!(sso_session::named(&f, "corp").unwrap().region, "us-east-1");
        assert_eq!(
            f.service_setting("local", "sts", "endpoint_url").unwrap(),
            Some("http://127.0.0.1:5000")
        );
    }

    #[test]
    fn a_profile_merges_its_sections_as_botocore_reads_them() {
        let f = from_strs(
            "[DEFAULT]\nregion = from-default\noutput = json\nmfa_serial = d\n\
             [profile p]\nRegion = first\naws_access_key_id = CONFIGKEY\n\
             aws_secret_access_key = configsecret\noutput =\n  nested = x\n\
             credential_process = tool\n  --flag\n[profile p]\nmfa_serial = mine\n",
            "[p]\naws_access_key_id = CREDKEY\n",
        );
        let p = f.profile("p").unwrap().unwrap();
        // Keys are lower-cased; the second config section gets the default region, later
        // winning; a nested key keeps the default out of its own section only.
        assert_eq!(p.get("region"), Some("from-default"));
        assert_eq!(f.location(p, "region").to_string(), "config:13");
        assert_eq!(p.get("output"), Some("json"));
        assert_eq!(p.get("mfa_serial"), Some("mine"));
        assert_eq!(p.get("credential_process"), Some("tool\n--flag"));
        // The credentials file wins; the config file's key is still there for get_in.
        assert_eq!(p.get("aws_access_key_id"), Some("CREDKEY"));
        assert_eq!(
            p.get_in(FileKind::Config, "aws_access_key_id"),
            Some("CONFIGKEY")
        );
        assert_eq!(
            p.get_in(FileKind::Credentials, "aws_secret_access_key"),
            None
        );
        assert_eq!(
            f.location(p, "aws_access_key_id").to_string(),
            "credentials:2"
        );
        // A missing key points at the last section header in the config file.
        assert_eq!(f.location(p, "sso_session").to_string(), "config:13");
    }

    #[test]
    fn location_points_at_the_line() {
        let f = from_strs("[profile a]\nregion = x\nsource_profile = b\n", "");
        let a = f.profile("a").unwrap().unwrap();
        assert_eq!(f.location(a, "source_profile").to_string(), "config:3");
        assert_eq!(f.location(a, "role_arn").to_string(), "config:1");
    }

    #[test]
    fn syntax_errors_surface_for_the_sections_used() {
        let f = from_strs("[profile good]\nregion = x\n[profile bad]\nregion x\n", "");
        assert!(f.profile("good").unwrap().is_some());
        let err = f.profile("bad").unwrap_err().to_string();
        assert_eq!(
            err,
            "config:4: expected `key = value`, a [section] or a comment"
        );
        assert_eq!(f.profile_names(), ["bad", "good"]);
    }

    #[test]
    fn suggestions() {
        let f = from_strs("[profile prod]\n[profile prod-admin]\n[profile dev]\n", "");
        assert_eq!(f.similar_names("prdo")[0], "prod");
        assert!(f.similar_names("zzzzzz").is_empty());
    }
    #[test]
    fn header_names_as_botocore_splits_them() {
        let name = |h| classify_config_header(h).map(|(k, n)| (k, n.into_owned()));
        let profile = |n: &str| Some((HeaderKind::Profile, n.to_string()));
        assert_eq!(name("default"), profile("default"));
        assert_eq!(name("profile  a\t"), profile("a"));
        assert_eq!(name("profile\tré"), profile("ré"));
        assert_eq!(name("profilex y"), profile("y"));
        assert_eq!(name("profile 'a b'"), profile("a b"));
        assert_eq!(name("profile a\\ b"), profile("a b"));
        assert_eq!(
            name("sso-session s"),
            Some((HeaderKind::SsoSession, "s".into()))
        );
        assert_eq!(name("services x"), Some((HeaderKind::Services, "x".into())));
        for ignored in [
            "profile",
            "profile a b",
            "profile\u{a0}a",
            "dev",
            "profile 'a",
        ] {
            assert_eq!(name(ignored), None, "{ignored:?}");
        }
    }

    /// [`sorted`] against sorting and deduplicating whole strings, on names that share long
    /// prefixes, hold NUL bytes, end inside the key or past it, and repeat.
    /// The files are copied when read: another program rewriting or cutting short a big config
    /// while awsenv works cannot change the text awsenv checked (with a mapping, this run died of
    /// SIGBUS at the first look after the cut).
    #[test]
    fn a_config_cut_short_after_reading_keeps_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let mut text = String::new();
        for i in 0..8000 {
            text.push_str(&format!("[profile p{i}]\nregion = eu-west-1\n\n"));
        }
        text.push_str("[profile last]\nregion = ap-south-1\n");
        assert!(text.len() > 256 * 1024);
        std::fs::write(&config, &text).unwrap();
        let f = Files::from_paths(&config, &dir.path().join("none")).unwrap();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&config)
            .unwrap();
        file.set_len(0).unwrap();
        file.set_len(text.len() as u64).unwrap();
        drop(file);
        std::fs::write(&config, b"\xff\xfe not text").unwrap();
        assert_eq!(f.profile_names().len(), 8001);
        let last = f.profile("last").unwrap().unwrap();
        assert_eq!(last.get("region"), Some("ap-south-1"));
    }

    /// The one-pass reading of a header against shlex's split itself, on every header of up to
    /// six characters after `profile` drawn from the characters that matter.
    #[test]
    fn header_names_match_shlex_for_every_short_header() {
        let reference = |h: &str| {
            h.starts_with("profile")
                .then(|| shlex::split(h))
                .flatten()
                .filter(|parts| parts.len() == 2)
                .map(|mut parts| parts.pop().unwrap_or_default())
        };
        let alphabet = [" ", "\t", "a", "x", "\"", "'", "\\", "é"];
        let mut tails = vec![String::new()];
        let mut checked = 0;
        for _ in 0..6 {
            let mut longer = Vec::new();
            for t in &tails {
                for c in alphabet {
                    let tail = format!("{t}{c}");
                    let h = format!("profile{tail}");
                    let got = classify_config_header(&h).map(|(_, n)| n.into_owned());
                    assert_eq!(got, reference(&h), "{h:?}");
                    checked += 1;
                    longer.push(tail);
                }
            }
            tails = longer;
        }
        assert!(checked > 290_000, "{checked}");
    }
}
