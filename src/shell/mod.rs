//! One place that knows shells: which shell is calling ([`detect`]), how to quote a value for
//! it, and how to turn an ordered list of [`Change`]s (set NAME to VALUE / remove NAME) into a
//! script. Beside it, the per-shell tables: the variables awsenv manages ([`vars`]), the
//! export formats ([`export`]) and the rc-file integration ([`init`]).
//!
//! Quoting rules:
//! - POSIX shells (bash, zsh, sh): single quotes, a `'` written as `'\''` (`shell-escape`).
//! - fish: single quotes, where only `\\` and `\'` are escapes; a POSIX escaper is wrong for fish
//!   (a value ending in a backslash would swallow the closing quote).
//! - PowerShell: single quotes with `'` doubled, and the typographic single quotes
//!   U+2018–U+201B doubled too, because PowerShell treats them as quote characters.
//! - elvish: single quotes with `'` doubled, its only escape ([`elvish`]).
//! - nushell: no text to evaluate at all; a JSON record its integration applies ([`nu`]).
//!
//! - xonsh: a Python string literal of printable ASCII, everything else escaped (`xonsh.rs`).
//! - tcsh: single quotes with `!` escaped; a newline cannot be held and is refused (`tcsh.rs`).
//!
//! Inside single quotes none of the shells expand `$`, backticks or `;`, so every value is inert.

pub mod detect;
pub mod elvish;
pub mod export;
pub mod init;
pub mod nu;
mod tcsh;
pub mod vars;
mod xonsh;

use std::borrow::Cow;
use std::fmt::Write as _;

/// A shell awsenv can write for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    /// Any POSIX shell (sh, dash, ksh); also the fallback when the caller is unknown.
    #[value(alias = "sh")]
    Posix,
    #[value(alias = "nushell")]
    Nu,
    Elvish,
    Xonsh,
    #[value(alias = "csh")]
    Tcsh,
}

/// One change to the environment: set `name` to a value, or remove it. Names are awsenv's own
/// constants (`AWS_*`, `AWSENV_*`, `__AWSENV_*`), never text from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub name: &'static str,
    pub value: Option<String>,
    /// False for a variable of the shell alone, never exported to its children.
    pub exported: bool,
}

impl Change {
    pub fn set(name: &'static str, value: impl Into<String>) -> Self {
        Change {
            name,
            value: Some(value.into()),
            exported: true,
        }
    }
    pub fn unset(name: &'static str) -> Self {
        Change {
            name,
            value: None,
            exported: true,
        }
    }
    /// A shell variable that children never see.
    pub fn set_local(name: &'static str, value: impl Into<String>) -> Self {
        Change {
            exported: false,
            ..Change::set(name, value)
        }
    }
    pub fn unset_local(name: &'static str) -> Self {
        Change {
            exported: false,
            ..Change::unset(name)
        }
    }
}

