//! `--server`: the local credential endpoint (ECS container credential protocol) that
//! `exec --server` serves for one command and `use --server` for a whole shell.
//!
//! Real clients fetch from it and call GetCallerIdentity through moto, which must report the
//! role (`assumed-role/…`): boto3, the AWS CLI v1, the JavaScript SDKs v2 and v3, and the Rust
//! SDK. The test drives the endpoint itself too (raw HTTP from here) for the token, loopback and
//! refresh rules, and scans every process's argv for secrets while a server runs.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, parse_env0, require, venv_bin, Clock, Home, Moto, Run};

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
region = us-east-1
[profile short]
role_arn = arn:aws:iam::222222222222:role/short
source_profile = base
role_session_name = short
duration_seconds = 900
region = us-east-1
[profile mfa]
role_arn = arn:aws:iam::222222222222:role/mfa
source_profile = base
mfa_serial = arn:aws:iam::111111111111:mfa/someone
role_session_name = mfa
duration_seconds = 900
region = us-east-1
";
const SECRET: &str = "base/server+secret";
const KEYS: &str =
    "[base]\naws_access_key_id = AKIABASESERVERTEST01\naws_secret_access_key = base/server+secret\n";

/// A home whose environment carries keys, a profile, container variables and hook state of its
/// own: none of them may reach a command served by the endpoint.
fn home() -> Home {
    let mut h = Home::with_moto();
    h.config(CONFIG).credentials(KEYS);
    h.set("AWS_ACCESS_KEY_ID", "AKIAINHERITEDKEY0001")
        .set("AWS_SECRET_ACCESS_KEY", "inherited/secret")
        .set("AWS_SESSION_TOKEN", "inherited-token")
        .set("AWS_PROFILE", "base")
        .set(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        )
        .set(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "/nonexistent/token",
        )
        .set("__AWSENV_STATE", "inherited-state");
    h
}

/// What a served command learnt: the endpoint and token it was given.
struct Endpoint {
    port: u16,
    token: String,
}

/// `awsenv exec PROFILE --server -- sh -c …` that records its environment, then waits until the
/// test is done with the endpoint.
struct Served {
    child: Child,
    endpoint: Endpoint,
    env: BTreeMap<String, String>,
    done: PathBuf,
}

