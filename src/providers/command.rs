//! Running a command the user configured (`credential_process`, `mfa_process`): one runner, so
//! both are split, started and judged alike.
//!
//! The line is split as botocore splits it (`compat_shell_split`: `shlex.split` on POSIX
//! systems, the C runtime's rules on Windows, where `C:\tools\x.exe` is a path), and run with
//! no shell in between. Its stdin and stderr are ours, so its prompts and messages reach the user;
//! its stdout is captured and returned, never shown (it may hold secrets).

use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};

use crate::os::log::debug;

/// Splits a command line as botocore does on this platform (on POSIX systems `shlex.split`,
/// where `#` is no comment).
pub fn split(command: &str) -> Option<Vec<String>> {
    #[cfg(not(windows))]
    let words = crate::config::shlex::split(command);
    #[cfg(windows)]
    let words = crate::config::shlex::split_windows(command);
    words.filter(|v| !v.is_empty())
}

/// Runs `command`, the `setting` of `profile`, and returns what it printed on stdout.
pub fn run(profile: &str, setting: &str, command: &str) -> Result<Vec<u8>> {
    let argv = split(command).ok_or_else(|| {
        anyhow!("profile `{profile}`: {setting} is empty or has unbalanced quotes")
    })?;
    debug!("profile `{profile}`: running {setting} {}", argv[0]);
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped())
        .output()
        .with_context(|| format!("profile `{profile}`: cannot run {setting} `{}`", argv[0]))?;
    if !out.status.success() {
        bail!(
            "profile `{profile}`: {setting} `{}` failed ({})",
            argv[0],
            out.status
        );
    }
    Ok(out.stdout)
}

/// The program's name, for messages about its output.
pub fn program(command: &str) -> String {
    split(command)
        .and_then(|v| v.into_iter().next())
        .unwrap_or_default()
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
    fn failures_name_the_profile_and_setting() {
        let e = run("p", "mfa_process", "false").unwrap_err().to_string();
        assert!(
            e.starts_with("profile `p`: mfa_process `false` failed"),
            "{e}"
        );
        let e = run("p", "credential_process", "/nonexistent/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot run credential_process `/nonexistent/x`"),
            "{e}"
        );
        assert_eq!(run("p", "credential_process", "echo hi").unwrap(), b"hi\n");
    }
}
