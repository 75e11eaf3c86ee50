//! Where the first credentials come from, for one profile that is not used for its role.
//!
//! The order is botocore's, written once as a table ([`ORDER`]) that the planner walks and
//! that tests walk pair by pair (`cases.rs` here, botocore itself in `tests/it/botocore.rs`).

use super::error::PlanError;
use super::{Inputs, Source};
use crate::config::{keys, sso_session, FileKind, Profile};
use crate::creds::Secret;

/// A kind of credentials a profile can provide by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `role_arn` + `web_identity_token_file`.
    WebIdentity,
    /// `sso_account_id` or `sso_role_name` (with `sso_session`, or the legacy `sso_start_url`
    /// and `sso_region`).
    Sso,
    /// Long-term keys in awsenv's store (`awsenv add`).
    StoredKeys,
    /// `aws_access_key_id` in the credentials file.
    CredentialsFileKeys,
    /// `login_session` (`aws login`).
    LoginSession,
    CredentialProcess,
    /// `aws_access_key_id` (or a lone secret: partial keys, an error) in the config file.
    ConfigFileKeys,
}

/// The order in which a profile's own credentials are looked for: the first kind the profile
/// has is its source. It is botocore's (`ProfileProviderBuilder.providers` in botocore 1.44, the
/// AWS CLI's): web identity, SSO, the credentials file's keys, `login_session`,
/// `credential_process`, the config file's keys; awsenv's store comes before either file's keys.
/// Kept as data, in one place, so that a test can walk it pair by pair against botocore.
pub const ORDER: [Kind; 7] = [
    Kind::WebIdentity,
    Kind::Sso,
    Kind::StoredKeys,
    Kind::CredentialsFileKeys,
    Kind::LoginSession,
    Kind::CredentialProcess,
    Kind::ConfigFileKeys,
];

impl Kind {
    /// Whether profile `p` has this kind of credentials.
    fn is_set(self, inp: &Inputs<'_>, p: &Profile) -> bool {
        match self {
            Kind::WebIdentity => p.has(keys::ROLE_ARN) && p.has(keys::WEB_IDENTITY_TOKEN_FILE),
            // botocore's test (`SSOProvider._load_sso_config`): the account or the role. A
            // profile with only the session's settings is not an SSO profile to it.
            Kind::Sso => p.has(keys::SSO_ACCOUNT_ID) || p.has(keys::SSO_ROLE_NAME),
            Kind::StoredKeys => inp.stored.access_key_id(&p.name).is_some(),
            Kind::CredentialsFileKeys => p
                .get_in(FileKind::Credentials, keys::ACCESS_KEY_ID)
                .is_some(),
            Kind::LoginSession => p.has(keys::LOGIN_SESSION),
            Kind::CredentialProcess => p.has(keys::CREDENTIAL_PROCESS),
            Kind::ConfigFileKeys => has_static(p),
        }
    }

    /// The source of this kind that `p` provides (`is_set` was true).
    fn source(
        self,
        inp: &Inputs<'_>,
        p: &Profile,
        region: impl Fn(&Profile) -> String,
    ) -> Result<Source, PlanError> {
        let get = |k| p.get(k).unwrap_or_default().to_string();
        Ok(match self {
            Kind::WebIdentity => Source::WebIdentity {
                profile: p.name.clone(),
                role_arn: get(keys::ROLE_ARN),
                token_file: get(keys::WEB_IDENTITY_TOKEN_FILE),
                session_name: p.get(keys::ROLE_SESSION_NAME).map(str::to_string),
                region: region(p),
            },
            Kind::Sso => return sso(inp, p),
            Kind::StoredKeys => return keys_of(inp, p),
            Kind::CredentialsFileKeys | Kind::ConfigFileKeys => return static_keys(inp, p),
            Kind::LoginSession => Source::LoginSession {
                profile: p.name.clone(),
                session_arn: get(keys::LOGIN_SESSION),
                region: region(p),
            },
            Kind::CredentialProcess => Source::Process {
                profile: p.name.clone(),
                command: get(keys::CREDENTIAL_PROCESS),
            },
        })
    }
}