impl Shell {
    /// Quotes `value` so that the shell reads it back byte for byte and runs nothing.
    pub fn quote(self, value: &str) -> Cow<'_, str> {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Posix => {
                let q = shell_escape::unix::escape(value.into());
                // `=` is on shell_escape's list of plain characters, but zsh expands a word that
                // starts with it (`=ls` is the path of ls; `=nosuch` aborts the eval). A plain
                // word has no `'`, so single quotes around it are enough.
                if q.starts_with('=') {
                    format!("'{q}'").into()
                } else {
                    q
                }
            }
            Shell::Fish => quote_fish(value).into(),
            Shell::Powershell => quote_powershell(value).into(),
            Shell::Nu => nu::quote(value).into(),
            Shell::Elvish => elvish::quote(value).into(),
            Shell::Xonsh => xonsh::quote(value).into(),
            // A newline cannot be quoted for tcsh; the scripts refuse it before quoting.
            Shell::Tcsh => tcsh::quote(value).into(),
        }
    }

    /// The script applying `changes` in order. Variable names are ours (`AWS_*`, `AWSENV_*`), so
    /// only values are quoted; a name that is not a plain identifier is a bug and panics in debug.
    /// Fails, naming the variable, for a value the shell cannot hold (tcsh: a line break).
    pub fn script(self, changes: &[Change]) -> anyhow::Result<String> {
        debug_assert!(changes.iter().all(|c| is_identifier(c.name)));
        // nushell gets data it applies itself; these four write their own lines.
        match self {
            Shell::Nu => return Ok(nu::script(changes)),
            Shell::Elvish => return Ok(elvish::script(changes)),
            Shell::Xonsh => return Ok(xonsh::script(changes)),
            Shell::Tcsh => return tcsh::script(changes),
            _ => {}
        }
        let mut out = String::new();
        for change in changes {
            debug_assert!(
                is_identifier(change.name),
                "bad variable name {}",
                change.name
            );
            let name = change.name;
            if !change.exported {
                out.push_str(&self.local(name, change.value.as_deref()));
                continue;
            }
            match (&change.value, self) {
                (Some(v), Shell::Bash | Shell::Zsh | Shell::Posix) => {
                    let _ = writeln!(out, "export {name}={};", self.quote(v));
                }
                (None, Shell::Bash | Shell::Zsh | Shell::Posix) => {
                    let _ = writeln!(out, "unset {name};");
                }
                (Some(v), Shell::Fish) => {
                    let _ = writeln!(out, "set -gx {name} {};", self.quote(v));
                }
                (None, Shell::Fish) => {
                    let _ = writeln!(out, "set -e -g {name};");
                }
                (Some(v), Shell::Powershell) => {
                    let _ = writeln!(out, "$env:{name} = {};", self.quote(v));
                }
                (None, Shell::Powershell) => {
                    let _ = writeln!(
                        out,
                        "Remove-Item -LiteralPath 'Env:{name}' -ErrorAction SilentlyContinue;"
                    );
                }
                (_, Shell::Nu | Shell::Elvish) => unreachable!("written by their own modules"),
                (_, Shell::Xonsh | Shell::Tcsh) => unreachable!("written by their own modules"),
            }
        }
        // fish's `set -e` fails for a variable that is not set, and a later `set -gx` passes that
        // status along instead of resetting it; end on success so that `awsenv use p | source`
        // and the hooks see status 0.
        if self == Shell::Fish && changes.iter().any(|c| c.value.is_none()) {
            out.push_str("true;\n");
        }
        Ok(out)
    }

    /// Sets or removes a variable of the shell itself, which its children do not inherit.
    fn local(self, name: &str, value: Option<&str>) -> String {
        match (value, self) {
            // Under `set -a` (bash) or `setopt allexport` (zsh) every assignment is exported;
            // the export is set after the assignment, so it is taken back after it.
            (Some(v), Shell::Bash) => format!("{name}={};\ndeclare -g +x {name};\n", self.quote(v)),
            (Some(v), Shell::Zsh) => format!("{name}={};\ntypeset -g +x {name};\n", self.quote(v)),
            (Some(v), Shell::Posix) => format!("{name}={};\n", self.quote(v)),
            (None, Shell::Bash | Shell::Zsh | Shell::Posix) => format!("unset {name};\n"),
            // -u: not exported, even if it was.
            (Some(v), Shell::Fish) => format!("set -gu {name} {};\n", self.quote(v)),
            (None, Shell::Fish) => format!("set -e -g {name};\n"),
            (Some(v), Shell::Powershell) => format!("$global:{name} = {};\n", self.quote(v)),
            (None, Shell::Powershell) => format!(
                "Remove-Variable -Name '{name}' -Scope Global -ErrorAction SilentlyContinue;\n"
            ),
            (_, Shell::Nu | Shell::Elvish) => unreachable!("written by their own modules"),
            (_, Shell::Xonsh | Shell::Tcsh) => unreachable!("written by their own modules"),
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn quote_fish(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        if ch == '\\' || ch == '\'' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

fn quote_powershell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        if matches!(ch, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(ch);
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_quoting() {
        let s = Shell::Bash;
        assert_eq!(s.quote("AKIAIOSFODNN7EXAMPLE"), "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(s.quote(""), "''");
        assert_eq!(s.quote("it's"), r"'it'\''s'");
        assert_eq!(s.quote("$(touch x)`y`;"), "'$(touch x)`y`;'");
    }

    #[test]
    fn fish_quoting() {
        assert_eq!(quote_fish(r"a\"), r"'a\\'");
        assert_eq!(quote_fish("it's $x"), r"'it\'s $x'");
    }

    #[test]
    fn powershell_quoting() {
        assert_eq!(quote_powershell("it's"), "'it''s'");
        assert_eq!(quote_powershell("\u{2019}$x"), "'\u{2019}\u{2019}$x'");
        assert_eq!(quote_powershell("a`b"), "'a`b'");
    }

    #[test]
    fn scripts() {
        let changes = [
            Change::unset("AWS_PROFILE"),
            Change::set("AWS_REGION", "x'y"),
        ];
        assert_eq!(
            Shell::Zsh.script(&changes).unwrap(),
            "unset AWS_PROFILE;\nexport AWS_REGION='x'\\''y';\n"
        );
        assert_eq!(
            Shell::Fish.script(&changes).unwrap(),
            "set -e -g AWS_PROFILE;\nset -gx AWS_REGION 'x\\'y';\ntrue;\n"
        );
        assert_eq!(
            Shell::Fish.script(&[Change::unset("A")]).unwrap(),
            "set -e -g A;\ntrue;\n"
        );
        assert_eq!(
            Shell::Powershell.script(&changes).unwrap(),
            "Remove-Item -LiteralPath 'Env:AWS_PROFILE' -ErrorAction SilentlyContinue;\n$env:AWS_REGION = 'x''y';\n"
        );
    }

    #[test]
    fn shell_local_variables_are_never_exported() {
        let changes = [Change::set_local("__awsenv_saved", "{'a'}")];
        assert_eq!(
            Shell::Bash.script(&changes).unwrap(),
            "__awsenv_saved='{'\\''a'\\''}';\ndeclare -g +x __awsenv_saved;\n"
        );
        assert_eq!(
            Shell::Fish.script(&changes).unwrap(),
            "set -gu __awsenv_saved '{\\'a\\'}';\n"
        );
        assert_eq!(
            Shell::Powershell.script(&changes).unwrap(),
            "$global:__awsenv_saved = '{''a''}';\n"
        );
        assert_eq!(
            Shell::Zsh
                .script(&[Change::unset_local("__awsenv_saved")])
                .unwrap(),
            "unset __awsenv_saved;\n"
        );
    }
}
