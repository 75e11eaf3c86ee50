//! `awsenv sso login` for an `[sso-session]`: the authorization-code grant with PKCE, against the
//! OIDC stand-in (tests/fixtures/sso_oidc.py, which checks the registration, the S256 challenge
//! against the verifier, the redirect URI and that a code works once). The test "browser" is a
//! `BROWSER` script that follows the `/authorize` redirect to awsenv's loopback callback; the
//! AWS CLI v1 (botocore) is the oracle that the token written is usable.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::{self, sso_cache_file, venv_bin, Home, OidcEndpoint};

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
[profile sso-admin]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
[profile behind-sso]
role_arn = arn:aws:iam::999999999999:role/deploy
source_profile = sso-admin
role_session_name = deploy
";

/// A Python one-liner that GETs argv[1] (following redirects) and prints the final status.
const FOLLOW: &str = "import sys, urllib.request as u, urllib.error as e\ntry:\n    print(u.urlopen(sys.argv[1]).status)\nexcept e.HTTPError as x:\n    print(x.code)";

fn home(oidc: &OidcEndpoint, portal: &support::Fixture) -> Home {
    let mut h = Home::with_moto();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url())
        .set("AWS_ENDPOINT_URL_SSO", &portal.url);
    h.config(CONFIG);
    h
}

