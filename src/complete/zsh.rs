//! zsh: our shim (it removes the quotes from the words before asking, so `my\ pro` or
//! `'my pro` complete like `my pro`); the answer is `value:help` lines for `_describe`.

use std::ffi::OsString;
use std::io::Write;

use super::Adapter;
use crate::shell::Shell;

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "zsh",
    aliases: &[],
    template: include_str!("../../shell/complete/awsenv.zsh"),
    shell: Shell::Zsh,
    placeholders: &[],
    complete,
};

fn complete(
    cmd: &mut clap::Command,
    args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    // The shim passes the words before the cursor and the prefix under it.
    let index = args.len().saturating_sub(1);
    let candidates = super::candidates(cmd, args, index, current_dir)?;
    super::answer(&candidates, buf, |value, help| {
        // `_describe` reads `value:description`; a `:` or `\\` in the value is escaped.
        let value = value.replace('\\', "\\\\").replace(':', "\\:");
        (!value.contains('\n')).then(|| match help {
            Some(help) => format!("{value}:{help}"),
            None => value,
        })
    })
}
