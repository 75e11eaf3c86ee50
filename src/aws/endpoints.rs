//! Where each service awsenv calls through an SDK client is, by that SDK's own endpoint rules
//! (the same rules botocore runs), for this run's FIPS and dual-stack settings. The clients
//! resolve it themselves; this is for the messages, `--debug`, and the choice of proxy.

use anyhow::{anyhow, Result};
use aws_smithy_types::endpoint::Endpoint;

use super::partition::Variants;

/// The value of an endpoint future the rules give at once (they never wait).
pub(super) fn now<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("endpoint rules resolve without waiting"),
    }
}

fn url(e: Result<Endpoint, aws_smithy_runtime_api::box_error::BoxError>) -> Result<String> {
    e.map(|e| e.url().trim_end_matches('/').to_string())
        .map_err(|e| anyhow!("{e}"))
}

/// STS; `global`: `sts_regional_endpoints = legacy` (the old global endpoint for the regions
/// that had it).
pub fn sts(region: &str, v: Variants, global: bool) -> Result<String> {
    use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    let p = Params::builder()
        .region(region)
        .use_fips(v.fips)
        .use_dual_stack(v.dual_stack)
        .use_global_endpoint(global)
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    url(now(DefaultResolver::new().resolve_endpoint(&p)))
}

/// IAM (global in most partitions: `iam.amazonaws.com`, `iam.us-gov.amazonaws.com`, …).
pub fn iam(region: &str, v: Variants) -> Result<String> {
    use aws_sdk_iam::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    let p = Params::builder()
        .region(region)
        .use_fips(v.fips)
        .use_dual_stack(v.dual_stack)
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    url(now(DefaultResolver::new().resolve_endpoint(&p)))
}

/// The SSO portal (GetRoleCredentials, ListAccounts).
pub fn sso(region: &str, v: Variants) -> Result<String> {
    use aws_sdk_sso::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    let p = Params::builder()
        .region(region)
        .use_fips(v.fips)
        .use_dual_stack(v.dual_stack)
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    url(now(DefaultResolver::new().resolve_endpoint(&p)))
}

/// IAM Identity Center's OIDC API (and its `/authorize` page).
pub fn oidc(region: &str, v: Variants) -> Result<String> {
    use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    let p = Params::builder()
        .region(region)
        .use_fips(v.fips)
        .use_dual_stack(v.dual_stack)
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    url(now(DefaultResolver::new().resolve_endpoint(&p)))
}

/// STS's rules with the global endpoint switched on, for `sts_regional_endpoints = legacy`:
/// the Rust SDK has no setting for it, botocore does.
#[derive(Debug)]
pub(super) struct LegacySts;

impl aws_sdk_sts::config::endpoint::ResolveEndpoint for LegacySts {
    fn resolve_endpoint<'a>(
        &'a self,
        params: &'a aws_sdk_sts::config::endpoint::Params,
    ) -> aws_smithy_runtime_api::client::endpoint::EndpointFuture<'a> {
        use aws_sdk_sts::config::endpoint::{DefaultResolver, Params};
        let global = Params::builder()
            .set_region(params.region().map(str::to_string))
            .set_use_fips(params.use_fips())
            .set_use_dual_stack(params.use_dual_stack())
            .set_endpoint(params.endpoint().map(str::to_string))
            .use_global_endpoint(true)
            .build();
        let resolved = match global {
            Ok(p) => now(DefaultResolver::new().resolve_endpoint(&p)),
            Err(e) => Err(e.into()),
        };
        aws_smithy_runtime_api::client::endpoint::EndpointFuture::ready(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Variants = Variants {
        fips: false,
        dual_stack: false,
    };
    const FIPS: Variants = Variants {
        fips: true,
        dual_stack: false,
    };
    const DUAL: Variants = Variants {
        fips: false,
        dual_stack: true,
    };

    #[test]
    fn the_sdks_rules() {
        assert_eq!(
            sts("us-east-1", PLAIN, false).unwrap(),
            "https://sts.us-east-1.amazonaws.com"
        );
        assert_eq!(
            sts("us-east-1", FIPS, false).unwrap(),
            "https://sts-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            sts("us-east-1", DUAL, false).unwrap(),
            "https://sts.us-east-1.api.aws"
        );
        assert_eq!(
            sts("eu-west-1", PLAIN, true).unwrap(),
            "https://sts.amazonaws.com"
        );
        assert_eq!(
            iam("us-gov-west-1", PLAIN).unwrap(),
            "https://iam.us-gov.amazonaws.com"
        );
        assert_eq!(
            iam("cn-north-1", PLAIN).unwrap(),
            "https://iam.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            iam("eu-west-1", PLAIN).unwrap(),
            "https://iam.amazonaws.com"
        );
        assert_eq!(
            oidc("eusc-de-east-1", PLAIN).unwrap(),
            "https://oidc.eusc-de-east-1.amazonaws.eu"
        );
        assert_eq!(
            sso("cn-north-1", PLAIN).unwrap(),
            "https://portal.sso.cn-north-1.amazonaws.com.cn"
        );
    }
}
