//! `awsenv exec PROFILE -- CMD ARGS...`: run CMD with the credentials in its environment.
//!
//! No shell in between, secrets only in the environment (never in argv). On Unix awsenv
//! replaces itself with CMD, so signals, stdin/stdout/stderr and the exit status are CMD's own.
//! The shell hook's variables are not passed on: CMD (a nested shell, say) holds the profile
//! asked for, and never the state of the hook of the shell that started it.

use std::process::Command;

use anyhow::Result;

use crate::cli::ExecArgs;
use crate::context::Context;
use crate::engine;
use crate::os::env;
use crate::shell::vars;

use super::child;

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
    let (cmd, program) = child::command(ctx, args.command, changes);
    let e = exec(cmd).unwrap_err();
    Err(child::cannot_run(&program, &e).into())
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
