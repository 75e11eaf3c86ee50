//! `awsenv sso login` from anywhere (issue 22): one PKCE client registration serves every
//! sign-in (registered, as the AWS CLI does, with the portless loopback URI that RFC 8252 §7.3
//! lets match any port; the OIDC stand-in checks exactly that), the AWS CLI's cached
//! registration is shared, the device code is picked by itself where no local browser can take
//! the redirect (SSH, CI), and the callback port can be pinned for `ssh -L`.
//!
//! Every run has a bound: a sign-in whose `/authorize` the stand-in refuses would otherwise
//! wait the full ten minutes for a browser that never comes back.

use std::io::{BufRead, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, sso_cache_file, venv_bin, Home, OidcEndpoint, Run};

const CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
[profile sso-admin]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
";

/// The registration cache file the AWS CLI v2 names for `[sso-session corp]`.
const REGISTRATION_KEY: &str = "json.dumps({'tool': 'botocore', 'startUrl': 'https://example.awsapps.com/start', \
     'region': 'us-east-1', 'session_name': 'corp', 'scopes': ['sso:account:access']}, sort_keys=True)";

/// GETs argv[1], following redirects, and prints the final status.
const FOLLOW: &str = "import sys, urllib.request as u, urllib.error as e\ntry:\n    print(u.urlopen(sys.argv[1]).status)\nexcept e.HTTPError as x:\n    print(x.code)";

fn home(oidc: &OidcEndpoint, portal: &support::Fixture) -> Home {
    let mut h = Home::with_moto();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url())
        .set("AWS_ENDPOINT_URL_SSO", &portal.url)
        // A desktop, as far as variables go (this machine may still be a container).
        .set("DISPLAY", ":0");
    h.config(CONFIG);
    h
}

/// A `BROWSER` that follows the URL in the background and writes the final status to the
/// returned file.
fn following_browser(h: &mut Home) -> PathBuf {
    let status = h.path().join("browser-status");
    let script = h.script(
        "browser",
        &format!(
            "#!/bin/sh\n'{py}' -c '{follow}' \"$1\" > '{out}.tmp' 2>&1 && mv '{out}.tmp' '{out}' &\n",
            py = venv_bin("python").display(),
            follow = FOLLOW.replace('\'', "'\\''"),
            out = status.display(),
        ),
    );
    h.set("BROWSER", script.to_str().unwrap());
    status
}

/// A `BROWSER` that only records that it was started (into the returned file).
fn recording_browser(h: &mut Home) -> PathBuf {
    let started = h.path().join("browser-started");
    let script = h.script(
        "browser",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            started.display()
        ),
    );
    h.set("BROWSER", script.to_str().unwrap());
    started
}

