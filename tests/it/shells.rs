//! Scripts from `use`, `unset` and `export` evaluated in the real shells, with hostile values:
//! quotes, `$()`, backticks, newlines, `;`, backslashes, curly quotes and unicode must come out
//! as plain data, and nothing may run.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::{self, eval_in, venv_bin, Home, Run, Sh};

/// Values that break naive quoting in at least one shell.
const HOSTILE_SECRET: &str = "it's $(touch pwned) `touch pwned2`; echo hi\nsecond line \u{2018}curly\u{2019} \\ ${HOME} !! %PATH% é 日本 ending\\";
const HOSTILE_TOKEN: &str = "\"double\" '; touch pwned3; ' \t tab \u{201B}\u{201A}\\'\\\\";
pub(crate) const HOSTILE_REGION: &str = "x'; touch pwned4; '";
pub(crate) const HOSTILE_PROFILE: &str = "we'ird $(touch pwned5) ; name";

/// A HOME whose profile `HOSTILE_PROFILE` gets hostile credentials from a credential_process
/// (JSON can carry any string, newlines included) and a hostile region from the config.
pub(crate) fn hostile_home() -> Home {
    let home = Home::new();
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": "ASIAHOSTILE",
        "SecretAccessKey": HOSTILE_SECRET,
        "SessionToken": HOSTILE_TOKEN,
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
        "[profile \"{HOSTILE_PROFILE}\"]\ncredential_process = {}\nregion = {HOSTILE_REGION}\n",
        home.path().join("proc.sh").display()
    ));
    home
}

pub(crate) fn no_files_created(home: &Home) {
    for f in ["pwned", "pwned2", "pwned3", "pwned4", "pwned5"] {
        assert!(!home.path().join(f).exists(), "{f} was created: code ran");
    }
}

pub(crate) fn expected() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("AWS_ACCESS_KEY_ID", "ASIAHOSTILE"),
        ("AWS_SECRET_ACCESS_KEY", HOSTILE_SECRET),
        ("AWS_SESSION_TOKEN", HOSTILE_TOKEN),
        ("AWS_SECURITY_TOKEN", HOSTILE_TOKEN),
        ("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z"),
        ("AWS_REGION", HOSTILE_REGION),
        ("AWS_DEFAULT_REGION", HOSTILE_REGION),
        ("AWSENV_PROFILE", HOSTILE_PROFILE),
    ])
}

#[test]
fn hostile_values_are_inert_in_every_real_shell() {
    let home = hostile_home();
    for sh in Sh::POSIX_AND_FISH {
        let out = home
            .run(&["use", HOSTILE_PROFILE, "--shell", sh.flag()])
            .success();
        let mut start = home.env.clone();
        start.insert("AWS_PROFILE".into(), "stale".into());
        let (env, run) = eval_in(sh, &out.stdout, &start, home.path());
        assert!(run.ok(), "{sh:?} failed: {}", run.stderr);
        assert_eq!(run.stderr, "", "{sh:?} printed errors");
        for (k, v) in expected() {
            assert_eq!(env.get(k).map(String::as_str), Some(v), "{sh:?}: {k}");
        }
        assert!(
            !env.contains_key("AWS_PROFILE"),
            "{sh:?}: a stale AWS_PROFILE is removed"
        );
        no_files_created(&home);
    }
}

#[test]
fn hostile_region_from_the_command_line_is_inert() {
    let home = hostile_home();
    for sh in Sh::POSIX_AND_FISH {
        let out = home
            .run(&[
                "use",
                HOSTILE_PROFILE,
                "--region",
                "$(touch pwned)`touch pwned2`",
                "--shell",
                sh.flag(),
            ])
            .success();
        let (env, run) = eval_in(sh, &out.stdout, &home.env, home.path());
        assert!(run.ok(), "{sh:?}: {}", run.stderr);
        assert_eq!(env["AWS_REGION"], "$(touch pwned)`touch pwned2`");
        no_files_created(&home);
    }
}

