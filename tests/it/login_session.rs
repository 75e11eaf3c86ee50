//! `login_session` profiles (`aws login`, AWS CLI 2.32) against a local sign-in stand-in
//! (tests/fixtures/signin.py, which verifies the DPoP proof against the session's key, refuses
//! replays and stale refresh tokens); botocore is the oracle that the file awsenv rewrites is
//! still the CLI's: it reads it and refreshes with it.

use std::path::{Path, PathBuf};

use crate::support::standins::LoggedFixture;
use crate::support::{self, venv_bin, Home};

pub const ARN: &str = "arn:aws:iam::111111111111:user/alice";
const CONFIG: &str = "\
[profile console]
login_session = arn:aws:iam::111111111111:user/alice
region = eu-west-2
[profile deploy]
role_arn = arn:aws:iam::222222222222:role/deploy
source_profile = console
role_session_name = from-console
";

/// `~/.aws/login/cache/<sha256 of ARN>.json` as `aws login` writes it, with a fresh P-256 key
/// (SEC1 PEM, made by Python's `cryptography`) and one field awsenv does not know.
pub fn write_session(h: &Home, expires_in_secs: i64, refresh_token: &str) -> PathBuf {
    let script = r#"
import hashlib, json, os, sys, datetime
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
home, arn, expires_in, refresh = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption()).decode()
at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
d = os.path.join(home, ".aws", "login", "cache")
os.makedirs(d, mode=0o700, exist_ok=True)
p = os.path.join(d, hashlib.sha256(arn.encode()).hexdigest() + ".json")
with open(p, "w") as f:
    json.dump({"accessToken": {"accessKeyId": "ASIACACHED", "secretAccessKey": "cached-secret",
               "sessionToken": "cached-token", "accountId": "111111111111",
               "expiresAt": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
               "tokenType": "aws_sigv4", "clientId": "arn:aws:signin:::devtools/same-device",
               "refreshToken": refresh, "idToken": "id.token.jwt", "dpopKey": key,
               "futureField": {"kept": True}}, f)
print(p)
"#;
    let out = std::process::Command::new(venv_bin("python"))
        .args(["-c", script])
        .arg(h.path())
        .arg(ARN)
        .arg(expires_in_secs.to_string())
        .arg(refresh_token)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn signin(session: &Path, expires_in: u32) -> LoggedFixture {
    LoggedFixture::start(
        "signin.py",
        &[session.to_str().unwrap(), &expires_in.to_string()],
    )
}

fn home() -> Home {
    let h = Home::with_moto();
    h.config(CONFIG);
    h
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn key_id(h: &Home, profile: &str, extra: &[&str]) -> String {
    let mut args = vec!["export", profile, "--format", "process"];
    args.extend_from_slice(extra);
    let out = h.run(&args).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["AccessKeyId"].as_str().unwrap().to_string()
}

/// What botocore (the AWS CLI v1's engine, with awscrt for the key) resolves for the profile.
fn botocore_key_id(h: &Home, profile: &str) -> support::Run {
    let mut c = std::process::Command::new(venv_bin("python"));
    c.args([
        "-c",
        "import sys, botocore.session as s; c = s.Session(profile=sys.argv[1]).get_credentials(); print(c.method, c.get_frozen_credentials().access_key)",
        profile,
    ]);
    h.isolate(&mut c);
    support::Run::from(c.output().unwrap())
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn keys_with_time_left_are_used_without_a_request() {
    let mut h = home();
    let file = write_session(&h, 3600, "refresh-0");
    let before = std::fs::read(&file).unwrap();
    let service = signin(&file, 900);
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    assert_eq!(key_id(&h, "console", &[]), "ASIACACHED");
    assert_eq!(key_id(&h, "console", &["--no-cache"]), "ASIACACHED");
    assert!(service.requests().is_empty(), "{:?}", service.requests());
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the file is untouched"
    );

    // AWS_LOGIN_CACHE_DIRECTORY moves the cache, as it does for the CLI.
    let elsewhere = h.path().join("logins");
    std::fs::rename(file.parent().unwrap(), &elsewhere).unwrap();
    h.run(&["use", "console"]).clean_failure();
    h.set("AWS_LOGIN_CACHE_DIRECTORY", "~/logins");
    assert_eq!(key_id(&h, "console", &[]), "ASIACACHED");
    assert_eq!(
        botocore_key_id(&h, "console").stdout.trim(),
        "login ASIACACHED"
    );
}

#[test]
fn expiring_keys_are_refreshed_with_a_dpop_proof_and_the_cli_reads_the_rewritten_file() {
    let mut h = home();
    // Four minutes left: inside botocore's five-minute refresh window.
    let file = write_session(&h, 240, "refresh-0");
    let before = read_json(&file);
    // The stand-in hands out two-minute keys, so every reader must refresh again with the
    // refresh token the previous one saved.
    let service = signin(&file, 120);
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());

    assert_eq!(key_id(&h, "console", &[]), "ASIALOGIN1");
    let reqs = service.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0]["problem"], serde_json::Value::Null, "{reqs:?}");
    assert_eq!(reqs[0]["refreshToken"], "refresh-0");

    // Rewritten as the CLI writes it: new keys and refresh token, every other field kept.
    let after = read_json(&file);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(after["accessToken"]["accessKeyId"], "ASIALOGIN1");
    assert_eq!(after["accessToken"]["secretAccessKey"], "login-secret-1");
    assert_eq!(after["accessToken"]["sessionToken"], "login-token-1");
    assert_eq!(after["accessToken"]["accountId"], "111111111111");
    assert_eq!(after["refreshToken"], "refresh-1");
    for k in ["tokenType", "clientId", "idToken", "dpopKey", "futureField"] {
        assert_eq!(after[k], before[k], "{k} kept");
    }
    assert_eq!(
        std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
        1,
        "no temporary file left"
    );

    // A replayed proof is refused by the stand-in (the jti was seen).
    let replay = std::process::Command::new(venv_bin("python"))
        .args([
            "-c",
            "import sys, urllib.request as u, urllib.error as e\nr = u.Request(sys.argv[1] + '/v1/token', data=b'{\"clientId\":\"arn:aws:signin:::devtools/same-device\",\"grantType\":\"refresh_token\",\"refreshToken\":\"refresh-1\"}', headers={'DPoP': sys.argv[2], 'Content-Type': 'application/json'})\ntry:\n    u.urlopen(r); print('accepted')\nexcept e.HTTPError as x:\n    print(x.code)",
            service.url(),
            reqs[0]["dpop"].as_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&replay.stdout).trim(), "400");
    assert!(service.requests()[1]["problem"]
        .as_str()
        .unwrap()
        .contains("replayed"));

    // botocore reads the file awsenv wrote and refreshes with the refresh token and key in it.
    let cli = botocore_key_id(&h, "console");
    assert!(cli.ok(), "botocore failed: {}", cli.stderr);
    assert_eq!(cli.stdout.trim(), "login ASIALOGIN2");
    let reqs = service.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2]["refreshToken"], "refresh-1");
    assert_eq!(reqs[2]["problem"], serde_json::Value::Null);

    // And awsenv reads what botocore rewrote.
    assert_eq!(key_id(&h, "console", &[]), "ASIALOGIN3");
    assert_eq!(service.requests()[3]["refreshToken"], "refresh-2");
}

