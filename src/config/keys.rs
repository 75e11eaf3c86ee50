//! The names of the settings awsenv reads from the two files, written once.
//!
//! Keys are lower case: the reader lower-cases every key, as botocore does.

pub const REGION: &str = "region";

// Static keys.
pub const ACCESS_KEY_ID: &str = "aws_access_key_id";
pub const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
/// The account of the profile's keys (`AWS_ACCOUNT_ID`).
pub const AWS_ACCOUNT_ID: &str = "aws_account_id";
pub const SESSION_TOKEN: &str = "aws_session_token";

// Roles.
pub const ROLE_ARN: &str = "role_arn";
pub const SOURCE_PROFILE: &str = "source_profile";
pub const CREDENTIAL_SOURCE: &str = "credential_source";
pub const ROLE_SESSION_NAME: &str = "role_session_name";
pub const EXTERNAL_ID: &str = "external_id";
pub const DURATION_SECONDS: &str = "duration_seconds";
pub const MFA_SERIAL: &str = "mfa_serial";
/// aws-vault's: a command that prints an MFA code.
pub const MFA_PROCESS: &str = "mfa_process";
pub const WEB_IDENTITY_TOKEN_FILE: &str = "web_identity_token_file";

pub const CREDENTIAL_PROCESS: &str = "credential_process";

/// `aws login` (AWS CLI 2.32): the ARN of a console sign-in whose keys the CLI caches.
pub const LOGIN_SESSION: &str = "login_session";

// IAM Identity Center, in a profile and in `[sso-session]`.
pub const SSO_SESSION: &str = "sso_session";
pub const SSO_START_URL: &str = "sso_start_url";
pub const SSO_REGION: &str = "sso_region";
pub const SSO_ACCOUNT_ID: &str = "sso_account_id";
pub const SSO_ROLE_NAME: &str = "sso_role_name";
pub const SSO_REGISTRATION_SCOPES: &str = "sso_registration_scopes";
/// The AWS CLI's name (aws-cli#9148) for the fixed port of the PKCE sign-in's loopback
/// redirect, so that `ssh -L` can forward it.
pub const SSO_REDIRECT_PORT: &str = "sso_redirect_port";
/// The settings of IAM Identity Center in a profile. botocore takes a profile for an SSO
/// profile when it has the account or the role (`plan/source.rs`); the others alone make a
/// half-written one.
pub const SSO_ANY: &[&str] = &[
    SSO_SESSION,
    SSO_START_URL,
    SSO_REGION,
    SSO_ACCOUNT_ID,
    SSO_ROLE_NAME,
];

// Endpoints.
pub const ENDPOINT_URL: &str = "endpoint_url";
pub const SERVICES: &str = "services";
pub const IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "ignore_configured_endpoint_urls";

/// The legacy name of `aws_session_token`; botocore reads it first.
pub const SECURITY_TOKEN: &str = "aws_security_token";

/// Setting names that are safe to name in an error message. Anything else in a file might be a
/// secret that lost its `=` (a wrapped session token, a pasted key), so it is never quoted.
pub fn is_known(name: &str) -> bool {
    const OTHERS: &[&str] = &[
        "output",
        "s3",
        "sts",
        "iam",
        "sso",
        "sso-oidc",
        "sts_regional_endpoints",
        "retry_mode",
        "max_attempts",
        "ca_bundle",
        "cli_pager",
        "aws_account_id",
    ];
    [
        REGION,
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        SESSION_TOKEN,
        SECURITY_TOKEN,
        ROLE_ARN,
        SOURCE_PROFILE,
        CREDENTIAL_SOURCE,
        ROLE_SESSION_NAME,
        EXTERNAL_ID,
        DURATION_SECONDS,
        MFA_SERIAL,
        MFA_PROCESS,
        WEB_IDENTITY_TOKEN_FILE,
        CREDENTIAL_PROCESS,
        SSO_REGISTRATION_SCOPES,
        SSO_REDIRECT_PORT,
        ENDPOINT_URL,
        SERVICES,
        IGNORE_CONFIGURED_ENDPOINT_URLS,
    ]
    .iter()
    .chain(SSO_ANY)
    .chain(OTHERS)
    .any(|k| *k == name)
}
