//! The IAM Identity Center portal: `GetRoleCredentials` trades a sign-in's access token for
//! one role's credentials; `ListAccounts` and `ListAccountRoles` (paged) say what it reaches.

use anyhow::{anyhow, Context, Result};
use time::OffsetDateTime;

use super::{sdk_error, Network};
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
    let step = format!("GetRoleCredentials for {role_name} in {account_id}");
    let at = portal_at(net, sso_region, endpoint);
    net.check_time(&step, &at)
        .with_context(|| format!("profile `{profile}`"))?;
    let client = client(net, sso_region, endpoint);
    let out = net
        .call(
            &format!("the IAM Identity Center portal's {step}"),
            &at,
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
        account_id: Some(account_id.to_string()),
    })
}

/// Where the portal is: the configured endpoint, else the SDK's rules for the run's settings.
fn portal_at(net: &Network, sso_region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => e.to_string(),
        None => super::endpoints::sso(sso_region, net.reach().variants)
            .unwrap_or_else(|e| format!("the SSO portal in {sso_region} ({e})")),
    }
}

fn client(net: &Network, sso_region: &str, endpoint: Option<&str>) -> aws_sdk_sso::Client {
    use aws_sdk_sso::config::{BehaviorVersion, Region};
    let at = portal_at(net, sso_region, endpoint);
    crate::os::log::debug!("SSO portal endpoint: {at}");
    let v = net.reach().variants;
    let mut b = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(sso_region.to_string()))
        .http_client(net.http_client_for(&at))
        .timeout_config(net.timeouts())
        .retry_config(net.retries())
        .use_fips(v.fips && endpoint.is_none())
        .use_dual_stack(v.dual_stack && endpoint.is_none());
    if let Some(e) = endpoint {
        b = b.endpoint_url(e);
    }
    aws_sdk_sso::Client::from_conf(b.build())
}

/// An account a sign-in reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
}

/// Every account and role the token reaches (ListAccounts, then ListAccountRoles per account,
/// following `nextToken`), as (account, role names).
pub fn accounts_and_roles(
    net: &Network,
    token: &str,
    sso_region: &str,
    endpoint: Option<&str>,
) -> Result<Vec<(Account, Vec<String>)>> {
    let client = client(net, sso_region, endpoint);
    let at = portal_at(net, sso_region, endpoint);
    let failed = |call: &str, e: String| anyhow!("{call} failed: {e}");
    let mut accounts = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = net
            .call(
                "the IAM Identity Center portal's ListAccounts",
                &at,
                client
                    .list_accounts()
                    .access_token(token)
                    .set_next_token(next.take())
                    .send(),
            )
            .map_err(|e| failed("ListAccounts", sdk_error(&e)))?;
        for a in out.account_list() {
            accounts.push(Account {
                id: a.account_id().unwrap_or_default().to_string(),
                name: a.account_name().unwrap_or_default().to_string(),
            });
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => break,
        }
    }
    let mut all = Vec::new();
    for account in accounts {
        let mut roles = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = net
                .call(
                    &format!(
                        "the IAM Identity Center portal's ListAccountRoles of {}",
                        account.id
                    ),
                    &at,
                    client
                        .list_account_roles()
                        .access_token(token)
                        .account_id(&account.id)
                        .set_next_token(next.take())
                        .send(),
                )
                .map_err(|e| failed("ListAccountRoles", sdk_error(&e)))?;
            roles.extend(
                out.role_list()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_string)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => break,
            }
        }
        all.push((account, roles));
    }
    Ok(all)
}
