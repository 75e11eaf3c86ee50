//! `awsenv unset`: the script that removes every variable `use` sets, and nothing else.

use anyhow::Result;

use crate::cli::UnsetArgs;
use crate::context::Context;
use crate::shell::detect::calling_shell;
use crate::shell::vars;

pub fn run(ctx: &Context, args: UnsetArgs) -> Result<()> {
    let shell = args.shell.unwrap_or_else(|| calling_shell(&ctx.env));
    super::print(&shell.script(&vars::unload()))
}
