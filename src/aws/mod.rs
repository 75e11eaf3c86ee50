//! Everything that talks to AWS: one tokio runtime and one HTTPS client per run, made only
//! when a plan needs the network (static keys and cache hits never build them), and one file
//! per service: STS, the SSO portal, SSO-OIDC, IAM, and the console's federation endpoint.
//!
//! Calls retry as the SDKs do (standard mode: throttling, 5xx and transport errors, with jittered
//! exponential backoff), all inside the run's [`Deadline`] when it has one. Every call goes
//! through [`Network::call`] (or [`Network::bounded`]), which says on stderr what it waits for
//! when the answer is slow to come.

mod body_cap;
mod deadline;
pub mod endpoints;
pub mod federation;
pub mod iam;
mod in_flight;
pub mod oidc;
pub mod partition;
pub mod reach;
pub mod signin;
pub mod sso;
mod sts;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use aws_smithy_runtime_api::client::http::{http_client_fn, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

pub use deadline::Deadline;
use in_flight::InFlight;
pub use reach::{Proxies, Reach};

use crate::creds::Credentials;
use crate::os::log::debug;

/// A TCP (and TLS) connection that is not up by then will not be.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Per attempt, for the commands without a deadline (they wait for a person in between).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a request may go unanswered before the run says on stderr what it waits for. A healthy
/// STS, SSO portal or OIDC endpoint answers in well under a second, TLS handshake and retries of
/// a dropped connection included, so nothing is printed on the happy path; past a second the
/// pause is one a person notices (a hook on `cd` feels hung), and with the default 10 s deadline
/// the line still comes with most of the wait ahead.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// No notice when less than this is left of the wait: the error is about to say it all.
const WORTH_A_NOTICE: Duration = Duration::from_millis(500);
/// How often a call that has not answered looks at its request.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// The runtime and HTTP clients shared by every call of one awsenv run.
pub struct Network {
    runtime: tokio::runtime::Runtime,
    /// How the calls reach AWS: variants, retries, proxies, CAs.
    reach: Reach,
    /// The CAs to trust (the CA bundle, else the system's roots).
    tls: aws_smithy_http_client::tls::TlsContext,
    /// One HTTP client per proxy (None: direct), made when first needed.
    clients: RefCell<Vec<(Option<String>, SharedHttpClient)>>,
    deadline: Option<Deadline>,
    /// The profile the calls are made for now, named by the notice of a slow call.
    profile: RefCell<Option<String>>,
    /// The request out now (of the clients, or of [`Network::send`]).
    in_flight: InFlight,
}

/// An AWS call that failed, with the service's error code when it answered (so callers can tell
/// a revoked session from the rest).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    pub code: Option<String>,
    message: String,
}

impl CallError {
    /// The same error, its message prefixed by `profile \`NAME\`: `.
    pub fn in_profile(e: anyhow::Error, profile: &str) -> anyhow::Error {
        match e.downcast::<CallError>() {
            Ok(c) => CallError {
                code: c.code,
                message: format!("profile `{profile}`: {}", c.message),
            }
            .into(),
            Err(e) => e.context(format!("profile `{profile}`")),
        }
    }
}

/// The codes STS gives credentials that were valid and no longer are (revoked, or a session
/// whose source was revoked).
pub fn is_revoked(e: &anyhow::Error) -> bool {
    e.downcast_ref::<CallError>()
        .and_then(|c| c.code.as_deref())
        .is_some_and(|c| matches!(c, "ExpiredToken" | "InvalidClientTokenId"))
}

impl Network {
    /// A network with no overall deadline (commands that wait for a person between calls).
    pub fn new(reach: Reach) -> Result<Network> {
        Self::build(None, reach)
    }

    /// A network whose calls all end by `deadline`, retries included.
    pub fn with_deadline(deadline: Deadline, reach: Reach) -> Result<Network> {
        Self::build(Some(deadline), reach)
    }

