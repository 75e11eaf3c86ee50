//! End-to-end resolution against a real moto_server, checked with GetCallerIdentity through the
//! AWS CLI, and against the AWS CLI's own resolution of the same profile.

use std::collections::BTreeMap;

use crate::support::{self, eval_in, Home, Sh};

/// Runs `awsenv use ARGS --shell bash`, evaluates the output in bash, returns the environment.
fn use_in_bash(home: &Home, args: &[&str]) -> BTreeMap<String, String> {
    let mut full = vec!["use"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--shell", "bash"]);
    let out = home.run(&full).success();
    let (env, run) = eval_in(Sh::Bash, &out.stdout, &home.env, home.path());
    assert!(run.ok() && run.stderr.is_empty(), "bash: {}", run.stderr);
    env
}

const CHAIN: &str = "\
[profile base]
region = eu-west-1
[profile hop1]
role_arn = arn:aws:iam::222222222222:role/one
source_profile = base
role_session_name = s1
[profile hop2]
role_arn = arn:aws:iam::333333333333:role/two
source_profile = hop1
external_id = ext-2
role_session_name = s2
[profile hop3]
role_arn = arn:aws:iam::444444444444:role/three
source_profile = hop2
role_session_name = s3
region = ap-southeast-2
";
const BASE_KEYS: &str = "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

#[test]
fn static_profile_needs_no_network() {
    // No STS endpoint at all: an unreachable one proves nothing is called.
    let mut home = Home::new();
    home.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    home.config(CHAIN).credentials(BASE_KEYS);
    let env = use_in_bash(&home, &["base"]);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        env["AWS_SECRET_ACCESS_KEY"],
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(env["AWSENV_PROFILE"], "base");
    assert!(!env.contains_key("AWS_SESSION_TOKEN"));
    assert!(!env.contains_key("AWS_CREDENTIAL_EXPIRATION"));
}

#[test]
fn three_hop_role_chain_ends_on_the_last_role() {
    let home = Home::with_moto();
    home.config(CHAIN).credentials(BASE_KEYS);
    let env = use_in_bash(&home, &["hop3"]);
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(env["AWS_SESSION_TOKEN"], env["AWS_SECURITY_TOKEN"]);
    assert_eq!(env["AWS_REGION"], "ap-southeast-2");
    assert!(env["AWS_CREDENTIAL_EXPIRATION"].ends_with('Z'));
    let arn = home.identity_of(&env);
    assert_eq!(arn, "arn:aws:sts::444444444444:assumed-role/three/s3");
    // The oracle: the AWS CLI resolves the same profile to the same identity.
    let cli = home.cli_identity("hop3", None).success();
    assert_eq!(cli.stdout.trim(), arn);
}

#[test]
fn second_use_of_a_role_comes_from_the_cache() {
    let mut moto = support::Moto::start(&[]);
    let mut home = Home::new();
    home.set("AWS_ENDPOINT_URL_STS", &moto.url);
    home.config(CHAIN).credentials(BASE_KEYS);
    let first = use_in_bash(&home, &["hop1"]);
    // STS is gone: the second call must not need it.
    moto.stop();
    let second = use_in_bash(&home, &["hop1"]);
    assert_eq!(first["AWS_ACCESS_KEY_ID"], second["AWS_ACCESS_KEY_ID"]);
    assert_eq!(first["AWS_SESSION_TOKEN"], second["AWS_SESSION_TOKEN"]);
    // --no-cache really goes to STS (and fails here, cleanly).
    let err = home
        .run(&["use", "hop1", "--no-cache", "--shell", "bash"])
        .clean_failure();
    assert!(
        err.contains("hop1") && err.contains("AssumeRole arn:aws:iam::222222222222:role/one"),
        "{err}"
    );
    // Changing the role's settings misses the cache too.
    home.config(&CHAIN.replace("role_session_name = s1", "role_session_name = other"));
    home.run(&["use", "hop1"]).clean_failure();
}

#[test]
fn cache_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::with_moto();
    home.config(CHAIN).credentials(BASE_KEYS);
    use_in_bash(&home, &["hop2"]);
    let dir = home.path().join(".cache/awsenv/sessions");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "one session per role hop: {files:?}");
    for f in files {
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            f.display()
        );
    }
}

