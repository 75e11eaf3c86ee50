//! `awsenv clear [PROFILE]`: delete cached sessions, so the next use asks STS (and MFA) again.

use anyhow::Result;

use crate::cli::ClearArgs;
use crate::context::Context;
use crate::creds::cache::SessionCache;

pub fn run(ctx: &Context, args: ClearArgs) -> Result<()> {
    let profile = args.profile.as_deref();
    let mut removed = ctx.session_cache()?.remove(profile)?;
    if ctx.settings()?.sessions_backend().is_some() {
        // Sessions cached in files before a backend was chosen go too.
        removed += ctx.file_cache()?.remove(profile)?;
    }
    match profile {
        Some(p) => eprintln!("awsenv: deleted {removed} cached session(s) of profile `{p}`"),
        None => eprintln!("awsenv: deleted {removed} cached session(s)"),
    }
    Ok(())
}
