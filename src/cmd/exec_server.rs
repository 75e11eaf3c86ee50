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

use anyhow::Result;

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

    let (mut cmd, program) = super::child::command(ctx, args.command, changes);
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
    // Every process CMD leaves behind (a background job, a daemon) becomes our child when its
    // parent ends, so that we can tell when the last holder of the token is gone.
    become_subreaper();
    let mut child = cmd
        .spawn()
        .map_err(|e| super::child::cannot_run(&program, &e))?;
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
    if let Err(e) = rustix::process::set_child_subreaper(Some(rustix::process::Pid::INIT)) {
        crate::os::log::debug!("cannot become a subreaper: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn become_subreaper() {}

/// Reaps every remaining descendant (ours as the subreaper), saying once on stderr why the
/// command line has not come back yet. Ctrl-C stops the wait (and frees the port).
#[cfg(unix)]
fn wait_for_descendants(program: &str) {
    use rustix::io::Errno;
    use rustix::process::{wait, WaitOptions};
    let mut told = false;
    loop {
        match wait(WaitOptions::NOHANG) {
            Ok(Some(_)) | Err(Errno::INTR) => continue,
            // ECHILD: nobody left.
            Err(_) => return,
            Ok(None) => {}
        }
        if !told {
            eprintln!(
                "awsenv: `{program}` exited, but processes it started still run; their credential endpoint refuses (403) and keeps its port until they end (Ctrl-C stops waiting)"
            );
            // SAFETY: back to the default disposition: Ctrl-C ends this wait.
            unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
            told = true;
        }
        match wait(WaitOptions::empty()) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

#[cfg(not(unix))]
fn wait_for_descendants(_program: &str) {}

/// CMD has started with the default dispositions; from now on the terminal's signals are its.
#[cfg(unix)]
fn ignore_terminal_signals() {
    // libc: rustix has no safe call to set a signal's disposition.
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
