//! The variables awsenv manages, and the changes that load or unload a profile. `use`, `unset`,
//! `exec` and the shell hook all start from here, so they cannot disagree.

use std::collections::BTreeMap;

use super::Change;
use crate::creds::{format_rfc3339, Credentials};
use crate::os::env::{self, Env};

/// Every variable `use` can set; `unset` removes exactly these.
pub const MANAGED: &[&str] = &[
    env::ACCESS_KEY_ID,
    env::SECRET_ACCESS_KEY,
    env::SESSION_TOKEN,
    env::SECURITY_TOKEN,
    env::EXPIRATION,
    env::ACCOUNT_ID,
    env::REGION,
    env::DEFAULT_REGION,
    env::AWSENV_PROFILE,
];

/// Variables that would contradict exported keys: the SDKs prefer env keys anyway, but a
/// leftover `AWS_PROFILE` misleads people and tools that print it (and makes the JS SDK v3
/// skip the keys).
pub const CONTRADICTING: &[&str] = &[env::PROFILE, env::DEFAULT_PROFILE];

/// The hook's exported variables: `exec` clears them (they describe the shell that ran it).
pub const HOOK_VARS: &[&str] = &[env::HOOK_STATE, env::HOOK_REFRESH_AT];

/// The key variables: what `--server` exports none of (an inherited key wins over the
/// endpoint in every SDK).
pub const KEYS: &[&str] = &[
    env::ACCESS_KEY_ID,
    env::SECRET_ACCESS_KEY,
    env::SESSION_TOKEN,
    env::SECURITY_TOKEN,
    env::EXPIRATION,
];

/// What `use --server` exports instead of keys; `unset` removes them with the rest.
pub const SERVER_VARS: &[&str] = &[
    env::CONTAINER_FULL_URI,
    env::CONTAINER_TOKEN,
    env::AWSENV_SERVER,
];

/// Container variables the SDKs read before the endpoint's: removed where `--server` exports.
pub const CONTAINER_OVERRIDES: &[&str] = &[env::CONTAINER_RELATIVE_URI, env::CONTAINER_TOKEN_FILE];

/// The changes that point a shell (or a command) at a credential server for `profile`: the
/// endpoint and its token, the region, `AWSENV_PROFILE`, the server's pid when it is a
/// per-shell one, and no keys.
pub fn load_server(
    profile: &str,
    uri: &str,
    token: &str,
    region: Option<&str>,
    replaces_awsenv_profile: bool,
    server_pid: Option<u32>,
) -> Vec<Change> {
    let mut changes: Vec<Change> = KEYS
        .iter()
        .chain(CONTRADICTING)
        .chain(CONTAINER_OVERRIDES)
        .map(|n| Change::unset(n))
        .collect();
    if server_pid.is_none() {
        changes.push(Change::unset(env::AWSENV_SERVER));
    }
    match region {
        Some(r) => {
            changes.push(Change::set(env::REGION, r));
            changes.push(Change::set(env::DEFAULT_REGION, r));
        }
        None if replaces_awsenv_profile => {
            changes.push(Change::unset(env::REGION));
            changes.push(Change::unset(env::DEFAULT_REGION));
        }
        None => {}
    }
    changes.push(Change::set(env::CONTAINER_FULL_URI, uri));
    changes.push(Change::set(env::CONTAINER_TOKEN, token));
    if let Some(pid) = server_pid {
        changes.push(Change::set(env::AWSENV_SERVER, pid.to_string()));
    }
    changes.push(Change::set(env::AWSENV_PROFILE, profile));
    changes
}

/// The shell variable (never exported) in which the shell keeps what the hook saved; the shell
/// passes it to `awsenv hook` alone as `__AWSENV_SAVED`.
pub const HOOK_SAVED_LOCAL: &str = "__awsenv_saved";

/// The variables a profile load can change: what the hook saves and restores.
pub fn tracked() -> impl Iterator<Item = &'static str> + Clone {
    MANAGED
        .iter()
        .chain(CONTRADICTING)
        .chain(SERVER_VARS)
        .chain(CONTAINER_OVERRIDES)
        .copied()
}

/// Values of variables by name (absent = unset): the environment as awsenv models it.
pub type Vars = BTreeMap<&'static str, String>;

/// The tracked variables of an environment that are set.
pub fn current(e: &Env) -> Vars {
    tracked()
        .filter_map(|n| Some((n, e.get(n)?.to_string())))
        .collect()
}

