//! `awsenv use PROFILE`: the script that loads a profile into the calling shell.

use anyhow::Result;

use crate::cli::UseArgs;
use crate::context::Context;
use crate::engine;
use crate::os::env;
use crate::shell::detect::calling_shell;
use crate::shell::vars;

pub fn run(ctx: &Context, args: UseArgs) -> Result<()> {
    let name = super::profile_name(ctx, args.profile)?;
    let shell = args.shell.unwrap_or_else(|| calling_shell(&ctx.env));
    let r = engine::resolve(ctx, &name, &(&args.resolve).into())?;
    let replaces = ctx.env.is_set(env::AWSENV_PROFILE);
    let changes = vars::load(
        &name,
        &r.creds,
        r.plan.region.as_deref(),
        r.plan.account_id(),
        replaces,
    );
    super::print(&shell.script(&changes))
}
