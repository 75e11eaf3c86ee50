//! `awsenv hook SHELL` (hidden): called by the shell integration when `$PWD` changed or the
//! refresh time came. Decides with [`crate::hook::decide`] and prints the script that carries the
//! decision out, always including the new state, so the shell only has to `eval` it.
//!
//! Messages go to stderr; stdout is shell code only. A failure to load a marker is a message, not
//! an error exit: the script still records it, so the next `cd` inside the tree does not retry.

use std::path::{Path, PathBuf};

use anyhow::Result;
use time::{OffsetDateTime, UtcOffset};

use crate::cli::{HookArgs, ResolveArgs};
use crate::hook::{self, Action, Here, Loaded, Reported, State, Vars, Why};
use crate::marker;
use crate::shell::Change;
use crate::trust::{Trust, TrustStore};
use crate::vars;

pub fn run(args: HookArgs) -> Result<()> {
    // Read before anything can start a thread (the local offset is only readable single-threaded).
    let offset = UtcOffset::current_local_offset().ok();
    let pwd = current_dir()?;
    let vars_now = tracked_vars();
    let state = read_state();
    let store = TrustStore::default_location()?;

    let mut content = None;
    let here = match marker::find(&pwd) {
        Some(found) => match marker::read(&found.path) {
            Ok(bytes) => {
                let h = Here {
                    trust: store.check(&found.path, &bytes),
                    digest: marker::digest(&bytes),
                    marker: found.path,
                    dir: found.dir,
                };
                content = Some(bytes);
                Some(h)
            }
            Err(e) => {
                eprintln!("awsenv: {}", one_line(&e.to_string()));
                None
            }
        },
        None => None,
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let action = hook::decide(&state, &vars_now, &pwd, here.as_ref(), now, args.reload);
    crate::debug!("hook in {}: {action:?}", shown(&pwd));

    let mut run = Run {
        changes: Vec::new(),
        model: vars_now,
        state: state.clone(),
        offset,
        no_timer: false,
    };
    match action {
        Action::Keep => run.state.reported = None,
        Action::Refresh => run.refresh(here.as_ref(), content.as_deref()),
        Action::Load { restore } => {
            if restore {
                run.restore();
            }
            // Load is only decided with an allowed marker at hand.
            if let (Some(h), Some(c)) = (&here, &content) {
                run.load(h, c);
            }
        }
        Action::Leave { restore, report } => {
            if restore {
                if let Some(msg) = run.restore() {
                    eprintln!("{msg}");
                }
            }
            run.state.reported = None;
            if let (Some(h), Some(c)) = (&here, &content) {
                if h.trust == Trust::Unknown {
                    if report {
                        eprintln!("{}", not_allowed(h, c));
                    }
                    run.state.reported = Some(Reported {
                        marker: h.marker.clone(),
                        digest: h.digest.clone(),
                        why: Why::NotAllowed,
                    });
                }
            }
        }
    }
    super::print(&run.script(args.shell))
}

/// The hook's working set: changes to print, the variables as they will be, the next state.
struct Run {
    changes: Vec<(String, Option<String>)>,
    model: Vars,
    state: State,
    offset: Option<UtcOffset>,
    /// A refresh failed: do not ask again at the next prompts.
    no_timer: bool,
}

impl Run {
    fn push<'a>(&mut self, changes: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) {
        let changes: Vec<_> = changes.into_iter().collect();
        self.changes.extend(
            changes
                .iter()
                .map(|(n, v)| (n.to_string(), v.map(str::to_string))),
        );
        hook::apply(&mut self.model, changes);
    }

    /// Puts back what the shell had before the loaded profile; says what happened.
    fn restore(&mut self) -> Option<String> {
        let loaded = self.state.loaded.take()?;
        let was = self
            .model
            .get(vars::PROFILE_MARK)
            .cloned()
            .unwrap_or_else(|| loaded.profile.clone());
        let changes = hook::restore_changes(&loaded.saved);
        self.push(changes.iter().map(|(n, v)| (*n, v.as_deref())));
        Some(match loaded.saved.get(vars::PROFILE_MARK) {
            Some(back) => format!("awsenv: unloaded {was}; back to {back}"),
            None => format!("awsenv: unloaded {was}"),
        })
    }

    fn load(&mut self, here: &Here, content: &[u8]) {
        let failed = |run: &mut Run, message: String| {
            eprintln!("awsenv: {}", one_line(&message));
            run.state.reported = Some(Reported {
                marker: here.marker.clone(),
                digest: here.digest.clone(),
                why: Why::Failed,
            });
        };
        let m = match marker::parse(&here.marker, content) {
            Ok(m) => m,
            Err(e) => return failed(self, e.to_string()),
        };
        crate::interrupt::guard(format!(
            "\nawsenv: cancelled; {} not loaded (cd again or run `awsenv use {}`)\n",
            m.profile, m.profile
        ));
        let resolve = ResolveArgs {
            region: m.region.clone(),
            ..ResolveArgs::default()
        };
        match super::resolve_profile(&m.profile, &resolve) {
            Ok((plan, creds)) => {
                let saved = self.model.clone();
                let replaces = saved.contains_key(vars::PROFILE_MARK);
                let changes = vars::load(&m.profile, &creds, plan.region.as_deref(), replaces);
                self.push(changes.iter().map(|c| (c.name, c.value.as_deref())));
                let expires = creds.expiration.map(|e| e.unix_timestamp());
                self.state.loaded = Some(Loaded {
                    marker: here.marker.clone(),
                    dir: here.dir.clone(),
                    digest: here.digest.clone(),
                    profile: m.profile.clone(),
                    fingerprint: hook::fingerprint(&self.model),
                    expires,
                    saved,
                });
                self.state.reported = None;
                eprintln!("awsenv: {}", self.describe(&m.profile, expires));
            }
            Err(e) => failed(self, format!("{}: {e:#}", shown(&here.marker))),
        }
    }

    fn refresh(&mut self, here: Option<&Here>, content: Option<&[u8]>) {
        let (Some(here), Some(content), Some(loaded)) = (here, content, self.state.loaded.clone())
        else {
            return;
        };
        let region = marker::parse(&here.marker, content)
            .ok()
            .and_then(|m| m.region);
        crate::interrupt::guard(format!(
            "\nawsenv: cancelled; {} stays as it is until it expires (cd again or run `awsenv use {}`)\n",
            loaded.profile, loaded.profile
        ));
        let resolve = ResolveArgs {
            region,
            ..ResolveArgs::default()
        };
        match super::resolve_profile(&loaded.profile, &resolve) {
            Ok((plan, creds)) => {
                let changes = vars::load(&loaded.profile, &creds, plan.region.as_deref(), true);
                self.push(changes.iter().map(|c| (c.name, c.value.as_deref())));
                let expires = creds.expiration.map(|e| e.unix_timestamp());
                if let Some(l) = self.state.loaded.as_mut() {
                    l.fingerprint = hook::fingerprint(&self.model);
                    l.expires = expires;
                }
                eprintln!(
                    "awsenv: refreshed {}",
                    self.describe(&loaded.profile, expires)
                );
            }
            Err(e) => {
                eprintln!(
                    "awsenv: cannot refresh {}: {}; it stays as it is until it expires (cd again or run `awsenv use {}` to retry)",
                    loaded.profile,
                    one_line(&format!("{e:#}")),
                    loaded.profile
                );
                // No timer: the next attempt waits for a `cd` or `awsenv use`.
                self.no_timer = true;
            }
        }
    }

    fn describe(&self, profile: &str, expires: Option<i64>) -> String {
        match expires {
            Some(e) => format!("{profile} (expires {})", clock(e, self.offset)),
            None => profile.to_string(),
        }
    }

    /// The script: the variable changes, then the refresh time and the state.
    fn script(mut self, shell: crate::shell::Shell) -> String {
        let refresh_at = self
            .state
            .loaded
            .as_ref()
            .filter(|_| !self.no_timer && !self.state.overridden(&self.model))
            .and_then(|l| l.expires)
            .map(|e| (e - hook::REFRESH_MARGIN_SECS).to_string());
        let state = (self.state != State::default())
            .then(|| serde_json::to_string(&self.state).expect("state serializes"));
        // Only what differs from the environment: with no marker and nothing loaded the script
        // is empty. Unsets first, so that the script ends on a `set` where it can (status 0).
        let mut tail: Vec<(String, Option<String>)> = [
            (vars::HOOK_REFRESH_AT, refresh_at),
            (vars::HOOK_STATE, state),
        ]
        .into_iter()
        .filter(|(name, value)| std::env::var(name).ok() != *value)
        .map(|(name, value)| (name.to_string(), value))
        .collect();
        tail.sort_by_key(|(_, v)| v.is_some());
        self.changes.extend(tail);
        let changes: Vec<Change<'_>> = self
            .changes
            .iter()
            .map(|(n, v)| match v {
                Some(v) => Change::set(n, v.as_str()),
                None => Change::unset(n),
            })
            .collect();
        shell.script(&changes)
    }
}

