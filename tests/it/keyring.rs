//! Long-term keys and sessions in the OS keyring: a real gnome-keyring Secret Service on a
//! private D-Bus session bus, checked with `secret-tool`, and used against moto_server.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{self, eval_in, Home, Moto, SecretService, Sh};

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// `awsenv add PROFILE --env` with `id`/`secret` in the environment of that run only.
fn add(home: &Home, profile: &str, id: &str, secret: &str, extra: &[&str]) -> support::Run {
    let mut args = vec!["add", profile, "--env"];
    args.extend_from_slice(extra);
    let mut c = home.awsenv(&args);
    c.env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret);
    support::Run::from(c.output().unwrap())
}

fn use_in(home: &Home, shell: Sh, args: &[&str]) -> BTreeMap<String, String> {
    let mut full = vec!["use"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--shell", shell.flag()]);
    let out = home.run(&full).success();
    let (env, run) = eval_in(shell, &out.stdout, &home.env, home.path());
    assert!(
        run.ok() && run.stderr.is_empty(),
        "{shell:?}: {}",
        run.stderr
    );
    env
}

/// Every file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if std::fs::read(&p)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                hits.push(p.display().to_string());
            }
        }
    }
    hits
}

#[test]
fn add_stores_the_keys_in_the_real_secret_service_and_use_exports_them() {
    let ss = SecretService::start();
    let mut home = Home::new();
    ss.connect(&mut home);
    // An unreachable STS: static keys need no network.
    home.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    // A secret full of shell syntax must come out inert in every shell.
    let nasty = "ab'c$(touch${IFS}PWNED)d;e`id`f\"g\\";
    let out = add(&home, "prod", KEY_ID, nasty, &[]).success();
    assert_eq!(out.stdout, "", "add prints nothing on stdout");
    assert!(out.stderr.contains("OS keyring") && !out.stderr.contains(nasty));

    // The second opinion: the Secret Service itself holds the key (not a mock, not a file).
    let held = ss.lookup("keys:prod").expect("secret-tool finds the item");
    let held: serde_json::Value = serde_json::from_str(&held).unwrap();
    assert_eq!(held["access_key_id"], KEY_ID);
    assert_eq!(held["secret_access_key"], nasty);
    assert!(
        files_containing(home.path(), nasty).is_empty(),
        "the secret was written to a file under HOME"
    );

    for shell in Sh::POSIX_AND_FISH {
        let env = use_in(&home, shell, &["prod"]);
        assert_eq!(env["AWS_ACCESS_KEY_ID"], KEY_ID, "{shell:?}");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], nasty, "{shell:?}");
        assert!(!env.contains_key("AWS_SESSION_TOKEN"));
    }
    assert!(
        !home.path().join("PWNED").exists(),
        "the secret ran as code"
    );

    // --debug says where the keys came from, never what they are.
    let dbg = home
        .run(&["--debug", "use", "prod", "--shell", "bash"])
        .success();
    assert!(dbg.stderr.contains("OS keyring"), "{}", dbg.stderr);
    assert!(!dbg.stderr.contains(nasty), "{}", dbg.stderr);
}

#[test]
fn add_refuses_to_overwrite_silently() {
    let ss = SecretService::start();
    let mut home = Home::new();
    ss.connect(&mut home);
    add(&home, "prod", KEY_ID, SECRET, &[]).success();
    // No terminal to ask on: refused, with the way out.
    let err = add(&home, "prod", "AKIAOTHEROTHEROTHER1", "other", &[]).clean_failure();
    assert!(
        err.contains("prod") && err.contains(KEY_ID) && err.contains("--force"),
        "{err}"
    );
    assert!(ss.lookup("keys:prod").unwrap().contains(SECRET));
    add(&home, "prod", "AKIAOTHEROTHEROTHER1", "other", &["--force"]).success();
    let held = ss.lookup("keys:prod").unwrap();
    assert!(held.contains("AKIAOTHEROTHEROTHER1") && !held.contains(SECRET));
    // Temporary keys are refused before anything is stored.
    let err = add(&home, "tmp", "ASIAIOSFODNN7EXAMPLE", SECRET, &[]).clean_failure();
    assert!(err.contains("temporary"), "{err}");
    assert!(ss.lookup("keys:tmp").is_none());
}

