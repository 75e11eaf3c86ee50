//! xonsh: our shim, a completer for `awsenv` that sends the words with xonsh's quotes removed
//! and inserts a candidate that is not a plain word as a Python string literal. The answer is
//! fish's: `value<TAB>description` lines.

use super::Adapter;
use crate::shell::Shell;

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "xonsh",
    aliases: &[],
    template: include_str!("../../shell/complete/awsenv.xsh"),
    shell: Shell::Xonsh,
    placeholders: &[],
    complete: super::fish::complete,
};
