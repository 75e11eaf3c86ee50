//! `awsenv list`: profile names, one per line; `--long`: how each gets its credentials, where its
//! long-term keys are, and which sessions are cached until when. Profiles whose keys are only in
//! awsenv's store are listed too. Nothing here reads a secret or asks for a passphrase.

use std::borrow::Cow;
use std::collections::BTreeMap;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::config::{keys, FileKind, Profile};
use crate::context::Context;
use crate::creds::cache::{SessionCache, SessionKind};
use crate::creds::format_rfc3339;
use crate::engine::{self, Options};
use crate::os::text::{inert, lines_are_inert, push_inert};
use crate::plan::{Source, StoredKeys};
use crate::providers::login_token;

/// One cached session, as listed.
struct Session {
    kind: SessionKind,
    expiration: time::OffsetDateTime,
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<()> {
    let names = ctx.profile_names()?;
    if args.long {
        print_long(ctx, &names)
    } else {
        print_names(&names)
    }
}

/// The names, one per line.
fn print_names(names: &[&str]) -> Result<()> {
    // Written in pieces through one small buffer: 10,000 names at once would be fresh
    // pages, each a page fault, for text that is only passed on.
    const PIECE: usize = 32 * 1024;
    let mut out = String::with_capacity(PIECE + 1024);
    let mut first = 0;
    for (i, name) in names.iter().enumerate() {
        out.push_str(name);
        out.push('\n');
        if out.len() >= PIECE || i + 1 == names.len() {
            // Names come from files anyone may have written: no terminal escapes reach
            // the tty. Checked a piece at a time; one that holds any is escaped name by name.
            if !lines_are_inert(&out, i + 1 - first) {
                out.clear();
                for name in &names[first..=i] {
                    push_inert(&mut out, name);
                    out.push('\n');
                }
            }
            super::print(&out)?;
            out.clear();
            first = i + 1;
        }
    }
    Ok(())
}

/// The table of `--long`: a row per profile.
fn print_long(ctx: &Context, names: &[&str]) -> Result<()> {
    let sessions = cached_sessions(ctx)?;
    let files = ctx.files()?;
    let stored = ctx.stored_keys()?;
    // Cells borrow what they can (names, fixed words, the plan's region is moved in): a row
    // of 10,000 costs its plan, not six strings more.
    let mut rows: Vec<[Cow<'_, str>; 6]> = Vec::with_capacity(names.len() + 1);
    rows.push(
        [
            "PROFILE",
            "SOURCE",
            "REGION",
            "MFA",
            "CREDENTIALS",
            "SESSIONS",
        ]
        .map(Cow::Borrowed),
    );
    for &name in names {
        let (source, region, mfa) = plan_cells(ctx, name);
        rows.push(
            [
                name.into(),
                source,
                region,
                mfa.into(),
                credentials_cell(ctx, files.profile(name).ok().flatten(), stored, name),
                sessions_cell(sessions.get(name)),
            ]
            .map(inert_cell),
        );
    }
    super::print(&table(&rows))
}

/// The sessions cached now, by profile, read without a secret: from the store's index when
/// sessions are kept in a store, else from the session cache's files.
fn cached_sessions(ctx: &Context) -> Result<BTreeMap<String, Vec<Session>>> {
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
    Ok(sessions)
}

/// The SOURCE, REGION and MFA cells of `name`, from its plan (or the error that stops it).
fn plan_cells<'a>(ctx: &Context, name: &str) -> (Cow<'a, str>, Cow<'a, str>, &'static str) {
    let plan = match engine::plan(ctx, name, &Options::default()) {
        Ok(plan) => plan,
        Err(e) => {
            return (
                format!("error: {} (awsenv use {name})", summary(&e)).into(),
                "-".into(),
                "-",
            )
        }
    };
    let source = match (&plan.source, plan.hops.is_empty()) {
        (_, false) => {
            // `role <- ops <- dev`: each role's source, back to the first credentials.
            let mut chain = String::from("role");
            for hop in plan.hops.iter().rev().skip(1) {
                chain.push_str(" <- ");
                chain.push_str(&hop.profile);
            }
            chain.push_str(" <- ");
            chain.push_str(plan.source.origin());
            Cow::Owned(chain)
        }
        (Source::Static { .. }, true) => "static".into(),
        (Source::Stored { .. }, true) => "stored".into(),
        (Source::Process { .. }, true) => "process".into(),
        (Source::Sso { .. }, true) => "sso".into(),
        (Source::WebIdentity { .. }, true) => "web identity".into(),
        (Source::LoginSession { .. }, true) => "login".into(),
        (_, true) => "?".into(),
    };
    let mfa = plan.mfa_session.is_some() || plan.hops.iter().any(|h| h.mfa.is_some());
    let region = plan.region.map_or(Cow::Borrowed("-"), Cow::Owned);
    (source, region, if mfa { "yes" } else { "-" })
}

/// The CREDENTIALS cell: where `name`'s long-term keys (or its console session) are.
fn credentials_cell<'a>(
    ctx: &Context,
    profile: Option<&Profile>,
    stored: &StoredKeys,
    name: &str,
) -> Cow<'a, str> {
    if let Some(text) = profile.and_then(|p| login_session_of(ctx, p)) {
        text.into()
    } else if stored.access_key_id(name).is_some() {
        stored.backend().into()
    } else {
        match profile.and_then(|p| p.file_of(keys::ACCESS_KEY_ID)) {
            Some(FileKind::Credentials) => "credentials file".into(),
            Some(FileKind::Config) => "config file".into(),
            None => "-".into(),
        }
    }
}

/// The SESSIONS cell: each cached session, latest expiry first.
fn sessions_cell<'a>(mine: Option<&Vec<Session>>) -> Cow<'a, str> {
    let Some(mine) = mine else {
        return "-".into();
    };
    let mut mine: Vec<&Session> = mine.iter().collect();
    mine.sort_by_key(|s| std::cmp::Reverse(s.expiration));
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
        .into()
}

/// A cell as it may reach the terminal: text from the files with its control characters
/// escaped ([`inert`]); most cells have none and stay as they are.
fn inert_cell(cell: Cow<'_, str>) -> Cow<'_, str> {
    if cell.chars().any(char::is_control) {
        Cow::Owned(inert(&cell))
    } else {
        cell
    }
}

/// `aws login until …` for a profile with `login_session` (its cached console session, read
/// without a request), None for other profiles.
fn login_session_of(ctx: &Context, profile: &Profile) -> Option<String> {
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

/// A few words for the table; the whole message is what `awsenv use` prints.
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

fn table(rows: &[[Cow<'_, str>; 6]]) -> String {
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
