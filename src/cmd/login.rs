//! `awsenv login [PROFILE]`: open the AWS console signed in with a profile's credentials,
//! through the federation endpoint (getSigninToken, then the login URL).
//!
//! Role, SSO and web identity credentials go straight to getSigninToken. Long-term IAM user
//! keys cannot: they are first traded for federated-user credentials (GetFederationToken).
//! The sign-in URL is a credential: it reaches stdout only with `--print` (or when no browser
//! can be started), and is never logged. Where no browser here could follow the local redirect
//! (over SSH, in a container…: `os::headless`), it is shown on stderr for the user to open.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};

use crate::aws::federation::{self, Endpoint, Partition, Session};
use crate::aws::Network;
use crate::cli::LoginArgs;
use crate::config::endpoint::{self, Service};
use crate::context::Context;
use crate::creds::Credentials;
use crate::engine::{self, Options};
use crate::os::browser::{self, BrowserError};
use crate::os::env;
use crate::os::headless;
use crate::os::log::debug;
use crate::plan::FALLBACK_REGION;

/// How long to wait for the browser to follow the one-time redirect.
const BROWSER_WAIT: Duration = Duration::from_secs(120);

/// Credentials to sign in with, and where they came from.
struct Identity {
    /// The profile name, or `environment`, for messages.
    label: String,
    creds: Credentials,
    region: String,
    sts_endpoint: Option<String>,
    /// Where the console's federation endpoint is (None: the partition's).
    signin_endpoint: Option<String>,
}

pub fn run(ctx: &Context, args: LoginArgs) -> Result<()> {
    let id = identity(ctx, &args)?;
    let label = id.label.clone();
    let in_profile = |e: anyhow::Error| anyhow!("profile `{label}`: {e:#}");
    let partition = Partition::of_region(&id.region);
    let endpoint = Endpoint::new(partition, id.signin_endpoint.as_deref()).map_err(in_profile)?;
    let destination = federation::destination(&id.region, args.path.as_deref())?;

    debug!("starting the network client");
    let net = Network::new(crate::providers::reach_of(ctx, Some(&label))?)?;
    net.set_profile(&label);
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
    debug!(
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
    // Where no browser here can follow the one-time local redirect (it would have to reach this
    // machine's 127.0.0.1), the person at the terminal gets the URL to open elsewhere. On stderr,
    // not stdout: without --print stdout stays empty whatever the machine, so a wrapper or log
    // that keeps a command's output does not keep a credential it never asked for; --print is
    // the way to ask for it as output.
    if let Some(why) = headless::here(&ctx.env).filter(|_| !args.browser) {
        debug!("no browser started for the console: {why}");
        crate::os::log::notice(&format!(
            "no browser here can open the console ({why}); open this URL in yours. It signs in as `{label}` for 15 minutes to whoever has it: do not paste it anywhere else (--browser starts one anyway, --print puts the URL on stdout)\n{url}"
        ));
        return Ok(());
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
fn identity(ctx: &Context, args: &LoginArgs) -> Result<Identity> {
    let e = &ctx.env;
    if args.profile.is_none() {
        if let Some(creds) = Credentials::from_env(e) {
            return Ok(Identity {
                label: e
                    .get(env::AWSENV_PROFILE)
                    .unwrap_or("environment")
                    .to_string(),
                creds,
                region: args
                    .resolve
                    .region
                    .as_deref()
                    .or_else(|| e.get(env::REGION))
                    .or_else(|| e.get(env::DEFAULT_REGION))
                    .unwrap_or(FALLBACK_REGION)
                    .to_string(),
                sts_endpoint: endpoint::endpoint(None, None, Service::Sts, e)?,
                signin_endpoint: federation_endpoint(None, None, e, args.insecure_endpoint)?,
            });
        }
    }
    let name = super::profile_name(ctx, args.profile.clone()).map_err(|_| {
        anyhow!("no PROFILE given, and neither AWS_ACCESS_KEY_ID nor AWS_PROFILE is set; run `awsenv login PROFILE`")
    })?;
    let opts: Options = (&args.resolve).into();
    let mut plan = engine::plan(ctx, &name, &opts)?;
    // Long-term keys with no role go to GetFederationToken themselves: an MFA session made from
    // them (GetSessionToken) is not accepted by the federation endpoint.
    if plan.hops.is_empty() && plan.source.is_long_term() && plan.mfa_session.take().is_some() {
        debug!("`{name}` has mfa_serial but no role: GetFederationToken takes no MFA code, so none is asked");
    }
    let creds = engine::run(ctx, &plan, &opts)?;
    let files = ctx.files()?;
    Ok(Identity {
        label: name.clone(),
        creds,
        region: plan.region.unwrap_or_else(|| FALLBACK_REGION.into()),
        sts_endpoint: plan.sts_endpoint,
        signin_endpoint: federation_endpoint(
            Some(files),
            files.profile(&name)?,
            e,
            args.insecure_endpoint,
        )?,
    })
}

/// Where the federation request goes: it carries the secret key and session token in its URL,
/// unlike the signed API calls, so only an endpoint named for the sign-in service is used
/// (`AWS_ENDPOINT_URL_SIGNIN`, or `signin` in the profile's `[services]`), never the global
/// `AWS_ENDPOINT_URL` or a profile's `endpoint_url` (LocalStack's `http://localhost:4566`,
/// which another local user may listen on while LocalStack is down); and only over https,
/// unless `--insecure-endpoint` says otherwise.
fn federation_endpoint(
    files: Option<&crate::config::Files>,
    profile: Option<&crate::config::Profile>,
    e: &crate::os::env::Env,
    insecure: bool,
) -> Result<Option<String>> {
    let configured = endpoint::endpoint(files, profile, Service::Signin, e)?;
    let general = [
        e.get(env::ENDPOINT_URL),
        profile.and_then(|p| p.get(crate::config::keys::ENDPOINT_URL)),
    ];
    let Some(url) = configured else {
        return Ok(None);
    };
    if e.get(env::ENDPOINT_URL_SIGNIN) != Some(url.as_str())
        && general.contains(&Some(url.as_str()))
    {
        eprintln!(
            "awsenv: not sending the console sign-in to the general endpoint override {} (it would carry the secret key); set AWS_ENDPOINT_URL_SIGNIN to use it",
            crate::os::text::inert(&url)
        );
        return Ok(None);
    }
    if !url.starts_with("https://") && !insecure {
        bail!(
            "the sign-in endpoint {} is not https, and the console sign-in sends the secret key in its URL; pass --insecure-endpoint to send it anyway",
            crate::os::text::inert(&url)
        );
    }
    Ok(Some(url))
}

/// GetFederationToken for an IAM user's long-term keys, named after the user (as aws-vault
/// does: the console shows `federated-user/NAME`).
fn federate(net: &Network, id: &Identity, duration: Option<Duration>) -> Result<Credentials> {
    let arn = net.caller_arn(&id.creds, &id.region, id.sts_endpoint.as_deref())?;
    let name = federation_name(&arn);
    debug!("GetFederationToken as `{name}` for long-term keys");
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