    fn build(deadline: Option<Deadline>, reach: Reach) -> Result<Network> {
        use aws_smithy_http_client::tls::{TlsContext, TrustStore};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        // botocore's meaning of a CA bundle: the only CAs trusted, in place of the default ones.
        let trust = match &reach.ca_bundle {
            None => TrustStore::default(),
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    anyhow!(
                        "cannot read the CA bundle {} (AWS_CA_BUNDLE or the profile's ca_bundle): {e}",
                        path.display()
                    )
                })?;
                if !pem.windows(11).any(|w| w == b"-----BEGIN ") {
                    bail!(
                        "the CA bundle {} (AWS_CA_BUNDLE or the profile's ca_bundle) holds no PEM certificate",
                        path.display()
                    );
                }
                TrustStore::empty()
                    .with_native_roots(false)
                    .with_pem_certificate(pem)
            }
        };
        let tls = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .context("cannot set up TLS")?;
        debug!(
            "reaching AWS with FIPS endpoints {}, dual-stack endpoints {}, STS endpoints {}, {} attempts per call, {}, {}",
            on_off(reach.variants.fips),
            on_off(reach.variants.dual_stack),
            if reach.sts_legacy { "legacy" } else { "regional" },
            reach.retry.attempts(),
            reach.ca_bundle.as_ref().map_or_else(
                || "the system's CAs".to_string(),
                |p| format!("the CAs of {}", p.display())
            ),
            match (&reach.proxies.https, &reach.proxies.http) {
                (None, None) => "no proxy".to_string(),
                (https, http) => format!(
                    "proxies: https {}, http {}",
                    https.as_deref().map_or("none".into(), Proxies::shown),
                    http.as_deref().map_or("none".into(), Proxies::shown)
                ),
            }
        );
        Ok(Network {
            runtime,
            reach,
            tls,
            clients: RefCell::new(Vec::new()),
            deadline,
            profile: RefCell::new(None),
            in_flight: InFlight::default(),
        })
    }

    /// How this run reaches AWS.
    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Runs a future that is not a call (a pause between polls) on the runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The profile the next calls are made for, for the notice of a slow call.
    pub fn set_profile(&self, profile: &str) {
        *self.profile.borrow_mut() = Some(profile.to_string());
    }

    /// Runs the SDK operation `f` (`what`, e.g. `STS AssumeRole ARN`, at `endpoint`). When a
    /// request of it has been out for [`QUIET_FOR`] without an answer, one line on stderr says
    /// what the run waits for, the profile and how long it will still wait; a fast answer (or a
    /// refused connection the retries go over) prints nothing. `what` and `endpoint` must hold
    /// no secret (an endpoint is a scheme and host, never a query).
    pub fn call<F: std::future::Future>(&self, what: &str, endpoint: &str, f: F) -> F::Output {
        let gives_up = match &self.deadline {
            Some(d) => GivesUp::At(Instant::now() + d.remaining()),
            None => GivesUp::PerAttempt(ATTEMPT_TIMEOUT),
        };
        self.waiting(what, endpoint, gives_up, f)
    }

    /// Runs `f` on the runtime, and prints the notice of a slow call (once) when a request has
    /// been out for [`QUIET_FOR`] and the wait is not about to end anyway.
    fn waiting<F: std::future::Future>(
        &self,
        what: &str,
        endpoint: &str,
        gives_up: GivesUp,
        f: F,
    ) -> F::Output {
        self.block_on(async {
            let mut f = std::pin::pin!(f);
            loop {
                if let Ok(out) = tokio::time::timeout(LOOK_EVERY, f.as_mut()).await {
                    return out;
                }
                let worth_it = match gives_up {
                    GivesUp::At(t) => t.saturating_duration_since(Instant::now()) >= WORTH_A_NOTICE,
                    GivesUp::PerAttempt(_) => true,
                };
                if self.in_flight.waited() >= QUIET_FOR && worth_it {
                    let profile = self.profile.borrow().clone();
                    crate::os::log::notice(&waiting_notice(
                        what,
                        endpoint,
                        profile.as_deref(),
                        gives_up,
                    ));
                    return f.await;
                }
            }
        })
    }

    /// The HTTP client for calls to `endpoint`: through the proxy the environment names for
    /// it (unless `NO_PROXY` exempts its host), with this run's CAs.
    pub fn http_client_for(&self, endpoint: &str) -> SharedHttpClient {
        let proxy = endpoint
            .parse::<url::Url>()
            .ok()
            .and_then(|u| self.reach.proxies.for_url(&u).map(str::to_string));
        if let Some(p) = &proxy {
            debug!(
                "{} goes through the proxy {}",
                host_of(endpoint),
                Proxies::shown(p)
            );
        }
        self.client(proxy)
    }

    /// The HTTP client for the instance and container credential endpoints: never through a
    /// proxy (botocore's fetchers use none either).
    pub fn http_client(&self) -> SharedHttpClient {
        self.client(None)
    }

    fn client(&self, proxy: Option<String>) -> SharedHttpClient {
        if let Some((_, c)) = self.clients.borrow().iter().find(|(p, _)| *p == proxy) {
            return c.clone();
        }
        let tls = self.tls.clone();
        let made = std::sync::OnceLock::new();
        let via = proxy.clone();
        let client = self.in_flight.wrap(body_cap::wrap(http_client_fn(
            move |settings, components| {
                made.get_or_init(|| {
                    match connector(
                        &tls,
                        via.as_deref(),
                        Some(settings),
                        components.sleep_impl(),
                    ) {
                        Ok(c) => SharedHttpConnector::new(c),
                        Err(e) => SharedHttpConnector::new(Refuse(e.to_string())),
                    }
                })
                .clone()
            },
        )));
        self.clients.borrow_mut().push((proxy, client.clone()));
        client
    }

    /// For a client made now: the connect timeout, and what is left of the deadline as the
    /// timeout of the whole operation (every attempt and backoff).
    pub fn timeouts(&self) -> TimeoutConfig {
        let b = TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT);
        match &self.deadline {
            // The SDK reads a zero timeout as none: a passed deadline is caught before a call.
            Some(d) => b
                .operation_timeout(d.remaining().max(Duration::from_millis(1)))
                .build(),
            None => b.operation_attempt_timeout(ATTEMPT_TIMEOUT).build(),
        }
    }

    /// The SDKs' retries as `retry_mode`/`max_attempts` set them (standard, 3 attempts, by
    /// default): jittered exponential backoff, only for errors that may pass (throttling, 5xx,
    /// transport); never for AccessDenied, bad tokens, bad codes. All inside the deadline: it
    /// is the operation timeout.
    pub fn retries(&self) -> RetryConfig {
        self.reach.retry.sdk()
    }

    /// Fails at once when the deadline has passed, before a call (or a prompt) is started.
    pub fn check_time(&self, step: &str, endpoint: &str) -> Result<()> {
        match &self.deadline {
            Some(d) if d.remaining().is_zero() => Err(d.passed(step, endpoint)),
            _ => Ok(()),
        }
    }

    /// The error of `step` at `endpoint`: a timeout names the deadline and how to change it, a
    /// transport failure the endpoint, a service error its code and message.
    pub fn call_error<E>(
        &self,
        step: &str,
        endpoint: &str,
        e: &SdkError<E, HttpResponse>,
    ) -> anyhow::Error
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match (e, &self.deadline) {
            (SdkError::TimeoutError(_), Some(d)) => d.passed(step, endpoint),
            (SdkError::DispatchFailure(d), _) => {
                if let Some(big) = too_large(d.as_connector_error()) {
                    return anyhow!("{step} failed: {big}");
                }
                let chain = d
                    .as_connector_error()
                    .map_or_else(|| "no connection".to_string(), |c| one_line_chain(c));
                let proxy = endpoint
                    .parse::<url::Url>()
                    .ok()
                    .and_then(|u| self.reach.proxies.for_url(&u).map(str::to_string));
                anyhow!(
                    "{step} failed: {endpoint}: {}",
                    transport_problem(&chain, proxy.as_deref())
                )
            }
            (SdkError::TimeoutError(_), _) => {
                anyhow!("{step} failed: {endpoint}: {}", sdk_error(e))
            }
            _ => CallError {
                code: error_code(e),
                message: format!("{step} failed: {}", sdk_error(e)),
            }
            .into(),
        }
    }

    /// Runs a future that is not an SDK operation (the credential providers of instances and
    /// containers, plain GETs) within the deadline, or within `fallback` without one.
    pub fn bounded<F: std::future::Future>(
        &self,
        step: &str,
        endpoint: &str,
        fallback: Duration,
        f: F,
    ) -> Result<F::Output> {
        self.bounded_as(step, step, endpoint, fallback, f)
    }

    /// [`Network::bounded`], its slow-call notice naming `what` rather than the step.
    fn bounded_as<F: std::future::Future>(
        &self,
        what: &str,
        step: &str,
        endpoint: &str,
        fallback: Duration,
        f: F,
    ) -> Result<F::Output> {
        self.check_time(step, endpoint)?;
        let limit = self.deadline.as_ref().map_or(fallback, Deadline::remaining);
        let gives_up = GivesUp::At(Instant::now() + limit);
        // The timer is made inside the runtime: tokio timers need its context.
        let bounded = async { tokio::time::timeout(limit, f).await };
        self.waiting(what, endpoint, gives_up, bounded)
            .map_err(|_| match &self.deadline {
                Some(d) => d.passed(step, endpoint),
                None => anyhow!("{step}: no answer from {endpoint}: timed out"),
            })
    }

    /// A plain HTTPS GET through the same TLS stack as the SDK clients (for endpoints that have
    /// no SDK client, like the console federation endpoint), `what` naming it in the notice of a
    /// slow answer. Returns the status and body.
    pub fn get(&self, what: &str, url: &url::Url) -> Result<(u16, Vec<u8>)> {
        use aws_smithy_runtime_api::http::Request;
        use aws_smithy_types::body::SdkBody;
        self.send(what, || {
            let mut req = Request::new(SdkBody::empty());
            req.set_uri(url.as_str())
                .map_err(|_| anyhow!("not a valid request URL"))?;
            req.headers_mut().insert("accept", "application/json");
            Ok(req)
        })
    }

    /// Sends a request through the same TLS stack as the SDK clients and returns the status and
    /// body. `make` builds the request for each attempt (a DPoP proof must be fresh for each).
    /// Retries as the SDKs' standard mode does: up to `max_attempts` (3) attempts for throttling,
    /// 5xx and transport errors, with jittered exponential backoff, and never past the
    /// deadline: when the next pause would end after it, the last answer (or error) is the
    /// result. `what` names the request in the notice of a slow answer (the notice and the
    /// errors name the endpoint by scheme and host: a query may hold credentials).
    pub fn send(
        &self,
        what: &str,
        mut make: impl FnMut() -> Result<aws_smithy_runtime_api::http::Request>,
    ) -> Result<(u16, Vec<u8>)> {
        let mut attempt = 1;
        loop {
            let req = make()?;
            let endpoint = req
                .uri()
                .parse::<url::Url>()
                .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()))
                .unwrap_or_default();
            let outcome = self.send_once(what, &endpoint, req);
            let again = match &outcome {
                Attempt::Answered { status, code, .. } => retryable(*status, code.as_deref()),
                Attempt::Transport(_) => true,
                // The run's deadline has passed: nothing is left to retry in.
                Attempt::OutOfTime(_) => self.deadline.is_none(),
            };
            if !again || attempt >= self.reach.retry.attempts() {
                return outcome.into_result();
            }
            let pause = backoff(attempt);
            if self
                .deadline
                .as_ref()
                .is_some_and(|d| pause >= d.remaining())
            {
                debug!("{what}: no time left for another attempt before the deadline");
                return outcome.into_result();
            }
            debug!(
                "{what}: attempt {attempt} failed ({}); again in {} ms",
                outcome.describe(),
                pause.as_millis()
            );
            std::thread::sleep(pause);
            attempt += 1;
        }
    }

    /// One attempt of [`Network::send`].
    fn send_once(
        &self,
        what: &str,
        endpoint: &str,
        req: aws_smithy_runtime_api::http::Request,
    ) -> Attempt {
        use aws_smithy_runtime_api::client::http::HttpConnector;
        let proxy = req
            .uri()
            .parse::<url::Url>()
            .ok()
            .and_then(|u| self.reach.proxies.for_url(&u).map(str::to_string));
        if let Some(p) = &proxy {
            debug!("{endpoint} goes through the proxy {}", Proxies::shown(p));
        }
        let work = async {
            let settings = aws_smithy_runtime_api::client::http::HttpConnectorSettings::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .build();
            let sleep = aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
                aws_smithy_async::rt::sleep::TokioSleep::new(),
            );
            let connector =
                match connector(&self.tls, proxy.as_deref(), Some(&settings), Some(sleep)) {
                    Ok(c) => c,
                    Err(e) => return Attempt::Transport(e),
                };
            let resp = match self.in_flight.track(connector.call(req)).await {
                Ok(r) => r,
                Err(e) => {
                    return Attempt::Transport(anyhow!(
                        "{}",
                        transport_problem(&one_line_chain(&e), proxy.as_deref())
                    ))
                }
            };
            let status = resp.status().as_u16();
            let header_code = resp
                .headers()
                .get("x-amzn-errortype")
                .map(|v| v.split(':').next().unwrap_or_default().to_string());
            // At most body_cap::MAX_BODY: a broken or hostile endpoint cannot make awsenv
            // hold gigabytes.
            let length = resp.headers().get("content-length").map(str::to_string);
            let body = match body_cap::read(length.as_deref(), resp.into_body(), endpoint).await {
                Ok(b) => b,
                Err(e) => return Attempt::Transport(e.into()),
            };
            let code = header_code.or_else(|| body_error_code(&body));
            Attempt::Answered { status, code, body }
        };
        match self.bounded_as(what, "the request", endpoint, ATTEMPT_TIMEOUT, work) {
            Ok(a) => a,
            Err(e) => Attempt::OutOfTime(e),
        }
    }
}
/// A connector through `proxy` (None: direct) trusting `tls`'s CAs.
fn connector(
    tls: &aws_smithy_http_client::tls::TlsContext,
    proxy: Option<&str>,
    settings: Option<&aws_smithy_runtime_api::client::http::HttpConnectorSettings>,
    sleep: Option<aws_smithy_async::rt::sleep::SharedAsyncSleep>,
) -> Result<aws_smithy_http_client::Connector> {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Connector};
    let mut b = Connector::builder();
    if let Some(s) = settings {
        b = b.connector_settings(s.clone());
    }
    b.set_sleep_impl(sleep);
    let proxy = match proxy {
        Some(p) => ProxyConfig::all(reach::with_scheme(p).as_str())
            .map_err(|e| anyhow!("the proxy {} is not a usable URL: {e}", Proxies::shown(p)))?,
        None => ProxyConfig::disabled(),
    };
    Ok(b.proxy_config(proxy)
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(tls.clone())
        .build())
}

