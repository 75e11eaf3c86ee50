//! Behind a corporate proxy with a private CA, in every partition, as botocore (issue 25).
//!
//! The whole scenario runs in a private network namespace (`unshare --net`, root), where only
//! 127.0.0.1 answers and a name lookup fails at once: a call that ignores the proxy cannot
//! leave the machine, it fails. `tests/fixtures/behind_proxy.py` makes a CA with openssl, a
//! CONNECT proxy that tunnels every AWS host name to a TLS front (a certificate for the AWS
//! names from that CA) before moto, runs awsenv (`--debug use`, a role: one AssumeRole) and
//! botocore for each case, and reports what the proxy saw.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{bin, repo, require, sh_quote, venv_bin, Clock, Home, Sh, Term};

fn scenario() -> BTreeMap<String, Value> {
    require("unshare");
    require("ip");
    require("openssl");
    let work = tempfile::tempdir().unwrap();
    let out = Command::new("unshare")
        .arg("--net")
        .arg(venv_bin("python"))
        .arg(repo().join("tests/fixtures/behind_proxy.py"))
        .arg(bin())
        .arg(work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the scenario needs root for `unshare --net` (CI runs as root): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["cases"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The host of a URL (`https://sts.amazonaws.com` → `sts.amazonaws.com`).
fn host(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap()
}

#[test]
fn behind_a_proxy_in_every_partition_as_botocore() {
    let cases = scenario();
    let text = |c: &Value, k: &str| c[k].as_str().unwrap().to_string();
    for (name, c) in &cases {
        let stderr = text(c, "stderr");
        // The chosen endpoint (STS's, the SSO portal's, OIDC's, IAM's) is botocore's, for every
        // setting. (The sign-in service's host is resolved per operation, which `meta` does not
        // show: src/aws/partition.rs holds it against botocore's rules instead.)
        let service = text(c, "service");
        if service != "signin" {
            let said = match service.as_str() {
                "sso" => "SSO portal endpoint: ",
                "iam" => "IAM endpoint: ",
                "sso-oidc" => "SSO-OIDC endpoint: ",
                _ => "STS endpoint: ",
            };
            let ours = c["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|l| l.as_str()?.split(said).nth(1))
                .unwrap_or_else(|| panic!("{name}: no `{said}` in --debug: {stderr}"));
            assert_eq!(ours, text(c, "botocore"), "{name}");
        }
        // No proxy password anywhere in what awsenv says.
        for secret in ["p@ss", "p%40ss", "wrong-pw"] {
            assert!(!stderr.contains(secret), "{name} leaks {secret}: {stderr}");
        }
        // The deadline (6 s) holds, retries included.
        assert!(c["took"].as_f64().unwrap() < 6.5, "{name}: {}", c["took"]);
        let connects = c["connects"].as_array().unwrap();
        match name.as_str() {
            "no-ca" => {
                assert_ne!(c["rc"], 0);
                assert!(stderr.contains("certificate problem"), "{stderr}");
                assert!(stderr.contains("AWS_CA_BUNDLE") && stderr.contains("ca_bundle"));
                assert!(text(c, "stdout").is_empty());
            }
            "407" => {
                assert_ne!(c["rc"], 0);
                let last = stderr.trim().lines().last().unwrap();
                assert!(last.contains("refused") && last.contains("407"), "{last}");
                assert!(
                    last.contains("http://127.0.0.1:"),
                    "names the proxy: {last}"
                );
                assert!(text(c, "stdout").is_empty());
            }
            "dead-proxy" => {
                assert_ne!(c["rc"], 0);
                assert!(
                    stderr.contains("through the proxy http://127.0.0.1:"),
                    "{stderr}"
                );
                assert!(text(c, "stdout").is_empty());
            }
            // NO_PROXY exempts the AWS hosts: a direct call, which this namespace cannot make.
            "no_proxy" => {
                assert_ne!(c["rc"], 0);
                assert!(connects.is_empty(), "{connects:?}");
                assert!(!stderr.contains("through the proxy"), "{stderr}");
            }
            // A configured endpoint wins over FIPS, and http://127.0.0.1 needs no proxy.
            "env-endpoint-wins" => {
                assert_eq!(c["rc"], 0, "{stderr}");
                assert!(connects.is_empty(), "{connects:?}");
            }
            // STS, then the console's federation endpoint, both through the proxy.
            "login" => {
                assert_eq!(c["rc"], 0, "{stderr}");
                assert_eq!(
                    connects,
                    &vec![
                        Value::from("sts.us-east-1.amazonaws.com:443"),
                        Value::from("signin.aws.amazon.com:443")
                    ]
                );
                assert!(text(c, "stdout")
                    .starts_with("https://signin.aws.amazon.com/federation?Action=login"));
            }
            // An `aws login` session refreshed at the partition's sign-in service.
            "login-refresh" => {
                assert_eq!(c["rc"], 0, "{stderr}");
                assert_eq!(
                    connects,
                    &vec![Value::from("eu-west-2.signin.aws.amazon.com:443")]
                );
                let out = text(c, "stdout");
                assert!(
                    out.contains("ASIALOGIN1") && out.contains("111111111111"),
                    "{out}"
                );
            }
            // RegisterClient, StartDeviceAuthorization, CreateToken: all at the OIDC host.
            "sso-login" => {
                assert_eq!(c["rc"], 0, "{stderr}");
                assert!(!connects.is_empty());
                assert!(
                    connects
                        .iter()
                        .all(|h| h == "oidc.us-east-1.amazonaws.com:443"),
                    "{connects:?}"
                );
            }
            // GetCallerIdentity, CreateAccessKey, GetCallerIdentity with the new key,
            // DeleteAccessKey: STS and the partition's own IAM, through the proxy.
            "rotate-gov" | "rotate-china" => {
                assert_eq!(c["rc"], 0, "{name}: {stderr}");
                let sts = format!(
                    "{}:443",
                    host(
                        c["endpoints"][0]
                            .as_str()
                            .unwrap()
                            .rsplit(' ')
                            .next()
                            .unwrap()
                    )
                );
                let iam = format!("{}:443", host(&text(c, "botocore")));
                assert_eq!(
                    connects,
                    &vec![
                        Value::from(sts.clone()),
                        Value::from(iam.clone()),
                        Value::from(sts),
                        Value::from(iam)
                    ],
                    "{name}"
                );
            }
            _ => {
                assert_eq!(c["rc"], 0, "{name}: {stderr}");
                assert!(text(c, "stdout").contains("AWS_SESSION_TOKEN"), "{name}");
                // The one AssumeRole went through the proxy, to botocore's host.
                let want = format!("{}:443", host(&text(c, "botocore")));
                assert_eq!(connects, &vec![Value::from(want)], "{name}");
            }
        }
    }
    for must in [
        "upper",
        "lower",
        "auth",
        "407",
        "no_proxy",
        "ca_bundle",
        "no-ca",
        "fips",
        "dual",
        "both",
        "env-fips",
        "env-dual",
        "env-off",
        "legacy",
        "env-regional",
        "gov",
        "china",
        "eusc",
        "dead-proxy",
    ] {
        assert!(cases.contains_key(must), "{must}");
    }
}

/// The corporate network of `behind_proxy.py --serve`: a private network namespace holding the
/// proxy, the TLS front with its private CA, and moto; up until dropped.
struct Corp {
    child: Child,
    work: tempfile::TempDir,
    /// `HTTPS_PROXY`'s value.
    proxy: String,
    /// The CA's certificate (`AWS_CA_BUNDLE`).
    ca: String,
}

impl Corp {
    fn start() -> Corp {
        require("unshare");
        require("nsenter");
        require("ip");
        require("openssl");
        let work = tempfile::tempdir().unwrap();
        let mut child = Command::new("unshare")
            .arg("--net")
            .arg(venv_bin("python"))
            .arg(repo().join("tests/fixtures/behind_proxy.py"))
            .arg("--serve")
            .arg(work.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!("the network did not start (`unshare --net` needs root, as in CI): {line:?}")
        });
        Corp {
            child,
            work,
            proxy: v["proxy"].as_str().unwrap().to_string(),
            ca: v["ca"].as_str().unwrap().to_string(),
        }
    }

    /// The command prefix that runs a program inside the namespace (`unshare` runs the fixture
    /// itself in it, so its pid names the namespace).
    fn enter(&self) -> Vec<String> {
        vec![
            require("nsenter").display().to_string(),
            format!("--net=/proc/{}/ns/net", self.child.id()),
        ]
    }

    /// Every CONNECT target the proxy has seen, in order.
    fn connects(&self) -> Vec<String> {
        std::fs::read_to_string(self.work.path().join("connects.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Corp {
    fn drop(&mut self) {
        // The fixture stops its servers and exits when its stdin closes.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The lines a command typed at the prompt printed: those after its (last) echo, up to the
/// next prompt.
fn output_of(screen: &str, typed: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.ends_with(typed))
        .unwrap_or_else(|| panic!("{typed:?} is not on the screen:\n{screen}"));
    lines[at + 1..]
        .iter()
        .take_while(|l| !l.starts_with("> "))
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.to_string())
        .collect()
}

/// The hook in an interactive bash that lives inside the namespace with only what the AWS CLI
/// needs there (`HTTPS_PROXY`, `AWS_CA_BUNDLE`): entering an allowed tree assumes its role
/// through the proxy at STS's real host name; without the proxy it fails at once, in one line.
#[test]
fn the_hook_loads_a_role_behind_a_proxy_with_a_private_ca() {
    let corp = Corp::start();
    let mut home = Home::new();
    home.set("HTTPS_PROXY", &corp.proxy)
        .set("AWS_CA_BUNDLE", &corp.ca);
    home.credentials("[user]\naws_access_key_id = AKIAEXAMPLEUSER\naws_secret_access_key = s3cr3t\n")
        .config(
            "[profile user]\nregion = us-east-1\n\
             [profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = user\nregion = us-east-1\n\
             [profile other]\nrole_arn = arn:aws:iam::123456789012:role/other\nsource_profile = user\nregion = us-east-1\n",
        );
    for (dir, profile) in [("app", "role"), ("other", "other")] {
        let d = home.path().join("w").join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(".awsprofile"), format!("{profile}\n")).unwrap();
        home.run(&["allow", &d.display().to_string()]).success();
    }
    let rc = format!(
        "eval \"$({} init bash)\"\n",
        sh_quote(&bin().display().to_string())
    );
    let t = Term::shell_via(&home, Sh::Bash, &rc, home.path(), &corp.enter());
    assert!(corp.connects().is_empty(), "{:?}", corp.connects());

    // In: one AssumeRole, through the proxy, to STS's host for the profile's region.
    t.run("cd w/app");
    let env = t.env();
    assert_eq!(
        env.get("AWSENV_PROFILE").map(String::as_str),
        Some("role"),
        "{}",
        t.screen()
    );
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{env:?}");
    assert!(env.contains_key("AWS_SESSION_TOKEN"));
    assert_eq!(corp.connects(), ["sts.us-east-1.amazonaws.com:443"]);

    // The AWS CLI, in the same shell and network, sees the role's session.
    let arn = t.out_dir().join("arn");
    t.run(&format!(
        "{} sts get-caller-identity --query Arn --output text > \"$AWSENV_TEST_OUT/arn\" 2>&1",
        sh_quote(&venv_bin("aws").display().to_string())
    ));
    let arn = t.wait_file(&arn);
    assert!(
        arn.starts_with("arn:aws:sts::123456789012:assumed-role/r/"),
        "{arn}"
    );
    assert_eq!(corp.connects().len(), 2, "{:?}", corp.connects());

    // Without the proxy there is no way out of this network: the hook says so in one line,
    // long before its deadline, and loads nothing.
    t.run("cd ~ && unset HTTPS_PROXY");
    assert!(!t.env().contains_key("AWSENV_PROFILE"));
    let typed = "cd w/other";
    let started = Instant::now();
    t.run(typed);
    let took = started.elapsed();
    let said = output_of(&t.screen(), typed);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("awsenv: ") && said[0].contains("other"),
        "{said:?}"
    );
    assert!(took < Duration::from_secs(4), "{took:?}: {said:?}");
    let env = t.env();
    assert!(!env.contains_key("AWSENV_PROFILE"), "{env:?}");
    assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "{env:?}");
    assert_eq!(corp.connects().len(), 2, "{:?}", corp.connects());
}

/// `exec --server` behind the proxy: the credential server's refresh (the engine again, on the
/// server's own thread and context) reaches STS through the proxy with the private CA, as the
/// first resolve did.
#[test]
fn the_exec_credential_server_refreshes_through_the_proxy() {
    server_refreshes_through_the_proxy(false);
}

/// The per-shell server of `use --server` (a process of its own, started by `use`) likewise.
#[test]
fn the_per_shell_credential_server_refreshes_through_the_proxy() {
    server_refreshes_through_the_proxy(true);
}

/// A served command asks the endpoint for credentials, the server's clock is moved
/// (libfaketime) so that the session falls inside the refresh margin, and it asks again: both
/// STS calls go through the proxy.
fn server_refreshes_through_the_proxy(per_shell: bool) {
    let corp = Corp::start();
    let mut home = Home::new();
    let clock = Clock::on(&mut home);
    home.set("HTTPS_PROXY", &corp.proxy)
        .set("AWS_CA_BUNDLE", &corp.ca)
        // STS's shortest session is 15 minutes: 7 s on, it is inside this margin.
        .set("AWSENV_SERVER_REFRESH_MARGIN", "895");
    home.credentials(
        "[user]\naws_access_key_id = AKIAEXAMPLEUSER\naws_secret_access_key = s3cr3t\n",
    )
    .config(
        "[profile short]\nrole_arn = arn:aws:iam::123456789012:role/short\nsource_profile = user\n\
             duration_seconds = 900\nregion = us-east-1\n",
    );
    let dir = home.path().join("served");
    std::fs::create_dir(&dir).unwrap();
    // The served command asks the endpoint for credentials, waits for the clock to move, asks
    // again; each answer's key id (or the error) goes to a file.
    let get = format!(
        "{} -c 'import json,os,urllib.request as u\n\
         r=u.Request(os.environ[\"AWS_CONTAINER_CREDENTIALS_FULL_URI\"],headers={{\"Authorization\":os.environ[\"AWS_CONTAINER_AUTHORIZATION_TOKEN\"]}})\n\
         try: print(json.load(u.urlopen(r))[\"AccessKeyId\"])\n\
         except Exception as e: print(\"error:\", e, getattr(e, \"read\", lambda: b\"\")())'",
        sh_quote(&venv_bin("python").display().to_string())
    );
    let script = format!(
        "cd {d} && {get} > first.tmp && mv first.tmp first; while [ ! -e go ]; do sleep 0.05; done; {get} > second.tmp && mv second.tmp second",
        d = sh_quote(&dir.display().to_string())
    );
    let enter = corp.enter();
    let mut cmd = Command::new(&enter[0]);
    cmd.args(&enter[1..]);
    if per_shell {
        let script = format!(
            "eval \"$({} use short --server --shell posix)\" && {script}",
            sh_quote(&bin().display().to_string())
        );
        cmd.args(["sh", "-c", &script]);
    } else {
        cmd.arg(bin())
            .args(["exec", "short", "--server", "--", "sh", "-c", &script]);
    }
    home.isolate(&mut cmd);
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read = |name: &str| {
        let f = dir.join(name);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(s) = std::fs::read_to_string(&f) {
                return s.trim().to_string();
            }
            assert!(Instant::now() < deadline, "no {name}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let first = read("first");
    assert!(first.starts_with("ASIA"), "{first}");
    assert_eq!(corp.connects(), ["sts.us-east-1.amazonaws.com:443"]);
    clock.advance(7);
    std::fs::write(dir.join("go"), "").unwrap();
    let second = read("second");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(second.starts_with("ASIA"), "{second}");
    assert_ne!(first, second, "not refreshed");
    assert_eq!(
        corp.connects(),
        [
            "sts.us-east-1.amazonaws.com:443",
            "sts.us-east-1.amazonaws.com:443"
        ]
    );
}
