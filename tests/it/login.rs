//! `awsenv login`: console sign-in URLs through a local federation stand-in
//! (tests/fixtures/federation.py), with credentials from moto_server's STS.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::{self, parse_url, FederationEndpoint, Home, Sh};

const CONFIG: &str = "\
[profile base]
region = eu-west-1
[profile a]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = base
[profile b]
role_arn = arn:aws:iam::222222222222:role/b
source_profile = a
[profile c]
role_arn = arn:aws:iam::333333333333:role/c
source_profile = b
role_session_name = alice
region = eu-west-1
[profile temp]
region = eu-west-1
";

const CREDS: &str = "\
[base]
aws_access_key_id = AKIABASEEXAMPLE
aws_secret_access_key = base-secret
[temp]
aws_access_key_id = ASIAREJECTED
aws_secret_access_key = temp-secret
aws_session_token = temp-session-token
";

fn home(fed: &FederationEndpoint) -> Home {
    let mut h = Home::with_moto();
    h.set("AWS_ENDPOINT_URL_SIGNIN", fed.url());
    h.config(CONFIG).credentials(CREDS);
    h
}

/// Checks a printed login URL field by field and returns its Destination's fields.
#[track_caller]
fn check_login_url(
    stdout: &str,
    fed: &FederationEndpoint,
    session_id: &str,
) -> BTreeMap<String, String> {
    assert_eq!(stdout.lines().count(), 1, "one URL line: {stdout:?}");
    let url = parse_url(stdout.trim_end());
    let base = parse_url(fed.url());
    assert_eq!(url[".scheme"], "http");
    assert_eq!(url[".netloc"], base[".netloc"]);
    assert_eq!(url[".path"], "/federation");
    assert_eq!(url["Action"], "login");
    assert_eq!(url["Issuer"], "awsenv");
    assert_eq!(url["SigninToken"], format!("signin-for-{session_id}"));
    assert_eq!(
        url.len(),
        3 + 4,
        "exactly Action, Issuer, Destination, SigninToken: {url:?}"
    );
    parse_url(&url["Destination"])
}

#[test]
fn role_chain_three_hops_signs_in_as_the_last_role() {
    let fed = support::federation_endpoint(&[]);
    let h = home(&fed);
    let run = h
        .run(&["login", "--insecure-endpoint", "c", "--print"])
        .success();
    let requests = fed.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert!(req["problem"].is_null(), "{req}");
    assert_eq!(req["query"]["Action"], "getSigninToken");
    assert!(req["query"].get("SessionDuration").is_none());
    let creds = support::signin_session(req);
    // The credentials handed to the federation endpoint are role c's, two hops behind a.
    assert_eq!(
        h.identity_of(&creds),
        "arn:aws:sts::333333333333:assumed-role/c/alice"
    );
    let dest = check_login_url(&run.stdout, &fed, &creds["AWS_ACCESS_KEY_ID"]);
    assert_eq!(dest[".scheme"], "https");
    assert_eq!(dest[".netloc"], "console.aws.amazon.com");
    assert_eq!(dest[".path"], "/console/home");
    assert_eq!(dest["region"], "eu-west-1");
    assert!(!run.stderr.contains("signin-for"), "{}", run.stderr);

    // --path and --duration (a role session: the console session length is passed on).
    let run = h
        .run(&[
            "login",
            "--insecure-endpoint",
            "c",
            "--print",
            "--path",
            "s3",
            "--duration",
            "1h",
        ])
        .success();
    let req = fed.requests().pop().unwrap();
    assert_eq!(req["query"]["SessionDuration"], "3600");
    let dest = check_login_url(
        &run.stdout,
        &fed,
        &support::signin_session(&req)["AWS_ACCESS_KEY_ID"],
    );
    assert_eq!(dest[".path"], "/s3/home");
    assert_eq!(dest["region"], "eu-west-1");
}

#[test]
fn partitions_get_their_own_console() {
    let fed = support::federation_endpoint(&[]);
    let h = home(&fed);
    for (region, console) in [
        ("us-east-2", "console.aws.amazon.com"),
        ("cn-north-1", "console.amazonaws.cn"),
        ("us-gov-west-1", "console.amazonaws-us-gov.com"),
    ] {
        let run = h
            .run(&[
                "login",
                "--insecure-endpoint",
                "a",
                "--print",
                "--region",
                region,
                "--no-cache",
            ])
            .success();
        let req = fed.requests().pop().unwrap();
        let dest = check_login_url(
            &run.stdout,
            &fed,
            &support::signin_session(&req)["AWS_ACCESS_KEY_ID"],
        );
        assert_eq!(dest[".netloc"], console, "{region}");
        assert_eq!(dest[".path"], "/console/home");
        assert_eq!(dest["region"], region);
    }
}

