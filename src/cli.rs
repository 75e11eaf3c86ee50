//! The command line: clap types only. Each subcommand is carried out in `cmd/`, which turns
//! these into the engine's own types; nothing below `cmd/` sees a clap struct.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};

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
    #[command(flatten)]
    pub globals: Globals,

    #[command(subcommand)]
    pub command: Command,
}

/// The flags every subcommand takes.
#[derive(Debug, Args)]
pub struct Globals {
    /// Explain each step on stderr (never secrets).
    #[arg(long, global = true)]
    pub debug: bool,
}

/// Builds the arguments of one subcommand onto its `clap::Command`.
type BuildOne = fn(clap::Command) -> clap::Command;

/// The subcommands that run at every prompt, `cd` or TAB, or most often by hand. Building clap's
/// definition of all twenty subcommands (and dropping it) cost more instructions than the rest of
/// an `awsenv use`; for these, parsing builds only the one named. Each entry is the variant's
/// own `Args`, so its definition stays written once (a test checks each one against the tree).
const ONE_SUBCOMMAND: &[(&str, BuildOne)] = &[
    ("hook", HookArgs::augment_args),
    ("use", UseArgs::augment_args),
    ("unset", UnsetArgs::augment_args),
    ("exec", ExecArgs::augment_args),
    ("export", ExportArgs::augment_args),
    ("status", StatusArgs::augment_args),
    ("list", ListArgs::augment_args),
];

