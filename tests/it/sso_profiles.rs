//! `awsenv sso profiles`: every account and role a sign-in reaches, from the portal stand-in's
//! ListAccounts/ListAccountRoles (tests/fixtures/sso_portal.py, one item per page, so paging must
//! be followed), printed or written into the config file's own block; botocore is the oracle
//! that the generated profiles resolve.

use std::path::{Path, PathBuf};

use crate::support::{self, venv_bin, write_sso_token, Fixture, Home};

const USER_CONFIG: &str = "\
# my own settings, kept as they are
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1

[profile mine]
region   =   eu-west-1   
; a comment
[profile Dev.Admin]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Admin
region = eu-central-1
";

const ACCOUNTS: &str = r#"{
 "111111111111": {"name": "Prod & Co", "roles": ["ReadOnly", "Admin"]},
 "222222222222": {"name": "Dev", "roles": ["Admin"]},
 "333333333333": {"name": "Sandbox", "roles": ["Admin", "Dev"]}
}"#;

struct Setup {
    h: Home,
    accounts: PathBuf,
    _portal: Fixture,
}

fn setup() -> Setup {
    let mut h = Home::with_moto();
    let accounts = h.path().join("accounts.json");
    std::fs::write(&accounts, ACCOUNTS).unwrap();
    let portal = Fixture::start(
        "sso_portal.py",
        &[&format!("--accounts={}", accounts.display()), "tok-1"],
    );
    h.set("AWS_ENDPOINT_URL_SSO", &portal.url);
    h.config(USER_CONFIG);
    write_sso_token(&h, "corp", "tok-1", "2099-01-01T00:00:00Z");
    Setup {
        h,
        accounts,
        _portal: portal,
    }
}

fn config(h: &Home) -> PathBuf {
    h.path().join(".aws/config")
}

/// The access key and secret botocore resolves for a profile.
fn botocore_keys(h: &Home, profile: &str) -> String {
    let mut c = std::process::Command::new(venv_bin("python"));
    c.args([
        "-c",
        "import sys, botocore.session as s; f = s.Session(profile=sys.argv[1]).get_credentials().get_frozen_credentials(); print(f.access_key, f.secret_key)",
        profile,
    ]);
    h.isolate(&mut c);
    let out = support::Run::from(c.output().unwrap());
    assert!(out.ok(), "botocore: {}", out.stderr);
    out.stdout.trim().to_string()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn lists_every_account_and_role_across_pages() {
    let s = setup();
    let out =
        s.h.run(&["sso", "profiles", "--sso-session", "corp"])
            .success();
    let names: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("[profile ")?.strip_suffix(']'))
        .collect();
    assert_eq!(
        names,
        [
            "Dev.Admin",
            "Prod-Co.Admin",
            "Prod-Co.ReadOnly",
            "Sandbox.Admin",
            "Sandbox.Dev"
        ]
    );
    assert!(out.stdout.contains(
        "[profile Prod-Co.ReadOnly]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\nregion = us-east-1\n"
    ));
    let out =
        s.h.run(&[
            "sso",
            "profiles",
            "--sso-session",
            "corp",
            "--naming",
            "{account_id}-{role_name}",
            "--region",
            "eu-west-3",
        ])
        .success();
    assert!(
        out.stdout.contains("[profile 333333333333-Dev]\n")
            && out.stdout.contains("region = eu-west-3\n"),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read_to_string(config(&s.h)).unwrap(), USER_CONFIG);
}

#[test]
fn write_replaces_only_its_block_and_is_idempotent() {
    let s = setup();
    let path = config(&s.h);
    let run =
        s.h.run(&["sso", "profiles", "--sso-session", "corp", "--write"])
            .success();
    assert_eq!(run.stdout, "");
    // The user's own Dev.Admin is theirs: not generated again.
    assert!(
        run.stderr
            .contains("`Dev.Admin` is already in the config file"),
        "{}",
        run.stderr
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with(USER_CONFIG),
        "every line of the user's kept:\n{written}"
    );
    assert_eq!(written.matches("[profile Dev.Admin]").count(), 1);
    assert!(written.contains("\n# BEGIN awsenv generated profiles for sso-session corp"));
    assert!(written.ends_with("# END awsenv generated profiles for sso-session corp\n"));
    let mut backup = path.clone().into_os_string();
    backup.push(".awsenv-backup");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), USER_CONFIG);
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    // The oracle resolves a generated profile through the portal; so does awsenv.
    assert_eq!(
        botocore_keys(&s.h, "Prod-Co.ReadOnly"),
        "ASIASSO111111111111 sso-secret-ReadOnly"
    );
    let out =
        s.h.run(&["export", "Sandbox.Dev", "--format", "process"])
            .success();
    assert!(
        out.stdout.contains("\"ASIASSO333333333333\""),
        "{}",
        out.stdout
    );

    // Again, nothing changed: the file stays byte-for-byte the same.
    let run =
        s.h.run(&["sso", "profiles", "--sso-session", "corp", "--write"])
            .success();
    assert!(run.stderr.contains("nothing written"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);

    // The user adds lines after the block; an account goes away: only the block changes.
    let tail = "\n[profile later]\nregion = ap-south-1\n";
    std::fs::write(&path, format!("{written}{tail}")).unwrap();
    let mut accounts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&s.accounts).unwrap()).unwrap();
    accounts.as_object_mut().unwrap().remove("333333333333");
    std::fs::write(&s.accounts, accounts.to_string()).unwrap();
    s.h.run(&["sso", "profiles", "--sso-session", "corp", "--write"])
        .success();
    let now = std::fs::read_to_string(&path).unwrap();
    assert!(now.starts_with(USER_CONFIG) && now.ends_with(tail), "{now}");
    assert!(!now.contains("Sandbox"), "{now}");
    assert!(now.contains("[profile Prod-Co.Admin]"));
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        format!("{written}{tail}"),
        "the backup is the file before this write"
    );
}

#[test]
fn a_broken_block_or_no_sign_in_changes_nothing() {
    let s = setup();
    let path = config(&s.h);
    let broken = format!("{USER_CONFIG}# BEGIN awsenv generated profiles for sso-session corp (edits inside are replaced)\n[profile x]\n");
    std::fs::write(&path, &broken).unwrap();
    let err =
        s.h.run(&["sso", "profiles", "--sso-session", "corp", "--write"])
            .clean_failure();
    assert!(err.contains("never closed"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);

    std::fs::write(&path, USER_CONFIG).unwrap();
    std::fs::remove_dir_all(s.h.path().join(".aws/sso/cache")).unwrap();
    let err =
        s.h.run(&["sso", "profiles", "--sso-session", "corp", "--write"])
            .clean_failure();
    assert!(err.contains("awsenv sso login --sso-session corp"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_CONFIG);
}