/// A connector that fails every request with the reason it could not be made (a bad proxy
/// URL): the error comes with the call, as any transport error does.
#[derive(Debug)]
struct Refuse(String);

impl aws_smithy_runtime_api::client::http::HttpConnector for Refuse {
    fn call(
        &self,
        _: aws_smithy_runtime_api::http::Request,
    ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
        let e = aws_smithy_runtime_api::client::result::ConnectorError::other(
            self.0.clone().into(),
            None,
        );
        aws_smithy_runtime_api::client::http::HttpConnectorFuture::ready(Err(e))
    }
}

/// A transport error in words a person can act on: through which proxy it failed (never its
/// password), and for a certificate that is not trusted, the settings that trust it.
fn transport_problem(chain: &str, proxy: Option<&str>) -> String {
    let mut msg = format!("cannot reach the endpoint: {chain}");
    if let Some(p) = proxy {
        let refused = chain.contains("407") || chain.to_ascii_lowercase().contains("proxy auth");
        msg = if refused {
            format!(
                "the proxy {} refused the connection (407: proxy authentication required; put the user and password in HTTPS_PROXY): {chain}",
                Proxies::shown(p)
            )
        } else {
            format!(
                "cannot reach the endpoint through the proxy {} (HTTPS_PROXY/HTTP_PROXY; NO_PROXY exempts hosts): {chain}",
                Proxies::shown(p)
            )
        };
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        msg.push_str(
            " — a certificate problem: the server's certificate is not signed by a trusted CA; behind a TLS-inspecting proxy, set AWS_CA_BUNDLE (or the profile's ca_bundle) to the PEM file of its CA",
        );
    }
    msg
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// `https://host` of an endpoint URL, for messages (no path, no query).
fn host_of(endpoint: &str) -> String {
    endpoint
        .parse::<url::Url>()
        .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()))
        .unwrap_or_else(|_| "the endpoint".to_string())
}
/// The standard mode's backoff: a random pause below `INITIAL_BACKOFF * 2^(attempt-1)`, at most
/// `MAX_BACKOFF`.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// The error codes the SDKs' standard mode retries as throttling.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// What one attempt of [`Network::send`] came to.
enum Attempt {
    Answered {
        status: u16,
        /// The AWS error code, from `x-amzn-ErrorType` or the body.
        code: Option<String>,
        body: Vec<u8>,
    },
    /// No answer: the connection failed or broke.
    Transport(anyhow::Error),
    /// The deadline (or, without one, the attempt's limit) passed first.
    OutOfTime(anyhow::Error),
}