#[test]
fn stored_keys_beat_the_credentials_file_and_a_store_only_profile_is_a_source() {
    let ss = SecretService::start();
    let mut home = Home::with_moto();
    ss.connect(&mut home);
    home.config(
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = vault\nrole_session_name = me\n[profile both]\nregion = eu-west-1\n",
    )
    .credentials("[both]\naws_access_key_id = AKIAFROMTHEFILE00000\naws_secret_access_key = filesecret\n");
    // `vault` has no section in either file.
    add(&home, "vault", KEY_ID, SECRET, &[]).success();
    let out = add(&home, "both", "AKIAFROMTHEKEYRING00", "ringsecret", &[]).success();
    assert!(out.stderr.contains("take precedence"), "{}", out.stderr);

    let env = use_in(&home, Sh::Bash, &["both"]);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAFROMTHEKEYRING00");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "ringsecret");
    assert_eq!(env["AWS_REGION"], "eu-west-1");

    let env = use_in(&home, Sh::Bash, &["admin"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::123456789012:assumed-role/admin/me"
    );
    let list = home.run(&["list"]).success();
    assert_eq!(list.stdout, "admin\nboth\nvault\n");
    let long = home.run(&["list", "--long"]).success().stdout;
    let row = |name: &str| {
        long.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{long}"))
            .to_string()
    };
    assert!(long.starts_with("PROFILE "), "{long}");
    assert!(
        long.lines().next().unwrap().contains("CREDENTIALS"),
        "{long}"
    );
    assert!(row("vault").contains("keyring"), "{long}");
    assert!(row("both").contains("keyring"), "{long}");
    // The default keeps sessions in the file cache: admin's role session is listed from there.
    assert!(row("admin").contains("role until "), "{long}");
}

#[test]
fn sessions_live_in_the_keyring_when_it_is_the_backend() {
    let ss = SecretService::start();
    let mut moto = Moto::start(&[]);
    let mut home = Home::new();
    ss.connect(&mut home);
    home.set("AWS_ENDPOINT_URL_STS", &moto.url);
    home.set("AWSENV_BACKEND", "keyring");
    home.config("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nrole_session_name = sess\n[profile q]\nrole_arn = arn:aws:iam::123456789012:role/q\nsource_profile = base\nrole_session_name = sess\n");
    add(&home, "base", KEY_ID, SECRET, &[]).success();
    let first = use_in(&home, Sh::Bash, &["r"]);
    use_in(&home, Sh::Bash, &["q"]);
    assert!(
        !home.path().join(".cache/awsenv").exists(),
        "a session went to the file cache"
    );
    let items = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
    let sessions = items.stdout.matches("username = session:").count()
        + items.stderr.matches("username = session:").count();
    assert_eq!(sessions, 2, "{}{}", items.stdout, items.stderr);
    assert!(
        files_containing(home.path(), &first["AWS_SESSION_TOKEN"]).is_empty(),
        "a session token was written to a file"
    );

    // STS is gone: the sessions come from the keyring.
    moto.stop();
    let again = use_in(&home, Sh::Bash, &["r"]);
    assert_eq!(again["AWS_SESSION_TOKEN"], first["AWS_SESSION_TOKEN"]);
    let long = home.run(&["list", "--long"]).success().stdout;
    assert!(
        long.lines()
            .any(|l| l.starts_with("r ") && l.contains("role until ")),
        "{long}"
    );

    // clear r: r must go to STS again (and fail: it is stopped); q still works.
    let out = home.run(&["clear", "r"]).success();
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("deleted 1 cached session"),
        "{}",
        out.stderr
    );
    let err = home.run(&["use", "r"]).clean_failure();
    assert!(err.contains("AssumeRole"), "{err}");
    use_in(&home, Sh::Bash, &["q"]);
    home.run(&["clear"]).success();
    home.run(&["use", "q"]).clean_failure();
    let items = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
    assert!(
        !format!("{}{}", items.stdout, items.stderr).contains("session:"),
        "sessions left in the keyring"
    );
}

#[test]
fn remove_deletes_the_keys_and_the_profiles_sessions() {
    let ss = SecretService::start();
    let mut home = Home::with_moto();
    ss.connect(&mut home);
    home.set("AWSENV_BACKEND", "keyring");
    home.config("[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n");
    add(&home, "dev", KEY_ID, SECRET, &[]).success();
    // An MFA session of dev's own, cached in the keyring.
    use_in(&home, Sh::Bash, &["dev", "--mfa-token", "123456"]);
    let count = |ss: &SecretService| {
        let r = ss.secret_tool(&["search", "--all", "service", "awsenv"]);
        format!("{}{}", r.stdout, r.stderr)
            .matches("username = ")
            .count()
    };
    assert_eq!(count(&ss), 2, "keys and one session");

    // Asks first; with no terminal that is a refusal that deletes nothing.
    let err = home.run(&["remove", "dev"]).clean_failure();
    assert!(err.contains("--force"), "{err}");
    assert!(ss.lookup("keys:dev").is_some());

    let out = home.run(&["remove", "dev", "--force"]).success();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("1 cached session"), "{}", out.stderr);
    assert!(ss.lookup("keys:dev").is_none());
    assert_eq!(count(&ss), 0, "something of dev is left in the keyring");
    let err = home.run(&["remove", "dev", "--force"]).clean_failure();
    assert!(err.contains("no keys"), "{err}");
    // dev is back to what the files say: no credentials.
    let err = home.run(&["use", "dev"]).clean_failure();
    assert!(
        err.contains("dev") && err.contains("no credentials"),
        "{err}"
    );
}

#[test]
fn no_dbus_session_is_a_clear_error_and_nothing_is_written_in_plain_text() {
    let home = Home::new(); // no DBUS_SESSION_BUS_ADDRESS at all
    let err = add(&home, "prod", KEY_ID, SECRET, &[]).clean_failure();
    assert!(err.contains("D-Bus"), "{err}");
    assert!(err.contains("AWSENV_BACKEND"), "no advice: {err}");
    assert!(files_containing(home.path(), SECRET).is_empty());
    assert!(!home
        .path()
        .join(".local/share/awsenv/keyring/index.json")
        .exists());

    // A bus without any Secret Service on it.
    let bus = SecretService::bus_only();
    let mut home = Home::new();
    bus.connect(&mut home);
    let err = add(&home, "prod", KEY_ID, SECRET, &[]).clean_failure();
    assert!(err.contains("OS keyring is not available"), "{err}");
    assert!(err.contains("AWSENV_BACKEND=keyring|file"), "{err}");
    assert!(files_containing(home.path(), SECRET).is_empty());
}

#[test]
fn a_keyring_that_cannot_be_unlocked_is_a_clear_error() {
    let ss = SecretService::start_locked();
    let mut home = Home::new();
    ss.connect(&mut home);
    let started = std::time::Instant::now();
    let err = add(&home, "prod", KEY_ID, SECRET, &[]).clean_failure();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "waited for a prompt"
    );
    assert!(err.contains("OS keyring"), "{err}");
    assert!(err.contains("AWSENV_BACKEND"), "{err}");
    assert!(files_containing(home.path(), SECRET).is_empty());
}
