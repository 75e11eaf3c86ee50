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
    /// A JSON record for nushell: `awsenv export P --format nu | from json | load-env`.
    Nu,
    /// `set-env NAME 'value'` lines for elvish.
    Elvish,
    /// `$NAME = 'value'` lines for xonsh.
    Xonsh,
    /// `setenv NAME 'value';` lines for tcsh.
    Tcsh,
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
    if format == ExportFormat::Nu {
        let record: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), (*v).into()))
            .collect();
        return Ok(format!("{}\n", serde_json::Value::Object(record)));
    }
    let mut out = String::new();
    for (name, value) in pairs {
        let line = match format {
            ExportFormat::Env => format!("export {name}={}", Shell::Posix.quote(value)),
            ExportFormat::EnvNoExport => format!("{name}={}", Shell::Posix.quote(value)),
            ExportFormat::Fish => format!("set -gx {name} {}", Shell::Fish.quote(value)),
            ExportFormat::Powershell => format!("$env:{name} = {}", Shell::Powershell.quote(value)),
            ExportFormat::Xonsh | ExportFormat::Tcsh => {
                let shell = match format {
                    ExportFormat::Xonsh => Shell::Xonsh,
                    _ => Shell::Tcsh,
                };
                let line = shell.script(&[crate::shell::Change::set(name, value)])?;
                line.trim_end().to_string()
            }
            ExportFormat::WindowsCmd => {
                if !cmd_can_hold(value) {
                    bail!("{name} holds a character cmd.exe would act on or change (% ! ^ \" & | < >, a line break, or non-ASCII text); use --format powershell or process");
                }
                format!("set {name}={value}")
            }
            ExportFormat::Elvish => format!("set-env {name} {}", Shell::Elvish.quote(value)),
            ExportFormat::Process | ExportFormat::Nu => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Whether `set NAME=value` gives cmd.exe exactly `value`. cmd.exe has no quoting that makes
/// `%`, `"`, a line break or (with delayed expansion) `!` inert; `^ & | < >` are its escape and
/// operators. And it reads a script in the console's code page (437, 850… rarely UTF-8), so
/// any non-ASCII character would come out as others (tests/it/windows.rs shows it in Wine's
/// cmd.exe). Everything else, blanks and a trailing space included, is kept as written.
fn cmd_can_hold(value: &str) -> bool {
    value.is_ascii() && !value.contains(['%', '"', '^', '!', '\n', '\r', '&', '|', '<', '>'])
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
        // What cmd.exe cannot hold is refused, never written half-safe.
        for bad in [
            "caf\u{e9}",
            "%PATH%",
            "!x!",
            "a\"b",
            "a^b",
            "a&b",
            "a|b",
            "a<b",
            "a>b",
            "a\nb",
            "a\rb",
        ] {
            let mut c = creds();
            c.secret_access_key = Secret::new(bad);
            let e = render(ExportFormat::WindowsCmd, &c)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("AWS_SECRET_ACCESS_KEY holds"), "{bad:?}: {e}");
            assert!(!e.contains(bad), "the value is not shown: {e}");
        }
        let mut c = creds();
        c.secret_access_key = Secret::new("a;b,c=d (e) 'q' $(y) `x` ~ ");
        assert!(render(ExportFormat::WindowsCmd, &c)
            .unwrap()
            .contains("\nset AWS_SECRET_ACCESS_KEY=a;b,c=d (e) 'q' $(y) `x` ~ \n"));
        let json: serde_json::Value =
            serde_json::from_str(&render(ExportFormat::Process, &creds()).unwrap()).unwrap();
        assert_eq!(json["Version"], 1);
        assert_eq!(json["Expiration"], "2030-01-02T03:04:05Z");
        let nu: serde_json::Value =
            serde_json::from_str(&render(ExportFormat::Nu, &creds()).unwrap()).unwrap();
        assert_eq!(nu["AWS_SECRET_ACCESS_KEY"], "se/cr+et");
        assert_eq!(nu.as_object().unwrap().len(), 4);
        assert_eq!(
            render(ExportFormat::Elvish, &creds())
                .unwrap()
                .lines()
                .nth(1),
            Some("set-env AWS_SECRET_ACCESS_KEY 'se/cr+et'")
        );
        // What we print as process JSON, our own credential_process reader accepts.
        let back = crate::providers::process::parse(
            render(ExportFormat::Process, &creds()).unwrap().as_bytes(),
        )
        .unwrap();
        assert_eq!(back, creds());
    }
}
