//! nushell and elvish (issue 23): `use`, `unset` and `export` applied by the real shells the way
//! users load them, with hostile values. nushell applies awsenv's JSON record through the
//! integration's `__awsenv_apply` (it cannot evaluate text); elvish evaluates `set-env` lines.
//! The hooks are walked interactively in hooks.rs; completion is asked below.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::shells::{expected, hostile_home, no_files_created, HOSTILE_PROFILE};
use crate::support::{parse_env0, Home, Run, Sh};

/// A region from the command line with what means something to nushell or elvish: `(…)` runs
/// a command in both, `^` forces an external in nushell, `{…}` is a block, `@(…)`/`$@` spread,
/// `%`/`!` for cmd.exe habits, a newline and a terminal escape.
const HOSTILE_ARG: &str =
    "^(touch pwned6) {touch pwned7} @(touch pwned8) $@x %PATH% !x `touch pwned9`\n\u{1b}[31mred\u{1b}[0m \"q\" 'q' \\";

/// Runs `body` in non-interactive nushell after sourcing `awsenv init nu` (saved to a file, as
/// the README says), with `P` and `R` in the environment; returns the environment at the end.
fn nu(
    home: &Home,
    body: &str,
    start: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Run) {
    let init = home.path().join(".awsenv.nu");
    std::fs::write(&init, home.run(&["init", "nu"]).success().stdout).unwrap();
    let out = home.path().join("env.out");
    let script = format!(
        "source {:?}\n{body}\n^env -0 | save -f {:?}\n",
        init.display().to_string(),
        out.display().to_string()
    );
    let mut c = Command::new(Sh::Nu.path());
    c.args(["--no-config-file", "-c", &script]);
    run(home, c, start, &out)
}

/// Runs `body` in non-interactive elvish; `SCRIPT` names a file of awsenv's output.
fn elvish(
    home: &Home,
    body: &str,
    start: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Run) {
    let out = home.path().join("env.out");
    let script = format!("{body}\nenv -0 > $E:OUT\n");
    let mut c = Command::new(Sh::Elvish.path());
    c.args(["-norc", "-c", &script]);
    run(home, c, start, &out)
}

fn run(
    home: &Home,
    mut c: Command,
    start: &BTreeMap<String, String>,
    out: &Path,
) -> (BTreeMap<String, String>, Run) {
    let _ = std::fs::remove_file(out);
    home.isolate(&mut c);
    c.envs(start).env("OUT", out);
    let run = Run::from(c.output().unwrap());
    let env = std::fs::read(out)
        .map(|b| parse_env0(&b))
        .unwrap_or_default();
    (env, run)
}

fn start(home: &Home) -> BTreeMap<String, String> {
    let mut s = home.env.clone();
    s.insert("AWS_PROFILE".into(), "stale".into());
    s.insert("P".into(), HOSTILE_PROFILE.into());
    s.insert("R".into(), HOSTILE_ARG.into());
    s
}

#[track_caller]
fn check(shell: &str, env: &BTreeMap<String, String>, run: &Run, region: &str) {
    assert!(
        run.ok(),
        "{shell}: {:?} {}{}",
        run.status,
        run.stdout,
        run.stderr
    );
    assert_eq!(run.stderr, "", "{shell} printed errors");
    for (k, v) in expected() {
        let v = if k.ends_with("REGION") { region } else { v };
        assert_eq!(env.get(k).map(String::as_str), Some(v), "{shell}: {k}");
    }
    assert!(
        !env.contains_key("AWS_PROFILE"),
        "{shell}: a stale AWS_PROFILE is removed"
    );
}

fn no_hostile_files(home: &Home) {
    no_files_created(home);
    for f in ["pwned6", "pwned7", "pwned8", "pwned9"] {
        assert!(!home.path().join(f).exists(), "{f} was created: code ran");
    }
}

#[test]
fn nu_use_and_unset_keep_hostile_values_exact_and_inert() {
    let home = hostile_home();
    let s = start(&home);
    let (env, run) = nu(&home, "awsenv use $env.P", &s);
    check("nu", &env, &run, crate::shells::HOSTILE_REGION);
    let (env, run) = nu(&home, "awsenv use $env.P --region $env.R", &s);
    check("nu", &env, &run, HOSTILE_ARG);
    // The saved/refresh locals are lists, which nushell never hands to programs.
    let (env, run) = nu(&home, "awsenv use $env.P; awsenv unset", &s);
    assert!(run.ok() && run.stderr.is_empty(), "{}", run.stderr);
    for k in expected().keys() {
        assert!(!env.contains_key(*k), "nu: {k} survived unset");
    }
    assert_eq!(env.get("P").map(String::as_str), Some(HOSTILE_PROFILE));
    // The credentials alone, as a record for load-env.
    let (env, run) = nu(
        &home,
        "^$__awsenv_bin export $env.P --format nu | from json | load-env",
        &s,
    );
    assert!(run.ok() && run.stderr.is_empty(), "{}", run.stderr);
    assert_eq!(
        env["AWS_SECRET_ACCESS_KEY"],
        expected()["AWS_SECRET_ACCESS_KEY"]
    );
    assert_eq!(env["AWS_SESSION_TOKEN"], expected()["AWS_SESSION_TOKEN"]);
    no_hostile_files(&home);
}

