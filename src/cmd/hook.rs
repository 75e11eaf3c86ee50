//! `awsenv hook SHELL` (hidden): called by the shell integration when `$PWD` changed or the
//! refresh time came.
//!
//! direnv's model: the hook works out the environment the shell should have (the target: what it
//! has, plus the marker's profile loaded, or minus the profile of a marker left behind), and
//! prints the difference, with the new state, so the shell only has to `eval` it. With no marker
//! and nothing loaded, the difference, and so the script, is empty.
//!
//! Messages go to stderr; stdout is shell code only. A failure to load a marker is a message, not
//! an error exit: the script still records it, so the next `cd` inside the tree does not retry.

use std::path::{Path, PathBuf};

use anyhow::Result;
use time::{OffsetDateTime, UtcOffset};

use crate::cli::HookArgs;
use crate::context::Context;
use crate::engine::{self, Options};
use crate::hook::decide::{self, Action, Here, REFRESH_MARGIN_SECS};
use crate::hook::marker;
use crate::hook::state::{fingerprint, Loaded, Reported, Saved, State, Why};
use crate::hook::trust::{Trust, TrustStore};
use crate::os::env::{self, Env};
use crate::os::log::{debug, notice};
use crate::os::text::{inert, shown};
use crate::shell::vars::{self, Vars};
use crate::shell::{Change, Shell};

pub fn run(ctx: &Context, args: HookArgs) -> Result<()> {
    // Read before anything can start a thread (the local offset is only readable single-threaded).
    let offset = UtcOffset::current_local_offset().ok();
    // The saved values (secret keys of the profile before the tree) are for this process alone:
    // `ctx.env` has them; a credential_process, mfa_process or server started from here must not
    // inherit them. Still single-threaded here, so changing the environment is sound.
    std::env::remove_var(env::HOOK_SAVED);
    let pwd = current_dir(&ctx.env)?;
    let trust = TrustStore::default_location(&ctx.env)?;
    let mut content = None;
    let here = match marker::find(&pwd) {
        // The state names the marker in JSON, which holds text only: such a marker cannot be
        // remembered, so it is not used (and no `awsenv: PROFILE` is claimed for it).
        Some(found) if found.path.to_str().is_none() => {
            eprintln!(
                "awsenv: ignoring {}: its path is not UTF-8 text",
                shown(&found.path)
            );
            None
        }
        Some(found) => match marker::read(&found.path) {
            Ok(bytes) => {
                let h = Here {
                    trust: trust.check(&found.path, &bytes),
                    digest: marker::digest(&bytes),
                    marker: found.path,
                    dir: found.dir,
                };
                content = Some(bytes);
                Some(h)
            }
            Err(e) => {
                notice(&inert(&e.to_string()));
                None
            }
        },
        None => None,
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let current = vars::current(&ctx.env);
    let state = State::from_env(&ctx.env);
    let action = decide::decide(&state, &current, &pwd, here.as_ref(), now, args.reload);
    debug!("hook in {}: {action:?}", shown(&pwd));

    let mut next = Target {
        ctx,
        vars: current.clone(),
        state,
        saved: Saved::from_env(&ctx.env),
        offset,
        now,
        no_timer: false,
    };
    match action {
        Action::Keep => next.state.reported = None,
        Action::Refresh => next.refresh(here.as_ref(), content.as_deref()),
        Action::Load { restore } => {
            if restore {
                next.restore();
            }
            // Load is only decided with an allowed marker at hand.
            if let (Some(h), Some(c)) = (&here, &content) {
                next.load(h, c);
            }
        }
        Action::Leave { restore, report } => {
            if restore {
                if let Some(msg) = next.restore() {
                    eprintln!("{msg}");
                }
            }
            // An allowed marker answered already (it failed to load, or `exec` started this
            // shell inside its tree) stays answered while the shell is in its tree.
            next.state.reported = next.state.reported.take().filter(|r| {
                matches!(r.why, Why::Failed | Why::Exec)
                    && here.as_ref().is_some_and(|h| {
                        h.trust == Trust::Allowed && h.marker == r.marker && h.digest == r.digest
                    })
            });
            if let (Some(h), Some(c)) = (&here, &content) {
                if h.trust == Trust::Unknown {
                    if report {
                        eprintln!("{}", not_allowed(h, c));
                    }
                    next.state.reported = Some(Reported {
                        marker: h.marker.clone(),
                        digest: h.digest.clone(),
                        why: Why::NotAllowed,
                    });
                }
            }
        }
    }
    super::print(&next.script(args.shell, &current)?)
}

/// The environment and memory the shell should have after this prompt.
struct Target<'c> {
    ctx: &'c Context,
    /// The tracked variables as they should be.
    vars: Vars,
    state: State,
    saved: Saved,
    offset: Option<UtcOffset>,
    now: i64,
    /// A refresh failed: do not ask again at the next prompts.
    no_timer: bool,
}