impl Cli {
    /// The command line of this process. Anything the one-subcommand tree does not accept
    /// (`--help`, a typo, a missing value) is parsed again against the whole tree, so help and
    /// errors are clap's own, as complete as ever.
    pub fn from_process() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        Cli::parse_one(&args).unwrap_or_else(|| Cli::parse_from(args))
    }

    fn parse_one(args: &[std::ffi::OsString]) -> Option<Cli> {
        // The subcommand is the first word that is not a flag (`--debug` takes no value).
        let name = args
            .iter()
            .skip(1)
            .find(|a| !a.as_encoded_bytes().starts_with(b"-"))?;
        let matches = Cli::with_one(name.to_str()?)?
            .try_get_matches_from(args)
            .ok()?;
        Cli::from_arg_matches(&matches).ok()
    }

    /// The tree that answers a TAB after `typed`, the words surely typed in full (the program
    /// first): only the subcommand they name when it is one of [`ONE_SUBCOMMAND`], else the whole
    /// tree. Completing words after a subcommand looks at nothing else in the tree.
    pub fn completion_tree(typed: &[String]) -> clap::Command {
        typed
            .iter()
            .skip(1)
            .find(|w| !w.starts_with('-'))
            .and_then(|name| Cli::with_one(name))
            .unwrap_or_else(Cli::command)
    }

    /// The tree with only subcommand `name`, when it is one of [`ONE_SUBCOMMAND`].
    pub fn with_one(name: &str) -> Option<clap::Command> {
        let &(name, build) = ONE_SUBCOMMAND.iter().find(|(n, _)| *n == name)?;
        let root = Globals::augment_args(clap::Command::new("awsenv"));
        Some(root.subcommand(build(clap::Command::new(name))))
    }
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
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
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
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
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
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
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
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
    pub profile: Option<String>,
    /// Print the sign-in URL on stdout instead of opening a browser (it is a credential).
    #[arg(long)]
    pub print: bool,
    /// Open a browser even where awsenv guesses none here can take the sign-in (over SSH, in a
    /// container, CI, Codespaces, CloudShell, WSL, Linux without a display), where it shows the
    /// URL on stderr instead.
    #[arg(long, conflicts_with = "print")]
    pub browser: bool,
    /// Console page to open: a service like `s3`, or a path like `ec2/v2/home`.
    #[arg(long, value_name = "SERVICE")]
    pub path: Option<String>,
    /// Send the keys to an `AWS_ENDPOINT_URL_SIGNIN` that is plain http (a local stand-in): the
    /// federation request carries the secret key in its URL.
    #[arg(long)]
    pub insecure_endpoint: bool,
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
    #[arg(long, value_name = "PROFILE", conflicts_with = "sso_session", add = ArgValueCompleter::new(profile_candidates))]
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
    /// authorization-code flow with a local redirect; legacy sso_start_url profiles always do,
    /// and so does a login where no local browser can take the redirect (over SSH, in a
    /// container, CI, Codespaces, CloudShell, WSL, or Linux without a display).
    #[arg(long, conflicts_with = "no_device_code")]
    pub use_device_code: bool,
    /// Use the authorization-code flow with a local redirect even where awsenv guesses that no
    /// local browser can take it (say, over SSH with the port forwarded).
    #[arg(long)]
    pub no_device_code: bool,
    /// Listen for the browser's redirect on this port of 127.0.0.1 (default: any free port, or
    /// the session's sso_redirect_port), e.g. one forwarded with `ssh -L N:127.0.0.1:N`.
    #[arg(long, value_name = "N", conflicts_with = "use_device_code", value_parser = clap::value_parser!(u16).range(1..))]
    pub redirect_port: Option<u16>,
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
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
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
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
    pub profile: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    /// Only this profile's sessions (default: all).
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Profile whose stored access key to replace.
    #[arg(value_name = "PROFILE", add = ArgValueCompleter::new(profile_candidates))]
    pub profile: String,
    /// MFA code, when the profile has mfa_serial (instead of asking on the terminal).
    #[arg(long, value_name = "CODE")]
    pub mfa_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each one-subcommand tree parses as the whole tree does: the same arguments, the same
    /// settings (all but the variant's help text and place in the list, which only the whole
    /// tree's help shows).
    #[test]
    fn one_subcommand_trees_match_the_whole_tree() {
        let whole = Cli::command();
        for (name, _) in ONE_SUBCOMMAND {
            let from_whole = whole
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("`{name}` is a subcommand"))
                .clone()
                .about(None)
                .long_about(None)
                .hide(false)
                .display_order(0);
            let one = Cli::with_one(name).unwrap();
            let alone = one
                .find_subcommand(name)
                .unwrap()
                .clone()
                .about(None)
                .long_about(None)
                .display_order(0);
            assert_eq!(format!("{from_whole:?}"), format!("{alone:?}"), "{name}");
            let root_args =
                |c: &clap::Command| format!("{:?}", c.get_arguments().collect::<Vec<_>>());
            assert_eq!(root_args(&whole), root_args(&one));
        }
    }

    /// A TAB after a subcommand gets the same answer from its own tree as from the whole one.
    #[test]
    fn completion_from_one_subcommand_matches_the_whole_tree() {
        let lines = [
            "awsenv use ",
            "awsenv use -",
            "awsenv use --",
            "awsenv --debug use --shell ",
            "awsenv use prod --region eu-west-1 -",
            "awsenv exec prod -",
            "awsenv export --format ",
            "awsenv hook ",
            "awsenv unset --shell f",
            "awsenv list -",
            "awsenv status ",
        ];
        for line in lines {
            let words: Vec<String> = line.split(' ').map(String::from).collect();
            let typed = &words[..words.len() - 1];
            let mut one = Cli::completion_tree(typed);
            assert!(
                one.find_subcommand("man").is_none(),
                "{line}: one subcommand"
            );
            let answer = |cmd: &mut clap::Command| {
                cmd.build();
                let args = words.iter().map(Into::into).collect();
                crate::complete::candidates(cmd, args, words.len() - 1, None)
                    .unwrap()
                    .iter()
                    .map(|c| format!("{:?} {:?}", c.get_value(), c.get_help()))
                    .collect::<Vec<_>>()
            };
            let from_one = answer(&mut one);
            assert_eq!(from_one, answer(&mut Cli::command()), "{line}");
            assert!(!from_one.is_empty(), "{line}");
        }
        // The subcommand word itself is completed from the whole tree.
        assert!(Cli::completion_tree(&["awsenv".into()])
            .find_subcommand("man")
            .is_some());
    }

    #[test]
    fn one_subcommand_parses_and_everything_else_falls_back() {
        let args = |s: &str| {
            s.split(' ')
                .map(Into::into)
                .collect::<Vec<std::ffi::OsString>>()
        };
        let cli = Cli::parse_one(&args("awsenv --debug use prod --region eu-west-1")).unwrap();
        assert!(cli.globals.debug);
        let Command::Use(u) = cli.command else {
            panic!("use")
        };
        assert_eq!(u.profile.as_deref(), Some("prod"));
        assert_eq!(u.resolve.region.as_deref(), Some("eu-west-1"));
        // Help, errors, and subcommands without their own tree go to the whole tree.
        assert!(Cli::parse_one(&args("awsenv use --help")).is_none());
        assert!(Cli::parse_one(&args("awsenv use --no-such-flag")).is_none());
        assert!(Cli::parse_one(&args("awsenv sso login")).is_none());
        assert!(Cli::parse_one(&args("awsenv --version")).is_none());
    }
}