/// `$PWD` as the shell spells it (symlinks kept), when it names the current directory.
pub fn current_dir() -> Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    Ok(std::env::var_os("PWD")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && same_file(p, &cwd))
        .unwrap_or(cwd))
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    a == b
}

/// The tracked variables of this process.
pub fn tracked_vars() -> Vars {
    hook::tracked()
        .filter_map(|n| Some((n.to_string(), std::env::var(n).ok()?)))
        .collect()
}

/// The hook's state from the environment; a damaged one counts as none.
pub fn read_state() -> State {
    match std::env::var(vars::HOOK_STATE) {
        Ok(s) if !s.is_empty() => serde_json::from_str(&s).unwrap_or_else(|e| {
            crate::debug!("ignoring a damaged {}: {e}", vars::HOOK_STATE);
            State::default()
        }),
        _ => State::default(),
    }
}

/// The notice for a marker that is not allowed.
fn not_allowed(here: &Here, content: &[u8]) -> String {
    let says = match marker::parse(&here.marker, content) {
        Ok(m) => format!("it loads profile `{}`", m.profile),
        Err(e) => format!("it is invalid: {}", one_line(&e.to_string())),
    };
    format!(
        "awsenv: {} is not allowed ({says}); run `awsenv allow` to trust it",
        shown(&here.marker)
    )
}

/// A path for a message: control characters (a hostile directory name) are escaped.
pub fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string())
}

fn escape_controls(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// `15:42` in local time, or `15:42 UTC` when the local offset is unknown.
pub fn clock(epoch: i64, offset: Option<UtcOffset>) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(epoch) else {
        return epoch.to_string();
    };
    let fmt = time::macros::format_description!("[hour]:[minute]");
    match offset {
        Some(o) => t.to_offset(o).format(&fmt).unwrap_or_default(),
        None => format!("{} UTC", t.format(&fmt).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_inert_and_one_line() {
        assert_eq!(
            shown(Path::new("/w/a\u{1b}[31mred\nx")),
            "/w/a\\u{1b}[31mred\\nx"
        );
        assert_eq!(clock(0, Some(UtcOffset::UTC)), "00:00");
        assert_eq!(clock(3600 + 120, None), "01:02 UTC");
    }
}
