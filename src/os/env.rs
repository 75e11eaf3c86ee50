//! The process environment, read once per run.
//!
//! Every variable awsenv reads or writes is named here, and nothing else in awsenv calls
//! `std::env::var`: commands and the engine see the environment through one [`Env`] snapshot
//! held by the run's `Context`, so planning stays pure and tests can hand in any environment.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

// Credentials and region, as the SDKs read them (and as `use` writes them).
pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// The pre-2014 name of the session token, still read by boto2-era tools.
pub const SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
/// RFC 3339 expiry, read by the SDKs' environment credential providers.
pub const EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
/// The account the credentials belong to, read by the SDKs for account-based endpoints (and by
/// prompts).
pub const ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";
pub const REGION: &str = "AWS_REGION";
pub const DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
pub const PROFILE: &str = "AWS_PROFILE";
pub const DEFAULT_PROFILE: &str = "AWS_DEFAULT_PROFILE";

// Where the two files are.
pub const CONFIG_FILE: &str = "AWS_CONFIG_FILE";
pub const SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";

// Endpoints (the SDKs' rules; see `config::endpoint`).
pub const ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
pub const IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
/// `AWS_ENDPOINT_URL_<SERVICE>` for the services awsenv calls.
pub const ENDPOINT_URL_STS: &str = "AWS_ENDPOINT_URL_STS";
pub const ENDPOINT_URL_SSO: &str = "AWS_ENDPOINT_URL_SSO";
pub const ENDPOINT_URL_SSO_OIDC: &str = "AWS_ENDPOINT_URL_SSO_OIDC";
pub const ENDPOINT_URL_IAM: &str = "AWS_ENDPOINT_URL_IAM";
pub const ENDPOINT_URL_SIGNIN: &str = "AWS_ENDPOINT_URL_SIGNIN";

/// Where `aws login` keeps its sessions (default `~/.aws/login/cache`).
/// How AWS is reached (`config::reach`): endpoint variants, retries, the CA bundle, proxies.
pub const REACH: &[&str] = &[
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "AWS_CA_BUNDLE",
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "no_proxy",
    "NO_PROXY",
];
pub const LOGIN_CACHE_DIRECTORY: &str = "AWS_LOGIN_CACHE_DIRECTORY";

// awsenv's own settings.
/// The profile awsenv loaded into this environment.
pub const AWSENV_PROFILE: &str = "AWSENV_PROFILE";
pub const MFA_SESSION_DURATION: &str = "AWSENV_MFA_SESSION_DURATION";
pub const BACKEND: &str = "AWSENV_BACKEND";
pub const FILE_PASSPHRASE: &str = "AWSENV_FILE_PASSPHRASE";
/// Seconds the network part of one run may take, retries included (see `store::settings`).
pub const DEADLINE: &str = "AWSENV_DEADLINE";

// The local credential server (`--server`, see `server`).
/// The container credential endpoint and its token, as the SDKs read them.
pub const CONTAINER_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const CONTAINER_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// Read by the SDKs before the two above: an inherited one would send them elsewhere.
pub const CONTAINER_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
pub const CONTAINER_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
/// The process id of this shell's credential server (`use --server`); no secret.
pub const AWSENV_SERVER: &str = "AWSENV_SERVER";
/// How long before expiry the server replaces credentials (default 20m).
pub const SERVER_REFRESH_MARGIN: &str = "AWSENV_SERVER_REFRESH_MARGIN";

// The shell hook's state (see `hook`).
/// What the hook loaded, from which marker; exported and free of secrets.
pub const HOOK_STATE: &str = "__AWSENV_STATE";
/// Unix time at which the hook should refresh what it loaded.
pub const HOOK_REFRESH_AT: &str = "__AWSENV_REFRESH_AT";
/// The values the shell had before the hook loaded a marker. The shell keeps them in a
/// variable of its own that is never exported, and hands them to `awsenv hook` alone, in its
/// environment for that one call.
pub const HOOK_SAVED: &str = "__AWSENV_SAVED";

// Tab completion (set by the shims for one call).
pub const COMPLETE: &str = "_AWSENV_COMPLETE";
pub const COMP_LINE: &str = "_AWSENV_COMP_LINE";
pub const COMP_WORDBREAKS: &str = "_AWSENV_COMP_WORDBREAKS";
pub const COMP_CURRENT: &str = "_AWSENV_COMP_CURRENT";
/// tcsh's own: the line being completed, set for the command a `complete` pattern runs.
pub const TCSH_COMMAND_LINE: &str = "COMMAND_LINE";

// The machine.
pub const HOME: &str = "HOME";
pub const PWD: &str = "PWD";
pub const SHELL: &str = "SHELL";
/// Windows' command interpreter (`C:\Windows\system32\cmd.exe`). Names of variables are
/// case-insensitive there: Windows itself spells this one `ComSpec`.
pub const COMSPEC: &str = "COMSPEC";
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
pub const XDG_DATA_HOME: &str = "XDG_DATA_HOME";
pub const DBUS_SESSION_BUS_ADDRESS: &str = "DBUS_SESSION_BUS_ADDRESS";

