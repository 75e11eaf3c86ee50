//! What the process needs at its start beyond what Rust's own start-up gives it.
//!
//! Rust's start-up (std's wrapper around `main`) already leaves the process as awsenv needs it,
//! on every Unix: fds 0–2 open (a closed one is opened on /dev/null, so that a file awsenv opens
//! later never becomes "stdout" and receives shell code or a secret), and SIGPIPE ignored (a
//! write to a closed pipe is then an error, which `cmd::print` takes as the end of the output,
//! instead of a death mid-write; children get SIGPIPE back at its default from `Command`). Both
//! are tested in tests/it/startup.rs.
//!
//! What it does not do is word a panic for a user: std's message takes several lines, the
//! thread's name and a note about `RUST_BACKTRACE`, printed in the middle of a prompt by the
//! shell hook. So a panic here is one line, `awsenv: internal error: MESSAGE at FILE:LINE`,
//! with the backtrace after it only when `RUST_BACKTRACE` asks for one. The panic then unwinds
//! as usual (the release profile keeps `panic = "unwind"`): destructors run, std's wrapper
//! catches it at `main` and exits with 101, and nothing aborts, so no core file is dumped.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::panic::PanicHookInfo;

/// Replaces std's panic message with awsenv's one line; call first thing in `main`.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        super::log::notice(&internal_error(info));
        // `capture` asks `RUST_BACKTRACE`/`RUST_LIB_BACKTRACE`, as std's own hook does.
        let trace = Backtrace::capture();
        if trace.status() == BacktraceStatus::Captured {
            eprintln!("{trace}");
        }
    }));
}

/// `internal error: MESSAGE at FILE:LINE`, on one line whatever the message holds.
fn internal_error(info: &PanicHookInfo) -> String {
    // `panic!("…")` with arguments carries a String, without a &str; anything else says nothing.
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    let place = match info.location() {
        Some(l) => format!(" at {}:{}", l.file(), l.line()),
        None => String::new(),
    };
    super::text::inert(&format!("internal error: {message}{place}"))
}
