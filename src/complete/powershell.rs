//! PowerShell: our shim, which (unlike clap's) never passes the typed line to
//! `Invoke-Expression`, so a TAB after `$(…)` runs nothing. The answer carries, per candidate,
//! the text to insert (quoted by `Shell::Powershell` when needed), the text to list, and a tip.

use std::ffi::OsString;
use std::io::Write;

use super::Adapter;
use crate::shell::Shell;

/// The word under the cursor, as typed (quotes included).
const CURRENT_VAR: &str = crate::os::env::COMP_CURRENT;

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "powershell",
    aliases: &["pwsh", "powershell_ise"],
    template: include_str!("../../shell/complete/awsenv.ps1"),
    shell: Shell::Powershell,
    placeholders: &[("__CURRENT__", CURRENT_VAR)],
    complete,
};

fn complete(
    cmd: &mut clap::Command,
    mut args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    let typed = crate::os::env::Env::from_process()
        .get(CURRENT_VAR)
        .unwrap_or_default()
        .to_string();
    args.push(unquote(&typed).into());
    let index = args.len() - 1;
    let candidates = super::candidates(cmd, args, index, current_dir)?;
    super::answer(&candidates, buf, |value, help| {
        if value.contains(['\n', '\t']) {
            return None;
        }
        // A CompletionResult needs a non-empty tooltip.
        let help = help
            .filter(|h| !h.contains('\t'))
            .unwrap_or_else(|| value.to_string());
        Some(format!("{}\t{value}\t{help}", quote(value)))
    })
}

/// The value of a word as typed so far: `'my pro` → `my pro`, `'it''s'` → `it's`.
fn unquote(typed: &str) -> String {
    if let Some(rest) = typed.strip_prefix('\'') {
        rest.strip_suffix('\'').unwrap_or(rest).replace("''", "'")
    } else if let Some(rest) = typed.strip_prefix('"') {
        rest.strip_suffix('"').unwrap_or(rest).to_string()
    } else {
        typed.to_string()
    }
}

/// The text PowerShell reads back as `value`: as is when every character is plain in argument
/// mode, else single-quoted (`,` makes an array, a leading `@` splats, `$` `;` `(` `{` and
/// non-ASCII quote and dash characters all mean something).
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value.starts_with('@')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=+@".contains(c));
    if plain {
        value.to_string()
    } else {
        Shell::Powershell.quote(value).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("prod"), "prod");
        assert_eq!(quote("--shell"), "--shell");
        assert_eq!(quote("me@corp.example/admin"), "me@corp.example/admin");
        assert_eq!(quote("my profile"), "'my profile'");
        assert_eq!(quote("@corp"), "'@corp'");
        assert_eq!(quote("a,b"), "'a,b'");
        assert_eq!(quote("it's $(x)"), "'it''s $(x)'");
        assert_eq!(quote("\u{2019}x"), "'\u{2019}\u{2019}x'");
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote("'my pro"), "my pro");
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("\"a b"), "a b");
        assert_eq!(unquote("plain"), "plain");
    }
}
