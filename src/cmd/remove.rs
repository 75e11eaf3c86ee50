//! `awsenv remove PROFILE`: delete the stored keys of a profile and its cached sessions.

use anyhow::{bail, Context as _, Result};

use crate::cli::RemoveArgs;
use crate::context::Context;

pub fn run(ctx: &Context, args: RemoveArgs) -> Result<()> {
    let profile = args.profile.as_str();
    let store = ctx.store()?;
    let place = store.kind().describe();
    let Some(id) = ctx
        .stored_keys()?
        .access_key_id(profile)
        .map(str::to_string)
    else {
        bail!("profile `{profile}` has no keys in the {place}; `awsenv list --long` shows what is stored");
    };
    if !args.force {
        let question = format!("Delete the keys of profile `{profile}` ({id}) from the {place}?");
        if !crate::os::tty::confirm(&question, "pass --force to delete without asking")? {
            bail!("profile `{profile}`: nothing was deleted");
        }
    }
    store
        .delete_keys(profile)
        .with_context(|| format!("profile `{profile}`: cannot delete the keys"))?;
    let sessions = ctx
        .session_cache()?
        .remove(Some(profile))
        .with_context(|| {
            format!("profile `{profile}`: deleted the keys, but not its cached sessions")
        })?;
    eprintln!(
        "awsenv: deleted the keys of profile `{profile}` ({id}) and {sessions} cached session(s)"
    );
    Ok(())
}