impl Attempt {
    fn into_result(self) -> Result<(u16, Vec<u8>)> {
        match self {
            Attempt::Answered { status, body, .. } => Ok((status, body)),
            Attempt::Transport(e) | Attempt::OutOfTime(e) => Err(e),
        }
    }

    /// For the debug log: never the body (it may hold credentials).
    fn describe(&self) -> String {
        match self {
            Attempt::Answered { status, code, .. } => match code {
                Some(c) => format!("HTTP {status}, {}", crate::os::text::inert(c)),
                None => format!("HTTP {status}"),
            },
            Attempt::Transport(e) | Attempt::OutOfTime(e) => e.to_string(),
        }
    }
}

/// Whether the standard mode retries an answer: throttling (429, or a throttling code) and the
/// transient 5xx. Any other 4xx is the caller's to report.
fn retryable(status: u16, code: Option<&str>) -> bool {
    status == 429
        || matches!(status, 500 | 502 | 503 | 504)
        || code.is_some_and(|c| THROTTLING_CODES.contains(&c))
}

/// The pause before attempt `attempt + 1`: full jitter over the exponential bound.
fn backoff(attempt: u32) -> Duration {
    let bound = INITIAL_BACKOFF
        .saturating_mul(1 << (attempt - 1).min(16))
        .min(MAX_BACKOFF);
    let mut b = [0u8; 4];
    // Without randomness, half the bound: still a pause, only not spread.
    let share = match getrandom::getrandom(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    };
    bound.mul_f64(share)
}

