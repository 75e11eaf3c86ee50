//! `awsenv exec PROFILE --server -- CMD ARGS...`: run CMD with a local credential endpoint
//! instead of keys, served from this process until CMD exits.
//!
//! Unlike plain `exec`, awsenv cannot replace itself with CMD: it stays as CMD's parent to
//! serve, ignores the terminal's Ctrl-C and Ctrl-\ (they are CMD's to handle; awsenv going first
//! would take CMD's credentials with it) and exits with CMD's status (128 + the signal when a
//! signal ended CMD, as shells report it). An MFA code needed for a refresh is asked on the
//! terminal of the `exec`.

use std::ffi::OsString;
use std::process::Command;

use anyhow::{anyhow, Result};

use crate::cli::ExecArgs;
use crate::context::Context;
use crate::engine::{self, Options};
use crate::os::env;
use crate::server::{self, Provider, Server};
use crate::shell::vars;

pub fn run(ctx: &Context, args: ExecArgs) -> Result<()> {
    let name = super::profile_name(ctx, args.profile)?;
    let opts: Options = (&args.resolve).into();
    let margin = server::margin(ctx)?;
    let r = engine::resolve(ctx, &name, &opts)?;
    server::require_temporary(&name, &r.creds)?;
    let replaces = ctx.env.is_set(env::AWSENV_PROFILE);

    let endpoint = Server::bind()?;
    let changes = vars::load_server(
        &name,
        &endpoint.uri(),
        endpoint.token().expose(),
        r.plan.region.as_deref(),
        replaces,
        None,
    );

    // The server runs on a thread of its own with a context of its own (a context belongs to
    // one thread); it starts from the credentials just resolved.
    let env_copy = ctx.env.clone();
    let profile = name.clone();
    let held = r.creds;
    std::thread::spawn(move || {
        let ctx = Context::new(env_copy);
        let mut provider = Provider::new(&ctx, &profile, opts, margin, held);
        endpoint.serve(&mut provider);
    });

    let mut argv: Vec<OsString> = args.command;
    if argv.is_empty() {
        argv.push(
            ctx.env
                .get_os(env::SHELL)
                .map(OsString::from)
                .unwrap_or_else(|| "/bin/sh".into()),
        );
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for n in vars::HOOK_VARS.iter().chain([&env::HOOK_SAVED]) {
        cmd.env_remove(n);
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
    let program = argv[0].to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run `{program}`: {e}"))?;
    ignore_terminal_signals();
    let status = child.wait()?;
    std::process::exit(exit_code(status));
}

/// CMD has started with the default dispositions; from now on the terminal's signals are its.
#[cfg(unix)]
fn ignore_terminal_signals() {
    // SAFETY: setting a signal disposition to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_terminal_signals() {}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    status.code().unwrap_or(1)
}
