//! Interactive terminals: a command or an interactive shell in its own tmux server (private
//! socket, no user config), typed into and read back as a person would. Shells started with
//! [`Term::shell`] also count their prompts, so a test can wait for a line and the prompt hooks
//! after it to finish, and read `$?` and the exported environment.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{parse_env0, require, sh_quote, Home, Run, Sh};

/// How long any wait on a terminal lasts before the test fails, showing the screen.
const WAIT: Duration = Duration::from_secs(30);

/// A terminal in a private tmux server (250x50, 50,000 lines of scrollback), killed on drop.
/// Its directory holds the server's socket and whatever the shell writes to `$AWSENV_TEST_OUT`.
pub struct Term {
    /// What runs in it, for messages.
    what: String,
    dir: tempfile::TempDir,
    socket: PathBuf,
    /// How many `status`/`env` files have been asked for.
    n: Cell<usize>,
}

impl Term {
    /// Starts `argv` with exactly `env` (and `TERM=screen` unless `env` sets it), in `cwd`.
    pub fn start(argv: &[&str], env: &BTreeMap<String, String>, cwd: &Path) -> Term {
        let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        Term::launch(new_dir(), &argv, env.clone(), cwd, &[])
    }

    /// Starts `shell` interactively with only `home`'s environment, in `cwd`, loading `rc`
    /// (shell code) after helpers the harness needs; returns once the first prompt is shown.
    pub fn shell(home: &Home, shell: Sh, rc: &str, cwd: &Path) -> Term {
        Term::shell_via(home, shell, rc, cwd, &[])
    }

