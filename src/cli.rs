//! The command line: clap types only. Each subcommand is carried out in `cmd/`, which turns
//! these into the engine's own types; nothing below `cmd/` sees a clap struct.

use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::complete::{profile_candidates, CompletionShell};
pub use crate::shell::export::ExportFormat;
use crate::shell::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "awsenv",
    version,
    about = "Resolve AWS profiles (roles, MFA, SSO, credential_process) into environment variables for your shell",
    long_about = None,
    after_help = "Load a profile into this shell:  eval \"$(awsenv use PROFILE)\"\nRun one command with it:        awsenv exec PROFILE -- COMMAND..."
)]
pub struct Cli {
    /// Explain each step on stderr (never secrets).
    #[arg(long, global = true)]
    pub debug: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a script that exports a profile's credentials and region: eval "$(awsenv use PROFILE)".
    Use(UseArgs),
    /// Print a script that removes every variable `awsenv use` sets.
    Unset(UnsetArgs),
    /// Run a command with a profile's credentials in its environment (no CMD: start $SHELL).
    Exec(ExecArgs),
    /// Print a profile's credentials in the formats of `aws configure export-credentials`.
    Export(ExportArgs),
    /// List profile names, one per line (--long: how each gets credentials, and cached sessions).
    List(ListArgs),
    /// Store a profile's long-term access keys in the OS keyring (or the encrypted file store).
    Add(AddArgs),
    /// Delete a profile's stored keys and its cached sessions.
    Remove(RemoveArgs),
    /// Delete cached sessions: one profile's, or all.
    Clear(ClearArgs),
    /// Replace a profile's stored access key with a new one from IAM, then delete the old key.
    Rotate(RotateArgs),
    /// Open the AWS console signed in with a profile's credentials (no PROFILE: the environment's).
    Login(LoginArgs),
    /// Sign in to IAM Identity Center (`sso login`) or drop the cached sign-in (`sso logout`).
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Print the shell integration for your rc file: eval "$(awsenv init bash)".
    Init(InitArgs),
    /// Trust the nearest .awsprofile at DIR or above, as it is now (edits need a new allow).
    Allow(MarkerArgs),
    /// Stop obeying the nearest .awsprofile at DIR or above, whatever it says.
    Deny(MarkerArgs),
    /// Show the profile this shell holds, where it came from, and when it expires.
    Status(StatusArgs),
    /// Print the tab-completion script for a shell: eval "$(awsenv completions bash)".
    Completions(CompletionsArgs),
    /// Print the manual page (roff): awsenv man | man -l -
    Man(ManArgs),
    /// Called by the shell integration when the directory changed or credentials need a refresh.
    #[command(hide = true)]
    Hook(HookArgs),
    /// The per-shell credential server that `use --server` starts (credentials on stdin).
    #[command(hide = true)]
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long)]
    pub profile: String,
    /// The shell to serve: the server ends when it does.
    #[arg(long)]
    pub shell_pid: u32,
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

/// Settings that change how a profile is resolved.
#[derive(Debug, Args, Clone, Default)]
pub struct ResolveArgs {
    /// Region to export instead of the profile's `region`.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// MFA code to use instead of asking on the terminal.
    #[arg(long, value_name = "CODE")]
    pub mfa_token: Option<String>,
    /// Lifetime of the role session (or MFA session when there is no role): 3600, 90m, 12h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Neither read nor write cached sessions.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// Profile to load (default: $AWS_PROFILE).
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
    /// Shell to write for (default: the calling shell).
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
    /// Export a local credential endpoint (served by a process that ends with this shell)
    /// instead of keys: the SDKs fetch renewed credentials from it.
    #[arg(long)]
    pub server: bool,
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

#[derive(Debug, Args)]
pub struct UnsetArgs {
    /// Shell to write for (default: the calling shell).
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Profile to use (default: $AWS_PROFILE).
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
    /// Give COMMAND a local credential endpoint instead of keys, served until it exits: the
    /// SDKs fetch renewed credentials from it, so a long run outlives a role session.
    #[arg(long)]
    pub server: bool,
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Profile to export (default: $AWS_PROFILE).
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "env")]
    pub format: ExportFormat,
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show each profile's credential source, region, MFA and cached session.
    #[arg(long, short)]
    pub long: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Profile to sign in with (default: the credentials in the environment, else $AWS_PROFILE).
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
    /// Print the sign-in URL on stdout instead of opening a browser (it is a credential).
    #[arg(long)]
    pub print: bool,
    /// Console page to open: a service like `s3`, or a path like `ec2/v2/home`.
    #[arg(long, value_name = "SERVICE")]
    pub path: Option<String>,
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Sign in (in the browser, with PKCE; --use-device-code for the device code flow) and cache
    /// the token where the AWS CLI keeps it.
    Login(SsoLoginArgs),
    /// Remove cached IAM Identity Center tokens (all of them, or one profile's/session's).
    Logout(SsoTarget),
    /// List the [sso-session] sections and how long each one's sign-in lasts.
    Sessions,
    /// Config sections for every account and role an sso-session's sign-in reaches (stdout), or
    /// with --write into the config file, between marker comments for that session.
    Profiles(SsoProfilesArgs),
}