/// The changes that load `creds` for `profile`, whatever the environment holds now.
///
/// `account`: the account the credentials belong to, when the plan knows it (a role's ARN, an
/// SSO account); else `AWS_ACCOUNT_ID` is removed, since a leftover one would name another
/// account to the SDKs.
///
/// `replaces_awsenv_profile`: the environment already holds a profile awsenv loaded; then a
/// region it exported is stale when the new profile has none, and is removed. A region the user
/// set themselves (no awsenv profile loaded) is left alone.
pub fn load(
    profile: &str,
    creds: &Credentials,
    region: Option<&str>,
    account: Option<&str>,
    replaces_awsenv_profile: bool,
) -> Vec<Change> {
    // What the credentials' source said (STS's answer for a role) before what the plan read.
    let account = creds.account_id.as_deref().or(account);
    // Keys replace a credential server too: a command or tree given another profile's keys
    // must not keep the token of a server that hands out the previous profile (the SDKs would
    // use the keys, but anything reading the environment could ask the server).
    let mut unset: Vec<Change> = SERVER_VARS
        .iter()
        .chain(CONTRADICTING)
        .map(|n| Change::unset(n))
        .collect();
    let mut set = vec![
        Change::set(env::ACCESS_KEY_ID, &creds.access_key_id),
        Change::set(env::SECRET_ACCESS_KEY, creds.secret_access_key.expose()),
    ];
    match &creds.session_token {
        Some(token) => {
            set.push(Change::set(env::SESSION_TOKEN, token.expose()));
            set.push(Change::set(env::SECURITY_TOKEN, token.expose()));
        }
        None => {
            unset.push(Change::unset(env::SESSION_TOKEN));
            unset.push(Change::unset(env::SECURITY_TOKEN));
        }
    }
    match creds.expiration {
        Some(exp) => set.push(Change::set(env::EXPIRATION, format_rfc3339(exp))),
        None => unset.push(Change::unset(env::EXPIRATION)),
    }
    match account {
        Some(a) => set.push(Change::set(env::ACCOUNT_ID, a)),
        None => unset.push(Change::unset(env::ACCOUNT_ID)),
    }
    match region {
        Some(r) => {
            set.push(Change::set(env::REGION, r));
            set.push(Change::set(env::DEFAULT_REGION, r));
        }
        None if replaces_awsenv_profile => {
            unset.push(Change::unset(env::REGION));
            unset.push(Change::unset(env::DEFAULT_REGION));
        }
        None => {}
    }
    set.push(Change::set(env::AWSENV_PROFILE, profile));
    // Removals first: a script that ends on a successful `set` leaves status 0 in every shell.
    unset.extend(set);
    unset
}

/// The changes that remove everything `load` can set.
///
/// The hook's state stays: it holds no secret, and it is how the hook sees that the profile a
/// marker loaded was removed by hand, so the tree stays unloaded until the shell leaves it
/// (then the hook puts back what the shell had before the tree, as after any change by hand).
pub fn unload() -> Vec<Change> {
    MANAGED.iter().map(|n| Change::unset(n)).collect()
}

/// `vars` after `changes` (exported changes only: the model is of the environment).
pub fn apply(vars: &Vars, changes: &[Change]) -> Vars {
    let mut out = vars.clone();
    for c in changes.iter().filter(|c| c.exported) {
        match &c.value {
            Some(v) => out.insert(c.name, v.clone()),
            None => out.remove(c.name),
        };
    }
    out
}

/// The changes that turn `from` into `to` among `names`: removals first, then what is set or
/// changed, each in the order of `names`. Nothing for what is already as it should be.
pub fn diff(
    from: &Vars,
    to: &Vars,
    names: impl Iterator<Item = &'static str> + Clone,
) -> Vec<Change> {
    let removed = names
        .clone()
        .filter(|n| from.contains_key(n) && !to.contains_key(n))
        .map(Change::unset);
    let set = names.filter_map(|n| match to.get(n) {
        Some(v) if from.get(n) != Some(v) => Some(Change::set(n, v)),
        _ => None,
    });
    removed.chain(set).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::Secret;

    fn names(changes: &[Change], set: bool) -> Vec<&'static str> {
        changes
            .iter()
            .filter(|c| c.value.is_some() == set)
            .map(|c| c.name)
            .collect()
    }

    fn keys(token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIA".into(),
            secret_access_key: Secret::new("s"),
            session_token: token.map(Secret::new),
            expiration: token.map(|_| time::OffsetDateTime::UNIX_EPOCH),
            account_id: None,
        }
    }

    #[test]
    fn static_keys_clear_stale_session_vars() {
        let ch = load("p", &keys(None), None, None, false);
        assert_eq!(
            names(&ch, false),
            [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "AWSENV_SERVER",
                "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE",
                "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN",
                "AWS_CREDENTIAL_EXPIRATION",
                "AWS_ACCOUNT_ID"
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
        let ch = load("p", &keys(None), None, None, true);
        assert!(names(&ch, false).contains(&"AWS_REGION"));
    }

    #[test]
    fn every_set_variable_is_managed() {
        for name in names(
            &load(
                "p",
                &keys(Some("t")),
                Some("eu-west-1"),
                Some("123456789012"),
                true,
            ),
            true,
        ) {
            assert!(
                MANAGED.contains(&name),
                "{name} is set but unset would miss it"
            );
        }
    }

    #[test]
    fn a_known_account_is_exported_and_an_unknown_one_removed() {
        let ch = load("p", &keys(Some("t")), None, Some("123456789012"), false);
        assert!(ch.contains(&Change::set(env::ACCOUNT_ID, "123456789012")));
        let ch = load("p", &keys(Some("t")), None, None, false);
        assert!(ch.contains(&Change::unset(env::ACCOUNT_ID)));
    }

    #[test]
    fn a_diff_applied_gives_the_target() {
        let from: Vars = [
            (env::ACCESS_KEY_ID, "OLD".into()),
            (env::PROFILE, "p".into()),
        ]
        .into();
        let to = apply(&from, &load("q", &keys(Some("t")), None, None, false));
        let d = diff(&from, &to, tracked());
        assert_eq!(apply(&from, &d), to);
        // Removals first; nothing for what stays as it is.
        assert_eq!(d[0], Change::unset(env::PROFILE));
        assert!(d[1..].iter().all(|c| c.value.is_some()));
        assert!(diff(&to, &to, tracked()).is_empty());
    }
}
