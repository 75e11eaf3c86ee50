//! `awsenv serve` (hidden): the per-shell credential server `use --server` starts; see
//! `server::shell`.

use anyhow::Result;

use crate::cli::ServeArgs;
use crate::context::Context;

pub fn run(ctx: &Context, args: ServeArgs) -> Result<()> {
    crate::server::shell::serve(ctx, &args.profile, (&args.resolve).into(), args.shell_pid)
}
