//! `awsenv use PROFILE`: the script that loads a profile into the calling shell.
//!
//! With `--server`, the shell gets a local credential endpoint instead of keys, served by a
//! process that ends with the shell (see `server::shell`). Either way a server this shell had
//! is stopped first: one `use` replaces the last.

use anyhow::{anyhow, Result};

use crate::cli::UseArgs;
use crate::context::Context;
use crate::engine::{self, Options};
use crate::os::env;
use crate::server;
use crate::shell::detect::calling_shell;
use crate::shell::vars;

pub fn run(ctx: &Context, args: UseArgs) -> Result<()> {
    super::not_to_a_terminal("use")?;
    let name = super::profile_name(ctx, args.profile)?;
    let shell = args.shell.unwrap_or_else(|| calling_shell(&ctx.env));
    let opts: Options = (&args.resolve).into();
    let r = engine::resolve(ctx, &name, &opts)?;
    let replaces = ctx.env.is_set(env::AWSENV_PROFILE);
    if !args.server {
        // A shell that cannot hold a value (tcsh, a line break) refuses before anything changes.
        let load = vars::load(
            &name,
            &r.creds,
            r.plan.region.as_deref(),
            r.plan.account_id(),
            replaces,
        );
        shell
            .script(&load)
            .map_err(|e| anyhow!("profile `{name}`: {e}"))?;
    }
    stop_server(ctx);
    let changes = if args.server {
        server::require_temporary(&name, &r.creds)?;
        let (pid, hello) = server::shell::start(
            &name,
            &opts,
            &r.creds,
            server::shell::parent_pid(),
            r.plan.reads_env_keys(),
        )?;
        vars::load_server(
            &name,
            &hello.uri,
            hello.token.expose(),
            r.plan.region.as_deref(),
            replaces,
            Some(pid),
        )
    } else {
        // Removes the server variables too (whether this shell's server or one inherited).
        vars::load(
            &name,
            &r.creds,
            r.plan.region.as_deref(),
            r.plan.account_id(),
            replaces,
        )
    };
    let script = shell
        .script(&changes)
        .map_err(|e| anyhow!("profile `{name}`: {e}"))?;
    super::print(&script)
}

/// Stops the server `AWSENV_SERVER` names, if it is this shell's own; true when the
/// environment named one (the caller then removes the server variables, whoever owned it).
pub fn stop_server(ctx: &Context) -> bool {
    let Some(pid) = ctx.env.get(env::AWSENV_SERVER) else {
        return false;
    };
    if let Ok(pid) = pid.parse() {
        server::shell::stop(&ctx.env, pid);
    }
    true
}