fn wait_for_file(p: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(s) = std::fs::read_to_string(p) {
            if s.ends_with("\n--\n") {
                return s;
            }
        }
        assert!(Instant::now() < deadline, "{} never appeared", p.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn endpoint_of(env: &BTreeMap<String, String>) -> Endpoint {
    let uri = &env["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    let rest = uri.strip_prefix("http://127.0.0.1:").expect(uri);
    assert!(rest.ends_with('/'), "{uri}");
    Endpoint {
        port: rest.trim_end_matches('/').parse().unwrap(),
        token: env["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone(),
    }
}

impl Served {
    fn start(h: &Home, profile: &str) -> Served {
        let envfile = h.path().join("served.env");
        let done = h.path().join("served.done");
        let script = format!(
            "env -0 > '{e}.tmp'; printf '\\n--\\n' >> '{e}.tmp'; mv '{e}.tmp' '{e}'; while [ ! -e '{d}' ]; do sleep 0.05; done",
            e = envfile.display(),
            d = done.display()
        );
        let mut c = h.awsenv(&["exec", profile, "--server", "--", "sh", "-c", &script]);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = c.spawn().unwrap();
        let text = wait_for_file(&envfile);
        let env = parse_env0(text.trim_end_matches("\n--\n").as_bytes());
        Served {
            child,
            endpoint: endpoint_of(&env),
            env,
            done,
        }
    }

    fn finish(self) -> Run {
        std::fs::write(&self.done, "").unwrap();
        Run::from(self.child.wait_with_output().unwrap())
    }
}

/// Sends `request` as it is to the endpoint; the status and body of the answer.
fn raw(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf[9..12].parse().unwrap();
    let body = buf.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn get(e: &Endpoint) -> (u16, serde_json::Value) {
    let (status, body) = raw(
        e.port,
        &format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {}\r\n\r\n",
            e.port, e.token
        ),
    );
    (status, serde_json::from_str(&body).unwrap())
}

fn keys_of(v: &serde_json::Value) -> BTreeMap<String, String> {
    [
        ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
        ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
        ("AWS_SESSION_TOKEN", "Token"),
    ]
    .into_iter()
    .map(|(k, f)| (k.to_string(), v[f].as_str().unwrap().to_string()))
    .collect()
}

/// Seconds from `now` (seconds since the epoch) until an RFC 3339 `Expiration`.
fn seconds_left(v: &serde_json::Value, now: i64) -> i64 {
    let out = Command::new("date")
        .args(["-d", v["Expiration"].as_str().unwrap(), "+%s"])
        .output()
        .unwrap();
    let at: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    at - now
}

/// A home whose processes (awsenv, its shells, the AWS CLI) and STS (a moto of its own) run on
/// a clock the test moves on: credentials age without waiting, and STS's sessions age with
/// them.
fn home_on_a_clock() -> (Home, Clock, Moto) {
    let mut h = home();
    let clock = Clock::on(&mut h);
    let env = clock.env();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let moto = Moto::start(&pairs);
    h.set("AWS_ENDPOINT_URL_STS", &moto.url);
    (h, clock, moto)
}

/// The ARN the AWS CLI sees for the keys of an endpoint answer, and nothing else.
fn identity(h: &Home, answer: &serde_json::Value) -> String {
    let mut env = keys_of(answer);
    for k in ["PATH", "HOME", "AWS_ENDPOINT_URL_STS"] {
        env.insert(k.into(), h.env[k].clone());
    }
    env.insert("AWS_DEFAULT_REGION".into(), "us-east-1".into());
    env.insert("AWS_CONFIG_FILE".into(), "/nonexistent".into());
    env.insert("AWS_SHARED_CREDENTIALS_FILE".into(), "/nonexistent".into());
    let args = [
        "sts",
        "get-caller-identity",
        "--output",
        "text",
        "--query",
        "Arn",
    ];
    let out = client(h, &env, &venv_bin("aws"), &args);
    assert!(out.ok(), "{}", out.stderr);
    out.stdout.trim().to_string()
}

/// Every process's argv on the machine, joined.
fn all_argv() -> String {
    let mut all = String::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(b) = std::fs::read(e.path().join("cmdline")) {
            all.push_str(&String::from_utf8_lossy(&b).replace('\0', " "));
            all.push('\n');
        }
    }
    all
}

/// True when the process is gone (or a zombie nobody reaped yet: it serves nothing).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat[stat.rfind(')').unwrap() + 2..].starts_with('Z'),
    }
}

fn wait_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn refuses_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

/// A command run in the environment `env` (the served command's), with the test venv and the
/// JavaScript SDKs reachable.
fn client(h: &Home, env: &BTreeMap<String, String>, program: &Path, args: &[&str]) -> Run {
    let mut c = Command::new(program);
    c.args(args)
        .env_clear()
        .envs(env)
        .env("NODE_PATH", support::repo().join(".node-test/node_modules"))
        .current_dir(h.path())
        .stdin(Stdio::null());
    Run::from(c.output().unwrap())
}

fn node_modules() -> PathBuf {
    let p = support::repo().join(".node-test/node_modules");
    for m in [
        "aws-sdk",
        "@aws-sdk/client-sts",
        "@aws-sdk/credential-providers",
    ] {
        assert!(
            p.join(m).is_dir(),
            "{m} is missing from .node-test: run `bash tests/setup.sh`"
        );
    }
    p
}

const BOTO3: &str = "\
import boto3
s = boto3.Session()
print(s.get_credentials().method)
print(s.client('sts').get_caller_identity()['Arn'])
";

const JS_V2: &str = "\
const AWS = require('aws-sdk');
const sts = new AWS.STS({ endpoint: process.env.AWS_ENDPOINT_URL_STS });
sts.getCallerIdentity({}, (err, data) => {
  if (err) { console.error(String(err)); process.exit(1); }
  console.log(sts.config.credentials.constructor.name);
  console.log(data.Arn);
});
";

const JS_V3: &str = "\
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const { fromContainerMetadata } = require('@aws-sdk/credential-providers');
(async () => {
  // The default chain (it must pick the endpoint), then the container provider by name.
  const chain = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  console.log(chain.Arn);
  const named = await new STSClient({ credentials: fromContainerMetadata() })
    .send(new GetCallerIdentityCommand({}));
  console.log(named.Arn);
})().catch((e) => { console.error(String(e)); process.exit(1); });
";

const ROLE: &str = "arn:aws:sts::222222222222:assumed-role/deploy/deploy";

#[test]
fn exec_server_gives_the_command_the_endpoint_and_no_keys() {
    let h = home();
    let s = Served::start(&h, "deploy");
    let env = s.env.clone();
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWSENV_SERVER",
        "__AWSENV_STATE",
    ] {
        assert!(!env.contains_key(k), "{k} reached the command: {env:?}");
    }
    assert_eq!(env["AWS_REGION"], "us-west-2");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-west-2");
    assert_eq!(env["AWSENV_PROFILE"], "deploy");
    assert_eq!(s.endpoint.token.len(), 64);

    // The AWS CLI (botocore) and boto3 find the endpoint on their own and get the role.
    let cli = client(
        &h,
        &env,
        &venv_bin("aws"),
        &[
            "sts",
            "get-caller-identity",
            "--output",
            "text",
            "--query",
            "Arn",
        ],
    );
    assert!(cli.ok(), "{}", cli.stderr);
    assert_eq!(cli.stdout.trim(), ROLE);
    let py = client(&h, &env, &venv_bin("python"), &["-c", BOTO3]);
    assert!(py.ok(), "{}", py.stderr);
    assert_eq!(py.stdout, format!("container-role\n{ROLE}\n"));

    let port = s.endpoint.port;
    let run = s.finish();
    assert!(run.ok(), "{}", run.stderr);
    assert!(refuses_connections(port), "the server outlived the command");
}

