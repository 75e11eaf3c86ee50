//! `credential_process`: run the command (see [`super::command`]) and read the JSON it prints,
//! as the AWS CLI reads it (Version 1).

use anyhow::{anyhow, Result};
use serde::Deserialize;

use crate::config::keys;
use crate::creds::{parse_timestamp, Credentials, Secret};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    version: Option<serde_json::Value>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    session_token: Option<Secret>,
    expiration: Option<String>,
    account_id: Option<String>,
}

/// Runs the `credential_process` of `profile` and returns its credentials.
pub fn run(profile: &str, command: &str) -> Result<Credentials> {
    let stdout = super::command::run(profile, keys::CREDENTIAL_PROCESS, command)?;
    parse(&stdout).map_err(|why| {
        // Never echo the output: it may hold secrets.
        anyhow!(
            "profile `{profile}`: credential_process `{}` printed {why}",
            super::command::program(command)
        )
    })
}

/// Validates the credential_process JSON (Version 1).
pub fn parse(stdout: &[u8]) -> Result<Credentials, String> {
    let o: Output = serde_json::from_slice(stdout)
        .map_err(|_| "output that is not the expected JSON object".to_string())?;
    match o.version.as_ref().and_then(|v| v.as_u64()) {
        Some(1) => {}
        Some(_) | None => return Err("JSON without \"Version\": 1".into()),
    }
    let access_key_id = o
        .access_key_id
        .filter(|s| !s.is_empty())
        .ok_or("JSON without AccessKeyId")?;
    let secret = o
        .secret_access_key
        .filter(|s| !s.expose().is_empty())
        .ok_or("JSON without SecretAccessKey")?;
    let expiration = match o.expiration {
        None => None,
        Some(e) => Some(parse_timestamp(&e).ok_or("an Expiration that is not an RFC 3339 time")?),
    };
    Ok(Credentials {
        access_key_id,
        secret_access_key: secret,
        session_token: o.session_token.filter(|s| !s.expose().is_empty()),
        expiration,
        account_id: o.account_id.filter(|s| !s.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_json() {
        let ok = parse(br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(ok.access_key_id, "A");
        assert!(ok.expiration.is_some());
        let long_term = parse(br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}"#).unwrap();
        assert!(long_term.is_long_term());
        assert_eq!(
            parse(br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"}"#).unwrap_err(),
            "JSON without \"Version\": 1"
        );
        assert_eq!(
            parse(br#"{"Version":1,"AccessKeyId":"A"}"#).unwrap_err(),
            "JSON without SecretAccessKey"
        );
        assert!(parse(b"AKIA... not json").is_err());
        assert!(parse(
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"}"#
        )
        .is_err());
    }
}
