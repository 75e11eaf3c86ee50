//! `awsenv exec PROFILE -- CMD ARGS...`: run CMD with the credentials in its environment.
//!
//! No shell in between, secrets only in the environment (never in argv). On Unix awsenv
//! replaces itself with CMD, so signals, stdin/stdout/stderr and the exit status are CMD's own.
//! The shell hook's variables are not passed on: CMD (a nested shell, say) holds the profile
//! asked for, and never the state of the hook of the shell that started it.

use std::ffi::OsString;
use std::process::Command;

use anyhow::Result;

use crate::cli::ExecArgs;
use crate::context::Context;
use crate::engine;
use crate::os::env;
use crate::shell::{vars, Change};

pub fn run(ctx: &Context, args: ExecArgs) -> Result<()> {
    if args.server {
        return super::exec_server::run(ctx, args);
    }
    let name = super::profile_name(ctx, args.profile)?;
    let r = engine::resolve(ctx, &name, &(&args.resolve).into())?;
    let replaces = ctx.env.is_set(env::AWSENV_PROFILE);

    let changes = vars::load(
        &name,
        &r.creds,
        r.plan.region.as_deref(),
        r.plan.account_id(),
        replaces,
    );
    let (cmd, program) = command(ctx, args.command, changes);
    let e = exec(cmd).unwrap_err();
    Err(cannot_run(&program, &e).into())
}

/// The command to run, and its name for errors: `argv` (the user's shell when empty), with the
/// hook's variables taken out of the environment and `changes` made to it. Plain `exec` and
/// `exec --server` start their child from here, so both pass on the same environment.
pub(super) fn command(
    ctx: &Context,
    mut argv: Vec<OsString>,
    changes: Vec<Change>,
) -> (Command, String) {
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
pub(super) fn cannot_run(program: &str, e: &std::io::Error) -> CannotRun {
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

#[cfg(unix)]
fn exec(mut cmd: Command) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    // Only returns on failure.
    Err(cmd.exec())
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> std::io::Result<()> {
    let status = cmd.status()?;
    std::process::exit(status.code().unwrap_or(1));
}
