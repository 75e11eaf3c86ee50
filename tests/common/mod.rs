//! Shared test support: an isolated HOME per test, the built binary, a real moto_server on
//! 127.0.0.1 as STS/IAM, the AWS CLI as oracle, and real shells to evaluate scripts.
//!
//! Nothing here skips: a missing component panics with the command that installs it
//! (`bash tests/setup.sh`), so CI can never pass by not testing.
#![allow(dead_code)]
// The moto watchdog is detached on purpose (it outlives a panicking test to kill the server).
#![allow(clippy::zombie_processes)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_awsenv"))
}

/// A program from the test venv (moto_server, aws, awsume, python).
pub fn venv_bin(name: &str) -> PathBuf {
    let p = repo().join(".venv-test/bin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run `bash tests/setup.sh`",
        p.display()
    );
    p
}

/// A system program the tests need (bash, zsh, fish, tmux…), or a panic saying how to get it.
pub fn require(program: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(program);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{program}` is not installed: run `bash tests/setup.sh`");
}

// ---------------------------------------------------------------------------------------------
// moto_server

pub struct Moto {
    pub url: String,
    server: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http(port: u16, method: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf)
}

impl Moto {
    /// Starts a moto_server; `env` is passed to it (e.g. INITIAL_NO_AUTH_ACTION_COUNT).
    /// A watchdog shell kills the server when this test process exits, even on a panic.
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let port = free_port();
        let mut cmd = Command::new(venv_bin("moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let server = cmd.spawn().expect("start moto_server");
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill {child} 2>/dev/null",
                parent = std::process::id(),
                child = server.id()
            ))
            .stdin(Stdio::null())
            .spawn()
            .expect("start the moto watchdog");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if http(port, "GET", "/moto-api/").is_some_and(|r| r.contains(" 200 ")) {
                return Moto {
                    url: format!("http://127.0.0.1:{port}"),
                    server,
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {port}");
    }

    /// The server shared by all tests of one test binary (moto's STS keeps no state we rely on).
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(|| Moto::start(&[]))
    }

    /// Stops the server: anything that still calls it fails to connect.
    pub fn stop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// An isolated user: HOME with ~/.aws, caches, and a clean environment.

pub struct Home {
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Home {
        let dir = tempfile::Builder::new()
            .prefix("awsenv-test-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        let mut env = BTreeMap::new();
        let h = dir.path().display().to_string();
        env.insert("HOME".into(), h.clone());
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("XDG_CACHE_HOME".into(), format!("{h}/.cache"));
        env.insert("XDG_CONFIG_HOME".into(), format!("{h}/.config"));
        env.insert("XDG_DATA_HOME".into(), format!("{h}/.local/share"));
        env.insert("LANG".into(), "C.UTF-8".into());
        env.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        Home { dir, env }
    }

    /// A HOME whose STS is the shared moto_server.
    pub fn with_moto() -> Home {
        let mut h = Home::new();
        h.set("AWS_ENDPOINT_URL_STS", &Moto::shared().url);
        h
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.into(), v.into());
        self
    }

    pub fn config(&self, text: &str) -> &Self {
        std::fs::write(self.path().join(".aws/config"), text).unwrap();
        self
    }

    pub fn credentials(&self, text: &str) -> &Self {
        std::fs::write(self.path().join(".aws/credentials"), text).unwrap();
        self
    }

    /// Writes an executable file under HOME and returns its path.
    pub fn script(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        p
    }

    /// `awsenv ARGS` with only this home's environment, no stdin, and no controlling terminal
    /// (`setsid`), so an MFA prompt fails instead of waiting.
    pub fn awsenv(&self, args: &[&str]) -> Command {
        let mut c = Command::new(require("setsid"));
        c.arg(bin()).args(args);
        self.isolate(&mut c);
        c
    }

    /// Applies this home's environment (and nothing else) to `cmd`.
    pub fn isolate(&self, cmd: &mut Command) {
        cmd.env_clear()
            .envs(&self.env)
            .current_dir(self.path())
            .stdin(Stdio::null());
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.awsenv(args).output().unwrap())
    }

    /// The ARN the AWS CLI sees for `env` (exported credentials) against moto.
    pub fn identity_of(&self, exported: &BTreeMap<String, String>) -> String {
        let mut c = Command::new(venv_bin("aws"));
        c.args([
            "sts",
            "get-caller-identity",
            "--output",
            "text",
            "--query",
            "Arn",
        ]);
        self.isolate(&mut c);
        // Only the exported variables: no profile, so the CLI must use them.
        for k in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            if let Some(v) = exported.get(k) {
                c.env(k, v);
            }
        }
        c.env("AWS_DEFAULT_REGION", "us-east-1");
        c.env("AWS_CONFIG_FILE", "/nonexistent");
        c.env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        let out = Run::from(c.output().unwrap());
        assert!(
            out.ok(),
            "aws sts get-caller-identity failed: {}",
            out.stderr
        );
        out.stdout.trim().to_string()
    }

    /// The ARN the AWS CLI itself resolves for `--profile profile` (the oracle).
    pub fn cli_identity(&self, profile: &str, stdin: Option<&str>) -> Run {
        let mut c = Command::new(venv_bin("aws"));
        c.args([
            "sts",
            "get-caller-identity",
            "--output",
            "text",
            "--query",
            "Arn",
            "--profile",
            profile,
        ]);
        self.isolate(&mut c);
        c.env("AWS_DEFAULT_REGION", "us-east-1");
        run_with_stdin(c, stdin)
    }
}

pub fn run_with_stdin(mut c: Command, stdin: Option<&str>) -> Run {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let input = stdin.unwrap_or("").to_string();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run::from(out)
}

/// The outcome of a command.
#[derive(Debug)]
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn ok(&self) -> bool {
        self.status.success()
    }

    #[track_caller]
    pub fn success(self) -> Run {
        assert!(
            self.ok(),
            "expected success, got {:?}\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Rule 1 of the brief: on error, nothing on stdout, one line on stderr, non-zero exit.
    #[track_caller]
    pub fn clean_failure(self) -> String {
        assert!(
            !self.ok(),
            "expected failure, got success\nstdout: {}",
            self.stdout
        );
        assert_eq!(self.stdout, "", "stdout must stay empty on error");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "stderr must be one line, got:\n{}",
            self.stderr
        );
        assert!(lines[0].starts_with("awsenv: "), "{}", lines[0]);
        lines[0].to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Real shells

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sh {
    Bash,
    Zsh,
    Fish,
    Dash,
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
        }
    }

    pub fn program(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
            Sh::Dash => "dash",
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
    let mut env = BTreeMap::new();
    for item in out.stdout.split(|b| *b == 0).filter(|s| !s.is_empty()) {
        let item = String::from_utf8_lossy(item);
        if let Some((k, v)) = item.split_once('=') {
            env.insert(k.to_string(), v.to_string());
        }
    }
    (env, run)
}

/// The `AWS_*`/`AWSENV_*` part of an environment.
pub fn aws_vars(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .filter(|(k, _)| k.starts_with("AWS"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The IAM Identity Center portal stand-in (tests/fixtures/sso_portal.py).

/// The IAM Identity Center portal stand-in, accepting `tokens` as valid access tokens.
pub fn sso_portal(tokens: &[&str]) -> Fixture {
    Fixture::start("sso_portal.py", tokens)
}

/// Writes the AWS CLI's SSO token cache file for `key` (sso-session name or legacy start URL).
pub fn write_sso_token(home: &Home, key: &str, token: &str, expires_at: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg("printf %s \"$1\" | sha1sum | cut -c1-40")
        .arg("sh")
        .arg(key)
        .output()
        .unwrap();
    let name = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let dir = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let json = format!(
        r#"{{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "{token}", "expiresAt": "{expires_at}"}}"#
    );
    std::fs::write(dir.join(format!("{name}.json")), json).unwrap();
}

// ---------------------------------------------------------------------------------------------
// login / sso login: local stand-ins for the federation endpoint and IAM Identity Center OIDC.

/// A Python stand-in from tests/fixtures that prints its port once listening.
pub struct Fixture {
    pub url: String,
    child: Child,
}

impl Fixture {
    pub fn start(script: &str, args: &[&str]) -> Fixture {
        use std::io::BufRead;
        let mut child = Command::new(venv_bin("python"))
            .arg(repo().join("tests/fixtures").join(script))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {script}: {e}"));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{script} did not print its port"));
        Fixture {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stand-in that logs each request it gets as a JSON line in a file (its first argument).
pub struct LoggedFixture {
    pub fixture: Fixture,
    log: tempfile::NamedTempFile,
}

impl LoggedFixture {
    pub fn start(script: &str, args: &[&str]) -> LoggedFixture {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut all = vec![log.path().to_str().unwrap()];
        all.extend_from_slice(args);
        LoggedFixture {
            fixture: Fixture::start(script, &all),
            log,
        }
    }

    pub fn url(&self) -> &str {
        &self.fixture.url
    }

    /// Every request so far, as the stand-in logged it.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.log.path())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// tests/fixtures/federation.py: getSigninToken requests are logged as
/// `{"query": {...}, "problem": null | "..."}`; `rejected` session ids are refused.
pub type FederationEndpoint = LoggedFixture;

pub fn federation_endpoint(rejected: &[&str]) -> FederationEndpoint {
    LoggedFixture::start("federation.py", rejected)
}

/// The query of a URL as a map, percent-decoded (parsed with Python's urllib, not our code).
pub fn parse_url(url: &str) -> BTreeMap<String, String> {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import json,sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); q=u.parse_qs(p.query, strict_parsing=True); assert all(len(v)==1 for v in q.values()); d={k:v[0] for k,v in q.items()}; d['.scheme']=p.scheme; d['.netloc']=p.netloc; d['.path']=p.path; print(json.dumps(d))",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not a URL: {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// tests/fixtures/sso_oidc.py, handing out `tokens` as access tokens in order; requests are
/// logged as `{"path": "/token", "body": {...}}`.
pub type OidcEndpoint = LoggedFixture;

pub fn oidc_endpoint(tokens: &[&str]) -> OidcEndpoint {
    LoggedFixture::start("sso_oidc.py", tokens)
}

/// `~/.aws/sso/cache/<name>.json` where name is Python's `hashlib.sha1(text).hexdigest()`.
pub fn sso_cache_file(home: &Home, python_expr: &str) -> PathBuf {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            &format!(
                "import hashlib, json; print(hashlib.sha1(({python_expr}).encode()).hexdigest())"
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = String::from_utf8(out.stdout).unwrap().trim().to_string();
    home.path().join(format!(".aws/sso/cache/{name}.json"))
}

// ---------------------------------------------------------------------------------------------
// Completion: awsenv on PATH for the shims, and interactive shells driven through tmux.

impl Home {
    /// Puts the built `awsenv` first on this home's PATH: the completion scripts call it by name.
    pub fn with_awsenv_on_path(&mut self) -> &mut Self {
        let dir = bin().parent().unwrap().display().to_string();
        let path = format!("{dir}:{}", self.env["PATH"]);
        self.set("PATH", &path)
    }
}

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

// ---------------------------------------------------------------------------------------------
// Interactive shells under tmux, driven as a person would (shell hooks, issue 3).

/// Quotes `s` for a POSIX shell.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
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
        let bytes = std::fs::read(f).unwrap();
        let mut env = BTreeMap::new();
        for item in bytes.split(|b| *b == 0).filter(|s| !s.is_empty()) {
            let item = String::from_utf8_lossy(item);
            if let Some((k, v)) = item.split_once('=') {
                env.insert(k.to_string(), v.to_string());
            }
        }
        env
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

/// The `AWS*`/`__AWSENV*` part of an environment: everything awsenv and its hook can touch.
pub fn awsenv_vars(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .filter(|(k, _)| k.starts_with("AWS") || k.starts_with("__AWSENV"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// keyring (issue 4): a private D-Bus session bus with gnome-keyring's Secret Service, so tests
// need no desktop. Only the processes given `bus_env` see it.

pub struct SecretService {
    pub address: String,
    dir: tempfile::TempDir,
    dbus: Child,
    keyring: Option<Child>,
}

/// Kills `pid` once this test process is gone, even after a panic.
fn watchdog(pid: u32) {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill {pid} 2>/dev/null",
            parent = std::process::id()
        ))
        .stdin(Stdio::null())
        .spawn()
        .expect("start a watchdog");
}

impl SecretService {
    /// A bus with gnome-keyring-daemon serving an unlocked `login` keyring.
    pub fn start() -> SecretService {
        let mut s = SecretService::bus_only();
        s.start_keyring(Some("test-login-password"));
        s
    }

    /// A bus with gnome-keyring-daemon but no unlocked keyring: storing needs a prompt, which
    /// cannot be shown without a display.
    pub fn start_locked() -> SecretService {
        let mut s = SecretService::bus_only();
        s.start_keyring(None);
        s
    }

    /// A session bus with no Secret Service on it.
    pub fn bus_only() -> SecretService {
        use std::io::BufRead;
        let dir = tempfile::Builder::new()
            .prefix("awsenv-dbus-")
            .tempdir()
            .unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let socket = dir.path().join("bus");
        let mut dbus = Command::new(require("dbus-daemon"))
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        watchdog(dbus.id());
        let mut address = String::new();
        std::io::BufReader::new(dbus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        SecretService {
            address,
            dir,
            dbus,
            keyring: None,
        }
    }

    fn start_keyring(&mut self, password: Option<&str>) {
        require("secret-tool");
        let mut c = Command::new(require("gnome-keyring-daemon"));
        c.arg("--foreground").arg("--components=secrets");
        if password.is_some() {
            c.arg("--unlock");
        }
        self.bus_env(&mut c);
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        watchdog(child.id());
        // The password on stdin, then end of file.
        let mut stdin = child.stdin.take().unwrap();
        if let Some(p) = password {
            stdin.write_all(p.as_bytes()).unwrap();
        }
        drop(stdin);
        self.keyring = Some(child);
        // Ready when it owns the Secret Service name on the bus.
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let mut probe = Command::new(require("dbus-send"));
            probe.args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ]);
            self.bus_env(&mut probe);
            let out = probe.output().unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("gnome-keyring-daemon did not take org.freedesktop.secrets on the test bus");
    }

    /// Points `cmd` at this bus (and at this keyring's private files).
    pub fn bus_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    /// Lets awsenv runs of `home` use this Secret Service.
    pub fn connect(&self, home: &mut Home) {
        home.set("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    /// `secret-tool ARGS` on this bus: a second opinion on what the keyring holds.
    pub fn secret_tool(&self, args: &[&str]) -> Run {
        let mut c = Command::new(require("secret-tool"));
        c.args(args);
        self.bus_env(&mut c);
        Run::from(c.stdin(Stdio::null()).output().unwrap())
    }

    /// The secret the keyring holds for awsenv's item `user` (`keys:PROFILE`, `session:…`).
    pub fn lookup(&self, user: &str) -> Option<String> {
        let r = self.secret_tool(&["lookup", "service", "awsenv", "username", user]);
        r.ok().then_some(r.stdout)
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(k) = self.keyring.as_mut() {
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}

/// An HTTP proxy on 127.0.0.1 in front of moto that records the AWS action of every request
/// (`Action=…` in the query-protocol body) and answers `400 InjectedFault` instead of forwarding
/// to every request for `fail_action` after the first `pass` of them: a failure in the middle.
pub struct FaultProxy {
    pub url: String,
    actions: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FaultProxy {
    pub fn start(upstream: &str, fail_action: &str, pass: usize) -> FaultProxy {
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let actions = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&actions);
        let fail_action = fail_action.to_string();
        std::thread::spawn(move || {
            let mut matched = 0usize;
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let Some((head, body)) = read_request(&mut conn) else {
                    continue;
                };
                let body_text = String::from_utf8_lossy(&body).into_owned();
                let action = body_text
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("Action="))
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap().push(action.clone());
                if action == fail_action {
                    matched += 1;
                    if matched > pass {
                        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>InjectedFault</Code><Message>injected by the test proxy</Message></Error><RequestId>1</RequestId></ErrorResponse>";
                        let _ = write!(conn, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}", xml.len());
                        continue;
                    }
                }
                let Ok(mut up) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let head: String = head
                    .lines()
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .map(|l| format!("{l}\r\n"))
                    .collect();
                let _ = up.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes());
                let _ = up.write_all(&body);
                let mut response = Vec::new();
                let _ = up.read_to_end(&mut response);
                let _ = conn.write_all(&response);
            }
        });
        FaultProxy { url, actions }
    }

    /// The actions seen so far, in order.
    pub fn actions(&self) -> Vec<String> {
        self.actions.lock().unwrap().clone()
    }
}

/// One request: its head (without the blank line) and its Content-Length body.
fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf[..buf.len() - 4]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).ok()?;
    Some((head, body))
}
