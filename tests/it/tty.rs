//! The MFA prompt as a person meets it: `eval "$(awsenv use p)"` typed in an interactive bash in
//! tmux, the code typed at the prompt that appears on the terminal (not in the eval'd output).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{self, Home, Term};

/// An interactive bash in tmux with only `home`'s environment.
fn bash(home: &Home) -> Term {
    Term::start(&["bash", "--noprofile", "--norc"], &home.env, home.path())
}

/// Types a line and presses Enter.
fn line(t: &Term, text: &str) {
    t.type_text(text);
    t.keys(&["Enter"]);
}

/// Waits until the screen shows `text`, and returns the screen.
#[track_caller]
fn wait_for(t: &Term, text: &str) -> String {
    t.wait_line(|l| l.contains(text));
    t.screen()
}

/// Waits (10 s) until the shell has written a whole line to `path`, and returns the file.
#[track_caller]
fn wait_file(t: &Term, path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if s.ends_with('\n') {
                return s;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no {}; screen:\n{}",
            path.display(),
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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
    line(&t, "PS1='$ '");
    line(&t, &format!("eval \"$('{bin}' use admin)\""));
    let screen = wait_for(
        &t,
        "MFA code for admin (arn:aws:iam::111111111111:mfa/alice):",
    );
    assert!(
        !screen.contains("export AWS"),
        "the script must not reach the terminal"
    );
    line(&t, "123456");
    let out = home.path().join("out1");
    line(
        &t,
        &format!(
            "echo \"$AWSENV_PROFILE $AWS_ACCESS_KEY_ID\" > '{}'",
            out.display()
        ),
    );
    let got = wait_file(&t, &out);
    assert!(got.starts_with("admin ASIA"), "{got}");
    assert!(
        !t.screen().contains("123456\n123456"),
        "the code is not echoed twice"
    );

    // Another role behind the same user: the MFA session is cached, no prompt.
    line(
        &t,
        &format!("eval \"$('{bin}' use admin2)\" && echo \"second-$((1+1)) $AWSENV_PROFILE\""),
    );
    let screen = wait_for(&t, "second-2 admin2");
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
    line(&t, "PS1='$ '");
    line(&t, &format!("eval \"$('{bin}' use user)\""));
    line(&t, &format!("eval \"$('{bin}' use admin)\""));
    wait_for(&t, "MFA code for admin");
    t.keys(&["C-c"]);
    let out = home.path().join("out");
    line(
        &t,
        &format!(
            "echo \"alive $AWSENV_PROFILE $AWS_ACCESS_KEY_ID\" > '{}'",
            out.display()
        ),
    );
    assert_eq!(wait_file(&t, &out), "alive user AKIAUSERTTYEXAMPLE01\n");
    // The terminal is usable: echo is back on (rpassword had turned it off).
    let stty = home.path().join("stty");
    line(
        &t,
        &format!(
            "stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo > '{}'",
            stty.display()
        ),
    );
    assert_eq!(wait_file(&t, &stty), "echo\n");
}
