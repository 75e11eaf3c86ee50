//! `awsenv status`: which profile this shell holds, whether a marker or the user set it, when it
//! expires, and what the nearest marker says. A report for people, on stdout; never secrets.

use std::fmt::Write as _;

use anyhow::Result;
use time::{OffsetDateTime, UtcOffset};

use super::hook::{clock, current_dir};
use crate::cli::StatusArgs;
use crate::context::Context;
use crate::creds::parse_timestamp;
use crate::hook::marker;
use crate::hook::state::State;
use crate::hook::trust::{Trust, TrustStore};
use crate::os::env;
use crate::os::text::{inert, shown};
use crate::shell::vars;

pub fn run(ctx: &Context, _args: StatusArgs) -> Result<()> {
    let offset = UtcOffset::current_local_offset().ok();
    let vars_now = vars::current(&ctx.env);
    let state = State::from_env(&ctx.env);
    let mut out = String::new();

    let profile = vars_now.get(env::AWSENV_PROFILE);
    let by_hand = state.overridden(&vars_now);
    let origin = match (&state.loaded, by_hand) {
        (Some(l), false) => format!("from {}", shown(&l.marker)),
        (Some(l), true) => format!(
            "set by hand; the marker {} resumes when you leave {}",
            shown(&l.marker),
            shown(&l.dir)
        ),
        (None, _) => "set by hand".into(),
    };
    match profile {
        Some(p) => {
            let _ = writeln!(out, "profile: {} ({origin})", inert(p));
        }
        None if vars_now.contains_key(env::ACCESS_KEY_ID) => {
            let _ = writeln!(
                out,
                "profile: none (AWS_ACCESS_KEY_ID is set, not by awsenv)"
            );
        }
        None => match vars_now.get(env::PROFILE) {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "profile: none loaded (AWS_PROFILE={}, not by awsenv)",
                    inert(p)
                );
            }
            None => out.push_str("profile: none\n"),
        },
    }
    let server = ctx.env.get(env::AWSENV_SERVER);
    if let Some(pid) = server {
        let _ = writeln!(out, "{}", server_line(ctx, pid, offset));
    }
    if profile.is_some() && server.is_none() {
        let expires = vars_now
            .get(env::EXPIRATION)
            .and_then(|e| parse_timestamp(e));
        let line = match expires {
            Some(t) => {
                let left = t - OffsetDateTime::now_utc();
                let when = clock(t.unix_timestamp(), offset);
                if left.is_negative() {
                    format!("expired at {when}")
                } else {
                    format!("{when} (in {}m)", left.whole_minutes())
                }
            }
            None => "never (long-term keys)".into(),
        };
        let _ = writeln!(out, "expires: {line}");
    }
    if profile.is_some() {
        if let Some(r) = vars_now.get(env::REGION) {
            let _ = writeln!(out, "region: {r}");
        }
    }

    let pwd = current_dir(&ctx.env)?;
    match marker::find(&pwd) {
        None => {
            let _ = writeln!(out, "marker: none in {} or above", shown(&pwd));
        }
        Some(found) => {
            // A marker that cannot be used (another user's, too big, not a file) is reported,
            // not an error of `status`.
            let content = match marker::read(&found.path) {
                Ok(c) => c,
                Err(e) => {
                    let _ = writeln!(out, "marker: {e}");
                    return super::print(&out);
                }
            };
            let says = match marker::parse(&found.path, &content) {
                Ok(m) => format!("profile `{}`", m.profile),
                Err(e) => format!("invalid: {e}"),
            };
            let trust = match TrustStore::default_location(&ctx.env)?.check(&found.path, &content) {
                Trust::Allowed => "allowed",
                Trust::Denied => "denied (`awsenv allow` to trust it)",
                Trust::Unknown => "not allowed (`awsenv allow` to trust it)",
            };
            // The hook ignores a marker whose path is not UTF-8 (its state cannot name it).
            let trust = if found.path.to_str().is_none() {
                "ignored by the hook: its path is not UTF-8 text"
            } else {
                trust
            };
            let _ = writeln!(out, "marker: {} ({says}), {trust}", shown(&found.path));
        }
    }
    super::print(&out)
}

/// `server: …` for the per-shell credential server `pid` (`use --server`).
fn server_line(ctx: &Context, pid: &str, offset: Option<UtcOffset>) -> String {
    let Some(state) = pid
        .parse()
        .ok()
        .and_then(|p| crate::server::shell::running(&ctx.env, p))
    else {
        return format!(
            "server: not running (pid {pid} is gone; `awsenv use PROFILE --server` starts another)"
        );
    };
    let mfa = match state.mfa_until {
        Some(t) if t > OffsetDateTime::now_utc() => {
            format!(
                "renews roles from the MFA session until {}",
                clock(t.unix_timestamp(), offset)
            )
        }
        Some(_) => "its MFA session has ended: the next renewal needs `awsenv use` again".into(),
        None => "no MFA session".into(),
    };
    format!(
        "server: serving `{}` at {} (pid {}); {mfa}",
        state.profile, state.uri, state.pid
    )
}
