//! The command `exec` runs, for plain `exec` and `exec --server` alike: its argv and an
//! environment with the hook's variables taken out and the profile's put in, and the error of
//! a command that could not be started (with the shells' exit codes).

use std::ffi::OsString;
use std::process::Command;

use crate::context::Context;
use crate::os::env;
use crate::shell::{vars, Change};

/// The command to run, and its name for errors: `argv` (the user's shell when empty), with the
/// hook's variables taken out of the environment and `changes` made to it. Plain `exec` and
/// `exec --server` start their child from here, so both pass on the same environment.
pub fn command(ctx: &Context, mut argv: Vec<OsString>, changes: Vec<Change>) -> (Command, String) {
    if argv.is_empty() {
        argv.push(ctx.env.default_shell());
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for name in vars::HOOK_VARS.iter().chain([&env::HOOK_SAVED]) {
        cmd.env_remove(name);
    }
    if let Some(state) = super::hook::state_for_exec(&ctx.env) {
        cmd.env(env::HOOK_STATE, state);
    }
    for change in changes {
        match change.value {
            Some(v) => cmd.env(change.name, v),
            None => cmd.env_remove(change.name),
        };
    }
    (cmd, argv[0].to_string_lossy().into_owned())
}

/// The error of a command that could not be started.
pub fn cannot_run(program: &str, e: &std::io::Error) -> CannotRun {
    CannotRun {
        // As shells and env(1) say it: 127 when there is no such command, 126 when it is there
        // but cannot be run; callers tell these from the command's own failures.
        code: if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
        message: format!("cannot run `{}`: {e}", crate::os::text::inert(program)),
    }
}

/// The command never ran; `main` exits with `code`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CannotRun {
    pub code: u8,
    message: String,
}
