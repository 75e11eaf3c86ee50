//! Keeping the secrets a process holds out of core dumps and away from same-user debuggers.
//!
//! A crash of a process holding credentials (a panic aborts here; a signal from anyone with the
//! user's uid) would otherwise leave a core file with the keys and tokens in it wherever cores
//! are kept, and `/proc/PID/mem` and `environ` are open to any process of the user. Linux:
//! `PR_SET_DUMPABLE 0` (no core, no ptrace attach, `/proc/PID` owned by root; reset by
//! `execve`, so programs awsenv runs are not affected) for every run, and `RLIMIT_CORE 0` for
//! the long-lived servers (a limit is inherited, so the command `exec --server` runs gets its
//! own back: [`restore_core_limit`]).

/// The core-size limit before [`no_core_files`] lowered it.
#[derive(Clone, Copy)]
pub struct CoreLimit(#[cfg_attr(not(target_os = "linux"), allow(dead_code))] Option<(u64, u64)>);

/// Marks this process non-dumpable.
#[cfg(target_os = "linux")]
pub fn not_dumpable() {
    // SAFETY: PR_SET_DUMPABLE takes an integer and changes only this process.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
pub fn not_dumpable() {}

/// Non-dumpable, and no core files at all (soft and hard limit 0); returns the limit before.
#[cfg(target_os = "linux")]
pub fn no_core_files() -> CoreLimit {
    not_dumpable();
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with valid pointers to a `rlimit`.
    unsafe {
        #[allow(
            clippy::unnecessary_cast,
            reason = "rlim_t is 32 bits on some 32-bit targets"
        )]
        let before = (libc::getrlimit(libc::RLIMIT_CORE, &mut old) == 0)
            .then_some((old.rlim_cur as u64, old.rlim_max as u64));
        // Only the soft limit: the hard one stays, so a child can be given its limit back.
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: old.rlim_max,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
        CoreLimit(before)
    }
}

#[cfg(not(target_os = "linux"))]
pub fn no_core_files() -> CoreLimit {
    CoreLimit(None)
}

/// Puts back the limit [`no_core_files`] saw; async-signal-safe (for a child before `execve`).
#[cfg(target_os = "linux")]
pub fn restore_core_limit(limit: CoreLimit) {
    if let Some((cur, max)) = limit.0 {
        let l = libc::rlimit {
            rlim_cur: cur as libc::rlim_t,
            rlim_max: max as libc::rlim_t,
        };
        // SAFETY: setrlimit with a valid pointer.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &l) };
    }
}

#[cfg(not(target_os = "linux"))]
#[cfg_attr(not(unix), allow(dead_code))]
pub fn restore_core_limit(_limit: CoreLimit) {}
