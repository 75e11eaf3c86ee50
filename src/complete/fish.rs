//! fish: our shim (clap's passes the token under the cursor with its quotes, so `'my pro`
//! would match nothing); fish quotes what it inserts.

use std::ffi::OsString;
use std::io::Write;

use super::Adapter;
use crate::shell::Shell;

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "fish",
    aliases: &[],
    template: include_str!("../../shell/complete/awsenv.fish"),
    shell: Shell::Fish,
    placeholders: &[],
    complete,
};

pub(crate) fn complete(
    cmd: &mut clap::Command,
    args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    let index = args.len().saturating_sub(1);
    let candidates = super::candidates(cmd, args, index, current_dir)?;
    super::answer(&candidates, buf, |value, help| {
        // fish reads `value<TAB>description` lines.
        (!value.contains(['\n', '\t'])).then(|| match help {
            Some(help) => format!("{value}\t{help}"),
            None => value.to_string(),
        })
    })
}