#[test]
fn javascript_sdks_v2_and_v3_get_the_role_from_the_endpoint() {
    let modules = node_modules();
    let h = home();
    let s = Served::start(&h, "deploy");
    let node = require("node");
    let v2 = h.script("v2.js", JS_V2);
    let v3 = h.script("v3.js", JS_V3);
    let mut env = s.env.clone();
    env.insert("NODE_PATH".into(), modules.display().to_string());
    let out = client(&h, &env, &node, &[v2.to_str().unwrap()]);
    assert!(out.ok(), "JS SDK v2: {}", out.stderr);
    // v2 names its container provider RemoteCredentials (ECSCredentials is an alias).
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        matches!(lines[0], "RemoteCredentials" | "ECSCredentials"),
        "{lines:?}"
    );
    assert_eq!(lines[1], ROLE);
    let out = client(&h, &env, &node, &[v3.to_str().unwrap()]);
    assert!(out.ok(), "JS SDK v3: {}", out.stderr);
    assert_eq!(out.stdout, format!("{ROLE}\n{ROLE}\n"));
    assert!(s.finish().ok());
}

/// The Rust SDK's default chain inside a served command. The command is this test binary,
/// running this one test again as the client (`AWSENV_TEST_RUST_SDK_CLIENT` set).
#[test]
fn rust_sdk_gets_the_role_from_the_endpoint() {
    if std::env::var_os("AWSENV_TEST_RUST_SDK_CLIENT").is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let arn = rt.block_on(async {
            use aws_smithy_http_client::{tls, Builder};
            let http = Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https();
            let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(http)
                .load()
                .await;
            let sts = aws_sdk_sts::Client::new(&conf);
            sts.get_caller_identity().send().await.map(|o| o.arn)
        });
        println!("RUST-SDK-ARN {}", arn.expect("GetCallerIdentity").unwrap());
        return;
    }
    let mut h = home();
    h.set("AWSENV_TEST_RUST_SDK_CLIENT", "1");
    let me = std::env::current_exe().unwrap();
    let run = h.run(&[
        "exec",
        "deploy",
        "--server",
        "--",
        me.to_str().unwrap(),
        "--exact",
        "server::rust_sdk_gets_the_role_from_the_endpoint",
        "--nocapture",
        "--test-threads=1",
    ]);
    assert!(run.ok(), "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("RUST-SDK-ARN {ROLE}\n")),
        "{}",
        run.stdout
    );
}

