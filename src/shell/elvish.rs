//! Elvish: `set-env NAME '…'` and `unset-env NAME`. In elvish's single-quoted strings the only
//! escape is `''` for a `'`; everything else, newlines included, is the string itself, so
//! `$`, `(…)`, backticks and `\` are inert.
//!
//! A "local" (a variable of the shell that children never see) is `set NAME = '…'`: the
//! integration (`shell/awsenv.elv`) evaluates the script in a namespace holding that variable.

use std::fmt::Write as _;

use super::Change;

pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

pub fn script(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let name = c.name;
        let _ = match (&c.value, c.exported) {
            (Some(v), true) => writeln!(out, "set-env {name} {}", quote(v)),
            (None, true) => writeln!(out, "unset-env {name}"),
            (Some(v), false) => writeln!(out, "set {name} = {}", quote(v)),
            (None, false) => writeln!(out, "set {name} = ''"),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_script() {
        assert_eq!(quote("it's\n$(x) `y` \\"), "'it''s\n$(x) `y` \\'");
        assert_eq!(
            script(&[
                Change::unset("AWS_PROFILE"),
                Change::set("AWS_REGION", "x'y"),
                Change::set_local("__awsenv_saved", "{}"),
                Change::unset_local("__awsenv_saved"),
            ]),
            "unset-env AWS_PROFILE\nset-env AWS_REGION 'x''y'\nset __awsenv_saved = '{}'\nset __awsenv_saved = ''\n"
        );
    }
}
