//! `awsenv sso login` / `awsenv sso logout`: the IAM Identity Center sign-in, kept where the
//! AWS CLI keeps it (`~/.aws/sso/cache/`), so awsenv, the AWS CLI and the SDKs share one login.
//!
//! Everything these commands say goes to stderr; stdout stays empty.

use anyhow::{anyhow, bail, Result};

use crate::cache::{FileCache, SessionKind};
use crate::cli::{SsoCommand, SsoLoginArgs, SsoTarget};
use crate::config::Files;
use crate::sso::{self, SsoSession, DEFAULT_SCOPE};
use crate::sts::Network;

pub fn run(command: SsoCommand) -> Result<()> {
    match command {
        SsoCommand::Login(args) => login(args),
        SsoCommand::Logout(target) => logout(target),
    }
}

fn login(args: SsoLoginArgs) -> Result<()> {
    let files = Files::load()?;
    let (label, session) =
        session_for(&files, &args.target, true)?.expect("a login target always resolves or fails");
    crate::debug!("starting the network client");
    let net = Network::new()?;
    let path = sso::login(&net, &session, |p| {
        eprintln!(
            "awsenv: to sign in to IAM Identity Center for {label}, open {} and enter the code {}",
            p.verification_uri, p.user_code
        );
        if !args.no_browser {
            // The verification URL holds only the user code, which needs the user's own
            // sign-in to be worth anything, so it may go to the browser's argv.
            let url = p.verification_uri_complete.unwrap_or(p.verification_uri);
            if let Err(e) = webbrowser::open(url) {
                eprintln!("awsenv: no browser could be started ({e}); open the URL above yourself");
            }
        }
        eprintln!("awsenv: waiting for the sign-in to be approved…");
    })
    .map_err(|e| anyhow!("{label}: {e:#}"))?;
    eprintln!(
        "awsenv: signed in to IAM Identity Center for {label} (token cached in {})",
        path.display()
    );
    Ok(())
}

fn logout(target: SsoTarget) -> Result<()> {
    let files = Files::load()?;
    let paths = match session_for(&files, &target, false)? {
        Some((_, session)) => vec![sso::token_path(session.cache_key())],
        // No target: every cached token, as `aws sso logout` does. Client registrations are
        // kept: they identify awsenv to IAM Identity Center, not the user.
        None => std::fs::read_dir(sso::cache_dir())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .filter(|p| matches!(sso::read_token(p), Ok(Some(_))))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut removed = 0;
    for p in &paths {
        match std::fs::remove_file(p) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => bail!("cannot remove {}: {e}", p.display()),
        }
    }
    // Role credentials already fetched with a token would outlive the sign-in; drop them too.
    // (Roles assumed on top of them stay cached until they expire.)
    let sessions = FileCache::default_location()?.remove_kind(SessionKind::Sso)?;
    eprintln!(
        "awsenv: removed {removed} cached IAM Identity Center token(s) and {sessions} cached SSO session(s)"
    );
    Ok(())
}

/// The sign-in a `--profile`/`--sso-session` names. With neither: for login, `$AWS_PROFILE`
/// else `default`; for logout, None (all of them).
fn session_for(
    files: &Files,
    target: &SsoTarget,
    default_profile: bool,
) -> Result<Option<(String, SsoSession)>> {
    if let Some(name) = &target.sso_session {
        return Ok(Some((
            format!("sso-session `{name}`"),
            from_sso_session(files, name, None)?,
        )));
    }
    let name = match (&target.profile, default_profile) {
        (Some(p), _) => p.clone(),
        (None, true) => std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "default".into()),
        (None, false) => return Ok(None),
    };
    let p = files
        .profile(&name)?
        .ok_or_else(|| anyhow!("profile `{name}` is not in {}", files.config.path.display()))?;
    let label = format!("profile `{name}`");
    if let Some(s) = p.get("sso_session") {
        let at = files.location(p, "sso_session");
        return Ok(Some((
            label,
            from_sso_session(files, s, Some((&name, at)))?,
        )));
    }
    match (p.get("sso_start_url"), p.get("sso_region")) {
        (Some(url), Some(region)) => Ok(Some((
            label,
            SsoSession {
                name: None,
                start_url: url.to_string(),
                region: region.to_string(),
                scopes: None,
            },
        ))),
        _ => bail!(
            "profile `{name}` has neither sso_session nor sso_start_url and sso_region ({})",
            files.location(p, "sso_start_url")
        ),
    }
}

fn from_sso_session(
    files: &Files,
    name: &str,
    from_profile: Option<(&str, crate::config::Location)>,
) -> Result<SsoSession> {
    let whose = |problem: String| match &from_profile {
        Some((p, at)) => anyhow!("profile `{p}`: {problem} ({at})"),
        None => anyhow!("{problem} ({})", files.config.path.display()),
    };
    let s = files
        .sso_session(name)?
        .ok_or_else(|| whose(format!("there is no [sso-session {name}] section")))?;
    let get = |k: &str| {
        s.get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| whose(format!("[sso-session {name}] is missing {k}")))
    };
    // The AWS CLI's default scope: without one, IAM Identity Center issues no refresh token.
    let scopes: Vec<String> = s
        .get("sso_registration_scopes")
        .map(|v| {
            v.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .filter(|v: &Vec<String>| !v.is_empty())
        .unwrap_or_else(|| vec![DEFAULT_SCOPE.to_string()]);
    Ok(SsoSession {
        name: Some(name.to_string()),
        start_url: get("sso_start_url")?,
        region: get("sso_region")?,
        scopes: Some(scopes),
    })
}