#[test]
fn only_the_exact_token_on_loopback_gets_credentials() {
    let h = home();
    let s = Served::start(&h, "deploy");
    let e = &s.endpoint;
    let p = e.port;
    let host = format!("Host: 127.0.0.1:{p}\r\n");
    let req = |extra: &str| format!("GET / HTTP/1.1\r\n{host}{extra}\r\n");
    assert_eq!(raw(p, &req("")).0, 401);
    assert_eq!(raw(p, &req("Authorization: wrong\r\n")).0, 403);
    let mut flipped = e.token.clone().into_bytes();
    flipped[63] = if flipped[63] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert_eq!(
        raw(p, &req(&format!("Authorization: {flipped}\r\n"))).0,
        403
    );
    assert_eq!(
        raw(p, &req(&format!("Authorization: {}x\r\n", e.token))).0,
        403
    );
    assert_eq!(
        raw(p, &req(&format!("Authorization: Bearer {}\r\n", e.token))).0,
        403
    );
    // A page that rebinds its own name to 127.0.0.1 sends its own Host.
    let rebound = format!(
        "GET / HTTP/1.1\r\nHost: attacker.example:{p}\r\nAuthorization: {}\r\n\r\n",
        e.token
    );
    assert_eq!(raw(p, &rebound).0, 403);
    let other = |method: &str, path: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\n{host}Authorization: {}\r\n\r\n",
            e.token
        )
    };
    assert_eq!(raw(p, &other("GET", "/other")).0, 404);
    assert_eq!(raw(p, &other("POST", "/")).0, 405);
    let (status, body) = raw(p, &other("GET", "/"));
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["AccessKeyId"].as_str().unwrap().starts_with("ASIA"),
        "{v}"
    );
    for f in ["SecretAccessKey", "Token", "Expiration"] {
        assert!(v[f].as_str().is_some_and(|s| !s.is_empty()), "{f}: {v}");
    }
    // Refusals carry no credentials.
    let (_, refused) = raw(p, &req("Authorization: wrong\r\n"));
    assert!(!refused.contains("AccessKeyId"), "{refused}");

    // It listens on 127.0.0.1 only: the kernel's table of listening sockets says so.
    let hex_port = format!("{p:04X}");
    let mut listening = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f[1].ends_with(&format!(":{hex_port}")) && f[3] == "0A" {
                listening.push(f[1].to_string());
            }
        }
    }
    assert_eq!(listening, [format!("0100007F:{hex_port}")]);
    assert!(s.finish().ok());
}

#[test]
fn credentials_are_refreshed_before_the_margin_and_never_handed_out_inside_it() {
    let (mut h, clock, _sts) = home_on_a_clock();
    // STS's shortest session is 15 minutes: a margin just under it makes the server refresh
    // after a few seconds, where the default (20 minutes) would refresh at once.
    let margin = 895;
    h.set("AWSENV_SERVER_REFRESH_MARGIN", &margin.to_string());
    let s = Served::start(&h, "short");
    let (st, first) = get(&s.endpoint);
    assert_eq!(st, 200, "{first}");
    let (_, again) = get(&s.endpoint);
    assert_eq!(
        first["AccessKeyId"], again["AccessKeyId"],
        "credentials with time to spare are kept"
    );
    // Let the held credentials fall inside the margin.
    clock.advance(7);
    let (st, renewed) = get(&s.endpoint);
    assert_eq!(st, 200, "{renewed}");
    assert_ne!(
        first["AccessKeyId"], renewed["AccessKeyId"],
        "not refreshed"
    );
    assert!(
        seconds_left(&renewed, clock.now()) >= margin,
        "handed out with {}s left",
        seconds_left(&renewed, clock.now())
    );
    // The new keys are a real session of the role.
    assert_eq!(
        identity(&h, &renewed),
        "arn:aws:sts::222222222222:assumed-role/short/short"
    );
    assert!(s.finish().ok());
}

