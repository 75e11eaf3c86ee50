//! The shell integration for the rc file (`awsenv init SHELL`).
//!
//! The scripts are real files under `shell/` (linted and tested on their own) embedded here; the
//! only change is the line naming the binary, which gets this binary's path quoted for the shell.

use anyhow::{bail, Result};

use super::Shell;

const BASH: &str = include_str!("../../shell/awsenv.bash");
const ZSH: &str = include_str!("../../shell/awsenv.zsh");
const FISH: &str = include_str!("../../shell/awsenv.fish");
const POWERSHELL: &str = include_str!("../../shell/awsenv.ps1");
const NU: &str = include_str!("../../shell/awsenv.nu");
const ELVISH: &str = include_str!("../../shell/awsenv.elv");
const XONSH: &str = include_str!("../../shell/awsenv.xsh");
const TCSH: &str = include_str!("../../shell/awsenv.tcsh");

/// The hook script for `shell`, calling the binary at `exe`.
pub fn render(shell: Shell, exe: &str) -> Result<String> {
    let (template, line, assign) = template(shell)?;
    if shell == Shell::Tcsh {
        super::tcsh::check("the awsenv binary's path", exe)?;
    }
    let script = template.replacen(line, &assign(&shell.quote(exe)), 1);
    Ok(match shell {
        // `eval "`awsenv init tcsh`"` runs the whole text as one line, where a `#` is no comment.
        Shell::Tcsh => super::tcsh::without_comments(&script),
        _ => script,
    })
}
type Assign = fn(&str) -> String;

/// The template, its line naming the binary, and how to write that line with a quoted path.
fn template(shell: Shell) -> Result<(&'static str, &'static str, Assign)> {
    Ok(match shell {
        Shell::Bash => (BASH, "__awsenv_bin='awsenv'", |q| {
            format!("__awsenv_bin={q}")
        }),
        Shell::Zsh => (ZSH, "__awsenv_bin='awsenv'", |q| {
            format!("__awsenv_bin={q}")
        }),
        Shell::Fish => (FISH, "set -g __awsenv_bin awsenv", |q| {
            format!("set -g __awsenv_bin {q}")
        }),
        Shell::Powershell => (POWERSHELL, "$global:__awsenv_bin = 'awsenv'", |q| {
            format!("$global:__awsenv_bin = {q}")
        }),
        Shell::Nu => (NU, r#"const __awsenv_bin = "awsenv""#, |q| {
            format!("const __awsenv_bin = {q}")
        }),
        Shell::Elvish => (ELVISH, "var __awsenv_bin = 'awsenv'", |q| {
            format!("var __awsenv_bin = {q}")
        }),
        Shell::Xonsh => (XONSH, "_awsenv_bin = 'awsenv'", |q| {
            format!("_awsenv_bin = {q}")
        }),
        Shell::Tcsh => (TCSH, "set __awsenv_bin = 'awsenv';", |q| {
            format!("set __awsenv_bin = {q};")
        }),
        Shell::Posix => {
            bail!(
                "no shell integration for POSIX sh; use bash, zsh, fish, powershell, nu, elvish, xonsh or tcsh"
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Shell; 8] = [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Powershell,
        Shell::Nu,
        Shell::Elvish,
        Shell::Xonsh,
        Shell::Tcsh,
    ];

    #[test]
    fn each_template_names_the_binary_on_exactly_one_line() {
        for shell in ALL {
            let (template, line, _) = template(shell).unwrap();
            assert_eq!(
                template.lines().filter(|l| l.trim() == line).count(),
                1,
                "{shell:?}"
            );
        }
    }

    #[test]
    fn the_path_is_quoted_for_each_shell() {
        let exe = "/opt/it's $(x) `y`/aws env";
        assert!(render(Shell::Bash, exe)
            .unwrap()
            .contains(r"__awsenv_bin='/opt/it'\''s $(x) `y`/aws env'"));
        assert!(render(Shell::Zsh, exe)
            .unwrap()
            .contains(r"__awsenv_bin='/opt/it'\''s $(x) `y`/aws env'"));
        assert!(render(Shell::Fish, exe)
            .unwrap()
            .contains(r"set -g __awsenv_bin '/opt/it\'s $(x) `y`/aws env'"));
        assert!(render(Shell::Powershell, exe)
            .unwrap()
            .contains("$global:__awsenv_bin = '/opt/it''s $(x) `y`/aws env'"));
        assert!(render(Shell::Nu, exe)
            .unwrap()
            .contains(r#"const __awsenv_bin = "/opt/it's $(x) `y`/aws env""#));
        assert!(render(Shell::Elvish, exe)
            .unwrap()
            .contains("var __awsenv_bin = '/opt/it''s $(x) `y`/aws env'"));
        assert!(render(Shell::Xonsh, exe)
            .unwrap()
            .contains(r"_awsenv_bin = '/opt/it\'s $(x) `y`/aws env'"));
        assert!(render(Shell::Tcsh, "/opt/it's !x")
            .unwrap()
            .contains(r"set __awsenv_bin = '/opt/it'\''s \!x';"));
        assert!(render(Shell::Tcsh, "/opt/a\nb").is_err());
        // Nothing else changes.
        let out = render(Shell::Bash, "/bin/awsenv").unwrap();
        assert_eq!(
            out.replace("__awsenv_bin=/bin/awsenv", "__awsenv_bin='awsenv'"),
            BASH
        );
        assert!(render(Shell::Posix, "/bin/awsenv").is_err());
    }

    #[test]
    fn tcsh_gets_no_comment_lines() {
        let out = render(Shell::Tcsh, "/bin/awsenv").unwrap();
        assert!(TCSH.lines().any(|l| l.starts_with('#')));
        for line in out.lines() {
            assert!(
                !line.trim_start().starts_with('#') && !line.trim().is_empty(),
                "{line:?}"
            );
            assert!(line.ends_with(';'), "a command not ended by `;`: {line:?}");
        }
    }
}
