//! xonsh and tcsh (issue 23), in the real shells: `use`, `unset` and `export` with hostile values
//! byte for byte and nothing run, tcsh's refusal of what it cannot hold, the calling shell
//! detected, the hook walk of `hooks.rs` under tmux, and completion.

use std::collections::BTreeMap;

use crate::hooks::{
    counting_wrapper, ctrl_c_at_mfa_with, hook_calls, process_calls, refresh_near_expiry_with,
    short_lived_home, walk_with,
};
use crate::support::xonsh_tcsh::{eval_in, quote, term, Xt};
use crate::support::{aws_vars, bin, Home, Sh};

const SHELLS: [Xt; 2] = [Xt::Xonsh, Xt::Tcsh];

/// What each shell must take literally: its own syntax (xonsh `@()`, `!()`, `$()`, backticks;
/// tcsh history `!`, `^`, `` ` ``, `{}`), quotes of every kind, controls and non-ASCII.
const SECRET: &str = "it's \"q\" $(touch pwned) `touch pwned2` @(touch('pwned6')) !(touch pwned7) \
                      ${HOME} $HOME !! !ls ^x^y %PATH% {a,b} [ab]* ~ \u{2018}c\u{2019} \
                      \\ \\! tab\there cr\r esc\u{1b}[31m é 日本 😀 ends\\";
const TOKEN: &str = "=ls '; touch pwned3; ' \"; touch pwned3; \" \\' \\\\";
const REGION: &str = "x'; touch pwned4; '";
const PROFILE: &str = "we'ird $(touch pwned5) !x ; name";

/// A home whose profile PROFILE gets `secret` and TOKEN from a credential_process (JSON carries
/// any string) and REGION from the config.
fn hostile_home(secret: &str) -> Home {
    let mut home = Home::new();
    home.with_awsenv_on_path();
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": "ASIAHOSTILE",
        "SecretAccessKey": secret,
        "SessionToken": TOKEN,
        "Expiration": "2099-01-01T00:00:00Z",
    });
    std::fs::write(home.path().join("creds.json"), json.to_string()).unwrap();
    home.script(
        "proc.sh",
        &format!(
            "#!/bin/sh\ncat '{}'\n",
            home.path().join("creds.json").display()
        ),
    );
    home.config(&format!(
        "[profile \"{PROFILE}\"]\ncredential_process = {p}\nregion = {REGION}\n\
         [profile plain]\ncredential_process = {p}\nregion = {REGION}\n",
        p = home.path().join("proc.sh").display()
    ));
    home
}

/// The secret for `shell`: tcsh cannot hold a line break (see `tcsh_refuses_a_line_break`).
fn secret(shell: Xt) -> String {
    match shell {
        Xt::Xonsh => format!("{SECRET}\nsecond line"),
        Xt::Tcsh => SECRET.to_string(),
    }
}

