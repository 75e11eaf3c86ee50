//! `awsenv exec PROFILE --server -- CMD ARGS...`: run CMD with a local credential endpoint
//! instead of keys, served from this process until CMD exits.
//!
//! Unlike plain `exec`, awsenv cannot replace itself with CMD: it stays as CMD's parent to
//! serve, ignores the terminal's Ctrl-C and Ctrl-\ (they are CMD's to handle; awsenv going first
//! would take CMD's credentials with it) and exits with CMD's status (128 + the signal when a
//! signal ended CMD, as shells report it). An MFA code needed for a refresh is asked on the
//! terminal of the `exec`.
//!
//! When CMD exits, processes it started may still hold the endpoint and token: awsenv then keeps
//! the port, refusing every request, until the last of them has ended (it is their subreaper on
//! Linux), so that no other local user can take the port and answer them.

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
    // It holds credentials for as long as CMD runs; CMD gets its own core limit back.
    let core_limit = crate::os::dumps::no_core_files();
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
        argv.push(ctx.env.default_shell());
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                crate::os::dumps::restore_core_limit(core_limit);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = core_limit;
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
    // Every process CMD leaves behind (a background job, a daemon) becomes our child when its
    // parent ends, so that we can tell when the last holder of the token is gone.
    become_subreaper();
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run `{program}`: {e}"))?;
    ignore_terminal_signals();
    let status = child.wait()?;
    // CMD is done: nothing is served any more, but the port stays held (refusing) while any
    // process it left may still use the endpoint (see `server::retire`).
    server::retire();
    wait_for_descendants(&crate::os::text::inert(&program));
    std::process::exit(exit_code(status));
}

#[cfg(target_os = "linux")]
fn become_subreaper() {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and changes only this process.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        crate::os::log::debug!(
            "cannot become a subreaper: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn become_subreaper() {}

/// Reaps every remaining descendant (ours as the subreaper), saying once on stderr why the
/// command line has not come back yet. Ctrl-C stops the wait (and frees the port).
#[cfg(unix)]
fn wait_for_descendants(program: &str) {
    let mut told = false;
    loop {
        // SAFETY: waitpid with a null status pointer only reaps.
        let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
        if r > 0 {
            continue;
        }
        if r < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return; // ECHILD: nobody left.
        }
        if !told {
            eprintln!(
                "awsenv: `{program}` exited, but processes it started still run; their credential endpoint refuses (403) and keeps its port until they end (Ctrl-C stops waiting)"
            );
            // SAFETY: back to the default disposition: Ctrl-C ends this wait.
            unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
            told = true;
        }
        // SAFETY: as above, blocking.
        let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), 0) };
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

#[cfg(not(unix))]
fn wait_for_descendants(_program: &str) {}

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
