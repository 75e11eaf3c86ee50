//! Turning a profile into a [`Plan`]: where the first credentials come from, whether an MFA
//! session is needed, and which roles to assume, in order. Pure: no I/O, no network.
//!
//! The rules are botocore's (the AWS CLI's), read from its credential providers:
//! - For the profile asked for: `role_arn` (without `web_identity_token_file`) → assume role;
//!   `role_arn` + `web_identity_token_file` → web identity; any `sso_*` key → IAM Identity Center;
//!   then static keys from the credentials file; then `credential_process`; then static keys from
//!   the config file.
//! - For a `source_profile`: static keys win over its own `role_arn` (so a profile may name itself
//!   as source to combine keys and role); otherwise its role is assumed in turn. Loops are errors.
//! - Long-term keys in awsenv's store (`awsenv add`) come before the credentials file's, wherever
//!   static keys would be used; a profile with stored keys needs no section in either file.
//!   Planning only knows *which* profiles have stored keys ([`StoredKeys`]); the secret is read
//!   when the plan is carried out.
//! - `mfa_serial` on a role whose source is long-term keys becomes one `GetSessionToken` call with
//!   MFA (as aws-vault does), so one code serves every role behind that user while it lasts.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{ConfigError, Files, Location, Profile};
use crate::creds::Secret;

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
        /// The `[sso-session]` name, or None for a legacy profile with `sso_start_url`.
        session: Option<String>,
        start_url: String,
        sso_region: String,
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
    /// `credential_source` of a role profile.
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
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

/// The environment variables that planning reads, so that planning stays pure.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    pub fn from_process() -> Env {
        const NAMES: &[&str] = &[
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ENDPOINT_URL_SSO",
            "AWS_ENDPOINT_URL_IAM",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWSENV_MFA_SESSION_DURATION",
        ];
        Env(NAMES
            .iter()
            .filter_map(|n| Some((n.to_string(), std::env::var(n).ok()?)))
            .filter(|(_, v)| !v.is_empty())
            .collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    #[cfg(test)]
    pub fn with(mut self, name: &str, value: &str) -> Env {
        self.0.insert(name.into(), value.into());
        self
    }
}

/// The profiles whose long-term keys are in awsenv's store, with their access key ids (not
/// secret), so that planning stays pure.
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

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("profile `{name}` is not in {config} or {credentials}{}", did_you_mean(.suggestions))]
    UnknownProfile {
        name: String,
        config: String,
        credentials: String,
        suggestions: Vec<String>,
    },
    #[error(
        "profile `{profile}` names source_profile `{source_profile}`, which does not exist ({at})"
    )]
    MissingSourceProfile {
        profile: String,
        source_profile: String,
        at: Location,
    },
    #[error("profile `{profile}`: source_profile loop {} ({at})", .chain.join(" -> "))]
    Loop {
        profile: String,
        chain: Vec<String>,
        at: Location,
    },
    #[error(
        "profile `{profile}` has role_arn but neither source_profile nor credential_source ({at})"
    )]
    RoleWithoutSource { profile: String, at: Location },
    #[error("profile `{profile}` has both source_profile and credential_source; keep one ({at})")]
    SourceAndCredentialSource { profile: String, at: Location },
    #[error("profile `{profile}` has no credentials: no keys, role_arn, sso_*, credential_process or web_identity_token_file ({at})")]
    NoCredentials { profile: String, at: Location },
    #[error("profile `{profile}`: {problem} ({at})")]
    Invalid {
        profile: String,
        problem: String,
        at: Location,
    },
}

