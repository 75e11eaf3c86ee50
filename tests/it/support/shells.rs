//! Real shells: bash, zsh, fish and dash evaluating awsenv's scripts the way users load them,
//! quoting for them, and the parts of an environment awsenv touches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{require, Run};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sh {
    Bash,
    Zsh,
    Fish,
    Dash,
    Nu,
    Elvish,
}

impl Sh {
    pub const POSIX_AND_FISH: [Sh; 4] = [Sh::Bash, Sh::Zsh, Sh::Fish, Sh::Dash];

    /// The `--shell` value awsenv takes for this shell.
    pub fn flag(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
            Sh::Dash => "posix",
            Sh::Nu => "nu",
            Sh::Elvish => "elvish",
        }
    }

    pub fn program(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
            Sh::Dash => "dash",
            Sh::Nu => "nu",
            Sh::Elvish => "elvish",
        }
    }

    /// The shell's binary: nushell from the npm package tests/setup.sh installs, the others
    /// from `PATH`.
    pub fn path(self) -> PathBuf {
        match self {
            Sh::Nu => {
                let p = super::repo().join(".nu-test/node_modules/@nushell/linux-x64/bin/nu");
                assert!(
                    p.is_file(),
                    "nushell is not installed: run `bash tests/setup.sh`"
                );
                p
            }
            _ => require(self.program()),
        }
    }
}

/// Evaluates `script` in a real, strict, non-interactive `shell` started with `start_env`, in
/// directory `cwd`, and returns the environment it ends with and the shell's stderr.
/// The script is read from a file the way users load it (`eval "$(…)"`, `… | source`).
pub fn eval_in(
    shell: Sh,
    script: &str,
    start_env: &BTreeMap<String, String>,
    cwd: &Path,
) -> (BTreeMap<String, String>, Run) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script");
    std::fs::write(&file, script).unwrap();
    let f = file.display().to_string();
    let mut c = Command::new(require(shell.program()));
    // Strict modes, no user config; POSIX shells eval the file's text as `eval "$(…)"` would.
    const EVAL: &str = r#"eval "$(cat "$1")"; env -0"#;
    match shell {
        Sh::Bash => c.args(["--noprofile", "--norc", "-e", "-u", "-o", "pipefail"]),
        Sh::Zsh => c.args(["--no-rcs", "-e", "-u"]),
        Sh::Dash => c.args(["-e", "-u"]),
        Sh::Fish => c.args(["--no-config", "--private"]),
        Sh::Nu | Sh::Elvish => panic!("{shell:?} cannot eval text: see tests/it/nu.rs, elvish.rs"),
    };
    match shell {
        Sh::Fish => c.args(["-c", "cat $argv[1] | source; or exit 99; env -0", &f]),
        _ => c.args(["-c", EVAL, shell.program(), &f]),
    };
    c.env_clear()
        .envs(start_env)
        .current_dir(cwd)
        .stdin(Stdio::null());
    let out = c.output().unwrap();
    let run = Run::from(Output {
        status: out.status,
        stdout: Vec::new(),
        stderr: out.stderr.clone(),
    });
    (parse_env0(&out.stdout), run)
}

/// An environment as `env -0` prints it.
pub fn parse_env0(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for item in bytes.split(|b| *b == 0).filter(|s| !s.is_empty()) {
        let item = String::from_utf8_lossy(item);
        if let Some((k, v)) = item.split_once('=') {
            env.insert(k.to_string(), v.to_string());
        }
    }
    env
}

/// The `AWS_*`/`AWSENV_*` part of an environment.
pub fn aws_vars(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .filter(|(k, _)| k.starts_with("AWS"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The `AWS*`/`__AWSENV*` part of an environment: everything awsenv and its hook can touch.
pub fn awsenv_vars(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .filter(|(k, _)| k.starts_with("AWS") || k.starts_with("__AWSENV"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Quotes `s` for a POSIX shell.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
