//! `awsenv rotate PROFILE`: replace a stored access key with a new one.
//!
//! The order is what makes it safe: create the new key (with the old one, or an MFA session
//! made from it), store it, prove it (GetCallerIdentity answers with the same user), and only
//! then delete the old key. Every failure on the way leaves a working key in the store: before
//! the new key is proven, the old one is put back and the new one deleted from IAM.

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};

use crate::aws::iam::{user_name_of, Iam};
use crate::aws::Network;
use crate::cli::RotateArgs;
use crate::config::endpoint::{self, Service};
use crate::context::Context;
use crate::creds::{Credentials, Secret};
use crate::engine::{self, Options};
use crate::os::log::debug;
use crate::plan::{Plan, Source, FALLBACK_REGION};
use crate::providers::mfa::CodeSource;
use crate::store::Store;

/// IAM is eventually consistent: a new key can be refused for a few seconds.
const PROOF_ATTEMPTS: u32 = 8;

pub fn run(ctx: &Context, args: RotateArgs) -> Result<()> {
    let profile = args.profile.as_str();
    let store = ctx.store()?;
    let place = store.kind().describe();
    let (plan, old) = stored_keys(ctx, store, profile, place)?;
    let old_id = old.access_key_id.clone();
    let region = plan.region.as_deref().unwrap_or(FALLBACK_REGION);
    let sts = plan.sts_endpoint.as_deref();
    let files = ctx.files()?;
    let iam_endpoint =
        endpoint::endpoint(Some(files), files.profile(profile)?, Service::Iam, &ctx.env)?;
    let net = Network::new(crate::providers::reach_of(ctx, Some(profile))?)?;
    net.set_profile(profile);

    let (arn, user) = iam_user(&net, &old, region, sts, profile)?;
    let user = user.as_str();
    debug!("rotating {old_id} of {arn}");

    let iam_creds = iam_credentials(&net, &plan, &old, sts, args.mfa_token.clone())?;
    let iam = Iam::new(&net, &iam_creds, region, iam_endpoint.as_deref());
    let (new_id, new_secret) = iam.create_access_key(user).with_context(|| {
        format!("profile `{profile}`: nothing was changed, {old_id} is still stored")
    })?;
    debug!("created access key {new_id} for IAM user {user}");
    let new = store_new_key(store, &iam, profile, user, &old_id, new_id, new_secret)?;
    let new_id = new.access_key_id.clone();

    if let Err(e) = prove(&net, &new, region, sts, &arn) {
        return Err(put_old_key_back(
            store, &iam, profile, user, &old, &new_id, e,
        ));
    }
    debug!("the new key works; deleting {old_id}");

    // Without MFA the new key deletes the old one: its first IAM call.
    let with_new;
    let deleter = if plan.mfa_session.is_some() {
        &iam
    } else {
        with_new = Iam::new(&net, &new, region, iam_endpoint.as_deref());
        &with_new
    };
    deleter.delete_access_key(user, &old_id).with_context(|| {
        format!("profile `{profile}`: the new key {new_id} is stored and works, but the old key {old_id} is still active; delete it in IAM")
    })?;

    // Sessions made from the old key go with it.
    let cleared = ctx.session_cache()?.remove(Some(profile)).unwrap_or(0);
    debug!("cleared {cleared} cached session(s) of `{profile}`");
    eprintln!("awsenv: rotated profile `{profile}`: {old_id} -> {new_id} in the {place}");
    Ok(())
}

/// The profile's plan and its stored keys, or why it cannot be rotated: only a profile whose
/// credentials are its own keys in the store (`place`) can be.
fn stored_keys(
    ctx: &Context,
    store: &Store,
    profile: &str,
    place: &str,
) -> Result<(Plan, Credentials)> {
    if ctx.stored_keys()?.access_key_id(profile).is_none() {
        bail!("profile `{profile}` has no keys in the {place}; rotate replaces stored keys only (store them with `awsenv add {profile}`)");
    }
    let plan = engine::plan(ctx, profile, &Options::default())?;
    if !matches!(&plan.source, Source::Stored { profile: p, .. } if p == profile) {
        bail!(
            "profile `{profile}` gets its credentials from {}, not from its stored keys",
            plan.source.describe()
        );
    }
    let old = store
        .keys(profile)
        .with_context(|| format!("profile `{profile}`"))?
        .with_context(|| format!("profile `{profile}`: the {place} lists keys but does not hold them; store them again with `awsenv add {profile} --force`"))?;
    Ok((plan, old))
}

