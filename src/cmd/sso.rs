//! `awsenv sso login` / `awsenv sso logout`: the IAM Identity Center sign-in, kept where the
//! AWS CLI keeps it (`~/.aws/sso/cache/`), so awsenv, the AWS CLI and the SDKs share one login.
//! Like the CLI v2: the authorization-code grant with PKCE for an `[sso-session]`, the device
//! flow for legacy profiles and `--use-device-code`.
//!
//! Everything these commands say goes to stderr; stdout stays empty.

use anyhow::{anyhow, bail, Result};

use crate::aws::Network;
use crate::cli::{SsoCommand, SsoLoginArgs, SsoTarget};
use crate::config::endpoint::{self, Service};
use crate::config::sso_session::{self, SsoSession};
use crate::config::{keys, Files};
use crate::context::Context;
use crate::creds::cache::{CacheKey, SessionKind};
use crate::creds::lock;
use crate::os::env;
use crate::os::log::debug;
use crate::providers::sso_pkce;
use crate::providers::sso_token::{self, TokenCache};

pub fn run(ctx: &Context, command: SsoCommand) -> Result<()> {
    match command {
        SsoCommand::Login(args) => login(ctx, args),
        SsoCommand::Logout(target) => logout(ctx, target),
        SsoCommand::Sessions => sessions(ctx),
        SsoCommand::Profiles(args) => super::sso_profiles::run(ctx, args),
    }
}

/// One line per `[sso-session]`: name, start URL, region, and the cached sign-in's expiry.
fn sessions(ctx: &Context) -> Result<()> {
    let files = ctx.files()?;
    let cache = token_cache(ctx, files, None)?;
    let now = time::OffsetDateTime::now_utc();
    let mut out = String::new();
    for name in files.sso_session_names() {
        let line = match sso_session::named(files, name) {
            Ok(s) => {
                let expiry = sso_token::read_token(&cache.token_path(s.cache_key()))
                    .ok()
                    .flatten()
                    .map(|t| {
                        (
                            crate::creds::parse_timestamp(&t.expires_at),
                            t.refresh_token.is_some(),
                        )
                    });
                let state = match expiry {
                    None => "not signed in".to_string(),
                    Some((None, _)) => "unreadable token cache".to_string(),
                    Some((Some(at), _)) if at > now => {
                        format!("signed in until {}", crate::creds::format_rfc3339(at))
                    }
                    Some((Some(at), true)) => format!(
                        "expired at {} (refreshable)",
                        crate::creds::format_rfc3339(at)
                    ),
                    Some((Some(at), false)) => {
                        format!("expired at {}", crate::creds::format_rfc3339(at))
                    }
                };
                format!(
                    "{}\t{}\t{}\t{state}",
                    crate::os::text::inert(name),
                    crate::os::text::inert(&s.start_url),
                    crate::os::text::inert(&s.region)
                )
            }
            Err(e) => format!("{}\terror: {e}", crate::os::text::inert(name)),
        };
        out.push_str(&line);
        out.push('\n');
    }
    super::print(&out)
}

fn login(ctx: &Context, args: SsoLoginArgs) -> Result<()> {
    let files = ctx.files()?;
    let target =
        target(ctx, files, &args.target, true)?.expect("a login target always resolves or fails");
    debug!("starting the network client");
    let net = Network::new()?;
    if let Some(p) = &target.profile {
        net.set_profile(p);
    }
    let cache = token_cache(ctx, files, target.profile.as_deref())?;
    let label = &target.label;
    let path = cache.token_path(target.session.cache_key());
    // One sign-in at a time per session (and one browser tab): the same lock as the token's
    // refresh. A run that had to wait takes the sign-in the other one just made.
    let before = token_expiry(&path);
    let (_lock, waited) = sign_in_lock(ctx, &cache.lock_key(target.session.cache_key()), label)?;
    let now = time::OffsetDateTime::now_utc();
    if let Some(until) = token_expiry(&path).filter(|e| waited && *e > now && Some(*e) != before) {
        eprintln!(
            "awsenv: {label} was signed in to IAM Identity Center by another awsenv run, until {}",
            crate::creds::format_rfc3339(until)
        );
        return Ok(());
    }
    if !args.force {
        if let Some(until) = token_expiry(&path).filter(|e| *e - time::Duration::hours(1) > now) {
            eprintln!(
                "awsenv: {label} is signed in to IAM Identity Center until {} (--force signs in again)",
                crate::creds::format_rfc3339(until)
            );
            return Ok(());
        }
    }
    // The CLI's choice: PKCE for an [sso-session], the device flow for legacy profiles.
    let path = if args.use_device_code || target.session.name.is_none() {
        device_login(&cache, &net, &target, args.no_browser)?
    } else {
        sso_pkce::login(&cache, &net, &target.session, |url| {
            eprintln!("awsenv: to sign in to IAM Identity Center for {label}, open {url}");
            if !args.no_browser {
                // The URL holds the client id, state and challenge: none of them is worth
                // anything without the verifier, which never leaves this process.
                if let Err(e) = webbrowser::open(url.as_str()) {
                    eprintln!(
                        "awsenv: no browser could be started ({e}); open the URL above yourself"
                    );
                }
            }
            eprintln!("awsenv: waiting for the browser to come back…");
        })
        .map_err(|e| anyhow!("{label}: {e:#}"))?
    };
    eprintln!(
        "awsenv: signed in to IAM Identity Center for {label} (token cached in {})",
        path.display()
    );
    Ok(())
}

