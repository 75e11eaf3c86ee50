//! `awsenv exec PROFILE -- CMD ARGS...`: run CMD with the credentials in its environment.
//!
//! No shell in between, secrets only in the environment (never in argv). On Unix awsenv
//! replaces itself with CMD, so signals, stdin/stdout/stderr and the exit status are CMD's own.

use std::ffi::OsString;
use std::process::Command;

use anyhow::{anyhow, Result};

use crate::cli::ExecArgs;
use crate::vars;

pub fn run(args: ExecArgs) -> Result<()> {
    let name = super::profile_name(args.profile)?;
    let (plan, creds) = super::resolve_profile(&name, &args.resolve)?;
    let replaces = std::env::var_os(vars::PROFILE_MARK).is_some();

    let mut argv: Vec<OsString> = args.command;
    if argv.is_empty() {
        argv.push(std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into()));
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for change in vars::load(&name, &creds, plan.region.as_deref(), replaces) {
        match change.value {
            Some(v) => cmd.env(change.name, v.as_ref()),
            None => cmd.env_remove(change.name),
        };
    }
    let program = argv[0].to_string_lossy().into_owned();
    exec(cmd).map_err(|e| anyhow!("cannot run `{program}`: {e}"))
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