    /// [`Term::shell`], its tmux server started through `via` (a program and its arguments, such
    /// as `nsenter --net=…`: the server and the shell then live where `via` puts them, while the
    /// socket, a file, still lets this process drive them).
    pub fn shell_via(home: &Home, shell: Sh, rc: &str, cwd: &Path, via: &[String]) -> Term {
        let program = shell.path();
        let dir = new_dir();
        let out = dir.path().to_path_buf();
        // `__t_prompt` runs at each prompt after every other prompt hook (the hooks under test
        // put themselves first) and counts prompts in a file; `run` waits for the next one.
        let helpers = match shell {
            Sh::Fish => "set -g __t_n 0\n\
                         function fish_prompt; set -g __t_n (math $__t_n + 1); echo $__t_n > $AWSENV_TEST_OUT/prompts; echo -n '> '; end\n\
                         function fish_greeting; end\n\
                         function __t_dump; command env -0 > $AWSENV_TEST_OUT/tmp; and command mv $AWSENV_TEST_OUT/tmp $AWSENV_TEST_OUT/env-$argv[1]; end\n\
                         function __t_sync; echo $status > $AWSENV_TEST_OUT/sync-$argv[1]; end\n",
            Sh::Zsh => "PS1='> '\nunsetopt PROMPT_SP\n\
                        __t_n=0\n\
                        __t_prompt() { local s=$?; __t_n=$((__t_n + 1)); echo \"$__t_n\" > \"$AWSENV_TEST_OUT/prompts\"; return $s; }\n\
                        precmd_functions=(__t_prompt)\n\
                        __t_dump() { command env -0 > \"$AWSENV_TEST_OUT/tmp\" && command mv \"$AWSENV_TEST_OUT/tmp\" \"$AWSENV_TEST_OUT/env-$1\"; }\n\
                        __t_sync() { echo \"$?\" > \"$AWSENV_TEST_OUT/sync-$1\"; }\n",
            // The awsenv hook puts itself first in pre_prompt / before-readline.
            Sh::Nu => "$env.config.show_banner = false\n\
                       $env.PROMPT_COMMAND = {|| '> ' }\n\
                       $env.PROMPT_COMMAND_RIGHT = {|| '' }\n\
                       $env.PROMPT_INDICATOR = ''\n\
                       $env.__t_n = 0\n\
                       $env.config.hooks.pre_prompt = [{|| $env.__t_n = $env.__t_n + 1; $\"($env.__t_n)\\n\" | save -f ($env.AWSENV_TEST_OUT | path join prompts) }]\n\
                       def __t_dump [n] { ^env -0 | save -f ($env.AWSENV_TEST_OUT | path join tmp); ^mv ($env.AWSENV_TEST_OUT | path join tmp) ($env.AWSENV_TEST_OUT | path join $\"env-($n)\") }\n\
                       def __t_sync [n] { $\"($env.LAST_EXIT_CODE)\\n\" | save -f ($env.AWSENV_TEST_OUT | path join $\"sync-($n)\") }\n",
            Sh::Elvish => "set edit:prompt = { put '> ' }\n\
                           set edit:rprompt = { put '' }\n\
                           var __t_n = 0\n\
                           set edit:before-readline = [{ set __t_n = (+ $__t_n 1); echo $__t_n > $E:AWSENV_TEST_OUT/prompts }]\n\
                           fn __t_dump {|n| env -0 > $E:AWSENV_TEST_OUT/tmp; mv $E:AWSENV_TEST_OUT/tmp $E:AWSENV_TEST_OUT/env-$n }\n\
                           fn __t_sync {|n| echo 0 > $E:AWSENV_TEST_OUT/sync-$n }\n",
            _ => "PS1='> '\n\
                  __t_n=0\n\
                  __t_prompt() { local s=$?; __t_n=$((__t_n + 1)); echo \"$__t_n\" > \"$AWSENV_TEST_OUT/prompts\"; return $s; }\n\
                  PROMPT_COMMAND=__t_prompt\n\
                  __t_dump() { command env -0 > \"$AWSENV_TEST_OUT/tmp\" && command mv \"$AWSENV_TEST_OUT/tmp\" \"$AWSENV_TEST_OUT/env-$1\"; }\n\
                  __t_sync() { echo \"$?\" > \"$AWSENV_TEST_OUT/sync-$1\"; }\n",
        };
        let rc_file = out.join("rc");
        std::fs::write(&rc_file, format!("{helpers}{rc}")).unwrap();
        let rc_path = rc_file.display().to_string();

        let mut env = home.env.clone();
        env.insert("TERM".into(), "screen".into());
        env.insert("AWSENV_TEST_OUT".into(), out.display().to_string());
        env.insert("SHELL".into(), program.display().to_string());
        let mut argv = vec![program.display().to_string()];
        match shell {
            Sh::Bash => argv.extend([
                "--noprofile".into(),
                "--rcfile".into(),
                rc_path,
                "-i".into(),
            ]),
            Sh::Zsh => {
                // zsh reads $ZDOTDIR/.zshrc.
                std::fs::copy(&rc_file, out.join(".zshrc")).unwrap();
                env.insert("ZDOTDIR".into(), out.display().to_string());
                argv.push("-i".into());
            }
            Sh::Fish => argv.extend([
                "--no-config".into(),
                "--private".into(),
                "-i".into(),
                "-C".into(),
                format!("source {}", sh_quote(&rc_path).replace(r"'\''", r"\'")),
            ]),
            Sh::Nu => {
                let env_file = out.join("env.nu");
                std::fs::write(&env_file, "").unwrap();
                argv.extend([
                    "--config".into(),
                    rc_path,
                    "--env-config".into(),
                    env_file.display().to_string(),
                ]);
            }
            Sh::Elvish => argv.extend(["-rc".into(), rc_path]),
            Sh::Dash => panic!("dash has no hooks"),
        }
        let t = Term::launch(dir, &argv, env, cwd, via);
        t.wait_prompt(0);
        t
    }

