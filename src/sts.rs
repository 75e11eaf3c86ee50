//! Everything that talks to AWS: one tokio runtime and one HTTPS client, made only when a plan
//! needs the network (static keys and cache hits never build them), and the STS calls.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::creds::{Credentials, Secret};

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

    fn sts(
        &self,
        creds: Option<&Credentials>,
        region: &str,
        endpoint: Option<&str>,
    ) -> aws_sdk_sts::Client {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(self.http.clone())
            .timeout_config(Self::timeouts());
        if let Some(c) = creds {
            b = b.credentials_provider(to_sdk(c));
        }
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        aws_sdk_sts::Client::from_conf(b.build())
    }

    pub fn get_session_token(
        &self,
        source: &Credentials,
        region: &str,
        endpoint: Option<&str>,
        serial: &str,
        code: &str,
        duration: Duration,
    ) -> Result<Credentials> {
        let client = self.sts(Some(source), region, endpoint);
        let out = self
            .block_on(
                client
                    .get_session_token()
                    .serial_number(serial)
                    .token_code(code)
                    .duration_seconds(clamp_secs(duration))
                    .send(),
            )
            .map_err(|e| {
                anyhow!(
                    "GetSessionToken with MFA device {serial} failed: {}",
                    sdk_error(&e)
                )
            })?;
        from_sts(out.credentials(), "GetSessionToken")
    }

    #[allow(clippy::too_many_arguments)]
    pub fn assume_role(
        &self,
        source: &Credentials,
        region: &str,
        endpoint: Option<&str>,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
        duration: Option<Duration>,
        mfa: Option<(&str, &str)>,
    ) -> Result<Credentials> {
        let client = self.sts(Some(source), region, endpoint);
        let mut req = client
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_string))
            .set_duration_seconds(duration.map(clamp_secs));
        if let Some((serial, code)) = mfa {
            req = req.serial_number(serial).token_code(code);
        }
        let out = self
            .block_on(req.send())
            .map_err(|e| anyhow!("AssumeRole {role_arn} failed: {}", sdk_error(&e)))?;
        from_sts(out.credentials(), "AssumeRole")
    }

    pub fn assume_role_with_web_identity(
        &self,
        region: &str,
        endpoint: Option<&str>,
        role_arn: &str,
        session_name: &str,
        token: &str,
    ) -> Result<Credentials> {
        let client = self.sts(None, region, endpoint);
        let out = self
            .block_on(
                client
                    .assume_role_with_web_identity()
                    .role_arn(role_arn)
                    .role_session_name(session_name)
                    .web_identity_token(token)
                    .send(),
            )
            .map_err(|e| {
                anyhow!(
                    "AssumeRoleWithWebIdentity {role_arn} failed: {}",
                    sdk_error(&e)
                )
            })?;
        from_sts(out.credentials(), "AssumeRoleWithWebIdentity")
    }

    /// The ARN `creds` belong to (GetCallerIdentity): proves that credentials work.
    pub fn caller_identity(
        &self,
        creds: &Credentials,
        region: &str,
        endpoint: Option<&str>,
    ) -> Result<String> {
        let client = self.sts(Some(creds), region, endpoint);
        let out = self
            .block_on(client.get_caller_identity().send())
            .map_err(|e| anyhow!("GetCallerIdentity failed: {}", sdk_error(&e)))?;
        out.arn()
            .map(str::to_string)
            .context("GetCallerIdentity returned no ARN")
    }
}

fn clamp_secs(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
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

fn from_sts(c: Option<&aws_sdk_sts::types::Credentials>, call: &str) -> Result<Credentials> {
    let c = c.ok_or_else(|| anyhow!("{call} returned no credentials"))?;
    let expiration = time::OffsetDateTime::from_unix_timestamp(c.expiration().secs())
        .map_err(|_| anyhow!("{call} returned an invalid expiration"))?;
    Ok(Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Some(Secret::new(c.session_token())),
        expiration: Some(expiration),
    })
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
