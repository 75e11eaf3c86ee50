//! tcsh (and csh): `setenv NAME '…'`, `unsetenv NAME`, and `set`/`unset` for the shell's own
//! variables.
//!
//! Inside single quotes tcsh takes every character as it is but two: `!` still starts a history
//! substitution unless written `\!` (in an rc file, at the prompt and inside `eval` alike), and a
//! newline ends the command. A `'` closes the quotes, so it is written `'\''`. Every other byte,
//! backslashes and control characters included, arrives as it is (checked in the real tcsh for
//! every character from U+0001 to U+00FF).
//!
//! A newline cannot be carried at all: the integration reads awsenv's output through
//! `` eval "`…`" ``, where command substitution turns each newline into a word break. So a value
//! with one is refused ([`check`]) rather than set to something else. For the same reason every
//! command ends with `;`: the whole script reaches `eval` as one line.

use std::fmt::Write as _;

use anyhow::{bail, Result};

use std::time::{SystemTime, UNIX_EPOCH};

use super::Change;
use crate::os::env;

/// A value tcsh can hold, or the reason it cannot.
pub fn check(name: &str, value: &str) -> Result<()> {
    if value.contains(['\n', '\0']) {
        bail!(
            "{name} holds a line break, which tcsh cannot take in a variable; \
             use `awsenv exec` or another shell for this profile"
        );
    }
    Ok(())
}

/// `text` without its comment lines and blank lines: for tcsh scripts that reach `eval` as one
/// line, where `#` starts no comment.
pub fn without_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .flat_map(|l| [l, "\n"])
        .collect()
}

/// `value` in single quotes, `'` and `!` escaped. Callers [`check`] first.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\'' => out.push_str(r"'\''"),
            '!' => out.push_str(r"\!"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The script applying `changes`, or an error naming the first value tcsh cannot hold.
pub fn script(changes: &[Change]) -> Result<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut out = String::new();
    for change in changes {
        if let Some(v) = &change.value {
            check(change.name, v)?;
        }
        line(&mut out, change);
        if let (env::HOOK_REFRESH_AT, Some(at)) = (change.name, &change.value) {
            schedule(&mut out, at, now);
        }
    }
    Ok(out)
}

/// tcsh has no clock to compare `__AWSENV_REFRESH_AT` with at a prompt, but it has `sched`: after
/// the refresh time the shell forgets the directory the hook last saw (`__awsenv_pwd`, in
/// `shell/awsenv.tcsh`), so the next prompt calls the hook, which refreshes. Only that: a
/// scheduled command may run while the shell waits for input, where an MFA prompt would be out
/// of place. An entry left from an earlier refresh time costs one call of the hook, which then
/// finds nothing to do.
///
/// `sched +H:MM` counts from the start of the current minute (scheduled at 12:51:23, `+0:01`
/// runs at 12:52:00), so one minute more than the wait rounded up: it runs after the refresh
/// time, at most two minutes after.
fn schedule(out: &mut String, at: &str, now: i64) {
    let Ok(at) = at.parse::<i64>() else {
        return;
    };
    let minutes = ((at - now).max(0) + 59) / 60 + 1;
    let _ = writeln!(
        out,
        "sched +{}:{:02} set __awsenv_pwd = '';",
        minutes / 60,
        minutes % 60
    );
}

/// One change as a tcsh command.
fn line(out: &mut String, change: &Change) {
    let name = change.name;
    let _ = match (&change.value, change.exported) {
        (Some(v), true) => writeln!(out, "setenv {name} {};", quote(v)),
        (None, true) => writeln!(out, "unsetenv {name};"),
        // `set` makes a variable of the shell alone; `unset` of one that is not set is silent.
        (Some(v), false) => writeln!(out, "set {name} = {};", quote(v)),
        (None, false) => writeln!(out, "unset {name};"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("AKIA"), "'AKIA'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("!ls"), r"'\!ls'");
        assert_eq!(quote(r"a\!b"), r"'a\\!b'");
        assert_eq!(quote("$(x) `y` ^ %"), "'$(x) `y` ^ %'");
        assert_eq!(quote(r"end\"), r"'end\'");
    }

    #[test]
    fn newlines_are_refused() {
        assert!(check("A", "x\ny").is_err());
        assert!(check("A", "x\ty\r").is_ok());
        let msg = check("AWS_SECRET_ACCESS_KEY", "\n")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("AWS_SECRET_ACCESS_KEY") && msg.contains("tcsh"),
            "{msg}"
        );
    }

    #[test]
    fn scripts_refuse_what_tcsh_cannot_hold() {
        let err = script(&[Change::set("A", "ok"), Change::set("B", "x\ny")]).unwrap_err();
        assert!(err.to_string().starts_with("B holds a line break"), "{err}");
    }

    #[test]
    fn a_refresh_time_is_scheduled_in_whole_minutes() {
        let mut out = String::new();
        schedule(&mut out, "1000", 997);
        schedule(&mut out, "1000", 1000 - 3 * 3600 - 61);
        schedule(&mut out, "1000", 2000);
        schedule(&mut out, "nope", 0);
        assert_eq!(
            out,
            "sched +0:02 set __awsenv_pwd = '';\n\
             sched +3:03 set __awsenv_pwd = '';\n\
             sched +0:01 set __awsenv_pwd = '';\n"
        );
    }

    #[test]
    fn lines() {
        let mut out = String::new();
        for c in [
            Change::set("A", "x!"),
            Change::unset("B"),
            Change::set_local("c", "{'d'}"),
            Change::unset_local("c"),
        ] {
            line(&mut out, &c);
        }
        assert_eq!(
            out,
            "setenv A 'x\\!';\nunsetenv B;\nset c = '{'\\''d'\\''}';\nunset c;\n"
        );
    }
}
