//! The one entry into the credential engine: plan a profile from the files ([`crate::plan`]),
//! then run the plan over the AWS clients ([`crate::providers`]). Every command that needs
//! credentials — use, exec, export, login, the hook, rotate, list, status — comes through here,
//! with the run's [`Context`], so they cannot disagree about what a profile means.

use std::time::Duration;

use anyhow::Result;
use time::OffsetDateTime;

use crate::context::Context;
use crate::creds::cache::{CacheKey, Entry, SessionCache};
use crate::creds::Credentials;
use crate::os::log::debug;
use crate::plan::{self, Inputs, Overrides, Plan};
use crate::providers::Runner;

/// How to resolve, as the command line (or a marker) asks.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Region to export instead of the profile's `region`.
    pub region: Option<String>,
    /// Lifetime of the last role (or of the MFA session when there is no role).
    pub duration: Option<Duration>,
    /// An MFA code given up front, used once.
    pub mfa_token: Option<String>,
    /// Neither read nor write cached sessions.
    pub no_cache: bool,
    /// Skip cached sessions with less than this left (the credential server hands out nothing
    /// that the SDKs would refresh at once); None: the cache's own margin.
    pub fresh_for: Option<Duration>,
}

/// A plan and the credentials it ended on.
pub struct Resolved {
    pub plan: Plan,
    pub creds: Credentials,
}

/// The plan for `name`: pure, no secret read, no network.
pub fn plan(ctx: &Context, name: &str, opts: &Options) -> Result<Plan> {
    let inputs = Inputs {
        files: ctx.files()?,
        stored: ctx.stored_keys()?,
        env: &ctx.env,
    };
    let overrides = Overrides {
        region: opts.region.clone(),
        duration: opts.duration,
    };
    let plan = plan::plan(&inputs, name, &overrides)?;
    debug!(
        "plan for `{name}`: source {}, {} role(s), MFA session: {}",
        plan.source.describe(),
        plan.hops.len(),
        plan.mfa_session.is_some()
    );
    Ok(plan)
}

/// Carries out `plan`: the source, the MFA session, each role, through the session cache.
pub fn run(ctx: &Context, plan: &Plan, opts: &Options) -> Result<Credentials> {
    let cache = if opts.no_cache {
        None
    } else {
        Some(ctx.session_cache()?)
    };
    let fresher = match (&cache, opts.fresh_for) {
        (Some(c), Some(d)) => Some(FreshFor(c.as_ref(), d)),
        _ => None,
    };
    let cache: Option<&dyn SessionCache> = match &fresher {
        Some(f) => Some(f),
        None => cache.as_deref(),
    };
    Runner::new(ctx, cache, opts.mfa_token.clone()).credentials(plan)
}

/// A cache that hides entries with less than `.1` left; writes go through.
struct FreshFor<'c>(&'c dyn SessionCache, Duration);

impl SessionCache for FreshFor<'_> {
    fn get(&self, key: &CacheKey) -> Option<Entry> {
        let margin = time::Duration::try_from(self.1).unwrap_or(time::Duration::MAX);
        self.0.get(key).filter(|e| {
            !e.credentials
                .expires_within(OffsetDateTime::now_utc(), margin)
        })
    }
    fn put(&self, key: &CacheKey, entry: &Entry) -> Result<()> {
        self.0.put(key, entry)
    }
    fn entries(&self) -> Vec<Entry> {
        self.0.entries()
    }
    fn remove(&self, profile: Option<&str>) -> Result<usize> {
        self.0.remove(profile)
    }
    fn forget(&self, key: &CacheKey) -> Result<()> {
        self.0.forget(key)
    }
    fn lock_dir(&self) -> std::path::PathBuf {
        self.0.lock_dir()
    }
}

/// Plans and runs: the credentials of profile `name`.
pub fn resolve(ctx: &Context, name: &str, opts: &Options) -> Result<Resolved> {
    let plan = plan(ctx, name, opts)?;
    let creds = run(ctx, &plan, opts)?;
    Ok(Resolved { plan, creds })
}
