//! Whether a browser started here could come back to a listener on this machine's 127.0.0.1.
//!
//! A loopback redirect (the PKCE callback, the console's one-time redirect) only works when the
//! browser runs on the same machine as awsenv. Over SSH, in a container, in CI, in Codespaces
//! or CloudShell, and in WSL (where the Windows browser does not reliably reach the Linux
//! side's loopback) the browser is elsewhere or absent; on Linux without a display nothing can
//! be started at all. The rules are those granted and aws-sso-cli use to fall back to the
//! device code by themselves.
//!
//! The answer is a pure function of an environment snapshot and a file-exists probe, so every
//! rule is table-tested without touching the machine.

use std::fmt;
use std::path::Path;

use super::env::{self, Env};

/// Why no browser here can take the redirect: the first rule that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `SSH_CONNECTION`, `SSH_CLIENT` or `SSH_TTY`: the browser is on the other end.
    Ssh(&'static str),
    /// `/.dockerenv` (Docker) or `/run/.containerenv` (Podman).
    Container(&'static str),
    /// `CI` set to anything but false/0: nobody is there to click.
    Ci,
    /// `CODESPACES=true`.
    Codespaces,
    /// `AWS_EXECUTION_ENV=CloudShell`.
    CloudShell,
    /// `WSL_DISTRO_NAME`, or the WSL interop file.
    Wsl(&'static str),
    /// Linux with neither `DISPLAY` nor `WAYLAND_DISPLAY` nor `BROWSER`.
    NoDisplay,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Ssh(var) => write!(f, "an SSH session ({var} is set)"),
            Reason::Container(file) => write!(f, "a container ({file} exists)"),
            Reason::Ci => write!(f, "CI (CI is set)"),
            Reason::Codespaces => write!(f, "GitHub Codespaces (CODESPACES is set)"),
            Reason::CloudShell => write!(f, "AWS CloudShell (AWS_EXECUTION_ENV=CloudShell)"),
            Reason::Wsl(what) => write!(f, "WSL ({what})"),
            Reason::NoDisplay => write!(
                f,
                "no display (neither DISPLAY nor WAYLAND_DISPLAY nor BROWSER is set)"
            ),
        }
    }
}

pub const DOCKERENV: &str = "/.dockerenv";
pub const CONTAINERENV: &str = "/run/.containerenv";
pub const WSL_INTEROP: &str = "/proc/sys/fs/binfmt_misc/WSLInterop";

/// The first rule saying no local browser can take a loopback redirect, or None when one can.
/// `exists` probes a file; `linux` says whether the display rule applies (macOS and Windows
/// always have a browser to start).
pub fn no_local_browser(env: &Env, exists: impl Fn(&Path) -> bool, linux: bool) -> Option<Reason> {
    for var in [env::SSH_CONNECTION, env::SSH_CLIENT, env::SSH_TTY] {
        if env.get(var).is_some() {
            return Some(Reason::Ssh(var));
        }
    }
    // GitHub Actions, GitLab, CircleCI, Travis… set CI=true; some set CI=1. "false" is a user
    // saying it is not CI.
    if env
        .get(env::CI)
        .is_some_and(|v| !v.eq_ignore_ascii_case("false") && v != "0")
    {
        return Some(Reason::Ci);
    }
    if env.is_true(env::CODESPACES) {
        return Some(Reason::Codespaces);
    }
    if env.get(env::AWS_EXECUTION_ENV) == Some("CloudShell") {
        return Some(Reason::CloudShell);
    }
    if env.get(env::WSL_DISTRO_NAME).is_some() {
        return Some(Reason::Wsl("WSL_DISTRO_NAME is set"));
    }
    // The files last: the variables name the more telling rule (CI inside a container is CI).
    for file in [DOCKERENV, CONTAINERENV] {
        if exists(Path::new(file)) {
            return Some(Reason::Container(file));
        }
    }
    if exists(Path::new(WSL_INTEROP)) {
        return Some(Reason::Wsl("WSLInterop exists"));
    }
    if linux
        && [env::DISPLAY, env::WAYLAND_DISPLAY, env::BROWSER]
            .iter()
            .all(|v| env.get(v).is_none())
    {
        return Some(Reason::NoDisplay);
    }
    None
}

