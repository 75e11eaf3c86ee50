//! One file per subcommand. Each reads the files, plans, resolves, and writes its output in
//! one piece at the end, so a failure never leaves half a script on stdout.

pub mod add;
pub mod allow;
pub mod clear;
pub mod completions;
pub mod exec;
pub mod export;
pub mod hook;
pub mod init;
pub mod list;
pub mod login;
pub mod man;
pub mod remove;
pub mod rotate;
pub mod sso;
pub mod status;
pub mod unset;
pub mod use_profile;

use std::io::Write;

use anyhow::{anyhow, Result};

use crate::cache::{FileCache, SessionCache};
use crate::cli::ResolveArgs;
use crate::config::Files;
use crate::creds::Credentials;
use crate::providers::Resolver;
use crate::resolve::{self, Env, Overrides, Plan};
use crate::store::cache::StoreCache;
use crate::store::{Settings, Store};

/// The profile named on the command line, else `$AWS_PROFILE`.
pub fn profile_name(given: Option<String>) -> Result<String> {
    given
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .ok_or_else(|| anyhow!("no profile given and AWS_PROFILE is not set; try `awsenv list`"))
}

/// Plans and resolves a profile: the one path every credential-printing command takes.
pub fn resolve_profile(name: &str, args: &ResolveArgs) -> Result<(Plan, Credentials)> {
    let files = Files::load()?;
    let overrides = Overrides {
        region: args.region.clone(),
        duration: args.duration,
    };
    let settings = Settings::load()?;
    let store = Store::open(settings.keys_backend())?;
    let stored = store.stored_keys()?;
    let plan = resolve::plan_with(&files, name, &overrides, &Env::from_process(), &stored)?;
    crate::debug!(
        "plan for `{name}`: source {}, {} role(s), MFA session: {}",
        describe_source(&plan),
        plan.hops.len(),
        plan.mfa_session.is_some()
    );
    let cache = if args.no_cache {
        None
    } else {
        Some(session_cache(settings, &store)?)
    };
    let resolver = Resolver::new(cache.as_deref(), args.mfa_token.clone()).with_store(&store);
    let creds = resolver.credentials(&plan)?;
    Ok((plan, creds))
}

/// Where sessions are cached: the store holding the keys when a backend is configured (one
/// setting for both), else the private file cache.
pub fn session_cache<'s>(
    settings: Settings,
    store: &'s Store,
) -> Result<Box<dyn SessionCache + 's>> {
    Ok(match settings.sessions_backend() {
        Some(_) => Box::new(StoreCache::new(store)),
        None => Box::new(FileCache::default_location()?),
    })
}

pub fn describe_source(plan: &Plan) -> String {
    use resolve::Source;
    match &plan.source {
        Source::Static { profile, .. } => format!("static keys of `{profile}`"),
        Source::Process { profile, .. } => format!("credential_process of `{profile}`"),
        Source::Stored { profile, .. } => format!("stored keys of `{profile}`"),
        Source::Sso { profile, .. } => format!("IAM Identity Center for `{profile}`"),
        Source::WebIdentity { profile, .. } => format!("web identity of `{profile}`"),
        Source::Environment => "environment".into(),
        Source::Ec2InstanceMetadata => "EC2 instance metadata".into(),
        Source::EcsContainer => "ECS container".into(),
    }
}

/// Writes all of `text` to stdout at once. A closed pipe (`awsenv list | head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
