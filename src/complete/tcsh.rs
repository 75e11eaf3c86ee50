//! tcsh: `complete awsenv 'p@*@`…`@@'`, which runs awsenv at each TAB with the line in
//! `COMMAND_LINE` and takes the words it prints as the list to match what is typed against.
//!
//! tcsh splits that output at blanks, so a candidate holding one (a profile name with a space)
//! cannot be offered and is left out. The shim is one line with no comment: `awsenv init tcsh`
//! appends it to a script that `eval` runs as one line.

use std::ffi::OsString;
use std::io::Write;

use super::Adapter;
use crate::os::env::{self, Env};
use crate::shell::Shell;

/// What tcsh sets for a command run by `complete`: the line being completed.
const LINE_VAR: &str = env::TCSH_COMMAND_LINE;

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "tcsh",
    aliases: &["csh"],
    template: include_str!("../../shell/complete/awsenv.tcsh"),
    shell: Shell::Tcsh,
    placeholders: &[],
    complete,
};

fn complete(
    cmd: &mut clap::Command,
    _args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    let e = Env::from_process();
    let line = e.get(LINE_VAR).unwrap_or_default();
    let words = words(line);
    let index = words.len() - 1;
    let args = words.into_iter().map(OsString::from).collect();
    let candidates = super::candidates(cmd, args, index, current_dir)?;
    super::answer(&candidates, buf, |value, _| {
        (!value.is_empty() && !value.contains(char::is_whitespace)).then(|| value.to_string())
    })
}

/// The words of `line`, the last being the (possibly empty) one under the cursor.
fn words(line: &str) -> Vec<String> {
    let mut words: Vec<String> = line.split_whitespace().map(String::from).collect();
    if words.is_empty() || line.ends_with(char::is_whitespace) {
        words.push(String::new());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_under_the_cursor_is_last() {
        assert_eq!(words("awsenv use pr"), ["awsenv", "use", "pr"]);
        assert_eq!(words("awsenv use "), ["awsenv", "use", ""]);
        assert_eq!(words(""), [""]);
    }
}
