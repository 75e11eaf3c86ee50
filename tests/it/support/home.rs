//! An isolated user: a temporary HOME with ~/.aws, caches and a clean environment, the built
//! binary run in it, the outcome of a run, and the AWS CLI asked the same questions as the oracle.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{require, venv_bin, Moto};

/// The awsenv binary under test: the one Cargo built for these tests, or the build that
/// `AWSENV_TEST_BIN` names (`tests/run.sh` runs tests against the musl build that way).
pub fn bin() -> PathBuf {
    match std::env::var_os("AWSENV_TEST_BIN") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_BIN_EXE_awsenv")),
    }
}

/// A user of its own: `dir` is HOME, `env` the whole environment of everything run for it.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
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

    /// Puts the built `awsenv` first on this home's PATH: the completion scripts call it by name.
    pub fn with_awsenv_on_path(&mut self) -> &mut Self {
        let dir = bin().parent().unwrap().display().to_string();
        let path = format!("{dir}:{}", self.env["PATH"]);
        self.set("PATH", &path)
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
