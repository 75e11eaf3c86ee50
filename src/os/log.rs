//! `--debug` messages on stderr. They describe steps (profiles, role ARNs, cache hits), never
//! secrets: credentials are only ever formatted through `Secret`, whose Debug hides them.

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
