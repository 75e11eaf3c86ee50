//! Whether a request is out and unanswered, and since when: the HTTP client of a run wraps its
//! connector so that every request (of every SDK client, every attempt) marks its start and its
//! end. A slow call's notice is about an endpoint that does not answer, not about the standard
//! retries' backoff after a refused connection or a throttled attempt, which end on their own.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

/// When the request now out was sent (None: none is).
#[derive(Clone, Debug, Default)]
pub struct InFlight(Arc<Mutex<Option<Instant>>>);

impl InFlight {
    /// How long the request now out has waited (zero when none is).
    pub fn waited(&self) -> Duration {
        self.0
            .lock()
            .map(|s| s.map_or(Duration::ZERO, |t| t.elapsed()))
            .unwrap_or_default()
    }

    /// Runs `f`, one request, marked out while it runs.
    pub async fn track<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.set(Some(Instant::now()));
        // Cleared on drop too: a request dropped at the deadline is no longer out.
        let _clear = Clear(self);
        f.await
    }

    fn set(&self, v: Option<Instant>) {
        if let Ok(mut s) = self.0.lock() {
            *s = v;
        }
    }

    /// `http`, its requests tracked here.
    pub fn wrap(&self, http: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(Client {
            inner: http,
            in_flight: self.clone(),
        })
    }
}

struct Clear<'a>(&'a InFlight);

impl Drop for Clear<'_> {
    fn drop(&mut self) {
        self.0.set(None);
    }
}

#[derive(Debug)]
struct Client {
    inner: SharedHttpClient,
    in_flight: InFlight,
}

impl HttpClient for Client {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
            in_flight: self.in_flight.clone(),
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
    in_flight: InFlight,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let sent = self.inner.call(request);
        let in_flight = self.in_flight.clone();
        HttpConnectorFuture::new(async move { in_flight.track(sent).await })
    }
}
