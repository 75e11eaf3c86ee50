//! Ctrl-C at an MFA prompt started by the shell hook must leave the terminal as it was.
//!
//! rpassword turns off echo, canonical mode and ISIG, reads Ctrl-C as a character and then raises
//! SIGINT against itself while the terminal is still raw; the default action would kill awsenv
//! with echo off and leave the user's shell typing blind. [`guard`] saves the terminal settings
//! first and installs a handler that puts them back, prints one line and exits with 130 (so the
//! shell evaluates nothing and its environment stays unchanged).

/// Saves the terminal state and arranges for SIGINT to restore it, print `message`, and exit.
#[cfg(unix)]
pub fn guard(message: String) {
    use std::os::fd::{AsFd, OwnedFd};
    use std::sync::OnceLock;

    use rustix::termios::{tcgetattr, tcsetattr, OptionalActions, Termios};

    static SAVED: OnceLock<(OwnedFd, Termios)> = OnceLock::new();
    static MESSAGE: OnceLock<Vec<u8>> = OnceLock::new();

    // Only async-signal-safe calls: tcsetattr and write (rustix makes them as system calls,
    // without locks or allocation), _exit; the statics are set before.
    extern "C" fn on_sigint(_: libc::c_int) {
        if let Some((fd, term)) = SAVED.get() {
            let _ = tcsetattr(fd, OptionalActions::Now, term);
        }
        if let Some(m) = MESSAGE.get() {
            // std's handle only names fd 2 here (no lock, no allocation).
            let _ = rustix::io::write(std::io::stderr().as_fd(), m);
        }
        // libc: rustix wraps neither `_exit` nor installing a handler (below) safely; std's
        // `exit` would run atexit handlers and flush stdout from inside a signal handler.
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { libc::_exit(130) }
    }

    let _ = MESSAGE.set(message.into_bytes());
    if let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    {
        if let Ok(term) = tcgetattr(&tty) {
            // Kept open for the life of the process: the handler restores through it.
            let _ = SAVED.set((tty.into(), term));
        }
    }
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: installing a handler that only calls async-signal-safe functions.
    unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
}

#[cfg(not(unix))]
pub fn guard(_message: String) {}
