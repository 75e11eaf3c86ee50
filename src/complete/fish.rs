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
        let script = super::shim(
            include_str!("awsenv.fish"),
            Shell::Fish,
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
}