/// The ARN and the IAM user name of the stored key `old`, or why it cannot be rotated.
fn iam_user(
    net: &Network,
    old: &Credentials,
    region: &str,
    sts: Option<&str>,
    profile: &str,
) -> Result<(String, String)> {
    let arn = net.caller_arn(old, region, sts).with_context(|| {
        format!(
            "profile `{profile}`: the stored key {} does not work; nothing was changed",
            old.access_key_id
        )
    })?;
    let user = user_name_of(&arn).ok_or_else(|| {
        anyhow!(
            "profile `{profile}`: {arn} is not an IAM user; only an IAM user's keys can be rotated"
        )
    })?;
    let user = user.to_string();
    Ok((arn, user))
}

/// The credentials IAM is called with: with `mfa_serial`, an MFA session made from the old
/// key (policies often demand it); else the old key itself.
fn iam_credentials(
    net: &Network,
    plan: &Plan,
    old: &Credentials,
    sts: Option<&str>,
    mfa_token: Option<String>,
) -> Result<Credentials> {
    let Some(m) = &plan.mfa_session else {
        return Ok(old.clone());
    };
    let code = CodeSource::new(mfa_token).code_for(&m.mfa)?;
    net.get_session_token(
        old,
        &m.region,
        sts,
        &m.mfa.serial,
        &code,
        Duration::from_secs(900),
    )
    .map_err(|e| anyhow!("profile `{}`: {e:#}; nothing was changed", plan.profile))
}

/// Stores the new key. If that fails the new key is useless: it is deleted from IAM again.
fn store_new_key(
    store: &Store,
    iam: &Iam<'_>,
    profile: &str,
    user: &str,
    old_id: &str,
    new_id: String,
    new_secret: Secret,
) -> Result<Credentials> {
    if let Err(e) = store.put_keys(profile, &new_id, &new_secret) {
        let what = match iam.delete_access_key(user, &new_id) {
            Ok(()) => format!("deleted {new_id} again; {old_id} is still stored"),
            Err(c) => {
                format!("{old_id} is still stored; delete the unused {new_id} in IAM ({c:#})")
            }
        };
        return Err(e.context(format!(
            "profile `{profile}`: cannot store the new key; {what}"
        )));
    }
    Ok(Credentials {
        access_key_id: new_id,
        secret_access_key: new_secret,
        session_token: None,
        expiration: None,
        account_id: None,
    })
}

/// The new key did not prove itself (`e`): the old key goes back into the store first (the
/// store must hold a key that works), then the new one is deleted from IAM.
fn put_old_key_back(
    store: &Store,
    iam: &Iam<'_>,
    profile: &str,
    user: &str,
    old: &Credentials,
    new_id: &str,
    e: anyhow::Error,
) -> anyhow::Error {
    let old_id = &old.access_key_id;
    match store.put_keys(profile, old_id, &old.secret_access_key) {
        Ok(()) => {
            let cleanup = match iam.delete_access_key(user, new_id) {
                Ok(()) => format!("deleted {new_id}"),
                Err(c) => format!("delete the unused {new_id} in IAM ({c:#})"),
            };
            e.context(format!("profile `{profile}`: the new key {new_id} does not work; {old_id} is stored again; {cleanup}"))
        }
        Err(restore) => e.context(format!(
            "profile `{profile}`: the new key {new_id} is stored but did not answer, and {old_id} could not be put back ({restore:#}); both keys are active in IAM"
        )),
    }
}

/// GetCallerIdentity with the new key answers with the same identity, retried while IAM has
/// not yet spread the key (InvalidClientTokenId), failing at once on anything else.
fn prove(
    net: &Network,
    creds: &Credentials,
    region: &str,
    sts: Option<&str>,
    expected_arn: &str,
) -> Result<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match net.caller_arn(creds, region, sts) {
            Ok(arn) if arn == expected_arn => return Ok(()),
            Ok(arn) => bail!("the new key belongs to {arn}, not {expected_arn}"),
            Err(e)
                if attempt < PROOF_ATTEMPTS && e.to_string().contains("InvalidClientTokenId") =>
            {
                debug!("the new key is not usable yet ({e}); retrying");
                std::thread::sleep(Duration::from_millis(500 * u64::from(attempt)));
            }
            Err(e) => return Err(e),
        }
    }
}
