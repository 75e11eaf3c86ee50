//! The IAM Identity Center portal: `GetRoleCredentials` trades a sign-in's access token for
//! one role's credentials.

use anyhow::{anyhow, Result};
use time::OffsetDateTime;

use super::{default_endpoint, Network};
use crate::creds::{Credentials, Secret};

/// The command that logs in again, for error messages.
pub fn login_hint(profile: &str) -> String {
    format!("run `awsenv sso login --profile {profile}` (or `aws sso login --profile {profile}`)")
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
    let step = format!("GetRoleCredentials for {role_name} in {account_id}");
    let at = endpoint.map_or_else(
        || default_endpoint("portal.sso", sso_region),
        str::to_string,
    );
    net.check_time(&step, &at)
        .map_err(|e| anyhow!("profile `{profile}`: {e}"))?;
    let mut b = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(sso_region.to_string()))
        .http_client(net.http_client())
        .timeout_config(net.timeouts())
        .retry_config(Network::retries());
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
                anyhow!(
                    "profile `{profile}`: IAM Identity Center rejected the cached login; {}",
                    login_hint(profile)
                )
            } else {
                anyhow!("profile `{profile}`: {}", net.call_error(&step, &at, &e))
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
