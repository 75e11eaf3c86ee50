//! `awsenv unset`: the script that removes every variable `use` sets, and nothing else; and the
//! shell's credential server (`use --server`), stopped.

use anyhow::Result;

use crate::cli::UnsetArgs;
use crate::context::Context;
use crate::shell::detect::calling_shell;
use crate::shell::{vars, Change};

pub fn run(ctx: &Context, args: UnsetArgs) -> Result<()> {
    super::not_to_a_terminal("unset")?;
    let shell = args.shell.unwrap_or_else(|| calling_shell(&ctx.env));
    let mut changes = vars::unload();
    if super::use_profile::stop_server(ctx) {
        changes.splice(0..0, vars::SERVER_VARS.iter().map(|n| Change::unset(n)));
    }
    super::print(&shell.script(&changes)?)
}
