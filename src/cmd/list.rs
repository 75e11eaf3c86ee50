//! `awsenv list`: profile names, one per line; `--long`: how each gets its credentials.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;

use crate::cache::{Entry, FileCache, SessionCache};
use crate::cli::ListArgs;
use crate::config::Files;
use crate::creds::format_rfc3339;
use crate::resolve::{self, Env, Overrides, Source};

pub fn run(args: ListArgs) -> Result<()> {
    let files = Files::load()?;
    if !args.long {
        let mut out = String::new();
        for name in files.profile_names() {
            out.push_str(&name);
            out.push('\n');
        }
        return super::print(&out);
    }

    let mut sessions: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    if let Ok(cache) = FileCache::default_location() {
        for e in cache.entries() {
            sessions.entry(e.profile.clone()).or_default().push(e);
        }
    }
    let env = Env::from_process();
    let mut rows = vec![[
        "PROFILE".to_string(),
        "SOURCE".into(),
        "REGION".into(),
        "MFA".into(),
        "SESSION".into(),
    ]];
    for name in files.profile_names() {
        let name = name.as_ref();
        let (source, region, mfa) = match resolve::plan(&files, name, &Overrides::default(), &env) {
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
                        let origin = origin_name(&plan.source);
                        chain.push(&origin);
                        format!("role <- {}", chain.join(" <- "))
                    }
                    (Source::Static { .. }, true) => "static".into(),
                    (Source::Process { .. }, true) => "process".into(),
                    (Source::Sso { .. }, true) => "sso".into(),
                    (Source::WebIdentity { .. }, true) => "web identity".into(),
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
                format!("error: {} (awsenv use {name})", e.summary()),
                "-".into(),
                "-".into(),
            ),
        };
        let session = sessions
            .get(name)
            .and_then(|v| v.iter().max_by_key(|e| e.credentials.expiration))
            .and_then(|e| {
                Some(format!(
                    "{} until {}",
                    kind_name(e),
                    format_rfc3339(e.credentials.expiration?)
                ))
            })
            .unwrap_or_else(|| "-".into());
        rows.push([name.to_string(), source, region, mfa, session]);
    }
    super::print(&table(&rows))
}

/// The name of where a chain's first credentials come from.
fn origin_name(source: &Source) -> String {
    match source {
        Source::Static { profile, .. }
        | Source::Process { profile, .. }
        | Source::Sso { profile, .. }
        | Source::WebIdentity { profile, .. } => profile.clone(),
        Source::Environment => "Environment".into(),
        Source::Ec2InstanceMetadata => "Ec2InstanceMetadata".into(),
        Source::EcsContainer => "EcsContainer".into(),
    }
}

fn kind_name(e: &Entry) -> &'static str {
    use crate::cache::SessionKind::*;
    match e.kind {
        MfaSession => "mfa session",
        Role => "role",
        Sso => "sso",
        WebIdentity => "web identity",
    }
}

fn table(rows: &[[String; 5]]) -> String {
    let mut widths = [0usize; 5];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