/// `awsenv ARGS`, killed after `limit` (then the Run says so in its stderr and fails).
fn run_within(h: &Home, args: &[&str], limit: Duration) -> Run {
    let mut child = h
        .awsenv(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::watchdog(child.id());
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let readers = (
        std::thread::spawn(move || {
            let mut s = Vec::new();
            out.read_to_end(&mut s).unwrap();
            s
        }),
        std::thread::spawn(move || {
            let mut s = Vec::new();
            err.read_to_end(&mut s).unwrap();
            s
        }),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut run = Run::from(std::process::Output {
        status,
        stdout: readers.0.join().unwrap(),
        stderr: readers.1.join().unwrap(),
    });
    if Instant::now() > deadline {
        run.stderr.push_str(&format!("\n(killed after {limit:?})"));
    }
    run
}

fn wait_for(p: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(s) = std::fs::read_to_string(p) {
            return s.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing written to {}", p.display());
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn paths(oidc: &OidcEndpoint) -> Vec<String> {
    oidc.requests()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect()
}

/// The port in an /authorize request's redirect_uri.
fn authorize_port(req: &serde_json::Value) -> u16 {
    let uri = req["query"]["redirect_uri"].as_str().unwrap();
    uri.strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/oauth/callback"))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{uri}"))
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn two_pkce_logins_in_a_row_on_different_ports() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-1", "tok-2"]);
    let mut h = home(&oidc, &portal);
    let status = following_browser(&mut h);
    let login = ["sso", "login", "--sso-session", "corp", "--no-device-code"];

    run_within(&h, &login, Duration::from_secs(30)).success();
    assert_eq!(wait_for(&status), "200");
    let reqs = oidc.requests();
    assert_eq!(
        reqs[0]["body"]["redirectUris"],
        serde_json::json!(["http://127.0.0.1/oauth/callback"])
    );
    let first = authorize_port(&reqs[1]);

    // The first port is taken now, so the second sign-in listens elsewhere.
    let _held = TcpListener::bind(("127.0.0.1", first)).unwrap();
    std::fs::remove_file(&status).unwrap();
    let mut again = login.to_vec();
    again.push("--force");
    let run = run_within(&h, &again, Duration::from_secs(30));
    assert_eq!(
        wait_for(&status),
        "200",
        "the second /authorize was refused"
    );
    run.success();
    let reqs = oidc.requests();
    assert_eq!(
        paths(&oidc),
        [
            "/client/register",
            "/authorize",
            "/token",
            "/authorize",
            "/token"
        ],
        "the second sign-in reused the registration"
    );
    assert_ne!(authorize_port(&reqs[3]), first);
    assert_eq!(
        reqs[4]["body"]["redirectUri"],
        reqs[3]["query"]["redirect_uri"]
    );
    let token = read_json(&sso_cache_file(&h, "'corp'"));
    assert_eq!(token["accessToken"], "tok-2");
}

#[test]
fn over_ssh_and_in_ci_the_device_code_is_used_and_no_browser_started() {
    for (var, value, rule) in [
        (
            "SSH_CONNECTION",
            "192.0.2.7 50022 192.0.2.8 22",
            "an SSH session (SSH_CONNECTION is set)",
        ),
        ("CI", "true", "CI (CI is set)"),
    ] {
        let oidc = support::oidc_endpoint(&["tok-1"]);
        let portal = support::sso_portal(&["tok-1"]);
        let mut h = home(&oidc, &portal);
        let started = recording_browser(&mut h);
        h.set(var, value);
        let run = run_within(
            &h,
            &["--debug", "sso", "login", "--sso-session", "corp"],
            Duration::from_secs(30),
        )
        .success();
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains(&format!(
                "debug: sign-in flow: the device code: no local browser can take the redirect: {rule}"
            )),
            "{var}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("open https://device.sso.example.com/ and enter the code WXYZ-1234"),
            "{}",
            run.stderr
        );
        assert_eq!(
            paths(&oidc),
            [
                "/client/register",
                "/device_authorization",
                "/token",
                "/token"
            ],
            "{var}"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert!(!started.exists(), "{var}: a browser was started");
        assert_eq!(
            read_json(&sso_cache_file(&h, "'corp'"))["accessToken"],
            "tok-1"
        );

        // --no-device-code overrides the guess: the redirect, and the browser started here.
        let run = run_within(
            &h,
            &[
                "sso",
                "login",
                "--sso-session",
                "corp",
                "--no-device-code",
                "--force",
            ],
            Duration::from_millis(1500),
        );
        assert!(
            run.stderr
                .contains(&format!("open {}/authorize?", oidc.url())),
            "{}",
            run.stderr
        );
        assert!(
            wait_for(&started).starts_with(&format!("{}/authorize?", oidc.url())),
            "{var}"
        );
    }
}

/// Runs `sso login` with `extra` args over SSH, opens the URL it prints (as the user's browser
/// on the far side of `ssh -L` would), and returns the run and the /authorize request.
fn login_from_afar(h: &Home, oidc: &OidcEndpoint, extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["sso", "login", "--sso-session", "corp"];
    args.extend_from_slice(extra);
    let mut child = h
        .awsenv(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::watchdog(child.id());
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "no URL printed: {seen}"
        );
        seen.push_str(&line);
        if let Some(i) = line.find(", open http") {
            break line[i + ", open ".len()..].trim().to_string();
        }
    };
    let out = Command::new(venv_bin("python"))
        .args(["-c", FOLLOW, &url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "200", "{seen}");
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    seen.push_str(&rest);
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let authorize = oidc
        .requests()
        .into_iter()
        .rev()
        .find(|r| r["path"] == "/authorize")
        .unwrap();
    let run = Run::from(std::process::Output {
        status,
        stdout: stdout.into_bytes(),
        stderr: seen.into_bytes(),
    });
    (run, authorize)
}

#[test]
fn the_callback_port_is_pinned_by_flag_or_by_sso_redirect_port() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-1", "tok-2"]);
    let mut h = home(&oidc, &portal);
    let started = recording_browser(&mut h);
    h.set("SSH_CONNECTION", "192.0.2.7 50022 192.0.2.8 22");

    // --redirect-port: over SSH the pinned port means the redirect (it is there to be
    // forwarded), with the ssh -L line, and no browser started here.
    let n = free_port();
    let (run, authorize) = login_from_afar(&h, &oidc, &["--redirect-port", &n.to_string()]);
    let run = run.success();
    assert_eq!(authorize_port(&authorize), n);
    assert!(
        run.stderr.contains(&format!("ssh -L {n}:127.0.0.1:{n}")),
        "{}",
        run.stderr
    );
    // No silent wait: what is awaited, for how long, and the way out.
    assert!(
        run.stderr.contains(&format!(
            "awsenv: waiting up to 10 minutes for the browser to come back to http://127.0.0.1:{n}/oauth/callback; if it cannot (another machine, or the page shows an error), press Ctrl-C and run `awsenv sso login` again with --use-device-code"
        )),
        "{}",
        run.stderr
    );
    assert!(!started.exists(), "a browser was started");

    // sso_redirect_port in the [sso-session].
    let m = free_port();
    h.config(&CONFIG.replace(
        "sso_registration_scopes",
        &format!("sso_redirect_port = {m}\nsso_registration_scopes"),
    ));
    let (run, authorize) = login_from_afar(&h, &oidc, &["--force"]);
    run.success();
    assert_eq!(authorize_port(&authorize), m);
    assert_eq!(
        read_json(&sso_cache_file(&h, "'corp'"))["accessToken"],
        "tok-2"
    );

    // A port in use fails at once, naming it and where it was pinned, before any request.
    let before = oidc.requests().len();
    let _taken = TcpListener::bind(("127.0.0.1", m)).unwrap();
    let start = Instant::now();
    let run = run_within(
        &h,
        &["sso", "login", "--sso-session", "corp", "--force"],
        Duration::from_secs(20),
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let err = run.clean_failure();
    assert!(
        err.contains(&format!(
            "sso-session `corp`: port {m} on 127.0.0.1 is already in use"
        )) && err.contains("sso_redirect_port in [sso-session corp]"),
        "{err}"
    );
    let run = run_within(
        &h,
        &[
            "sso",
            "login",
            "--sso-session",
            "corp",
            "--force",
            "--redirect-port",
            &m.to_string(),
        ],
        Duration::from_secs(20),
    );
    let err = run.clean_failure();
    assert!(
        err.contains(&format!("port {m} on 127.0.0.1 is already in use"))
            && err.contains("(--redirect-port)"),
        "{err}"
    );
    assert_eq!(
        oidc.requests().len(),
        before,
        "nothing was asked of the service"
    );

    // A setting that is not a port is named, with the file.
    h.config(&CONFIG.replace(
        "sso_registration_scopes",
        "sso_redirect_port = 84OO\nsso_registration_scopes",
    ));
    let err = run_within(
        &h,
        &["sso", "login", "--sso-session", "corp", "--force"],
        Duration::from_secs(20),
    )
    .clean_failure();
    assert!(
        err.starts_with("awsenv: sso-session `corp`: sso_redirect_port in [sso-session corp] is not a port number from 1 to 65535 (")
            && err.ends_with(".aws/config)"),
        "{err}"
    );
}

/// Registers a client at the stand-in directly (as another program would have), returning
/// (clientId, clientSecret, clientSecretExpiresAt).
fn register_elsewhere(oidc: &OidcEndpoint, redirect: &str) -> (String, String, i64) {
    let body = serde_json::json!({
        "clientName": "botocore-client-corp",
        "clientType": "public",
        "scopes": ["sso:account:access"],
        "grantTypes": ["authorization_code", "refresh_token"],
        "redirectUris": [redirect],
        "issuerUrl": "https://example.awsapps.com/start",
    });
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import sys, urllib.request as u\nr = u.urlopen(u.Request(sys.argv[1] + '/client/register', data=sys.argv[2].encode(), headers={'Content-Type': 'application/json'}))\nprint(r.read().decode())",
            oidc.url(),
            &body.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["clientId"].as_str().unwrap().to_string(),
        v["clientSecret"].as_str().unwrap().to_string(),
        v["clientSecretExpiresAt"].as_i64().unwrap(),
    )
}

#[test]
fn an_earlier_awsenvs_registration_is_replaced_and_the_aws_clis_reused() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-1", "tok-2"]);
    let mut h = home(&oidc, &portal);
    let status = following_browser(&mut h);
    let reg_file = sso_cache_file(&h, REGISTRATION_KEY);
    std::fs::create_dir_all(reg_file.parent().unwrap()).unwrap();

    // What an earlier awsenv left: a client registered with the port of its first sign-in,
    // cached in serde's compact JSON, with nothing saying which redirect URI.
    let (old_id, old_secret, expires) =
        register_elsewhere(&oidc, "http://127.0.0.1:46865/oauth/callback");
    let expires_at = time::OffsetDateTime::from_unix_timestamp(expires)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    std::fs::write(
        &reg_file,
        format!(
            r#"{{"clientId":"{old_id}","clientSecret":"{old_secret}","expiresAt":"{expires_at}","scopes":["sso:account:access"],"grantTypes":["authorization_code","refresh_token"]}}"#
        ),
    )
    .unwrap();
    let login = [
        "sso",
        "login",
        "--sso-session",
        "corp",
        "--no-device-code",
        "--force",
    ];
    let run = run_within(&h, &login, Duration::from_secs(30));
    assert_eq!(wait_for(&status), "200", "/authorize was refused");
    run.success();
    let reqs = oidc.requests();
    assert_eq!(
        paths(&oidc),
        [
            "/client/register",
            "/client/register",
            "/authorize",
            "/token"
        ],
        "registered anew"
    );
    let new_id = reqs[1]["body"]["redirectUris"].clone();
    assert_eq!(
        new_id,
        serde_json::json!(["http://127.0.0.1/oauth/callback"])
    );
    let cached = read_json(&reg_file);
    assert_ne!(cached["clientId"], old_id);
    assert_eq!(reqs[2]["query"]["client_id"], cached["clientId"]);

    // What the AWS CLI v2 leaves (its SSOTokenFetcherAuth, written by Python's json.dumps with
    // its `%Y-%m-%dT%H:%M:%SZ` dates): reused, no RegisterClient.
    let (cli_id, cli_secret, expires) =
        register_elsewhere(&oidc, "http://127.0.0.1/oauth/callback");
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import datetime, json, sys\nexp = datetime.datetime.fromtimestamp(int(sys.argv[3]), datetime.timezone.utc)\nreg = {'clientId': sys.argv[1], 'clientSecret': sys.argv[2], 'expiresAt': exp, 'scopes': ['sso:account:access'], 'grantTypes': ('authorization_code', 'refresh_token')}\nopen(sys.argv[4], 'w').write(json.dumps(reg, default=lambda o: o.strftime('%Y-%m-%dT%H:%M:%SZ')))",
            &cli_id,
            &cli_secret,
            &expires.to_string(),
            reg_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&status).unwrap();
    let before = oidc.requests().len();
    let run = run_within(&h, &login, Duration::from_secs(30));
    assert_eq!(wait_for(&status), "200");
    run.success();
    let reqs = oidc.requests();
    assert_eq!(
        reqs[before..]
            .iter()
            .map(|r| r["path"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["/authorize", "/token"],
        "the AWS CLI's registration was reused"
    );
    assert_eq!(reqs[before]["query"]["client_id"], cli_id.as_str());
    let token = read_json(&sso_cache_file(&h, "'corp'"));
    assert_eq!(token["clientId"], cli_id.as_str());
    assert_eq!(token["accessToken"], "tok-2");
}