fn expected(secret: &str) -> BTreeMap<String, String> {
    [
        ("AWS_ACCESS_KEY_ID", "ASIAHOSTILE"),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", TOKEN),
        ("AWS_SECURITY_TOKEN", TOKEN),
        ("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z"),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWSENV_PROFILE", PROFILE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The `AWS*` variables awsenv manages, without the ones the harness sets.
fn ours(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut vars = aws_vars(env);
    vars.remove("AWS_EC2_METADATA_DISABLED");
    vars.remove("AWSENV_TEST_OUT");
    vars
}

#[track_caller]
fn no_files_created(home: &Home) {
    for f in [
        "pwned", "pwned2", "pwned3", "pwned4", "pwned5", "pwned6", "pwned7",
    ] {
        assert!(!home.path().join(f).exists(), "{f} was created: code ran");
    }
}

#[test]
fn hostile_values_are_exact_and_inert() {
    for sh in SHELLS {
        let secret = secret(sh);
        let home = hostile_home(&secret);
        let out = home.run(&["use", PROFILE, "--shell", sh.flag()]).success();
        let mut start = home.env.clone();
        start.insert("AWS_PROFILE".into(), "stale".into());
        let (env, run) = eval_in(sh, &out.stdout, &start, home.path());
        assert!(run.ok(), "{sh:?} failed: {}\n{}", run.stderr, out.stdout);
        assert_eq!(run.stderr, "", "{sh:?} printed errors");
        assert_eq!(ours(&env), expected(&secret), "{sh:?}");
        no_files_created(&home);

        // `unset` takes all of it away again.
        let unset = home.run(&["unset", "--shell", sh.flag()]).success();
        let (after, run) = eval_in(
            sh,
            &format!("{}{}", out.stdout, unset.stdout),
            &start,
            home.path(),
        );
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
        assert_eq!(ours(&after), BTreeMap::new(), "{sh:?}");

        // `export --format SHELL`: the keys alone, the same bytes.
        let exported = home
            .run(&["export", PROFILE, "--format", sh.flag()])
            .success();
        let (env, run) = eval_in(sh, &exported.stdout, &home.env, home.path());
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret, "{sh:?}");
        assert_eq!(env["AWS_SESSION_TOKEN"], TOKEN, "{sh:?}");
        no_files_created(&home);
    }
}

#[test]
fn the_checks_catch_broken_quoting() {
    // The same evaluation fails for a value quoted the naive way.
    let home = Home::new();
    let (env, _) = eval_in(Xt::Tcsh, "setenv A 'x!ls';", &home.env, home.path());
    assert_ne!(env.get("A").map(String::as_str), Some("x!ls"));
    let (env, _) = eval_in(Xt::Xonsh, "$A = 'a\nb'\n", &home.env, home.path());
    assert_ne!(env.get("A").map(String::as_str), Some("a\nb"));
}

#[test]
fn tcsh_refuses_a_line_break() {
    let home = hostile_home(&secret(Xt::Xonsh));
    let line = home
        .run(&["use", PROFILE, "--shell", "tcsh"])
        .clean_failure();
    assert!(
        line.contains(&format!("profile `{PROFILE}`"))
            && line.contains("AWS_SECRET_ACCESS_KEY holds a line break"),
        "{line}"
    );
    let line = home
        .run(&["export", PROFILE, "--format", "tcsh"])
        .clean_failure();
    assert!(
        line.contains(&format!("profile `{PROFILE}`"))
            && line.contains("AWS_SECRET_ACCESS_KEY holds a line break"),
        "{line}"
    );
    // The other shells still take it.
    home.run(&["use", PROFILE, "--shell", "xonsh"]).success();
}

/// `awsenv use` without `--shell`, from inside each shell: the parent process names it.
#[test]
fn the_calling_shell_is_detected() {
    for sh in SHELLS {
        let secret = secret(sh);
        let home = hostile_home(&secret);
        let line = sh.load_line("awsenv use plain");
        let script = match sh {
            Xt::Xonsh => format!("{line}\n"),
            Xt::Tcsh => format!("{line};"),
        };
        // The script runs `awsenv use` itself; SHELL names another shell.
        let mut start = home.env.clone();
        start.insert("SHELL".into(), "/bin/bash".into());
        let (env, run) = eval_in(sh, &script, &start, home.path());
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
        let mut want = expected(&secret);
        want.insert("AWSENV_PROFILE".into(), "plain".into());
        assert_eq!(ours(&env), want, "{sh:?}");
        no_files_created(&home);
    }
}

/// The rc text that loads the integration as the README says, then points it at the counting
/// wrapper.
fn rc(home: &Home, shell: Xt) -> String {
    let wrapper = counting_wrapper(home).display().to_string();
    let b = bin().display().to_string();
    match shell {
        // `execx` without globals runs the script in a namespace of its own: the wrapper goes
        // into the one the hook's functions see.
        Xt::Xonsh => format!(
            "execx($({} init xonsh))\n\
             for f in events.on_pre_prompt:\n    \
                 if f.__name__ == '_awsenv_hook': f.__globals__['_awsenv_bin'] = {}\n\n",
            quote(shell, &b),
            quote(shell, &wrapper)
        ),
        Xt::Tcsh => format!(
            "eval \"`{} init tcsh`\"\nset __awsenv_bin = {}\n",
            quote(shell, &b),
            quote(shell, &wrapper)
        ),
    }
}

#[test]
fn xonsh_walk() {
    walk_with(Sh::Bash, |home| {
        term(home, Xt::Xonsh, &rc(home, Xt::Xonsh), home.path())
    });
}

#[test]
fn tcsh_walk() {
    walk_with(Sh::Bash, |home| {
        term(home, Xt::Tcsh, &rc(home, Xt::Tcsh), home.path())
    });
}

#[test]
fn xonsh_refreshes_near_expiry() {
    refresh_near_expiry_with(Sh::Bash, |home| {
        term(home, Xt::Xonsh, &rc(home, Xt::Xonsh), home.path())
    });
}

/// tcsh has no clock, but `sched`: loading short-lived credentials schedules the reset of the
/// hook's directory; prompts before it start nothing, and the first prompt after it refreshes.
/// (That tcsh runs the entry at its time is tcsh's; waiting for it would take two minutes, so
/// the test runs the scheduled command itself, after the refresh time.)
#[test]
fn tcsh_schedules_the_refresh() {
    let home = short_lived_home();
    let t = term(&home, Xt::Tcsh, &rc(&home, Xt::Tcsh), home.path());
    t.run("cd w/short");
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT1");
    let sched = |n: usize| {
        t.run(&format!("sched > $AWSENV_TEST_OUT/sched-{n}"));
        let list = std::fs::read_to_string(t.out_dir().join(format!("sched-{n}"))).unwrap();
        list.lines()
            .filter(|l| l.contains("\tset __awsenv_pwd ="))
            .count()
    };
    assert_eq!(sched(1), 1);
    // Past the refresh time (3 s): plain prompts still start nothing.
    t.run("sleep 4");
    t.enter();
    assert_eq!(process_calls(&home), 1);
    // What the entry runs when it comes due: the next prompt refreshes, and schedules again.
    t.run("set __awsenv_pwd = ''");
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT2");
    assert_eq!(process_calls(&home), 2);
    assert_eq!(
        t.count("awsenv: refreshed short (expires "),
        1,
        "{}",
        t.screen()
    );
    assert_eq!(sched(2), 2);
}

#[test]
fn xonsh_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa_with(
        Sh::Bash,
        |home| term(home, Xt::Xonsh, &rc(home, Xt::Xonsh), home.path()),
        true,
    );
}

