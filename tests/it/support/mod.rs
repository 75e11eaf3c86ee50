//! Shared test support, one job per module: an isolated HOME that runs the built binary
//! ([`home`]), a real moto_server on 127.0.0.1 as STS/IAM ([`moto`]), real shells to evaluate
//! scripts ([`shells`]), interactive terminals in tmux ([`tmux`]), a Secret Service on a private
//! D-Bus ([`keyring`]), and the local stand-ins for AWS endpoints ([`standins`]). This module
//! finds the repository and the programs they all use, and keeps servers from outliving the
//! test process.
//!
//! Nothing here skips: a missing component panics with the command that installs it
//! (`bash tests/setup.sh`), so CI can never pass by not testing.

pub mod clock;
pub mod home;
pub mod keyring;
pub mod moto;
pub mod shells;
pub mod standins;
pub mod tmux;
pub mod wine;
pub mod xonsh_tcsh;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use clock::Clock;
pub use home::{bin, run_with_stdin, Home, Run};
pub use keyring::SecretService;
pub use moto::Moto;
pub use shells::{aws_vars, awsenv_vars, eval_in, parse_env0, sh_quote, Sh};
pub use standins::{
    federation_endpoint, oidc_endpoint, parse_url, signin_session, sso_cache_file, sso_portal,
    write_sso_token, Fault, FaultProxy, FederationEndpoint, Fixture, OidcEndpoint,
};
pub use tmux::Term;

/// The repository: the scripts, completions, fixtures and pages the tests check.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// Kills `pid` once this test process is gone, even after a panic.
#[expect(
    clippy::zombie_processes,
    reason = "detached on purpose: it must outlive a panicking test to kill the server"
)]
pub fn watchdog(pid: u32) {
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