#[test]
fn exec_server_returns_the_commands_status_and_stops_with_it() {
    let h = home();
    let probe = h.path().join("port");
    let script = format!(
        "printf '%s' \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > '{}'; exit 7",
        probe.display()
    );
    let run = h.run(&["exec", "deploy", "--server", "--", "sh", "-c", &script]);
    assert_eq!(run.status.code(), Some(7), "{}", run.stderr);
    let uri = std::fs::read_to_string(&probe).unwrap();
    let port: u16 = uri
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    assert!(refuses_connections(port));
    // A command killed by a signal: reported as a shell would (128 + signal).
    let run = h.run(&[
        "exec",
        "deploy",
        "--server",
        "--",
        "sh",
        "-c",
        "kill -TERM $$",
    ]);
    assert_eq!(run.status.code(), Some(128 + 15), "{}", run.stderr);
    // A command that cannot start: one line, no server left behind.
    let err = h
        .run(&["exec", "deploy", "--server", "--", "/nonexistent/cmd"])
        .clean_failure();
    assert!(err.contains("/nonexistent/cmd"), "{err}");
    // Long-term keys are not served (the SDKs' container clients want a session).
    let err = h
        .run(&["exec", "base", "--server", "--", "true"])
        .clean_failure();
    assert!(err.contains("long-term keys"), "{err}");
}

#[test]
fn no_secret_in_any_argv_while_serving() {
    let h = home();
    let s = Served::start(&h, "deploy");
    let (_, creds) = get(&s.endpoint);
    let argv = all_argv();
    assert!(argv.contains("--server"), "the scan must see awsenv itself");
    for secret in [
        s.endpoint.token.as_str(),
        SECRET,
        creds["SecretAccessKey"].as_str().unwrap(),
        creds["Token"].as_str().unwrap(),
    ] {
        assert!(!argv.contains(secret), "a secret is in some process's argv");
    }
    assert!(s.finish().ok());
}

/// Runs `script` in a real bash with the built awsenv on PATH; returns its output.
fn bash(h: &Home, script: &str) -> Run {
    let mut c = Command::new(require("bash"));
    c.args(["--noprofile", "--norc", "-e", "-u", "-c", script]);
    h.isolate(&mut c);
    Run::from(c.output().unwrap())
}

#[test]
fn use_server_serves_the_shell_until_it_exits_and_use_or_unset_replace_it() {
    let mut h = home();
    h.with_awsenv_on_path();
    let aws = venv_bin("aws");
    let aws = aws.display();
    let script = format!(
        r#"
eval "$(awsenv use deploy --server)"
first=$AWSENV_SERVER
echo "first=$first shell=$$"
echo "keys=${{AWS_ACCESS_KEY_ID-none}} profile=${{AWS_PROFILE-none}}"
{aws} sts get-caller-identity --output text --query Arn
awsenv status | grep '^server:'
eval "$(awsenv use other --server)"
second=$AWSENV_SERVER
echo "second=$second"
{aws} sts get-caller-identity --output text --query Arn
eval "$(awsenv use deploy)"
echo "after-keys-use=${{AWSENV_SERVER-none}} ${{AWS_CONTAINER_CREDENTIALS_FULL_URI-none}}"
eval "$(awsenv use deploy --server)"
third=$AWSENV_SERVER
echo "third=$third"
eval "$(awsenv unset)"
echo "after-unset=${{AWSENV_SERVER-none}} ${{AWS_CONTAINER_CREDENTIALS_FULL_URI-none}} ${{AWS_CONTAINER_AUTHORIZATION_TOKEN-none}}"
eval "$(awsenv use deploy --server)"
echo "last=$AWSENV_SERVER"
"#
    );
    let run = bash(&h, &script);
    assert!(run.ok(), "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    let field = |name: &str| -> u32 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing: {out}"))
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(out.contains("keys=none profile=none\n"), "{out}");
    assert!(out.contains(&format!("{ROLE}\n")), "{out}");
    assert!(
        out.contains("arn:aws:sts::333333333333:assumed-role/other/other\n"),
        "{out}"
    );
    let status = out.lines().find(|l| l.starts_with("server:")).unwrap();
    assert!(
        status.starts_with("server: serving `deploy` at http://127.0.0.1:")
            && status.contains(&format!("(pid {})", field("first"))),
        "{status}"
    );
    assert!(out.contains("after-keys-use=none none\n"), "{out}");
    assert!(out.contains("after-unset=none none none\n"), "{out}");
    // Each `use`/`unset` stopped the one before; the last ended with the shell.
    for name in ["first", "second", "third", "last"] {
        assert!(wait_gone(field(name)), "server `{name}` still runs:\n{out}");
    }
}

