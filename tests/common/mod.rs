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
    match shell {
        Sh::Bash => c.args([
            "--noprofile",
            "--norc",
            "-e",
            "-u",
            "-o",
            "pipefail",
            "-c",
            r#"eval "$(cat "$1")"; env -0"#,
            "bash",
            &f,
        ]),
        Sh::Zsh => c.args([
            "--no-rcs",
            "-e",
            "-u",
            "-c",
            r#"eval "$(cat "$1")"; env -0"#,
            "zsh",
            &f,
        ]),
        Sh::Dash => c.args([
            "-e",
            "-u",
            "-c",
            r#"eval "$(cat "$1")"; env -0"#,
            "dash",
            &f,
        ]),
        Sh::Fish => c.args([
            "--no-config",
            "--private",
            "-c",
            "cat $argv[1] | source; or exit 99; env -0",
            &f,
        ]),
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

pub struct SsoPortal {
    pub url: String,
    child: Child,
}

impl SsoPortal {
    /// Starts the stand-in, accepting `tokens` as valid access tokens.
    pub fn start(tokens: &[&str]) -> SsoPortal {
        use std::io::BufRead;
        let mut child = Command::new(venv_bin("python"))
            .arg(repo().join("tests/fixtures/sso_portal.py"))
            .args(tokens)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SSO portal stand-in");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("the stand-in prints its port");
        SsoPortal {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

impl Drop for SsoPortal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
