//! `awsenv login [PROFILE]`: open the AWS console signed in with a profile's credentials,
//! through the federation endpoint (getSigninToken, then the login URL).
//!
//! Role, SSO and web identity credentials go straight to getSigninToken. Long-term IAM user
//! keys cannot: they are first traded for federated-user credentials (GetFederationToken).
//! The sign-in URL is a credential: it reaches stdout only with `--print` (or when no browser
//! can be started), and is never logged.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};

use crate::browser::{self, BrowserError};
use crate::cli::LoginArgs;
use crate::config::Files;
use crate::creds::Credentials;
use crate::federation::{self, Endpoint, Partition, Session};
use crate::resolve::{self, Env, Overrides, Source, FALLBACK_REGION};
use crate::sts::Network;

/// How long to wait for the browser to follow the one-time redirect.
const BROWSER_WAIT: Duration = Duration::from_secs(120);

/// Credentials to sign in with, and where they came from.
struct Identity {
    /// The profile name, or `environment`, for messages.
    label: String,
    creds: Credentials,
    region: String,
    sts_endpoint: Option<String>,
}

pub fn run(args: LoginArgs) -> Result<()> {
    let id = identity(&args)?;
    let label = id.label.clone();
    let in_profile = |e: anyhow::Error| anyhow!("profile `{label}`: {e:#}");
    let partition = Partition::of_region(&id.region);
    let endpoint = Endpoint::new(partition, signin_override().as_deref()).map_err(in_profile)?;
    let destination = federation::destination(&id.region, args.path.as_deref())?;

    crate::debug!("starting the network client");
    let net = Network::new()?;
    let (creds, federated) = if id.creds.session_token.is_some() {
        (id.creds, false)
    } else {
        let c = federate(&net, &id, args.resolve.duration).map_err(in_profile)?;
        (c, true)
    };
    let session = Session::of(&creds).expect("temporary credentials have a session token");
    // GetFederationToken credentials carry their own duration; the endpoint refuses
    // SessionDuration for them.
    let console_duration = args.resolve.duration.filter(|_| !federated);
    crate::debug!(
        "getSigninToken at {} for `{label}` ({} credentials)",
        endpoint.display(),
        if federated {
            "federated-user"
        } else {
            "temporary"
        }
    );
    let token = federation::signin_token(&net, &endpoint, &session, console_duration)
        .map_err(in_profile)?;
    let url = endpoint.login_url(&token, &destination);

    if args.print {
        return super::print(&format!("{url}\n"));
    }
    match browser::open_secret(&url, BROWSER_WAIT) {
        Ok(()) => {
            eprintln!("awsenv: opened the AWS console for `{label}` in your browser");
            Ok(())
        }
        Err(e @ BrowserError::CannotStart(_)) => {
            eprintln!("awsenv: {e}; the sign-in URL follows on stdout (it is a credential for 15 minutes: do not share it)");
            super::print(&format!("{url}\n"))
        }
        Err(e) => bail!("profile `{label}`: {e}; try `awsenv login --print`"),
    }
}

/// The profile's credentials as `use` resolves them; with no PROFILE, the environment's
/// keys (what `awsenv use` exported), else `$AWS_PROFILE`.
fn identity(args: &LoginArgs) -> Result<Identity> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    if args.profile.is_none() {
        if let Some(creds) = Credentials::from_env() {
            return Ok(Identity {
                label: var("AWSENV_PROFILE").unwrap_or_else(|| "environment".into()),
                creds,
                region: args
                    .resolve
                    .region
                    .clone()
                    .or_else(|| var("AWS_REGION"))
                    .or_else(|| var("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|| FALLBACK_REGION.into()),
                sts_endpoint: env_sts_endpoint(),
            });
        }
    }
    let name = super::profile_name(args.profile.clone()).map_err(|_| {
        anyhow!("no PROFILE given, and neither AWS_ACCESS_KEY_ID nor AWS_PROFILE is set; run `awsenv login PROFILE`")
    })?;
    let files = Files::load()?;
    let overrides = Overrides {
        region: args.resolve.region.clone(),
        duration: args.resolve.duration,
    };
    let plan = resolve::plan(&files, &name, &overrides, &Env::from_process())?;
    let region = plan
        .region
        .clone()
        .unwrap_or_else(|| FALLBACK_REGION.into());
    // Long-term keys with no role go to GetFederationToken themselves: an MFA session made from
    // them (GetSessionToken) is not accepted by the federation endpoint.
    if let (
        [],
        Source::Static {
            access_key_id,
            secret_access_key,
            session_token: None,
            ..
        },
    ) = (plan.hops.as_slice(), &plan.source)
    {
        if plan.mfa_session.is_some() {
            crate::debug!("`{name}` has mfa_serial but no role: GetFederationToken takes no MFA code, so none is asked");
        }
        return Ok(Identity {
            label: name,
            creds: Credentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: None,
                expiration: None,
            },
            region,
            sts_endpoint: plan.sts_endpoint.clone(),
        });
    }
    let (plan, creds) = super::resolve_profile(&name, &args.resolve)?;
    Ok(Identity {
        label: name,
        creds,
        region,
        sts_endpoint: plan.sts_endpoint,
    })
}

/// GetFederationToken for an IAM user's long-term keys, named after the user (as aws-vault
/// does: the console shows `federated-user/NAME`).
fn federate(net: &Network, id: &Identity, duration: Option<Duration>) -> Result<Credentials> {
    let arn = net.caller_arn(&id.creds, &id.region, id.sts_endpoint.as_deref())?;
    let name = federation_name(&arn);
    crate::debug!("GetFederationToken as `{name}` for long-term keys");
    net.get_federation_token(
        &id.creds,
        &id.region,
        id.sts_endpoint.as_deref(),
        &name,
        duration,
    )
}

/// The user name from `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME`, cut to the 32 characters
/// GetFederationToken allows; `awsenv` for anything else (the root user).
fn federation_name(arn: &str) -> String {
    let user = arn
        .splitn(6, ':')
        .nth(5)
        .and_then(|r| r.strip_prefix("user/"))
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or("awsenv");
    let name: String = user.chars().take(32).collect();
    if name.chars().count() < 2 {
        format!("{name}-awsenv")
    } else {
        name
    }
}

/// `AWS_ENDPOINT_URL_SIGNIN`: the base in front of `/federation`, as `AWS_ENDPOINT_URL_STS` is
/// for STS.
fn signin_override() -> Option<String> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    std::env::var("AWS_ENDPOINT_URL_SIGNIN")
        .ok()
        .filter(|v| !v.is_empty() && !ignore)
}

/// STS for credentials from the environment: the SDKs' environment variables.
fn env_sts_endpoint() -> Option<String> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn federation_names() {
        use super::federation_name as n;
        assert_eq!(n("arn:aws:iam::123456789012:user/alice"), "alice");
        assert_eq!(n("arn:aws:iam::123456789012:user/dev/ops/bob"), "bob");
        assert_eq!(
            n("arn:aws:iam::1:user/a-very-long-user-name-that-goes-beyond-32"),
            "a-very-long-user-name-that-goes-"
        );
        assert_eq!(n("arn:aws:iam::1:root"), "awsenv");
        assert_eq!(n("arn:aws-cn:iam::1:user/x"), "x-awsenv");
    }
}
