//! `awsenv sso login --use-device-code` (and legacy profiles, which always use the device flow)
//! and `awsenv sso logout` against a local OIDC stand-in (tests/fixtures/sso_oidc.py) and the
//! portal stand-in (tests/fixtures/sso_portal.py); the AWS CLI v1 (botocore) is the oracle for
//! the token cache: it reads what awsenv writes, and awsenv reads what it refreshes.

use std::path::{Path, PathBuf};

use crate::support::{self, sso_cache_file, Fixture, Home, OidcEndpoint};

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
[profile sso-admin]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
region = eu-north-1
[profile behind-sso]
role_arn = arn:aws:iam::999999999999:role/deploy
source_profile = sso-admin
role_session_name = deploy
[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 210987654321
sso_role_name = ReadOnly
[profile plain]
region = eu-west-1
";

fn home(oidc: &OidcEndpoint, portal: &Fixture) -> Home {
    let mut h = Home::with_moto();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url())
        .set("AWS_ENDPOINT_URL_SSO", &portal.url);
    h.config(CONFIG);
    h
}

fn corp_token(h: &Home) -> PathBuf {
    sso_cache_file(h, "'corp'")
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Rewrites a token file's expiresAt (as if time had passed), keeping the rest.
fn expire(p: &Path, when: &str) {
    let mut t = read_json(p);
    t["expiresAt"] = when.into();
    std::fs::write(p, t.to_string()).unwrap();
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn login(h: &Home, args: &[&str]) -> support::Run {
    let mut all = vec!["sso", "login"];
    all.extend_from_slice(args);
    h.run(&all)
}

#[test]
fn device_flow_writes_the_cli_token_cache_and_the_cli_uses_it() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-1"]);
    let mut h = home(&oidc, &portal);
    // A "browser" that records what it was asked to open.
    let argv = h.path().join("browser-argv");
    let browser = h.script(
        "browser",
        &format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", argv.display()),
    );
    h.set("BROWSER", browser.to_str().unwrap());

    let run = login(&h, &["--use-device-code", "--profile", "sso-admin"]).success();
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("https://device.sso.example.com/") && run.stderr.contains("WXYZ-1234"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("tok-1"),
        "the token leaked: {}",
        run.stderr
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !argv.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_to_string(&argv).unwrap().trim(),
        "https://device.sso.example.com/?user_code=WXYZ-1234"
    );

    // The calls, in order, with their documented shapes.
    let reqs = oidc.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "/client/register",
            "/device_authorization",
            "/token",
            "/token"
        ],
        "register, start, one pending poll, success"
    );
    assert_eq!(reqs[0]["body"]["clientType"], "public");
    assert_eq!(reqs[0]["body"]["clientName"], "botocore-client-corp");
    assert_eq!(
        reqs[0]["body"]["scopes"],
        serde_json::json!(["sso:account:access"])
    );
    assert_eq!(
        reqs[1]["body"]["startUrl"],
        "https://example.awsapps.com/start"
    );
    assert_eq!(
        reqs[3]["body"]["grantType"],
        "urn:ietf:params:oauth:grant-type:device_code"
    );

    // The token file: where botocore looks, private, with the AWS CLI v2's fields.
    let path = corp_token(&h);
    let t = read_json(&path);
    assert_eq!(t["accessToken"], "tok-1");
    assert_eq!(t["startUrl"], "https://example.awsapps.com/start");
    assert_eq!(t["region"], "us-east-1");
    assert_eq!(t["clientId"], reqs[1]["body"]["clientId"]);
    assert_eq!(t["clientSecret"], reqs[1]["body"]["clientSecret"]);
    assert!(t["refreshToken"].as_str().unwrap().starts_with("refresh-"));
    for field in ["expiresAt", "registrationExpiresAt"] {
        let v = t[field].as_str().unwrap();
        assert!(
            v.len() == 20 && v.ends_with('Z') && v.as_bytes()[10] == b'T',
            "{field} = {v}"
        );
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
    // The client registration, under the name the AWS CLI v2's SSOTokenFetcher gives it (region
    // included; scopes as configured, here none).
    let reg = sso_cache_file(
        &h,
        "json.dumps({'tool': 'botocore', 'startUrl': 'https://example.awsapps.com/start', \
         'region': 'us-east-1', 'session_name': 'corp', 'scopes': None}, sort_keys=True)",
    );
    assert_eq!(read_json(&reg)["clientId"], t["clientId"]);

    // The AWS CLI signs in from the cache awsenv wrote (the portal accepts only tok-1).
    assert_eq!(
        h.cli_identity("behind-sso", None).success().stdout.trim(),
        "arn:aws:sts::999999999999:assumed-role/deploy/deploy"
    );
    // And so does awsenv.
    let out = h
        .run(&["export", "sso-admin", "--format", "process"])
        .success();
    assert!(out.stdout.contains("ASIASSO123456789012"), "{}", out.stdout);

    // A second login reuses the registration.
    login(
        &h,
        &["--use-device-code", "--sso-session", "corp", "--no-browser"],
    )
    .success();
    let paths: Vec<String> = oidc.requests()[4..]
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["/device_authorization", "/token", "/token"]);
    assert_eq!(read_json(&path)["accessToken"], "tok-2");
}

