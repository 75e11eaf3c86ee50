//! The per-shell credential server of `awsenv use --server`.
//!
//! `use` resolves the profile (asking for an MFA code on its terminal), then starts
//! `awsenv serve` detached in a session of its own (no controlling terminal: it can never ask),
//! hands it the credentials on a pipe, and reads back the endpoint and token on another — never
//! in argv. The server writes a secret-free state file `servers/<pid>.json` in awsenv's cache
//! directory for `status`, polls the shell's pid each second and ends when the shell is gone.
//! The next `use` or `unset` in that shell stops it (after checking that the pid is still that
//! server, by its start time, so a reused pid is never signalled, and that it serves this
//! shell): stopped, it refuses every request but keeps its port until the shell ends.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::context::Context;
use crate::creds::cache::SessionKind;
use crate::creds::{Credentials, Secret};
use crate::engine::{self, Options};
use crate::os::env::{self, Env};
use crate::shell::vars;

/// What the server tells `use` on its stdout once it listens.
#[derive(Serialize, Deserialize)]
pub struct Hello {
    pub uri: String,
    pub token: Secret,
}

/// The state file: everything `status` shows, no secret.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct State {
    pub pid: u32,
    /// The server's start time in clock ticks since boot (Linux), to tell a reused pid.
    pub started: Option<u64>,
    pub shell_pid: u32,
    /// The shell's start time, as `started` (a reused pid is not that shell).
    #[serde(default)]
    pub shell_started: Option<u64>,
    pub profile: String,
    pub uri: String,
    /// When the cached MFA session it renews roles from ends (None: no MFA session).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub mfa_until: Option<OffsetDateTime>,
}

fn dir(env: &Env) -> Result<PathBuf> {
    Ok(crate::os::dirs::cache(env)
        .map_err(anyhow::Error::msg)?
        .join("servers"))
}

fn state_path(env: &Env, pid: u32) -> Result<PathBuf> {
    Ok(dir(env)?.join(format!("{pid}.json")))
}

/// The state of the server `pid`, if it is still that server and alive.
pub fn running(env: &Env, pid: u32) -> Option<State> {
    let bytes = std::fs::read(state_path(env, pid).ok()?).ok()?;
    let state: State = serde_json::from_slice(&bytes).ok()?;
    (state.pid == pid && alive(pid, state.started)).then_some(state)
}

/// Stops the server `pid` (the one `AWSENV_SERVER` names) if it is still running and serves
/// the calling shell. `AWSENV_SERVER` is exported, so a child of the shell (a script's
/// `eval "$(awsenv use …)"`, a nested shell's `unset`) names the same server: only the shell
/// that started it, by pid and start time, may end it.
pub fn stop(env: &Env, pid: u32) {
    let Some(state) = running(env, pid) else {
        if let Ok(p) = state_path(env, pid) {
            let _ = std::fs::remove_file(p);
        }
        return;
    };
    let caller = parent_pid();
    if state.shell_pid != caller || !alive(caller, state.shell_started) {
        crate::os::log::debug!(
            "not stopping server {pid}: it serves the shell {}",
            state.shell_pid
        );
        return;
    }
    retire(pid);
    if let Ok(p) = state_path(env, pid) {
        let _ = std::fs::remove_file(p);
    }
}

/// Starts a server for `profile` that serves `creds` and its renewals to the shell `shell_pid`.
pub fn start(
    profile: &str,
    opts: &Options,
    creds: &Credentials,
    shell_pid: u32,
    env_keys: bool,
) -> Result<(u32, Hello)> {
    if cfg!(not(unix)) {
        bail!("a per-shell credential server needs a Unix system here; use `awsenv exec PROFILE --server`");
    }
    let exe = std::env::current_exe().context("cannot find the awsenv binary")?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--profile", profile, "--shell-pid"])
        .arg(shell_pid.to_string());
    if let Some(r) = &opts.region {
        cmd.args(["--region", r]);
    }
    if let Some(d) = opts.duration {
        cmd.args(["--duration", &d.as_secs().to_string()]);
    }
    if opts.no_cache {
        cmd.arg("--no-cache");
    }
    // The server lives as long as the shell: it keeps no secret of the shell's beyond what it
    // serves (the previous profile's keys, the hook's saved values, another server's token).
    // Keys stay only where the profile's own plan reads them (`credential_source = Environment`).
    for name in secret_vars(env_keys) {
        cmd.env_remove(name);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe; a session of its own leaves the server without
        // a controlling terminal (it never prompts) and out of the shell's job control.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().context("cannot start the credential server")?;
    let pid = child.id();
    let mut stdin = child.stdin.take().context("no pipe to the server")?;
    stdin.write_all(serde_json::to_string(creds)?.as_bytes())?;
    drop(stdin);
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no pipe from the server")?).read_line(&mut line)?;
    match serde_json::from_str::<Hello>(&line) {
        Ok(hello) => Ok((pid, hello)),
        Err(_) => {
            let _ = child.wait();
            match line.trim().strip_prefix("error: ") {
                Some(e) => bail!("the credential server did not start: {e}"),
                None => bail!("the credential server did not start"),
            }
        }
    }
}

/// The variables that hold a secret of the shell's, which the server must not inherit.
fn secret_vars(env_keys: bool) -> impl Iterator<Item = &'static str> {
    let keys: &[&str] = if env_keys { &[] } else { vars::KEYS };
    keys.iter()
        .chain(vars::SERVER_VARS)
        .chain(vars::CONTAINER_OVERRIDES)
        .chain(vars::HOOK_VARS)
        .chain([&env::HOOK_SAVED])
        .copied()
}

