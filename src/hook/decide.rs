//! The hook's decision at one prompt, pure: the state, the variables, the directory and the
//! nearest marker in; one [`Action`] out. `cmd/hook.rs` carries it out.
//!
//! Rules:
//! - The nearest allowed marker governs; entering its tree loads its profile, leaving restores
//!   exactly what the shell had before.
//! - A profile set by hand inside a marked tree wins until the shell leaves that tree. "By hand"
//!   is detected, not declared: the state keeps a fingerprint of the variables as the hook left
//!   them, and anything else (`awsenv use`, `awsenv unset`, `export AWS_…`) differs from it.
//! - A marker that is not allowed is reported once per entry into its tree; one that failed to
//!   load is not retried until the shell leaves the tree, the file changes, or the user allows
//!   it again.

use std::path::{Path, PathBuf};

use super::state::{State, Why};
use super::trust::Trust;
use crate::shell::vars::Vars;

/// Refresh credentials this many seconds before they expire (the session cache's margin).
pub const REFRESH_MARGIN_SECS: i64 = crate::creds::cache::EXPIRY_MARGIN.whole_seconds();

/// The shortest wait before fetching again credentials that came back with less life than the
/// margin (a credential_process that hands out short sessions, or one that prompts).
pub const MIN_RETRY_SECS: i64 = 60;

/// When to fetch credentials that expire at `expires` again: the margin before they expire; or,
/// when they came back with less life than that, at expiry but not sooner than
/// [`MIN_RETRY_SECS`] from `now` (else every prompt would fetch them again).
pub fn refresh_at(expires: i64, now: i64) -> i64 {
    let at = expires - REFRESH_MARGIN_SECS;
    if at > now {
        at
    } else {
        expires.max(now + MIN_RETRY_SECS)
    }
}

/// The nearest marker, as the hook sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Here {
    pub marker: PathBuf,
    pub dir: PathBuf,
    pub digest: String,
    pub trust: Trust,
}

impl Here {
    fn is(&self, marker: &Path, digest: &str) -> bool {
        self.marker == marker && self.digest == digest
    }
}

/// What to do at this prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave the environment as it is.
    Keep,
    /// The loaded credentials expire within the margin: resolve the loaded profile again.
    Refresh,
    /// Restore the saved variables first (when `restore`), then load the nearest marker.
    Load { restore: bool },
    /// Restore the saved variables (when `restore`); tell the user about an unallowed marker
    /// (when `report`).
    Leave { restore: bool, report: bool },
}