#[test]
fn awsenv_refreshes_an_expired_token_and_the_cli_reads_it() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    // Only the refreshed token is any good at the portal.
    let portal = support::sso_portal(&["tok-2"]);
    let h = home(&oidc, &portal);
    login(
        &h,
        &[
            "--use-device-code",
            "--profile",
            "sso-admin",
            "--no-browser",
        ],
    )
    .success();
    let path = corp_token(&h);
    let before = read_json(&path);
    expire(&path, "2001-01-01T00:00:00Z");

    let run = h
        .run(&["use", "sso-admin", "--shell", "bash", "--no-cache"])
        .success();
    assert!(run.stdout.contains("ASIASSO123456789012"), "{}", run.stdout);
    let refresh = oidc.requests().pop().unwrap();
    assert_eq!(refresh["body"]["grantType"], "refresh_token");
    assert_eq!(refresh["body"]["refreshToken"], before["refreshToken"]);
    let after = read_json(&path);
    assert_eq!(after["accessToken"], "tok-2");
    assert_ne!(after["refreshToken"], before["refreshToken"], "rotated");
    assert_eq!(after["clientId"], before["clientId"]);
    assert_eq!(
        after["registrationExpiresAt"],
        before["registrationExpiresAt"]
    );
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    // botocore reads the refreshed token (no refresh of its own: tok-2 is the last one).
    assert_eq!(
        h.cli_identity("behind-sso", None).success().stdout.trim(),
        "arn:aws:sts::999999999999:assumed-role/deploy/deploy"
    );

    // A refresh the service refuses: the way out is named.
    let mut t = read_json(&path);
    t["expiresAt"] = "2001-01-01T00:00:00Z".into();
    t["refreshToken"] = "bogus".into();
    std::fs::write(&path, t.to_string()).unwrap();
    let err = h.run(&["use", "sso-admin", "--no-cache"]).clean_failure();
    assert!(
        err.contains("profile `sso-admin`")
            && err.contains("expired")
            && err.contains("awsenv sso login --profile sso-admin"),
        "{err}"
    );
}

#[test]
fn botocore_refreshes_and_awsenv_reads_the_result() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-2"]);
    let h = home(&oidc, &portal);
    login(
        &h,
        &[
            "--use-device-code",
            "--profile",
            "sso-admin",
            "--no-browser",
        ],
    )
    .success();
    let path = corp_token(&h);
    expire(&path, "2001-01-01T00:00:00Z");

    // botocore's SSOTokenProvider refreshes with the refresh token awsenv stored.
    assert_eq!(
        h.cli_identity("behind-sso", None).success().stdout.trim(),
        "arn:aws:sts::999999999999:assumed-role/deploy/deploy"
    );
    assert_eq!(read_json(&path)["accessToken"], "tok-2");
    let grants = oidc
        .requests()
        .iter()
        .filter(|r| r["body"]["grantType"] == "refresh_token")
        .count();
    assert_eq!(grants, 1);
    // awsenv uses botocore's refreshed token as it is.
    let run = h
        .run(&["use", "sso-admin", "--shell", "bash", "--no-cache"])
        .success();
    assert!(run.stdout.contains("ASIASSO123456789012"), "{}", run.stdout);
    let grants = oidc
        .requests()
        .iter()
        .filter(|r| r["body"]["grantType"] == "refresh_token")
        .count();
    assert_eq!(grants, 1, "awsenv refreshed a valid token");
}

