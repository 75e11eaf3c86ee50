//! The pure middle of awsenv: a profile of the two files becomes a [`Plan`] — where the first
//! credentials come from, whether an MFA session is needed, and which roles to assume, in order.
//! No I/O and no network: everything it reads comes in through [`Inputs`].
//!
//! The rules are botocore's (the AWS CLI's), read from its credential providers:
//! - [`source`]: which credentials a profile provides by itself, in botocore's order
//!   (`login_session` included, also as the source of a role).
//! - [`chain`]: following `source_profile` (and `credential_source`) down to them.
//! - Long-term keys in awsenv's store (`awsenv add`) come before the credentials file's, wherever
//!   static keys would be used; a profile with stored keys needs no section in either file.
//!   Planning only knows *which* profiles have stored keys ([`StoredKeys`]); the secret is read
//!   when the plan is carried out.
//! - `mfa_serial` on a role whose source is long-term keys becomes one `GetSessionToken` call
//!   with MFA (as aws-vault does), so one code serves every role behind that user while it lasts.
//!
//! The planner's cases are written as data, a table of profiles in and plans out, in `cases.rs`.

#[cfg(test)]
mod cases;
mod chain;
mod error;
mod source;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

pub use error::PlanError;

use crate::config::endpoint::{self, Service};
use crate::config::sso_session::SsoSession;
use crate::config::{keys, Files, Profile};
use crate::creds::Secret;
use crate::os::env::{self, Env};

/// How long an MFA session lasts unless `AWSENV_MFA_SESSION_DURATION` says otherwise.
pub const DEFAULT_MFA_SESSION: Duration = Duration::from_secs(8 * 3600);
/// Region used for STS calls when no profile in the chain names one.
pub const FALLBACK_REGION: &str = "us-east-1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The profile asked for.
    pub profile: String,
    /// The region to export (`--region`, else the profile's `region`).
    pub region: Option<String>,
    pub source: Source,
    pub mfa_session: Option<MfaSession>,
    /// Roles to assume, first to last.
    pub hops: Vec<RoleHop>,
    /// Where STS is (None: the SDK's regional endpoint).
    pub sts_endpoint: Option<String>,
    /// Where the SSO portal is (None: the SDK's default).
    pub sso_endpoint: Option<String>,
}

impl Plan {
    /// True when carrying the plan out reads keys from the environment
    /// (`credential_source = Environment`).
    pub fn reads_env_keys(&self) -> bool {
        matches!(self.source, Source::Environment)
    }

    /// The account the plan's credentials belong to, when the files say it: the last role's
    /// ARN (`arn:aws:iam::ACCOUNT:role/…`), else the SSO account. None for keys of a user,
    /// whose account only STS could tell.
    pub fn account_id(&self) -> Option<&str> {
        fn arn_account(arn: &str) -> Option<&str> {
            let account = arn.split(':').nth(4)?;
            (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
        }
        match (self.hops.last(), &self.source) {
            (Some(hop), _) => arn_account(&hop.role_arn),
            (None, Source::WebIdentity { role_arn, .. }) => arn_account(role_arn),
            (None, Source::Sso { account_id, .. }) => Some(account_id.as_str()),
            (None, _) => None,
        }
    }
}

/// Where the first credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Static {
        profile: String,
        access_key_id: String,
        secret_access_key: Secret,
        session_token: Option<Secret>,
    },
    Process {
        profile: String,
        command: String,
    },
    /// Long-term keys in awsenv's store, read when the plan is carried out.
    Stored {
        profile: String,
        access_key_id: String,
    },
    Sso {
        profile: String,
        session: SsoSession,
        account_id: String,
        role_name: String,
    },
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
        region: String,
    },
    /// `login_session = ARN`: the keys `aws login` cached for a console sign-in, refreshed at
    /// the sign-in service when they run out.
    LoginSession {
        profile: String,
        session_arn: String,
        /// Where the sign-in service is asked, unless the cached session names its own region.
        region: String,
    },
    /// `credential_source` of a role profile.
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

