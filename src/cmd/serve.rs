//! `awsenv serve` (hidden): the per-shell credential server `use --server` starts; see
//! `server::shell`.

use anyhow::Result;

use crate::cli::ServeArgs;
use crate::context::Context;

pub fn run(ctx: &Context, args: ServeArgs) -> Result<()> {
    // It holds credentials for as long as its shell lives.
    crate::os::dumps::no_core_files();
    crate::server::shell::serve(ctx, &args.profile, (&args.resolve).into(), args.shell_pid)
}