/// The AWS error code in an error body: JSON `__type`, `code` or `error` (a namespace prefix
/// `ns#Code` dropped), or XML `<Code>`.
fn body_error_code(body: &[u8]) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        return ["__type", "code", "Code", "error"].iter().find_map(|k| {
            let c = v.get(k)?.as_str()?;
            Some(c.rsplit('#').next().unwrap_or(c).to_string())
        });
    }
    xml_text(&String::from_utf8_lossy(body), "Code")
}

/// When a call stops waiting for its answer.
#[derive(Clone, Copy)]
enum GivesUp {
    /// The run's deadline (or a bounded wait's limit).
    At(Instant),
    /// No deadline: each of the standard retries' attempts has this long.
    PerAttempt(Duration),
}

/// The line that says what a slow call waits for:
/// `waiting for STS AssumeRole ARN at https://… (profile `p`; gives up in 9 s)…`.
fn waiting_notice(what: &str, endpoint: &str, profile: Option<&str>, gives_up: GivesUp) -> String {
    let limit = match gives_up {
        GivesUp::At(t) => {
            let left = t.saturating_duration_since(Instant::now());
            // To the nearest second: 8.9 s left of a 10 s deadline is "9 s".
            format!("gives up in {} s", (left.as_millis() + 500) / 1000)
        }
        GivesUp::PerAttempt(d) => format!("each attempt gives up after {} s", d.as_secs()),
    };
    let profile = profile
        .map(|p| format!("profile `{p}`; "))
        .unwrap_or_default();
    format!("waiting for {what} at {endpoint} ({profile}{limit})…")
}