impl Source {
    /// Long-term keys of an IAM user: the only credentials that may call GetSessionToken.
    pub fn is_long_term(&self) -> bool {
        matches!(
            self,
            Source::Static {
                session_token: None,
                ..
            } | Source::Stored { .. }
        )
    }

    /// The profile (or credential_source) the first credentials come from.
    pub fn origin(&self) -> &str {
        match self {
            Source::Static { profile, .. }
            | Source::Process { profile, .. }
            | Source::Stored { profile, .. }
            | Source::Sso { profile, .. }
            | Source::WebIdentity { profile, .. }
            | Source::LoginSession { profile, .. } => profile,
            Source::Environment => "Environment",
            Source::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            Source::EcsContainer => "EcsContainer",
        }
    }

    /// For messages and `--debug`.
    pub fn describe(&self) -> String {
        match self {
            Source::Static { profile, .. } => format!("static keys of `{profile}`"),
            Source::Process { profile, .. } => format!("credential_process of `{profile}`"),
            Source::Stored { profile, .. } => format!("stored keys of `{profile}`"),
            Source::Sso { profile, .. } => format!("IAM Identity Center for `{profile}`"),
            Source::WebIdentity { profile, .. } => format!("web identity of `{profile}`"),
            Source::LoginSession { profile, .. } => format!("console sign-in of `{profile}`"),
            Source::Environment => "environment".into(),
            Source::Ec2InstanceMetadata => "EC2 instance metadata".into(),
            Source::EcsContainer => "ECS container".into(),
        }
    }
}

/// A `GetSessionToken` call with MFA, made with long-term keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSession {
    pub mfa: Mfa,
    pub duration: Duration,
    pub region: String,
}

/// An MFA device and how to get a code for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mfa {
    /// The profile whose `mfa_serial` this is (named in prompts).
    pub profile: String,
    pub serial: String,
    /// A command printing a code (`mfa_process`, as in aws-vault), instead of asking.
    pub process: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleHop {
    pub profile: String,
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
    /// MFA passed to this AssumeRole call itself (when no MFA session could carry it).
    pub mfa: Option<Mfa>,
    pub region: String,
}

/// Settings from the command line that change the plan.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub region: Option<String>,
    /// Duration of the last role (or of the MFA session when there is no role).
    pub duration: Option<Duration>,
}

/// The profiles whose long-term keys are in awsenv's store, with their access key ids (not
/// secret): the planner's whole view of the store.
#[derive(Debug, Clone, Default)]
pub struct StoredKeys {
    backend: &'static str,
    keys: BTreeMap<String, String>,
}

impl StoredKeys {
    pub fn new(backend: &'static str, keys: BTreeMap<String, String>) -> StoredKeys {
        StoredKeys { backend, keys }
    }

    pub fn access_key_id(&self, profile: &str) -> Option<&str> {
        self.keys.get(profile).map(String::as_str)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The name of the store (`keyring`, `file`).
    pub fn backend(&self) -> &'static str {
        self.backend
    }
}

/// Everything planning reads.
pub struct Inputs<'a> {
    pub files: &'a Files,
    pub stored: &'a StoredKeys,
    pub env: &'a Env,
}

