//! The MFA prompt as a person meets it: `eval "$(awsenv use p)"` typed in an interactive bash in
//! tmux, the code typed at the prompt that appears on the terminal (not in the eval'd output).

use crate::support::{self, Home, Term};

/// An interactive bash in tmux with only `home`'s environment.
fn bash(home: &Home) -> Term {
    Term::start(&["bash", "--noprofile", "--norc"], &home.env, home.path())
}

const CONFIG: &str = "\
[profile user]
region = eu-west-1
[profile admin]
role_arn = arn:aws:iam::555555555555:role/admin
source_profile = user
mfa_serial = arn:aws:iam::111111111111:mfa/alice
role_session_name = alice
[profile admin2]
role_arn = arn:aws:iam::666666666666:role/admin
source_profile = user
mfa_serial = arn:aws:iam::111111111111:mfa/alice
role_session_name = alice
";
const KEYS: &str =
    "[user]\naws_access_key_id = AKIAUSERTTYEXAMPLE01\naws_secret_access_key = ttysecret\n";

#[test]
fn mfa_code_is_asked_on_the_terminal_once() {
    let home = Home::with_moto();
    home.config(CONFIG).credentials(KEYS);
    let bin = support::bin().display().to_string();
    let t = bash(&home);
    t.type_line("PS1='$ '");
    t.type_line(&format!("eval \"$('{bin}' use admin)\""));
    let screen = t.wait_for("MFA code for admin (arn:aws:iam::111111111111:mfa/alice):");
    assert!(
        !screen.contains("export AWS"),
        "the script must not reach the terminal"
    );
    t.type_line("123456");
    let out = home.path().join("out1");
    t.type_line(&format!(
        "echo \"$AWSENV_PROFILE $AWS_ACCESS_KEY_ID\" > '{}'",
        out.display()
    ));
    let got = t.wait_file(&out);
    assert!(got.starts_with("admin ASIA"), "{got}");
    assert!(
        !t.screen().contains("123456\n123456"),
        "the code is not echoed twice"
    );

    // Another role behind the same user: the MFA session is cached, no prompt.
    t.type_line(&format!(
        "eval \"$('{bin}' use admin2)\" && echo \"second-$((1+1)) $AWSENV_PROFILE\""
    ));
    let screen = t.wait_for("second-2 admin2");
    // What the second command printed (the screen keeps the first one above it).
    let after = &screen[screen.rfind("use admin2").unwrap()..];
    assert!(!after.contains("MFA code"), "asked again:\n{screen}");
}

#[test]
fn ctrl_c_at_the_prompt_leaves_the_shell_as_it_was() {
    let home = Home::with_moto();
    home.config(CONFIG).credentials(KEYS);
    let bin = support::bin().display().to_string();
    let t = bash(&home);
    t.type_line("PS1='$ '");
    t.type_line(&format!("eval \"$('{bin}' use user)\""));
    t.type_line(&format!("eval \"$('{bin}' use admin)\""));
    t.wait_for("MFA code for admin");
    t.keys(&["C-c"]);
    let out = home.path().join("out");
    t.type_line(&format!(
        "echo \"alive $AWSENV_PROFILE $AWS_ACCESS_KEY_ID\" > '{}'",
        out.display()
    ));
    assert_eq!(t.wait_file(&out), "alive user AKIAUSERTTYEXAMPLE01\n");
    // The terminal is usable: echo is back on (rpassword had turned it off).
    let stty = home.path().join("stty");
    t.type_line(&format!(
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo > '{}'",
        stty.display()
    ));
    assert_eq!(t.wait_file(&stty), "echo\n");
}
