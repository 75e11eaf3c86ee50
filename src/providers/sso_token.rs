//! IAM Identity Center sign-ins: the access token the AWS CLI keeps in `~/.aws/sso/cache/`
//! (read, refresh, write), and the device-code login that creates it.
//!
//! The cache file is named by the SHA-1 of the `[sso-session]` name, or of the start URL for a
//! legacy profile, exactly as botocore names it, so one login serves the AWS CLI and awsenv.
//! Written files have the fields the AWS CLI v2 writes, mode 0600, replaced atomically (a
//! temporary file in the same directory, then a rename), as botocore's JSONFileCache does.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::aws::oidc::{Oidc, Registration, Token};
use crate::aws::sso::login_hint;
use crate::aws::Network;
use crate::config::sso_session::SsoSession;
use crate::creds::cache::CacheKey;
use crate::creds::{format_rfc3339, parse_timestamp, Secret};
use crate::os::log::debug;
use crate::os::private_file;

/// botocore refreshes a token this long before it expires.
const REFRESH_WINDOW: time::Duration = time::Duration::minutes(15);

/// A token cache file, with every field the AWS CLI v2 writes. Only `accessToken` and
/// `expiresAt` are required to read one (botocore's rule); the rest enables refreshing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub access_token: Secret,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
}

/// Where sign-ins are cached (`~/.aws/sso/cache`), and where the OIDC service is.
pub struct TokenCache {
    pub dir: PathBuf,
    pub oidc_endpoint: Option<String>,
}

impl TokenCache {
    /// The cache file for a session name (or legacy start URL), named as botocore names it.
    pub fn token_path(&self, session_or_start_url: &str) -> PathBuf {
        let digest = Sha1::digest(session_or_start_url.as_bytes());
        self.dir.join(format!("{}.json", hex::encode(digest)))
    }

    /// The single-flight lock of a sign-in: a refresh and a login of it take the same one.
    pub fn lock_key(&self, session_or_start_url: &str) -> CacheKey {
        let path = self.token_path(session_or_start_url);
        CacheKey::from_parts(&["sso-token", &path.to_string_lossy()])
    }
}

