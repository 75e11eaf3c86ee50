//! IAM Identity Center: the access token the AWS CLI keeps in `~/.aws/sso/cache/`, and the
//! portal's `GetRoleCredentials` call that trades it for role credentials.
//!
//! The cache file is named by the SHA-1 of the `[sso-session]` name, or of the start URL for a
//! legacy profile, exactly as botocore names it, so one login serves the AWS CLI and awsenv.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::creds::{parse_timestamp, Credentials, Secret};
use crate::sts::{sdk_error, Network};

/// The fields of a token cache file that awsenv reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedToken {
    pub access_token: String,
    pub expires_at: String,
}

/// `~/.aws/sso/cache`.
pub fn cache_dir() -> PathBuf {
    dirs::home_dir()
        .unwrap_or_default()
        .join(".aws")
        .join("sso")
        .join("cache")
}

/// The cache file for a session name (or legacy start URL).
pub fn token_path(session_or_start_url: &str) -> PathBuf {
    let digest = Sha1::digest(session_or_start_url.as_bytes());
    cache_dir().join(format!("{}.json", hex::encode(digest)))
}

/// The command that logs in again, for error messages.
fn login_hint(profile: &str) -> String {
    format!("run `awsenv sso login --profile {profile}` (or `aws sso login --profile {profile}`)")
}

/// A valid access token for the profile, or an error saying how to log in.
pub fn access_token(profile: &str, session: Option<&str>, start_url: &str) -> Result<String> {
    let path = token_path(session.unwrap_or(start_url));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "profile `{profile}`: not logged in to IAM Identity Center ({} is missing); {}",
                path.display(),
                login_hint(profile)
            )
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("profile `{profile}`: cannot read {}", path.display()))
        }
    };
    let token: CachedToken = serde_json::from_slice(&bytes).map_err(|_| {
        anyhow!(
            "profile `{profile}`: the SSO token cache {} is not valid; {}",
            path.display(),
            login_hint(profile)
        )
    })?;
    let expires = parse_timestamp(&token.expires_at).ok_or_else(|| {
        anyhow!(
            "profile `{profile}`: the SSO token cache {} has an unreadable expiresAt; {}",
            path.display(),
            login_hint(profile)
        )
    })?;
    if expires <= OffsetDateTime::now_utc() {
        bail!(
            "profile `{profile}`: the IAM Identity Center login expired at {}; {}",
            crate::creds::format_rfc3339(expires),
            login_hint(profile)
        );
    }
    Ok(token.access_token)
}

/// Calls the portal's GetRoleCredentials.
pub fn role_credentials(
    net: &Network,
    profile: &str,
    token: &str,
    sso_region: &str,
    endpoint: Option<&str>,
    account_id: &str,
    role_name: &str,
) -> Result<Credentials> {
    use aws_sdk_sso::config::{BehaviorVersion, Region};
    let mut b = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(sso_region.to_string()))
        .http_client(net.http_client())
        .timeout_config(Network::timeouts());
    if let Some(e) = endpoint {
        b = b.endpoint_url(e);
    }
    let client = aws_sdk_sso::Client::from_conf(b.build());
    let out = net
        .block_on(
            client
                .get_role_credentials()
                .access_token(token)
                .account_id(account_id)
                .role_name(role_name)
                .send(),
        )
        .map_err(|e| {
            let unauthorized = e
                .as_service_error()
                .is_some_and(|s| s.is_unauthorized_exception());
            if unauthorized {
                anyhow!("profile `{profile}`: IAM Identity Center rejected the cached login; {}", login_hint(profile))
            } else {
                anyhow!("profile `{profile}`: GetRoleCredentials for {role_name} in {account_id} failed: {}", sdk_error(&e))
            }
        })?;
    let c = out.role_credentials().ok_or_else(|| {
        anyhow!("profile `{profile}`: GetRoleCredentials returned no credentials")
    })?;
    let expiration =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(c.expiration()) * 1_000_000).map_err(
            |_| anyhow!("profile `{profile}`: GetRoleCredentials returned an invalid expiration"),
        )?;
    Ok(Credentials {
        access_key_id: c.access_key_id().unwrap_or_default().to_string(),
        secret_access_key: Secret::new(c.secret_access_key().unwrap_or_default()),
        session_token: c.session_token().map(Secret::new),
        expiration: Some(expiration),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn cache_file_name_is_botocores() {
        // `printf %s my-sso | sha1sum`, as botocore names the file for sso-session `my-sso`.
        let p = super::token_path("my-sso");
        assert_eq!(
            p.file_name().unwrap().to_str().unwrap(),
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
        );
    }
}