#[test]
fn tcsh_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa_with(
        Sh::Bash,
        |home| term(home, Xt::Tcsh, &rc(home, Xt::Tcsh), home.path()),
        false,
    );
}

/// In the interactive shell: a profile tcsh cannot hold is refused with the message and the
/// environment is left as it was; `use` and `unset` change the shell; TAB completes a profile.
#[test]
fn interactive_use_unset_refusal_and_completion() {
    for sh in SHELLS {
        let mut home = hostile_home(&secret(Xt::Xonsh));
        home.with_awsenv_on_path();
        home.credentials("[mine]\naws_access_key_id = AKIAMINE\naws_secret_access_key = s\n[production-eu]\naws_access_key_id = AKIAPROD\naws_secret_access_key = p\n[my profile]\naws_access_key_id = AKIAMY\naws_secret_access_key = m\n");
        // Loaded twice: the hook is still installed once.
        let t = term(&home, sh, &(rc(&home, sh) + &rc(&home, sh)), home.path());
        t.run("awsenv use mine");
        let before = aws_vars(&t.env());
        assert_eq!(before["AWS_ACCESS_KEY_ID"], "AKIAMINE", "{sh:?}");
        let calls = hook_calls(&t);
        for _ in 0..3 {
            t.run("echo x");
        }
        assert_eq!(
            hook_calls(&t),
            calls,
            "{sh:?}: a prompt without a cd called the program"
        );
        // A directory change does call it (through the counting wrapper).
        t.run("cd ..");
        t.run("cd -");
        assert_eq!(hook_calls(&t), calls + 2, "{sh:?}");

        // A plain name: the hostile one goes through the scripts above (typed at a tcsh prompt,
        // its `\!` between `'\''`-joined quotes is read as history once more by the alias).
        t.run("awsenv use plain");
        match sh {
            Xt::Tcsh => {
                assert_eq!(t.status(), "1");
                assert!(
                    t.screen()
                        .contains("AWS_SECRET_ACCESS_KEY holds a line break"),
                    "{}",
                    t.screen()
                );
                assert_eq!(aws_vars(&t.env()), before);
            }
            Xt::Xonsh => {
                assert_eq!(t.env()["AWS_SECRET_ACCESS_KEY"], secret(Xt::Xonsh));
            }
        }
        // Every other subcommand is the program itself, also in a pipe.
        t.run("awsenv list | grep -c production > $AWSENV_TEST_OUT/piped");
        let piped = std::fs::read_to_string(t.out_dir().join("piped")).unwrap();
        assert_eq!(piped, "1\n", "{sh:?}: {}", t.screen());
        // What is typed after `awsenv use` reaches awsenv as it is, and runs nothing.
        t.run("awsenv use '`touch pwned`'");
        assert!(
            t.screen()
                .contains("awsenv: profile ``touch pwned`` is not in"),
            "{sh:?}: {}",
            t.screen()
        );
        t.run("awsenv unset");
        assert_eq!(ours(&t.env()), BTreeMap::new(), "{sh:?}");
        no_files_created(&home);

        // TAB after `use pro` completes the one profile that starts so.
        t.type_text("awsenv use produ");
        t.keys(&["Tab"]);
        t.wait_for("awsenv use production-eu");
        t.keys(&["C-u"]);
        if sh == Xt::Xonsh {
            // A name with a blank goes in as one quoted argument.
            t.type_text("awsenv use my");
            t.keys(&["Tab"]);
            t.wait_for("awsenv use 'my profile'");
            t.enter();
            assert_eq!(t.env()["AWSENV_PROFILE"], "my profile");
        }
        let pane = t.screen();
        assert!(
            !pane.contains("Traceback") && !pane.contains("rror"),
            "{sh:?}: {pane}"
        );
    }
}

