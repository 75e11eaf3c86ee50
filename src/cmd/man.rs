//! `awsenv man [SUBCOMMAND]`: the manual page, rendered from the clap definitions (clap_mangen),
//! so it can never disagree with `--help`. `doc/` holds the same pages, checked by a test.

use anyhow::{anyhow, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

pub fn run(args: ManArgs) -> Result<()> {
    super::print(&page(args.subcommand.as_deref())?)
}

/// awsenv(1), or awsenv-SUBCOMMAND(1).
pub fn page(subcommand: Option<&str>) -> Result<String> {
    // Built once from the top so that subcommands get their full names (`awsenv-use`).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let target = match subcommand {
        None => cmd,
        Some(name) => cmd
            .get_subcommands()
            .find(|c| c.get_name() == name && !c.is_hide_set())
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = cmd
                    .get_subcommands()
                    .filter(|c| !c.is_hide_set())
                    .map(|c| c.get_name())
                    .collect();
                anyhow!(
                    "no subcommand `{name}` has a manual page; try one of: {}",
                    names.join(", ")
                )
            })?,
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(target)
        .source(format!("awsenv {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands")
        .render(&mut out)?;
    Ok(String::from_utf8(out)?)
}
