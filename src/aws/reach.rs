//! How this run reaches AWS, as botocore would for the profile: the endpoint variants (FIPS,
//! dual-stack, STS's legacy global endpoint), the retry settings, the proxies and the CA bundle.
//! Read by `config::reach` from the files and the environment; one [`Reach`] per [`Network`].
//!
//! [`Network`]: super::Network

use std::path::PathBuf;

use aws_smithy_types::retry::RetryConfig;

pub use super::partition::Variants;

/// Everything about the way out that a profile (and the environment) can set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// `use_fips_endpoint` / `use_dualstack_endpoint`, ignored where an endpoint is configured.
    pub variants: Variants,
    /// `sts_regional_endpoints = legacy`: the old global STS endpoint for the regions that had
    /// it (botocore's default is `regional`).
    pub sts_legacy: bool,
    pub retry: Retry,
    pub proxies: Proxies,
    /// `AWS_CA_BUNDLE`, else the profile's `ca_bundle`: the only CAs trusted (botocore's
    /// meaning); None: the system's roots.
    pub ca_bundle: Option<PathBuf>,
}

/// `retry_mode` and `max_attempts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retry {
    pub mode: RetryMode,
    /// Attempts in all, the first one included (botocore's meaning).
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetryMode {
    /// botocore's `legacy`: 5 attempts by default.
    Legacy,
    /// The default since botocore 1.36 (and of the AWS CLI v2): 3 attempts.
    #[default]
    Standard,
    /// `standard` plus a client-side rate limit after throttling.
    Adaptive,
}

impl Retry {
    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(match self.mode {
            RetryMode::Legacy => 5,
            RetryMode::Standard | RetryMode::Adaptive => 3,
        })
    }

    /// The SDK clients' retry settings. The Rust SDK has no legacy mode: its standard mode
    /// with legacy's attempts is the closest (the same errors are retried, backoff differs).
    pub fn sdk(&self) -> RetryConfig {
        let c = match self.mode {
            RetryMode::Adaptive => RetryConfig::adaptive(),
            RetryMode::Legacy | RetryMode::Standard => RetryConfig::standard(),
        };
        c.with_max_attempts(self.attempts())
    }
}

/// The proxies from the environment, as Python's `urllib.request.getproxies()` (which botocore
/// uses) reads them: the lower-case name wins when both are set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// For `https://` endpoints (`https_proxy`/`HTTPS_PROXY`).
    pub https: Option<String>,
    /// For `http://` endpoints (`http_proxy`/`HTTP_PROXY`).
    pub http: Option<String>,
    /// `no_proxy`/`NO_PROXY`: hosts (and their subdomains), IPs, `*`.
    pub no_proxy: Option<String>,
}

impl Proxies {
    /// The proxy for an endpoint of this scheme, unless `NO_PROXY` exempts `host`.
    pub fn for_url(&self, url: &url::Url) -> Option<&str> {
        let proxy = match url.scheme() {
            "https" => self.https.as_deref(),
            "http" => self.http.as_deref(),
            _ => None,
        }?;
        let host = url.host_str().unwrap_or_default();
        (!self.exempts(host)).then_some(proxy)
    }

    /// Whether `NO_PROXY` names `host`: `*`, the host itself or a domain it is in (a leading
    /// dot or none), compared without case, as `urllib.request.proxy_bypass_environment`.
    pub fn exempts(&self, host: &str) -> bool {
        let Some(list) = &self.no_proxy else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        list.split(',')
            .map(|n| n.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .any(|n| n == "*" || host == n || host.ends_with(&format!(".{n}")))
    }

    /// A proxy URL for messages: scheme, host and port, never the credentials.
    pub fn shown(proxy: &str) -> String {
        match url::Url::parse(&with_scheme(proxy)) {
            Ok(u) => format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or_default(),
                u.port().map(|p| format!(":{p}")).unwrap_or_default()
            ),
            Err(_) => "the configured proxy".to_string(),
        }
    }
}

/// botocore reads a proxy without a scheme (`proxy:3128`) as `http://proxy:3128`.
pub fn with_scheme(proxy: &str) -> String {
    if proxy.contains("://") {
        proxy.to_string()
    } else {
        format!("http://{proxy}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_names_hosts_domains_and_everything() {
        let p = Proxies {
            https: Some("http://proxy:3128".into()),
            http: None,
            no_proxy: Some(" .internal.example, 127.0.0.1,Amazonaws.com.cn ".into()),
        };
        let at = |u: &str| p.for_url(&u.parse().unwrap()).map(str::to_string);
        assert_eq!(
            at("https://sts.amazonaws.com").as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(at("https://sts.cn-north-1.amazonaws.com.cn"), None);
        assert_eq!(at("https://a.internal.example/x"), None);
        assert_eq!(at("https://internal.example"), None);
        assert_eq!(at("https://127.0.0.1:9000"), None);
        // Suffixes match at a dot only.
        assert!(at("https://notinternal.example").is_some());
        // An http:// endpoint uses http_proxy, unset here.
        assert_eq!(at("http://sts.amazonaws.com"), None);
        let all = Proxies {
            no_proxy: Some("*".into()),
            ..p.clone()
        };
        assert!(all.exempts("sts.amazonaws.com"));
    }

    #[test]
    fn a_shown_proxy_has_no_password() {
        assert_eq!(
            Proxies::shown("http://user:s3cret@proxy.corp:3128/"),
            "http://proxy.corp:3128"
        );
        assert_eq!(Proxies::shown("proxy.corp:8080"), "http://proxy.corp:8080");
    }

    #[test]
    fn attempts_by_mode() {
        let r = |mode, max_attempts| Retry { mode, max_attempts }.attempts();
        assert_eq!(r(RetryMode::Standard, None), 3);
        assert_eq!(r(RetryMode::Legacy, None), 5);
        assert_eq!(r(RetryMode::Adaptive, Some(7)), 7);
    }
}
