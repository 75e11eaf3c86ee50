//! `awsenv list`: profile names, one per line; `--long`: how each gets its credentials, where its
//! long-term keys are, and which sessions are cached until when. Profiles whose keys are only in
//! awsenv's store are listed too. Nothing here reads a secret or asks for a passphrase.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::config::{keys, FileKind};
use crate::context::Context;
use crate::creds::cache::{SessionCache, SessionKind};
use crate::creds::format_rfc3339;
use crate::engine::{self, Options};
use crate::os::text::{inert, push_inert};
use crate::plan::Source;
use crate::providers::login_token;

/// One cached session, as listed.
struct Session {
    kind: SessionKind,
    expiration: time::OffsetDateTime,
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<()> {
    let names = ctx.profile_names()?;
    if !args.long {
        let mut out = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for name in &names {
            // Names come from files anyone may have written: no terminal escapes reach the tty.
            push_inert(&mut out, name);
            out.push('\n');
        }
        return super::print(&out);
    }

    let now = time::OffsetDateTime::now_utc();
    let mut sessions: BTreeMap<String, Vec<Session>> = BTreeMap::new();
    if ctx.settings()?.sessions_backend().is_some() {
        // The index has owners and expiry: no keyring call, no passphrase.
        for (_, info) in ctx.store()?.session_index()? {
            if let Some(expiration) = info.expiration.filter(|e| *e > now) {
                sessions.entry(info.profile).or_default().push(Session {
                    kind: info.kind,
                    expiration,
                });
            }
        }
    } else if let Ok(cache) = ctx.file_cache() {
        for e in cache.entries() {
            if let Some(expiration) = e.credentials.expiration {
                sessions.entry(e.profile).or_default().push(Session {
                    kind: e.kind,
                    expiration,
                });
            }
        }
    }
    let files = ctx.files()?;
    let stored = ctx.stored_keys()?;
    let mut rows = vec![[
        "PROFILE".to_string(),
        "SOURCE".into(),
        "REGION".into(),
        "MFA".into(),
        "CREDENTIALS".into(),
        "SESSIONS".into(),
    ]];
    for &name in &names {
        let plan = engine::plan(ctx, name, &Options::default());
        let (source, region, mfa) = match plan {
            Ok(plan) => {
                let source = match (&plan.source, plan.hops.is_empty()) {
                    (_, false) => {
                        // `role <- ops <- dev`: each role's source, back to the first credentials.
                        let mut chain: Vec<&str> = plan
                            .hops
                            .iter()
                            .rev()
                            .skip(1)
                            .map(|h| h.profile.as_str())
                            .collect();
                        chain.push(plan.source.origin());
                        format!("role <- {}", chain.join(" <- "))
                    }
                    (Source::Static { .. }, true) => "static".into(),
                    (Source::Stored { .. }, true) => "stored".into(),
                    (Source::Process { .. }, true) => "process".into(),
                    (Source::Sso { .. }, true) => "sso".into(),
                    (Source::WebIdentity { .. }, true) => "web identity".into(),
                    (Source::LoginSession { .. }, true) => "login".into(),
                    (_, true) => "?".into(),
                };
                let mfa = plan
                    .mfa_session
                    .as_ref()
                    .map(|m| m.mfa.serial.clone())
                    .or_else(|| {
                        plan.hops
                            .iter()
                            .find_map(|h| h.mfa.as_ref())
                            .map(|m| m.serial.clone())
                    })
                    .map(|_| "yes".to_string())
                    .unwrap_or_else(|| "-".into());
                (source, plan.region.unwrap_or_else(|| "-".into()), mfa)
            }
            Err(e) => (
                format!("error: {} (awsenv use {name})", summary(&e)),
                "-".into(),
                "-".into(),
            ),
        };
        let login = login_session_of(ctx, files, name);
        let credentials = if let Some(text) = login {
            text
        } else if stored.access_key_id(name).is_some() {
            stored.backend().to_string()
        } else {
            match files
                .profile(name)
                .ok()
                .flatten()
                .and_then(|p| p.file_of(keys::ACCESS_KEY_ID))
            {
                Some(FileKind::Credentials) => "credentials file".into(),
                Some(FileKind::Config) => "config file".into(),
                None => "-".into(),
            }
        };
        let mut mine: Vec<&Session> = sessions.get(name).into_iter().flatten().collect();
        mine.sort_by_key(|s| std::cmp::Reverse(s.expiration));
        let session = if mine.is_empty() {
            "-".into()
        } else {
            mine.iter()
                .map(|s| {
                    format!(
                        "{} until {}",
                        kind_name(s.kind),
                        format_rfc3339(s.expiration)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        rows.push([name, &source, &region, &mfa, &credentials, &session].map(inert));
    }
    super::print(&table(&rows))
}

/// A few words for the table; the whole message is what `awsenv use` prints.
/// `aws login until …` for a profile with `login_session` (its cached console session, read
/// without a request), None for other profiles.
fn login_session_of(ctx: &Context, files: &crate::config::Files, name: &str) -> Option<String> {
    let profile = files.profile(name).ok().flatten()?;
    let arn = profile.get(keys::LOGIN_SESSION)?;
    let cache = login_token::LoginCache {
        dir: crate::os::dirs::login_cache(&ctx.env),
        endpoint: None,
    };
    Some(match login_token::expiry(&cache, arn) {
        Some(at) => format!("aws login until {}", format_rfc3339(at)),
        None => "aws login (no session cached)".into(),
    })
}

fn summary(e: &anyhow::Error) -> &'static str {
    match e.downcast_ref::<crate::plan::PlanError>() {
        Some(p) => p.summary(),
        None => "cannot read",
    }
}

fn kind_name(kind: SessionKind) -> &'static str {
    use SessionKind::*;
    match kind {
        MfaSession => "mfa session",
        Role => "role",
        Sso => "sso",
        WebIdentity => "web identity",
    }
}

fn table(rows: &[[String; 6]]) -> String {
    let mut widths = [0usize; 6];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let width: usize = widths.iter().map(|w| w + 2).sum();
    let mut out = String::with_capacity(rows.len() * width);
    for row in rows {
        let line_start = out.len();
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                // Padded by hand: `{:<w$}` panics for a width past u16::MAX (a long name).
                let pad = widths[i] - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        // Each row is written straight into the table; its trailing blanks are cut off there.
        let kept = out[line_start..].trim_end().len();
        out.truncate(line_start + kept);
        out.push('\n');
    }
    out
}
