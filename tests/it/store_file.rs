//! The encrypted file store through the CLI: round trips, a wrong passphrase, damaged files,
//! concurrent writers, and the prompts on a real terminal (tmux).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{self, eval_in, Home, Moto, Run, Sh, Term};

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const PASS: &str = "a long and 'quoted' $passphrase";

fn file_home() -> Home {
    let mut home = Home::new();
    home.set("AWSENV_BACKEND", "file")
        .set("AWSENV_FILE_PASSPHRASE", PASS);
    home
}

fn add(home: &Home, profile: &str, id: &str, secret: &str) -> Run {
    let mut c = home.awsenv(&["add", profile, "--env"]);
    c.env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret);
    Run::from(c.output().unwrap())
}

fn store_dir(home: &Home) -> PathBuf {
    home.path().join(".local/share/awsenv/file")
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn use_bash(home: &Home, profile: &str) -> BTreeMap<String, String> {
    let out = home.run(&["use", profile, "--shell", "bash"]).success();
    let (env, run) = eval_in(Sh::Bash, &out.stdout, &home.env, home.path());
    assert!(run.ok(), "{}", run.stderr);
    env
}

#[test]
fn keys_and_sessions_round_trip_encrypted_with_the_backend_from_the_config_file() {
    let moto = Moto::shared();
    let mut home = Home::new();
    home.set("AWSENV_FILE_PASSPHRASE", PASS)
        .set("AWS_ENDPOINT_URL_STS", &moto.url);
    let cfg = home.path().join(".config/awsenv");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config"),
        "# where awsenv keeps secrets\nbackend = file\n",
    )
    .unwrap();
    home.config("[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nrole_session_name = sess\n");

    add(&home, "base", KEY_ID, SECRET).success();
    let env = use_bash(&home, "base");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], SECRET);
    let env = use_bash(&home, "role");
    let token = env["AWS_SESSION_TOKEN"].clone();
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::123456789012:assumed-role/r/sess"
    );
    assert!(
        !home.path().join(".cache/awsenv").exists(),
        "the session went to the plain file cache"
    );

    let files = snapshot(home.path());
    for (p, bytes) in &files {
        assert!(
            !contains(bytes, SECRET),
            "{} holds the secret key",
            p.display()
        );
        assert!(
            !contains(bytes, &token),
            "{} holds the session token",
            p.display()
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store_dir(&home)), 0o700);
    assert_eq!(mode(&store_dir(&home).join("items")), 0o700);
    for p in snapshot(&store_dir(&home)).keys() {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }

    // Listing reads no secret: no passphrase needed.
    home.env.remove("AWSENV_FILE_PASSPHRASE");
    let long = home.run(&["list", "--long"]).success().stdout;
    let row = |n: &str| {
        long.lines()
            .find(|l| l.starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("{long}"))
            .to_string()
    };
    assert!(row("base").contains(" file "), "{long}");
    assert!(row("role").contains("role until "), "{long}");
}

#[test]
fn a_wrong_passphrase_is_a_clear_error_and_destroys_nothing() {
    let mut home = file_home();
    add(&home, "prod", KEY_ID, SECRET).success();
    let before = snapshot(&store_dir(&home));

    home.set("AWSENV_FILE_PASSPHRASE", "not the passphrase");
    let err = home.run(&["use", "prod"]).clean_failure();
    assert!(
        err.contains("prod") && err.contains("wrong passphrase"),
        "{err}"
    );
    let err = add(&home, "other", "AKIAOTHEROTHEROTHER1", SECRET).clean_failure();
    assert!(err.contains("wrong passphrase"), "{err}");
    let err = add(&home, "prod", "AKIAOTHEROTHEROTHER1", SECRET).clean_failure();
    assert!(err.contains("--force"), "{err}");
    let mut force = home.awsenv(&["add", "prod", "--env", "--force"]);
    force
        .env("AWS_ACCESS_KEY_ID", "AKIAOTHEROTHEROTHER1")
        .env("AWS_SECRET_ACCESS_KEY", "x");
    let err = Run::from(force.output().unwrap()).clean_failure();
    assert!(err.contains("wrong passphrase"), "{err}");
    home.run(&["remove", "prod", "--force"]).clean_failure();
    assert_eq!(snapshot(&store_dir(&home)), before, "the store changed");

    home.set("AWSENV_FILE_PASSPHRASE", PASS);
    assert_eq!(use_bash(&home, "prod")["AWS_SECRET_ACCESS_KEY"], SECRET);
}

#[test]
fn tampered_and_truncated_items_are_named_not_used() {
    let home = file_home();
    add(&home, "prod", KEY_ID, SECRET).success();
    let item = snapshot(&store_dir(&home).join("items"))
        .into_keys()
        .find(|p| p.extension().is_some_and(|e| e == "item"))
        .unwrap();
    let original = std::fs::read(&item).unwrap();

    let mut flipped = original.clone();
    let at = flipped.len() - 20;
    flipped[at] ^= 0x40;
    std::fs::write(&item, &flipped).unwrap();
    let err = home.run(&["use", "prod"]).clean_failure();
    assert!(
        err.contains("prod")
            && err.contains("tampered")
            && err.contains(&item.display().to_string()),
        "{err}"
    );

    std::fs::write(&item, &original[..original.len() - 30]).unwrap();
    let err = home.run(&["use", "prod"]).clean_failure();
    assert!(err.contains("tampered"), "{err}");

    std::fs::write(&item, &original).unwrap();
    assert_eq!(use_bash(&home, "prod")["AWS_ACCESS_KEY_ID"], KEY_ID);
}

