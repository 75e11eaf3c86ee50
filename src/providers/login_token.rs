//! `login_session` profiles: the console sessions `aws login` (AWS CLI 2.32) keeps in
//! `${AWS_LOGIN_CACHE_DIRECTORY:-~/.aws/login/cache}/<hex sha256 of the ARN>.json`.
//!
//! As botocore's `LoginCredentialFetcher` does: keys with more than 5 minutes left are used as
//! they are, with no request; otherwise one refresh at the sign-in service, and the file is
//! rewritten as the CLI writes it (new `accessToken` keys and expiry, the new refresh token, every
//! other field kept) so the AWS CLI and the SDKs go on reading it — but mode 0600 and atomically.
//!
//! Why not aws-config's `LoginCredentialsProvider`: it writes the refreshed file with a plain
//! write (not atomic, mode from the umask), drops fields it does not know, only logs a failed
//! save, and takes its endpoint from its own configuration rather than awsenv's one endpoint
//! rule; it would also bring the aws-sdk-signin client into the build for one POST.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use p256::pkcs8::DecodePrivateKey;
use p256::SecretKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::aws::signin::{self, SigninError};
use crate::aws::Network;
use crate::creds::{parse_timestamp, Credentials, Secret};
use crate::os::log::debug;
use crate::os::private_file;

/// botocore's `_REFRESH_THRESHOLD`: keys with less than this left are refreshed first.
pub const REFRESH_WINDOW: time::Duration = time::Duration::minutes(5);

/// Where console sessions are cached, and where the sign-in service is.
pub struct LoginCache {
    pub dir: PathBuf,
    /// A configured endpoint (`AWS_ENDPOINT_URL_SIGNIN`, …); None: the region's own.
    pub endpoint: Option<String>,
}

impl LoginCache {
    /// The cache file of a session, named as botocore's `generate_login_cache_key` names it.
    pub fn path(&self, session_arn: &str) -> PathBuf {
        let digest = Sha256::digest(session_arn.as_bytes());
        self.dir.join(format!("{}.json", hex::encode(digest)))
    }
}

/// What to tell a user whose console session cannot be used.
pub fn login_hint(profile: &str) -> String {
    format!("run `aws login --profile {profile}` to sign in again")
}

/// The expiry of a cached console session, if the file is there and readable (for `list`).
pub fn expiry(cache: &LoginCache, session_arn: &str) -> Option<OffsetDateTime> {
    let token = read(&cache.path(session_arn)).ok()??;
    expires_at(&token)
}

/// The session's keys, refreshed first when they have 5 minutes or less left. `net` is only
/// called for a refresh.
pub fn credentials<'n>(
    cache: &LoginCache,
    net: impl FnOnce() -> Result<&'n Network>,
    profile: &str,
    session_arn: &str,
    region: &str,
) -> Result<Credentials> {
    let path = cache.path(session_arn);
    let hint = || login_hint(profile);
    let token = read(&path)
        .map_err(|e| anyhow!("profile `{profile}`: {e:#}; {}", hint()))?
        .ok_or_else(|| {
            anyhow!(
                "profile `{profile}`: no console session for login_session {session_arn} ({} is missing); {}",
                path.display(),
                hint()
            )
        })?;
    let now = OffsetDateTime::now_utc();
    if let Some(c) = fresh(&token, now) {
        debug!("console session of `{profile}` from {}", path.display());
        return Ok(c);
    }
    debug!("refreshing the console session of `{profile}`");
    let net = net()?;
    match refresh(cache, net, &path, token, region) {
        Ok(c) => Ok(c),
        // Another process may have refreshed it first (the refresh token rotates): use its
        // keys rather than fail.
        Err(e @ RefreshError::Refused(_)) => match read(&path).ok().flatten() {
            Some(t) => fresh(&t, OffsetDateTime::now_utc())
                .ok_or_else(|| anyhow!("profile `{profile}`: {e}; {}", hint())),
            None => bail!("profile `{profile}`: {e}; {}", hint()),
        },
        Err(e) => bail!("profile `{profile}`: {e}"),
    }
}

#[derive(Debug, thiserror::Error)]
enum RefreshError {
    #[error("{0}")]
    Refused(SigninError),
    #[error("{0:#}")]
    Other(anyhow::Error),
}

/// Reads a cache file as a JSON object; Ok(None) when there is none.
fn read(path: &Path) -> Result<Option<Map<String, Value>>> {
    // The user's own private, regular, small file only: a planted session in a shared
    // `AWS_LOGIN_CACHE_DIRECTORY` is refused, a FIFO never waited on.
    let bytes = match private_file::read_cli(path) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        _ => bail!("the console session cache {} is not valid", path.display()),
    }
}

fn str_of<'t>(v: &'t Map<String, Value>, key: &str) -> Option<&'t str> {
    v.get(key).and_then(Value::as_str)
}

fn expires_at(token: &Map<String, Value>) -> Option<OffsetDateTime> {
    let access = token.get("accessToken")?.as_object()?;
    parse_timestamp(str_of(access, "expiresAt")?)
}

/// The cached keys, when they have more than 5 minutes left.
fn fresh(token: &Map<String, Value>, now: OffsetDateTime) -> Option<Credentials> {
    let expiration = expires_at(token).filter(|e| *e - REFRESH_WINDOW > now)?;
    let access = token.get("accessToken")?.as_object()?;
    Some(Credentials {
        access_key_id: str_of(access, "accessKeyId")?.to_string(),
        secret_access_key: Secret::new(str_of(access, "secretAccessKey")?),
        session_token: Some(Secret::new(str_of(access, "sessionToken")?)),
        expiration: Some(expiration),
        account_id: str_of(access, "accountId").map(str::to_string),
    })
}