#[test]
fn per_shell_server_renews_from_the_mfa_session_then_says_how_to_sign_in_again() {
    let (mut h, clock, _sts) = home_on_a_clock();
    h.with_awsenv_on_path();
    let margin = 895;
    h.set("AWSENV_SERVER_REFRESH_MARGIN", &margin.to_string());
    let envfile = h.path().join("shell.env");
    let done = h.path().join("shell.done");
    let script = format!(
        r#"eval "$(awsenv use mfa --server --mfa-token 123456)"
awsenv status | grep '^server:' > '{h}/status'
env -0 > '{e}.tmp'; printf '\n--\n' >> '{e}.tmp'; mv '{e}.tmp' '{e}'
while [ ! -e '{d}' ]; do sleep 0.05; done"#,
        h = h.path().display(),
        e = envfile.display(),
        d = done.display()
    );
    let mut c = Command::new(require("bash"));
    c.args(["--noprofile", "--norc", "-e", "-u", "-c", &script]);
    h.isolate(&mut c);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let shell = c.spawn().unwrap();
    let text = wait_for_file(&envfile);
    let env = parse_env0(text.trim_end_matches("\n--\n").as_bytes());
    let e = endpoint_of(&env);
    let pid: u32 = env["AWSENV_SERVER"].parse().unwrap();
    let status = std::fs::read_to_string(h.path().join("status")).unwrap();
    assert!(
        status.contains("renews roles from the MFA session until"),
        "{status}"
    );

    // The server's token is nowhere in argv either.
    assert!(!all_argv().contains(&e.token));

    let (st, first) = get(&e);
    assert_eq!(st, 200, "{first}");
    clock.advance(7);
    // Inside the margin: a new role session from the cached MFA session, without a code (the
    // server has no terminal, so success means it did not ask).
    let (st, renewed) = get(&e);
    assert_eq!(st, 200, "{renewed}");
    assert_ne!(first["AccessKeyId"], renewed["AccessKeyId"]);
    assert_eq!(
        identity(&h, &renewed),
        "arn:aws:sts::222222222222:assumed-role/mfa/mfa"
    );

    // Without the MFA session a renewal needs a code: the SDK is told what to run.
    assert!(h.run(&["clear"]).ok());
    clock.advance(7);
    let (st, refused) = get(&e);
    assert_eq!(st, 500, "{refused}");
    let msg = refused["message"].as_str().unwrap();
    assert!(msg.contains("`awsenv use mfa --server`"), "{msg}");
    assert!(msg.contains("MFA code"), "{msg}");
    assert!(!refused.to_string().contains("AccessKeyId"));

    // The shell exits: its server follows.
    std::fs::write(&done, "").unwrap();
    let out = shell.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wait_gone(pid), "the server outlived its shell");
    assert!(refuses_connections(e.port));
}

