//! `awsenv init SHELL`: the shell integration (`shell::init`), then tab completion, so that one
//! line in the rc file sets up everything.

use anyhow::{anyhow, Result};

use crate::cli::InitArgs;
use crate::complete::{self, CompletionShell};
use crate::shell::init;

pub fn run(args: InitArgs) -> Result<()> {
    let exe = std::env::current_exe()
        .map_err(|e| anyhow!("cannot find the awsenv binary's own path: {e}"))?;
    let exe = exe.to_str().ok_or_else(|| {
        anyhow!(
            "the path of the awsenv binary is not UTF-8: {}",
            exe.display()
        )
    })?;
    let mut out = init::render(args.shell, exe)?;
    if let Some(completion) = CompletionShell::for_shell(args.shell) {
        out.push('\n');
        out.push_str(&complete::script_for_init(completion));
    }
    super::print(&out)
}
