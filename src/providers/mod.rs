//! Running a [`Plan`]: get the source credentials, then the MFA session, then each role, in
//! order. Each temporary result is cached; a run starts from the latest step still cached, so a
//! cached role needs no network at all and a cached MFA session needs no code.
//!
//! The sources that are not STS calls have a file each: [`process`] (credential_process),
//! [`mfa`] (codes), [`sso_token`] (IAM Identity Center sign-ins), [`login_token`] (`aws login`
//! console sessions), run through [`command`]; [`fingerprint`] says what names a source in the
//! cache keys.

pub mod command;
mod fingerprint;
pub mod login_token;
pub mod mfa;
pub mod process;
pub mod sso_pkce;
pub mod sso_token;

use std::cell::{Cell, OnceCell};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use time::OffsetDateTime;

use crate::aws::{self, CallError, Deadline, Network};
use crate::config::endpoint::{self, Service};
use crate::context::Context;
use crate::creds::cache::{CacheKey, Entry, SessionCache, SessionKind};
use crate::creds::lock;
use crate::creds::{Credentials, Secret};
use crate::os::log::debug;
use crate::plan::{MfaSession, Plan, RoleHop, Source};
use crate::store::settings;
use fingerprint::{source_fingerprint, source_kind};
use mfa::CodeSource;

pub struct Runner<'a> {
    ctx: &'a Context,
    cache: Option<&'a dyn SessionCache>,
    codes: CodeSource,
    net: OnceCell<Network>,
    /// Started with the runner: the network part of the whole run fits in it.
    deadline: Deadline,
    /// Where the single-flight locks are (beside the sessions); None without a cache.
    locks: Option<PathBuf>,
    /// A cache that cannot be written has been reported.
    warned: Cell<bool>,
    /// The profile asked for: its settings say how the network reaches AWS (as botocore
    /// takes them from the session's profile for every call of a chain).
    target: std::cell::RefCell<Option<String>>,
}

/// How `profile`'s calls reach AWS (None: the environment alone): variants, retries, proxies,
/// CAs, from the environment and the profile, as botocore reads them.
pub fn reach_of(ctx: &Context, profile: Option<&str>) -> Result<aws::Reach> {
    let files = ctx.files()?;
    let p = match profile {
        Some(name) => files.profile(name)?,
        None => None,
    };
    crate::config::reach::reach(Some(files), p, &ctx.env)
}

/// How long a run waits, beyond its deadline, for another run that is asking a person for an
/// MFA code: time to find the device and type six digits.
const PERSON_TIME: Duration = Duration::from_secs(90);

