//! `awsenv exec`: the command gets the credentials in its environment and nowhere else, keeps
//! its stdin/stdout, exit status and signals, and nesting awsenv inside it just works.
//! Also: `export --format process` as another tool's credential_process, and `--debug` hygiene.

use std::os::unix::process::ExitStatusExt;

use crate::support::{self, run_with_stdin, Home};

const CONFIG: &str = "\
[profile base]
region = eu-west-1
[profile deploy]
role_arn = arn:aws:iam::222222222222:role/deploy
source_profile = base
role_session_name = deploy
region = us-west-2
[profile other]
role_arn = arn:aws:iam::333333333333:role/other
source_profile = base
role_session_name = other
";
const SECRET: &str = "base/exec+secret";
const KEYS: &str =
    "[base]\naws_access_key_id = AKIABASEEXECTEST0001\naws_secret_access_key = base/exec+secret\n";

fn home() -> Home {
    let h = Home::with_moto();
    h.config(CONFIG).credentials(KEYS);
    h
}

#[test]
fn runs_the_command_with_credentials_and_its_exit_status() {
    let h = home();
    let run = h.run(&[
        "exec",
        "deploy",
        "--",
        "sh",
        "-c",
        "printf '%s|%s|%s|%s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_REGION\" \"$AWSENV_PROFILE\" \"${AWS_PROFILE-unset}\"; exit 7",
    ]);
    assert_eq!(run.status.code(), Some(7), "{}", run.stderr);
    let fields: Vec<&str> = run.stdout.split('|').collect();
    assert!(fields[0].starts_with("ASIA"), "{}", run.stdout);
    assert_eq!(&fields[1..], ["us-west-2", "deploy", "unset"]);
}

#[test]
fn stdin_passes_through_and_signals_are_the_commands() {
    let h = home();
    let mut c = h.awsenv(&["exec", "base", "--", "cat"]);
    c.stdin(std::process::Stdio::piped());
    let out = run_with_stdin(c, Some("hello through stdin\n"));
    assert_eq!(out.stdout, "hello through stdin\n");
    // awsenv becomes the command, so a signal that kills it is what the caller sees.
    let run = h.run(&["exec", "base", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(run.status.signal(), Some(15));
    // No command: $SHELL is started.
    let mut c = h.awsenv(&["exec", "deploy"]);
    c.env("SHELL", "/bin/sh");
    let out = run_with_stdin(c, Some("echo \"in $AWSENV_PROFILE\"\n"));
    assert_eq!(out.stdout.trim(), "in deploy");
}

#[test]
fn secrets_stay_out_of_argv() {
    let h = home();
    // While the command runs, record every process's argv on the machine.
    let ps = h.path().join("ps.txt");
    let run = h.run(&[
        "exec",
        "base",
        "--",
        "sh",
        "-c",
        &format!("ps -eo args > '{}'", ps.display()),
    ]);
    assert!(run.status.success(), "{}", run.stderr);
    let listing = std::fs::read_to_string(&ps).unwrap();
    assert!(listing.contains("ps -eo args"), "the listing is real");
    assert!(
        !listing.contains(SECRET),
        "a secret showed up in a process's argv"
    );
}

#[test]
fn nesting_resolves_the_profile_not_the_environment() {
    let h = home();
    let bin = support::bin().display().to_string();
    // Inside `exec deploy`, the environment holds deploy's keys; `use other` must still give
    // `other` (resolved from base's keys in the files), and `exec` nests too.
    let inner = format!(
        "eval \"$('{bin}' use other --shell bash)\" && printf '%s' \"$AWS_SESSION_TOKEN\" > token && '{bin}' exec other -- sh -c 'printf %s \"$AWSENV_PROFILE\"'"
    );
    let run = h.run(&["exec", "deploy", "--", "bash", "-c", &inner]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stdout, "other");
    let mut env = std::collections::BTreeMap::new();
    let token = std::fs::read_to_string(h.path().join("token")).unwrap();
    // Identity check with the credentials `use other` exported inside the nested shell.
    let out = h.run(&["export", "other", "--format", "process"]).success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json["SessionToken"],
        token.as_str(),
        "cached: the same session"
    );
    for (k, f) in [
        ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
        ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
        ("AWS_SESSION_TOKEN", "SessionToken"),
    ] {
        env.insert(k.to_string(), json[f].as_str().unwrap().to_string());
    }
    assert_eq!(
        h.identity_of(&env),
        "arn:aws:sts::333333333333:assumed-role/other/other"
    );
}

#[test]
fn export_process_serves_the_aws_cli_as_credential_process() {
    let h = home();
    let bin = support::bin().display().to_string();
    // A profile of the AWS CLI whose credentials come from awsenv.
    h.config(&format!(
        "{CONFIG}[profile via-awsenv]\ncredential_process = '{bin}' export deploy --format process\n"
    ));
    let cli = h.cli_identity("via-awsenv", None).success();
    assert_eq!(
        cli.stdout.trim(),
        "arn:aws:sts::222222222222:assumed-role/deploy/deploy"
    );
    // And awsenv reads its own output as a credential_process.
    let out = h
        .run(&["export", "via-awsenv", "--format", "process"])
        .success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
}

#[test]
fn debug_output_explains_without_secrets() {
    let h = home();
    let run = h
        .run(&["--debug", "use", "deploy", "--shell", "bash"])
        .success();
    assert!(
        run.stderr
            .contains("AssumeRole arn:aws:iam::222222222222:role/deploy"),
        "{}",
        run.stderr
    );
    let secrets: Vec<String> = run
        .stdout
        .lines()
        .filter(|l| l.contains("SECRET_ACCESS_KEY=") || l.contains("SESSION_TOKEN="))
        .map(|l| {
            l.split_once('=')
                .unwrap()
                .1
                .trim_end_matches(';')
                .trim_matches('\'')
                .to_string()
        })
        .chain([SECRET.to_string()])
        .collect();
    assert_eq!(secrets.len(), 3, "{}", run.stdout);
    for s in &secrets {
        assert!(!run.stderr.contains(s.as_str()), "--debug printed a secret");
    }
    // Second run: from the cache, still nothing secret.
    let run = h
        .run(&["--debug", "use", "deploy", "--shell", "bash"])
        .success();
    assert!(run.stderr.contains("cache hit"), "{}", run.stderr);
    for s in &secrets {
        assert!(!run.stderr.contains(s.as_str()), "--debug printed a secret");
    }
}