#[test]
fn a_refused_refresh_token_says_to_run_aws_login() {
    let mut h = home();
    let file = write_session(&h, -60, "refresh-0");
    let service = signin(&file, 900);
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    // The service no longer knows the token in the file (signed out, or rotated elsewhere).
    let mut t = read_json(&file);
    t["refreshToken"] = "revoked-refresh-token".into();
    std::fs::write(&file, t.to_string()).unwrap();
    let before = std::fs::read(&file).unwrap();

    let line = h.run(&["use", "console"]).clean_failure();
    assert!(line.contains("profile `console`"), "{line}");
    assert!(line.contains("aws login --profile console"), "{line}");
    assert!(line.contains("TOKEN_EXPIRED"), "{line}");
    assert!(!line.contains("revoked-refresh-token"), "secret in {line}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "nothing written");
    assert_eq!(service.requests().len(), 1);
}

#[test]
fn a_missing_session_says_to_run_aws_login() {
    let h = home();
    let line = h.run(&["use", "console"]).clean_failure();
    assert!(line.contains("profile `console`"), "{line}");
    assert!(line.contains(".aws/login/cache/"), "{line}");
    assert!(line.contains("aws login --profile console"), "{line}");
}

#[test]
fn a_console_session_is_the_source_of_a_role_and_is_listed() {
    let mut h = home();
    let file = write_session(&h, 3600, "refresh-0");
    let service = signin(&file, 900);
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    let out = h
        .run(&["export", "deploy", "--format", "process"])
        .success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let vars: std::collections::BTreeMap<String, String> = [
        ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
        ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
        ("AWS_SESSION_TOKEN", "SessionToken"),
    ]
    .iter()
    .map(|(var, field)| (var.to_string(), json[field].as_str().unwrap().to_string()))
    .collect();
    assert_eq!(
        h.identity_of(&vars),
        "arn:aws:sts::222222222222:assumed-role/deploy/from-console"
    );
    // The oracle agrees on the chain.
    let cli = h.cli_identity("deploy", None).success();
    assert_eq!(
        cli.stdout.trim(),
        "arn:aws:sts::222222222222:assumed-role/deploy/from-console"
    );

    let long = h.run(&["list", "--long"]).success().stdout;
    let row = long.lines().find(|l| l.starts_with("console ")).unwrap();
    assert!(row.contains("login"), "{row}");
    assert!(row.contains("aws login until 20"), "{row}");
    let row = long.lines().find(|l| l.starts_with("deploy ")).unwrap();
    assert!(row.contains("role <- console"), "{row}");
}

#[test]
fn a_refresh_is_retried_after_5xx_and_throttling_with_a_fresh_proof_each_time() {
    let mut h = home();
    let file = write_session(&h, 240, "refresh-0");
    // The stand-in refuses a proof it has seen: each attempt must bring its own.
    let service = LoggedFixture::start(
        "signin.py",
        &[file.to_str().unwrap(), "120", "503,throttle"],
    );
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    assert_eq!(key_id(&h, "console", &[]), "ASIALOGIN1");
    let reqs = service.requests();
    let problems: Vec<&serde_json::Value> = reqs.iter().map(|r| &r["problem"]).collect();
    assert_eq!(
        problems,
        [
            &serde_json::json!("fault 503"),
            &serde_json::json!("fault throttle"),
            &serde_json::Value::Null
        ],
        "{reqs:?}"
    );
    let proofs: std::collections::BTreeSet<&str> =
        reqs.iter().map(|r| r["dpop"].as_str().unwrap()).collect();
    assert_eq!(proofs.len(), 3, "a proof was sent twice");

    // Three failures are the most: the third answer is the error, and no fourth request goes.
    let mut h = home();
    let file = write_session(&h, 240, "refresh-0");
    let service = LoggedFixture::start(
        "signin.py",
        &[file.to_str().unwrap(), "120", "500,502,503,503"],
    );
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    let err = h.run(&["use", "console"]).clean_failure();
    assert!(err.contains("HTTP 503"), "{err}");
    assert_eq!(service.requests().len(), 3);
}

/// Second audit N13: an absurd `expiresIn` (2^64 - 1 seconds) from the sign-in endpoint is
/// capped: the run succeeds and the rotated refresh token is saved (an abort here would have
/// lost the session: the old token is spent).
#[test]
fn an_absurd_expires_in_is_capped_and_the_new_refresh_token_kept() {
    let mut h = home();
    let file = write_session(&h, -60, "refresh-0");
    let service = LoggedFixture::start(
        "signin.py",
        &[file.to_str().unwrap(), "18446744073709551615"],
    );
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    assert_eq!(key_id(&h, "console", &["--no-cache"]), "ASIALOGIN1");
    let saved = read_json(&file);
    assert_eq!(saved["refreshToken"], "refresh-1");
    let expires = saved["accessToken"]["expiresAt"]
        .as_str()
        .unwrap()
        .to_string();
    let at = time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339)
        .unwrap();
    assert!(
        at <= time::OffsetDateTime::now_utc()
            + time::Duration::hours(12)
            + time::Duration::minutes(1),
        "{expires}"
    );
}

