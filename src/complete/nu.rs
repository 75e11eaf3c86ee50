//! nushell: our shim (`shell/complete/awsenv.nu`) is a custom completer that passes the words
//! typed so far; the answer is a JSON list of `{value, description}` records, which nushell
//! takes as they are.

use std::ffi::OsString;
use std::io::Write;

use super::Adapter;
use crate::shell::Shell;

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "nu",
    aliases: &["nushell"],
    template: include_str!("../../shell/complete/awsenv.nu"),
    shell: Shell::Nu,
    placeholders: &[],
    complete,
};

fn complete(
    cmd: &mut clap::Command,
    args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    let index = args.len().saturating_sub(1);
    let candidates = super::candidates(cmd, args, index, current_dir)?;
    let list: Vec<serde_json::Value> = candidates
        .iter()
        .map(|c| {
            let value = quote(&c.get_value().to_string_lossy());
            match super::help_line(c) {
                Some(help) => serde_json::json!({"value": value, "description": help}),
                None => serde_json::json!({"value": value}),
            }
        })
        .collect();
    writeln!(buf, "{}", serde_json::Value::Array(list))
}

/// The text nushell reads back as `value`: as is when every character is plain in a command's
/// argument, else a double-quoted string (nushell inserts a candidate as it is given).
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=+@,%".contains(c));
    if plain {
        value.to_string()
    } else {
        Shell::Nu.quote(value).into_owned()
    }
}

/// The completion script without its `extern` (and the attribute before it), for `awsenv init nu`, whose integration
/// defines the `awsenv` command itself (nushell refuses a second definition).
pub(crate) fn without_extern(script: &str) -> String {
    script
        .lines()
        .filter(|l| !l.starts_with("extern ") && !l.starts_with("@complete "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("prod"), "prod");
        assert_eq!(quote("--shell"), "--shell");
        assert_eq!(quote("me@corp.example/admin"), "me@corp.example/admin");
        assert_eq!(quote("my prof"), r#""my prof""#);
        assert_eq!(quote("$(x) (y) 'z'"), r#""$(x) (y) 'z'""#);
        assert_eq!(quote(""), r#""""#);
    }

    #[test]
    fn the_script_for_init_has_no_extern() {
        let s = without_extern(&super::super::script(super::super::CompletionShell::Nu));
        assert!(s.contains("def __awsenv_complete"), "{s}");
        assert!(!s.contains("extern") && !s.contains("@complete"), "{s}");
    }
}
