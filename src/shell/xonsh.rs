//! xonsh: the script is xonsh code run by `execx`, in Python mode: `$NAME = '…'` sets and
//! exports, `del $NAME` removes.
//!
//! Each value is a Python string literal made of printable ASCII alone: `\` and `'` are escaped,
//! and every other character (control characters, newlines, anything beyond ASCII) is written as
//! `\xNN`, `\uNNNN` or `\UNNNNNNNN`. So the text xonsh parses is one plain line per variable, any
//! string comes back exactly, and nothing in it is read as xonsh syntax: `$()`, `@()`, `!()` and
//! backticks are only expanded in code, never inside a string literal.
//!
//! xonsh exports every environment variable. The shell's own variables (what the hook saved)
//! are environment variables that `awsenv init xonsh` registers with a detyper returning None,
//! which xonsh leaves out of a child's environment.

use std::fmt::Write as _;

use super::Change;

/// `value` as a single-quoted Python string literal of printable ASCII.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            ' '..='~' => out.push(ch),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('\'');
    out
}

/// The script applying `changes`, one line each.
pub fn script(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes {
        line(&mut out, change);
    }
    out
}

/// One change as a line of xonsh.
fn line(out: &mut String, change: &Change) {
    let name = change.name;
    let _ = match &change.value {
        Some(v) => writeln!(out, "${name} = {}", quote(v)),
        // `del` of a variable that is not set is an error: only what is there is removed.
        None => writeln!(out, "if '{name}' in ${{...}}: del ${name}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("AKIA"), "'AKIA'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote(r"it's \"), r"'it\'s \\'");
        assert_eq!(quote("a\nb\t\u{7f}"), r"'a\x0ab\x09\x7f'");
        assert_eq!(quote("é日😀"), r"'\xe9\u65e5\U0001f600'");
        assert_eq!(quote("$(x) @(y) !(z) `w` {}"), "'$(x) @(y) !(z) `w` {}'");
    }

    #[test]
    fn lines() {
        let mut out = String::new();
        line(&mut out, &Change::set("A", "x'"));
        line(&mut out, &Change::unset("B"));
        line(&mut out, &Change::set_local("__awsenv_saved", "{}"));
        assert_eq!(
            out,
            "$A = 'x\\''\nif 'B' in ${...}: del $B\n$__awsenv_saved = '{}'\n"
        );
    }
}