/// The decision. `reload`: the user just ran `awsenv allow`/`deny`; forget earlier reports.
pub fn decide(
    state: &State,
    vars: &Vars,
    pwd: &Path,
    here: Option<&Here>,
    now: i64,
    reload: bool,
) -> Action {
    let mut restore = false;
    if let Some(l) = &state.loaded {
        let by_hand = state.overridden(vars);
        if by_hand && pwd.starts_with(&l.dir) {
            return Action::Keep;
        }
        let still_governs =
            here.is_some_and(|h| h.trust == Trust::Allowed && h.is(&l.marker, &l.digest));
        if !by_hand && still_governs {
            let due = l
                .refresh_at
                .or_else(|| l.expires.map(|e| e - REFRESH_MARGIN_SECS));
            return match due {
                Some(at) if at <= now => Action::Refresh,
                _ => Action::Keep,
            };
        }
        restore = true;
    }
    let reported = |why: Why| {
        !reload
            && state
                .reported
                .as_ref()
                .is_some_and(|r| r.why == why && here.is_some_and(|h| h.is(&r.marker, &r.digest)))
    };
    match here.map(|h| h.trust) {
        Some(Trust::Allowed) if reported(Why::Failed) || reported(Why::Exec) => Action::Leave {
            restore,
            report: false,
        },
        Some(Trust::Allowed) => Action::Load { restore },
        Some(Trust::Unknown) => Action::Leave {
            restore,
            report: !reported(Why::NotAllowed),
        },
        Some(Trust::Denied) | None => Action::Leave {
            restore,
            report: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hook::state::{Loaded, Reported};
    use crate::os::env;

    fn vars(pairs: &[(&'static str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    fn here(dir: &str, digest: &str, trust: Trust) -> Here {
        Here {
            marker: Path::new(dir).join(".awsprofile"),
            dir: dir.into(),
            digest: digest.into(),
            trust,
        }
    }

    /// A state where the hook loaded `/w/prod` (digest d1) leaving `now_vars`.
    fn loaded(now_vars: &Vars, expires: Option<i64>) -> State {
        State {
            loaded: Some(Loaded {
                marker: "/w/prod/.awsprofile".into(),
                dir: "/w/prod".into(),
                digest: "d1".into(),
                profile: "prod".into(),
                fingerprint: crate::hook::state::fingerprint(now_vars),
                expires,
                refresh_at: None,
            }),
            reported: None,
        }
    }

    const NOW: i64 = 1_000_000;

    #[test]
    fn entering_an_allowed_tree_loads_and_other_trust_does_not() {
        let s = State::default();
        let v = vars(&[]);
        let pwd = Path::new("/w/prod/src");
        let allowed = here("/w/prod", "d1", Trust::Allowed);
        assert_eq!(
            decide(&s, &v, pwd, Some(&allowed), NOW, false),
            Action::Load { restore: false }
        );
        let unknown = here("/w/prod", "d1", Trust::Unknown);
        assert_eq!(
            decide(&s, &v, pwd, Some(&unknown), NOW, false),
            Action::Leave {
                restore: false,
                report: true
            }
        );
        let denied = here("/w/prod", "d1", Trust::Denied);
        assert_eq!(
            decide(&s, &v, pwd, Some(&denied), NOW, false),
            Action::Leave {
                restore: false,
                report: false
            }
        );
        assert_eq!(
            decide(&s, &v, Path::new("/tmp"), None, NOW, false),
            Action::Leave {
                restore: false,
                report: false
            }
        );
    }

    #[test]
    fn moving_inside_keeps_and_leaving_or_editing_restores() {
        let v = vars(&[(env::AWSENV_PROFILE, "prod")]);
        let s = loaded(&v, None);
        let same = here("/w/prod", "d1", Trust::Allowed);
        assert_eq!(
            decide(&s, &v, Path::new("/w/prod/a/b"), Some(&same), NOW, false),
            Action::Keep
        );
        assert_eq!(
            decide(&s, &v, Path::new("/w"), None, NOW, false),
            Action::Leave {
                restore: true,
                report: false
            }
        );
        // Edited after allow: the new content is not allowed; unload and say so.
        let edited = here("/w/prod", "d2", Trust::Unknown);
        assert_eq!(
            decide(&s, &v, Path::new("/w/prod"), Some(&edited), NOW, false),
            Action::Leave {
                restore: true,
                report: true
            }
        );
        // A nested tree with its own marker switches.
        let nested = here("/w/prod/dev", "d3", Trust::Allowed);
        assert_eq!(
            decide(&s, &v, Path::new("/w/prod/dev"), Some(&nested), NOW, false),
            Action::Load { restore: true }
        );
    }

    #[test]
    fn a_profile_set_by_hand_wins_until_the_tree_is_left() {
        let hook_left = vars(&[(env::AWSENV_PROFILE, "prod")]);
        let s = loaded(&hook_left, None);
        let by_hand = vars(&[(env::AWSENV_PROFILE, "dev")]);
        assert!(s.overridden(&by_hand));
        let nested = here("/w/prod/x", "d3", Trust::Allowed);
        assert_eq!(
            decide(
                &s,
                &by_hand,
                Path::new("/w/prod/x"),
                Some(&nested),
                NOW,
                false
            ),
            Action::Keep
        );
        // `awsenv unset` by hand is also "by hand".
        assert_eq!(
            decide(&s, &vars(&[]), Path::new("/w/prod"), None, NOW, false),
            Action::Keep
        );
        assert_eq!(
            decide(&s, &by_hand, Path::new("/w/other"), None, NOW, false),
            Action::Leave {
                restore: true,
                report: false
            }
        );
    }

    #[test]
    fn refresh_only_near_expiry() {
        let v = vars(&[(env::AWSENV_PROFILE, "prod")]);
        let same = here("/w/prod", "d1", Trust::Allowed);
        let pwd = Path::new("/w/prod");
        let soon = loaded(&v, Some(NOW + REFRESH_MARGIN_SECS - 1));
        assert_eq!(
            decide(&soon, &v, pwd, Some(&same), NOW, false),
            Action::Refresh
        );
        let later = loaded(&v, Some(NOW + REFRESH_MARGIN_SECS + 60));
        assert_eq!(
            decide(&later, &v, pwd, Some(&same), NOW, false),
            Action::Keep
        );
        // Short-lived credentials: not fetched again at the next prompts.
        let mut short = loaded(&v, Some(NOW + 120));
        short.loaded.as_mut().unwrap().refresh_at = Some(refresh_at(NOW + 120, NOW));
        assert_eq!(
            decide(&short, &v, pwd, Some(&same), NOW + 1, false),
            Action::Keep
        );
        assert_eq!(
            decide(&short, &v, pwd, Some(&same), NOW + 120, false),
            Action::Refresh
        );
        assert_eq!(
            refresh_at(NOW + 1000, NOW),
            NOW + 1000 - REFRESH_MARGIN_SECS
        );
        assert_eq!(refresh_at(NOW + 120, NOW), NOW + 120);
        assert_eq!(refresh_at(NOW - 5, NOW), NOW + MIN_RETRY_SECS);
    }

    #[test]
    fn reports_once_per_entry_and_failures_are_not_retried() {
        let v = vars(&[]);
        let unknown = here("/w/prod", "d1", Trust::Unknown);
        let mut s = State {
            loaded: None,
            reported: Some(Reported {
                marker: unknown.marker.clone(),
                digest: "d1".into(),
                why: Why::NotAllowed,
            }),
        };
        let pwd = Path::new("/w/prod/sub");
        assert_eq!(
            decide(&s, &v, pwd, Some(&unknown), NOW, false),
            Action::Leave {
                restore: false,
                report: false
            }
        );
        // Allowed meanwhile (in another shell): load, even though it was reported.
        let allowed = here("/w/prod", "d1", Trust::Allowed);
        assert_eq!(
            decide(&s, &v, pwd, Some(&allowed), NOW, false),
            Action::Load { restore: false }
        );
        s.reported.as_mut().unwrap().why = Why::Failed;
        assert_eq!(
            decide(&s, &v, pwd, Some(&allowed), NOW, false),
            Action::Leave {
                restore: false,
                report: false
            }
        );
        // `awsenv allow` again retries.
        assert_eq!(
            decide(&s, &v, pwd, Some(&allowed), NOW, true),
            Action::Load { restore: false }
        );
        // Edited: retried too.
        let edited = here("/w/prod", "d9", Trust::Allowed);
        assert_eq!(
            decide(&s, &v, pwd, Some(&edited), NOW, false),
            Action::Load { restore: false }
        );
    }
}
