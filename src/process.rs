//! `credential_process`: run a command (no shell in between; the line is split the way the AWS
//! CLI splits it, like a POSIX shell would) and read the JSON it prints.
//! Its stderr goes straight to ours, so its prompts and messages reach the user.

use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

use crate::creds::{parse_timestamp, Credentials, Secret};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    version: Option<serde_json::Value>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<String>,
}

/// Splits a command line as botocore does on POSIX systems (`shlex.split`).
pub fn split(command: &str) -> Option<Vec<String>> {
    shlex::split(command).filter(|v| !v.is_empty())
}

/// Runs `command` for `profile` and returns its credentials.
pub fn run(profile: &str, command: &str) -> Result<Credentials> {
    let argv = split(command).ok_or_else(|| {
        anyhow!("profile `{profile}`: credential_process is empty or has unbalanced quotes")
    })?;
    crate::debug!(
        "profile `{profile}`: running credential_process {}",
        argv[0]
    );
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped())
        .output()
        .with_context(|| {
            format!(
                "profile `{profile}`: cannot run credential_process `{}`",
                argv[0]
            )
        })?;
    if !out.status.success() {
        bail!(
            "profile `{profile}`: credential_process `{}` failed ({})",
            argv[0],
            out.status
        );
    }
    parse(&out.stdout).map_err(|why| {
        // Never echo the output: it may hold secrets.
        anyhow!(
            "profile `{profile}`: credential_process `{}` printed {why}",
            argv[0]
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
        .filter(|s| !s.is_empty())
        .ok_or("JSON without SecretAccessKey")?;
    let expiration = match o.expiration {
        None => None,
        Some(e) => Some(parse_timestamp(&e).ok_or("an Expiration that is not an RFC 3339 time")?),
    };
    Ok(Credentials {
        access_key_id,
        secret_access_key: Secret::new(secret),
        session_token: o.session_token.filter(|s| !s.is_empty()).map(Secret::new),
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_shlex() {
        assert_eq!(
            split(r#"/bin/tool --name "a b" 'c d' e\ f"#).unwrap(),
            ["/bin/tool", "--name", "a b", "c d", "e f"]
        );
        assert!(split("tool 'unbalanced").is_none());
        assert!(split("   ").is_none());
    }

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