fn device_login(
    cache: &TokenCache,
    net: &Network,
    target: &Target,
    no_browser: bool,
) -> Result<std::path::PathBuf> {
    let label = &target.label;
    sso_token::login(cache, net, &target.session, |p| {
        // Both come from the endpoint: escaped before they reach the terminal.
        eprintln!(
            "awsenv: to sign in to IAM Identity Center for {label}, open {} and enter the code {}",
            crate::os::text::inert(p.verification_uri),
            crate::os::text::inert(p.user_code)
        );
        if !no_browser {
            // The verification URL holds only the user code, which needs the user's own
            // sign-in to be worth anything, so it may go to the browser's argv. It comes from
            // the endpoint: only an https URL is handed to the browser (not `file://`, not a
            // custom scheme that starts some program).
            let url = p.verification_uri_complete.unwrap_or(p.verification_uri);
            if let Err(e) = crate::os::browser::open_https(url) {
                eprintln!("awsenv: {e}; open the URL above yourself");
            }
        }
        eprintln!("awsenv: waiting for the sign-in to be approved…");
    })
    .map_err(|e| anyhow!("{label}: {e:#}"))
}

fn logout(ctx: &Context, target_args: SsoTarget) -> Result<()> {
    let files = ctx.files()?;
    let cache = token_cache(ctx, files, None)?;
    let paths = match target(ctx, files, &target_args, false)? {
        Some(t) => vec![cache.token_path(t.session.cache_key())],
        // No target: every cached token, as `aws sso logout` does. Client registrations are
        // kept: they identify awsenv to IAM Identity Center, not the user.
        None => std::fs::read_dir(&cache.dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .filter(|p| matches!(sso_token::read_token(p), Ok(Some(_))))
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
    let sessions = ctx.file_cache()?.remove_kind(SessionKind::Sso)?;
    eprintln!(
        "awsenv: removed {removed} cached IAM Identity Center token(s) and {sessions} cached SSO session(s)"
    );
    Ok(())
}

/// When the cached sign-in at `path` expires, if there is one.
fn token_expiry(path: &std::path::Path) -> Option<time::OffsetDateTime> {
    sso_token::read_token(path)
        .ok()
        .flatten()
        .and_then(|t| crate::creds::parse_timestamp(&t.expires_at))
}

/// How long a sign-in may keep the others waiting: a person in a browser.
const SIGN_IN_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The lock of a sign-in, and whether another run held it first.
fn sign_in_lock(ctx: &Context, key: &CacheKey, label: &str) -> Result<(lock::Held, bool)> {
    let dir = ctx.session_cache()?.lock_dir();
    if let Some(held) = lock::session(&dir, key, std::time::Duration::ZERO)? {
        return Ok((held, false));
    }
    eprintln!("awsenv: waiting for another awsenv run signing in {label} to IAM Identity Center…");
    match lock::session(&dir, key, SIGN_IN_WAIT)? {
        Some(held) => Ok((held, true)),
        None => bail!(
            "{label}: another awsenv run is still signing in after {} minutes; try again when it is done",
            SIGN_IN_WAIT.as_secs() / 60
        ),
    }
}

/// The token cache, with the OIDC endpoint for `profile` (the environment's without one).
fn token_cache(ctx: &Context, files: &Files, profile: Option<&str>) -> Result<TokenCache> {
    let p = match profile {
        Some(name) => files.profile(name)?,
        None => None,
    };
    Ok(TokenCache {
        dir: crate::os::dirs::sso_cache(&ctx.env),
        oidc_endpoint: endpoint::endpoint(Some(files), p, Service::SsoOidc, &ctx.env)?,
    })
}

/// A sign-in and whose it is.
struct Target {
    /// For messages: "profile `x`" or "sso-session `y`".
    label: String,
    profile: Option<String>,
    session: SsoSession,
}

/// The sign-in a `--profile`/`--sso-session` names. With neither: for login, `$AWS_PROFILE`
/// else `default`; for logout, None (all of them).
fn target(
    ctx: &Context,
    files: &Files,
    t: &SsoTarget,
    default_profile: bool,
) -> Result<Option<Target>> {
    if let Some(name) = &t.sso_session {
        let session = sso_session::named(files, name)
            .map_err(|e| anyhow!("{e} ({})", files.config.path.display()))?;
        return Ok(Some(Target {
            label: format!("sso-session `{name}`"),
            profile: None,
            session,
        }));
    }
    let name = match (&t.profile, default_profile) {
        (Some(p), _) => p.clone(),
        (None, true) => ctx.env.get(env::PROFILE).unwrap_or("default").to_string(),
        (None, false) => return Ok(None),
    };
    let p = files
        .profile(&name)?
        .ok_or_else(|| anyhow!("profile `{name}` is not in {}", files.config.path.display()))?;
    let legacy = p.has(keys::SSO_START_URL) && p.has(keys::SSO_REGION);
    if !p.has(keys::SSO_SESSION) && !legacy {
        bail!(
            "profile `{name}` has neither sso_session nor sso_start_url and sso_region ({})",
            files.location(p, keys::SSO_START_URL)
        );
    }
    let session = sso_session::of_profile(files, p).map_err(|e| {
        anyhow!(
            "profile `{name}`: {e} ({})",
            files.location(p, keys::SSO_SESSION)
        )
    })?;
    Ok(Some(Target {
        label: format!("profile `{name}`"),
        profile: Some(name),
        session,
    }))
}
