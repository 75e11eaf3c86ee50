//! What identifies a plan's source in the cache keys of its steps, and which sources make
//! sessions worth caching. No secret goes in: a key names credentials, it never holds them.

use crate::creds::cache::SessionKind;
use crate::os::env::{self, Env};
use crate::plan::{Plan, Source};

pub fn source_kind(source: &Source) -> Option<SessionKind> {
    match source {
        Source::Sso { .. } => Some(SessionKind::Sso),
        Source::WebIdentity { .. } => Some(SessionKind::WebIdentity),
        _ => None,
    }
}

/// What identifies the source, for cache keys. No secret goes in.
pub fn source_fingerprint(plan: &Plan, e: &Env) -> Vec<String> {
    let mut parts: Vec<String> = match &plan.source {
        Source::Static {
            profile,
            access_key_id,
            ..
        } => vec!["static".into(), profile.clone(), access_key_id.clone()],
        Source::Process { profile, command } => {
            vec!["process".into(), profile.clone(), command.clone()]
        }
        Source::Stored {
            profile,
            access_key_id,
        } => vec!["stored".into(), profile.clone(), access_key_id.clone()],
        Source::Sso {
            session,
            account_id,
            role_name,
            ..
        } => vec![
            "sso".into(),
            session.start_url.clone(),
            session.region.clone(),
            account_id.clone(),
            role_name.clone(),
        ],
        Source::WebIdentity {
            role_arn,
            token_file,
            session_name,
            region,
            ..
        } => vec![
            "web-identity".into(),
            role_arn.clone(),
            token_file.clone(),
            session_name.clone().unwrap_or_default(),
            region.clone(),
        ],
        Source::LoginSession {
            session_arn,
            region,
            ..
        } => vec!["login".into(), session_arn.clone(), region.clone()],
        Source::Environment => vec![
            "environment".into(),
            e.get(env::ACCESS_KEY_ID).unwrap_or_default().to_string(),
        ],
        Source::Ec2InstanceMetadata => vec!["imds".into()],
        Source::EcsContainer => vec!["ecs".into()],
    };
    parts.push(plan.sts_endpoint.clone().unwrap_or_default());
    parts.push(plan.sso_endpoint.clone().unwrap_or_default());
    parts
}
