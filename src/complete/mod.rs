//! Tab completion, from one source of truth: the clap definitions in `cli.rs`.
//!
//! The scripts a shell loads are small shims (`awsenv completions SHELL`); at each TAB they call
//! `awsenv` back with `_AWSENV_COMPLETE=SHELL` set, and clap_complete's engine answers from the
//! live `Command` tree: subcommands, flags, value enums (`--shell`, `--format`) and, through
//! [`profile_candidates`], the profile names in the user's files. A new flag therefore completes
//! the moment it exists, and the committed scripts in `completions/` only change when a shim does.
//!
//! The completion path is kept cheap: no SDK, no network, no session cache; only the two files.
//!
//! Each shell has its own small adapter here (an [`Adapter`]: a shim file and an answer
//! function), because clap's stock ones fall short: bash splits words at `@`, `:` and `=` and
//! does not quote what a function returns; zsh and fish would receive the word with its quotes
//! still on; clap's PowerShell shim runs the typed line through `Invoke-Expression`; nushell has
//! no clap adapter here (a command-wide completer gets JSON, see `nu.rs`). Elvish uses clap's
//! adapter as it is.

mod bash;
mod fish;
mod nu;
mod powershell;
mod tcsh;
mod xonsh;
mod zsh;

use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{CompleteEnv, Elvish, EnvCompleter, Shells};

use crate::context::Context;
use crate::os::env;
use crate::shell::Shell;

/// The environment variable that turns a run of `awsenv` into a completion request. Specific to
/// awsenv so that a `COMPLETE` meant for another clap program never changes what `awsenv` prints.
pub const VAR: &str = env::COMPLETE;

/// The program the scripts call back, found on `PATH` (`command awsenv` in the POSIX shells, so a
/// shell function wrapping `awsenv` is not run at every TAB).
const PROGRAM: &str = "awsenv";

/// A shell awsenv can write a completion script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    Elvish,
    #[value(alias = "nushell")]
    Nu,
    Xonsh,
    #[value(alias = "csh")]
    Tcsh,
}

impl CompletionShell {
    /// The completion shell for a shell awsenv writes scripts for (none for plain POSIX shells),
    /// so `init`/hook code holding a `Shell` can append `script(…)`.
    pub fn for_shell(shell: Shell) -> Option<CompletionShell> {
        match shell {
            Shell::Bash => Some(CompletionShell::Bash),
            Shell::Zsh => Some(CompletionShell::Zsh),
            Shell::Fish => Some(CompletionShell::Fish),
            Shell::Powershell => Some(CompletionShell::Powershell),
            Shell::Elvish => Some(CompletionShell::Elvish),
            Shell::Nu => Some(CompletionShell::Nu),
            Shell::Xonsh => Some(CompletionShell::Xonsh),
            Shell::Tcsh => Some(CompletionShell::Tcsh),
            Shell::Posix => None,
        }
    }

    fn adapter(self) -> &'static dyn EnvCompleter {
        match self {
            CompletionShell::Bash => &bash::ADAPTER,
            CompletionShell::Zsh => &zsh::ADAPTER,
            CompletionShell::Fish => &fish::ADAPTER,
            CompletionShell::Powershell => &powershell::ADAPTER,
            CompletionShell::Elvish => &Elvish,
            CompletionShell::Nu => &nu::ADAPTER,
            CompletionShell::Xonsh => &xonsh::ADAPTER,
            CompletionShell::Tcsh => &tcsh::ADAPTER,
        }
    }
}

const SHELLS: Shells<'static> = Shells(&[
    &bash::ADAPTER,
    &zsh::ADAPTER,
    &fish::ADAPTER,
    &powershell::ADAPTER,
    &Elvish,
    &nu::ADAPTER,
    &xonsh::ADAPTER,
    &tcsh::ADAPTER,
]);

/// One of our shell adapters: the shim a shell loads, and how to answer its TAB requests.
pub(crate) struct Adapter {
    name: &'static str,
    aliases: &'static [&'static str],
    /// The shim (a real file in this folder), with `__VAR__`, `__COMPLETER__`, `__BIN__` and
    /// the adapter's own `placeholders` to fill in.
    template: &'static str,
    shell: Shell,
    placeholders: &'static [(&'static str, &'static str)],
    complete: Answerer,
}

/// Answers one TAB: the command tree, the words, the directory, where to write the answer.
type Answerer = fn(
    &mut clap::Command,
    Vec<std::ffi::OsString>,
    Option<&std::path::Path>,
    &mut dyn std::io::Write,
) -> std::io::Result<()>;

impl EnvCompleter for Adapter {
    fn name(&self) -> &'static str {
        self.name
    }

    fn is(&self, name: &str) -> bool {
        name == self.name || self.aliases.contains(&name)
    }

    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let script = shim(
            self.template,
            self.shell,
            var,
            completer,
            bin,
            self.placeholders,
        );
        buf.write_all(script.as_bytes())
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<std::ffi::OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        (self.complete)(cmd, args, current_dir, buf)
    }
}

/// The completion script for `shell`: what `awsenv completions SHELL` prints and what the shell
/// hooks can append, so one rc line sets up everything.
pub fn script(shell: CompletionShell) -> String {
    let mut buf = Vec::new();
    shell
        .adapter()
        .write_registration(VAR, PROGRAM, PROGRAM, PROGRAM, &mut buf)
        .expect("writing to a Vec cannot fail");
    String::from_utf8(buf).expect("the scripts are UTF-8")
}

/// What `awsenv init SHELL` appends: the completion script, less what the integration defines
/// itself.
pub fn script_for_init(shell: CompletionShell) -> String {
    match shell {
        CompletionShell::Nu => nu::without_extern(&script(shell)),
        _ => script(shell),
    }
}

