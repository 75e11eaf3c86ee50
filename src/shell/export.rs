//! The credentials alone, in the formats of the AWS CLI v2's `aws configure export-credentials`.
//! `process` is credential_process JSON, so another tool's profile can say
//! `credential_process = awsenv export base --format process`.

use anyhow::{bail, Result};

use super::Shell;
use crate::creds::{format_rfc3339, Credentials};
use crate::os::env;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// `export NAME=value` lines for POSIX shells.
    Env,
    /// `NAME=value` lines (for .env files).
    EnvNoExport,
    /// `set -gx NAME value` lines for fish.
    Fish,
    /// `$env:NAME = 'value'` lines for PowerShell.
    Powershell,
    /// `set NAME=value` lines for cmd.exe.
    WindowsCmd,
    /// The JSON of the credential_process protocol.
    Process,
}

pub fn render(format: ExportFormat, creds: &Credentials) -> Result<String> {
    if format == ExportFormat::Process {
        let mut json = serde_json::json!({
            "Version": 1,
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key.expose(),
        });
        if let Some(t) = &creds.session_token {
            json["SessionToken"] = t.expose().into();
        }
        if let Some(e) = creds.expiration {
            json["Expiration"] = format_rfc3339(e).into();
        }
        return Ok(format!("{json}\n"));
    }
    let expiration = creds.expiration.map(format_rfc3339);
    let pairs: Vec<(&str, &str)> = [
        (env::ACCESS_KEY_ID, Some(creds.access_key_id.as_str())),
        (
            env::SECRET_ACCESS_KEY,
            Some(creds.secret_access_key.expose()),
        ),
        (
            env::SESSION_TOKEN,
            creds.session_token.as_ref().map(|t| t.expose()),
        ),
        (env::EXPIRATION, expiration.as_deref()),
    ]
    .into_iter()
    .filter_map(|(n, v)| Some((n, v?)))
    .collect();
    let mut out = String::new();
    for (name, value) in pairs {
        let line = match format {
            ExportFormat::Env => format!("export {name}={}", Shell::Posix.quote(value)),
            ExportFormat::EnvNoExport => format!("{name}={}", Shell::Posix.quote(value)),
            ExportFormat::Fish => format!("set -gx {name} {}", Shell::Fish.quote(value)),
            ExportFormat::Powershell => format!("$env:{name} = {}", Shell::Powershell.quote(value)),
            ExportFormat::WindowsCmd => {
                // cmd.exe has no quoting that makes `%`, `"`, `^`, `!` or a newline inert.
                if value.contains(['%', '"', '^', '!', '\n', '\r', '&', '|', '<', '>']) {
                    bail!("{name} holds characters cmd.exe cannot take safely; use another format");
                }
                format!("set {name}={value}")
            }
            ExportFormat::Process => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::Secret;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAX".into(),
            secret_access_key: Secret::new("se/cr+et"),
            session_token: Some(Secret::new("tok=")),
            expiration: crate::creds::parse_timestamp("2030-01-02T03:04:05Z"),
            account_id: None,
        }
    }

    #[test]
    fn formats() {
        assert_eq!(
            render(ExportFormat::Env, &creds()).unwrap(),
            "export AWS_ACCESS_KEY_ID=ASIAX\nexport AWS_SECRET_ACCESS_KEY=se/cr+et\nexport AWS_SESSION_TOKEN=tok=\nexport AWS_CREDENTIAL_EXPIRATION='2030-01-02T03:04:05Z'\n"
        );
        assert_eq!(
            render(ExportFormat::WindowsCmd, &creds())
                .unwrap()
                .lines()
                .next(),
            Some("set AWS_ACCESS_KEY_ID=ASIAX")
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(ExportFormat::Process, &creds()).unwrap()).unwrap();
        assert_eq!(json["Version"], 1);
        assert_eq!(json["Expiration"], "2030-01-02T03:04:05Z");
        // What we print as process JSON, our own credential_process reader accepts.
        let back = crate::providers::process::parse(
            render(ExportFormat::Process, &creds()).unwrap().as_bytes(),
        )
        .unwrap();
        assert_eq!(back, creds());
    }
}