const MFA: &str = "\
[profile user]
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile admin]
role_arn = arn:aws:iam::555555555555:role/admin
source_profile = user
mfa_serial = arn:aws:iam::111111111111:mfa/alice
role_session_name = alice
[profile audit]
role_arn = arn:aws:iam::666666666666:role/audit
source_profile = user
mfa_serial = arn:aws:iam::111111111111:mfa/alice
role_session_name = alice
";
const USER_KEYS: &str =
    "[user]\naws_access_key_id = AKIAUSEREXAMPLE00001\naws_secret_access_key = usersecret\n";

#[test]
fn one_mfa_code_serves_every_role_behind_the_user() {
    let home = Home::with_moto();
    home.config(MFA).credentials(USER_KEYS);
    // No terminal and no code: a clear error, nothing on stdout.
    let err = home
        .run(&["use", "admin", "--shell", "bash"])
        .clean_failure();
    assert!(
        err.contains("admin") && err.contains("MFA") && err.contains("--mfa-token"),
        "{err}"
    );

    let env = use_in_bash(&home, &["admin", "--mfa-token", "123456"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::555555555555:assumed-role/admin/alice"
    );
    // Another role behind the same user: the cached MFA session is used, no code asked.
    let env = use_in_bash(&home, &["audit"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::666666666666:assumed-role/audit/alice"
    );
}

#[test]
fn mfa_process_supplies_the_code_and_bad_codes_are_refused() {
    let home = Home::with_moto();
    let counter = home.path().join("asked");
    let script = home.script(
        "mfa.sh",
        &format!(
            "#!/bin/sh\necho x >> '{}'\necho 654321\n",
            counter.display()
        ),
    );
    home.config(&format!("{MFA}mfa_process = {}\n", script.display()))
        .credentials(USER_KEYS);
    // `audit` is last in the file, so mfa_process belongs to it.
    let env = use_in_bash(&home, &["audit"]);
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        1
    );
    let err = home
        .run(&["use", "admin", "--mfa-token", "12ab", "--no-cache"])
        .clean_failure();
    assert!(err.contains("6 digits"), "{err}");
}

#[test]
fn credential_process_and_its_failures() {
    let home = Home::with_moto();
    let good = home.script("good.sh", "#!/bin/sh\necho 'from the process' >&2\nprintf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\",\"SecretAccessKey\":\"procsecret\",\"SessionToken\":\"proctoken\",\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n");
    let failing = home.script(
        "fail.sh",
        "#!/bin/sh\necho 'cannot reach vault' >&2\nexit 3\n",
    );
    let garbage = home.script("garbage.sh", "#!/bin/sh\necho 'AKIASECRETLEAK not json'\n");
    home.config(&format!(
        "[profile proc]\ncredential_process = {} --flag \"two words\"\n[profile fail]\ncredential_process = {}\n[profile garbage]\ncredential_process = {}\n[profile role-on-proc]\nrole_arn = arn:aws:iam::777777777777:role/p\nsource_profile = proc\nrole_session_name = pp\n",
        good.display(), failing.display(), garbage.display()
    ));
    let out = home.run(&["use", "proc", "--shell", "bash"]).success();
    assert!(
        out.stderr.contains("from the process"),
        "the process's stderr passes through"
    );
    let (env, _) = eval_in(Sh::Bash, &out.stdout, &home.env, home.path());
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAPROC");
    assert_eq!(env["AWS_SESSION_TOKEN"], "proctoken");
    assert_eq!(env["AWS_CREDENTIAL_EXPIRATION"], "2099-01-01T00:00:00Z");

    let env = use_in_bash(&home, &["role-on-proc"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::777777777777:assumed-role/p/pp"
    );
    assert_eq!(
        home.cli_identity("role-on-proc", None)
            .success()
            .stdout
            .trim(),
        "arn:aws:sts::777777777777:assumed-role/p/pp"
    );

    let out = home.run(&["use", "fail"]);
    assert!(!out.ok() && out.stdout.is_empty());
    assert!(
        out.stderr.contains("cannot reach vault"),
        "process stderr shown"
    );
    assert!(
        out.stderr
            .lines()
            .last()
            .unwrap()
            .contains("profile `fail`: credential_process"),
        "{}",
        out.stderr
    );

    let err = home.run(&["use", "garbage"]).clean_failure();
    assert!(
        err.contains("garbage") && err.contains("not the expected JSON"),
        "{err}"
    );
    assert!(
        !err.contains("AKIASECRETLEAK"),
        "process output must not be echoed: {err}"
    );
}

#[test]
fn web_identity() {
    let home = Home::with_moto();
    let token = home.path().join("token");
    std::fs::write(&token, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.sig\n").unwrap();
    home.config(&format!(
        "[profile ci]\nrole_arn = arn:aws:iam::888888888888:role/ci\nweb_identity_token_file = {}\nrole_session_name = build\n[profile ci-missing]\nrole_arn = arn:aws:iam::888888888888:role/ci\nweb_identity_token_file = /nonexistent/token\n",
        token.display()
    ));
    let env = use_in_bash(&home, &["ci"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::888888888888:assumed-role/ci/build"
    );
    assert_eq!(
        home.cli_identity("ci", None).success().stdout.trim(),
        "arn:aws:sts::888888888888:assumed-role/ci/build"
    );
    let err = home.run(&["use", "ci-missing"]).clean_failure();
    assert!(
        err.contains("ci-missing") && err.contains("/nonexistent/token"),
        "{err}"
    );
}

#[test]
fn bad_configuration_errors_name_profile_and_line() {
    let home = Home::new();
    home.config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n[profile lonely]\nrole_arn = arn:aws:iam::1:role/l\n[profile orphan]\nrole_arn = arn:aws:iam::1:role/o\nsource_profile = ghost\n[profile prod]\n[profile prod-eu]\n");
    let cfg = home.path().join(".aws/config").display().to_string();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["use", "a"],
            &["source_profile loop a -> b -> a", &format!("{cfg}:6")],
        ),
        (
            &["use", "lonely"],
            &[
                "lonely",
                "neither source_profile nor credential_source",
                &format!("{cfg}:8"),
            ],
        ),
        (
            &["use", "orphan"],
            &["orphan", "`ghost`", &format!("{cfg}:11")],
        ),
        (&["use", "prdo"], &["`prdo`", "did you mean prod"]),
        (&["use", "prod"], &["prod", "no credentials"]),
        (&["exec", "orphan", "--", "true"], &["ghost"]),
        (&["export", "lonely"], &["lonely"]),
    ];
    for (args, needles) in cases {
        let err = home.run(args).clean_failure();
        for n in *needles {
            assert!(err.contains(n), "{args:?}: `{err}` lacks `{n}`");
        }
    }
    home.config("[profile ok]\nregion = x\naws_secret_access_key wJalrXUtnFEMI\n");
    let err = home.run(&["use", "ok"]).clean_failure();
    assert!(err.contains(&format!("{cfg}:3")), "{err}");
    assert!(
        !err.contains("wJalrXUtnFEMI"),
        "a malformed line may be a secret: {err}"
    );
}

#[test]
fn access_denied_is_reported_with_the_role() {
    // A moto that checks keys: ours are unknown to it, so STS answers InvalidClientTokenId.
    let moto = support::Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let mut home = Home::new();
    home.set("AWS_ENDPOINT_URL_STS", &moto.url);
    home.config(CHAIN).credentials(BASE_KEYS);
    let err = home.run(&["use", "hop1"]).clean_failure();
    assert!(
        err.contains("hop1")
            && err.contains("arn:aws:iam::222222222222:role/one")
            && err.contains("InvalidClientTokenId"),
        "{err}"
    );
}

const SSO: &str = "\
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
[profile sso-admin]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
region = eu-north-1
[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 210987654321
sso_role_name = ReadOnly
[profile behind-sso]
role_arn = arn:aws:iam::999999999999:role/deploy
source_profile = sso-admin
role_session_name = deploy
";

#[test]
fn sso_profiles_use_the_cli_token_cache() {
    let portal = support::sso_portal(&["good-token", "legacy-token"]);
    let mut home = Home::with_moto();
    home.set("AWS_ENDPOINT_URL_SSO", &portal.url);
    home.config(SSO);
    // Not logged in yet: say how to log in.
    let err = home.run(&["use", "sso-admin"]).clean_failure();
    assert!(
        err.contains("sso-admin") && err.contains("sso login --profile sso-admin"),
        "{err}"
    );

    support::write_sso_token(&home, "corp", "good-token", "2099-01-01T00:00:00Z");
    support::write_sso_token(
        &home,
        "https://legacy.awsapps.com/start",
        "legacy-token",
        "2099-01-01T00:00:00UTC",
    );
    let env = use_in_bash(&home, &["sso-admin"]);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIASSO123456789012");
    assert_eq!(env["AWS_SESSION_TOKEN"], "sso-token-Admin-123456789012");
    assert_eq!(env["AWS_REGION"], "eu-north-1");
    // The AWS CLI reads the same cache file and gets the same credentials from the stand-in.
    let env_legacy = use_in_bash(&home, &["sso-legacy"]);
    assert_eq!(env_legacy["AWS_ACCESS_KEY_ID"], "ASIASSO210987654321");
    // A role assumed with SSO credentials.
    let env = use_in_bash(&home, &["behind-sso"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::999999999999:assumed-role/deploy/deploy"
    );
    assert_eq!(
        home.cli_identity("behind-sso", None)
            .success()
            .stdout
            .trim(),
        "arn:aws:sts::999999999999:assumed-role/deploy/deploy"
    );

    // Expired token: a clear error naming the profile and the way out.
    support::write_sso_token(&home, "corp", "good-token", "2001-01-01T00:00:00Z");
    let err = home
        .run(&["use", "sso-admin", "--no-cache"])
        .clean_failure();
    assert!(
        err.contains("sso-admin") && err.contains("expired") && err.contains("sso login"),
        "{err}"
    );
    // A token the portal rejects.
    support::write_sso_token(&home, "corp", "revoked-token", "2099-01-01T00:00:00Z");
    let err = home
        .run(&["use", "sso-admin", "--no-cache"])
        .clean_failure();
    assert!(
        err.contains("sso-admin") && err.contains("rejected"),
        "{err}"
    );
}

#[test]
fn list_names_and_long_table() {
    let home = Home::with_moto();
    home.config(&format!(
        "{CHAIN}[profile broken]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = ghost\n"
    ))
    .credentials(BASE_KEYS);
    let names = home.run(&["list"]).success().stdout;
    assert_eq!(names, "base\nbroken\nhop1\nhop2\nhop3\n");
    use_in_bash(&home, &["hop2"]);
    let table = home.run(&["list", "--long"]).success().stdout;
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_string()
    };
    assert!(
        row("base").contains("static") && row("base").contains("eu-west-1"),
        "{table}"
    );
    assert!(
        row("hop3").contains("role <- hop2 <- hop1 <- base"),
        "{table}"
    );
    assert!(
        row("broken").contains("error: missing source_profile"),
        "{table}"
    );
    // hop2 was just resolved: its role session (and hop1's, on the way) are cached.
    assert!(row("hop2").contains("role until 20"), "{table}");
    assert!(row("hop1").contains("role until 20"), "{table}");
    assert!(!row("hop3").contains("until"), "{table}");
}

#[test]
fn durations_reach_sts() {
    let home = Home::with_moto();
    home.config(&CHAIN.replace(
        "role_session_name = s1\n",
        "role_session_name = s1\nduration_seconds = 7200\n",
    ))
    .credentials(BASE_KEYS);
    let expiry_in = |env: &BTreeMap<String, String>| {
        let exp = env["AWS_CREDENTIAL_EXPIRATION"].clone();
        let out = std::process::Command::new("date")
            .args(["-d", &exp, "+%s"])
            .output()
            .unwrap();
        let exp: i64 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        exp - now
    };
    let env = use_in_bash(&home, &["hop1", "--no-cache"]);
    let left = expiry_in(&env);
    assert!(
        (7100..=7200).contains(&left),
        "duration_seconds = 7200 gave {left}s"
    );
    let env = use_in_bash(&home, &["hop1", "--no-cache", "--duration", "15m"]);
    let left = expiry_in(&env);
    assert!((800..=900).contains(&left), "--duration 15m gave {left}s");
}

#[test]
fn credential_source_environment_is_the_only_way_env_keys_are_used() {
    let mut home = Home::with_moto();
    home.config("[profile from-env]\nrole_arn = arn:aws:iam::121212121212:role/ci\ncredential_source = Environment\nrole_session_name = ci\n[profile no-keys]\nregion = eu-west-1\n");
    home.set("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT1")
        .set("AWS_SECRET_ACCESS_KEY", "envsecret");
    let env = use_in_bash(&home, &["from-env"]);
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::121212121212:assumed-role/ci/ci"
    );
    // A profile without credentials does not borrow the environment's keys.
    let err = home.run(&["use", "no-keys"]).clean_failure();
    assert!(
        err.contains("no-keys") && err.contains("no credentials"),
        "{err}"
    );
}
