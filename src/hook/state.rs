//! What the hook remembers between prompts.
//!
//! Two parts, kept apart on purpose:
//! - [`State`], exported in `__AWSENV_STATE` so that the next call (and a subshell) knows what
//!   was loaded from which marker. It holds names, paths, digests and a fingerprint: no secret.
//! - [`Saved`], the values the shell had before the hook loaded a marker (secret keys
//!   included). They stay in a shell variable that is never exported (`__awsenv_saved`), which
//!   the shell hands to `awsenv hook` alone, in that one call's environment (`__AWSENV_SAVED`).
//!   No other process started from the shell can read them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::os::env::{self, Env};
use crate::os::log::debug;
use crate::shell::vars::{self, Vars};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded: Option<Loaded>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Reported>,
}

/// A profile the hook loaded from a marker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loaded {
    /// The marker file and the tree it governs, as `$PWD` spells them.
    pub marker: PathBuf,
    pub dir: PathBuf,
    /// The marker's content digest when it was loaded: an edit unloads it.
    pub digest: String,
    pub profile: String,
    /// Fingerprint of the tracked variables as the hook left them.
    pub fingerprint: String,
    /// Unix time the credentials expire, if they do.
    pub expires: Option<i64>,
    /// Unix time to fetch them again ([`crate::hook::decide::refresh_at`]); older states have
    /// none and refresh at the margin before `expires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_at: Option<i64>,
}

/// A marker already reported to the user, so it is not reported again at every `cd` inside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    pub marker: PathBuf,
    pub digest: String,
    pub why: Why,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Why {
    NotAllowed,
    Failed,
    /// The shell was started by `awsenv exec PROFILE` inside this marker's tree: the profile
    /// asked for wins here, as one set by hand does.
    Exec,
}

impl State {
    /// The state in the environment; a damaged one counts as none.
    pub fn from_env(e: &Env) -> State {
        match e.get(env::HOOK_STATE) {
            Some(s) => serde_json::from_str(s).unwrap_or_else(|err| {
                debug!("ignoring a damaged {}: {err}", env::HOOK_STATE);
                State::default()
            }),
            None => State::default(),
        }
    }

    /// True when the tracked variables are no longer what the hook left: set by hand.
    pub fn overridden(&self, vars: &Vars) -> bool {
        self.loaded
            .as_ref()
            .is_some_and(|l| l.fingerprint != fingerprint(vars))
    }

    /// The text of `__AWSENV_STATE`, or None when there is nothing to remember.
    pub fn to_text(&self) -> Option<String> {
        (*self != State::default())
            .then(|| serde_json::to_string(self).expect("the state serializes"))
    }
}

/// The tracked variables the shell had before the hook loaded a marker (absent = unset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Saved(pub Vars);

impl Saved {
    /// What the shell handed over in `__AWSENV_SAVED`. Only tracked names are taken, so a
    /// crafted value cannot set anything else (`PATH`, `BASH_ENV`); a damaged one is empty.
    pub fn from_env(e: &Env) -> Saved {
        let Some(text) = e.get(env::HOOK_SAVED) else {
            return Saved::default();
        };
        let map: BTreeMap<String, String> = serde_json::from_str(text).unwrap_or_default();
        Saved(
            vars::tracked()
                .filter_map(|n| Some((n, map.get(n)?.clone())))
                .collect(),
        )
    }

    /// The text the shell keeps in its own variable, or None when nothing was set before.
    pub fn to_text(&self) -> Option<String> {
        (!self.0.is_empty())
            .then(|| serde_json::to_string(&self.0).expect("saved values serialize"))
    }
}

/// A fingerprint of the tracked variables (SHA-256, so secrets cannot be read back from it).
pub fn fingerprint(vars: &Vars) -> String {
    let mut h = Sha256::new();
    for name in vars::tracked() {
        if let Some(v) = vars.get(name) {
            h.update((name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
            h.update((v.len() as u64).to_le_bytes());
            h.update(v.as_bytes());
        }
    }
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_sees_every_tracked_variable() {
        let a: Vars = [(env::ACCESS_KEY_ID, "A".to_string())].into();
        for name in vars::tracked() {
            let mut b = a.clone();
            b.insert(name, "changed".into());
            assert_ne!(fingerprint(&a), fingerprint(&b), "{name}");
        }
        // Ambiguity: moving bytes between values changes it too.
        let x: Vars = [(env::REGION, "ab".into()), (env::PROFILE, "c".into())].into();
        let y: Vars = [(env::REGION, "a".into()), (env::PROFILE, "bc".into())].into();
        assert_ne!(fingerprint(&x), fingerprint(&y));
    }

    #[test]
    fn the_state_holds_no_saved_values_and_saved_takes_only_tracked_names() {
        let s = State {
            loaded: Some(Loaded {
                marker: "/w/.awsprofile".into(),
                dir: "/w".into(),
                digest: "d".into(),
                profile: "p".into(),
                fingerprint: "f".into(),
                expires: None,
                refresh_at: None,
            }),
            reported: None,
        };
        let text = s.to_text().unwrap();
        assert!(!text.contains("saved"), "{text}");
        let e = Env::default().with(
            env::HOOK_SAVED,
            r#"{"AWS_SECRET_ACCESS_KEY":"s","PATH":"/evil","BASH_ENV":"/x"}"#,
        );
        let saved = Saved::from_env(&e);
        assert_eq!(saved.0, [(env::SECRET_ACCESS_KEY, "s".to_string())].into());
        assert_eq!(
            Saved::from_env(&Env::default().with(env::HOOK_SAVED, "{damaged")),
            Saved::default()
        );
    }
}