/// Builds the plan for `name`.
pub fn plan(inp: &Inputs<'_>, name: &str, overrides: &Overrides) -> Result<Plan, PlanError> {
    // A profile known only to the store is a profile with keys and no settings.
    let target: Cow<'_, Profile> = match inp.files.profile(name)? {
        Some(p) => Cow::Borrowed(p),
        None if inp.stored.access_key_id(name).is_some() => Cow::Owned(Profile::named(name)),
        None => return Err(unknown(inp.files, name)),
    };
    let target = target.as_ref();
    let region = overrides
        .region
        .clone()
        .or_else(|| target.get(keys::REGION).map(str::to_string));
    let default_region = region.clone().unwrap_or_else(|| FALLBACK_REGION.into());
    let hop_region = |p: &Profile| {
        p.get(keys::REGION)
            .map(str::to_string)
            .unwrap_or_else(|| default_region.clone())
    };

    let walk = chain::walk(inp, target, &hop_region)?;
    let mut hops = (0..walk.roles)
        .map(|i| chain::role_hop(inp, &walk.visited[i..], &hop_region))
        .collect::<Result<Vec<_>, _>>()?;
    hops.reverse();

    // MFA: one GetSessionToken in front of the first role when the source is long-term keys;
    // otherwise each role passes its own code. A profile with keys and mfa_serial but no role
    // gets an MFA session of its own.
    let mut mfa_session = None;
    if walk.source.is_long_term() {
        let owner = walk.roles.saturating_sub(1);
        if let Some(mfa) = chain::mfa_of(&walk.visited[owner..]) {
            if let Some(first) = hops.first_mut() {
                first.mfa = None;
            }
            mfa_session = Some(MfaSession {
                mfa,
                duration: mfa_session_duration(inp, target)?,
                region: hop_region(walk.visited[owner]),
            });
        }
    }
    if let Some(d) = overrides.duration {
        match (hops.last_mut(), mfa_session.as_mut()) {
            (Some(last), _) => last.duration = Some(d),
            (None, Some(session)) => session.duration = d,
            (None, None) => {}
        }
    }
    let at = |service| endpoint::endpoint(Some(inp.files), Some(target), service, inp.env);
    Ok(Plan {
        profile: name.to_string(),
        region,
        source: walk.source,
        mfa_session,
        hops,
        sts_endpoint: at(Service::Sts)?,
        sso_endpoint: at(Service::Sso)?,
    })
}

fn unknown(files: &Files, name: &str) -> PlanError {
    PlanError::UnknownProfile {
        name: name.to_string(),
        config: files.config.path.display().to_string(),
        credentials: files.credentials.path.display().to_string(),
        suggestions: files.similar_names(name),
    }
}

fn mfa_session_duration(inp: &Inputs<'_>, target: &Profile) -> Result<Duration, PlanError> {
    match inp.env.get(env::MFA_SESSION_DURATION) {
        None => Ok(DEFAULT_MFA_SESSION),
        Some(v) => parse_duration(v).ok_or_else(|| PlanError::Invalid {
            profile: target.name.clone(),
            problem: format!("AWSENV_MFA_SESSION_DURATION `{v}` is not a duration like 8h or 3600"),
            at: inp.files.location(target, keys::MFA_SERIAL),
        }),
    }
}

/// `3600`, `90m`, `1h30m`, `12h`: bare numbers are seconds, as in `duration_seconds`.
pub fn parse_duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    humantime::parse_duration(v).ok()
}

#[cfg(test)]
mod account_tests {
    use super::*;
    use crate::config::from_strs;

    fn account(config: &str, name: &str) -> Option<String> {
        let files = from_strs(
            config,
            "[user]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
        );
        let inputs = Inputs {
            files: &files,
            stored: &StoredKeys::default(),
            env: &Env::default(),
        };
        let plan = plan(&inputs, name, &Overrides::default()).unwrap();
        plan.account_id().map(str::to_string)
    }

    #[test]
    fn the_account_is_the_last_roles_or_the_sso_accounts() {
        let config = "\
[profile one]
role_arn = arn:aws:iam::111111111111:role/one
source_profile = user
[profile two]
role_arn = arn:aws:iam::222222222222:role/two
source_profile = one
[profile odd]
role_arn = arn:aws:iam::12:role/short
source_profile = user
[profile wi]
role_arn = arn:aws:iam::333333333333:role/wi
web_identity_token_file = /tmp/token
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
[profile sso]
sso_session = corp
sso_account_id = 444444444444
sso_role_name = Admin
";
        assert_eq!(account(config, "two").as_deref(), Some("222222222222"));
        assert_eq!(account(config, "wi").as_deref(), Some("333333333333"));
        assert_eq!(account(config, "sso").as_deref(), Some("444444444444"));
        // Keys of a user, and an ARN whose account is not 12 digits: unknown.
        assert_eq!(account(config, "user"), None);
        assert_eq!(account(config, "odd"), None);
    }
}
