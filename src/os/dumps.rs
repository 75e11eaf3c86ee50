//! Keeping the secrets a process holds out of core dumps and away from same-user debuggers.
//!
//! A crash of a process holding credentials (a panic aborts here; a signal from anyone with the
//! user's uid) would otherwise leave a core file with the keys and tokens in it wherever cores
//! are kept, and `/proc/PID/mem` and `environ` are open to any process of the user. Linux:
//! `PR_SET_DUMPABLE 0` (no core, no ptrace attach, `/proc/PID` owned by root; reset by
//! `execve`, so programs awsenv runs are not affected) for every run, and `RLIMIT_CORE 0` for
//! the long-lived servers (a limit is inherited, so the command `exec --server` runs gets its
//! own back: [`restore_core_limit`]).

/// The core-size limit before [`no_core_files`] lowered it (None: infinite, as rustix says).
#[derive(Clone, Copy)]
pub struct CoreLimit(
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))] Option<(Option<u64>, Option<u64>)>,
);

/// Marks this process non-dumpable.
#[cfg(target_os = "linux")]
pub fn not_dumpable() {
    use rustix::process::{set_dumpable_behavior, DumpableBehavior};
    let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
}

#[cfg(not(target_os = "linux"))]
pub fn not_dumpable() {}

/// Non-dumpable, and no core files at all (soft limit 0); returns the limit before.
#[cfg(target_os = "linux")]
pub fn no_core_files() -> CoreLimit {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    not_dumpable();
    let old = getrlimit(Resource::Core);
    // Only the soft limit: the hard one stays, so a child can be given its limit back.
    let _ = setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: old.maximum,
        },
    );
    CoreLimit(Some((old.current, old.maximum)))
}

#[cfg(not(target_os = "linux"))]
pub fn no_core_files() -> CoreLimit {
    CoreLimit(None)
}

/// Puts back the limit [`no_core_files`] saw; async-signal-safe (one system call, for a child
/// before `execve`).
#[cfg(target_os = "linux")]
pub fn restore_core_limit(limit: CoreLimit) {
    use rustix::process::{setrlimit, Resource, Rlimit};
    if let Some((current, maximum)) = limit.0 {
        let _ = setrlimit(Resource::Core, Rlimit { current, maximum });
    }
}

#[cfg(not(target_os = "linux"))]
#[cfg_attr(not(unix), allow(dead_code))]
pub fn restore_core_limit(_limit: CoreLimit) {}