#[test]
fn exec_server_asks_for_a_new_mfa_code_on_its_terminal() {
    let (mut h, clock, _sts) = home_on_a_clock();
    h.set("AWSENV_SERVER_REFRESH_MARGIN", "895");
    let envfile = h.path().join("tty.env");
    let done = h.path().join("tty.done");
    let bin = support::bin().display().to_string();
    let t = support::Term::start(&["bash", "--noprofile", "--norc"], &h.env, h.path());
    t.type_line("PS1='$ '");
    t.type_line(&format!(
        "'{bin}' exec mfa --server -- sh -c \"env -0 > '{e}.tmp'; printf '\\n--\\n' >> '{e}.tmp'; mv '{e}.tmp' '{e}'; while [ ! -e '{d}' ]; do sleep 0.05; done\"",
        e = envfile.display(),
        d = done.display()
    ));
    let prompt = "MFA code for mfa (arn:aws:iam::111111111111:mfa/someone):";
    t.wait_for(prompt);
    t.type_line("123456");
    let text = wait_for_file(&envfile);
    let e = endpoint_of(&parse_env0(text.trim_end_matches("\n--\n").as_bytes()));
    let (st, first) = get(&e);
    assert_eq!(st, 200, "{first}");

    // No MFA session left and the held credentials inside the margin: the next request waits
    // for a code typed on the exec's terminal.
    assert!(h.run(&["clear"]).ok());
    clock.advance(7);
    let port = e.port;
    let token = e.token.clone();
    let pending = std::thread::spawn(move || get(&Endpoint { port, token }));
    t.wait_until("a second MFA prompt", || {
        (t.count(prompt) >= 2).then_some(())
    });
    t.type_line("654321");
    let (st, renewed) = pending.join().unwrap();
    assert_eq!(st, 200, "{renewed}");
    assert_ne!(first["AccessKeyId"], renewed["AccessKeyId"]);
    assert_eq!(
        identity(&h, &renewed),
        "arn:aws:sts::222222222222:assumed-role/mfa/mfa"
    );
    std::fs::write(&done, "").unwrap();
}

/// `server = true` in awsenv's settings: the hook loads a marker's profile as a per-shell
/// server, stops it when the shell leaves the tree, and the shell's end ends the next one.
#[test]
fn hook_with_server_setting_serves_the_marked_tree_and_stops_on_leaving() {
    let mut h = home();
    let cfg = h.path().join(".config/awsenv");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("config"), "server = true\n").unwrap();
    let tree = h.path().join("w/deploy");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join(".awsprofile"), "deploy\n").unwrap();
    h.run(&["allow", tree.to_str().unwrap()]).success();
    // The shell itself starts with none of the inherited variables of `home()`, to see exactly
    // what the hook sets and puts back.
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "__AWSENV_STATE",
    ] {
        h.env.remove(k);
    }
    let b = support::sh_quote(&support::bin().display().to_string());
    let t = support::Term::shell(
        &h,
        support::Sh::Bash,
        &format!("eval \"$({b} init bash)\"\n"),
        h.path(),
    );
    let aws = venv_bin("aws").display().to_string();
    t.run("cd w/deploy");
    let env = t.env();
    assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "{env:?}");
    assert_eq!(env["AWSENV_PROFILE"], "deploy");
    let first: u32 = env["AWSENV_SERVER"].parse().unwrap();
    let e = endpoint_of(&env);
    let out = h.path().join("arn");
    t.run(&format!(
        "{aws} sts get-caller-identity --output text --query Arn > '{}'",
        out.display()
    ));
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), ROLE);
    // No refresh timer: the server renews by itself.
    assert!(!env.contains_key("__AWSENV_REFRESH_AT"), "{env:?}");

    t.run("cd ..");
    let env = t.env();
    for k in [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWSENV_SERVER",
        "AWSENV_PROFILE",
    ] {
        assert!(!env.contains_key(k), "{k} left after leaving: {env:?}");
    }
    // Stopped, the server refuses its old token but keeps its port while the shell (whose
    // children may still hold the endpoint) lives: no other user can take it (second audit N5).
    let (st, _) = get(&e);
    assert_eq!(st, 403, "the stopped server still serves");
    assert!(!gone(first), "the stopped server gave up its port");

    t.run("cd deploy");
    let second: u32 = t.env()["AWSENV_SERVER"].parse().unwrap();
    assert_ne!(first, second);
    drop(t);
    assert!(wait_gone(second), "the server outlived its shell");
    assert!(wait_gone(first), "the stopped server outlived its shell");
    assert!(refuses_connections(e.port));
}

