//! What a process needs before awsenv's own code runs, on Linux with glibc, where awsenv has its
//! own C `main` (see `main.rs`) instead of Rust's.
//!
//! Why: awsenv runs at every `cd` and every TAB, so its start is measured against starting any
//! process at all. Rust's own start-up does three things: it makes sure fds 0–2 are open, it
//! ignores SIGPIPE, and it finds the main thread's stack guard so that a stack overflow prints a
//! message. The last one is the costly one: glibc finds the main stack by reading and parsing
//! `/proc/self/maps` with `sscanf` (three system calls; skipping it took 61,000 instructions off
//! an `awsenv use`, 6 %). awsenv has no deep recursion (role chains stop at 64 profiles), so a
//! stack overflow would still end the process at once, by SIGSEGV, only without the message.
//! The other two are kept, here, exactly.

/// fds 0, 1 and 2 open (a closed one opened on `/dev/null`, so that a file awsenv opens later never
/// becomes "stdout" and receives shell code or a secret), and SIGPIPE ignored, as Rust's runtime
/// leaves a process (a write to a closed pipe is then an error, not a silent death mid-write;
/// children get SIGPIPE back at their default, as std's `Command` gives it them).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn prepare() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: poll reads and writes the three pollfd entries of a live array; timeout 0.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
    let closed: Vec<libc::c_int> = if polled < 0 {
        // poll failed (it should not): ask each fd instead.
        // SAFETY: fcntl(F_GETFD) on a small integer only reads the fd table.
        (0..3)
            .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1)
            .collect()
    } else {
        fds.iter()
            .filter(|p| p.revents & libc::POLLNVAL != 0)
            .map(|p| p.fd)
            .collect()
    };
    for fd in closed {
        // open() returns the lowest free fd, which is `fd` when the lower ones are open.
        // SAFETY: a NUL-terminated path; the returned fd is kept open for the whole run.
        let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if opened != fd {
            // No /dev/null (a broken chroot): nothing safe to run in.
            // SAFETY: _exit ends the process at once.
            unsafe { libc::_exit(127) };
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN has no other effect.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