/// Runs the PowerShell checker (tree-sitter parse + evaluation by PowerShell's quoting rules).
fn powershell_eval(home: &Home, script: &str) -> serde_json::Value {
    let file = home.path().join("script.ps1");
    std::fs::write(&file, script).unwrap();
    let out = Run::from(
        Command::new(venv_bin("python"))
            .arg(support::repo().join("tests/fixtures/ps_check.py"))
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(
        out.ok(),
        "PowerShell check failed: {}\n{script}",
        out.stderr
    );
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn powershell_output_parses_and_means_the_same() {
    let home = hostile_home();
    let out = home
        .run(&["use", HOSTILE_PROFILE, "--shell", "powershell"])
        .success();
    let result = powershell_eval(&home, &out.stdout);
    for (k, v) in expected() {
        assert_eq!(result["set"][k], v, "PowerShell: {k}");
    }
    assert!(result["unset"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "AWS_PROFILE"));
    // The same check catches a script that is wrong: an undoubled curly quote ends the string.
    let broken = "$env:A = 'it\u{2019}s';\n";
    let file = home.path().join("broken.ps1");
    std::fs::write(&file, broken).unwrap();
    let st = Command::new(venv_bin("python"))
        .arg(support::repo().join("tests/fixtures/ps_check.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        !st.status.success(),
        "the checker must reject a badly quoted script"
    );

    let unset = home.run(&["unset", "--shell", "powershell"]).success();
    let result = powershell_eval(&home, &unset.stdout);
    assert_eq!(result["set"], serde_json::json!({}));
    // The hook's state and saved values stay (audit item 6): the hook sees the unset as a
    // change by hand and keeps the tree unloaded until the shell leaves it.
    assert_eq!(result["local_unset"], serde_json::json!([]));
    // Every variable `use` sets.
    let mut unset: Vec<&str> = result["unset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    unset.sort();
    let mut want: Vec<&str> = expected()
        .keys()
        .copied()
        // AWS_ACCOUNT_ID: unset removes it too, though this profile's keys name no account.
        .chain(["AWS_ACCOUNT_ID"])
        .collect();
    want.sort();
    assert_eq!(unset, want);
}

#[test]
fn unset_removes_what_use_set_and_nothing_else() {
    let home = hostile_home();
    for sh in Sh::POSIX_AND_FISH {
        let used = home
            .run(&["use", HOSTILE_PROFILE, "--shell", sh.flag()])
            .success();
        let unset = home.run(&["unset", "--shell", sh.flag()]).success();
        let mut start = home.env.clone();
        start.insert("AWS_PAGER".into(), "less".into());
        start.insert(
            "AWS_CONFIG_FILE".into(),
            home.path().join(".aws/config").display().to_string(),
        );
        let (env, run) = eval_in(
            sh,
            &format!("{}{}", used.stdout, unset.stdout),
            &start,
            home.path(),
        );
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
        for k in expected().keys() {
            assert!(!env.contains_key(*k), "{sh:?}: {k} survived unset");
        }
        assert_eq!(env["AWS_PAGER"], "less", "{sh:?}");
        assert!(env.contains_key("AWS_CONFIG_FILE"), "{sh:?}");
        // unset on a clean shell is fine too (fish's `set -e` of a missing variable).
        let (_, run) = eval_in(sh, &unset.stdout, &home.env, home.path());
        assert!(run.ok() && run.stderr.is_empty(), "{sh:?}: {}", run.stderr);
    }
}

#[test]
fn switching_to_static_keys_clears_session_and_stale_region() {
    let home = Home::new();
    home.config("[profile static]\n[profile other]\nregion = eu-west-1\n")
        .credentials("[static]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = o\n");
    let mut start = home.env.clone();
    // A shell that held a temporary awsenv profile with a region.
    for (k, v) in [
        ("AWSENV_PROFILE", "previous"),
        ("AWS_SESSION_TOKEN", "old"),
        ("AWS_SECURITY_TOKEN", "old"),
        ("AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z"),
        ("AWS_REGION", "us-west-2"),
        ("AWS_DEFAULT_REGION", "us-west-2"),
    ] {
        start.insert(k.into(), v.into());
    }
    let mut cmd = home.awsenv(&["use", "static", "--shell", "bash"]);
    cmd.envs(&start);
    let out = Run::from(cmd.output().unwrap()).success();
    let (env, _) = eval_in(Sh::Bash, &out.stdout, &start, home.path());
    for k in [
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        assert!(!env.contains_key(k), "{k} is stale and must go");
    }
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIASTATIC");
    // A region the user set without awsenv is theirs: kept.
    let mut own = home.env.clone();
    own.insert("AWS_REGION".into(), "ca-central-1".into());
    let mut cmd = home.awsenv(&["use", "static", "--shell", "bash"]);
    cmd.envs(&own);
    let out = Run::from(cmd.output().unwrap()).success();
    let (env, _) = eval_in(Sh::Bash, &out.stdout, &own, home.path());
    assert_eq!(env["AWS_REGION"], "ca-central-1");
}

#[test]
fn the_calling_shell_is_detected() {
    let home = Home::new();
    home.config("[profile p]\nregion = eu-west-1\n")
        .credentials("[p]\naws_access_key_id = AKIADETECT\naws_secret_access_key = s\n");
    let bin = support::bin().display().to_string();
    let cases: [(&str, Vec<String>); 3] = [
        (
            "bash",
            vec![
                "--noprofile".into(),
                "--norc".into(),
                "-c".into(),
                format!("eval \"$('{bin}' use p)\" && echo \"$AWS_ACCESS_KEY_ID\""),
            ],
        ),
        (
            "zsh",
            vec![
                "--no-rcs".into(),
                "-c".into(),
                format!("eval \"$('{bin}' use p)\" && echo \"$AWS_ACCESS_KEY_ID\""),
            ],
        ),
        (
            "fish",
            vec![
                "--no-config".into(),
                "-c".into(),
                format!("'{bin}' use p | source; and echo $AWS_ACCESS_KEY_ID"),
            ],
        ),
    ];
    for (shell, args) in cases {
        let mut c = Command::new(support::require(shell));
        c.args(&args);
        home.isolate(&mut c);
        // A misleading $SHELL: the parent process must win.
        c.env("SHELL", "/bin/dash");
        let out = Run::from(c.output().unwrap());
        assert!(out.ok(), "{shell}: {}", out.stderr);
        assert_eq!(out.stdout.trim(), "AKIADETECT", "{shell}");
    }
}

#[test]
fn export_formats_round_trip_through_real_shells() {
    let home = hostile_home();
    let expect = |env: &BTreeMap<String, String>, what: &str| {
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], HOSTILE_SECRET, "{what}");
        assert_eq!(env["AWS_SESSION_TOKEN"], HOSTILE_TOKEN, "{what}");
    };
    let env_fmt = home
        .run(&["export", HOSTILE_PROFILE, "--format", "env"])
        .success();
    let (env, run) = eval_in(Sh::Dash, &env_fmt.stdout, &home.env, home.path());
    assert!(run.ok(), "{}", run.stderr);
    expect(&env, "env");
    let fish = home
        .run(&["export", HOSTILE_PROFILE, "--format", "fish"])
        .success();
    let (env, run) = eval_in(Sh::Fish, &fish.stdout, &home.env, home.path());
    assert!(run.ok(), "{}", run.stderr);
    expect(&env, "fish");
    let no_export = home
        .run(&["export", HOSTILE_PROFILE, "--format", "env-no-export"])
        .success();
    let (env, run) = eval_in(
        Sh::Bash,
        &format!("set -a\n{}", no_export.stdout),
        &home.env,
        home.path(),
    );
    assert!(run.ok(), "{}", run.stderr);
    expect(&env, "env-no-export");
    let ps = home
        .run(&["export", HOSTILE_PROFILE, "--format", "powershell"])
        .success();
    let v = powershell_eval(&home, &ps.stdout);
    assert_eq!(v["set"]["AWS_SECRET_ACCESS_KEY"], HOSTILE_SECRET);
    // cmd.exe cannot hold these safely: refuse rather than print something dangerous.
    let err = home
        .run(&["export", HOSTILE_PROFILE, "--format", "windows-cmd"])
        .clean_failure();
    assert!(err.contains("cmd.exe"), "{err}");
    no_files_created(&home);
}