/// Creates an IAM user in moto and returns its access key and secret.
fn moto_user(h: &Home, name: &str) -> (String, String) {
    let aws = |args: &[&str]| {
        let mut c = std::process::Command::new(support::venv_bin("aws"));
        c.args(args).args(["--output", "json"]);
        h.isolate(&mut c);
        c.env("AWS_ENDPOINT_URL_IAM", &support::Moto::shared().url)
            .env("AWS_ACCESS_KEY_ID", "AKIAADMIN")
            .env("AWS_SECRET_ACCESS_KEY", "admin")
            .env("AWS_DEFAULT_REGION", "us-east-1");
        let out = support::Run::from(c.output().unwrap()).success();
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()
    };
    aws(&["iam", "create-user", "--user-name", name]);
    let key = aws(&["iam", "create-access-key", "--user-name", name]);
    (
        key["AccessKey"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_string(),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

#[test]
fn long_term_keys_are_federated_first() {
    let fed = support::federation_endpoint(&[]);
    let h = home(&fed);
    // A name longer than GetFederationToken's 32 characters, unique per run.
    let name = format!("user-with-a-rather-long-name-{}", std::process::id());
    assert!(name.len() > 32);
    let (key, secret) = moto_user(&h, &name);
    h.credentials(&format!(
        "{CREDS}[iam-user]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n"
    ));
    // mfa_serial without a role: no code is asked (setsid: there is no terminal to ask on).
    let run = h
        .run(&[
            "--debug",
            "login",
            "--insecure-endpoint",
            "iam-user",
            "--print",
            "--duration",
            "2h",
        ])
        .success();
    let req = fed.requests().pop().unwrap();
    assert!(req["problem"].is_null(), "{req}");
    // Federated credentials never carry a console SessionDuration (their own duration counts).
    assert!(req["query"].get("SessionDuration").is_none(), "{req}");
    let creds = support::signin_session(&req);
    assert_ne!(
        creds["AWS_ACCESS_KEY_ID"], key,
        "long-term keys went straight in"
    );
    assert!(!creds["AWS_SESSION_TOKEN"].is_empty());
    // moto reports the Name GetFederationToken received: the user name cut to 32 characters.
    let expected = format!(
        "signed in as arn:aws:sts::123456789012:federated-user/{}",
        &name[..32]
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    check_login_url(&run.stdout, &fed, &creds["AWS_ACCESS_KEY_ID"]);
    // --debug names steps, never secrets.
    for secret in [
        secret.as_str(),
        &creds["AWS_SECRET_ACCESS_KEY"],
        &creds["AWS_SESSION_TOKEN"],
        "signin-for",
    ] {
        assert!(!run.stderr.contains(secret), "debug output leaks a secret");
    }
}

#[test]
fn without_a_profile_the_environment_credentials_are_used() {
    let fed = support::federation_endpoint(&[]);
    let h = home(&fed);
    let script = h
        .run(&["use", "b", "--shell", "bash", "--region", "eu-west-1"])
        .success()
        .stdout;
    let (env, shell) = support::eval_in(Sh::Bash, &script, &h.env, h.path());
    assert!(shell.stderr.is_empty(), "{}", shell.stderr);
    let mut with_env = Home::new();
    with_env.set("AWS_ENDPOINT_URL_SIGNIN", fed.url());
    for (k, v) in support::aws_vars(&env) {
        with_env.set(&k, &v);
    }
    let run = with_env
        .run(&["login", "--insecure-endpoint", "--print"])
        .success();
    let req = fed.requests().pop().unwrap();
    let sent = support::signin_session(&req);
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        assert_eq!(sent[k], env[k], "{k}");
    }
    let dest = check_login_url(&run.stdout, &fed, &env["AWS_ACCESS_KEY_ID"]);
    // The region `use` exported.
    assert_eq!(dest["region"], "eu-west-1");

    // Nothing in the environment and no AWS_PROFILE: a clear error.
    let err = Home::new()
        .run(&["login", "--insecure-endpoint", "--print"])
        .clean_failure();
    assert!(err.contains("awsenv login PROFILE"), "{err}");
}

#[test]
fn refusals_and_bad_input_fail_cleanly_without_secrets() {
    let fed = support::federation_endpoint(&["ASIAREJECTED"]);
    let h = home(&fed);
    let run = h.run(&["login", "--insecure-endpoint", "temp", "--print"]);
    let stderr = run.stderr.clone();
    let err = run.clean_failure();
    assert!(
        err.contains("profile `temp`") && err.contains("HTTP 400"),
        "{err}"
    );
    for secret in ["temp-secret", "temp-session-token"] {
        assert!(!stderr.contains(secret), "{stderr}");
    }
    assert_eq!(fed.requests().len(), 1, "the request reached the endpoint");

    let err = h
        .run(&["login", "--insecure-endpoint", "nope", "--print"])
        .clean_failure();
    assert!(err.contains("`nope`"), "{err}");
    let err = h
        .run(&[
            "login",
            "--insecure-endpoint",
            "c",
            "--print",
            "--path",
            "../../evil",
        ])
        .clean_failure();
    assert!(err.contains("--path"), "{err}");
    let mut bad = home(&fed);
    bad.set("AWS_ENDPOINT_URL_SIGNIN", "ftp://example.com");
    let err = bad
        .run(&["login", "--insecure-endpoint", "c", "--print"])
        .clean_failure();
    assert!(
        err.contains("profile `c`") && err.contains("ftp://"),
        "{err}"
    );

    // The federation endpoint is down: the error names it, nothing on stdout.
    let down = fed.url().to_string();
    drop(fed);
    let mut h2 = Home::with_moto();
    h2.set("AWS_ENDPOINT_URL_SIGNIN", &down);
    h2.config(CONFIG).credentials(CREDS);
    let err = h2
        .run(&["login", "--insecure-endpoint", "c", "--print"])
        .clean_failure();
    assert!(
        err.contains("getSigninToken") && err.contains(&down),
        "{err}"
    );
}

#[test]
fn the_browser_gets_a_one_time_redirect_never_the_url() {
    let fed = support::federation_endpoint(&[]);
    let mut h = home(&fed);
    // A "browser" that records its argv, then follows the link once (without going on to AWS),
    // then tries the same link again.
    let fetch = h.script(
        "fetch.py",
        r#"import sys, urllib.request, urllib.error
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect)
out = []
for attempt in range(2):
    try:
        r = opener.open(sys.argv[1], timeout=5)
        out.append(f"{r.status} -")
    except urllib.error.HTTPError as e:
        out.append(f"{e.code} {e.headers.get('Location', '-')}")
    except OSError as e:
        out.append("refused")
open(sys.argv[2] + ".tmp", "w").write("\n".join(out) + "\n")
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
"#,
    );
    let result = h.path().join("browser-result");
    let argv_file = h.path().join("browser-argv");
    let browser = h.script(
        "browser",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{argv}'\nexec '{py}' '{fetch}' \"$1\" '{result}'\n",
            argv = argv_file.display(),
            py = support::venv_bin("python").display(),
            fetch = fetch.display(),
            result = result.display(),
        ),
    );
    h.set("BROWSER", browser.to_str().unwrap());
    // --browser: this machine may be a container, where awsenv would start none by itself.
    let run = h
        .run(&["login", "--insecure-endpoint", "c", "--browser"])
        .success();
    assert_eq!(run.stdout, "", "without --print the URL stays off stdout");
    assert!(
        run.stderr.contains("opened the AWS console for `c`"),
        "{}",
        run.stderr
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    while !result.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let argv = std::fs::read_to_string(&argv_file).unwrap();
    assert!(argv.starts_with("http://127.0.0.1:"), "{argv}");
    assert!(
        !argv.contains("SigninToken") && !argv.contains("signin-for"),
        "{argv}"
    );
    let outcome = std::fs::read_to_string(&result).unwrap();
    let mut lines = outcome.lines();
    let first = lines.next().unwrap();
    let location = first.strip_prefix("302 ").expect(first);
    let req = fed.requests().pop().unwrap();
    check_login_url(
        location,
        &fed,
        &support::signin_session(&req)["AWS_ACCESS_KEY_ID"],
    );
    // The link works once: afterwards nobody is listening.
    assert_eq!(lines.next(), Some("refused"));
}

#[test]
fn no_browser_falls_back_to_printing() {
    let fed = support::federation_endpoint(&[]);
    let mut h = home(&fed);
    let empty = tempfile::tempdir().unwrap();
    h.set("PATH", empty.path().to_str().unwrap());
    let run = h
        .run(&["login", "--insecure-endpoint", "a", "--browser"])
        .success();
    assert!(
        run.stderr.contains("no browser could be started"),
        "{}",
        run.stderr
    );
    let req = fed.requests().pop().unwrap();
    check_login_url(
        &run.stdout,
        &fed,
        &support::signin_session(&req)["AWS_ACCESS_KEY_ID"],
    );
}

#[test]
fn over_ssh_the_url_is_shown_on_stderr_and_no_browser_started() {
    let fed = support::federation_endpoint(&[]);
    let mut h = home(&fed);
    let started = h.path().join("browser-started");
    let browser = h.script(
        "browser",
        &format!("#!/bin/sh\ntouch '{}'\n", started.display()),
    );
    h.set("BROWSER", browser.to_str().unwrap())
        .set("DISPLAY", ":0")
        .set("SSH_CONNECTION", "192.0.2.7 50022 192.0.2.8 22");
    let run = h
        .run(&["--debug", "login", "--insecure-endpoint", "a"])
        .success();
    assert_eq!(run.stdout, "", "without --print the URL stays off stdout");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!started.exists(), "a browser was started");
    assert!(
        run.stderr.contains(
            "debug: no browser started for the console: an SSH session (SSH_CONNECTION is set)"
        ),
        "{}",
        run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    let warning = lines[lines.len() - 2];
    assert!(
        warning.starts_with("awsenv: no browser here can open the console (an SSH session")
            && warning.contains("signs in as `a` for 15 minutes to whoever has it"),
        "{warning}"
    );
    let req = fed.requests().pop().unwrap();
    check_login_url(
        lines[lines.len() - 1],
        &fed,
        &support::signin_session(&req)["AWS_ACCESS_KEY_ID"],
    );
    // --print still puts it on stdout, alone.
    let run = h
        .run(&["login", "--insecure-endpoint", "a", "--print"])
        .success();
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout.lines().count(), 1);
}