/// A `BROWSER` that follows the URL in the background (awsenv answers only after `open`
/// returns), after passing it through the sed expression `edit`; it records the final status.
fn browser(h: &mut Home, edit: &str) -> PathBuf {
    let status = h.path().join("browser-status");
    let script = h.script(
        "browser",
        &format!(
            "#!/bin/sh\nurl=$(printf '%s' \"$1\" | sed -e '{edit}')\n'{py}' -c '{follow}' \"$url\" > '{out}' 2>&1 &\n",
            py = venv_bin("python").display(),
            follow = FOLLOW.replace('\'', "'\\''"),
            out = status.display(),
        ),
    );
    h.set("BROWSER", script.to_str().unwrap());
    status
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn corp_token(h: &Home) -> PathBuf {
    sso_cache_file(h, "'corp'")
}

fn wait_for(p: &Path) -> String {
    // The browser script runs in the background; awsenv has already exited when we look.
    for _ in 0..200 {
        if let Ok(s) = std::fs::read_to_string(p) {
            if !s.is_empty() {
                return s.trim().to_string();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the browser script wrote nothing to {}", p.display());
}

#[test]
fn pkce_login_registers_for_the_code_grant_and_the_cli_uses_the_token() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-1", "tok-2"]);
    let mut h = home(&oidc, &portal);
    let status = browser(&mut h, "s/x/x/");

    let listed = h.run(&["sso", "sessions"]).success().stdout;
    assert_eq!(
        listed,
        "corp\thttps://example.awsapps.com/start\tus-east-1\tnot signed in\n"
    );
    // (This machine may be a container, where awsenv would pick the device code by itself.)
    let run = h
        .run(&["sso", "login", "--sso-session", "corp", "--no-device-code"])
        .success();
    assert_eq!(run.stdout, "");
    assert_eq!(wait_for(&status), "200", "the callback page said OK");
    let listed = h.run(&["sso", "sessions"]).success().stdout;
    assert!(
        listed
            .starts_with("corp\thttps://example.awsapps.com/start\tus-east-1\tsigned in until 20"),
        "{listed}"
    );

    let reqs = oidc.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/client/register", "/authorize", "/token"]);
    let reg = &reqs[0]["body"];
    assert_eq!(
        reg["grantTypes"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    // Registered as the AWS CLI registers: loopback without a port (RFC 8252 §7.3); the port
    // of this sign-in only in /authorize and CreateToken.
    assert_eq!(
        reg["redirectUris"],
        serde_json::json!(["http://127.0.0.1/oauth/callback"])
    );
    assert_eq!(reg["issuerUrl"], "https://example.awsapps.com/start");
    let q = &reqs[1]["query"];
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    let redirect = q["redirect_uri"].as_str().unwrap();
    let port: u16 = redirect
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/oauth/callback"))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{redirect}"));
    assert!(port > 0);
    assert_eq!(q["scopes"], "sso:account:access");
    assert!(q["state"].as_str().unwrap().len() >= 16);
    let t = &reqs[2]["body"];
    assert_eq!(t["grantType"], "authorization_code");
    assert_eq!(t["redirectUri"], redirect);
    assert!(!run.stderr.contains(t["codeVerifier"].as_str().unwrap()));

    // The CLI's token cache, and the registration under the CLI v2's name, with its grants.
    let token = read_json(&corp_token(&h));
    assert_eq!(token["accessToken"], "tok-1");
    assert_eq!(token["startUrl"], "https://example.awsapps.com/start");
    assert!(token["refreshToken"].is_string());
    let cached_reg = read_json(&sso_cache_file(
        &h,
        "json.dumps({'tool': 'botocore', 'startUrl': 'https://example.awsapps.com/start', \
         'region': 'us-east-1', 'session_name': 'corp', 'scopes': ['sso:account:access']}, sort_keys=True)",
    ));
    assert_eq!(cached_reg["clientId"], token["clientId"]);
    assert_eq!(
        cached_reg["grantTypes"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    // botocore signs in from it.
    assert_eq!(
        h.cli_identity("behind-sso", None).success().stdout.trim(),
        "arn:aws:sts::999999999999:assumed-role/deploy/deploy"
    );

    // Signed in with more than an hour left: said so, nothing asked. (tok-1 has 3600 s, so
    // make it longer first.)
    let mut long = token.clone();
    long["expiresAt"] = "2099-01-01T00:00:00Z".into();
    std::fs::write(corp_token(&h), long.to_string()).unwrap();
    let run = h.run(&["sso", "login", "--sso-session", "corp"]).success();
    assert!(
        run.stderr
            .contains("signed in to IAM Identity Center until 2099-01-01T00:00:00Z"),
        "{}",
        run.stderr
    );
    assert_eq!(oidc.requests().len(), 3);

    // --force signs in again, reusing the registration (no new RegisterClient).
    std::fs::remove_file(&status).unwrap();
    h.run(&[
        "sso",
        "login",
        "--sso-session",
        "corp",
        "--force",
        "--no-device-code",
    ])
    .success();
    assert_eq!(wait_for(&status), "200");
    let paths: Vec<String> = oidc.requests()[3..]
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["/authorize", "/token"]);
    assert_eq!(read_json(&corp_token(&h))["accessToken"], "tok-2");
}

/// A callback with another `state` (another tab, a forged request, a page probing local ports)
/// gets an error page and is ignored; the login goes on and takes the browser's real answer.
#[test]
fn a_callback_with_another_state_is_ignored_and_the_login_goes_on() {
    let oidc = support::oidc_endpoint(&["tok-1"]);
    let portal = support::sso_portal(&["tok-1"]);
    let mut h = home(&oidc, &portal);
    // The "browser" first follows the URL with the state swapped (the stand-in echoes it back in
    // the redirect), then the URL as it is.
    let forged = h.path().join("forged-status");
    let status = h.path().join("browser-status");
    let script = h.script(
        "browser",
        &format!(
            "#!/bin/sh\n(url=$(printf '%s' \"$1\" | sed -e 's/state=[^&]*/state=forged/')\n'{py}' -c '{follow}' \"$url\" > '{forged}' 2>&1\n'{py}' -c '{follow}' \"$1\" > '{out}' 2>&1) &\n",
            py = venv_bin("python").display(),
            follow = FOLLOW.replace('\'', "'\\''"),
            forged = forged.display(),
            out = status.display(),
        ),
    );
    h.set("BROWSER", script.to_str().unwrap());
    h.run(&["sso", "login", "--profile", "sso-admin", "--no-device-code"])
        .success();
    assert_eq!(wait_for(&forged), "400");
    assert_eq!(wait_for(&status), "200");
    assert_eq!(read_json(&corp_token(&h))["accessToken"], "tok-1");
    let reqs = oidc.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["/client/register", "/authorize", "/authorize", "/token"]
    );
}

#[test]
fn no_browser_prints_the_url_to_open() {
    let oidc = support::oidc_endpoint(&["tok-1"]);
    let portal = support::sso_portal(&["tok-1"]);
    let mut h = home(&oidc, &portal);
    // A browser that must not be started.
    let started = h.path().join("started");
    let script = h.script(
        "browser",
        &format!("#!/bin/sh\ntouch '{}'\n", started.display()),
    );
    h.set("BROWSER", script.to_str().unwrap());
    let mut child = h
        .awsenv(&[
            "sso",
            "login",
            "--sso-session",
            "corp",
            "--no-browser",
            "--no-device-code",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::watchdog(child.id());
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "no URL printed");
        if let Some(i) = line.find(", open http") {
            break line[i + ", open ".len()..].trim().to_string();
        }
    };
    assert!(
        url.starts_with(&format!("{}/authorize?", oidc.url())),
        "{url}"
    );
    // The user opens it themselves.
    let out = std::process::Command::new(venv_bin("python"))
        .args(["-c", FOLLOW, &url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "200");
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(!started.exists(), "a browser was started");
    assert_eq!(read_json(&corp_token(&h))["accessToken"], "tok-1");
}
