//! Credentials as they travel through awsenv: from a source or STS call to a script, and the
//! cache of temporary ones ([`cache`]).
//!
//! Secrets are wrapped in [`Secret`] so that a stray `{:?}` (in `--debug` output, an error, a
//! panic) prints a placeholder instead of the key, and so that the memory that held one is
//! wiped when it is dropped (as the store's buffers are).

pub mod cache;
pub mod lock;

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::os::env::{self, Env};

/// A secret string whose `Debug` never shows the value (it has no `Display`), zeroed when
/// dropped. Copies made by serde or by a caller of [`Secret::expose`] are not covered: the
/// wipe narrows where secrets linger, it does not promise they are nowhere else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The only way to read a secret: the name makes every use easy to find.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// A set of AWS credentials. `session_token` and `expiration` are present for temporary
/// credentials (STS, SSO, most credential processes) and absent for long-term IAM user keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expiration: Option<OffsetDateTime>,
    /// The account the keys belong to, when their source says it (`AWS_ACCOUNT_ID`): the
    /// files' `aws_account_id`, credential_process's `AccountId`, the SSO account, an `aws
    /// login` session's, the ARN STS returns for a role — as botocore 1.44 takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

impl Credentials {
    /// The keys in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and the token: the legacy
    /// `AWS_SECURITY_TOKEN` first, then `AWS_SESSION_TOKEN`, as botocore reads them), if both are
    /// set: what `credential_source = Environment` and `awsenv login` with no profile use.
    /// Nothing else in awsenv takes keys from the environment.
    pub fn from_env(env: &Env) -> Option<Credentials> {
        let token = [env::SECURITY_TOKEN, env::SESSION_TOKEN]
            .into_iter()
            .find_map(|name| env.get(name));
        Some(Credentials {
            access_key_id: env.get(env::ACCESS_KEY_ID)?.to_string(),
            secret_access_key: Secret::new(env.get(env::SECRET_ACCESS_KEY)?),
            session_token: token.map(Secret::new),
            expiration: None,
            account_id: None,
        })
    }

    /// Long-term keys of an IAM user: no session token. Only these may call GetSessionToken.
    #[cfg(test)]
    pub fn is_long_term(&self) -> bool {
        self.session_token.is_none()
    }

    /// True when the credentials expire within `margin` of `now` (or have already expired).
    pub fn expires_within(&self, now: OffsetDateTime, margin: time::Duration) -> bool {
        // Checked: a margin beyond the calendar (a setting's typo) means "expires within it".
        matches!(self.expiration, Some(exp) if exp.checked_sub(margin).is_none_or(|t| t <= now))
    }
}

/// RFC 3339 in UTC with whole seconds (`2026-11-23T15:33:06Z`), the form the SDKs and the AWS CLI
/// write for `AWS_CREDENTIAL_EXPIRATION` and the credential_process `Expiration` field.
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Parses RFC 3339 timestamps as STS, credential processes and the SSO cache write them,
/// with or without fractional seconds. The AWS CLI v1 SSO cache writes `…Z` or `…UTC`.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let fixed = s
        .strip_suffix("UTC")
        .map(|p| format!("{}Z", p.trim_end()))?;
    OffsetDateTime::parse(&fixed, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_and_are_wiped_on_drop() {
        let creds = Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG"),
            session_token: Some(Secret::new("IQoJb3JpZ2luX2VjEXAMPLE")),
            expiration: None,
            account_id: None,
        };
        let shown = format!("{creds:?} {creds:#?}");
        assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
        assert!(
            !shown.contains("wJalr") && !shown.contains("IQoJb3"),
            "{shown}"
        );
        // Dropping runs the wipe; the wipe empties the value.
        fn wiped_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        wiped_on_drop(&creds.secret_access_key);
        let mut s = Secret::new("abc");
        s.zeroize();
        assert_eq!(s.expose(), "");
    }

    #[test]
    fn from_env_reads_aws_security_token_first_as_botocore() {
        let env = Env::default()
            .with(env::ACCESS_KEY_ID, "ASIAENV")
            .with(env::SECRET_ACCESS_KEY, "s");
        assert_eq!(Credentials::from_env(&env).unwrap().session_token, None);
        let env = env.with(env::SESSION_TOKEN, "session");
        let token = |e: &Env| Credentials::from_env(e).unwrap().session_token.unwrap();
        assert_eq!(token(&env).expose(), "session");
        let legacy = env.clone().with(env::SECURITY_TOKEN, "security");
        assert_eq!(token(&legacy).expose(), "security");
        // An empty variable counts as unset, as everywhere in awsenv.
        let empty = env.with(env::SECURITY_TOKEN, "");
        assert_eq!(token(&empty).expose(), "session");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("verysecret"),
            session_token: Some(Secret::new("tokentoken")),
            expiration: None,
            account_id: None,
        };
        let dbg = format!("{c:?}");
        assert!(dbg.contains("AKIAEXAMPLE"));
        assert!(!dbg.contains("verysecret"));
        assert!(!dbg.contains("tokentoken"));
    }

    #[test]
    fn parses_fractional_and_legacy_timestamps() {
        let a = parse_timestamp("2026-11-23T15:33:06.155016Z").unwrap();
        assert_eq!(format_rfc3339(a), "2026-11-23T15:33:06Z");
        let b = parse_timestamp("2026-11-23T15:33:06UTC").unwrap();
        assert_eq!(format_rfc3339(b), "2026-11-23T15:33:06Z");
        let c = parse_timestamp("2026-11-23T16:33:06+01:00").unwrap();
        assert_eq!(format_rfc3339(c), "2026-11-23T15:33:06Z");
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn expiry_margin() {
        let now = OffsetDateTime::now_utc();
        let mut c = Credentials {
            access_key_id: "A".into(),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: None,
            account_id: None,
        };
        assert!(!c.expires_within(now, time::Duration::minutes(5)));
        c.expiration = Some(now + time::Duration::minutes(4));
        assert!(c.expires_within(now, time::Duration::minutes(5)));
        c.expiration = Some(now + time::Duration::minutes(6));
        assert!(!c.expires_within(now, time::Duration::minutes(5)));
    }
}
