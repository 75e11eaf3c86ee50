//! `awsenv unset`: the script that removes every variable `use` sets, and nothing else.

use anyhow::Result;

use crate::cli::UnsetArgs;
use crate::shell::detect::calling_shell;
use crate::vars;

pub fn run(args: UnsetArgs) -> Result<()> {
    let shell = args.shell.unwrap_or_else(calling_shell);
    super::print(&shell.script(&vars::unload()))
}
