//! `awsenv completions [SHELL]`: the tab-completion script for a shell (see `complete`).

use anyhow::{anyhow, Result};

use crate::cli::CompletionsArgs;
use crate::complete::{self, CompletionShell};
use crate::context::Context;
use crate::shell::detect::calling_shell;

pub fn run(ctx: &Context, args: CompletionsArgs) -> Result<()> {
    let shell = match args.shell {
        Some(shell) => shell,
        None => {
            let caller = calling_shell(&ctx.env);
            CompletionShell::for_shell(caller).ok_or_else(|| {
                anyhow!(
                    "no completion for a plain POSIX shell ({caller:?} detected); \
                     name one: awsenv completions bash|zsh|fish|powershell|elvish|xonsh|tcsh"
                )
            })?
        }
    };
    super::print(&complete::script(shell))
}