impl Target<'_> {
    /// Puts back what the shell had before the loaded profile; says what happened.
    fn restore(&mut self) -> Option<String> {
        let loaded = self.state.loaded.take()?;
        let was = self
            .vars
            .get(env::AWSENV_PROFILE)
            .cloned()
            .unwrap_or_else(|| loaded.profile.clone());
        let back = std::mem::take(&mut self.saved).0;
        // The server of the profile being unloaded ends with it.
        if let Some(pid) = self.vars.get(env::AWSENV_SERVER) {
            if back.get(env::AWSENV_SERVER) != Some(pid) {
                if let Ok(pid) = pid.parse() {
                    crate::server::shell::stop(&self.ctx.env, pid);
                }
            }
        }
        let msg = match back.get(env::AWSENV_PROFILE) {
            Some(b) => format!("awsenv: unloaded {}; back to {}", inert(&was), inert(b)),
            None => format!("awsenv: unloaded {}", inert(&was)),
        };
        self.vars = back;
        Some(msg)
    }

    fn load(&mut self, here: &Here, content: &[u8]) {
        let failed = |t: &mut Target<'_>, message: String| {
            notice(&inert(&message));
            t.state.reported = Some(Reported {
                marker: here.marker.clone(),
                digest: here.digest.clone(),
                why: Why::Failed,
            });
        };
        let m = match marker::parse(&here.marker, content) {
            Ok(m) => m,
            Err(e) => return failed(self, e.to_string()),
        };
        crate::os::interrupt::guard(format!(
            "\nawsenv: cancelled; {} not loaded (cd again or run `awsenv use {}`)\n",
            m.profile, m.profile
        ));
        let opts = Options {
            region: m.region.clone(),
            ..Options::default()
        };
        match engine::resolve(self.ctx, &m.profile, &opts) {
            Ok(r) => {
                let replaces = self.vars.contains_key(env::AWSENV_PROFILE);
                let changes = if self.ctx.settings().is_ok_and(|s| s.server) {
                    match serve(&m.profile, &opts, &r, replaces) {
                        Ok(c) => c,
                        Err(e) => return failed(self, format!("{}: {e:#}", shown(&here.marker))),
                    }
                } else {
                    vars::load(
                        &m.profile,
                        &r.creds,
                        r.plan.region.as_deref(),
                        r.plan.account_id(),
                        replaces,
                    )
                };
                self.saved = Saved(self.vars.clone());
                self.vars = vars::apply(&self.vars, &changes);
                // A server renews credentials itself: no refresh time for the hook.
                let expires = r
                    .creds
                    .expiration
                    .filter(|_| !self.vars.contains_key(env::AWSENV_SERVER))
                    .map(|e| e.unix_timestamp());
                self.state.loaded = Some(Loaded {
                    marker: here.marker.clone(),
                    dir: here.dir.clone(),
                    digest: here.digest.clone(),
                    profile: m.profile.clone(),
                    fingerprint: fingerprint(&self.vars),
                    expires,
                    refresh_at: expires.map(|e| decide::refresh_at(e, self.now)),
                });
                self.state.reported = None;
                notice(&self.describe(&m.profile, expires));
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
        crate::os::interrupt::guard(format!(
            "\nawsenv: cancelled; {} stays as it is until it expires (cd again or run `awsenv use {}`)\n",
            loaded.profile, loaded.profile
        ));
        let opts = Options {
            region,
            ..Options::default()
        };
        match engine::resolve(self.ctx, &loaded.profile, &opts) {
            Ok(r) => {
                let changes = vars::load(
                    &loaded.profile,
                    &r.creds,
                    r.plan.region.as_deref(),
                    r.plan.account_id(),
                    true,
                );
                self.vars = vars::apply(&self.vars, &changes);
                let expires = r.creds.expiration.map(|e| e.unix_timestamp());
                if let Some(l) = self.state.loaded.as_mut() {
                    l.fingerprint = fingerprint(&self.vars);
                    l.expires = expires;
                    l.refresh_at = expires.map(|e| decide::refresh_at(e, self.now));
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
                    inert(&format!("{e:#}")),
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

    /// The script: what differs from `current`, then the saved values, the refresh time and the
    /// state, each only when it changed.
    fn script(self, shell: Shell, current: &Vars) -> Result<String> {
        let e = &self.ctx.env;
        let mut changes = vars::diff(current, &self.vars, vars::tracked());
        let saved = self.saved.to_text();
        if saved.as_deref() != e.get(env::HOOK_SAVED) {
            changes.push(match saved {
                Some(s) => Change::set_local(vars::HOOK_SAVED_LOCAL, s),
                None => Change::unset_local(vars::HOOK_SAVED_LOCAL),
            });
        }
        let refresh_at = self
            .state
            .loaded
            .as_ref()
            .filter(|_| !self.no_timer && !self.state.overridden(&self.vars))
            .and_then(|l| {
                l.refresh_at
                    .or_else(|| l.expires.map(|e| e - REFRESH_MARGIN_SECS))
            })
            .map(|at| at.to_string());
        let mut tail: Vec<Change> = [
            (env::HOOK_REFRESH_AT, refresh_at),
            (env::HOOK_STATE, self.state.to_text()),
        ]
        .into_iter()
        .filter(|(name, value)| e.get(name) != value.as_deref())
        .map(|(name, value)| match value {
            Some(v) => Change::set(name, v),
            None => Change::unset(name),
        })
        .collect();
        // Unsets first, so that the script ends on a `set` where it can (status 0).
        tail.sort_by_key(|c| c.value.is_some());
        changes.extend(tail);
        shell
            .script(&changes)
            .map_err(|e| match &self.state.loaded {
                Some(l) => anyhow::anyhow!("profile `{}`: {e}", l.profile),
                None => e,
            })
    }
}

/// With `server = true`: a per-shell credential server for the marker's profile, and the
/// changes that point the shell at it (the hook's parent is the shell, as for `use`).
fn serve(
    profile: &str,
    opts: &Options,
    r: &engine::Resolved,
    replaces: bool,
) -> Result<Vec<Change>> {
    crate::server::require_temporary(profile, &r.creds)?;
    let shell_pid = crate::server::shell::parent_pid();
    let (pid, hello) =
        crate::server::shell::start(profile, opts, &r.creds, shell_pid, r.plan.reads_env_keys())?;
    Ok(vars::load_server(
        profile,
        &hello.uri,
        hello.token.expose(),
        r.plan.region.as_deref(),
        replaces,
        Some(pid),
    ))
}

/// The hook state for a command `awsenv exec` starts here: no secret, and the marker that
/// governs this directory (if any) recorded as already answered, so that a nested shell's hook
/// keeps the profile `exec` gave it until the shell leaves the tree (as after `awsenv use`).
pub fn state_for_exec(e: &Env) -> Option<String> {
    let pwd = current_dir(e).ok()?;
    let found = marker::find(&pwd)?;
    let bytes = marker::read(&found.path).ok()?;
    State {
        loaded: None,
        reported: Some(Reported {
            marker: found.path,
            digest: marker::digest(&bytes),
            why: Why::Exec,
        }),
    }
    .to_text()
}

/// `$PWD` as the shell spells it (symlinks kept), when it names the current directory.
pub fn current_dir(e: &Env) -> Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    Ok(e.get_os(env::PWD)
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

/// The notice for a marker that is not allowed.
fn not_allowed(here: &Here, content: &[u8]) -> String {
    let says = match marker::parse(&here.marker, content) {
        Ok(m) => format!("it loads profile `{}`", m.profile),
        Err(e) => format!("it is invalid: {}", inert(&e.to_string())),
    };
    format!(
        "awsenv: {} is not allowed ({says}); run `awsenv allow` to trust it",
        shown(&here.marker)
    )
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
    fn clock_in_local_time_or_utc() {
        assert_eq!(clock(0, Some(UtcOffset::UTC)), "00:00");
        assert_eq!(clock(3600 + 120, None), "01:02 UTC");
    }
}
