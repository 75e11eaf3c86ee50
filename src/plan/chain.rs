//! Following `source_profile` from the profile asked for down to the first credentials.
//!
//! For the profile asked for, `role_arn` (without `web_identity_token_file`) means "assume this
//! role". For a source profile, long-term keys win over its own `role_arn` (so a profile may name
//! itself as its source to combine keys and a role); otherwise its role is assumed in turn.
//! Loops are errors that show the chain.

use std::time::Duration;

use super::error::PlanError;
use super::{source, Inputs, Mfa, RoleHop, Source};
use crate::config::{keys, Profile};

/// The profiles from the one asked for down to the source, and what the source gives.
pub struct Walk<'f> {
    /// Every profile visited, the one asked for first. Profiles known only to the store end
    /// the walk without appearing here (they have no settings).
    pub visited: Vec<&'f Profile>,
    /// How many of `visited`, from the front, are assumed as roles.
    pub roles: usize,
    pub source: Source,
}

/// What comes after a role profile.
enum Next<'f> {
    Profile(&'f Profile),
    Source(Source),
}

/// The most profiles a chain may visit. Real chains have a handful of hops; the cap keeps a
/// generated 10,000-hop file from planning for seconds (or printing a huge loop message).
pub const MAX_CHAIN: usize = 64;

pub fn walk<'f>(
    inp: &Inputs<'f>,
    target: &'f Profile,
    region: &dyn Fn(&Profile) -> String,
) -> Result<Walk<'f>, PlanError> {
    let mut visited = vec![target];
    loop {
        let p = *visited.last().expect("the walk starts with the target");
        let is_target = visited.len() == 1;
        let role_profile = p.has(keys::ROLE_ARN) && !p.has(keys::WEB_IDENTITY_TOKEN_FILE);
        if !(role_profile && (is_target || !source::has_keys(inp, p))) {
            let source = source::of_profile(inp, p, region)?;
            let roles = visited.len() - 1;
            return Ok(Walk {
                visited,
                roles,
                source,
            });
        }
        match after_role(inp, p, &visited)? {
            Next::Profile(_) if visited.len() == MAX_CHAIN => {
                return Err(PlanError::TooDeep {
                    profile: target.name.clone(),
                    max: MAX_CHAIN,
                    at: inp.files.location(p, keys::SOURCE_PROFILE),
                })
            }
            Next::Profile(next) => visited.push(next),
            Next::Source(source) => {
                let roles = visited.len();
                return Ok(Walk {
                    visited,
                    roles,
                    source,
                });
            }
        }
    }
}

/// The source of a role profile: another profile, or credentials of its own kind.
fn after_role<'f>(
    inp: &Inputs<'f>,
    p: &'f Profile,
    visited: &[&Profile],
) -> Result<Next<'f>, PlanError> {
    let at = |key| inp.files.location(p, key);
    match (p.get(keys::SOURCE_PROFILE), p.get(keys::CREDENTIAL_SOURCE)) {
        (Some(_), Some(_)) => Err(PlanError::SourceAndCredentialSource {
            profile: p.name.clone(),
            at: at(keys::CREDENTIAL_SOURCE),
        }),
        (None, Some(cs)) => Ok(Next::Source(source::credential_source(inp, p, cs)?)),
        (None, None) => Err(PlanError::RoleWithoutSource {
            profile: p.name.clone(),
            at: at(keys::ROLE_ARN),
        }),
        (Some(src), None) => {
            if src == p.name && source::has_keys(inp, p) {
                return Ok(Next::Source(source::keys_of(inp, p)?));
            }
            if visited.iter().any(|v| v.name == src) {
                let mut chain: Vec<String> = visited.iter().map(|v| v.name.clone()).collect();
                chain.push(src.to_string());
                return Err(PlanError::Loop {
                    profile: visited[0].name.clone(),
                    chain,
                    at: at(keys::SOURCE_PROFILE),
                });
            }
            if let Some(next) = inp.files.profile(src)? {
                return Ok(Next::Profile(next));
            }
            match inp.stored.access_key_id(src) {
                Some(id) => Ok(Next::Source(source::stored(src, id))),
                None => Err(PlanError::MissingSourceProfile {
                    profile: p.name.clone(),
                    source_profile: src.to_string(),
                    at: at(keys::SOURCE_PROFILE),
                }),
            }
        }
    }
}

/// The AssumeRole call of a role profile. `sources` are the profiles below it in the chain,
/// itself first: where its `mfa_process` may come from.
pub fn role_hop(
    inp: &Inputs<'_>,
    sources: &[&Profile],
    region: &dyn Fn(&Profile) -> String,
) -> Result<RoleHop, PlanError> {
    let p = sources[0];
    let invalid = |problem: String, key| PlanError::Invalid {
        profile: p.name.clone(),
        problem,
        at: inp.files.location(p, key),
    };
    let duration = match p.get(keys::DURATION_SECONDS) {
        None => None,
        Some(v) => Some(parse_seconds(v).ok_or_else(|| {
            invalid(
                format!("duration_seconds `{v}` is not a number of seconds (900 to 43200)"),
                keys::DURATION_SECONDS,
            )
        })?),
    };
    if let Some(name) = p.get(keys::ROLE_SESSION_NAME) {
        if !valid_session_name(name) {
            return Err(invalid(
                format!("role_session_name `{name}` must be 2 to 64 letters, digits or +=,.@_-"),
                keys::ROLE_SESSION_NAME,
            ));
        }
    }
    Ok(RoleHop {
        profile: p.name.clone(),
        role_arn: p.get(keys::ROLE_ARN).unwrap_or_default().to_string(),
        session_name: p.get(keys::ROLE_SESSION_NAME).map(str::to_string),
        external_id: p.get(keys::EXTERNAL_ID).map(str::to_string),
        duration,
        mfa: mfa_of(sources),
        region: region(p),
    })
}

/// The MFA device of `sources[0]`, with the `mfa_process` of the first profile that has one,
/// from the one carrying the `mfa_serial` down its sources: a role behind an MFA user needs no
/// copy of the user's `mfa_process`.
pub fn mfa_of(sources: &[&Profile]) -> Option<Mfa> {
    let p = sources.first()?;
    Some(Mfa {
        profile: p.name.clone(),
        serial: p.get(keys::MFA_SERIAL)?.to_string(),
        process: sources
            .iter()
            .find_map(|s| s.get(keys::MFA_PROCESS))
            .map(str::to_string),
    })
}

/// STS's rule for RoleSessionName: `[\w+=,.@-]{2,64}`.
fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn parse_seconds(v: &str) -> Option<Duration> {
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|s| (900..=43200).contains(s))
        .map(Duration::from_secs)
}