/// `exec --server` starts its command as plain `exec` does (one function builds both): a
/// command that cannot run exits 127 (none such) or 126 (not executable) and says so.
#[test]
fn exec_server_exits_127_or_126_when_the_command_cannot_run() {
    let h = home();
    let not_exec = h.path().join("not-executable");
    std::fs::write(&not_exec, "#!/bin/sh\necho no\n").unwrap();
    for (cmd, code) in [
        ("no-such-command-awsenv", 127),
        (not_exec.to_str().unwrap(), 126),
    ] {
        let run = h.run(&["exec", "deploy", "--server", "--", cmd]);
        assert_eq!(run.status.code(), Some(code), "{cmd}: {}", run.stderr);
        // (A slow STS may come with a notice of the wait before it.)
        assert!(
            run.stderr
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("awsenv: cannot run `")),
            "{}",
            run.stderr
        );
        assert_eq!(run.stdout, "");
    }
}

/// botocore's own container provider, timed inside Python (its start-up is not the server's).
const BOTOCORE_TIMED: &str = "\
import time, botocore.session
s = botocore.session.get_session()
t = time.monotonic()
c = s.get_credentials()
f = c.get_frozen_credentials()
took = time.monotonic() - t
print(c.method)
print(f.access_key[:4])
print(took)
";

#[test]
fn twenty_idle_connections_do_not_keep_an_sdk_from_its_credentials() {
    let h = home();
    let s = Served::start(&h, "deploy");
    let port = s.endpoint.port;
    // Twenty clients that connect and never send a byte, held open throughout.
    let idle: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let py = client(&h, &s.env, &venv_bin("python"), &["-c", BOTOCORE_TIMED]);
    assert!(py.ok(), "{}", py.stderr);
    let lines: Vec<&str> = py.stdout.lines().collect();
    assert_eq!(lines[..2], ["container-role", "ASIA"], "{}", py.stdout);
    let took: f64 = lines[2].parse().unwrap();
    eprintln!("get_credentials() behind 20 idle connections: {took:.3} s");
    // The issue's bound: within 1 s behind 20 idle connections (alone it takes ~0.01 s).
    assert!(took < 1.0, "get_credentials() took {took} s");
    drop(idle);
    assert!(s.finish().ok());
}

#[test]
fn a_trickling_client_is_cut_at_the_request_deadline_and_holds_no_one_up() {
    let h = home();
    let s = Served::start(&h, "deploy");
    let port = s.endpoint.port;
    let trickle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    let mut writer = trickle.try_clone().unwrap();
    // One byte a second of a request that would take 40 s to send: every read of the server
    // gets a byte well within any per-read timeout.
    std::thread::spawn(move || {
        let request = format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: {}\r\n\r\n",
            "a".repeat(10)
        );
        for b in request.bytes() {
            if writer.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    // Meanwhile a real request is answered at once.
    std::thread::sleep(Duration::from_secs(2));
    let t = Instant::now();
    let (status, answer) = get(&s.endpoint);
    let took = t.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(
        took < Duration::from_secs(1),
        "a real request waited {took:?}"
    );

    // The trickler is cut at the whole-request deadline (5 s from its connection), not when it
    // stops sending.
    let mut reader = trickle;
    reader
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 512];
    let got = reader.read(&mut buf);
    let cut = started.elapsed();
    assert!(
        cut >= Duration::from_secs(4) && cut < Duration::from_secs(8),
        "cut after {cut:?} ({got:?})"
    );
    if let Ok(n) = got {
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 400 "), "{text}");
    }
    assert!(s.finish().ok());
}
