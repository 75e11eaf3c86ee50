//! `awsenv add PROFILE`: store an IAM user's long-term keys in the configured store, asking for
//! them on the terminal (the key id echoed, the secret not) or, with `--env`, taking them from
//! the environment.

use anyhow::{bail, Context as _, Result};

use crate::cli::AddArgs;
use crate::config::{keys, FileKind};
use crate::context::Context;
use crate::creds::Secret;
use crate::os::env;
use crate::os::log::debug;

pub fn run(ctx: &Context, args: AddArgs) -> Result<()> {
    let profile = args.profile.as_str();
    check_profile_name(profile)?;
    let store = ctx.store()?;
    let place = store.kind().describe();

    if let Some(old) = ctx
        .stored_keys()?
        .access_key_id(profile)
        .map(str::to_string)
    {
        let question =
            format!("Profile `{profile}` already has keys ({old}) in the {place}. Replace them?");
        let advice =
            format!("pass --force to replace them, or run `awsenv remove {profile}` first");
        if !args.force
            && !crate::os::tty::confirm(&question, &advice).with_context(|| {
                format!("profile `{profile}` already has keys ({old}) in the {place}")
            })?
        {
            bail!("profile `{profile}`: kept the keys already stored ({old})");
        }
    }

    let (id, secret) = if args.env {
        from_env(ctx, profile)?
    } else {
        let advice = "use --env with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
        let id = crate::os::tty::visible("Access Key ID: ", advice)?;
        let secret = Secret::new(crate::os::tty::secret("Secret Access Key: ", advice)?);
        (id.trim().to_string(), secret)
    };
    check_keys(profile, &id, &secret)?;

    store
        .put_keys(profile, &id, &secret)
        .with_context(|| format!("profile `{profile}`: cannot store the keys"))?;
    // Sessions made from the keys this replaces must not outlive them.
    let cleared = ctx.session_cache()?.remove(Some(profile)).unwrap_or(0);
    debug!("cleared {cleared} cached session(s) of `{profile}`");
    eprintln!("awsenv: stored the keys of profile `{profile}` ({id}) in the {place}");

    if let Ok(files) = ctx.files() {
        let in_file = files
            .profile(profile)
            .ok()
            .flatten()
            .is_some_and(|p| p.file_of(keys::ACCESS_KEY_ID) == Some(FileKind::Credentials));
        if in_file {
            eprintln!(
                "awsenv: note: they take precedence over the keys of `{profile}` in {}, which you may now delete from it",
                files.credentials.path.display()
            );
        }
    }
    Ok(())
}

fn from_env(ctx: &Context, profile: &str) -> Result<(String, Secret)> {
    let var = |n: &str| ctx.env.get(n).filter(|v| !v.trim().is_empty());
    let (Some(id), Some(secret)) = (var(env::ACCESS_KEY_ID), var(env::SECRET_ACCESS_KEY)) else {
        bail!("profile `{profile}`: --env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set");
    };
    Ok((id.trim().to_string(), Secret::new(secret.trim())))
}

/// Profile names end up in section headers, keyring item names and messages: any text but
/// control characters.
pub fn check_profile_name(profile: &str) -> Result<()> {
    if profile.trim().is_empty() || profile.chars().any(char::is_control) {
        bail!("`{}` is not a usable profile name", profile.escape_debug());
    }
    Ok(())
}

/// Long-term keys of an IAM user: an `AKIA…`-style id and a secret without blanks. Temporary
/// `ASIA…` keys need a session token and expire: storing them would only fail later.
fn check_keys(profile: &str, id: &str, secret: &Secret) -> Result<()> {
    let id_ok = (16..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric());
    if !id_ok {
        // Not shown: it may be the secret, typed at the wrong prompt.
        bail!("profile `{profile}`: that is not an access key id (16 to 128 letters and digits, like AKIAIOSFODNN7EXAMPLE)");
    }
    if id.starts_with("ASIA") {
        bail!("profile `{profile}`: {id} is a temporary access key id; `awsenv add` stores an IAM user's long-term keys (AKIA…)");
    }
    let s = secret.expose();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        // The value itself is never shown.
        bail!("profile `{profile}`: the secret access key is empty or contains blanks");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_checks() {
        let s = Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert!(check_keys("p", "AKIAIOSFODNN7EXAMPLE", &s).is_ok());
        let e = check_keys("p", "ASIAIOSFODNN7EXAMPLE", &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("temporary"), "{e}");
        assert!(check_keys("p", "AKIA", &s).is_err());
        assert!(check_keys("p", "AKIA IOSFODNN7EXAMPLE", &s).is_err());
        let e = check_keys("p", "AKIAIOSFODNN7EXAMPLE", &Secret::new("has space"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains("has space"), "the secret leaked into: {e}");
        assert!(check_profile_name("prod").is_ok());
        assert!(check_profile_name("my prod; $(x)").is_ok());
        assert!(check_profile_name("").is_err());
        assert!(check_profile_name("a\nb").is_err());
    }
}