/// The server side: runs in `awsenv serve`, never returns.
pub fn serve(ctx: &Context, profile: &str, opts: Options, shell_pid: u32) -> Result<()> {
    let hello_or_error = (|| -> Result<_> {
        let mut input = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
        let creds: Credentials =
            serde_json::from_str(&input).map_err(|_| anyhow!("bad credentials on stdin"))?;
        let margin = super::margin(ctx)?;
        let server = super::Server::bind()?;
        let pid = std::process::id();
        let state = State {
            pid,
            started: start_time(pid),
            shell_pid,
            shell_started: start_time(shell_pid),
            profile: profile.to_string(),
            uri: server.uri(),
            mfa_until: mfa_until(ctx, profile, &opts),
        };
        crate::os::private_file::create_dir(&dir(&ctx.env)?)?;
        write_state(&ctx.env, &state)?;
        Ok((server, state, creds, margin))
    })();
    let mut out = std::io::stdout();
    let (server, state, creds, margin) = match hello_or_error {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(
                out,
                "error: {}",
                crate::os::text::one_line(&format!("{e:#}"))
            );
            std::process::exit(1);
        }
    };
    let hello = Hello {
        uri: server.uri(),
        token: server.token().clone(),
    };
    // serde_json writes the token through Secret's transparent serialisation.
    writeln!(out, "{}", serde_json::to_string(&hello)?)?;
    out.flush()?;
    close_stdout();

    // Stopped by its shell (`use`, `unset`: SIGUSR1, or its state file removed), the server
    // retires: it refuses everything but keeps its port while the shell lives, since the shell's
    // children still hold the endpoint and token (see `super::retire`). It ends with the shell.
    on_retire_signal();
    let env = ctx.env.clone();
    let watched = (shell_pid, start_time(shell_pid));
    let own = state.pid;
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        if !alive(watched.0, watched.1) {
            if let Ok(p) = state_path(&env, own) {
                let _ = std::fs::remove_file(p);
            }
            std::process::exit(0);
        }
        if !state_path(&env, own).is_ok_and(|p| p.exists()) {
            super::retire();
        }
    });

    let advice = format!(
        "run `awsenv use {profile} --server` in that shell to sign in again (or give the profile an mfa_process)"
    );
    let mut provider = super::Provider::new(ctx, profile, opts.clone(), margin, creds)
        .with_advice(advice)
        .on_refresh(|ctx| {
            let mut s = state.clone();
            s.mfa_until = mfa_until(ctx, profile, &opts);
            let _ = write_state(&ctx.env, &s);
        });
    server.serve(&mut provider);
    Ok(())
}

fn write_state(env: &Env, s: &State) -> Result<()> {
    let path = state_path(env, s.pid)?;
    crate::os::private_file::write(&path, serde_json::to_string(s)?.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// When the cached MFA session of `profile`'s plan ends.
fn mfa_until(ctx: &Context, profile: &str, opts: &Options) -> Option<OffsetDateTime> {
    let plan = engine::plan(ctx, profile, opts).ok()?;
    let owner = &plan.mfa_session?.mfa.profile;
    ctx.session_cache()
        .ok()?
        .entries()
        .into_iter()
        .filter(|e| e.kind == SessionKind::MfaSession && &e.profile == owner)
        .filter_map(|e| e.credentials.expiration)
        .max()
}

fn close_stdout() {
    #[cfg(unix)]
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        // SAFETY: replacing fd 1 with /dev/null, so `$(awsenv use …)` sees end of file.
        unsafe { libc::dup2(null.as_raw_fd(), 1) };
    }
}

/// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

/// The process that started this one: for `use` and the hook, the shell (`$(awsenv use …)`
/// runs awsenv in the shell's child, which bash, zsh and fish replace with awsenv).
#[cfg(unix)]
pub fn parent_pid() -> u32 {
    // SAFETY: getppid cannot fail.
    unsafe { libc::getppid() as u32 }
}

/// Asks the server `pid` to retire (SIGUSR1).
#[cfg(unix)]
fn retire(pid: u32) {
    // SAFETY: signalling a process the caller checked is our server.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGUSR1) };
}

#[cfg(unix)]
fn on_retire_signal() {
    extern "C" fn handler(_: libc::c_int) {
        super::retire();
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGUSR1, handler as *const () as libc::sighandler_t) };
}

#[cfg(not(unix))]
fn on_retire_signal() {}

#[cfg(unix)]
fn exists(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let sent = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    sent || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

// Elsewhere the per-shell server is not supported yet: it cannot find or watch its shell.
#[cfg(not(unix))]
pub fn parent_pid() -> u32 {
    0
}

#[cfg(not(unix))]
fn retire(_pid: u32) {}

#[cfg(not(unix))]
fn exists(_pid: u32) -> bool {
    false
}

/// True when `pid` exists and, where known, started at `started`.
fn alive(pid: u32, started: Option<u64>) -> bool {
    if !exists(pid) {
        return false;
    }
    match (started, start_time(pid)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}