pub fn to_sdk(c: &Credentials) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_string(),
        c.session_token.as_ref().map(|t| t.expose().to_string()),
        c.expiration.map(Into::into),
        "awsenv",
    )
}

/// The AWS error code of a service error (also from bodies the SDK's parser does not read).
fn error_code<E>(e: &SdkError<E, HttpResponse>) -> Option<String>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    let se = e.as_service_error()?;
    se.code().map(str::to_string).or_else(|| match e {
        SdkError::ServiceError(c) => {
            let body = c.raw().body().bytes().map(String::from_utf8_lossy)?;
            xml_text(&body, "Code")
        }
        _ => None,
    })
}

/// One line describing an SDK error: the AWS error code and message when the service answered,
/// else the transport problem. Requests and credentials are never part of it.
pub fn sdk_error<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let raw = se.raw();
            let body = raw
                .body()
                .bytes()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            // Some STS stand-ins (moto) wrap errors in <Errors>, which the SDK's parser does not
            // read; the code and message are still in the body.
            let code = err
                .code()
                .map(str::to_string)
                .or_else(|| xml_text(&body, "Code"));
            let message = err
                .message()
                .map(str::to_string)
                .or_else(|| xml_text(&body, "Message"));
            match (code, message) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code,
                (None, Some(msg)) => msg,
                (None, None) => format!("HTTP {}", raw.status().as_u16()),
            }
        }
        SdkError::TimeoutError(_) => "timed out".to_string(),
        SdkError::DispatchFailure(d) => match d.as_connector_error() {
            Some(c) => transport_problem(&one_line_chain(c), None),
            None => "cannot reach the endpoint".to_string(),
        },
        other => one_line_chain(other),
    }
}