#[test]
fn legacy_profiles_log_in_without_scopes_and_logout_removes_tokens() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-1", "tok-2"]);
    let h = home(&oidc, &portal);
    login(&h, &["--profile", "sso-legacy", "--no-browser"]).success();
    let reqs = oidc.requests();
    assert!(reqs[0]["body"].get("scopes").is_none(), "{}", reqs[0]);
    let legacy = sso_cache_file(&h, "'https://legacy.awsapps.com/start'");
    let t = read_json(&legacy);
    assert_eq!(t["accessToken"], "tok-1");
    assert!(t.get("refreshToken").is_none());
    // Expired legacy token: no refresh, the way out is named.
    expire(&legacy, "2001-01-01T00:00:00Z");
    let err = h.run(&["use", "sso-legacy", "--no-cache"]).clean_failure();
    assert!(
        err.contains("awsenv sso login --profile sso-legacy"),
        "{err}"
    );
    assert_eq!(oidc.requests().len(), reqs.len(), "no refresh was tried");

    login(
        &h,
        &[
            "--use-device-code",
            "--profile",
            "sso-admin",
            "--no-browser",
        ],
    )
    .success();
    let corp = corp_token(&h);
    assert!(corp.exists());
    // A cached SSO session (awsenv's own cache) that logout must not leave usable.
    h.run(&["use", "sso-admin"]).success();

    // Logout of one session removes only its token.
    let run = h.run(&["sso", "logout", "--sso-session", "corp"]).success();
    assert_eq!(run.stdout, "");
    assert!(!corp.exists() && legacy.exists());
    let err = h.run(&["use", "sso-admin"]).clean_failure();
    assert!(
        err.contains("awsenv sso login --profile sso-admin"),
        "{err}"
    );

    // Logout of everything removes every token and keeps client registrations and unrelated files.
    let other = h.path().join(".aws/sso/cache/notes.txt");
    std::fs::write(&other, "mine").unwrap();
    let files_before = std::fs::read_dir(h.path().join(".aws/sso/cache"))
        .unwrap()
        .count();
    h.run(&["sso", "logout"]).success();
    assert!(!legacy.exists());
    assert!(other.exists());
    let left = std::fs::read_dir(h.path().join(".aws/sso/cache"))
        .unwrap()
        .count();
    assert_eq!(left, files_before - 1, "only the token file went");
}

#[test]
fn bad_targets_fail_cleanly() {
    let oidc = support::oidc_endpoint(&["tok-1"]);
    let portal = support::sso_portal(&["tok-1"]);
    let h = home(&oidc, &portal);
    let err = login(&h, &["--profile", "nope"]).clean_failure();
    assert!(err.contains("`nope`"), "{err}");
    let err = login(&h, &["--profile", "plain", "--no-browser"]).clean_failure();
    assert!(
        err.contains("profile `plain`") && err.contains("config:"),
        "{err}"
    );
    let err = login(&h, &["--sso-session", "missing", "--no-browser"]).clean_failure();
    assert!(err.contains("[sso-session missing]"), "{err}");
    assert!(oidc.requests().is_empty());

    // The OIDC service is unreachable: the error says which call failed.
    let mut down = home(&oidc, &portal);
    down.set("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9");
    let err = login(
        &down,
        &[
            "--use-device-code",
            "--profile",
            "sso-admin",
            "--no-browser",
        ],
    )
    .clean_failure();
    assert!(
        err.contains("profile `sso-admin`") && err.contains("RegisterClient"),
        "{err}"
    );
}
