//! Nushell. It cannot evaluate a string, so awsenv hands it data that its own code applies
//! (`__awsenv_apply` in `shell/awsenv.nu`): one JSON record
//! `{"set": {NAME: value}, "unset": [NAME], "local": {NAME: value}, "unset_local": [NAME]}`,
//! read with `from json` and applied with `load-env`/`hide-env`. JSON carries any string
//! (quotes, `$()`, newlines, escapes) as data, so nothing in a value can run.
//!
//! A "local" is kept by the shell as a one-item list in `$env`: nushell passes only text values
//! to the programs it starts, so a list stays in the shell.

use super::Change;

/// A nushell string literal that reads back as `value`: double quotes, in which only
/// backslash escapes mean something (interpolation needs `$"…"`); `\` and `"` are escaped and
/// control characters written as `\u{…}`, so the literal is one line.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        match ch {
            '\\' | '"' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The record applying `changes`; empty when there are none (a hook with nothing to do).
pub fn script(changes: &[Change]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let mut set = serde_json::Map::new();
    let mut unset = Vec::new();
    let mut local = serde_json::Map::new();
    let mut unset_local = Vec::new();
    for c in changes {
        let name = c.name.to_string();
        match (&c.value, c.exported) {
            (Some(v), true) => {
                set.insert(name, v.clone().into());
            }
            (None, true) => unset.push(serde_json::Value::from(name)),
            (Some(v), false) => {
                local.insert(name, v.clone().into());
            }
            (None, false) => unset_local.push(serde_json::Value::from(name)),
        }
    }
    let record = serde_json::json!({
        "set": set,
        "unset": unset,
        "local": local,
        "unset_local": unset_local,
    });
    format!("{record}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("/usr/bin/awsenv"), r#""/usr/bin/awsenv""#);
        assert_eq!(quote(r#"it's "x" \ $(y)"#), r#""it's \"x\" \\ $(y)""#);
        assert_eq!(quote("a\nb\u{1b}"), r#""a\u{a}b\u{1b}""#);
    }

    #[test]
    fn record() {
        let changes = [
            Change::unset("AWS_PROFILE"),
            Change::set("AWS_REGION", "x\"y\n"),
            Change::set_local("__awsenv_saved", "{}"),
        ];
        let v: serde_json::Value = serde_json::from_str(&script(&changes)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "set": {"AWS_REGION": "x\"y\n"},
                "unset": ["AWS_PROFILE"],
                "local": {"__awsenv_saved": "{}"},
                "unset_local": [],
            })
        );
        assert_eq!(script(&[]), "");
        assert_eq!(
            script(&[Change::unset_local("__awsenv_saved")])
                .lines()
                .count(),
            1
        );
    }
}
