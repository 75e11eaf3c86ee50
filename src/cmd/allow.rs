//! `awsenv allow [DIR]` and `awsenv deny [DIR]`: trust or refuse the nearest `.awsprofile`.
//! Messages go to stderr; the shell function re-runs the hook afterwards so the change applies
//! at once.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::hook::current_dir;
use crate::cli::MarkerArgs;
use crate::context::Context;
use crate::hook::marker::{self, Found};
use crate::hook::trust::TrustStore;
use crate::os::text::shown;

pub fn allow(ctx: &Context, args: MarkerArgs) -> Result<()> {
    let found = locate(ctx, args.dir)?;
    let content = marker::read(&found.path)?;
    // Only a marker that means something can be trusted: the user sees what they allow.
    let m = marker::parse(&found.path, &content)?;
    TrustStore::default_location(&ctx.env)?.allow(&found.path, &content)?;
    let region = m
        .region
        .map(|r| format!(", region {r}"))
        .unwrap_or_default();
    eprintln!(
        "awsenv: allowed {} (profile `{}`{region})",
        shown(&found.path),
        m.profile
    );
    Ok(())
}

pub fn deny(ctx: &Context, args: MarkerArgs) -> Result<()> {
    let found = locate(ctx, args.dir)?;
    let content = marker::read(&found.path)?;
    TrustStore::default_location(&ctx.env)?.deny(&found.path, &content)?;
    eprintln!("awsenv: denied {}", shown(&found.path));
    Ok(())
}

/// The marker file meant by DIR: a marker file itself, or the nearest one at or above a directory.
fn locate(ctx: &Context, dir: Option<PathBuf>) -> Result<Found> {
    let cwd = current_dir(&ctx.env)?;
    let start = match dir {
        Some(d) if d.is_absolute() => d,
        Some(d) => cwd.join(d),
        None => cwd,
    };
    if start.is_file() {
        let dir = start.parent().map(PathBuf::from).unwrap_or_default();
        return Ok(Found { path: start, dir });
    }
    if !start.is_dir() {
        return Err(anyhow!("{} does not exist", shown(&start)));
    }
    marker::find(&start)
        .ok_or_else(|| anyhow!("no {} in {} or above", marker::FILE_NAME, shown(&start)))
}
