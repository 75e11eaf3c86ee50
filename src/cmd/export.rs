//! `awsenv export PROFILE --format F`: the credentials alone (see `shell::export`).

use anyhow::{Context as _, Result};

use crate::cli::ExportArgs;
use crate::context::Context;
use crate::engine;
use crate::shell::export::render;

pub fn run(ctx: &Context, args: ExportArgs) -> Result<()> {
    let name = super::profile_name(ctx, args.profile)?;
    let resolved = engine::resolve(ctx, &name, &(&args.resolve).into())?;
    let text = render(args.format, &resolved.creds).with_context(|| format!("profile `{name}`"))?;
    super::print(&text)
}