#[test]
fn concurrent_writers_on_a_fresh_store_lose_nothing() {
    let home = file_home();
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut c = home.awsenv(&["add", &format!("p{i}"), "--env"]);
            c.env("AWS_ACCESS_KEY_ID", format!("AKIACONCURRENT00000{i}"))
                .env("AWS_SECRET_ACCESS_KEY", format!("secret-{i}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for child in children {
        Run::from(child.wait_with_output().unwrap()).success();
    }
    let list = home.run(&["list"]).success().stdout;
    assert_eq!(list, "p0\np1\np2\np3\np4\np5\n");
    for i in 0..6 {
        let env = use_bash(&home, &format!("p{i}"));
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], format!("secret-{i}"));
    }
}

#[test]
fn no_passphrase_and_no_terminal_is_a_clear_error() {
    let mut home = Home::new();
    home.set("AWSENV_BACKEND", "file");
    let err = add(&home, "prod", KEY_ID, SECRET).clean_failure();
    assert!(err.contains("AWSENV_FILE_PASSPHRASE"), "{err}");
    assert!(!store_dir(&home).join("items/header").exists());
    let mut home = Home::new();
    home.set("AWSENV_BACKEND", "plaintext");
    let err = add(&home, "prod", KEY_ID, SECRET).clean_failure();
    assert!(
        err.contains("AWSENV_BACKEND") && err.contains("keyring, file"),
        "{err}"
    );
}

#[test]
fn add_asks_on_the_terminal_without_echo_and_creates_the_store_with_a_confirmed_passphrase() {
    let mut home = Home::new();
    home.set("AWSENV_BACKEND", "file");
    let out = home.path().join("stdout");
    let done = home.path().join("done");
    let cmd = format!(
        "{} add prod > {} 2>&1; echo $? > {}; sleep 30",
        support::bin().display(),
        out.display(),
        done.display()
    );
    let term = Term::start(&["sh", "-c", &cmd], &home.env, home.path());
    term.wait_for("Access Key ID:");
    term.type_line(KEY_ID);
    term.wait_for("Secret Access Key:");
    term.type_line(SECRET);
    term.wait_for("New passphrase");
    term.type_line(PASS);
    term.wait_for("Repeat the passphrase");
    term.type_line(PASS);
    let status = term.wait_file(&done);
    let screen = term.screen();
    assert_eq!(status.trim(), "0", "{screen}");
    // The key id is echoed as typed (issue 15: it is not a secret); the rest is not.
    assert!(
        screen.contains(&format!("Access Key ID: {KEY_ID}")),
        "{screen}"
    );
    for typed in [SECRET, PASS] {
        assert!(!screen.contains(typed), "{typed:?} was echoed:\n{screen}");
    }
    // stdout and stderr carry only the confirmation, never a prompt or a secret.
    let printed = std::fs::read_to_string(&out).unwrap();
    assert!(
        printed.starts_with("awsenv: stored the keys of profile `prod`"),
        "{printed}"
    );
    assert!(!printed.contains(SECRET) && !printed.contains(PASS));

    home.set("AWSENV_FILE_PASSPHRASE", PASS);
    assert_eq!(use_bash(&home, "prod")["AWS_SECRET_ACCESS_KEY"], SECRET);
}

/// Runs `awsenv ARGS` in a terminal, answers `answer` to the question containing `question`, and
/// returns (exit status, everything it printed).
fn answer_in_terminal(home: &Home, args: &str, question: &str, answer: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let done = dir.path().join("done");
    let cmd = format!(
        "{} {args} > {} 2>&1; echo $? > {}; sleep 30",
        support::bin().display(),
        out.display(),
        done.display()
    );
    let term = Term::start(&["sh", "-c", &cmd], &home.env, home.path());
    term.wait_for(question);
    term.type_line(answer);
    (
        term.wait_file(&done).trim().to_string(),
        std::fs::read_to_string(&out).unwrap(),
    )
}

#[test]
fn remove_and_add_ask_on_the_terminal_before_destroying_keys() {
    let home = file_home();
    add(&home, "prod", KEY_ID, SECRET).success();
    let (status, printed) = answer_in_terminal(&home, "remove prod", "[y/N]", "n");
    assert_eq!(status, "1", "{printed}");
    assert!(printed.contains("nothing was deleted"), "{printed}");
    assert_eq!(use_bash(&home, "prod")["AWS_ACCESS_KEY_ID"], KEY_ID);

    // add over existing keys asks too; "no" keeps them.
    let (status, printed) = answer_in_terminal(&home, "add prod --env", "Replace them?", "");
    assert_eq!(status, "1", "{printed}");
    assert!(printed.contains("kept the keys"), "{printed}");

    let (status, printed) = answer_in_terminal(&home, "remove prod", "[y/N]", "y");
    assert_eq!(status, "0", "{printed}");
    assert!(
        printed.contains("deleted the keys of profile `prod`"),
        "{printed}"
    );
    let err = home.run(&["use", "prod"]).clean_failure();
    assert!(err.contains("prod"), "{err}");
}
