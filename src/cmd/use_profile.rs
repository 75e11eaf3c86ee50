//! `awsenv use PROFILE`: the script that loads a profile into the calling shell.

use anyhow::Result;

use crate::cli::UseArgs;
use crate::shell::detect::calling_shell;
use crate::vars;

pub fn run(args: UseArgs) -> Result<()> {
    let name = super::profile_name(args.profile)?;
    let shell = args.shell.unwrap_or_else(calling_shell);
    let (plan, creds) = super::resolve_profile(&name, &args.resolve)?;
    let replaces = std::env::var_os(vars::PROFILE_MARK).is_some();
    let changes = vars::load(&name, &creds, plan.region.as_deref(), replaces);
    super::print(&shell.script(&changes))
}
