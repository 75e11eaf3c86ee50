//! `awsenv completions SHELL`: the tab-completion script for a shell (see `complete`).

use anyhow::Result;

use crate::cli::CompletionsArgs;
use crate::complete;

pub fn run(args: CompletionsArgs) -> Result<()> {
    super::print(&complete::script(args.shell))
}