/// The same question for this process, on this machine.
pub fn here(env: &Env) -> Option<Reason> {
    no_local_browser(env, |p| p.exists(), cfg!(target_os = "linux"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Variables set, files that exist, whether on Linux → the rule that matches.
    type Case<'a> = (
        &'a [(&'static str, &'a str)],
        &'a [&'a str],
        bool,
        Option<Reason>,
    );

    #[test]
    fn each_rule_and_their_order() {
        let desktop: &[(&'static str, &str)] = &[(env::DISPLAY, ":0")];
        let cases: &[Case] = &[
            // A Linux desktop, a Wayland one, a BROWSER without display: a browser can come back.
            (desktop, &[], true, None),
            (&[(env::WAYLAND_DISPLAY, "wayland-0")], &[], true, None),
            (&[(env::BROWSER, "firefox")], &[], true, None),
            // Linux with nothing: no display. Elsewhere (macOS, Windows): a browser.
            (&[], &[], true, Some(Reason::NoDisplay)),
            (&[], &[], false, None),
            // An empty variable counts as unset, as everywhere in awsenv.
            (&[(env::DISPLAY, "")], &[], true, Some(Reason::NoDisplay)),
            // SSH beats a display (X forwarding still puts the redirect on the far side's
            // browser only when the browser runs here; --no-device-code says so) and BROWSER.
            (
                &[
                    (env::SSH_CONNECTION, "10.0.0.1 5 10.0.0.2 22"),
                    (env::DISPLAY, ":0"),
                    (env::BROWSER, "x"),
                ],
                &[],
                true,
                Some(Reason::Ssh(env::SSH_CONNECTION)),
            ),
            (
                &[(env::SSH_CLIENT, "10.0.0.1 5 22")],
                &[],
                false,
                Some(Reason::Ssh(env::SSH_CLIENT)),
            ),
            (
                &[(env::SSH_TTY, "/dev/pts/3")],
                &[],
                false,
                Some(Reason::Ssh(env::SSH_TTY)),
            ),
            (
                desktop,
                &[DOCKERENV],
                true,
                Some(Reason::Container(DOCKERENV)),
            ),
            (
                desktop,
                &[CONTAINERENV],
                true,
                Some(Reason::Container(CONTAINERENV)),
            ),
            (&[(env::CI, "true")], &[], false, Some(Reason::Ci)),
            (&[(env::CI, "1")], &[], false, Some(Reason::Ci)),
            (&[(env::CI, "false")], &[], false, None),
            (&[(env::CI, "0")], &[], false, None),
            (
                &[(env::CODESPACES, "true")],
                &[],
                false,
                Some(Reason::Codespaces),
            ),
            (
                &[(env::AWS_EXECUTION_ENV, "CloudShell")],
                &[],
                false,
                Some(Reason::CloudShell),
            ),
            (
                &[(env::AWS_EXECUTION_ENV, "AWS_Lambda_python3.12")],
                &[],
                false,
                None,
            ),
            (
                &[(env::WSL_DISTRO_NAME, "Ubuntu"), (env::DISPLAY, ":0")],
                &[],
                true,
                Some(Reason::Wsl("WSL_DISTRO_NAME is set")),
            ),
            (
                desktop,
                &[WSL_INTEROP],
                true,
                Some(Reason::Wsl("WSLInterop exists")),
            ),
            // The first rule wins: SSH into a container in CI names SSH; CI in a container, CI.
            (
                &[(env::CI, "true"), (env::SSH_TTY, "/dev/pts/0")],
                &[DOCKERENV],
                true,
                Some(Reason::Ssh(env::SSH_TTY)),
            ),
            (
                &[(env::CI, "true")],
                &[CONTAINERENV],
                true,
                Some(Reason::Ci),
            ),
            (
                &[(env::CI, "false")],
                &[CONTAINERENV],
                true,
                Some(Reason::Container(CONTAINERENV)),
            ),
        ];
        for (vars, files, linux, want) in cases {
            let env = vars.iter().fold(Env::default(), |e, (k, v)| e.with(k, v));
            let got = no_local_browser(&env, |p| files.iter().any(|f| Path::new(f) == p), *linux);
            assert_eq!(got, *want, "{vars:?} {files:?} linux={linux}");
        }
    }

    #[test]
    fn reasons_name_the_rule() {
        assert_eq!(
            Reason::Ssh(env::SSH_CONNECTION).to_string(),
            "an SSH session (SSH_CONNECTION is set)"
        );
        assert_eq!(
            Reason::Container(DOCKERENV).to_string(),
            "a container (/.dockerenv exists)"
        );
    }
}