fn refresh(
    cache: &LoginCache,
    net: &Network,
    path: &Path,
    mut token: Map<String, Value>,
    region: &str,
) -> Result<Credentials, RefreshError> {
    let invalid = |what: &str| {
        RefreshError::Other(anyhow!(
            "the console session cache {} has no {what}",
            path.display()
        ))
    };
    let client_id = str_of(&token, "clientId").ok_or_else(|| invalid("clientId"))?;
    let refresh_token =
        Secret::new(str_of(&token, "refreshToken").ok_or_else(|| invalid("refreshToken"))?);
    let key = private_key(str_of(&token, "dpopKey").ok_or_else(|| invalid("dpopKey"))?)
        .ok_or_else(|| invalid("readable dpopKey"))?;
    let account_id = token
        .get("accessToken")
        .and_then(Value::as_object)
        .and_then(|a| a.get("accountId"))
        .cloned()
        .ok_or_else(|| invalid("accessToken.accountId"))?;
    let account_text = account_id.as_str().map(str::to_string);
    // The session's own region (`signInRegion`, newer logins) wins over the profile's.
    let region = str_of(&token, "signInRegion").unwrap_or(region);
    let endpoint = cache.endpoint.clone().unwrap_or_else(|| {
        crate::aws::partition::Partition::of_region(region)
            .signin_service(region, net.reach().variants)
    });
    let new = match signin::refresh(net, &endpoint, &key, client_id, &refresh_token) {
        Ok(new) => new,
        Err(e @ SigninError::Refused { .. }) => return Err(RefreshError::Refused(e)),
        Err(SigninError::Partial {
            endpoint,
            refresh_token,
        }) => {
            // The old refresh token is spent: keep the new one, or the session is lost.
            token.insert(
                "refreshToken".into(),
                Value::String(refresh_token.expose().into()),
            );
            let kept = serde_json::to_vec(&Value::Object(token))
                .map_err(anyhow::Error::from)
                .and_then(|b| {
                    private_file::write(path, &b)
                        .with_context(|| format!("cannot write {}", path.display()))
                });
            return Err(RefreshError::Other(match kept {
                Ok(()) => anyhow!("the sign-in service at {endpoint} answered with no usable keys (its new refresh token was saved; try again)"),
                Err(e) => e,
            }));
        }
        Err(other) => return Err(RefreshError::Other(other.into())),
    };
    // `expires_in` is capped (`signin::MAX_LIFETIME_SECS`); checked all the same: no answer
    // may panic here, after the refresh token was spent.
    let now = OffsetDateTime::now_utc();
    let expiration = now.checked_add(to_time(new.expires_in)).unwrap_or(now);
    let expires_text = crate::creds::format_rfc3339(expiration);
    token.insert(
        "accessToken".into(),
        serde_json::json!({
            "accessKeyId": new.access_key_id,
            "secretAccessKey": new.secret_access_key.expose(),
            "sessionToken": new.session_token.expose(),
            "accountId": account_id,
            "expiresAt": expires_text,
        }),
    );
    if let Some(rt) = &new.refresh_token {
        token.insert("refreshToken".into(), Value::String(rt.expose().into()));
    }
    let bytes =
        serde_json::to_vec(&Value::Object(token)).map_err(|e| RefreshError::Other(e.into()))?;
    // The new refresh token replaced the old one at the service: not saving it would end the
    // session, so a failed write is an error, not a warning.
    private_file::write(path, &bytes)
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(RefreshError::Other)?;
    Ok(Credentials {
        access_key_id: new.access_key_id,
        secret_access_key: new.secret_access_key,
        session_token: Some(new.session_token),
        expiration: Some(expiration),
        account_id: account_text,
    })
}

/// The cached P-256 key: SEC1 PEM (`EC PRIVATE KEY`) as the CLI writes it, or PKCS#8.
fn private_key(pem: &str) -> Option<SecretKey> {
    let pem = pem.trim();
    SecretKey::from_sec1_pem(pem)
        .ok()
        .or_else(|| SecretKey::from_pkcs8_pem(pem).ok())
}

fn to_time(d: std::time::Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_file_name_is_the_sha256_of_the_arn() {
        // `printf %s arn:aws:iam::123456789012:user/alice | sha256sum`
        let cache = LoginCache {
            dir: "/c".into(),
            endpoint: None,
        };
        assert_eq!(
            cache
                .path("arn:aws:iam::123456789012:user/alice")
                .file_name()
                .unwrap()
                .to_str()
                .unwrap(),
            "b7d71d383b9557a9bad4c3346c50365819226484c6824a0fdef66637be339db0.json"
        );
    }

    #[test]
    fn keys_with_five_minutes_or_less_are_not_fresh() {
        let now = OffsetDateTime::now_utc();
        let token = |at: OffsetDateTime| -> Map<String, Value> {
            serde_json::from_value(serde_json::json!({"accessToken": {
                "accessKeyId": "ASIA", "secretAccessKey": "s", "sessionToken": "t",
                "accountId": "1", "expiresAt": crate::creds::format_rfc3339(at)}}))
            .unwrap()
        };
        assert!(fresh(&token(now + time::Duration::minutes(6)), now).is_some());
        assert!(fresh(&token(now + time::Duration::minutes(5)), now).is_none());
        assert!(fresh(&token(now - time::Duration::minutes(1)), now).is_none());
    }
}
