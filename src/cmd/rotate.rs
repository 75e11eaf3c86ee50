//! `awsenv rotate PROFILE` (placeholder until the IAM calls land).

use anyhow::{bail, Result};

use crate::cli::RotateArgs;

pub fn run(args: RotateArgs) -> Result<()> {
    bail!("profile `{}`: rotate is not implemented yet", args.profile)
}
