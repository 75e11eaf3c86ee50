//! `awsenv clear [PROFILE]`: delete cached sessions, so the next use asks STS (and MFA) again.

use anyhow::Result;

use crate::cache::{FileCache, SessionCache};
use crate::cli::ClearArgs;
use crate::store::{Settings, Store};

pub fn run(args: ClearArgs) -> Result<()> {
    let profile = args.profile.as_deref();
    let settings = Settings::load()?;
    let store = Store::open(settings.keys_backend())?;
    let mut removed = super::session_cache(settings, &store)?.remove(profile)?;
    if settings.sessions_backend().is_some() {
        // Sessions cached in files before a backend was chosen go too.
        removed += FileCache::default_location()?.remove(profile)?;
    }
    match profile {
        Some(p) => eprintln!("awsenv: deleted {removed} cached session(s) of profile `{p}`"),
        None => eprintln!("awsenv: deleted {removed} cached session(s)"),
    }
    Ok(())
}