    /// Runs `cd CWD && exec env -i ENV ARGV` in a new tmux server whose files are in `dir`,
    /// the server started through `via` when it names a program.
    pub(crate) fn launch(
        dir: tempfile::TempDir,
        argv: &[String],
        mut env: BTreeMap<String, String>,
        cwd: &Path,
        via: &[String],
    ) -> Term {
        env.entry("TERM".into()).or_insert_with(|| "screen".into());
        let out = dir.path();
        let mut start = format!("cd {} && exec env -i", sh_quote(&cwd.display().to_string()));
        for (k, v) in &env {
            start.push_str(&format!(" {}", sh_quote(&format!("{k}={v}"))));
        }
        for a in argv {
            start.push_str(&format!(" {}", sh_quote(a)));
        }
        std::fs::write(out.join("start.sh"), start).unwrap();
        std::fs::write(out.join("tmux.conf"), "set -g history-limit 50000\n").unwrap();
        let socket = out.join("sock");
        let mut tmux = match via.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(require("tmux"));
                c
            }
            None => Command::new(require("tmux")),
        };
        let started = Run::from(
            tmux.arg("-S")
                .arg(&socket)
                .arg("-f")
                .arg(out.join("tmux.conf"))
                .args(["new-session", "-d", "-x", "250", "-y", "50", "sh"])
                .arg(out.join("start.sh"))
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("TERM", "screen")
                .output()
                .unwrap(),
        );
        assert!(started.ok(), "tmux new-session failed: {}", started.stderr);
        let program = Path::new(&argv[0]).file_name().unwrap_or_default();
        Term {
            what: program.to_string_lossy().into_owned(),
            dir,
            socket,
            n: Cell::new(0),
        }
    }

    fn tmux(&self, args: &[&str]) -> Run {
        let out = Run::from(
            Command::new(require("tmux"))
                .arg("-S")
                .arg(&self.socket)
                .args(args)
                .output()
                .unwrap(),
        );
        assert!(out.ok(), "tmux {args:?}: {}", out.stderr);
        out
    }

    /// The directory the shell sees as `$AWSENV_TEST_OUT`.
    pub fn out_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", "--", text]);
    }

    /// Types `line` and Enter.
    pub fn type_line(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }

    /// Presses keys by name: `Tab`, `Enter`, `C-a`, `C-u`, `C-c`…
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Everything on the screen and in the scrollback, wrapped lines joined.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-t", "0", "-p", "-J", "-S", "-50000"])
            .stdout
    }

    /// How often `needle` is on the screen (and in the scrollback).
    pub fn count(&self, needle: &str) -> usize {
        self.screen().matches(needle).count()
    }

    /// Polls `ready` until it gives a value, or fails after 30 s naming `what` and showing the
    /// screen.
    #[track_caller]
    pub fn wait_until<T>(&self, what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = ready() {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "{}: timed out waiting for {what}; the screen was:\n{}",
                self.what,
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a screen line for which `pred` holds, and returns it.
    #[track_caller]
    pub fn wait_line(&self, pred: impl Fn(&str) -> bool) -> String {
        self.wait_until("a line", || {
            self.screen().lines().find(|l| pred(l)).map(str::to_string)
        })
    }

    /// Waits until the screen shows `needle`, and returns the screen.
    #[track_caller]
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), || {
            Some(self.screen()).filter(|s| s.contains(needle))
        })
    }

    /// Waits until a command in the terminal has written a whole line to `path`, and returns
    /// the file.
    #[track_caller]
    pub fn wait_file(&self, path: &Path) -> String {
        self.wait_until(&path.display().to_string(), || {
            std::fs::read_to_string(path)
                .ok()
                .filter(|s| s.ends_with('\n'))
        })
    }

    // Sessions from `Term::shell`: prompts are counted.

    /// How many prompts the shell has shown.
    pub fn prompts(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("prompts"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Waits for a prompt after the `seen`-th one, then a moment for tmux to draw what came before.
    #[track_caller]
    pub fn wait_prompt(&self, seen: usize) {
        self.wait_until("a prompt", || (self.prompts() > seen).then_some(()));
        std::thread::sleep(Duration::from_millis(30));
    }

    /// Types `line`, then waits for it and the prompt hooks after it to finish.
    #[track_caller]
    pub fn run(&self, line: &str) {
        let seen = self.prompts();
        self.type_line(line);
        self.wait_prompt(seen);
    }

    /// Presses Enter on an empty line and waits for the prompt.
    #[track_caller]
    pub fn enter(&self) {
        let seen = self.prompts();
        self.keys(&["Enter"]);
        self.wait_prompt(seen);
    }

    fn next(&self) -> usize {
        self.n.set(self.n.get() + 1);
        self.n.get()
    }

    /// `$?` (`$status` in fish) as the next command sees it.
    #[track_caller]
    pub fn status(&self) -> String {
        let n = self.next();
        self.run(&format!("__t_sync {n}"));
        self.wait_file(&self.dir.path().join(format!("sync-{n}")))
            .trim()
            .to_string()
    }

    /// The shell's exported environment now.
    #[track_caller]
    pub fn env(&self) -> BTreeMap<String, String> {
        let n = self.next();
        self.run(&format!("__t_dump {n}"));
        // Written whole: the shell moves it into place.
        let f = self.dir.path().join(format!("env-{n}"));
        parse_env0(&self.wait_until(&f.display().to_string(), || std::fs::read(&f).ok()))
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

pub(crate) fn new_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("awsenv-tmux-")
        .tempdir()
        .unwrap()
}
