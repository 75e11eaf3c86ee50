//! One IAM Identity Center sign-in, as a profile names it: an `[sso-session NAME]` section, or
//! a legacy profile's own `sso_start_url` and `sso_region`. Read here once, for planning and for
//! `awsenv sso login`/`logout` alike.

use super::{keys, ConfigError, Files, Profile};

/// The AWS CLI's default scope: without one, IAM Identity Center issues no refresh token.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// The `[sso-session]` name; None for a legacy profile (`sso_start_url` in the profile).
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    /// Registration scopes: None for legacy profiles (no refresh tokens, as in the AWS CLI).
    pub scopes: Option<Vec<String>>,
    /// `sso_registration_scopes` as written (None when absent): the AWS CLI v2 names the client
    /// registration cache after this, not after the default scope.
    pub configured_scopes: Option<Vec<String>>,
}

impl SsoSession {
    /// What the token cache file is named after (botocore's rule).
    pub fn cache_key(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.start_url)
    }
}

/// What is wrong with a sign-in's settings (the caller adds whose and where).
#[derive(Debug, Clone, thiserror::Error)]
pub enum SsoSessionError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("sso_session `{0}` has no [sso-session {0}] section")]
    NoSection(String),
    #[error("[sso-session {name}] is missing {key}")]
    Missing { name: String, key: &'static str },
    #[error("SSO profile is missing {0}")]
    ProfileMissing(String),
    #[error("sso_redirect_port in [sso-session {name}] is not a port number from 1 to 65535")]
    BadPort { name: String },
}

/// The `[sso-session NAME]` section.
pub fn named(files: &Files, name: &str) -> Result<SsoSession, SsoSessionError> {
    let s = files
        .sso_session_section(name)?
        .ok_or_else(|| SsoSessionError::NoSection(name.to_string()))?;
    let get = |key: &'static str| {
        s.get(key)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| SsoSessionError::Missing {
                name: name.to_string(),
                key,
            })
    };
    let configured_scopes: Option<Vec<String>> = s.get(keys::SSO_REGISTRATION_SCOPES).map(|v| {
        v.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let scopes = configured_scopes.clone().unwrap_or_default();
    Ok(SsoSession {
        configured_scopes,
        name: Some(name.to_string()),
        start_url: get(keys::SSO_START_URL)?,
        region: get(keys::SSO_REGION)?,
        scopes: Some(if scopes.is_empty() {
            vec![DEFAULT_SCOPE.to_string()]
        } else {
            scopes
        }),
    })
}

/// `sso_redirect_port` of `[sso-session NAME]`: the port the PKCE sign-in listens on, None when
/// absent (any free port). Read by `sso login` alone, so a typo in it never stops `use`.
pub fn redirect_port(files: &Files, name: &str) -> Result<Option<u16>, SsoSessionError> {
    let s = files
        .sso_session_section(name)?
        .ok_or_else(|| SsoSessionError::NoSection(name.to_string()))?;
    match s.get(keys::SSO_REDIRECT_PORT).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<u16>() {
            Ok(p) if p > 0 => Ok(Some(p)),
            _ => Err(SsoSessionError::BadPort {
                name: name.to_string(),
            }),
        },
    }
}

/// The sign-in of a profile: its `sso_session`, else its legacy `sso_start_url`/`sso_region`.
pub fn of_profile(files: &Files, p: &Profile) -> Result<SsoSession, SsoSessionError> {
    if let Some(name) = p.get(keys::SSO_SESSION) {
        return named(files, name);
    }
    let missing: Vec<&str> = [keys::SSO_START_URL, keys::SSO_REGION]
        .into_iter()
        .filter(|k| !p.has(k))
        .collect();
    if !missing.is_empty() {
        return Err(SsoSessionError::ProfileMissing(missing.join(", ")));
    }
    Ok(SsoSession {
        name: None,
        start_url: p.get(keys::SSO_START_URL).unwrap_or_default().to_string(),
        region: p.get(keys::SSO_REGION).unwrap_or_default().to_string(),
        scopes: None,
        configured_scopes: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::from_strs;

    #[test]
    fn the_redirect_port_of_a_session() {
        let f = from_strs("[sso-session a]\nsso_redirect_port = 8400\n[sso-session b]\n[sso-session c]\nsso_redirect_port = 0\n[sso-session d]\nsso_redirect_port = 70000\n[sso-session e]\nsso_redirect_port = x\n", "");
        assert_eq!(redirect_port(&f, "a").unwrap(), Some(8400));
        assert_eq!(redirect_port(&f, "b").unwrap(), None);
        for bad in ["c", "d", "e"] {
            assert_eq!(
                redirect_port(&f, bad).unwrap_err().to_string(),
                format!(
                    "sso_redirect_port in [sso-session {bad}] is not a port number from 1 to 65535"
                )
            );
        }
    }

    #[test]
    fn sessions_and_legacy_profiles() {
        let f = from_strs("[sso-session corp]\nsso_start_url = https://c/start\nsso_region = eu-west-1\nsso_registration_scopes = a, b\n[sso-session bare]\nsso_start_url = https://b\nsso_region = us-east-1\n[sso-session half]\nsso_region = us-east-1\n[profile old]\nsso_start_url = https://o\nsso_region = us-west-2\n[profile none]\nsso_account_id = 1\n", "");
        let corp = named(&f, "corp").unwrap();
        assert_eq!(
            corp.scopes.as_deref(),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert_eq!(corp.cache_key(), "corp");
        assert_eq!(named(&f, "bare").unwrap().scopes.unwrap(), [DEFAULT_SCOPE]);
        assert_eq!(
            named(&f, "half").unwrap_err().to_string(),
            "[sso-session half] is missing sso_start_url"
        );
        assert!(matches!(
            named(&f, "nope"),
            Err(SsoSessionError::NoSection(_))
        ));
        let old = of_profile(&f, f.profile("old").unwrap().unwrap()).unwrap();
        assert_eq!((old.name.as_deref(), old.cache_key()), (None, "https://o"));
        assert_eq!(
            of_profile(&f, f.profile("none").unwrap().unwrap())
                .unwrap_err()
                .to_string(),
            "SSO profile is missing sso_start_url, sso_region"
        );
    }
}
