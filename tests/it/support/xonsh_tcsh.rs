//! xonsh and tcsh for the tests: evaluating a script the way users load it, and an interactive
//! session under tmux with the same helpers `Term::shell` gives the other shells (`__t_dump N`,
//! `__t_sync N`, prompts counted in `$AWSENV_TEST_OUT/prompts` after the hooks under test).
//!
//! xonsh comes from PyPI into the test venv, tcsh from Debian (`tests/setup.sh` installs both).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::tmux::new_dir;
use super::{parse_env0, require, venv_bin, Home, Run, Term};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Xt {
    Xonsh,
    Tcsh,
}

impl Xt {
    pub fn flag(self) -> &'static str {
        match self {
            Xt::Xonsh => "xonsh",
            Xt::Tcsh => "tcsh",
        }
    }

    pub fn program(self) -> PathBuf {
        match self {
            Xt::Xonsh => venv_bin("xonsh"),
            Xt::Tcsh => require("tcsh"),
        }
    }

    /// How this shell loads the output of `awsenv ARGS…` (ARGS already quoted for it).
    pub fn load_line(self, awsenv_and_args: &str) -> String {
        match self {
            Xt::Xonsh => format!("execx($({awsenv_and_args}))"),
            Xt::Tcsh => format!("eval \"`{awsenv_and_args}`\""),
        }
    }
}

/// `s` quoted for `shell`'s command lines (a Python literal in xonsh; tcsh single quotes, `!`
/// escaped). For test inputs without newlines.
pub fn quote(shell: Xt, s: &str) -> String {
    assert!(!s.contains('\n'));
    match shell {
        Xt::Xonsh => serde_json::to_string(s).unwrap(),
        Xt::Tcsh => format!("'{}'", s.replace('\'', r"'\''").replace('!', r"\!")),
    }
}

/// Evaluates `script` in the real `shell`, non-interactive and without user config, the way
/// users load awsenv's output (`execx($(…))`, `` eval "`…`" ``), then returns the environment it
/// exports to a child, and the shell's status and stderr.
pub fn eval_in(
    shell: Xt,
    script: &str,
    start_env: &BTreeMap<String, String>,
    cwd: &Path,
) -> (BTreeMap<String, String>, Run) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script");
    std::fs::write(&file, script).unwrap();
    let mut c = Command::new(shell.program());
    match shell {
        Xt::Xonsh => c.args(["--no-rc", "-c", "execx($(cat $T_SCRIPT))\n![env -0]\n"]),
        Xt::Tcsh => c.args(["-f", "-c", "eval \"`cat $T_SCRIPT`\" && env -0"]),
    };
    c.env_clear()
        .envs(start_env)
        .env("T_SCRIPT", &file)
        .current_dir(cwd)
        .stdin(Stdio::null());
    let out = c.output().unwrap();
    let run = Run::from(Output {
        status: out.status,
        stdout: Vec::new(),
        stderr: out.stderr.clone(),
    });
    let mut env = parse_env0(&out.stdout);
    env.remove("T_SCRIPT");
    (env, run)
}

/// An interactive `shell` under tmux with only `home`'s environment, in `cwd`, loading `rc`
/// after the harness's helpers; returns once the first prompt is shown.
pub fn term(home: &Home, shell: Xt, rc: &str, cwd: &Path) -> Term {
    let program = shell.program();
    let dir = new_dir();
    let out = dir.path().to_path_buf();
    let mut env = home.env.clone();
    env.insert("AWSENV_TEST_OUT".into(), out.display().to_string());
    env.insert("SHELL".into(), program.display().to_string());
    let mut argv = vec![program.display().to_string()];
    match shell {
        Xt::Xonsh => {
            // The prompt is a function: xonsh renders it after the on_pre_prompt_format handlers,
            // where the hook runs.
            let helpers = r#"
$XONSH_HISTORY_BACKEND = 'dummy'
$COLOR_INPUT = False
$XONSH_SHOW_TRACEBACK = True
_t_n = [0]
def _t_prompt():
    _t_n[0] += 1
    with open($AWSENV_TEST_OUT + '/prompts', 'w') as f:
        f.write(str(_t_n[0]) + '\n')
    return '> '
$PROMPT = _t_prompt
def _t_dump(args):
    d = $AWSENV_TEST_OUT
    env -0 > @(d + '/tmp')
    mv @(d + '/tmp') @(d + '/env-' + args[0])
aliases['__t_dump'] = _t_dump
def _t_sync(args):
    with open($AWSENV_TEST_OUT + '/sync-' + args[0], 'w') as f:
        f.write(str(__xonsh__.last.returncode if __xonsh__.last else 0) + '\n')
aliases['__t_sync'] = _t_sync
"#;
            let rc_file = out.join("rc.xsh");
            std::fs::write(&rc_file, format!("{helpers}{rc}")).unwrap();
            argv.extend([
                "--rc".into(),
                rc_file.display().to_string(),
                "-i".into(),
                "--shell-type".into(),
                "readline".into(),
            ]);
        }
        Xt::Tcsh => {
            // tcsh reads ~/.tcshrc; precmd counts prompts, and the hook under test puts itself
            // before it.
            let helpers = "set prompt = '> '\n\
                           set __t_n = 0\n\
                           alias precmd '@ __t_n++ ; echo $__t_n > $AWSENV_TEST_OUT/prompts'\n\
                           alias __t_dump 'env -0 > $AWSENV_TEST_OUT/tmp && mv $AWSENV_TEST_OUT/tmp $AWSENV_TEST_OUT/env-\\!:1'\n\
                           alias __t_sync 'echo $status > $AWSENV_TEST_OUT/sync-\\!:1'\n";
            std::fs::write(home.path().join(".tcshrc"), format!("{helpers}{rc}")).unwrap();
            argv.push("-i".into());
        }
    }
    let t = Term::launch(dir, &argv, env, cwd, &[]);
    t.wait_prompt(0);
    t
}
