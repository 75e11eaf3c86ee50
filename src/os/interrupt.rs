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
    use std::os::fd::IntoRawFd;
    use std::sync::OnceLock;

    static SAVED: OnceLock<(libc::c_int, libc::termios)> = OnceLock::new();
    static MESSAGE: OnceLock<Vec<u8>> = OnceLock::new();

    // Only async-signal-safe calls: tcsetattr, write, _exit; the statics are set before.
    extern "C" fn on_sigint(_: libc::c_int) {
        if let Some((fd, term)) = SAVED.get() {
            // SAFETY: fd stays open for the life of the process; term is a valid termios.
            unsafe { libc::tcsetattr(*fd, libc::TCSANOW, term) };
        }
        if let Some(m) = MESSAGE.get() {
            // SAFETY: writing a static buffer to stderr.
            let _ = unsafe { libc::write(2, m.as_ptr().cast(), m.len()) };
        }
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { libc::_exit(130) }
    }

    let _ = MESSAGE.set(message.into_bytes());
    if let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    {
        let fd = tty.into_raw_fd();
        let mut term = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: fd is an open terminal; tcgetattr fills term on success.
        if unsafe { libc::tcgetattr(fd, term.as_mut_ptr()) } == 0 {
            let _ = SAVED.set((fd, unsafe { term.assume_init() }));
        }
    }
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: installing a handler that only calls async-signal-safe functions.
    unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
}

#[cfg(not(unix))]
pub fn guard(_message: String) {}
