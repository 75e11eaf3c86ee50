//! Everything that talks to AWS: one tokio runtime and one HTTPS client per run, made only
//! when a plan needs the network (static keys and cache hits never build them), and one file
//! per service: STS, the SSO portal, SSO-OIDC, IAM, and the console's federation endpoint.

pub mod federation;
pub mod iam;
pub mod oidc;
pub mod signin;
pub mod sso;
mod sts;

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::creds::Credentials;

/// The runtime and HTTP client shared by every call of one awsenv run.
pub struct Network {
    runtime: tokio::runtime::Runtime,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
}

impl Network {
    pub fn new() -> Result<Network> {
        use aws_smithy_http_client::{tls, Builder};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let http = Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        Ok(Network { runtime, http })
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    pub fn http_client(&self) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        self.http.clone()
    }

    pub fn timeouts() -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(20))
            .build()
    }

    /// A plain HTTPS GET through the same TLS stack as the SDK clients (for endpoints that have
    /// no SDK client, like the console federation endpoint). Returns the status and body.
    pub fn get(&self, url: &url::Url) -> Result<(u16, Vec<u8>)> {
        use aws_smithy_http_client::{tls, Connector};
        use aws_smithy_runtime_api::client::http::HttpConnector;
        use aws_smithy_runtime_api::http::Request;
        use aws_smithy_types::body::SdkBody;
        let mut req = Request::new(SdkBody::empty());
        req.set_uri(url.as_str())
            .map_err(|_| anyhow!("not a valid request URL"))?;
        req.headers_mut().insert("accept", "application/json");
        let work = async {
            let connector = Connector::builder()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build();
            let resp = connector
                .call(req)
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
        self.block_on(async { tokio::time::timeout(Duration::from_secs(20), work).await })
            .map_err(|_| anyhow!("timed out"))?
    }
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

/// One line describing an SDK error: the AWS error code and message when the service answered,
/// else the transport problem. Requests and credentials are never part of it.
pub fn sdk_error<E>(e: &aws_smithy_runtime_api::client::result::SdkError<E, HttpResponse>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
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
