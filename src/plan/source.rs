//! Where the first credentials come from, for one profile that is not used for its role.
//!
//! botocore's order for a profile (`ProfileProviderBuilder.providers` in botocore 1.44, the AWS
//! CLI's): web identity (`role_arn` + `web_identity_token_file`), then IAM Identity Center (any
//! `sso_*` key), then static keys from the credentials file, then `login_session` (`aws login`),
//! then `credential_process`, then static keys from the config file. Keys in awsenv's store come
//! before either file's keys.

use super::error::PlanError;
use super::{Inputs, Source};
use crate::config::{keys, sso_session, FileKind, Profile};
use crate::creds::Secret;

/// The source a profile provides by itself.
pub fn of_profile(
    inp: &Inputs<'_>,
    p: &Profile,
    region: impl Fn(&Profile) -> String,
) -> Result<Source, PlanError> {
    if p.has(keys::ROLE_ARN) && p.has(keys::WEB_IDENTITY_TOKEN_FILE) {
        return Ok(Source::WebIdentity {
            profile: p.name.clone(),
            role_arn: p.get(keys::ROLE_ARN).unwrap_or_default().to_string(),
            token_file: p
                .get(keys::WEB_IDENTITY_TOKEN_FILE)
                .unwrap_or_default()
                .to_string(),
            session_name: p.get(keys::ROLE_SESSION_NAME).map(str::to_string),
            region: region(p),
        });
    }
    if keys::SSO_ANY.iter().any(|k| p.has(k)) {
        return sso(inp, p);
    }
    if inp.stored.access_key_id(&p.name).is_some() {
        return keys_of(inp, p);
    }
    if p.get_in(FileKind::Credentials, keys::ACCESS_KEY_ID)
        .is_some()
    {
        return static_keys(inp, p);
    }
    if let Some(arn) = p.get(keys::LOGIN_SESSION) {
        return Ok(Source::LoginSession {
            profile: p.name.clone(),
            session_arn: arn.to_string(),
            region: region(p),
        });
    }
    if let Some(command) = p.get(keys::CREDENTIAL_PROCESS) {
        return Ok(Source::Process {
            profile: p.name.clone(),
            command: command.to_string(),
        });
    }
    if has_static(p) {
        return static_keys(inp, p);
    }
    Err(PlanError::NoCredentials {
        profile: p.name.clone(),
        at: inp.files.location(p, keys::ACCESS_KEY_ID),
    })
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
