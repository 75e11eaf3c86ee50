//! One file per subcommand. Each gets the run's `Context`, turns its clap arguments into the
//! engine's types, and writes its output in one piece at the end, so a failure never leaves half
//! a script on stdout.

pub mod add;
pub mod allow;
pub mod child;
pub mod clear;
pub mod completions;
pub mod exec;
mod exec_server;
pub mod export;
pub mod hook;
pub mod init;
pub mod list;
pub mod login;
pub mod man;
pub mod remove;
pub mod rotate;
pub mod serve;
pub mod sso;
pub mod sso_profiles;
pub mod status;
pub mod unset;
pub mod use_profile;

use std::io::Write;

use anyhow::{anyhow, Result};

use crate::cli::ResolveArgs;
use crate::context::Context;
use crate::engine::Options;
use crate::os::env;

/// The profile named on the command line, else `$AWS_PROFILE`.
pub fn profile_name(ctx: &Context, given: Option<String>) -> Result<String> {
    given
        .or_else(|| ctx.env.get(env::PROFILE).map(str::to_string))
        .ok_or_else(|| anyhow!("no profile given and AWS_PROFILE is not set; try `awsenv list`"))
}

impl From<&ResolveArgs> for Options {
    fn from(a: &ResolveArgs) -> Options {
        Options {
            region: a.region.clone(),
            duration: a.duration,
            mfa_token: a.mfa_token.clone(),
            no_cache: a.no_cache,
            fresh_for: None,
        }
    }
}

/// Writes all of `text` to stdout at once. A closed pipe (`awsenv list | head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// `use` and `unset` write shell code for `eval`, with secrets in it: to a terminal it would
/// only show them (scrollback, screen sharing) and load nothing. Refused, with the way to run it.
pub fn not_to_a_terminal(sub: &str) -> Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        anyhow::bail!(
            "`awsenv {sub}` writes shell code for the shell to run, which is not shown on a terminal; load the shell integration (`eval \"$(awsenv init bash)\"` in ~/.bashrc, see `awsenv init --help`) or run `eval \"$(awsenv {sub} …)\"`"
        );
    }
    Ok(())
}
