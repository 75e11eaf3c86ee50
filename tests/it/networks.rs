//! Behind a corporate proxy with a private CA, in every partition, as botocore (issue 25).
//!
//! The whole scenario runs in a private network namespace (`unshare --net`, root), where only
//! 127.0.0.1 answers and a name lookup fails at once: a call that ignores the proxy cannot
//! leave the machine, it fails. `tests/fixtures/behind_proxy.py` makes a CA with openssl, a
//! CONNECT proxy that tunnels every AWS host name to a TLS front (a certificate for the AWS
//! names from that CA) before moto, runs awsenv (`--debug use`, a role: one AssumeRole) and
//! botocore for each case, and reports what the proxy saw.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::support::{bin, repo, require, venv_bin};

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
