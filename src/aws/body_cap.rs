//! The one limit on the size of an answer, for every HTTP call of a run: the SDK clients (STS,
//! SSO, SSO-OIDC, IAM, the instance and container providers) through the wrapped HTTP client,
//! and [`super::Network::send`] through [`read`]. The answers awsenv asks for are a few KiB; a
//! broken or hostile endpoint (an `AWS_ENDPOINT_URL_STS` answering gigabytes) must not make
//! awsenv hold gigabytes.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// The largest answer read.
pub const MAX_BODY: usize = 1024 * 1024;

/// An answer over [`MAX_BODY`]: said as is, never retried.
#[derive(Debug, thiserror::Error)]
#[error("answer larger than {} MiB from {endpoint}", MAX_BODY / (1024 * 1024))]
pub struct TooLarge {
    pub endpoint: String,
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    #[error("cannot read the answer: {0}")]
    Read(String),
}

/// The whole body, at most [`MAX_BODY`] bytes: a `Content-Length` over it is refused before a
/// byte is read, a streamed body cut as soon as it passes it.
pub async fn read(
    content_length: Option<&str>,
    body: SdkBody,
    endpoint: &str,
) -> Result<Vec<u8>, BodyError> {
    let too_large = || TooLarge {
        endpoint: endpoint.to_string(),
    };
    if content_length
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(too_large().into());
    }
    let mut stream = aws_smithy_types::byte_stream::ByteStream::new(body);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyError::Read(super::one_line_chain(&e)))?;
        if out.len() + chunk.len() > MAX_BODY {
            return Err(too_large().into());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `http`, every answer it gets read whole within [`MAX_BODY`] before the SDK sees it (the
/// SDKs' operations here are not streaming: they would read it whole anyway).
pub fn wrap(http: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Client { inner: http })
}

#[derive(Debug)]
struct Client {
    inner: SharedHttpClient,
}

impl HttpClient for Client {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
        })
    }

    fn validate_base_client_config(
        &self,
        runtime_components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner
            .validate_base_client_config(runtime_components, cfg)
    }

    fn validate_final_config(
        &self,
        runtime_components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(runtime_components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // Scheme and host only: a query may hold credentials.
        let endpoint = super::host_of(request.uri());
        let sent = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let mut resp = sent.await?;
            let length = resp.headers().get("content-length").map(str::to_string);
            let body = resp.take_body();
            match read(length.as_deref(), body, &endpoint).await {
                Ok(bytes) => {
                    *resp.body_mut() = SdkBody::from(bytes);
                    Ok(resp)
                }
                // Not retried (no error kind): a second attempt would get the same gigabytes.
                Err(BodyError::TooLarge(e)) => Err(ConnectorError::other(e.into(), None)),
                // A connection that broke mid-answer: a transport error, retried as one.
                Err(BodyError::Read(e)) => Err(ConnectorError::io(e.into())),
            }
        })
    }
}
