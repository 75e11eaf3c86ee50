//! Why a profile cannot be planned: each error names the profile and the file and line.

use crate::config::sso_session::SsoSessionError;
use crate::config::{ConfigError, Location};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("profile `{name}` is not in {config} or {credentials}{}", did_you_mean(.suggestions))]
    UnknownProfile {
        name: String,
        config: String,
        credentials: String,
        suggestions: Vec<String>,
    },
    #[error(
        "profile `{profile}` names source_profile `{source_profile}`, which does not exist ({at})"
    )]
    MissingSourceProfile {
        profile: String,
        source_profile: String,
        at: Location,
    },
    #[error("profile `{profile}`: source_profile loop {} ({at})", .chain.join(" -> "))]
    Loop {
        profile: String,
        chain: Vec<String>,
        at: Location,
    },
    #[error("profile `{profile}`: the role chain is longer than {max} profiles ({at})")]
    TooDeep {
        profile: String,
        max: usize,
        at: Location,
    },
    #[error(
        "profile `{profile}` has role_arn but neither source_profile nor credential_source ({at})"
    )]
    RoleWithoutSource { profile: String, at: Location },
    #[error("profile `{profile}` has both source_profile and credential_source; keep one ({at})")]
    SourceAndCredentialSource { profile: String, at: Location },
    #[error("profile `{profile}` has no credentials: no keys, role_arn, sso_*, credential_process or web_identity_token_file ({at})")]
    NoCredentials { profile: String, at: Location },
    #[error("profile `{profile}`: {problem} ({at})")]
    Invalid {
        profile: String,
        problem: String,
        at: Location,
    },
}

impl PlanError {
    /// A few words for tables (`awsenv list --long`); the full message is in `Display`.
    pub fn summary(&self) -> &'static str {
        match self {
            PlanError::Config(_) => "syntax error",
            PlanError::UnknownProfile { .. } => "unknown profile",
            PlanError::MissingSourceProfile { .. } => "missing source_profile",
            PlanError::Loop { .. } => "source_profile loop",
            PlanError::TooDeep { .. } => "role chain too long",
            PlanError::RoleWithoutSource { .. } => "role without source",
            PlanError::SourceAndCredentialSource { .. } => "two sources",
            PlanError::NoCredentials { .. } => "no credentials",
            PlanError::Invalid { .. } => "invalid settings",
        }
    }

    /// A problem with an `[sso-session]` or SSO settings, at `at` in `profile`.
    pub fn sso(profile: &str, e: SsoSessionError, at: Location) -> PlanError {
        match e {
            SsoSessionError::Config(c) => PlanError::Config(c),
            other => PlanError::Invalid {
                profile: profile.to_string(),
                problem: other.to_string(),
                at,
            },
        }
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}