impl ResolveError {
    /// A few words for tables (`awsenv list --long`); the full message is in `Display`.
    pub fn summary(&self) -> &'static str {
        match self {
            ResolveError::Config(_) => "syntax error",
            ResolveError::UnknownProfile { .. } => "unknown profile",
            ResolveError::MissingSourceProfile { .. } => "missing source_profile",
            ResolveError::Loop { .. } => "source_profile loop",
            ResolveError::RoleWithoutSource { .. } => "role without source",
            ResolveError::SourceAndCredentialSource { .. } => "two sources",
            ResolveError::NoCredentials { .. } => "no credentials",
            ResolveError::Invalid { .. } => "invalid settings",
        }
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// Builds the plan for `name`, with no keys in awsenv's store. Commands use [`plan_with`] so that
/// stored keys count; this stays for callers that have no store (tests).
#[allow(dead_code)]
pub fn plan(
    files: &Files,
    name: &str,
    overrides: &Overrides,
    env: &Env,
) -> Result<Plan, ResolveError> {
    plan_with(files, name, overrides, env, &StoredKeys::default())
}

/// Builds the plan for `name`; `stored` names the profiles with keys in awsenv's store.
pub fn plan_with(
    files: &Files,
    name: &str,
    overrides: &Overrides,
    env: &Env,
    stored: &StoredKeys,
) -> Result<Plan, ResolveError> {
    // A profile known only to the store is a profile with keys and no settings.
    let store_only;
    let target = match files.profile(name)? {
        Some(p) => p,
        None if stored.access_key_id(name).is_some() => {
            let mut p = Profile::default();
            p.name = name.to_string();
            store_only = p;
            &store_only
        }
        None => lookup(files, name)?,
    };
    let has_keys = |p: &Profile| has_static(p) || stored.access_key_id(&p.name).is_some();
    let keys_of = |p: &Profile| match stored.access_key_id(&p.name) {
        Some(id) => Ok(Source::Stored {
            profile: p.name.clone(),
            access_key_id: id.to_string(),
        }),
        None => static_source(files, p),
    };
    let region = overrides
        .region
        .clone()
        .or_else(|| target.get("region").map(str::to_string));
    let default_region = region.clone().unwrap_or_else(|| FALLBACK_REGION.into());
    let hop_region = |p: &Profile| {
        p.get("region")
            .map(str::to_string)
            .unwrap_or_else(|| default_region.clone())
    };

    let mut hops: Vec<RoleHop> = Vec::new();
    let mut visited: Vec<String> = vec![name.to_string()];
    let mut current = target;
    let mut is_target = true;
    let source = loop {
        let p = current;
        let role_profile = p.has("role_arn") && !p.has("web_identity_token_file");
        // A source profile with static keys is used for its keys, even if it has a role.
        let use_role = role_profile && (is_target || !has_keys(p));
        if use_role {
            hops.push(role_hop(files, p, &hop_region)?);
            match (p.get("source_profile"), p.get("credential_source")) {
                (Some(_), Some(_)) => {
                    return Err(ResolveError::SourceAndCredentialSource {
                        profile: p.name.clone(),
                        at: files.location(p, "credential_source"),
                    })
                }
                (Some(src), None) => {
                    if src == p.name && has_keys(p) {
                        break keys_of(p)?;
                    }
                    if visited.iter().any(|v| v == src) {
                        let mut chain = visited.clone();
                        chain.push(src.to_string());
                        return Err(ResolveError::Loop {
                            profile: name.to_string(),
                            chain,
                            at: files.location(p, "source_profile"),
                        });
                    }
                    let Some(next) = files.profile(src)? else {
                        if let Some(id) = stored.access_key_id(src) {
                            break Source::Stored {
                                profile: src.to_string(),
                                access_key_id: id.to_string(),
                            };
                        }
                        return Err(ResolveError::MissingSourceProfile {
                            profile: p.name.clone(),
                            source_profile: src.to_string(),
                            at: files.location(p, "source_profile"),
                        });
                    };
                    visited.push(src.to_string());
                    current = next;
                    is_target = false;
                    continue;
                }
                (None, Some(cs)) => break credential_source(files, p, cs)?,
                (None, None) => {
                    return Err(ResolveError::RoleWithoutSource {
                        profile: p.name.clone(),
                        at: files.location(p, "role_arn"),
                    })
                }
            }
        }
        if p.has("role_arn") && p.has("web_identity_token_file") {
            break Source::WebIdentity {
                profile: p.name.clone(),
                role_arn: p.get("role_arn").unwrap_or_default().to_string(),
                token_file: p
                    .get("web_identity_token_file")
                    .unwrap_or_default()
                    .to_string(),
                session_name: p.get("role_session_name").map(str::to_string),
                region: hop_region(p),
            };
        }
        if is_sso(p) {
            break sso_source(files, p)?;
        }
        // Keys in awsenv's store first; then botocore's order: credentials-file keys,
        // credential_process, config-file keys.
        if stored.access_key_id(&p.name).is_some() {
            break keys_of(p)?;
        }
        let static_in = |kind| {
            ["aws_access_key_id", "aws_secret_access_key"]
                .iter()
                .any(|k| p.setting(k).is_some_and(|s| s.file == kind))
        };
        if static_in(crate::config::FileKind::Credentials) {
            break static_source(files, p)?;
        }
        if let Some(command) = p.get("credential_process") {
            break Source::Process {
                profile: p.name.clone(),
                command: command.to_string(),
            };
        }
        if has_static(p) {
            break static_source(files, p)?;
        }
        return Err(ResolveError::NoCredentials {
            profile: p.name.clone(),
            at: files.location(p, "aws_access_key_id"),
        });
    };
    hops.reverse();

    // MFA: one GetSessionToken in front of the first role when the source is long-term keys;
    // otherwise each role passes its own code. A profile with keys and mfa_serial but no role
    // gets an MFA session of its own.
    let long_term = matches!(
        &source,
        Source::Static {
            session_token: None,
            ..
        } | Source::Stored { .. }
    );
    let mut mfa_session = None;
    if long_term {
        let owner = match hops.first() {
            Some(first) => files.profile(&first.profile)?,
            None => Some(target),
        };
        if let Some(owner) = owner {
            if let Some(mfa) = mfa_of(owner) {
                if let Some(first) = hops.first_mut() {
                    first.mfa = None;
                }
                mfa_session = Some(MfaSession {
                    mfa,
                    duration: mfa_session_duration(files, target, env)?,
                    region: hop_region(owner),
                });
            }
        }
    }
    if let Some(d) = overrides.duration {
        match (hops.last_mut(), mfa_session.as_mut()) {
            (Some(last), _) => last.duration = Some(d),
            (None, Some(session)) => session.duration = d,
            (None, None) => {}
        }
    }

    Ok(Plan {
        profile: name.to_string(),
        region,
        source,
        mfa_session,
        hops,
        sts_endpoint: endpoint(files, target, "sts", "STS", env)?,
        sso_endpoint: endpoint(files, target, "sso", "SSO", env)?,
    })
}

fn lookup<'a>(files: &'a Files, name: &str) -> Result<&'a Profile, ResolveError> {
    files
        .profile(name)?
        .ok_or_else(|| ResolveError::UnknownProfile {
            name: name.to_string(),
            config: files.config.path.display().to_string(),
            credentials: files.credentials.path.display().to_string(),
            suggestions: files.similar_names(name),
        })
}

