//! `.awsprofile` markers: the nearest one from a directory upward, and what it says.
//!
//! The format is deliberately tiny so that a reviewer sees at a glance which account a
//! repository switches to:
//!
//! ```text
//! # billing, production account
//! billing-prod
//! region = eu-west-1
//! ```
//!
//! Blank lines and lines starting with `#` or `;` are comments. The first other line names the
//! profile; `region = NAME` may follow (or precede). Anything else is an error naming the file and
//! line, because a marker that silently means something else than it appears to is worse than none.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[cfg(unix)]
use crate::os::text::inert;
use crate::os::text::shown;

/// The file name looked for in each directory.
pub const FILE_NAME: &str = ".awsprofile";

/// The largest marker read: a real one is a few lines; a hostile one (a sparse multi-gigabyte
/// file in a shared directory) must not cost a `cd` more than this.
pub const MAX_SIZE: u64 = 64 * 1024;

/// A marker file found on disk (not yet parsed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The file, under the directory as the shell spells it (`$PWD`'s ancestors, symlinks kept).
    pub path: PathBuf,
    /// The directory holding it: the root of the tree the marker governs.
    pub dir: PathBuf,
}

/// What a marker says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub profile: String,
    pub region: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MarkerError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: names no profile (write the profile name on its own line)")]
    NoProfile { path: String },
    /// Like git's `safe.directory`: a marker another user controls is not offered for trust.
    #[error("ignoring {path}: {why}")]
    Unsafe { path: String, why: String },
}

/// The nearest marker at `dir` or above it.
pub fn find(dir: &Path) -> Option<Found> {
    dir.ancestors().find_map(|d| {
        let path = d.join(FILE_NAME);
        path.is_file().then(|| Found {
            path,
            dir: d.to_path_buf(),
        })
    })
}