/// Reads a token file; Ok(None) when there is none.
/// The file must be the user's own, private, regular and small (`private_file::read_cli`): a
/// FIFO or a planted file in a shared cache is refused, never waited on or used.
pub fn read_token(path: &Path) -> Result<Option<CachedToken>> {
    match private_file::read_cli(path) {
        Ok(Some(b)) => Ok(Some(serde_json::from_slice(&b).map_err(|_| {
            anyhow!("the SSO token cache {} is not valid", path.display())
        })?)),
        Ok(None) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes `value` as JSON to `path`: mode 0600, atomically, in a directory only the owner enters.
pub fn write_private_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().context("a cache file has a directory")?;
    let json = serde_json::to_vec(value)?;
    private_file::create_dir(dir)
        .and_then(|()| private_file::write(path, &json))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A valid access token for the profile, refreshed first (and written back) when it expires
/// within 15 minutes and the sign-in has a refresh token, as botocore's SSOTokenProvider does;
/// else an error saying how to log in. `net` is only called when a refresh is needed.
pub fn access_token<'n>(
    cache: &TokenCache,
    net: impl FnOnce() -> Result<&'n Network>,
    profile: &str,
    session: &SsoSession,
) -> Result<String> {
    let path = cache.token_path(session.cache_key());
    let token = read_token(&path)
        .map_err(|e| anyhow!("profile `{profile}`: {e:#}; {}", login_hint(profile)))?
        .ok_or_else(|| {
            anyhow!(
                "profile `{profile}`: not logged in to IAM Identity Center ({} is missing); {}",
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
    let now = OffsetDateTime::now_utc();
    if expires - REFRESH_WINDOW > now {
        return Ok(token.access_token.expose().to_string());
    }
    // Only sso-session sign-ins are refreshed (legacy profiles have no refresh token).
    let refreshed = match &session.name {
        Some(name) if can_refresh(&token, now) => {
            debug!("refreshing the IAM Identity Center token of sso-session `{name}`");
            let attempt = net().and_then(|n| refresh(cache, n, session, &token));
            if let Err(e) = &attempt {
                debug!("refresh failed: {e:#}");
            }
            attempt.ok()
        }
        _ => None,
    };
    match refreshed {
        Some(t) => Ok(t.access_token.expose().to_string()),
        None if expires > now => Ok(token.access_token.expose().to_string()),
        None => bail!(
            "profile `{profile}`: the IAM Identity Center login expired at {}; {}",
            format_rfc3339(expires),
            login_hint(profile)
        ),
    }
}

/// botocore's conditions: a refresh token, the client's id and secret, and a registration that
/// has not expired.
fn can_refresh(token: &CachedToken, now: OffsetDateTime) -> bool {
    token.refresh_token.is_some()
        && token.client_id.is_some()
        && token.client_secret.is_some()
        && token
            .registration_expires_at
            .as_deref()
            .and_then(parse_timestamp)
            .is_some_and(|t| t > now)
}

/// Trades the refresh token for a new access token and writes it back in the AWS CLI's shape.
fn refresh(
    cache: &TokenCache,
    net: &Network,
    session: &SsoSession,
    old: &CachedToken,
) -> Result<CachedToken> {
    let (Some(id), Some(secret), Some(rt)) =
        (&old.client_id, &old.client_secret, &old.refresh_token)
    else {
        bail!("the cached sign-in has no refresh token");
    };
    let oidc = Oidc::new(net, &session.region, cache.oidc_endpoint.as_deref());
    let t = oidc.refresh(id, secret, rt)?;
    let new = CachedToken {
        start_url: Some(session.start_url.clone()),
        region: Some(session.region.clone()),
        access_token: t.access_token,
        expires_at: expires_at(t.expires_in),
        client_id: Some(id.clone()),
        client_secret: Some(secret.clone()),
        registration_expires_at: old.registration_expires_at.clone(),
        // Like botocore: a refresh token is kept only if the service sent one.
        refresh_token: t.refresh_token,
    };
    write_private_json(&cache.token_path(session.cache_key()), &new)?;
    Ok(new)
}

pub fn expires_at(after: std::time::Duration) -> String {
    format_rfc3339(OffsetDateTime::now_utc() + after)
}

/// The registration cache file, named as the AWS CLI v2's `BaseSSOTokenFetcher` names it: the
/// SHA-1 of Python's `json.dumps({...}, sort_keys=True)` of tool, startUrl, region, scopes (as
/// configured, null when absent) and session_name (null for legacy profiles).
pub fn registration_path(dir: &Path, session: &SsoSession) -> PathBuf {
    let null = || "null".to_string();
    let scopes = session
        .configured_scopes
        .as_ref()
        .map(|s| {
            let items: Vec<String> = s.iter().map(|x| py_json_str(x)).collect();
            format!("[{}]", items.join(", "))
        })
        .unwrap_or_else(null);
    // Already in sort_keys order.
    let fields = [
        ("region", py_json_str(&session.region)),
        ("scopes", scopes),
        (
            "session_name",
            session
                .name
                .as_deref()
                .map(py_json_str)
                .unwrap_or_else(null),
        ),
        ("startUrl", py_json_str(&session.start_url)),
        ("tool", py_json_str("botocore")),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}: {v}", py_json_str(k)))
        .collect();
    let text = format!("{{{}}}", body.join(", "));
    dir.join(format!(
        "{}.json",
        hex::encode(Sha1::digest(text.as_bytes()))
    ))
}

/// A JSON string as Python's json.dumps writes it (ASCII only: other characters as \uXXXX).
fn py_json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The registration cache file's fields (botocore's names).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedRegistration {
    client_id: String,
    client_secret: Secret,
    expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    /// Written for authorization-code clients, as the CLI v2 does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grant_types: Option<Vec<String>>,
    /// The redirect URIs registered. awsenv writes them (botocore ignores fields it does not
    /// know); the AWS CLI does not, and always registers [`PORTLESS_REDIRECT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_uris: Option<Vec<String>>,
}

/// The redirect URI an authorization-code client is registered with, as the AWS CLI v2
/// registers it: loopback without a port, which RFC 8252 §7.3 makes match whatever port a
/// sign-in listens on. The port goes only into `/authorize` and CreateToken, so one
/// registration serves every sign-in for its 90 days.
pub const PORTLESS_REDIRECT: &str = "http://127.0.0.1/oauth/callback";

/// Which sign-in a client registration is for.
pub enum Flow {
    Device,
    /// The authorization-code grant, redirecting to a loopback port.
    Code,
}

/// Whether a cached authorization-code registration was made for the portless redirect URI.
/// Earlier awsenv builds registered the URI with the port of its first sign-in, so a later sign-in
/// on another port was refused at `/authorize` (in the browser, where awsenv cannot see it).
/// Its files and the AWS CLI's look alike but for the writer: the CLI's are Python's
/// `json.dumps` (`"clientId": "…"`, a space after the colon), the earlier awsenv's serde's
/// compact JSON. A quote inside a value is escaped, so the pattern can only be the key.
fn registered_portless(r: &CachedRegistration, text: &[u8]) -> bool {
    match &r.redirect_uris {
        Some(uris) => uris.iter().any(|u| u == PORTLESS_REDIRECT),
        None => {
            const PYTHON_KEY: &[u8] = br#""clientId": "#;
            text.windows(PYTHON_KEY.len()).any(|w| w == PYTHON_KEY)
        }
    }
}

/// A cached client registration still valid for 15 minutes (and registered for the grant the
/// flow needs), else a new one (cached).
pub fn registration(
    dir: &Path,
    oidc: &Oidc<'_>,
    session: &SsoSession,
    flow: &Flow,
) -> Result<Registration> {
    let path = registration_path(dir, session);
    let now = OffsetDateTime::now_utc();
    if let Ok(Some(bytes)) = private_file::read_cli(&path) {
        if let Ok(r) = serde_json::from_slice::<CachedRegistration>(&bytes) {
            let fits = match flow {
                Flow::Device => true,
                Flow::Code => {
                    r.grant_types
                        .as_ref()
                        .is_some_and(|g| g.iter().any(|x| x == "authorization_code"))
                        && registered_portless(&r, &bytes)
                }
            };
            if !fits {
                debug!(
                    "the OIDC client registration in {} is not for this flow (or names a port); registering anew",
                    path.display()
                );
            }
            if let Some(exp) = parse_timestamp(&r.expires_at)
                .filter(|e| *e - REFRESH_WINDOW > now)
                .filter(|_| fits)
            {
                debug!("reusing the OIDC client registration in {}", path.display());
                return Ok(Registration {
                    client_id: r.client_id,
                    client_secret: r.client_secret,
                    expires_at: exp.unix_timestamp(),
                });
            }
        }
    }
    let name = match &session.name {
        Some(n) => format!("botocore-client-{n}"),
        None => format!("botocore-client-{}", now.unix_timestamp()),
    };
    let (reg, grant_types, redirect_uris) = match flow {
        Flow::Device => (oidc.register(&name, session.scopes.as_deref())?, None, None),
        Flow::Code => (
            oidc.register_for_code(
                &name,
                session.scopes.as_deref(),
                PORTLESS_REDIRECT,
                &session.start_url,
            )?,
            Some(crate::aws::oidc::CODE_GRANTS.map(String::from).to_vec()),
            Some(vec![PORTLESS_REDIRECT.to_string()]),
        ),
    };
    let cached = CachedRegistration {
        client_id: reg.client_id.clone(),
        client_secret: reg.client_secret.clone(),
        expires_at: timestamp(reg.expires_at)?,
        scopes: session.scopes.clone(),
        grant_types,
        redirect_uris,
    };
    write_private_json(&path, &cached)?;
    Ok(reg)
}

pub fn timestamp(unix: i64) -> Result<String> {
    Ok(format_rfc3339(
        OffsetDateTime::from_unix_timestamp(unix)
            .map_err(|_| anyhow!("RegisterClient returned an invalid expiry"))?,
    ))
}

/// What the user must do to approve the sign-in, handed to the caller to show.
pub struct Prompt<'a> {
    pub verification_uri: &'a str,
    pub verification_uri_complete: Option<&'a str>,
    pub user_code: &'a str,
}

/// The device authorization flow: register (or reuse the registration), start, let the caller
/// show the code, poll, and write the token file. Returns the file written.
pub fn login(
    cache: &TokenCache,
    net: &Network,
    session: &SsoSession,
    show: impl FnOnce(&Prompt<'_>),
) -> Result<PathBuf> {
    let oidc = Oidc::new(net, &session.region, cache.oidc_endpoint.as_deref());
    let reg = registration(&cache.dir, &oidc, session, &Flow::Device)?;
    let device = oidc.start_device(&reg, &session.start_url)?;
    show(&Prompt {
        verification_uri: &device.verification_uri,
        verification_uri_complete: device.verification_uri_complete.as_deref(),
        user_code: &device.user_code,
    });
    let token = oidc.wait_for_token(&reg, &device)?;
    save_login(cache, session, &reg, token)
}

/// Writes a new sign-in's token file in the AWS CLI v2's shape. Returns the file written.
pub fn save_login(
    cache: &TokenCache,
    session: &SsoSession,
    reg: &Registration,
    token: Token,
) -> Result<PathBuf> {
    let Token {
        access_token,
        expires_in,
        refresh_token,
    } = token;
    let token = CachedToken {
        start_url: Some(session.start_url.clone()),
        region: Some(session.region.clone()),
        access_token,
        expires_at: expires_at(expires_in),
        client_id: Some(reg.client_id.clone()),
        client_secret: Some(reg.client_secret.clone()),
        registration_expires_at: Some(timestamp(reg.expires_at)?),
        refresh_token,
    };
    let path = cache.token_path(session.cache_key());
    write_private_json(&path, &token)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn which_cached_registrations_were_made_without_a_port() {
        let check = |text: &str| {
            let r: super::CachedRegistration = serde_json::from_str(text).unwrap();
            super::registered_portless(&r, text.as_bytes())
        };
        // The AWS CLI v2's (Python's json.dumps), and awsenv's own with the URI recorded.
        assert!(check(
            r#"{"clientId": "c", "clientSecret": "s", "expiresAt": "2099-01-01T00:00:00Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#
        ));
        assert!(check(
            r#"{"clientId":"c","clientSecret":"s","expiresAt":"2099-01-01T00:00:00Z","grantTypes":["authorization_code"],"redirectUris":["http://127.0.0.1/oauth/callback"]}"#
        ));
        // An earlier awsenv's (compact, no URI), even with the pattern inside a value; a URI
        // with a port.
        assert!(!check(
            r#"{"clientId":"c","clientSecret":"\"clientId\": \"","expiresAt":"2099-01-01T00:00:00Z","grantTypes":["authorization_code"]}"#
        ));
        assert!(!check(
            r#"{"clientId": "c", "clientSecret": "s", "expiresAt": "2099-01-01T00:00:00Z", "redirectUris": ["http://127.0.0.1:4000/oauth/callback"]}"#
        ));
    }

    #[test]
    fn python_json_strings() {
        assert_eq!(super::py_json_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            super::py_json_str("é\u{1F600}\n"),
            r#""\u00e9\ud83d\ude00\n""#
        );
    }

    #[test]
    fn cache_file_name_is_botocores() {
        // `printf %s my-sso | sha1sum`, as botocore names the file for sso-session `my-sso`.
        let cache = super::TokenCache {
            dir: "/c".into(),
            oidc_endpoint: None,
        };
        let p = cache.token_path("my-sso");
        assert_eq!(
            p.file_name().unwrap().to_str().unwrap(),
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
        );
    }
}
