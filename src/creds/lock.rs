//! Single flight across processes: runs that need the same session take an advisory lock on a
//! file beside its cache entry, one at a time, so one of them makes the STS call (or asks for
//! the MFA code) and the others read its result from the cache.
//!
//! The lock is the kernel's (flock on Unix, LockFileEx on Windows): it goes with the process,
//! so a run that is killed never blocks the next one, and the lock files (empty) need no
//! cleaning. They are never deleted either: a run holding the lock on a deleted file would not
//! exclude a run that creates a new one.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// A lock taken; released when dropped (closing the file releases the kernel's lock).
pub struct Held {
    _file: File,
}

/// Takes the lock of session `key` in `dir` (made private if missing); see [`acquire`].
pub fn session(
    dir: &Path,
    key: &super::cache::CacheKey,
    wait: Duration,
) -> anyhow::Result<Option<Held>> {
    use anyhow::Context;
    crate::os::private_file::create_dir(dir)
        .with_context(|| format!("cannot write to {}", dir.display()))?;
    let path = dir.join(format!("{}.lock", key.as_str()));
    acquire(&path, wait).with_context(|| format!("cannot lock {}", path.display()))
}

/// Takes the exclusive lock on `path` (created 0600 if missing), waiting at most `wait` for the
/// run holding it. None when it is still held after that.
pub fn acquire(path: &Path, wait: Duration) -> io::Result<Option<Held>> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    // Never through a symbolic link: the directory is checked (`private_file::create_dir`), the
    // name in it is not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let file = options.open(path)?;
    let start = Instant::now();
    // Short pauses first: a holder that only reads the cache is done in milliseconds.
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(Held { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        let waited = start.elapsed();
        if waited >= wait {
            return Ok(None);
        }
        std::thread::sleep(pause.min(wait - waited));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.lock");
        let first = acquire(&p, Duration::ZERO).unwrap();
        assert!(first.is_some());
        // Another open file description (as another process would have) cannot take it.
        assert!(acquire(&p, Duration::from_millis(30)).unwrap().is_none());
        drop(first);
        assert!(acquire(&p, Duration::ZERO).unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    /// Across processes, both ways: the kernel's lock as another program (util-linux `flock`,
    /// which takes flock(2) as awsenv does on Unix) holds it.
    #[cfg(target_os = "linux")]
    #[test]
    fn exclusive_against_another_process() {
        use std::process::Command;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.lock");
        let held = acquire(&p, Duration::ZERO).unwrap();
        assert!(held.is_some());
        let other = Command::new("flock")
            .args(["-n", "-x"])
            .arg(&p)
            .arg("true")
            .status();
        assert_eq!(other.unwrap().code(), Some(1), "flock -n took a held lock");
        drop(held);
        let other = Command::new("flock")
            .args(["-n", "-x"])
            .arg(&p)
            .arg("true")
            .status();
        assert!(other.unwrap().success(), "released on drop");

        // Holds it until its input ends.
        let mut child = Command::new("flock")
            .arg("-x")
            .arg(&p)
            .arg("cat")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the child holds it (it may not have started yet).
        let start = Instant::now();
        while acquire(&p, Duration::ZERO).unwrap().is_some() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "flock never took it"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(acquire(&p, Duration::from_millis(50)).unwrap().is_none());
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        assert!(acquire(&p, Duration::from_secs(5)).unwrap().is_some());
    }
}