/// The text of the first `<tag>…</tag>` in an XML error body.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    let text = body[start..end].trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The over-long answer behind a connector error, if that is what it is.
fn too_large(
    e: Option<&aws_smithy_runtime_api::client::result::ConnectorError>,
) -> Option<&body_cap::TooLarge> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e?);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<body_cap::TooLarge>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

fn one_line_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::loopback::{read_head, Answer};
    use std::io::Write;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// What the stand-in does with one request.
    #[derive(Clone)]
    enum Act {
        Answer(u16, &'static str),
        /// Closes the connection without answering (a transport error).
        Drop,
        /// Never answers.
        Hang,
    }

    /// A local HTTP stand-in playing `script`, one act per request (the last one repeats).
    /// Returns its URL and the count of requests it saw.
    fn stand_in(script: Vec<Act>) -> (url::Url, Arc<AtomicUsize>) {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let url = format!(
            "http://127.0.0.1:{}/v1/token",
            l.local_addr().unwrap().port()
        );
        let seen = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&seen);
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut conn) = conn else { continue };
                let deadline = Instant::now() + Duration::from_secs(5);
                if read_head(&mut conn, deadline, 16 * 1024).is_err() {
                    continue;
                }
                let n = count.fetch_add(1, Ordering::SeqCst);
                match script[n.min(script.len() - 1)].clone() {
                    Act::Answer(status, body) => {
                        let a = Answer::json(status, body);
                        let _ = conn.write_all(&a.to_bytes());
                    }
                    Act::Drop => drop(conn),
                    Act::Hang => {
                        std::thread::spawn(move || {
                            std::thread::sleep(Duration::from_secs(30));
                            drop(conn);
                        });
                    }
                }
            }
        });
        (url.parse().unwrap(), seen)
    }

    fn net(deadline: Duration) -> Network {
        Network::with_deadline(Deadline::new(deadline, "raise it"), Reach::default()).unwrap()
    }

    #[test]
    fn a_5xx_is_retried_until_an_attempt_succeeds() {
        let (url, seen) = stand_in(vec![
            Act::Answer(500, "{}"),
            Act::Answer(200, r#"{"ok":1}"#),
        ]);
        let (status, body) = net(Duration::from_secs(30)).get("t", &url).unwrap();
        assert_eq!((status, body.as_slice()), (200, &br#"{"ok":1}"#[..]));
        assert_eq!(seen.load(Ordering::SeqCst), 2);

        let (url, seen) = stand_in(vec![
            Act::Answer(503, "{}"),
            Act::Answer(502, "{}"),
            Act::Answer(200, "{}"),
        ]);
        assert_eq!(net(Duration::from_secs(30)).get("t", &url).unwrap().0, 200);
        assert_eq!(seen.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn throttling_and_transport_errors_are_retried() {
        let (url, seen) = stand_in(vec![
            Act::Answer(400, r#"{"__type":"com.amazon#ThrottlingException"}"#),
            Act::Answer(429, "{}"),
            Act::Answer(200, "{}"),
        ]);
        assert_eq!(net(Duration::from_secs(30)).get("t", &url).unwrap().0, 200);
        assert_eq!(seen.load(Ordering::SeqCst), 3);

        let (url, seen) = stand_in(vec![Act::Drop, Act::Answer(200, "{}")]);
        assert_eq!(
            Network::new(Reach::default())
                .unwrap()
                .get("t", &url)
                .unwrap()
                .0,
            200
        );
        assert_eq!(seen.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn other_4xx_are_not_retried_and_three_attempts_is_the_most() {
        for refusal in [
            Act::Answer(400, r#"{"error":"AccessDeniedException","message":"no"}"#),
            Act::Answer(403, "<Error><Code>AccessDenied</Code></Error>"),
            Act::Answer(401, "{}"),
        ] {
            let (url, seen) = stand_in(vec![refusal, Act::Answer(200, "{}")]);
            let (status, _) = net(Duration::from_secs(30)).get("t", &url).unwrap();
            assert!((400..500).contains(&status));
            assert_eq!(seen.load(Ordering::SeqCst), 1);
        }
        let (url, seen) = stand_in(vec![Act::Answer(503, "{}")]);
        assert_eq!(net(Duration::from_secs(30)).get("t", &url).unwrap().0, 503);
        assert_eq!(seen.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn retries_never_go_past_the_deadline() {
        // Always 503: the pauses would add up to seconds; the deadline is 300 ms.
        let (url, _) = stand_in(vec![Act::Answer(503, "{}")]);
        let start = Instant::now();
        let (status, _) = net(Duration::from_millis(300)).get("t", &url).unwrap();
        assert_eq!(status, 503);
        // The bound leaves room for a loaded machine (the suite runs tests side by side on two
        // cores); the pauses alone, were the deadline ignored, are up to 3 s.
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{:?}",
            start.elapsed()
        );

        // An endpoint that never answers: the deadline's error, on time, and no retry.
        let (url, seen) = stand_in(vec![Act::Hang]);
        let start = Instant::now();
        let err = net(Duration::from_millis(700)).get("t", &url).unwrap_err();
        let took = start.elapsed();
        assert!(err.to_string().contains("deadline"), "{err}");
        assert!(took < Duration::from_millis(2500), "{took:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_request_is_built_afresh_for_each_attempt() {
        let (url, _) = stand_in(vec![Act::Answer(500, "{}"), Act::Answer(200, "{}")]);
        let mut built = 0;
        let n = net(Duration::from_secs(30));
        n.send("t", || {
            built += 1;
            let mut req = aws_smithy_runtime_api::http::Request::new(
                aws_smithy_types::body::SdkBody::empty(),
            );
            req.set_uri(url.as_str()).unwrap();
            Ok(req)
        })
        .unwrap();
        assert_eq!(built, 2);
    }

    #[test]
    fn a_ca_bundle_that_cannot_be_used_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("corp.pem");
        let with = |p: &std::path::Path| {
            Network::new(Reach {
                ca_bundle: Some(p.to_path_buf()),
                ..Reach::default()
            })
            .err()
            .map(|e| e.to_string())
        };
        let e = with(&missing).unwrap();
        assert!(
            e.contains("cannot read the CA bundle") && e.contains("corp.pem"),
            "{e}"
        );
        std::fs::write(&missing, "not a certificate").unwrap();
        let e = with(&missing).unwrap();
        assert!(e.contains("holds no PEM certificate"), "{e}");
    }

    #[test]
    fn a_proxy_url_that_cannot_be_used_is_named_without_its_password() {
        let (url, seen) = stand_in(vec![Act::Answer(200, "{}")]);
        let n = Network::with_deadline(
            Deadline::new(Duration::from_secs(5), "raise it"),
            Reach {
                proxies: Proxies {
                    http: Some("socks9://user:hunter2@proxy.corp:1080".into()),
                    ..Proxies::default()
                },
                ..Reach::default()
            },
        )
        .unwrap();
        let e = n.get("t", &url).unwrap_err().to_string();
        assert!(e.contains("socks9://proxy.corp:1080"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        // Never went around the proxy.
        assert_eq!(seen.load(Ordering::SeqCst), 0);
    }
}
