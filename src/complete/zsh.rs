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
        let script = include_str!("awsenv.zsh")
            .replace("__VAR__", var)
            .replace("__COMPLETER__", &Shell::Zsh.quote(completer))
            .replace("__BIN__", &Shell::Zsh.quote(bin));
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
        let mut out = String::new();
        for candidate in super::candidates(cmd, args, index, current_dir)? {
            let value = candidate.get_value().to_string_lossy();
            if value.contains('\n') {
                continue;
            }
            // `_describe` reads `value:description`; a `:` or `\\` in the value is escaped.
            out.push_str(&value.replace('\\', "\\\\").replace(':', "\\:"));
            if let Some(help) = super::help_line(&candidate) {
                out.push(':');
                out.push_str(&help);
            }
            out.push('\n');
        }
        buf.write_all(out.as_bytes())
    }
}
