//! fish: our shim (clap's passes the token under the cursor with its quotes, so `'my pro`
//! would match nothing); fish quotes what it inserts.

use std::ffi::OsString;
use std::io::Write;

use clap_complete::env::EnvCompleter;

use crate::shell::Shell;

pub struct Fish;

impl EnvCompleter for Fish {
    fn name(&self) -> &'static str {
        "fish"
    }

    fn is(&self, name: &str) -> bool {
        name == "fish"
    }

    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let script = include_str!("awsenv.fish")
            .replace("__VAR__", var)
            .replace("__COMPLETER__", &Shell::Fish.quote(completer))
            .replace("__BIN__", &Shell::Fish.quote(bin));
        buf.write_all(script.as_bytes())
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = args.len().saturating_sub(1);
        let mut out = String::new();
        for candidate in super::candidates(cmd, args, index, current_dir)? {
            let value = candidate.get_value().to_string_lossy();
            if value.contains(['\n', '\t']) {
                continue;
            }
            out.push_str(&value);
            if let Some(help) = super::help_line(&candidate) {
                out.push('\t');
                out.push_str(&help);
            }
            out.push('\n');
        }
        buf.write_all(out.as_bytes())
    }
}