fn has_static(p: &Profile) -> bool {
    p.has("aws_access_key_id") || p.has("aws_secret_access_key")
}

fn is_sso(p: &Profile) -> bool {
    [
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
    ]
    .iter()
    .any(|k| p.has(k))
}

fn static_source(files: &Files, p: &Profile) -> Result<Source, ResolveError> {
    let key = |k: &str| {
        p.get(k).ok_or_else(|| ResolveError::Invalid {
            profile: p.name.clone(),
            problem: format!("{k} is missing (partial credentials)"),
            at: files.location(p, "aws_access_key_id"),
        })
    };
    Ok(Source::Static {
        profile: p.name.clone(),
        access_key_id: key("aws_access_key_id")?.to_string(),
        secret_access_key: Secret::new(key("aws_secret_access_key")?),
        session_token: p.get("aws_session_token").map(Secret::new),
    })
}

fn credential_source(files: &Files, p: &Profile, value: &str) -> Result<Source, ResolveError> {
    match value {
        "Environment" => Ok(Source::Environment),
        "Ec2InstanceMetadata" => Ok(Source::Ec2InstanceMetadata),
        "EcsContainer" => Ok(Source::EcsContainer),
        other => Err(ResolveError::Invalid {
            profile: p.name.clone(),
            problem: format!(
                "credential_source `{other}` is not one of Environment, Ec2InstanceMetadata, EcsContainer"
            ),
            at: files.location(p, "credential_source"),
        }),
    }
}