/// Second audit N14: runs that need the same console session at once make one refresh: the
/// others wait for it and read the rotated file (no replay of a spent refresh token).
#[test]
fn concurrent_runs_refresh_a_console_session_once() {
    let mut h = home();
    let file = write_session(&h, -60, "refresh-0");
    let service = signin(&file, 3600);
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    let children: Vec<_> = (0..6)
        .map(|_| {
            h.awsenv(&["export", "console", "--format", "process"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let reqs = service.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(read_json(&file)["refreshToken"], "refresh-1");
}

/// Second audit N13: an answer that is not a whole token but names a new refresh token (the old
/// one is spent by then): the run fails with one line, and the new refresh token is saved.
#[test]
fn a_partial_answer_still_saves_the_new_refresh_token() {
    let mut h = home();
    let file = write_session(&h, -60, "refresh-0");
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        "import json\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n\
         class H(BaseHTTPRequestHandler):\n    def log_message(self, *a): pass\n    \
         def do_POST(self):\n        self.rfile.read(int(self.headers['Content-Length']))\n        \
         b = json.dumps({'refreshToken': 'refresh-9'}).encode()\n        \
         self.send_response(200); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)\n\
         s = HTTPServer(('127.0.0.1', 0), H); print(s.server_address[1], flush=True); s.serve_forever()\n",
    )
    .unwrap();
    let service = support::standins::Fixture::start(script.path().to_str().unwrap(), &[]);
    h.set("AWS_ENDPOINT_URL_SIGNIN", &service.url);
    let err = h
        .run(&["export", "console", "--format", "process"])
        .clean_failure();
    assert!(err.contains("new refresh token was saved"), "{err}");
    assert_eq!(read_json(&file)["refreshToken"], "refresh-9");
}

/// The account the `aws login` session names, as the fresh keys' and the refreshed keys'.
#[test]
fn the_sessions_account_is_exported() {
    let mut h = home();
    let account_of = |h: &Home| {
        let out = h
            .run(&["use", "console", "--no-cache", "--shell", "bash"])
            .success();
        let (env, run) = support::eval_in(support::Sh::Bash, &out.stdout, &h.env, h.path());
        assert!(run.ok(), "{}", run.stderr);
        env.get("AWS_ACCOUNT_ID").cloned()
    };
    // Four minutes left: refreshed, and the account is the session's.
    let file = write_session(&h, 240, "refresh-0");
    let service = signin(&file, 900);
    h.set("AWS_ENDPOINT_URL_SIGNIN", service.url());
    assert_eq!(account_of(&h).as_deref(), Some("111111111111"));
    assert_eq!(service.requests().len(), 1);
    // The refreshed keys, now with time left, read from the file: the same account.
    assert_eq!(account_of(&h).as_deref(), Some("111111111111"));
    assert_eq!(service.requests().len(), 1);
}