#[test]
fn nu_use_failure_changes_nothing_and_says_why() {
    let home = hostile_home();
    let (env, run) = nu(
        &home,
        "awsenv use nosuch; print $env.LAST_EXIT_CODE",
        &start(&home),
    );
    assert!(run.stderr.contains("nosuch"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "1");
    assert_eq!(env["AWS_PROFILE"], "stale");
    assert!(!env.contains_key("AWS_ACCESS_KEY_ID"));
}

#[test]
fn elvish_use_unset_and_export_keep_hostile_values_exact_and_inert() {
    let home = hostile_home();
    let s = start(&home);
    let b = home.path().join("out.elv");
    let save = |args: &[&str]| {
        let out = home.run(args).success();
        std::fs::write(&b, out.stdout).unwrap();
    };
    // The README's way without the integration: eval (awsenv use P --shell elvish | slurp).
    let body = "eval (slurp < $E:SCRIPT)";
    let mut with_script = s.clone();
    with_script.insert("SCRIPT".into(), b.display().to_string());
    save(&["use", HOSTILE_PROFILE, "--shell", "elvish"]);
    let (env, run) = elvish(&home, body, &with_script);
    check("elvish", &env, &run, crate::shells::HOSTILE_REGION);
    save(&[
        "use",
        HOSTILE_PROFILE,
        "--shell",
        "elvish",
        "--region",
        HOSTILE_ARG,
    ]);
    let (env, run) = elvish(&home, body, &with_script);
    check("elvish", &env, &run, HOSTILE_ARG);
    // A newline inside single quotes is part of the value, not the end of the command.
    assert!(std::fs::read_to_string(&b).unwrap().contains("31mred"));

    let used = home
        .run(&["use", HOSTILE_PROFILE, "--shell", "elvish"])
        .success();
    let unset = home.run(&["unset", "--shell", "elvish"]).success();
    std::fs::write(&b, format!("{}{}", used.stdout, unset.stdout)).unwrap();
    let (env, run) = elvish(&home, body, &with_script);
    assert!(run.ok() && run.stderr.is_empty(), "{}", run.stderr);
    for k in expected().keys() {
        assert!(!env.contains_key(*k), "elvish: {k} survived unset");
    }

    save(&["export", HOSTILE_PROFILE, "--format", "elvish"]);
    let (env, run) = elvish(&home, body, &with_script);
    assert!(run.ok() && run.stderr.is_empty(), "{}", run.stderr);
    assert_eq!(
        env["AWS_SECRET_ACCESS_KEY"],
        expected()["AWS_SECRET_ACCESS_KEY"]
    );
    assert_eq!(env["AWS_SESSION_TOKEN"], expected()["AWS_SESSION_TOKEN"]);
    no_hostile_files(&home);
}

#[test]
fn the_shells_are_detected_from_the_parent_process() {
    let home = hostile_home();
    let s = start(&home);
    // No --shell: awsenv's parent is the shell itself.
    let (env, run) = nu(&home, "__awsenv_apply (^$__awsenv_bin use $env.P)", &s);
    check("nu", &env, &run, crate::shells::HOSTILE_REGION);
    let (env, run) = elvish(&home, "eval (e:awsenv use $E:P | slurp)", &{
        let mut s = s.clone();
        let dir = crate::support::bin()
            .parent()
            .unwrap()
            .display()
            .to_string();
        s.insert("PATH".into(), format!("{dir}:/usr/bin:/bin"));
        s
    });
    check("elvish", &env, &run, crate::shells::HOSTILE_REGION);
    no_hostile_files(&home);
}

// ---------------------------------------------------------------------------------------------
// Completion, typed at a real prompt: the integration's one line sets it up.

/// A home whose profile names need quoting in both shells, with awsenv on PATH (the shims call
/// it by name) and the init text at hand for `rc`.
fn completion_home() -> Home {
    let mut home = Home::new();
    home.with_awsenv_on_path();
    home.credentials(
        "[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = s\n\
         [my prof $(touch pwned) (touch pwned2)]\naws_access_key_id = AKIAMY\naws_secret_access_key = s\n",
    );
    home
}

const MY_PROF: &str = "my prof $(touch pwned) (touch pwned2)";

fn rc(home: &Home, shell: Sh) -> String {
    let file = home.path().join(format!(".awsenv.{}", shell.flag()));
    std::fs::write(&file, home.run(&["init", shell.flag()]).success().stdout).unwrap();
    match shell {
        Sh::Nu => format!("source {:?}\n", file.display().to_string()),
        _ => format!("eval (slurp < '{}')\n", file.display()),
    }
}

fn completes(shell: Sh) {
    let home = completion_home();
    let t = crate::support::Term::shell(&home, shell, &rc(&home, shell), home.path());
    // A single candidate is inserted at once; elvish may stay in its completion mode over it,
    // where Enter takes it.
    let settle = |t: &crate::support::Term| {
        std::thread::sleep(std::time::Duration::from_millis(200));
        if shell == Sh::Elvish && t.screen().contains("COMPLETING") {
            t.keys(&["Enter"]);
        }
    };
    // A subcommand…
    t.type_text("awsenv uns");
    t.keys(&["Tab"]);
    t.wait_line(|l| l.trim_end().ends_with("awsenv unset"));
    settle(&t);
    t.keys(&["C-u"]);
    // …a flag…
    t.type_text("awsenv use --reg");
    t.keys(&["Tab"]);
    t.wait_line(|l| l.trim_end().ends_with("awsenv use --region"));
    settle(&t);
    t.keys(&["C-u"]);
    // …and a profile name that needs quoting, inserted so that it arrives whole and inert.
    t.type_text("awsenv use my");
    t.keys(&["Tab"]);
    t.wait_line(|l| l.contains("awsenv use ") && l.contains("my prof $(touch pwned)"));
    settle(&t);
    t.run("");
    let env = t.env();
    assert_eq!(
        env.get("AWSENV_PROFILE").map(String::as_str),
        Some(MY_PROF),
        "{}",
        t.screen()
    );
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAMY");
    for f in ["pwned", "pwned2"] {
        assert!(!home.path().join(f).exists(), "{f}: code ran");
    }
}

#[test]
fn nu_completes_subcommands_flags_and_profiles() {
    completes(Sh::Nu);
}

#[test]
fn elvish_completes_subcommands_flags_and_profiles() {
    completes(Sh::Elvish);
}

/// The committed `completions/awsenv.nu` on its own (without the integration): nushell loads
/// it, and its completer returns what awsenv answers, quoted for nushell.
#[test]
fn nu_completion_script_alone_loads_and_answers() {
    let home = completion_home();
    let file = crate::support::repo().join("completions/awsenv.nu");
    let script = format!(
        "source {:?}\n\
         print (__awsenv_complete [awsenv use my] | to json -r)\n\
         print (__awsenv_complete [awsenv use --sh] | get value | to json -r)\n\
         print (scope commands | where name == awsenv | get type | to json -r)",
        file.display().to_string()
    );
    let mut c = Command::new(Sh::Nu.path());
    c.args(["--no-config-file", "-c", &script]);
    home.isolate(&mut c);
    let r = Run::from(c.output().unwrap());
    assert!(r.ok() && r.stderr.is_empty(), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        first,
        serde_json::json!([{"value": format!("\"{MY_PROF}\"")}])
    );
    assert_eq!(lines[1], r#"["--shell"]"#);
    assert_eq!(lines[2], r#"["external"]"#);
    assert!(!home.path().join("pwned").exists());
}

/// Second audit N9: `awsenv --debug use PROFILE` at the prompt goes through the integration
/// (the flag passed on, the subcommand the word after it): the profile is loaded, the debug
/// lines are on the screen, and no secret is.
#[test]
fn debug_before_the_subcommand_loads_through_the_integration() {
    const SECRET: &str = "DEBUG-SECRET-never-on-screen";
    for shell in [Sh::Nu, Sh::Elvish] {
        let mut home = Home::new();
        home.with_awsenv_on_path();
        home.credentials(&format!(
            "[prod]\naws_access_key_id = AKIAPRODDEBUG0000001\naws_secret_access_key = {SECRET}\n"
        ));
        let t = crate::support::Term::shell(&home, shell, &rc(&home, shell), home.path());
        t.run("awsenv --debug use prod");
        let env = t.env();
        let screen = t.screen();
        assert_eq!(
            env.get("AWSENV_PROFILE").map(String::as_str),
            Some("prod"),
            "{shell:?}: {screen}"
        );
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], SECRET, "{shell:?}");
        assert!(screen.contains("awsenv: debug:"), "{shell:?}: {screen}");
        assert!(!screen.contains(SECRET), "{shell:?}: {screen}");
        // And out again.
        t.run("awsenv --debug unset");
        let env = t.env();
        assert!(!env.contains_key("AWS_SECRET_ACCESS_KEY"), "{shell:?}");
        assert!(!t.screen().contains(SECRET), "{shell:?}");
    }
}
