//! zsh: our shim (it removes the quotes from the words before asking, so `my\ pro` or
//! `'my pro` complete like `my pro`); the answer is `value:help` lines for `_describe`.

use std::ffi::OsString;
use std::io::Write;

use clap_complete::env::EnvCompleter;

use crate::shell::Shell;

pub struct Zsh;

impl EnvCompleter for Zsh {
    fn name(&self) -> &'static str {
        "zsh"
    }

    fn is(&self, name: &str) -> bool {
        name == "zsh"
    }

    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let script = super::shim(
            include_str!("awsenv.zsh"),
            Shell::Zsh,
            var,
            completer,
            bin,
            &[],
        );
        buf.write_all(script.as_bytes())
    }

    fn write_complete(
        &self,
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
}