/// The source a profile provides by itself: the first of [`ORDER`] it has.
pub fn of_profile(
    inp: &Inputs<'_>,
    p: &Profile,
    region: impl Fn(&Profile) -> String,
) -> Result<Source, PlanError> {
    match ORDER.into_iter().find(|k| k.is_set(inp, p)) {
        Some(kind) => kind.source(inp, p, region),
        // A half-written SSO profile: say what it misses rather than "no credentials".
        None if keys::SSO_ANY.iter().any(|k| p.has(k)) => sso(inp, p),
        None => Err(PlanError::NoCredentials {
            profile: p.name.clone(),
            at: inp.files.location(p, keys::ACCESS_KEY_ID),
        }),
    }
}

/// True when the profile has long-term keys of its own (in a file or in the store).
pub fn has_keys(inp: &Inputs<'_>, p: &Profile) -> bool {
    has_static(p) || inp.stored.access_key_id(&p.name).is_some()
}

/// The profile's long-term keys: the store's, else the files'.
pub fn keys_of(inp: &Inputs<'_>, p: &Profile) -> Result<Source, PlanError> {
    match inp.stored.access_key_id(&p.name) {
        Some(id) => Ok(stored(&p.name, id)),
        None => static_keys(inp, p),
    }
}

pub fn stored(profile: &str, access_key_id: &str) -> Source {
    Source::Stored {
        profile: profile.to_string(),
        access_key_id: access_key_id.to_string(),
    }
}

/// `credential_source` of a role profile.
pub fn credential_source(inp: &Inputs<'_>, p: &Profile, value: &str) -> Result<Source, PlanError> {
    match value {
        "Environment" => Ok(Source::Environment),
        "Ec2InstanceMetadata" => Ok(Source::Ec2InstanceMetadata),
        "EcsContainer" => Ok(Source::EcsContainer),
        other => Err(PlanError::Invalid {
            profile: p.name.clone(),
            problem: format!(
                "credential_source `{other}` is not one of Environment, Ec2InstanceMetadata, EcsContainer"
            ),
            at: inp.files.location(p, keys::CREDENTIAL_SOURCE),
        }),
    }
}

fn has_static(p: &Profile) -> bool {
    p.has(keys::ACCESS_KEY_ID) || p.has(keys::SECRET_ACCESS_KEY)
}

/// Static keys as botocore reads them: all from the credentials file when it has an access key,
/// else all from the config file, never mixed (a stale token in the other file is not attached,
/// and a key pair split between the files is partial). The legacy `aws_security_token` comes
/// before `aws_session_token`.
fn static_keys(inp: &Inputs<'_>, p: &Profile) -> Result<Source, PlanError> {
    let file = if p
        .get_in(FileKind::Credentials, keys::ACCESS_KEY_ID)
        .is_some()
    {
        FileKind::Credentials
    } else {
        FileKind::Config
    };
    let key = |k: &str| {
        p.get_in(file, k).ok_or_else(|| PlanError::Invalid {
            profile: p.name.clone(),
            problem: format!("{k} is missing (partial credentials)"),
            at: inp.files.location(p, keys::ACCESS_KEY_ID),
        })
    };
    let token = [keys::SECURITY_TOKEN, keys::SESSION_TOKEN]
        .into_iter()
        .find_map(|k| p.get_in(file, k));
    Ok(Source::Static {
        profile: p.name.clone(),
        access_key_id: key(keys::ACCESS_KEY_ID)?.to_string(),
        secret_access_key: Secret::new(key(keys::SECRET_ACCESS_KEY)?),
        session_token: token.map(Secret::new),
    })
}

fn sso(inp: &Inputs<'_>, p: &Profile) -> Result<Source, PlanError> {
    let at = |key| inp.files.location(p, key);
    let session = sso_session::of_profile(inp.files, p).map_err(|e| {
        let key = if p.has(keys::SSO_SESSION) {
            keys::SSO_SESSION
        } else {
            keys::SSO_START_URL
        };
        PlanError::sso(&p.name, e, at(key))
    })?;
    let missing: Vec<&str> = [keys::SSO_ACCOUNT_ID, keys::SSO_ROLE_NAME]
        .into_iter()
        .filter(|k| !p.has(k))
        .collect();
    if !missing.is_empty() {
        return Err(PlanError::Invalid {
            profile: p.name.clone(),
            problem: format!("SSO profile is missing {}", missing.join(", ")),
            at: at(keys::SSO_SESSION),
        });
    }
    Ok(Source::Sso {
        profile: p.name.clone(),
        session,
        account_id: p.get(keys::SSO_ACCOUNT_ID).unwrap_or_default().to_string(),
        role_name: p.get(keys::SSO_ROLE_NAME).unwrap_or_default().to_string(),
    })
}
