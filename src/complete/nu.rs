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
            let value = c.get_value().to_string_lossy();
            match super::help_line(c) {
                Some(help) => serde_json::json!({"value": value, "description": help}),
                None => serde_json::json!({"value": value}),
            }
        })
        .collect();
    writeln!(buf, "{}", serde_json::Value::Array(list))
}

/// The completion script without its `extern` line, for `awsenv init nu`, whose integration
/// defines the `awsenv` command itself (nushell refuses a second definition).
pub(crate) fn without_extern(script: &str) -> String {
    script
        .lines()
        .filter(|l| !l.starts_with("extern "))
        .map(|l| format!("{l}\n"))
        .collect()
}