#[test]
fn the_init_scripts_load_cleanly() {
    for sh in SHELLS {
        let home = Home::new();
        let init = home.run(&["init", sh.flag()]).success().stdout;
        let (_, run) = eval_in(sh, &init, &home.env, home.path());
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
        let completion = home.run(&["completions", sh.flag()]).success().stdout;
        let (_, run) = eval_in(sh, &completion, &home.env, home.path());
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
    }
}

#[test]
fn completion_answers() {
    let mut home = Home::new();
    home.credentials("[prod]\naws_access_key_id = A\naws_secret_access_key = s\n[my profile]\naws_access_key_id = A\naws_secret_access_key = s\n");
    // tcsh: the line comes in COMMAND_LINE; a name with a blank cannot be offered.
    home.set("COMMAND_LINE", "awsenv use ");
    home.set("_AWSENV_COMPLETE", "tcsh");
    let out = home.run(&["--", "tcsh"]).success().stdout;
    assert_eq!(out, "prod\n");
    home.set("COMMAND_LINE", "awsenv u");
    let out = home.run(&["--", "tcsh"]).success().stdout;
    assert!(
        out.lines().any(|l| l == "use") && out.lines().any(|l| l == "unset"),
        "{out}"
    );
    // xonsh: the words, then the prefix; `value<TAB>help` lines.
    home.set("_AWSENV_COMPLETE", "xonsh");
    let out = home.run(&["--", "awsenv", "use", "my"]).success().stdout;
    assert_eq!(out, "my profile\n");
}

/// Second audit N9: `awsenv --debug use PROFILE` at the prompt goes through the integration
/// (the flag passed on, the subcommand the word after it): the profile is loaded, the debug
/// lines are on the screen, and no secret is.
#[test]
fn debug_before_the_subcommand_loads_through_the_integration() {
    const SECRET: &str = "DEBUG-SECRET-never-on-screen";
    for sh in SHELLS {
        let mut home = Home::new();
        home.with_awsenv_on_path();
        home.credentials(&format!(
            "[prod]\naws_access_key_id = AKIAPRODDEBUG0000001\naws_secret_access_key = {SECRET}\n"
        ));
        let t = term(&home, sh, &rc(&home, sh), home.path());
        t.run("awsenv --debug use prod");
        let env = t.env();
        let screen = t.screen();
        assert_eq!(
            env.get("AWSENV_PROFILE").map(String::as_str),
            Some("prod"),
            "{sh:?}: {screen}"
        );
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], SECRET, "{sh:?}");
        assert!(screen.contains("awsenv: debug:"), "{sh:?}: {screen}");
        assert!(!screen.contains(SECRET), "{sh:?}: {screen}");
        // And out again; any other subcommand gets the flag too.
        t.run("awsenv --debug unset");
        t.run("awsenv --debug list");
        let env = t.env();
        assert!(!env.contains_key("AWS_SECRET_ACCESS_KEY"), "{sh:?}");
        let screen = t.screen();
        assert!(!screen.contains(SECRET), "{sh:?}: {screen}");
        assert!(screen.contains("prod"), "{sh:?}: {screen}");
    }
}