// Where a browser could run (see `os::headless`).
pub const SSH_CONNECTION: &str = "SSH_CONNECTION";
pub const SSH_CLIENT: &str = "SSH_CLIENT";
pub const SSH_TTY: &str = "SSH_TTY";
pub const CI: &str = "CI";
pub const CODESPACES: &str = "CODESPACES";
/// `CloudShell` in AWS CloudShell.
pub const AWS_EXECUTION_ENV: &str = "AWS_EXECUTION_ENV";
pub const WSL_DISTRO_NAME: &str = "WSL_DISTRO_NAME";
pub const DISPLAY: &str = "DISPLAY";
pub const WAYLAND_DISPLAY: &str = "WAYLAND_DISPLAY";
/// The browser command the `webbrowser` crate (and Python's `webbrowser`) start first.
pub const BROWSER: &str = "BROWSER";

/// Every name awsenv reads.
const READ: &[&str] = &[
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    SECURITY_TOKEN,
    EXPIRATION,
    ACCOUNT_ID,
    REGION,
    DEFAULT_REGION,
    PROFILE,
    DEFAULT_PROFILE,
    CONFIG_FILE,
    SHARED_CREDENTIALS_FILE,
    ENDPOINT_URL,
    IGNORE_CONFIGURED_ENDPOINT_URLS,
    ENDPOINT_URL_STS,
    ENDPOINT_URL_SSO,
    ENDPOINT_URL_SSO_OIDC,
    ENDPOINT_URL_IAM,
    ENDPOINT_URL_SIGNIN,
    LOGIN_CACHE_DIRECTORY,
    AWSENV_PROFILE,
    MFA_SESSION_DURATION,
    BACKEND,
    FILE_PASSPHRASE,
    AWSENV_SERVER,
    SERVER_REFRESH_MARGIN,
    CONTAINER_FULL_URI,
    CONTAINER_TOKEN,
    CONTAINER_RELATIVE_URI,
    CONTAINER_TOKEN_FILE,
    DEADLINE,
    HOOK_STATE,
    HOOK_REFRESH_AT,
    HOOK_SAVED,
    COMPLETE,
    COMP_LINE,
    COMP_WORDBREAKS,
    COMP_CURRENT,
    TCSH_COMMAND_LINE,
    HOME,
    PWD,
    SHELL,
    COMSPEC,
    XDG_CACHE_HOME,
    XDG_CONFIG_HOME,
    XDG_DATA_HOME,
    DBUS_SESSION_BUS_ADDRESS,
    SSH_CONNECTION,
    SSH_CLIENT,
    SSH_TTY,
    CI,
    CODESPACES,
    AWS_EXECUTION_ENV,
    WSL_DISTRO_NAME,
    DISPLAY,
    WAYLAND_DISPLAY,
    BROWSER,
];

/// A snapshot of the variables awsenv reads.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<&'static str, OsString>);

impl Env {
    /// The variables of this process.
    pub fn from_process() -> Env {
        Env(READ
            .iter()
            .chain(REACH)
            .filter_map(|&n| Some((n, std::env::var_os(n)?)))
            .collect())
    }

    /// A set, non-empty, UTF-8 value. An empty variable counts as unset, as in the SDKs.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|v| v.to_str())
            .filter(|v| !v.is_empty())
    }

    /// A set, non-empty value, whatever its encoding (paths).
    pub fn get_os(&self, name: &str) -> Option<&OsStr> {
        self.0
            .get(name)
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }

    /// True when the variable is set at all, empty or not.
    pub fn is_set(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// True when `name` says `true` (any case), as the SDKs read boolean switches.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The shell `exec` starts when given no command: `$SHELL`, else `/bin/sh`. On Windows
    /// `%ComSpec%`, else `cmd.exe`: a `SHELL` there is MSYS's or Git Bash's (`/usr/bin/bash`),
    /// a path Windows cannot start.
    pub fn default_shell(&self) -> OsString {
        let (var, fallback) = if cfg!(windows) {
            (COMSPEC, "cmd.exe")
        } else {
            (SHELL, "/bin/sh")
        };
        self.get_os(var)
            .map(OsString::from)
            .unwrap_or_else(|| fallback.into())
    }

    /// The same snapshot with `name` set (tests, and callers that build an environment).
    #[cfg(test)]
    pub fn with(mut self, name: &'static str, value: &str) -> Env {
        self.0.insert(name, value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_counts_as_unset() {
        let env = Env::default().with(REGION, "").with(PROFILE, "p");
        assert_eq!(env.get(REGION), None);
        assert!(env.is_set(REGION));
        assert_eq!(env.get(PROFILE), Some("p"));
        assert!(!env.is_set(SHELL));
    }
}