enum Step<'p> {
    Source,
    Mfa(&'p MfaSession),
    Hop(&'p RoleHop),
}

/// Why running the steps stopped.
enum Failed {
    /// STS refused credentials that came from the cache entry of step `used`.
    Revoked {
        used: usize,
        error: anyhow::Error,
    },
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failed {
    fn from(e: anyhow::Error) -> Failed {
        Failed::Other(e)
    }
}

impl<'a> Runner<'a> {
    pub fn new(
        ctx: &'a Context,
        cache: Option<&'a dyn SessionCache>,
        mfa_token: Option<String>,
    ) -> Runner<'a> {
        // A bad setting is reported by `credentials`; the deadline starts here either way.
        let budget = ctx
            .settings()
            .map(|s| s.deadline())
            .unwrap_or(settings::DEFAULT_DEADLINE);
        Runner {
            ctx,
            cache,
            codes: CodeSource::new(mfa_token),
            net: OnceCell::new(),
            deadline: Deadline::new(budget, settings::DEADLINE_ADVICE),
            locks: cache.map(|c| c.lock_dir()),
            warned: Cell::new(false),
            target: std::cell::RefCell::new(None),
        }
    }

    fn net(&self) -> Result<&Network> {
        if let Some(n) = self.net.get() {
            return Ok(n);
        }
        debug!("starting the network client");
        let target = self.target.borrow().clone();
        let n = Network::with_deadline(
            self.deadline.clone(),
            reach_of(self.ctx, target.as_deref())?,
        )?;
        Ok(self.net.get_or_init(|| n))
    }

    /// The network, its calls now made for `profile` (named when one is slow to answer).
    fn net_for(&self, profile: &str) -> Result<&Network> {
        let n = self.net()?;
        n.set_profile(profile);
        Ok(n)
    }

    /// The credentials the plan ends on. A cached session that STS says was revoked is dropped
    /// and the plan run again, once: from the step before it, so a code is asked for only when
    /// the MFA session itself is gone.
    pub fn credentials(&self, plan: &Plan) -> Result<Credentials> {
        self.ctx.settings()?;
        if self.net.get().is_none() {
            *self.target.borrow_mut() = Some(plan.profile.clone());
        }
        let mut steps = vec![Step::Source];
        if let Some(m) = &plan.mfa_session {
            steps.push(Step::Mfa(m));
        }
        steps.extend(plan.hops.iter().map(Step::Hop));

        // keys[i] identifies the credentials after step i.
        let mut parts = source_fingerprint(plan, &self.ctx.env);
        let mut keys = Vec::with_capacity(steps.len());
        for step in &steps {
            match step {
                Step::Source => {}
                Step::Mfa(m) => parts.extend([
                    "mfa".to_string(),
                    m.mfa.serial.clone(),
                    m.duration.as_secs().to_string(),
                    m.region.clone(),
                ]),
                Step::Hop(h) => parts.extend([
                    "role".to_string(),
                    h.role_arn.clone(),
                    h.session_name.clone().unwrap_or_default(),
                    h.external_id.clone().unwrap_or_default(),
                    h.duration.map(|d| d.as_secs()).unwrap_or(0).to_string(),
                    h.mfa.as_ref().map(|m| m.serial.clone()).unwrap_or_default(),
                    h.region.clone(),
                ]),
            }
            keys.push(CacheKey::from_parts(&parts));
        }

        match self.run_steps(plan, &steps, &keys) {
            Ok(c) => Ok(c),
            Err(Failed::Other(e)) => Err(e),
            Err(Failed::Revoked { used, error }) => {
                let Some(cache) = self.cache else {
                    return Err(error);
                };
                debug!(
                    "the cached session of step {used} was refused ({error:#}); resolving again"
                );
                cache.forget(&keys[used])?;
                self.run_steps(plan, &steps, &keys).map_err(|f| match f {
                    Failed::Revoked { error, .. } | Failed::Other(error) => error,
                })
            }
        }
    }

    fn run_steps(
        &self,
        plan: &Plan,
        steps: &[Step<'_>],
        keys: &[CacheKey],
    ) -> Result<Credentials, Failed> {
        // Start after the last step whose result is cached.
        let mut start = 0;
        let mut creds = None;
        // The step whose cache entry `creds` came from.
        let mut from_cache = None;
        if let Some(cache) = self.cache {
            for i in (0..steps.len()).rev() {
                if !cacheable(plan, &steps[i]) {
                    continue;
                }
                if let Some(hit) = cache.get(&keys[i]) {
                    debug!(
                        "cache hit: {:?} session of profile `{}`",
                        hit.kind, hit.profile
                    );
                    creds = Some(hit.credentials);
                    from_cache = Some(i);
                    start = i + 1;
                    break;
                }
            }
        }

        for (i, step) in steps.iter().enumerate().skip(start) {
            // Held until the result is in the cache: runs that need the same session wait here,
            // then find it there.
            let _lock = match self.single_flight(plan, step, &keys[i])? {
                Some((held, waited)) => {
                    if let Some(hit) = self.cache.and_then(|c| c.get(&keys[i])) {
                        debug!(
                            "another run made the {:?} session of `{}`",
                            hit.kind, hit.profile
                        );
                        // Its time was not ours: our calls still get the whole deadline.
                        self.deadline.extend(waited);
                        creds = Some(hit.credentials);
                        from_cache = Some(i);
                        continue;
                    }
                    Some(held)
                }
                None => None,
            };
            let (next, kind, owner) = match self.step(plan, step, creds.as_ref()) {
                Ok(done) => done,
                Err(error) => {
                    return Err(match from_cache {
                        Some(used) if i == used + 1 && aws::is_revoked(&error) => {
                            Failed::Revoked { used, error }
                        }
                        _ => Failed::Other(error),
                    })
                }
            };
            if let (Some(cache), Some(kind), Some(_)) = (self.cache, kind, next.expiration) {
                let entry = Entry {
                    profile: owner,
                    kind,
                    credentials: next.clone(),
                };
                if let Err(e) = cache.put(&keys[i], &entry) {
                    // A cache that cannot be written costs a later call, not this one; said
                    // once per run, not once per step.
                    if !self.warned.replace(true) {
                        eprintln!("awsenv: warning: {e:#}");
                    }
                }
            }
            creds = Some(next);
            from_cache = None;
        }
        Ok(creds.context("the plan produced no credentials")?)
    }

    /// The single-flight lock of a step that makes a session, and how long it took to get.
    /// None when the step makes nothing cacheable, or the lock cannot be had (an unusable cache
    /// location: the run goes on alone, and the cache reports the problem once).
    fn single_flight(
        &self,
        plan: &Plan,
        step: &Step<'_>,
        key: &CacheKey,
    ) -> Result<Option<(lock::Held, Duration)>> {
        let Some(locks) = &self.locks else {
            return Ok(None);
        };
        if !cacheable(plan, step) {
            return Ok(None);
        }
        let (profile, asks_code) = match step {
            Step::Source => (plan.profile.as_str(), false),
            Step::Mfa(m) => (m.mfa.profile.as_str(), true),
            Step::Hop(h) => (h.profile.as_str(), h.mfa.is_some()),
        };
        let wait = self.deadline.remaining()
            + if asks_code {
                PERSON_TIME
            } else {
                Duration::ZERO
            };
        let began = Instant::now();
        match lock::session(locks, key, wait) {
            Ok(Some(held)) => Ok(Some((held, began.elapsed()))),
            Ok(None) => bail!(
                "profile `{profile}`: another awsenv run has been getting this session for {} s and is not done; try again when it is",
                wait.as_secs()
            ),
            Err(e) => {
                debug!("going on without the single-flight lock: {e:#}");
                Ok(None)
            }
        }
    }

    /// Runs one step on the credentials of the step before: what it made, the kind of session
    /// to cache it as (None: not cached), and the profile it belongs to.
    fn step(
        &self,
        plan: &Plan,
        step: &Step<'_>,
        creds: Option<&Credentials>,
    ) -> Result<(Credentials, Option<SessionKind>, String)> {
        Ok(match step {
            Step::Source => {
                let began = Instant::now();
                let c = self.source(plan)?;
                // A credential_process (awsenv itself, aws-vault, a password manager) or a
                // key store may be waiting for a person: that time is not the network's.
                if matches!(plan.source, Source::Process { .. } | Source::Stored { .. }) {
                    self.deadline.extend(began.elapsed());
                }
                (c, source_kind(&plan.source), plan.profile.clone())
            }
            Step::Mfa(m) => {
                let source = creds.context("MFA session without source credentials")?;
                let code = self.code_for(&m.mfa, &m.region, plan)?;
                debug!(
                    "GetSessionToken for profile `{}` with MFA device {}",
                    m.mfa.profile, m.mfa.serial
                );
                let c = self
                    .net_for(&m.mfa.profile)?
                    .get_session_token(
                        source,
                        &m.region,
                        plan.sts_endpoint.as_deref(),
                        &m.mfa.serial,
                        &code,
                        m.duration,
                    )
                    .map_err(|e| CallError::in_profile(e, &m.mfa.profile))?;
                (c, Some(SessionKind::MfaSession), m.mfa.profile.clone())
            }
            Step::Hop(h) => {
                let source = creds.context("role without source credentials")?;
                let code = match &h.mfa {
                    Some(m) => Some(self.code_for(m, &h.region, plan)?),
                    None => None,
                };
                let session_name = h.session_name.clone().unwrap_or_else(default_session_name);
                debug!(
                    "AssumeRole {} for profile `{}` (session {session_name})",
                    h.role_arn, h.profile
                );
                let c = self
                    .net_for(&h.profile)?
                    .assume_role(
                        source,
                        &h.region,
                        plan.sts_endpoint.as_deref(),
                        &h.role_arn,
                        &session_name,
                        h.external_id.as_deref(),
                        h.duration,
                        h.mfa
                            .as_ref()
                            .map(|m| m.serial.as_str())
                            .zip(code.as_deref()),
                    )
                    .map_err(|e| CallError::in_profile(e, &h.profile))?;
                (c, Some(SessionKind::Role), h.profile.clone())
            }
        })
    }

    /// An MFA code, asked only when there is time left to use it; the time a person takes does
    /// not count against the deadline.
    fn code_for(&self, mfa: &crate::plan::Mfa, region: &str, plan: &Plan) -> Result<String> {
        let net = self.net()?;
        let endpoint = net.sts_at(region, plan.sts_endpoint.as_deref());
        net.check_time(&format!("profile `{}`: STS", mfa.profile), &endpoint)?;
        let began = Instant::now();
        let code = self.codes.code_for(mfa);
        self.deadline.extend(began.elapsed());
        code
    }

    fn source(&self, plan: &Plan) -> Result<Credentials> {
        match &plan.source {
            Source::Static {
                profile,
                access_key_id,
                secret_access_key,
                session_token,
            } => Ok(Credentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: session_token.clone(),
                expiration: None,
                account_id: self.account_in_files(profile)?,
            }),
            Source::Process { profile, command } => process::run(profile, command),
            Source::Stored { profile, .. } => {
                let store = self.ctx.store()?;
                debug!(
                    "long-term keys of `{profile}` from the {}",
                    store.kind().describe()
                );
                let mut keys = store
                    .keys(profile)
                    .with_context(|| format!("profile `{profile}`"))?
                    .with_context(|| {
                        format!(
                            "profile `{profile}`: the {} lists its keys but does not hold them; store them again with `awsenv add {profile} --force`",
                            store.kind().describe()
                        )
                    })?;
                if keys.account_id.is_none() {
                    keys.account_id = self.account_in_files(profile)?;
                }
                Ok(keys)
            }
            Source::Sso {
                profile,
                session,
                account_id,
                role_name,
            } => {
                let tokens = self.token_cache(profile)?;
                // One refresh of a sign-in for all the runs that need it at once (each role has
                // its own lock; this one is the sign-in's): the others wait, then read the
                // refreshed token. A lock not had in time: refresh alone rather than fail.
                let key = tokens.lock_key(session.cache_key());
                let _lock = self.locks.as_ref().and_then(|l| {
                    lock::session(l, &key, self.deadline.remaining())
                        .inspect_err(|e| debug!("no lock for the sign-in: {e:#}"))
                        .ok()
                        .flatten()
                });
                let token =
                    sso_token::access_token(&tokens, || self.net_for(profile), profile, session)?;
                debug!("GetRoleCredentials {role_name} in {account_id} for profile `{profile}`");
                crate::aws::sso::role_credentials(
                    self.net_for(profile)?,
                    profile,
                    &token,
                    &session.region,
                    plan.sso_endpoint.as_deref(),
                    account_id,
                    role_name,
                )
            }
            Source::WebIdentity {
                profile,
                role_arn,
                token_file,
                session_name,
                region,
            } => {
                let token = std::fs::read_to_string(token_file).with_context(|| {
                    format!("profile `{profile}`: cannot read web_identity_token_file {token_file}")
                })?;
                let session_name = session_name.clone().unwrap_or_else(default_session_name);
                debug!("AssumeRoleWithWebIdentity {role_arn} for profile `{profile}`");
                self.net_for(profile)?
                    .assume_role_with_web_identity(
                        region,
                        plan.sts_endpoint.as_deref(),
                        role_arn,
                        &session_name,
                        token.trim(),
                    )
                    .with_context(|| format!("profile `{profile}`"))
            }
            Source::LoginSession {
                profile,
                session_arn,
                region,
            } => {
                let cache = self.login_cache(profile)?;
                // One refresh of a console session for all the runs that need it at once, as
                // for an SSO sign-in: each refresh spends the refresh token, and a service that
                // detects a replayed one may revoke the whole session.
                let key = crate::creds::cache::CacheKey::from_parts(&[
                    "login-session",
                    &cache.path(session_arn).to_string_lossy(),
                ]);
                let _lock = self.locks.as_ref().and_then(|l| {
                    lock::session(l, &key, self.deadline.remaining())
                        .inspect_err(|e| debug!("no lock for the console session: {e:#}"))
                        .ok()
                        .flatten()
                });
                login_token::credentials(
                    &cache,
                    || self.net_for(profile),
                    profile,
                    session_arn,
                    region,
                )
            }
            Source::Environment => from_environment(&self.ctx.env, &plan.profile),
            Source::Ec2InstanceMetadata | Source::EcsContainer => self.container_or_instance(plan),
        }
    }

    /// The `aws_account_id` the files give `profile`'s keys: botocore 1.44 reads it in the
    /// section (of the credentials or the config file) the keys came from, so one in the other
    /// file does not count. Keys in awsenv's store take it from either file.
    fn account_in_files(&self, profile: &str) -> Result<Option<String>> {
        use crate::config::keys;
        let files = self.ctx.files()?;
        let Some(p) = files.profile(profile)? else {
            return Ok(None);
        };
        let keys_in = p.setting(keys::ACCESS_KEY_ID).map(|s| s.file);
        Ok(p.setting(keys::AWS_ACCOUNT_ID)
            .filter(|a| keys_in.is_none_or(|f| f == a.file))
            .map(|a| a.value.to_string()))
    }

    /// Where IAM Identity Center tokens are, and the OIDC endpoint that refreshes them.
    fn token_cache(&self, profile: &str) -> Result<sso_token::TokenCache> {
        Ok(sso_token::TokenCache {
            dir: crate::os::dirs::sso_cache(&self.ctx.env),
            oidc_endpoint: self.endpoint_of(profile, Service::SsoOidc)?,
        })
    }

    /// Where `aws login` sessions are, and the sign-in endpoint configured for the profile.
    fn login_cache(&self, profile: &str) -> Result<login_token::LoginCache> {
        Ok(login_token::LoginCache {
            dir: crate::os::dirs::login_cache(&self.ctx.env),
            endpoint: self.endpoint_of(profile, Service::Signin)?,
        })
    }

    /// Where `service` is for `profile`, by the SDKs' rules.
    fn endpoint_of(&self, profile: &str, service: Service) -> Result<Option<String>> {
        let files = self.ctx.files()?;
        Ok(endpoint::endpoint(
            Some(files),
            files.profile(profile)?,
            service,
            &self.ctx.env,
        )?)
    }

    fn container_or_instance(&self, plan: &Plan) -> Result<Credentials> {
        use aws_credential_types::provider::ProvideCredentials;
        let net = self.net_for(&plan.profile)?;
        let pc = aws_config::provider_config::ProviderConfig::without_region()
            .with_http_client(net.http_client());
        let (what, endpoint) = match plan.source {
            Source::EcsContainer => ("the ECS container", "the container credentials endpoint"),
            _ => (
                "the EC2 instance metadata service",
                "http://169.254.169.254",
            ),
        };
        // The profile is named by the error below (and the notice of a slow answer).
        let step = format!("credentials from {what}");
        let in_profile = |e: anyhow::Error| e.context(format!("profile `{}`", plan.profile));
        let result = match plan.source {
            Source::EcsContainer => {
                let p = aws_config::ecs::EcsCredentialsProvider::builder()
                    .configure(&pc)
                    .build();
                net.bounded(
                    &step,
                    endpoint,
                    Duration::from_secs(20),
                    p.provide_credentials(),
                )
                .map_err(in_profile)?
            }
            _ => {
                let p = aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&pc)
                    .build();
                net.bounded(
                    &step,
                    endpoint,
                    Duration::from_secs(20),
                    p.provide_credentials(),
                )
                .map_err(in_profile)?
            }
        };
        // The SDK's error says only that loading failed; its source says why.
        let c = result.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "profile `{}`: no credentials from {what}",
                plan.profile
            ))
        })?;
        Ok(Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: c.session_token().map(Secret::new),
            expiration: c.expiry().map(OffsetDateTime::from),
            account_id: None,
        })
    }
}

fn cacheable(plan: &Plan, step: &Step<'_>) -> bool {
    match step {
        Step::Source => source_kind(&plan.source).is_some(),
        Step::Mfa(_) | Step::Hop(_) => true,
    }
}

fn default_session_name() -> String {
    format!("awsenv-{}", OffsetDateTime::now_utc().unix_timestamp())
}

fn from_environment(env: &crate::os::env::Env, profile: &str) -> Result<Credentials> {
    Credentials::from_env(env).ok_or_else(|| {
        anyhow!(
            "profile `{profile}` uses credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
        )
    })
}