fn sso_source(files: &Files, p: &Profile) -> Result<Source, ResolveError> {
    let invalid = |problem: String, key: &str| ResolveError::Invalid {
        profile: p.name.clone(),
        problem,
        at: files.location(p, key),
    };
    let (session, start_url, sso_region) = match p.get("sso_session") {
        Some(session) => {
            let s = files.sso_session(session)?.ok_or_else(|| {
                invalid(
                    format!("sso_session `{session}` has no [sso-session {session}] section"),
                    "sso_session",
                )
            })?;
            let get = |k: &str| {
                s.get(k).filter(|v| !v.is_empty()).cloned().ok_or_else(|| {
                    invalid(
                        format!("[sso-session {session}] is missing {k}"),
                        "sso_session",
                    )
                })
            };
            (
                Some(session.to_string()),
                get("sso_start_url")?,
                get("sso_region")?,
            )
        }
        None => {
            let missing: Vec<&str> = ["sso_start_url", "sso_region"]
                .into_iter()
                .filter(|k| !p.has(k))
                .collect();
            if !missing.is_empty() {
                return Err(invalid(
                    format!("SSO profile is missing {}", missing.join(", ")),
                    "sso_start_url",
                ));
            }
            (
                None,
                p.get("sso_start_url").unwrap_or_default().to_string(),
                p.get("sso_region").unwrap_or_default().to_string(),
            )
        }
    };
    let missing: Vec<&str> = ["sso_account_id", "sso_role_name"]
        .into_iter()
        .filter(|k| !p.has(k))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(
            format!("SSO profile is missing {}", missing.join(", ")),
            "sso_session",
        ));
    }
    Ok(Source::Sso {
        profile: p.name.clone(),
        session,
        start_url,
        sso_region,
        account_id: p.get("sso_account_id").unwrap_or_default().to_string(),
        role_name: p.get("sso_role_name").unwrap_or_default().to_string(),
    })
}

fn mfa_of(p: &Profile) -> Option<Mfa> {
    Some(Mfa {
        profile: p.name.clone(),
        serial: p.get("mfa_serial")?.to_string(),
        process: p.get("mfa_process").map(str::to_string),
    })
}

fn role_hop(
    files: &Files,
    p: &Profile,
    region: &dyn Fn(&Profile) -> String,
) -> Result<RoleHop, ResolveError> {
    let duration = match p.get("duration_seconds") {
        None => None,
        Some(v) => Some(parse_seconds(v).ok_or_else(|| ResolveError::Invalid {
            profile: p.name.clone(),
            problem: format!("duration_seconds `{v}` is not a number of seconds (900 to 43200)"),
            at: files.location(p, "duration_seconds"),
        })?),
    };
    if let Some(name) = p.get("role_session_name") {
        if !valid_session_name(name) {
            return Err(ResolveError::Invalid {
                profile: p.name.clone(),
                problem: format!(
                    "role_session_name `{name}` must be 2 to 64 letters, digits or +=,.@_-"
                ),
                at: files.location(p, "role_session_name"),
            });
        }
    }
    Ok(RoleHop {
        profile: p.name.clone(),
        role_arn: p.get("role_arn").unwrap_or_default().to_string(),
        session_name: p.get("role_session_name").map(str::to_string),
        external_id: p.get("external_id").map(str::to_string),
        duration,
        mfa: mfa_of(p),
        region: region(p),
    })
}