/// Answers a completion request and exits, when `_AWSENV_COMPLETE` is set; returns otherwise.
/// Must run before anything else can write to stdout. `tree` builds the command tree for the
/// words already typed (the clap definitions live in `cli.rs`, which needs this module for its
/// candidates, not the reverse): given `awsenv use `, it may build only `use`, since the whole
/// tree costs more than the rest of the answer.
///
/// Only a call of the shims' shape (`awsenv -- …`) is a request: a `_AWSENV_COMPLETE` leaked
/// into a script's environment must not turn `awsenv use` into a completion script, or make
/// `awsenv exec dev -- cmd` exit 0 without running `cmd`.
pub fn answer_if_asked(tree: fn(&[String]) -> clap::Command) {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).map(|a| a.as_os_str()) != Some(std::ffi::OsStr::new("--")) {
        return;
    }
    let typed = settled_words(&args[2..]);
    CompleteEnv::with_factory(move || tree(&typed))
        .var(VAR)
        .shells(SHELLS)
        .complete();
}

/// The words of the line being completed that are surely whole: the program, then the words
/// before the one under the cursor, as far as a plain split can tell. Bash sends its line in
/// `COMP_LINE` (see `bash.rs`); the other shims send the words after `--`, the last one being
/// typed. When in doubt this gives fewer words, which only means a bigger tree.
fn settled_words(args: &[std::ffi::OsString]) -> Vec<String> {
    let from_env = crate::os::env::Env::from_process();
    let line = match from_env.get(env::COMP_LINE) {
        Some(line) if from_env.get(VAR) == Some("bash") => line.to_string(),
        _ => {
            let mut words: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
            words.pop();
            return words;
        }
    };
    let mut words: Vec<String> = line.split_whitespace().map(String::from).collect();
    if !line.ends_with(char::is_whitespace) {
        words.pop();
    }
    words
}

/// The profile names in the user's files (honouring `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`) and in awsenv's store, for every argument that takes a profile:
/// `#[arg(add = ArgValueCompleter::new(complete::profile_candidates))]`. Only the names that
/// start with what is typed become candidates: on 10,000 profiles, building all of them for
/// clap to drop most was most of a TAB.
///
/// Only the section headers are read (`Files::load` indexes headers and parses nothing else),
/// and the store's names come from its index file, which holds no secret: no keyring is
/// unlocked and no passphrase asked. So this stays cheap on a 10,000-profile config, and a
/// syntax error inside a section does not hide the names. A file that cannot be read, or a
/// malformed header line, gives no names from it: a TAB cannot print an error usefully.
pub fn profile_candidates(typed: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    // Not UTF-8: no profile name can start with it.
    let Some(typed) = typed.to_str() else {
        return Vec::new();
    };
    let ctx = Context::from_process();
    let names = ctx.profile_names_starting(typed).unwrap_or_default();
    // A name with a control character (a terminal escape in a header) is never offered: the
    // shell would show it raw in its menu or insert it into the command line.
    // Tagged here: clap_complete tags an untagged candidate with its argument's display, which
    // it formats anew for each one (a third of a TAB's work among 10,000 profiles). The tag only
    // groups candidates, and all of these are one group.
    let tag: clap::builder::StyledStr = "PROFILE".into();
    names
        .into_iter()
        .filter(|n| !n.chars().any(char::is_control))
        .map(|n| CompletionCandidate::new(n).tag(Some(tag.clone())))
        .collect()
}

/// The candidates for `args[index]`, as clap_complete's engine finds them, minus the flags when
/// the word does not start with `-` and something else fits: `awsenv use <TAB>` lists profiles,
/// `awsenv use -<TAB>` lists flags, `awsenv unset <TAB>` (no positional) lists flags.
pub(crate) fn candidates(
    cmd: &mut clap::Command,
    args: Vec<std::ffi::OsString>,
    index: usize,
    current_dir: Option<&std::path::Path>,
) -> std::io::Result<Vec<CompletionCandidate>> {
    let asks_for_flags = args
        .get(index)
        .is_some_and(|w| w.to_string_lossy().starts_with('-'));
    let mut all = clap_complete::engine::complete(cmd, args, index, current_dir)?;
    all.retain(|c| !c.is_hide_set());
    let is_flag = |c: &CompletionCandidate| c.get_value().to_string_lossy().starts_with('-');
    if !asks_for_flags && all.iter().any(|c| !is_flag(c)) {
        all.retain(|c| !is_flag(c));
    }
    Ok(all)
}

/// A shim template from this folder with its placeholders filled in: the variable that asks for
/// completion, and the program (quoted for `shell`), plus any of the adapter's own.
pub(crate) fn shim(
    template: &str,
    shell: Shell,
    var: &str,
    completer: &str,
    bin: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut script = template
        .replace("__VAR__", var)
        .replace("__COMPLETER__", &shell.quote(completer))
        .replace("__BIN__", &shell.quote(bin));
    for (placeholder, value) in extra {
        script = script.replace(placeholder, value);
    }
    script
}

/// Writes one answer line per candidate: `line` gets the value and its help, and returns the
/// line to write (without newline), or None to leave the candidate out.
pub(crate) fn answer(
    candidates: &[CompletionCandidate],
    buf: &mut dyn std::io::Write,
    line: impl Fn(&str, Option<String>) -> Option<String>,
) -> std::io::Result<()> {
    let mut out = String::new();
    for candidate in candidates {
        let value = candidate.get_value().to_string_lossy();
        if let Some(l) = line(&value, help_line(candidate)) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    buf.write_all(out.as_bytes())
}

/// The first line of a candidate's help, if any.
pub(crate) fn help_line(candidate: &CompletionCandidate) -> Option<String> {
    let help = candidate.get_help()?.to_string();
    let line = help.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}
