//! Interactive terminals in tmux: a command or a shell in a private tmux server, typed into and
//! read back as a person would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{parse_env0, require, sh_quote, Home, Run, Sh};

/// An interactive shell in its own tmux server (private socket, no user config), for typing
/// keys, pressing TAB, and reading what the shell did. The server is killed on drop.
pub struct Term {
    socket: String,
}

impl Term {
    /// Starts `argv` in a 200x50 window with exactly `env`, in `cwd`.
    pub fn start(argv: &[&str], env: &BTreeMap<String, String>, cwd: &Path) -> Term {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let socket = format!("awsenv-test-{}-{n}", std::process::id());
        let mut c = Command::new(require("tmux"));
        c.args([
            "-L",
            &socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
        ])
        .arg("--")
        .arg(require("env"))
        .arg("-i");
        if !env.contains_key("TERM") {
            c.arg("TERM=screen");
        }
        for (k, v) in env {
            c.arg(format!("{k}={v}"));
        }
        c.args(argv).current_dir(cwd);
        let out = Run::from(c.output().unwrap());
        assert!(out.ok(), "tmux new-session failed: {}", out.stderr);
        Term { socket }
    }

    fn tmux(&self, args: &[&str]) -> Run {
        let out = Run::from(
            Command::new(require("tmux"))
                .args(["-L", &self.socket])
                .args(args)
                .output()
                .unwrap(),
        );
        assert!(out.ok(), "tmux {args:?}: {}", out.stderr);
        out
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", "--", text]);
    }

    /// Presses keys by name: `Tab`, `Enter`, `C-a`, `C-u`…
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-t", "0", "-p", "-J", "-S", "-200"])
            .stdout
    }

    /// Waits up to 10 s for a screen line for which `pred` holds, and returns it.
    #[track_caller]
    pub fn wait_line(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if let Some(line) = screen.lines().find(|l| pred(l)) {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "timed out; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// An interactive bash, zsh or fish in a private tmux server. Lines are typed with `send-keys`;
/// `sync`/`env` type a helper command that writes a file, so when the file appears every line
/// typed before (and the prompt hooks after it) has run.
pub struct ShellSession {
    pub shell: Sh,
    dir: tempfile::TempDir,
    socket: PathBuf,
    n: std::cell::Cell<usize>,
}

impl ShellSession {
    /// Starts `shell` interactively with only `home`'s environment (plus `extra`), in `cwd`,
    /// loading `rc` (shell code) after helpers the harness needs.
    pub fn start(
        home: &Home,
        shell: Sh,
        rc: &str,
        cwd: &Path,
        extra: &[(&str, &str)],
    ) -> ShellSession {
        let tmux = require("tmux");
        let program = require(shell.program());
        let dir = tempfile::Builder::new()
            .prefix("awsenv-tmux-")
            .tempdir()
            .unwrap();
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
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        let argv: Vec<String> = match shell {
            Sh::Bash => vec![
                "--noprofile".into(),
                "--rcfile".into(),
                rc_path,
                "-i".into(),
            ],
            Sh::Zsh => {
                // zsh reads $ZDOTDIR/.zshrc.
                std::fs::copy(&rc_file, out.join(".zshrc")).unwrap();
                env.insert("ZDOTDIR".into(), out.display().to_string());
                vec!["-i".into()]
            }
            Sh::Fish => vec![
                "--no-config".into(),
                "--private".into(),
                "-i".into(),
                "-C".into(),
                format!("source {}", sh_quote(&rc_path).replace(r"'\''", r"\'")),
            ],
            Sh::Dash => panic!("dash has no hooks"),
        };
        let mut start = format!("cd {} && exec env -i", sh_quote(&cwd.display().to_string()));
        for (k, v) in &env {
            start.push_str(&format!(" {}", sh_quote(&format!("{k}={v}"))));
        }
        start.push_str(&format!(" {}", sh_quote(&program.display().to_string())));
        for a in &argv {
            start.push_str(&format!(" {}", sh_quote(a)));
        }
        std::fs::write(out.join("start.sh"), start).unwrap();
        std::fs::write(out.join("tmux.conf"), "set -g history-limit 50000\n").unwrap();
        let socket = out.join("sock");
        let status = Command::new(&tmux)
            .arg("-S")
            .arg(&socket)
            .arg("-f")
            .arg(out.join("tmux.conf"))
            .args(["new-session", "-d", "-x", "250", "-y", "50", "sh"])
            .arg(out.join("start.sh"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TERM", "screen")
            .status()
            .unwrap();
        assert!(status.success(), "tmux did not start");
        let t = ShellSession {
            shell,
            dir,
            socket,
            n: std::cell::Cell::new(0),
        };
        t.sync();
        t
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new(require("tmux"));
        c.arg("-S").arg(&self.socket);
        c
    }

    pub fn out_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Types `line` and Enter.
    pub fn type_line(&self, line: &str) {
        let ok = self
            .tmux()
            .args(["send-keys", "-t", "0", "-l", "--", line])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        self.keys(&["Enter"]);
    }

    /// Sends tmux key names (`Enter`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let ok = self
            .tmux()
            .args(["send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn next(&self) -> usize {
        self.n.set(self.n.get() + 1);
        self.n.get()
    }

    #[track_caller]
    fn wait_file(&self, path: &Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !path.exists() {
            if Instant::now() > deadline {
                panic!(
                    "{:?}: timed out waiting for {}; screen:\n{}",
                    self.shell,
                    path.display(),
                    self.pane()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many prompts the shell has shown.
    pub fn prompts(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("prompts"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Waits for a prompt after the `seen`-th one, then a moment for tmux to draw what came before.
    #[track_caller]
    fn wait_prompt(&self, seen: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.prompts() <= seen {
            if Instant::now() > deadline {
                panic!(
                    "{:?}: timed out waiting for a prompt; screen:\n{}",
                    self.shell,
                    self.pane()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
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

    /// Waits for the first prompt.
    #[track_caller]
    pub fn sync(&self) {
        self.wait_prompt(0);
    }

    /// `$?` (`$status` in fish) as the next command sees it.
    #[track_caller]
    pub fn status(&self) -> String {
        let n = self.next();
        self.run(&format!("__t_sync {n}"));
        let f = self.dir.path().join(format!("sync-{n}"));
        self.wait_file(&f);
        std::fs::read_to_string(f).unwrap().trim().to_string()
    }

    /// The shell's exported environment now.
    #[track_caller]
    pub fn env(&self) -> BTreeMap<String, String> {
        let n = self.next();
        self.run(&format!("__t_dump {n}"));
        let f = self.dir.path().join(format!("env-{n}"));
        self.wait_file(&f);
        parse_env0(&std::fs::read(f).unwrap())
    }

    /// Everything on the screen and in the scrollback, wrapped lines joined.
    pub fn pane(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-J", "-S", "-50000", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn count(&self, needle: &str) -> usize {
        self.pane().matches(needle).count()
    }

    /// Waits until the screen shows `needle`.
    #[track_caller]
    pub fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.pane().contains(needle) {
            if Instant::now() > deadline {
                panic!(
                    "{:?}: timed out waiting for {needle:?}; screen:\n{}",
                    self.shell,
                    self.pane()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ShellSession {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
