//! Where a service is, by the SDKs' rules, for every service awsenv calls: written once.
//!
//! The order: `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the profile's `[services]`
//! section, the profile's `endpoint_url`; none of it when configured endpoints are switched off
//! (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, else the profile's `ignore_configured_endpoint_urls`).
//! None means the SDK's default endpoint.

use super::{keys, ConfigError, Files, Profile};
use crate::os::env::{self, Env};

/// A service awsenv calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Sts,
    Sso,
    SsoOidc,
    Iam,
    Signin,
}

impl Service {
    /// Its key in a `[services]` section (the SDKs' service id, snake case).
    fn services_key(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Sso => "sso",
            Service::SsoOidc => "sso_oidc",
            Service::Iam => "iam",
            Service::Signin => "signin",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            Service::Sts => env::ENDPOINT_URL_STS,
            Service::Sso => env::ENDPOINT_URL_SSO,
            Service::SsoOidc => env::ENDPOINT_URL_SSO_OIDC,
            Service::Iam => env::ENDPOINT_URL_IAM,
            Service::Signin => env::ENDPOINT_URL_SIGNIN,
        }
    }
}

/// The endpoint of `service` for `profile` (None: no profile, only the environment counts).
pub fn endpoint(
    files: Option<&Files>,
    profile: Option<&Profile>,
    service: Service,
    env: &Env,
) -> Result<Option<String>, ConfigError> {
    let ignore = if env.is_set(env::IGNORE_CONFIGURED_ENDPOINT_URLS) {
        env.is_true(env::IGNORE_CONFIGURED_ENDPOINT_URLS)
    } else {
        profile
            .and_then(|p| p.get(keys::IGNORE_CONFIGURED_ENDPOINT_URLS))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    if ignore {
        return Ok(None);
    }
    if let Some(url) = env
        .get(service.env_var())
        .or_else(|| env.get(env::ENDPOINT_URL))
    {
        return Ok(Some(url.to_string()));
    }
    let Some(p) = profile else {
        return Ok(None);
    };
    if let (Some(files), Some(services)) = (files, p.get(keys::SERVICES)) {
        if let Some(url) =
            files.service_setting(services, service.services_key(), keys::ENDPOINT_URL)?
        {
            return Ok(Some(url.to_string()));
        }
    }
    Ok(p.get(keys::ENDPOINT_URL).map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::from_strs;

    #[test]
    fn the_sdks_order() {
        let files = from_strs("[profile p]\nendpoint_url = http://global\nservices = local\n[services local]\nsts =\n  endpoint_url = http://sts-from-services\n", "");
        let p = files.profile("p").unwrap();
        let at = |service, env: &Env| endpoint(Some(&files), p, service, env).unwrap();
        let env = Env::default();
        assert_eq!(
            at(Service::Sts, &env).as_deref(),
            Some("http://sts-from-services")
        );
        assert_eq!(at(Service::Sso, &env).as_deref(), Some("http://global"));
        let env = env.with(env::ENDPOINT_URL, "http://env-global");
        assert_eq!(at(Service::Sts, &env).as_deref(), Some("http://env-global"));
        let env = env.with(env::ENDPOINT_URL_STS, "http://env-sts");
        assert_eq!(at(Service::Sts, &env).as_deref(), Some("http://env-sts"));
        assert_eq!(at(Service::Iam, &env).as_deref(), Some("http://env-global"));
        let off = env
            .clone()
            .with(env::IGNORE_CONFIGURED_ENDPOINT_URLS, "true");
        assert_eq!(at(Service::Sts, &off), None);
        // Without a profile, only the environment.
        assert_eq!(
            endpoint(None, None, Service::Signin, &Env::default()).unwrap(),
            None
        );
        let env = Env::default().with(env::ENDPOINT_URL_SIGNIN, "http://signin");
        assert_eq!(
            endpoint(None, None, Service::Signin, &env)
                .unwrap()
                .as_deref(),
            Some("http://signin")
        );
    }
}