/// Which IAM Identity Center sign-in: a profile's, or an `[sso-session]`'s.
#[derive(Debug, Args, Clone)]
pub struct SsoTarget {
    /// A profile with sso_session or sso_start_url (default for login: $AWS_PROFILE, else `default`).
    #[arg(long, value_name = "PROFILE", conflicts_with = "sso_session", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
    /// An `[sso-session NAME]` section of the config file.
    #[arg(long, value_name = "NAME")]
    pub sso_session: Option<String>,
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    #[command(flatten)]
    pub target: SsoTarget,
    /// Do not open a browser; only show the URL (and code) to open.
    #[arg(long)]
    pub no_browser: bool,
    /// Use the device code flow (a code to type in any browser) instead of the
    /// authorization-code flow with a local redirect; legacy sso_start_url profiles always do.
    #[arg(long)]
    pub use_device_code: bool,
    /// Sign in again even when the cached sign-in has more than an hour left.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SsoProfilesArgs {
    /// The `[sso-session NAME]` whose sign-in lists the accounts and roles.
    #[arg(long, value_name = "NAME")]
    pub sso_session: String,
    /// Profile names: {account_name}, {account_id}, {role_name}, {region}, {sso_session};
    /// characters other than letters, digits and . _ - become `-`.
    #[arg(
        long,
        value_name = "TEMPLATE",
        default_value = "{account_name}.{role_name}"
    )]
    pub naming: String,
    /// The `region` of the generated profiles (default: the session's sso_region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Write them into the config file (replacing only the block of this sso-session, after a
    /// backup) instead of printing them.
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in (default: the calling shell).
    #[arg(value_enum)]
    pub shell: Option<CompletionShell>,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand, for its own page (awsenv-use(1) and so on); none: the main page, awsenv(1).
    #[arg(value_name = "SUBCOMMAND", add = ArgValueCandidates::new(subcommand_candidates))]
    pub subcommand: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shell to integrate with.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct MarkerArgs {
    /// A directory (the nearest .awsprofile at or above it) or a marker file; default: here.
    #[arg(value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The shell to write for.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Load again even a marker that failed before (after `awsenv allow`/`deny`).
    #[arg(long)]
    pub reload: bool,
}

/// The names of the visible subcommands (`awsenv man SUBCOMMAND`).
fn subcommand_candidates() -> Vec<CompletionCandidate> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| CompletionCandidate::new(c.get_name().to_string()).help(c.get_about().cloned()))
        .collect()
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    crate::plan::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration like 3600, 90m or 12h"))
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Profile to store keys for (it needs no section in ~/.aws/config).
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,
    /// Take the keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead of asking.
    #[arg(long)]
    pub env: bool,
    /// Replace keys already stored for the profile without asking.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Profile whose stored keys to delete.
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    /// Only this profile's sessions (default: all).
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Profile whose stored access key to replace.
    #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(profile_candidates))]
    pub profile: String,
    /// MFA code, when the profile has mfa_serial (instead of asking on the terminal).
    #[arg(long, value_name = "CODE")]
    pub mfa_token: Option<String>,
}
