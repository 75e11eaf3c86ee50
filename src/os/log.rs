//! Messages on stderr: `--debug` lines, and the notices of long waits. They describe steps
//! (profiles, role ARNs, endpoints, cache hits), never secrets: credentials are only ever
//! formatted through `Secret`, whose Debug hides them. stdout is never written here.

use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// `debug!("…", args)`: one `awsenv: debug:` line on stderr when `--debug` is on.
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::os::log::enabled() {
            eprintln!("awsenv: debug: {}", format_args!($($arg)*));
        }
    };
}
pub(crate) use debug;

/// One `awsenv: …` line on stderr, debug or not: what a long wait waits for, what the hook
/// loaded, the error a run ends with (stdout may be shell code being evaluated, so a notice
/// never goes there). Written in one `write`, not in the pieces `eprintln!` writes, so that the
/// line of one run is never cut by another's on a shared terminal.
pub fn notice(message: &str) {
    use std::io::Write;
    let line = format!("awsenv: {message}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