/// SHA-256 of a marker's content, hex: identifies "this exact text" in the hook's state.
pub fn digest(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// Reads the marker at `path` as raw bytes (trust is decided on the bytes, before parsing).
///
/// The checks are made on the file as opened, not on the name, so that swapping the name for a
/// FIFO or a device between `find` and here changes nothing: the open does not block
/// (`O_NONBLOCK`), and the opened descriptor must be a regular file of at most [`MAX_SIZE`]
/// bytes, owned by the user (or root), in a directory others cannot write to.
pub fn read(path: &Path) -> Result<Vec<u8>, MarkerError> {
    let read_error = |message: String| MarkerError::Read {
        path: shown(path),
        message,
    };
    let file = open(path).map_err(|e| read_error(e.to_string()))?;
    let meta = file.metadata().map_err(|e| read_error(e.to_string()))?;
    if !meta.is_file() {
        return Err(read_error("not a regular file".into()));
    }
    check_owner(path, &meta).map_err(|why| MarkerError::Unsafe {
        path: shown(path),
        why,
    })?;
    if meta.len() > MAX_SIZE {
        return Err(read_error(format!(
            "larger than {} KiB; a marker is a few lines",
            MAX_SIZE / 1024
        )));
    }
    let mut bytes = Vec::new();
    // The size may grow after the fstat: never read more than the cap.
    file.take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(e.to_string()))?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(read_error(format!(
            "larger than {} KiB; a marker is a few lines",
            MAX_SIZE / 1024
        )));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Err(why) when another user could have written the marker: it is owned by someone other than
/// the user and root, or its directory (as found, symlinks kept) is writable by others.
#[cfg(unix)]
fn check_owner(path: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(format!(
            "it is owned by another user (uid {}); only your own markers are used",
            meta.uid()
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match std::fs::metadata(dir) {
        Ok(d) if d.mode() & 0o002 != 0 => Err(format!(
            "its directory {} is writable by other users",
            shown(dir)
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "cannot check its directory: {}",
            inert(&e.to_string())
        )),
    }
}

#[cfg(not(unix))]
fn check_owner(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

/// Parses a marker's content; `path` is only used in error messages.
pub fn parse(path: &Path, content: &[u8]) -> Result<Marker, MarkerError> {
    let shown = shown(path);
    let syntax = |line: usize, message: String| MarkerError::Syntax {
        path: shown.clone(),
        line,
        message,
    };
    let text = std::str::from_utf8(content).map_err(|e| {
        let line = content[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        syntax(line, "is not UTF-8 text".into())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut profile: Option<String> = None;
    let mut region: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.chars().any(char::is_control) {
            return Err(syntax(n, "contains a control character".into()));
        }
        if let Some((key, value)) = line.split_once('=') {
            let (key, value) = (key.trim(), value.trim());
            match key {
                "region" => {
                    if region.is_some() {
                        return Err(syntax(n, "`region` is given twice".into()));
                    }
                    if !is_region(value) {
                        return Err(syntax(
                            n,
                            format!("`{value}` is not a region name like eu-west-1"),
                        ));
                    }
                    region = Some(value.to_string());
                }
                _ => {
                    return Err(syntax(
                        n,
                        format!("unknown setting `{key}` (only `region` is allowed)"),
                    ))
                }
            }
        } else if profile.is_some() {
            return Err(syntax(
                n,
                format!("a second profile name `{line}`; a marker names one profile"),
            ));
        } else {
            profile = Some(line.to_string());
        }
    }
    let profile = profile.ok_or(MarkerError::NoProfile { path: shown })?;
    Ok(Marker { profile, region })
}

/// Region names are lower-case letters, digits and dashes (`us-gov-west-1`, `eu-central-2`).
fn is_region(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Marker, MarkerError> {
        parse(Path::new("/r/.awsprofile"), text.as_bytes())
    }

    #[test]
    fn profile_and_region() {
        assert_eq!(
            p("# prod\n\n  billing-prod  \nregion = eu-west-1\n").unwrap(),
            Marker {
                profile: "billing-prod".into(),
                region: Some("eu-west-1".into())
            }
        );
        assert_eq!(
            p("region=us-east-2\r\n; comment\r\nmy profile\r\n").unwrap(),
            Marker {
                profile: "my profile".into(),
                region: Some("us-east-2".into())
            }
        );
        assert_eq!(p("\u{feff}dev").unwrap().profile, "dev");
    }

    #[test]
    fn errors_name_file_and_line() {
        assert_eq!(
            p("dev\nprod\n").unwrap_err().to_string(),
            "/r/.awsprofile:2: a second profile name `prod`; a marker names one profile"
        );
        assert_eq!(
            p("dev\n\nrole_arn = x\n").unwrap_err().to_string(),
            "/r/.awsprofile:3: unknown setting `role_arn` (only `region` is allowed)"
        );
        assert_eq!(
            p("dev\nregion = $(x)\n").unwrap_err().to_string(),
            "/r/.awsprofile:2: `$(x)` is not a region name like eu-west-1"
        );
        assert_eq!(
            p("dev\nregion = a\nregion = b\n").unwrap_err().to_string(),
            "/r/.awsprofile:3: `region` is given twice"
        );
        assert_eq!(
            p("# only a comment\n").unwrap_err(),
            MarkerError::NoProfile {
                path: "/r/.awsprofile".into()
            }
        );
        assert!(matches!(
            parse(Path::new("/x"), b"ok\n\xff\n"),
            Err(MarkerError::Syntax { line: 2, .. })
        ));
        assert!(matches!(
            p("de\u{1b}v"),
            Err(MarkerError::Syntax { line: 1, .. })
        ));
    }

    /// Audit item 3: a FIFO (or a device) put where the marker was found neither blocks the open
    /// nor is read; a file past the cap is refused whole.
    #[cfg(unix)]
    #[test]
    fn only_a_small_regular_file_is_read_and_a_fifo_does_not_block() {
        let root = tempfile::tempdir().unwrap();
        let fifo = root.path().join("fifo");
        // mkfifo(1): rustix has no mkfifo on macOS.
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read(&fifo).map_err(|e| e.to_string()));
        });
        // A generous bound that only turns a hang (the bug) into a failure.
        let got = rx.recv_timeout(std::time::Duration::from_secs(30));
        let err = got.expect("reading a FIFO marker blocked").unwrap_err();
        assert!(err.ends_with("not a regular file"), "{err}");
        let err = read(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(err.ends_with("not a regular file"), "{err}");

        let big = root.path().join("big");
        std::fs::write(&big, vec![b'#'; MAX_SIZE as usize + 1]).unwrap();
        let err = read(&big).unwrap_err().to_string();
        assert!(err.contains("larger than 64 KiB"), "{err}");
        std::fs::write(&big, vec![b'#'; MAX_SIZE as usize]).unwrap();
        assert_eq!(read(&big).unwrap().len(), MAX_SIZE as usize);
    }

    #[test]
    fn nearest_marker_wins() {
        let root = tempfile::tempdir().unwrap();
        let outer = root.path().join("outer");
        let inner = outer.join("a/inner");
        let deep = inner.join("b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(outer.join(FILE_NAME), "outer").unwrap();
        std::fs::write(inner.join(FILE_NAME), "inner").unwrap();
        assert_eq!(find(&deep).unwrap().dir, inner);
        assert_eq!(find(&outer.join("a")).unwrap().dir, outer);
        assert_eq!(find(&outer).unwrap().path, outer.join(FILE_NAME));
        // A directory named like the marker is not a marker.
        let other = root.path().join("other");
        std::fs::create_dir_all(other.join(FILE_NAME)).unwrap();
        assert_eq!(find(&other), None);
    }
}
