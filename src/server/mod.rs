//! A local credential server: the ECS container credential protocol on 127.0.0.1, answered
//! from the same engine and session cache as `awsenv use`.
//!
//! The SDKs (botocore, the JavaScript SDKs, the Rust SDK…) fetch credentials from
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN`, and fetch again
//! before those expire, so a long command outlives a one-hour role session. `exec --server`
//! serves one for the life of a command; `use --server` starts a per-shell process
//! ([`shell`]) that serves the shell until it ends.
//!
//! The server hands out nothing the SDKs would refresh at once: botocore refreshes 15 minutes
//! before expiry (10 minutes: mandatory), so credentials with less than the refresh margin left
//! are replaced first, from the cache when a newer session is there, else by a new role session
//! from the cached MFA session or source — never with less than the margin left when a refresh
//! is possible.

pub mod http;
pub mod shell;
pub mod token;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use time::OffsetDateTime;

use crate::context::Context;
use crate::creds::{format_rfc3339, Credentials, Secret};
use crate::engine::{self, Options};
use crate::os::env;
use crate::os::log::debug;
use crate::os::loopback::{self, Answer, Listener};
use crate::os::text::one_line;

/// Refresh when less than this is left: more than botocore's 15 minutes, so that its advisory
/// refresh always finds newer credentials.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(20 * 60);

/// A role whose sessions are shorter than the margin is refreshed at most this often.
const SHORT_SESSION_PAUSE: Duration = Duration::from_secs(60);

/// The refresh margin: `AWSENV_SERVER_REFRESH_MARGIN` (3600, 90m, 12h…), else the default.
pub fn margin(ctx: &Context) -> Result<Duration> {
    match ctx.env.get(env::SERVER_REFRESH_MARGIN) {
        None => Ok(DEFAULT_MARGIN),
        Some(v) => {
            let d = crate::plan::parse_duration(v).with_context(|| {
                format!(
                    "{}=`{v}` is not a duration like 1200, 20m or 1h",
                    env::SERVER_REFRESH_MARGIN
                )
            })?;
            // No session lasts longer than 12 hours: a larger margin is a mistake.
            if d > MAX_MARGIN {
                bail!(
                    "{}=`{}` is longer than 12 hours, the longest session AWS gives",
                    env::SERVER_REFRESH_MARGIN,
                    crate::os::text::inert(v)
                );
            }
            Ok(d)
        }
    }
}

/// The largest refresh margin accepted: the longest role session.
const MAX_MARGIN: Duration = Duration::from_secs(12 * 3600);

/// The SDKs' container clients expect a session token and an expiry: long-term keys are not
/// served.
pub fn require_temporary(profile: &str, c: &Credentials) -> Result<()> {
    if c.session_token.is_none() || c.expiration.is_none() {
        bail!(
            "profile `{profile}` gives long-term keys; --server serves temporary credentials only (give the profile a role or an MFA session)"
        );
    }
    Ok(())
}

/// A callback run after each refresh.
type OnRefresh<'c> = Box<dyn FnMut(&Context) + 'c>;

/// The credentials a server hands out, and how it gets new ones.
pub struct Provider<'c> {
    ctx: &'c Context,
    profile: String,
    opts: Options,
    margin: Duration,
    held: Credentials,
    fetched: Instant,
    /// The held credentials had less than the margin left when they were new.
    short: bool,
    /// What to add to a refresh error (the per-shell server has no terminal to ask on).
    advice: Option<String>,
    /// Called after each refresh (the per-shell server rewrites its state file).
    on_refresh: Option<OnRefresh<'c>>,
}

impl<'c> Provider<'c> {
    /// Starts from `held`, just resolved for `profile` with `opts` (see [`require_temporary`]).
    pub fn new(
        ctx: &'c Context,
        profile: &str,
        opts: Options,
        margin: Duration,
        held: Credentials,
    ) -> Provider<'c> {
        let short = held.expires_within(OffsetDateTime::now_utc(), to_time(margin));
        Provider {
            ctx,
            profile: profile.to_string(),
            opts: Options {
                // A code given once was used by the first resolve.
                mfa_token: None,
                fresh_for: Some(margin),
                ..opts
            },
            margin,
            held,
            fetched: Instant::now(),
            short,
            advice: None,
            on_refresh: None,
        }
    }

    pub fn with_advice(mut self, advice: String) -> Self {
        self.advice = Some(advice);
        self
    }

    pub fn on_refresh(mut self, f: impl FnMut(&Context) + 'c) -> Self {
        self.on_refresh = Some(Box::new(f));
        self
    }

    fn needs_refresh(&self, now: OffsetDateTime) -> bool {
        if !self.held.expires_within(now, to_time(self.margin)) {
            return false;
        }
        // A role capped below the margin: every refresh gives short credentials again, so do
        // not call STS for each request while the held ones are still good.
        let expired = self.held.expires_within(now, time::Duration::ZERO);
        !(self.short && !expired && self.fetched.elapsed() < SHORT_SESSION_PAUSE)
    }

    /// The credentials to hand out now, refreshed first when they are too close to expiry.
    pub fn current(&mut self) -> Result<&Credentials, String> {
        let now = OffsetDateTime::now_utc();
        if self.needs_refresh(now) {
            debug!("server: refreshing the credentials of `{}`", self.profile);
            match engine::resolve(self.ctx, &self.profile, &self.opts) {
                Ok(r) => {
                    let now = OffsetDateTime::now_utc();
                    self.short = r.creds.expires_within(now, to_time(self.margin));
                    self.held = r.creds;
                    self.fetched = Instant::now();
                    if let Some(f) = self.on_refresh.as_mut() {
                        f(self.ctx);
                    }
                }
                Err(e) => {
                    let mut msg = format!(
                        "awsenv cannot refresh the credentials of profile `{}`: {}",
                        self.profile,
                        one_line(&format!("{e:#}"))
                    );
                    if let Some(a) = &self.advice {
                        msg.push_str("; ");
                        msg.push_str(a);
                    }
                    return Err(msg);
                }
            }
        }
        Ok(&self.held)
    }
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// The JSON the container credential protocol answers with.
pub fn body(c: &Credentials) -> String {
    serde_json::json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "Token": c.session_token.as_ref().map(Secret::expose),
        "Expiration": c.expiration.map(format_rfc3339),
    })
    .to_string()
}

/// Set once nothing may be served any more but the port must stay held: every request is
/// refused with 403 (see [`retire`]).
static RETIRED: AtomicBool = AtomicBool::new(false);

/// From now on this process's server refuses every request (403) while it keeps its port.
///
/// Processes that were given the endpoint and its token may outlive what they were given it for
/// (a background job of `exec --server`'s command, a child of a shell after `unset`). The SDKs
/// do not authenticate the server, so if the port were freed, whoever bound it next would get
/// the token and could hand those processes credentials of its own. A retired server holds the
/// port and refuses instead. Async-signal-safe (an atomic store): a signal handler may call it.
pub fn retire() {
    RETIRED.store(true, Ordering::SeqCst);
}

fn retired() -> bool {
    RETIRED.load(Ordering::SeqCst)
}

/// A listening endpoint: 127.0.0.1 on a port the kernel chose, and its token.
pub struct Server {
    listener: Listener,
    token: Secret,
}

impl Server {
    pub fn bind() -> Result<Server> {
        let listener = Listener::bind(0).context("cannot listen for the credential server")?;
        Ok(Server {
            listener,
            token: token::generate()?,
        })
    }

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn uri(&self) -> String {
        self.listener.url(http::PATH)
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// Serves until the process ends. Connections are read and judged on
    /// threads of their own, so no client waits for another; the credentials come from this
    /// thread, which owns `provider` (it refreshes through the engine), one request at a time.
    pub fn serve(self, provider: &mut Provider<'_>) {
        let (wants, asks) = mpsc::channel::<mpsc::Sender<Answer>>();
        let token = self.token;
        let port = self.listener.port();
        // The default peer check: another local user's connection is closed unread.
        let opts = loopback::Options::new(http::answer(
            400,
            http::error_body("BadRequest", "bad request"),
        ));
        let listener = self.listener;
        std::thread::spawn(move || {
            loopback::serve_forever(listener, opts, move |req| {
                if retired() {
                    debug!("server: refused a request (retired)");
                    return http::answer(
                        403,
                        http::error_body("AccessDenied", "awsenv: this endpoint has ended"),
                    );
                }
                match http::judge(req.head(), &token, port) {
                    http::Verdict::Refuse(status) => {
                        debug!("server: refused a request ({status})");
                        http::answer(status, http::error_body("AccessDenied", "awsenv: refused"))
                    }
                    http::Verdict::Credentials => {
                        let (tx, rx) = mpsc::channel();
                        // The provider's thread answers; it ends only with the process.
                        wants
                            .send(tx)
                            .ok()
                            .and_then(|()| rx.recv().ok())
                            .unwrap_or_else(|| {
                                http::answer(
                                    500,
                                    http::error_body(
                                        "RefreshFailed",
                                        "awsenv: the server is stopping",
                                    ),
                                )
                            })
                    }
                }
            })
        });
        for reply in asks {
            let answer = match provider.current() {
                _ if retired() => http::answer(
                    403,
                    http::error_body("AccessDenied", "awsenv: this endpoint has ended"),
                ),
                Ok(c) => http::answer(200, body(c)),
                Err(msg) => http::answer(500, http::error_body("RefreshFailed", &msg)),
            };
            let _ = reply.send(answer);
        }
        // Only if the serving thread died (it never returns): nothing is served any more.
        debug!("server: stopped serving");
    }
}
