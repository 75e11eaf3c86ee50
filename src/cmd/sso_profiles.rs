//! `awsenv sso profiles --sso-session NAME [--write]`: a profile for every account and role the
//! session's sign-in reaches (the portal's ListAccounts and ListAccountRoles), as aws-sso-util's
//! `configure populate` and granted's `sso populate` make them.
//!
//! Without `--write` the sections go to stdout. With it they go into the config file between
//! two marker comments for that sso-session: only that block is replaced (accounts or roles
//! that are gone disappear from it, and only from it), every other byte of the file is kept, a
//! name the user already has outside the block is left to the user, the old file is kept as
//! `<config>.awsenv-backup`, and both are written atomically (0600). A run that changes nothing
//! writes nothing, so the file stays byte-for-byte the same.

use std::collections::BTreeSet;

use anyhow::{anyhow, bail, Context as _, Result};

use crate::aws::sso::{accounts_and_roles, Account};
use crate::aws::Network;
use crate::cli::SsoProfilesArgs;
use crate::config::endpoint::{self, Service};
use crate::config::{block, sso_session};
use crate::context::Context;
use crate::os::log::debug;
use crate::os::private_file;
use crate::os::text::inert;
use crate::providers::sso_token::{self, TokenCache};

pub fn run(ctx: &Context, args: SsoProfilesArgs) -> Result<()> {
    let files = ctx.files()?;
    let name = &args.sso_session;
    let session = sso_session::named(files, name)
        .map_err(|e| anyhow!("{e} ({})", files.config.path.display()))?;
    let cache = TokenCache {
        dir: crate::os::dirs::sso_cache(&ctx.env),
        oidc_endpoint: endpoint::endpoint(Some(files), None, Service::SsoOidc, &ctx.env)?,
    };
    debug!("starting the network client");
    let net = Network::new(crate::providers::reach_of(ctx, None)?)?;
    let token = sso_token::access_token(&cache, || Ok(&net), name, &session).map_err(|e| {
        debug!("{e:#}");
        anyhow!(
            "sso-session `{}` has no valid sign-in; run `awsenv sso login --sso-session {}`",
            inert(name),
            inert(name)
        )
    })?;
    let portal = endpoint::endpoint(Some(files), None, Service::Sso, &ctx.env)?;
    let reached = accounts_and_roles(&net, &token, &session.region, portal.as_deref())
        .map_err(|e| anyhow!("sso-session `{}`: {e:#}", inert(name)))?;
    let region = args.region.as_deref().unwrap_or(&session.region);

    if !args.write {
        let body = sections(&reached, &args.naming, name, region, &BTreeSet::new())?;
        return super::print(&body);
    }

    let path = &files.config.path;
    // Write through a symlinked config to the file it points at, not over the link.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
    let old = match std::fs::read(&target) {
        Ok(b) => String::from_utf8(b)
            .map_err(|_| anyhow!("{} is not UTF-8 text; not changed", target.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    let at = |e: block::BlockError| anyhow!("{}: {e}; not changed", target.display());
    let theirs = block::names_outside(&old, name).map_err(at)?;
    let body = sections(&reached, &args.naming, name, region, &theirs)?;
    let new = block::replace(&old, name, &body).map_err(at)?;
    let count = body.matches("[profile ").count();
    if new == old {
        eprintln!(
            "awsenv: {} already holds the {count} profile(s) of sso-session `{}`; nothing written",
            target.display(),
            inert(name)
        );
        return Ok(());
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if !old.is_empty() {
        let mut backup = target.clone().into_os_string();
        backup.push(".awsenv-backup");
        private_file::write(std::path::Path::new(&backup), old.as_bytes())
            .with_context(|| format!("cannot back up {}; not changed", target.display()))?;
    }
    private_file::write(&target, new.as_bytes())
        .with_context(|| format!("cannot write {}", target.display()))?;
    eprintln!(
        "awsenv: wrote {count} profile(s) of sso-session `{}` into {}",
        inert(name),
        target.display()
    );
    Ok(())
}

/// The config sections, sorted by name; names the user has (`theirs`) and repeats are skipped
/// with a warning.
fn sections(
    reached: &[(Account, Vec<String>)],
    naming: &str,
    session: &str,
    region: &str,
    theirs: &BTreeSet<String>,
) -> Result<String> {
    let mut out = Vec::new();
    let mut taken = BTreeSet::new();
    for (account, roles) in reached {
        if !account.id.chars().all(|c| c.is_ascii_digit()) || account.id.is_empty() {
            eprintln!(
                "awsenv: warning: skipping account id `{}`: not an account id",
                inert(&account.id)
            );
            continue;
        }
        for role in roles {
            if role.is_empty() || role.chars().any(|c| c.is_control() || c.is_whitespace()) {
                eprintln!(
                    "awsenv: warning: skipping role `{}` in {}: not a role name",
                    inert(role),
                    account.id
                );
                continue;
            }
            let name = profile_name(naming, account, role, region, session)?;
            if theirs.contains(&name) {
                eprintln!(
                    "awsenv: warning: profile `{name}` is already in the config file outside awsenv's block; not generated"
                );
                continue;
            }
            if !taken.insert(name.clone()) {
                eprintln!(
                    "awsenv: warning: two roles are both named `{name}` by the template; only the first is generated (add {{account_id}})"
                );
                continue;
            }
            out.push((
                name.clone(),
                format!(
                    "[profile {name}]\nsso_session = {session}\nsso_account_id = {}\nsso_role_name = {role}\nregion = {region}\n",
                    account.id
                ),
            ));
        }
    }
    out.sort();
    Ok(out
        .into_iter()
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The template filled in, made safe as a profile name: letters, digits, `.`, `_`, `-`; any run
/// of other characters (and of `-`) becomes one `-`, none beside a `.`.
fn profile_name(
    template: &str,
    account: &Account,
    role: &str,
    region: &str,
    session: &str,
) -> Result<String> {
    let filled = template
        .replace("{account_name}", &account.name)
        .replace("{account_id}", &account.id)
        .replace("{role_name}", role)
        .replace("{region}", region)
        .replace("{sso_session}", session);
    if filled.contains(['{', '}']) {
        bail!(
            "the naming template `{}` has an unknown {{placeholder}}",
            inert(template)
        );
    }
    let mut safe = String::new();
    for c in filled.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            c
        } else {
            '-'
        };
        // One `-` for a run of them, and none beside a `.`.
        match (safe.chars().last(), c) {
            (Some('-'), '-') | (Some('.'), '-') => {}
            (Some('-'), '.') => {
                safe.pop();
                safe.push('.');
            }
            _ => safe.push(c),
        }
    }
    let safe = safe.trim_matches(['-', '.']).to_string();
    if safe.is_empty() {
        bail!(
            "the naming template gives an empty name for role {role} in {}",
            account.id
        );
    }
    Ok(safe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe() {
        let a = Account {
            id: "111111111111".into(),
            name: "Prod & Co; $(rm -rf)\n".into(),
        };
        let n = profile_name(
            "{account_name}.{role_name}",
            &a,
            "Admin",
            "eu-west-1",
            "corp",
        );
        assert_eq!(n.unwrap(), "Prod-Co-rm-rf.Admin");
        let n = profile_name(
            "{sso_session}-{account_id}-{role_name}@{region}",
            &a,
            "R",
            "r",
            "c",
        );
        assert_eq!(n.unwrap(), "c-111111111111-R-r");
        assert!(profile_name("{nope}", &a, "R", "r", "c").is_err());
    }
}
