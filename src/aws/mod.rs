//! Everything that talks to AWS: one tokio runtime and one HTTPS client per run, made only
//! when a plan needs the network (static keys and cache hits never build them), and one file
//! per service: STS, the SSO portal, SSO-OIDC, IAM, and the console's federation endpoint.
//!
//! Calls retry as the SDKs do (standard mode: throttling, 5xx and transport errors, with jittered
//! exponential backoff), all inside the run's [`Deadline`] when it has one. Every call goes
//! through [`Network::call`] (or [`Network::bounded`]), which says on stderr what it waits for
//! when the answer is slow to come.

mod deadline;
pub mod federation;
pub mod iam;
mod in_flight;
pub mod oidc;
pub mod signin;
pub mod sso;
mod sts;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

pub use deadline::Deadline;
use in_flight::InFlight;

use crate::creds::Credentials;

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

/// The runtime and HTTP client shared by every call of one awsenv run.
pub struct Network {
    runtime: tokio::runtime::Runtime,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    deadline: Option<Deadline>,
    /// The profile the calls are made for now, named by the notice of a slow call.
    profile: RefCell<Option<String>>,
    /// The request out now (of `http`, or of [`Network::send`]).
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
    pub fn new() -> Result<Network> {
        Self::build(None)
    }

    /// A network whose calls all end by `deadline`, retries included.
    pub fn with_deadline(deadline: Deadline) -> Result<Network> {
        Self::build(Some(deadline))
    }

    fn build(deadline: Option<Deadline>) -> Result<Network> {
        use aws_smithy_http_client::{tls, Builder};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let in_flight = InFlight::default();
        let http = in_flight.wrap(
            Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        );
        Ok(Network {
            runtime,
            http,
            deadline,
            profile: RefCell::new(None),
            in_flight,
        })
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

    pub fn http_client(&self) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        self.http.clone()
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

    /// The SDKs' standard retries: 3 attempts, jittered exponential backoff, only for errors
    /// that may pass (throttling, 5xx, transport); never for AccessDenied, bad tokens, bad codes.
    pub fn retries() -> RetryConfig {
        RetryConfig::standard()
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
            (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), _) => {
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
        let mut req = Request::new(SdkBody::empty());
        req.set_uri(url.as_str())
            .map_err(|_| anyhow!("not a valid request URL"))?;
        req.headers_mut().insert("accept", "application/json");
        self.send(what, req)
    }

    /// Sends one request built by the caller through the same TLS stack as the SDK clients,
    /// within the deadline, `what` naming it in the notice of a slow answer (the notice and the
    /// errors name the endpoint by scheme and host: a query may hold credentials). Returns the
    /// status and body.
    pub fn send(
        &self,
        what: &str,
        req: aws_smithy_runtime_api::http::Request,
    ) -> Result<(u16, Vec<u8>)> {
        use aws_smithy_http_client::{tls, Connector};
        use aws_smithy_runtime_api::client::http::HttpConnector;
        let endpoint = req
            .uri()
            .parse::<url::Url>()
            .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()))
            .unwrap_or_default();
        let work = async {
            let connector = Connector::builder()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build();
            let resp = self
                .in_flight
                .track(connector.call(req))
                .await
                .map_err(|e| anyhow!("cannot reach the endpoint: {}", one_line_chain(&e)))?;
            let status = resp.status().as_u16();
            let body = aws_smithy_types::byte_stream::ByteStream::new(resp.into_body())
                .collect()
                .await
                .map_err(|e| anyhow!("cannot read the answer: {}", one_line_chain(&e)))?
                .into_bytes()
                .to_vec();
            Ok((status, body))
        };
        self.bounded_as(what, "the request", &endpoint, ATTEMPT_TIMEOUT, work)?
    }
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

/// Where an STS call goes, for messages.
pub fn sts_endpoint(region: &str, endpoint: Option<&str>) -> String {
    endpoint.map_or_else(|| default_endpoint("sts", region), str::to_string)
}

/// The default endpoint of a service in a region, for messages (the SDK works it out itself).
pub fn default_endpoint(prefix: &str, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{prefix}.{region}.{suffix}")
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
        SdkError::DispatchFailure(d) => {
            let mut msg = String::from("cannot reach the endpoint");
            if let Some(c) = d.as_connector_error() {
                msg.push_str(&format!(": {}", one_line_chain(c)));
            }
            msg
        }
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
