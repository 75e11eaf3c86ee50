//! The environment variables awsenv manages, and the list of changes that loads a profile.
//! `use`, `unset`, `exec` and the shell hooks all start from here, so they cannot disagree.

use std::borrow::Cow;

use crate::creds::{format_rfc3339, Credentials};
use crate::shell::Change;

pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// The pre-2014 name of the session token, still read by boto2-era tools.
pub const SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
/// RFC 3339 expiry, read by the SDKs' environment credential providers.
pub const EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
pub const REGION: &str = "AWS_REGION";
pub const DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// The profile awsenv loaded into this environment.
pub const PROFILE_MARK: &str = "AWSENV_PROFILE";

/// Every variable `use` can set; `unset` removes exactly these.
pub const MANAGED: &[&str] = &[
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    SECURITY_TOKEN,
    EXPIRATION,
    REGION,
    DEFAULT_REGION,
    PROFILE_MARK,
];

/// The shell hook's own state (see `hook.rs`): what it loaded, from which marker, and what the
/// shell had before. Exported so that a subshell knows which credentials came from a marker.
pub const HOOK_STATE: &str = "__AWSENV_STATE";
/// Unix time at which the hook should refresh what it loaded; the shell compares it with its own
/// clock so that a prompt starts no process until then.
pub const HOOK_REFRESH_AT: &str = "__AWSENV_REFRESH_AT";
/// The hook's variables: `unset` clears them with the rest, so no saved credentials linger.
pub const HOOK_VARS: &[&str] = &[HOOK_STATE, HOOK_REFRESH_AT];

/// Variables that would contradict exported keys: the SDKs prefer env keys anyway, but a
/// leftover `AWS_PROFILE` misleads people and tools that print it.
pub const CONTRADICTING: &[&str] = &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

/// The changes that load `creds` for `profile`.
///
/// `replaces_awsenv_profile`: the environment already holds a profile awsenv loaded; then a
/// region it exported is stale when the new profile has none, and is removed. A region the user
/// set themselves (no awsenv profile loaded) is left alone.
pub fn load<'a>(
    profile: &'a str,
    creds: &'a Credentials,
    region: Option<&'a str>,
    replaces_awsenv_profile: bool,
) -> Vec<Change<'a>> {
    let mut unset: Vec<Change<'a>> = CONTRADICTING.iter().map(|n| Change::unset(n)).collect();
    let mut set: Vec<Change<'a>> = vec![
        Change::set(ACCESS_KEY_ID, creds.access_key_id.as_str()),
        Change::set(SECRET_ACCESS_KEY, creds.secret_access_key.expose()),
    ];
    match &creds.session_token {
        Some(token) => {
            set.push(Change::set(SESSION_TOKEN, token.expose()));
            set.push(Change::set(SECURITY_TOKEN, token.expose()));
        }
        None => {
            unset.push(Change::unset(SESSION_TOKEN));
            unset.push(Change::unset(SECURITY_TOKEN));
        }
    }
    match creds.expiration {
        Some(exp) => set.push(Change::set(EXPIRATION, Cow::Owned(format_rfc3339(exp)))),
        None => unset.push(Change::unset(EXPIRATION)),
    }
    match region {
        Some(r) => {
            set.push(Change::set(REGION, r));
            set.push(Change::set(DEFAULT_REGION, r));
        }
        None if replaces_awsenv_profile => {
            unset.push(Change::unset(REGION));
            unset.push(Change::unset(DEFAULT_REGION));
        }
        None => {}
    }
    set.push(Change::set(PROFILE_MARK, profile));
    // Removals first: a script that ends on a successful `set` leaves status 0 in every shell.
    unset.extend(set);
    unset
}

/// The changes that remove everything `load` can set, and the hook's state.
pub fn unload() -> Vec<Change<'static>> {
    MANAGED
        .iter()
        .chain(HOOK_VARS)
        .map(|n| Change::unset(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::Secret;

    fn names(changes: &[Change<'_>], set: bool) -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.value.is_some() == set)
            .map(|c| c.name.to_string())
            .collect()
    }

    #[test]
    fn static_keys_clear_stale_session_vars() {
        let c = Credentials {
            access_key_id: "AKIA".into(),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: None,
        };
        let ch = load("p", &c, None, false);
        assert_eq!(
            names(&ch, false),
            [
                "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE",
                "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN",
                "AWS_CREDENTIAL_EXPIRATION"
            ]
        );
        assert_eq!(
            names(&ch, true),
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWSENV_PROFILE"
            ]
        );
        let ch = load("p", &c, None, true);
        assert!(names(&ch, false).contains(&"AWS_REGION".to_string()));
    }

    #[test]
    fn every_set_variable_is_managed() {
        let c = Credentials {
            access_key_id: "ASIA".into(),
            secret_access_key: Secret::new("s"),
            session_token: Some(Secret::new("t")),
            expiration: Some(time::OffsetDateTime::UNIX_EPOCH),
        };
        for name in names(&load("p", &c, Some("eu-west-1"), true), true) {
            assert!(
                MANAGED.contains(&name.as_str()),
                "{name} is set but unset would miss it"
            );
        }
    }
}