/// STS's rule for RoleSessionName: `[\w+=,.@-]{2,64}`.
fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn parse_seconds(v: &str) -> Option<Duration> {
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|s| (900..=43200).contains(s))
        .map(Duration::from_secs)
}

fn mfa_session_duration(
    files: &Files,
    target: &Profile,
    env: &Env,
) -> Result<Duration, ResolveError> {
    match env.get("AWSENV_MFA_SESSION_DURATION") {
        None => Ok(DEFAULT_MFA_SESSION),
        Some(v) => parse_duration(v).ok_or_else(|| ResolveError::Invalid {
            profile: target.name.clone(),
            problem: format!("AWSENV_MFA_SESSION_DURATION `{v}` is not a duration like 8h or 3600"),
            at: files.location(target, "mfa_serial"),
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

/// Where `service` is for profile `name` (None: the SDK's default), by the rules of [`endpoint`];
/// a profile known only to the store has no settings of its own.
pub fn service_endpoint(
    files: &Files,
    name: &str,
    service: &str,
    env_suffix: &str,
    env: &Env,
) -> Result<Option<String>, ResolveError> {
    let empty = Profile::default();
    let p = files.profile(name)?.unwrap_or(&empty);
    endpoint(files, p, service, env_suffix, env)
}

/// The SDKs' order: `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the profile's
/// `[services]` section, the profile's `endpoint_url`; none of it when configured endpoints
/// are switched off (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls`).
fn endpoint(
    files: &Files,
    p: &Profile,
    service: &str,
    env_suffix: &str,
    env: &Env,
) -> Result<Option<String>, ResolveError> {
    let ignore = env
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| p.get("ignore_configured_endpoint_urls"))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return Ok(None);
    }
    if let Some(url) = env
        .get(&format!("AWS_ENDPOINT_URL_{env_suffix}"))
        .or_else(|| env.get("AWS_ENDPOINT_URL"))
    {
        return Ok(Some(url.to_string()));
    }
    if let Some(services) = p.get("services") {
        if let Some(url) = files.service_setting(services, service, "endpoint_url")? {
            return Ok(Some(url.to_string()));
        }
    }
    Ok(p.get("endpoint_url").map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::from_strs;

    fn plan_of(config: &str, creds: &str, name: &str) -> Result<Plan, ResolveError> {
        plan(
            &from_strs(config, creds),
            name,
            &Overrides::default(),
            &Env::default(),
        )
    }

    const CHAIN: &str = "\
[profile base]
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile hop1]
role_arn = arn:aws:iam::222222222222:role/one
source_profile = base
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile hop2]
role_arn = arn:aws:iam::333333333333:role/two
source_profile = hop1
external_id = ext-2
duration_seconds = 1800
region = us-west-2
[profile hop3]
role_arn = arn:aws:iam::444444444444:role/three
source_profile = hop2
role_session_name = me
";
    const CHAIN_CREDS: &str =
        "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = secret\n";

    #[test]
    fn three_hop_chain_with_mfa_session() {
        let p = plan_of(CHAIN, CHAIN_CREDS, "hop3").unwrap();
        assert!(
            matches!(&p.source, Source::Static { profile, access_key_id, .. } if profile == "base" && access_key_id == "AKIABASE")
        );
        let roles: Vec<_> = p.hops.iter().map(|h| h.role_arn.as_str()).collect();
        assert_eq!(
            roles,
            [
                "arn:aws:iam::222222222222:role/one",
                "arn:aws:iam::333333333333:role/two",
                "arn:aws:iam::444444444444:role/three"
            ]
        );
        let mfa = p
            .mfa_session
            .as_ref()
            .expect("MFA session in front of hop1");
        assert_eq!(mfa.mfa.serial, "arn:aws:iam::111111111111:mfa/alice");
        assert_eq!(mfa.duration, DEFAULT_MFA_SESSION);
        assert_eq!(
            p.hops[0].mfa, None,
            "the session carries MFA, not the AssumeRole call"
        );
        assert_eq!(p.hops[1].external_id.as_deref(), Some("ext-2"));
        assert_eq!(p.hops[1].duration, Some(Duration::from_secs(1800)));
        assert_eq!(p.hops[1].region, "us-west-2");
        assert_eq!(p.hops[0].region, FALLBACK_REGION, "hop3 has no region");
        assert_eq!(p.hops[2].session_name.as_deref(), Some("me"));
        assert_eq!(p.region, None);
    }

    #[test]
    fn mfa_on_a_role_behind_a_role_goes_on_that_call() {
        let config = format!("{CHAIN}[profile hop4]\nrole_arn = arn:aws:iam::5:role/four\nsource_profile = hop3\nmfa_serial = arn:aws:iam::1:mfa/bob\n");
        let p = plan_of(&config, CHAIN_CREDS, "hop4").unwrap();
        assert_eq!(p.hops.len(), 4);
        assert_eq!(
            p.hops[3].mfa.as_ref().unwrap().serial,
            "arn:aws:iam::1:mfa/bob"
        );
        assert!(p.mfa_session.is_some());
    }

    #[test]
    fn temporary_source_keys_pass_mfa_to_assume_role() {
        let creds =
            "[base]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\n";
        let p = plan_of(CHAIN, creds, "hop1").unwrap();
        assert!(p.mfa_session.is_none());
        assert!(p.hops[0].mfa.is_some());
    }

    #[test]
    fn static_profile_with_mfa_gets_a_session_of_its_own() {
        let p = plan_of(CHAIN, CHAIN_CREDS, "base").unwrap();
        assert!(p.hops.is_empty());
        assert!(p.mfa_session.is_some());
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn overrides_and_duration_env() {
        let files = from_strs(CHAIN, CHAIN_CREDS);
        let o = Overrides {
            region: Some("ap-south-1".into()),
            duration: Some(Duration::from_secs(7200)),
        };
        let env = Env::default().with("AWSENV_MFA_SESSION_DURATION", "12h");
        let p = plan(&files, "hop3", &o, &env).unwrap();
        assert_eq!(p.region.as_deref(), Some("ap-south-1"));
        assert_eq!(p.hops[2].duration, Some(Duration::from_secs(7200)));
        assert_eq!(p.hops[0].region, "ap-south-1");
        assert_eq!(
            p.mfa_session.unwrap().duration,
            Duration::from_secs(12 * 3600)
        );
    }

    #[test]
    fn source_profile_keys_beat_its_role_and_self_reference_works() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = a\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n";
        let creds = "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n";
        let p = plan_of(config, creds, "a").unwrap();
        assert_eq!(p.hops.len(), 1);
        assert!(matches!(p.source, Source::Static { ref profile, .. } if profile == "a"));
        // For b, a is a source with keys: its keys are used, its role is not assumed.
        let p = plan_of(config, creds, "b").unwrap();
        assert_eq!(p.hops.len(), 1);
        assert_eq!(p.hops[0].role_arn, "arn:aws:iam::1:role/b");
    }

    #[test]
    fn loops_and_missing_sources_are_named() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n[profile d]\nrole_arn = arn:aws:iam::1:role/d\nsource_profile = nope\n[profile e]\nrole_arn = arn:aws:iam::1:role/e\n";
        let err = plan_of(config, "", "a").unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile `a`: source_profile loop a -> b -> c -> a (config:9)"
        );
        let err = plan_of(config, "", "d").unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile `d` names source_profile `nope`, which does not exist (config:12)"
        );
        let err = plan_of(config, "", "e").unwrap_err();
        assert!(
            matches!(err, ResolveError::RoleWithoutSource { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("config:14"), "{err}");
    }

    #[test]
    fn unknown_profile_suggests() {
        let err = plan_of(CHAIN, CHAIN_CREDS, "hop").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("profile `hop` is not in config or credentials; did you mean hop1"),
            "{msg}"
        );
    }

    #[test]
    fn precedence_in_the_target_profile() {
        // Credentials-file keys beat credential_process; credential_process beats config keys.
        let config = "[profile p]\ncredential_process = fetch-creds\n[profile q]\ncredential_process = fetch\naws_access_key_id = K\naws_secret_access_key = S\n";
        let creds = "[p]\naws_access_key_id = FROMFILE\naws_secret_access_key = S\n";
        assert!(matches!(
            plan_of(config, creds, "p").unwrap().source,
            Source::Static { .. }
        ));
        assert!(matches!(
            plan_of(config, "", "p").unwrap().source,
            Source::Process { .. }
        ));
        assert!(matches!(
            plan_of(config, "", "q").unwrap().source,
            Source::Process { .. }
        ));
    }

    #[test]
    fn web_identity_sso_and_credential_source() {
        let config = "\
[profile wi]
role_arn = arn:aws:iam::1:role/wi
web_identity_token_file = /tmp/token
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
[profile legacy]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Read
[profile broken-sso]
sso_session = nope
sso_account_id = 1
sso_role_name = R
[profile ec2]
role_arn = arn:aws:iam::1:role/x
credential_source = Ec2InstanceMetadata
[profile bad-cs]
role_arn = arn:aws:iam::1:role/x
credential_source = Laptop
";
        assert!(matches!(
            plan_of(config, "", "wi").unwrap().source,
            Source::WebIdentity { .. }
        ));
        let p = plan_of(config, "", "sso").unwrap();
        assert!(
            matches!(&p.source, Source::Sso { session: Some(s), sso_region, .. } if s == "corp" && sso_region == "eu-central-1")
        );
        assert!(matches!(
            plan_of(config, "", "legacy").unwrap().source,
            Source::Sso { session: None, .. }
        ));
        let err = plan_of(config, "", "broken-sso").unwrap_err().to_string();
        assert!(
            err.contains("[sso-session nope]") && err.contains("config:17"),
            "{err}"
        );
        let p = plan_of(config, "", "ec2").unwrap();
        assert_eq!(p.source, Source::Ec2InstanceMetadata);
        assert_eq!(p.hops.len(), 1);
        let err = plan_of(config, "", "bad-cs").unwrap_err().to_string();
        assert!(err.contains("Laptop") && err.contains("config:25"), "{err}");
    }

    #[test]
    fn endpoints_in_sdk_order() {
        let config = "[profile p]\naws_access_key_id = K\naws_secret_access_key = S\nendpoint_url = http://global\nservices = local\n[services local]\nsts =\n  endpoint_url = http://sts-from-services\n";
        let files = from_strs(config, "");
        let o = Overrides::default();
        let p = plan(&files, "p", &o, &Env::default()).unwrap();
        assert_eq!(p.sts_endpoint.as_deref(), Some("http://sts-from-services"));
        assert_eq!(p.sso_endpoint.as_deref(), Some("http://global"));
        let env = Env::default().with("AWS_ENDPOINT_URL", "http://env-global");
        assert_eq!(
            plan(&files, "p", &o, &env).unwrap().sts_endpoint.as_deref(),
            Some("http://env-global")
        );
        let env = env.with("AWS_ENDPOINT_URL_STS", "http://env-sts");
        assert_eq!(
            plan(&files, "p", &o, &env).unwrap().sts_endpoint.as_deref(),
            Some("http://env-sts")
        );
        let env = env.with("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        assert_eq!(plan(&files, "p", &o, &env).unwrap().sts_endpoint, None);
    }

    #[test]
    fn bad_session_name_is_an_error() {
        let config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\nrole_session_name = x\n[profile s]\naws_access_key_id = K\naws_secret_access_key = S\n";
        let err = plan_of(config, "", "r").unwrap_err().to_string();
        assert!(
            err.contains("role_session_name `x`") && err.contains("config:4"),
            "{err}"
        );
        let ok = config.replace("= x\n", "= alice@example.com\n");
        assert!(plan_of(&ok, "", "r").is_ok());
    }

    #[test]
    fn bad_duration_is_an_error() {
        let config = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = s\nduration_seconds = soon\n[profile s]\naws_access_key_id = K\naws_secret_access_key = S\n";
        let err = plan_of(config, "", "r").unwrap_err().to_string();
        assert!(
            err.contains("duration_seconds `soon`") && err.contains("config:4"),
            "{err}"
        );
    }
    fn stored(names: &[(&str, &str)]) -> StoredKeys {
        StoredKeys::new(
            "keyring",
            names
                .iter()
                .map(|(p, k)| (p.to_string(), k.to_string()))
                .collect(),
        )
    }

    fn plan_stored(config: &str, creds: &str, name: &str, keys: &StoredKeys) -> Plan {
        plan_with(
            &from_strs(config, creds),
            name,
            &Overrides::default(),
            &Env::default(),
            keys,
        )
        .unwrap()
    }

    #[test]
    fn stored_keys_come_before_the_credentials_file() {
        let keys = stored(&[("base", "AKIASTORED")]);
        let p = plan_stored(CHAIN, CHAIN_CREDS, "base", &keys);
        assert_eq!(
            p.source,
            Source::Stored {
                profile: "base".into(),
                access_key_id: "AKIASTORED".into()
            }
        );
        // Still long-term keys: base's mfa_serial gives an MFA session.
        assert!(p.mfa_session.is_some());
        // As the source of a chain, too; without the store, the file's keys are used.
        let p = plan_stored(CHAIN, CHAIN_CREDS, "hop3", &keys);
        assert!(matches!(&p.source, Source::Stored { profile, .. } if profile == "base"));
        assert_eq!(p.hops.len(), 3);
        assert!(p.mfa_session.is_some());
        let p = plan_stored(CHAIN, CHAIN_CREDS, "hop3", &StoredKeys::default());
        assert!(
            matches!(&p.source, Source::Static { access_key_id, .. } if access_key_id == "AKIABASE")
        );
    }

    #[test]
    fn a_profile_only_in_the_store_is_usable_alone_and_as_source() {
        let config =
            "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = vault-only\n";
        let keys = stored(&[("vault-only", "AKIAV")]);
        let p = plan_stored(config, "", "vault-only", &keys);
        assert!(matches!(&p.source, Source::Stored { profile, .. } if profile == "vault-only"));
        assert!(p.hops.is_empty() && p.region.is_none() && p.mfa_session.is_none());
        let p = plan_stored(config, "", "role", &keys);
        assert!(matches!(&p.source, Source::Stored { profile, .. } if profile == "vault-only"));
        assert_eq!(p.hops.len(), 1);
        // Without it in the store, the old error with its line.
        let err = plan(
            &from_strs(config, ""),
            "role",
            &Overrides::default(),
            &Env::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ResolveError::MissingSourceProfile { .. }),
            "{err}"
        );
        // Unknown everywhere: still unknown.
        let err = plan_with(
            &from_strs(config, ""),
            "nope",
            &Overrides::default(),
            &Env::default(),
            &keys,
        )
        .unwrap_err();
        assert!(matches!(err, ResolveError::UnknownProfile { .. }), "{err}");
    }

    #[test]
    fn stored_keys_of_a_source_beat_its_role_and_self_reference_works() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = a\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n";
        let keys = stored(&[("a", "AKIAA")]);
        let p = plan_stored(config, "", "a", &keys);
        assert_eq!(p.hops.len(), 1);
        assert!(matches!(p.source, Source::Stored { ref profile, .. } if profile == "a"));
        let p = plan_stored(config, "", "b", &keys);
        assert_eq!(p.hops.len(), 1);
        assert_eq!(p.hops[0].role_arn, "arn:aws:iam::1:role/b");
    }
}
