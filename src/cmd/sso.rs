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
use crate::os::headless;
use crate::os::log::debug;
use crate::os::loopback::Listener;
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
    let net = Network::new(crate::providers::reach_of(ctx, target.profile.as_deref())?)?;
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
    let headless = headless::here(&ctx.env);
    let flow = choose(files, &args, &target, headless)?;
    debug!("sign-in flow: {}", flow.why);
    // Where no local browser can take the answer, none is started: the URL is on stderr. A flag
    // that names the flow overrides the guess: --no-device-code says a browser here can take
    // the redirect, --use-device-code asks for the code's page (which needs no way back here).
    let start_browser =
        !args.no_browser && (headless.is_none() || args.no_device_code || args.use_device_code);
    let path = match &flow.flow {
        Flow::DeviceCode => {
            if let Some(why) = headless.filter(|_| flow.guessed) {
                eprintln!(
                    "awsenv: no local browser can take the sign-in's redirect here ({why}): using the device code (--no-device-code for the browser's redirect)"
                );
            }
            device_login(&cache, &net, &target, start_browser)?
        }
        Flow::Redirect { pinned } => {
            let port = pinned.as_ref().map_or(0, |(port, _)| *port);
            let listener = Listener::bind(port).map_err(|e| match pinned {
                Some((_, by)) => anyhow!("{label}: {e} ({by})"),
                None => anyhow!("{label}: cannot listen for the browser's answer: {e}"),
            })?;
            let callback = listener.url(sso_pkce::CALLBACK_PATH);
            let port = listener.port();
            let _reminder = Reminder::start(sso_pkce::WAIT, REMIND_EVERY, crate::os::log::notice);
            sso_pkce::login(&cache, &net, &target.session, listener, |url| {
                eprintln!("awsenv: to sign in to IAM Identity Center for {label}, open {url}");
                if start_browser {
                    // The URL holds the client id, state and challenge: none of them is worth
                    // anything without the verifier, which never leaves this process.
                    if let Err(e) = webbrowser::open(url.as_str()) {
                        eprintln!(
                            "awsenv: no browser could be started ({e}); open the URL above yourself"
                        );
                    }
                } else if headless.is_some() {
                    eprintln!(
                        "awsenv: in a browser whose 127.0.0.1:{port} reaches this machine (ssh -L {port}:127.0.0.1:{port} …)"
                    );
                }
                eprintln!(
                    "awsenv: waiting up to {} minutes for the browser to come back to {callback}; if it cannot (another machine, or the page shows an error), press Ctrl-C and run `awsenv sso login` again with --use-device-code",
                    sso_pkce::WAIT.as_secs() / 60
                );
            })
            .map_err(|e| anyhow!("{label}: {e:#}"))?
        }
    };
    eprintln!(
        "awsenv: signed in to IAM Identity Center for {label} (token cached in {})",
        path.display()
    );
    Ok(())
}

/// How one login signs in.
enum Flow {
    DeviceCode,
    /// The authorization-code grant, its redirect on a pinned port (and who pinned it) or on
    /// any free one.
    Redirect {
        pinned: Option<(u16, String)>,
    },
}

/// The flow of one login, and the rule that chose it (for --debug).
struct Choice {
    flow: Flow,
    why: String,
    /// Chosen by the guess that no local browser can take the redirect.
    guessed: bool,
}

