//! A wall clock the test moves on, for tests of credentials that age: Debian's libfaketime
//! (`faketime`), preloaded into the processes a test starts through its [`Home`] — awsenv, its
//! shell, a `credential_process`, a moto of the test's own — reads the offset from a file at each
//! clock read, so one write moves every one of them at once. Only the wall clock moves
//! (`FAKETIME_DONT_FAKE_MONOTONIC`): timeouts and deadlines keep real time.
//!
//! Why not a clock inside awsenv (a variable giving it "now"): a setting that moves the clock of
//! a credential tool is one way to make it hand out expired credentials, and it would not move
//! the clocks that awsenv's decisions meet (the shells compare expiry times themselves, STS
//! stamps sessions with its own). libfaketime needs no code in awsenv and moves them all.
//!
//! Two limits: libfaketime reaches only dynamically linked programs (the toolchain's standard
//! link), and it does not reach bash's `$EPOCHSECONDS` here, so bash's hook tests still wait.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{bin, Home};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

pub struct Clock {
    file: PathBuf,
    offset: Cell<i64>,
}

impl Clock {
    /// A clock at the real time, its offset kept in `dir`.
    pub fn new(dir: &Path) -> Clock {
        assert!(
            Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} is missing: run `bash tests/setup.sh`"
        );
        let ldd = Command::new("ldd").arg(bin()).output().unwrap();
        assert!(
            ldd.status.success(),
            "{} is not dynamically linked: libfaketime cannot reach it",
            bin().display()
        );
        let clock = Clock {
            file: dir.join("faketime-offset"),
            offset: Cell::new(0),
        };
        clock.advance(0);
        clock
    }

    /// The variables that put a process on this clock.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LD_PRELOAD", LIBFAKETIME.to_string()),
            ("FAKETIME_TIMESTAMP_FILE", self.file.display().to_string()),
            // Read the file at every clock read: the test moves the clock while they run.
            ("FAKETIME_NO_CACHE", "1".to_string()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_string()),
        ]
    }

    /// A home whose processes run on this clock, its file kept in the home.
    pub fn on(home: &mut Home) -> Clock {
        let clock = Clock::new(home.path());
        for (k, v) in clock.env() {
            home.set(k, &v);
        }
        clock
    }

    /// Moves the clock `secs` seconds on.
    pub fn advance(&self, secs: i64) {
        self.offset.set(self.offset.get() + secs);
        // Written whole then renamed: a process never reads half an offset.
        let tmp = self.file.with_extension("tmp");
        std::fs::write(&tmp, format!("{:+}\n", self.offset.get())).unwrap();
        std::fs::rename(&tmp, &self.file).unwrap();
    }

    /// Now on this clock, in seconds since the epoch.
    pub fn now(&self) -> i64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        i64::try_from(real).unwrap() + self.offset.get()
    }
}