/// The first of: a legacy profile → device code (the AWS CLI's rule); `--use-device-code`;
/// `--no-device-code`; a pinned port (flag, then sso_redirect_port) → redirect, since a pinned
/// port is there to be forwarded; no local browser → device code; else the redirect.
fn choose(
    files: &Files,
    args: &SsoLoginArgs,
    target: &Target,
    headless: Option<headless::Reason>,
) -> Result<Choice> {
    let label = &target.label;
    let Some(session) = &target.session.name else {
        if args.no_device_code || args.redirect_port.is_some() {
            bail!("{label} has sso_start_url in the profile (no sso_session): it signs in with the device code only, as with the AWS CLI");
        }
        return Ok(device(
            "a legacy profile (sso_start_url, no sso_session) signs in with the device code",
        ));
    };
    if args.use_device_code {
        return Ok(device("--use-device-code"));
    }
    let configured = sso_session::redirect_port(files, session)
        .map_err(|e| anyhow!("{label}: {e} ({})", files.config.path.display()))?;
    let pinned = match (args.redirect_port, configured) {
        (Some(p), _) => Some((p, "--redirect-port".to_string())),
        (None, Some(p)) => Some((
            p,
            format!(
                "sso_redirect_port in [sso-session {}], {}",
                crate::os::text::inert(session),
                files.config.path.display()
            ),
        )),
        (None, None) => None,
    };
    let redirect = |why: String| Choice {
        flow: Flow::Redirect {
            pinned: pinned.clone(),
        },
        why,
        guessed: false,
    };
    if args.no_device_code {
        return Ok(redirect("--no-device-code".into()));
    }
    if let Some((_, by)) = &pinned {
        return Ok(redirect(format!(
            "the browser's redirect on a pinned port ({by})"
        )));
    }
    Ok(match headless {
        Some(why) => Choice {
            guessed: true,
            ..device(&format!("no local browser can take the redirect: {why}"))
        },
        None => redirect("the browser's redirect (a local browser can take it)".into()),
    })
}

fn device(why: &str) -> Choice {
    Choice {
        flow: Flow::DeviceCode,
        why: format!("the device code: {why}"),
        guessed: false,
    }
}

/// Says on stderr, every minute, that the browser is still awaited and for how long more: a
/// refused `/authorize` shows only in the browser, so the terminal must not look stuck. Stops
/// when dropped (the sign-in ended).
struct Reminder(Option<std::sync::mpsc::Sender<()>>);

const REMIND_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl Reminder {
    /// Calls `say` every `step` while more than a `step` of `total` is left.
    fn start(
        total: std::time::Duration,
        step: std::time::Duration,
        say: impl Fn(&str) + Send + 'static,
    ) -> Reminder {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let _ = std::thread::Builder::new()
            .name("reminder".into())
            .spawn(move || {
                let mut left = total;
                while left > step {
                    // A hang-up (the Reminder dropped) stops it.
                    if rx.recv_timeout(step) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                        return;
                    }
                    left -= step;
                    say(&format!(
                        "still waiting for the browser ({} min left; Ctrl-C and --use-device-code if it cannot come back)",
                        left.as_secs().div_ceil(60)
                    ));
                }
            });
        Reminder(Some(tx))
    }
}

impl Drop for Reminder {
    fn drop(&mut self) {
        self.0.take();
    }
}

fn device_login(
    cache: &TokenCache,
    net: &Network,
    target: &Target,
    start_browser: bool,
) -> Result<std::path::PathBuf> {
    let label = &target.label;
    sso_token::login(cache, net, &target.session, |p| {
        // Both come from the endpoint: escaped before they reach the terminal.
        eprintln!(
            "awsenv: to sign in to IAM Identity Center for {label}, open {} and enter the code {}",
            crate::os::text::inert(p.verification_uri),
            crate::os::text::inert(p.user_code)
        );
        if start_browser {
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

#[cfg(test)]
mod tests {
    use super::Reminder;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn said() -> (Arc<Mutex<Vec<String>>>, impl Fn(&str) + Send + 'static) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&lines);
        (lines, move |m: &str| l.lock().unwrap().push(m.to_string()))
    }

    #[test]
    fn the_reminder_speaks_each_step_until_the_end_or_until_dropped() {
        let (lines, say) = said();
        let _r = Reminder::start(Duration::from_secs(240), Duration::from_millis(60), say);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while lines.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(lines.lock().unwrap()[0].starts_with("still waiting for the browser (4 min left;"));

        // Dropped (the sign-in ended): silent from then on.
        let (lines, say) = said();
        let r = Reminder::start(Duration::from_secs(600), Duration::from_millis(100), say);
        drop(r);
        std::thread::sleep(Duration::from_millis(250));
        assert!(lines.lock().unwrap().is_empty());

        // Never past the bound: the last step is the end of the wait, not a reminder.
        let (lines, say) = said();
        let _r = Reminder::start(Duration::from_millis(120), Duration::from_millis(40), say);
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(lines.lock().unwrap().len(), 2);
    }
}
