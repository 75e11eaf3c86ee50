//! awsenv reads the two files as botocore does (issue 10): botocore in the test venv
//! (`tests/fixtures/botocore_reads.py`) and awsenv read the same files — profile names, keys,
//! region, and for roles the identity at the end of the chain through moto — over a corpus of
//! tricky files. Any difference not on the documented list (README, "How a profile is
//! resolved") fails; a case marked as a kept difference must really differ, so the list stays
//! honest.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::support::shells::{eval_in, Sh};
use crate::support::{repo, venv_bin, Home, Moto, Run};

/// The differences awsenv keeps on purpose (README, "How a profile is resolved").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kept {
    /// A repeated section or key: configparser rejects the whole file; awsenv merges them.
    Merged,
    /// A bad line: botocore rejects the whole file; awsenv, the profile that has it.
    ErrorWhereUsed,
    /// An empty `key =`: botocore reads an empty value; awsenv treats it as absent.
    EmptyIsAbsent,
}

struct Case {
    name: &'static str,
    config: &'static str,
    credentials: &'static str,
    kept: Option<Kept>,
}

const ROLE: &str = "arn:aws:iam::123456789012:role";

const CORPUS: &[Case] = &[
    Case {
        name: "text after a header's closing bracket",
        config: "[profile prod] # prod account\nregion = eu-west-1\naws_access_key_id = AKIAPROD\naws_secret_access_key = s1\n",
        credentials: "[dev] ; note\naws_access_key_id = AKIADEV\naws_secret_access_key = s2\n",
        kept: None,
    },
    Case {
        name: "keys all indented alike, indented comments",
        config: "[default]\n  region = us-east-2\n    # indented comment\n  aws_access_key_id = AKIADEF\n  ; another\n  aws_secret_access_key = s3\n",
        credentials: "\t[ind]\n\taws_access_key_id = AKIAIND\n\taws_secret_access_key = s4\n",
        kept: None,
    },
    Case {
        name: "credential keys from one file, never mixed",
        config: "[profile st]\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgsecret\naws_session_token = STALE\nregion = us-west-2\n\
                 [profile cfgonly]\naws_access_key_id = ASIACFG\naws_secret_access_key = cfgs\naws_session_token = CFGTOKEN\n\
                 [profile split]\naws_access_key_id = AKIASPLIT\n",
        credentials: "[st]\naws_access_key_id = AKIACRED\naws_secret_access_key = credsecret\n\
                      [cfgonly]\naws_session_token = CREDTOKEN\n\
                      [split]\naws_secret_access_key = splitsecret\n",
        kept: None,
    },
    Case {
        name: "the legacy aws_security_token",
        config: "[profile legacy2]\naws_access_key_id = ASIAL2\naws_secret_access_key = l2\naws_security_token = SEC2\n",
        credentials: "[legacy]\naws_access_key_id = ASIAL1\naws_secret_access_key = l1\naws_session_token = SES1\naws_security_token = SEC1\n",
        kept: None,
    },
    Case {
        name: "a header with a second closing bracket",
        config: "[profile x]]\naws_access_key_id = AKIAX\naws_secret_access_key = sx\nregion = ca-central-1\n",
        credentials: "[tr\\]\naws_access_key_id = AKIATR\naws_secret_access_key = str\n[a]b]\naws_access_key_id = AKIAAB\naws_secret_access_key = sab\n",
        kept: None,
    },
    Case {
        name: "a comment line inside a nested block",
        config: "[profile n]\naws_access_key_id = AKIAN\naws_secret_access_key = sn\ns3 =\n# note\n  region = eu-north-1\n\n    addressing_style = path\n",
        credentials: "",
        kept: None,
    },
    Case {
        name: "a [services] block with a comment before its endpoint",
        config: "[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = sb\n\
                 [profile svc]\nrole_arn = ROLE/svc\nsource_profile = base\nservices = local\nregion = us-east-1\n\
                 [services local]\nsts =\n  # the local STS\n  endpoint_url = MOTO\n",
        credentials: "",
        kept: None,
    },
    Case {
        name: "role chains, keys of a source profile from one file",
        config: "[profile base]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\naws_session_token = STALE\n\
                 [profile r1]\nrole_arn = ROLE/one\nsource_profile = base\nregion = us-east-1\n\
                 [profile r2]\nrole_arn = ROLE/two\nsource_profile = r1\nrole_session_name = hop2\nregion = us-east-1\n",
        credentials: "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = sb\n",
        kept: None,
    },
    Case {
        name: "credential_process wrapped and with # in it",
        config: "[profile cp]\ncredential_process = PYTHON CP first # second\n  'third arg' \"#4\"\n\
                 [profile cp2]\ncredential_process = PYTHON CP a#b\n",
        credentials: "",
        kept: None,
    },
    Case {
        name: "quoted, odd and spaced names",
        config: "[profile \"my static\"]\naws_access_key_id = AKIAQ\naws_secret_access_key = sq\n\
                 [profile 'single']\naws_access_key_id = AKIAS\naws_secret_access_key = ss\n\
                 [profile a b]\naws_access_key_id = AKIAIGNORED\naws_secret_access_key = si\n\
                 [profilex y]\naws_access_key_id = AKIAY\naws_secret_access_key = sy\n\
                 [preview]\naws_access_key_id = AKIANOTAPROFILE\n",
        credentials: "[ spaced ]\naws_access_key_id = AKIASP\naws_secret_access_key = ssp\n",
        kept: None,
    },
    Case {
        name: "line endings: CRLF and a lone CR",
        config: "[profile crlf]\r\naws_access_key_id = AKIACRLF\r\naws_secret_access_key = scrlf\r\nregion = sa-east-1\r\n",
        credentials: "[cr]\raws_access_key_id = AKIACR\raws_secret_access_key = scr\r",
        kept: None,
    },
    Case {
        name: "configparser's DEFAULT section",
        config: "[DEFAULT]\nregion = ap-south-1\n[profile d]\naws_access_key_id = AKIAD\naws_secret_access_key = sd\n",
        credentials: "[DEFAULT]\naws_secret_access_key = fromdefault\n[c]\naws_access_key_id = AKIAC\n",
        kept: None,
    },
    Case {
        name: "values with comment characters, colons and backslashes",
        config: "[profile v]\naws_access_key_id: AKIAV\naws_secret_access_key = a#b;c\\\nregion = us-east-1 # not a comment\n",
        credentials: "",
        kept: None,
    },
    Case {
        name: "[default] and [profile default]: the later section whole (issue 25)",
        config: "[default]\nregion = us-east-1\naws_access_key_id = AKIAFIRST\naws_secret_access_key = s1\n\
                 [profile default]\nregion = eu-west-1\n\
                 [profile two]\naws_access_key_id = AKIATWO1\naws_secret_access_key = s2\nregion = ca-central-1\n\
                 [profile \"two\"]\nregion = us-west-2\n\
                 [profile back]\nregion = sa-east-1\n",
        credentials: "[two]\naws_access_key_id = AKIATWOCRED\naws_secret_access_key = s3\n",
        kept: None,
    },
    Case {
        name: "repeated sections (kept: merged)",
        config: "[profile r]\nregion = us-east-1\n[profile r]\naws_access_key_id = AKIAR\naws_secret_access_key = sr\n",
        credentials: "",
        kept: Some(Kept::Merged),
    },
    Case {
        name: "a bad line (kept: error where used)",
        config: "[profile good]\naws_access_key_id = AKIAGOOD\naws_secret_access_key = sg\n[profile bad]\nthis is not a setting\n",
        credentials: "",
        kept: Some(Kept::ErrorWhereUsed),
    },
    Case {
        name: "an empty token (kept: empty is absent)",
        config: "",
        credentials: "[e]\naws_access_key_id = AKIAE\naws_secret_access_key = se\naws_session_token =\n",
        kept: Some(Kept::EmptyIsAbsent),
    },
];

/// What one reader made of one profile. Role credentials differ at every call, so for them the
/// identity is compared instead of the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Error,
    Creds {
        region: Option<String>,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
    Role {
        region: Option<String>,
        identity: String,
    },
}

fn python() -> std::path::PathBuf {
    venv_bin("python")
}

fn oracle(home: &Home, args: &[&str]) -> Value {
    let mut c = Command::new(python());
    c.arg(repo().join("tests/fixtures/botocore_reads.py"))
        .args(args);
    home.isolate(&mut c);
    let out = Run::from(c.output().unwrap());
    assert!(out.ok(), "botocore_reads.py failed: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

/// An assumed-role ARN with a default session name (`botocore-session-<time>`, `awsenv-<time>`:
/// each tool names its own) made comparable.
fn normalized(arn: String) -> String {
    match arn.rsplit_once('/') {
        Some((role, session))
            if session.starts_with("botocore-session-") || session.starts_with("awsenv-") =>
        {
            format!("{role}/<default session name>")
        }
        _ => arn,
    }
}

fn botocore_outcome(v: &Value) -> Outcome {
    let s = |k: &str| v[k].as_str().map(str::to_string);
    if !v["error"].is_null() {
        return Outcome::Error;
    }
    match s("identity") {
        Some(identity) => Outcome::Role {
            region: s("region"),
            identity: normalized(identity),
        },
        None => Outcome::Creds {
            region: s("region"),
            access_key_id: s("access_key_id").unwrap_or_default(),
            secret_access_key: s("secret_access_key").unwrap_or_default(),
            session_token: s("session_token"),
        },
    }
}

/// The ARN moto reports for the credentials awsenv exported.
fn identity_of(home: &Home, exported: &BTreeMap<String, String>) -> String {
    let mut c = Command::new(python());
    c.arg(repo().join("tests/fixtures/botocore_reads.py"))
        .args(["whoami", &Moto::shared().url]);
    home.isolate(&mut c);
    c.env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        if let Some(v) = exported.get(k) {
            c.env(k, v);
        }
    }
    let out = Run::from(c.output().unwrap());
    assert!(out.ok(), "whoami failed: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

fn awsenv_outcome(home: &Home, profile: &str, role: bool) -> Outcome {
    let run = home.run(&["use", "--shell", "bash", profile]);
    if !run.ok() {
        // Rule 1 holds for every failure of the corpus.
        run.clean_failure();
        return Outcome::Error;
    }
    let start = BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]);
    let (env, sh) = eval_in(Sh::Bash, &run.stdout, &start, home.path());
    assert!(
        sh.ok(),
        "bash could not eval `use {profile}`: {}",
        sh.stderr
    );
    let get = |k: &str| env.get(k).cloned();
    if role {
        return Outcome::Role {
            region: get("AWS_REGION"),
            identity: normalized(identity_of(home, &env)),
        };
    }
    Outcome::Creds {
        region: get("AWS_REGION"),
        access_key_id: get("AWS_ACCESS_KEY_ID").unwrap_or_default(),
        secret_access_key: get("AWS_SECRET_ACCESS_KEY").unwrap_or_default(),
        session_token: get("AWS_SESSION_TOKEN"),
    }
}

fn awsenv_names(home: &Home) -> Option<Vec<String>> {
    let run = home.run(&["list"]);
    if !run.ok() {
        run.clean_failure();
        return None;
    }
    Some(run.stdout.lines().map(str::to_string).collect())
}

/// The credential_process the corpus runs: it answers with its arguments, joined by `|`, as the
/// access key id, so the test sees how the line was split.
const CP: &str = "import json, sys\n\
    print(json.dumps({'Version': 1, 'AccessKeyId': '|'.join(sys.argv[1:]), 'SecretAccessKey': 'cps'}))\n";

#[test]
fn botocore_and_awsenv_read_the_corpus_alike() {
    let moto = Moto::shared();
    let mut failures = Vec::new();
    for case in CORPUS {
        let mut home = Home::new();
        if !case.config.contains("MOTO") {
            home.set("AWS_ENDPOINT_URL_STS", &moto.url);
        }
        let cp = home.script("cp.py", CP);
        let fill = |t: &str| {
            t.replace("ROLE", ROLE)
                .replace("MOTO", &moto.url)
                .replace("PYTHON", &python().display().to_string())
                .replace("CP", &cp.display().to_string())
        };
        home.config(&fill(case.config))
            .credentials(&fill(case.credentials));

        let boto = oracle(&home, &["profiles"]);
        let boto_names: Option<Vec<String>> = boto["names"]
            .as_array()
            .map(|a| a.iter().map(|n| n.as_str().unwrap().to_string()).collect());
        let Some(names) = awsenv_names(&home) else {
            failures.push(format!("{}: awsenv cannot list the profiles", case.name));
            continue;
        };
        let all: BTreeSet<String> = names
            .iter()
            .cloned()
            .chain(boto_names.clone().unwrap_or_default())
            .collect();
        let args: Vec<&str> = std::iter::once("resolve")
            .chain(all.iter().map(String::as_str))
            .collect();
        let boto = oracle(&home, &args);

        let mut differs = boto_names.as_ref() != Some(&names);
        if differs && case.kept.is_none() {
            failures.push(format!(
                "{}: profile names: botocore {boto_names:?}, awsenv {names:?}",
                case.name
            ));
        }
        for name in &all {
            let b = botocore_outcome(&boto[name.as_str()]);
            let a = awsenv_outcome(&home, name, matches!(b, Outcome::Role { .. }));
            if a != b {
                differs = true;
                if case.kept.is_none() {
                    failures.push(format!(
                        "{}: profile `{name}`: botocore {b:?}, awsenv {a:?}",
                        case.name
                    ));
                }
            }
        }
        if let Some(kept) = case.kept {
            assert!(
                differs,
                "{}: listed as {kept:?} but botocore agrees",
                case.name
            );
        }
    }
    assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
}

/// The kept "error where used" difference: the good profile of a file with a bad line works, the
/// bad one fails with `file:line` and no file content.
#[test]
fn a_bad_line_fails_only_its_profile_and_quotes_nothing() {
    let home = Home::new();
    home.config("[profile good]\naws_access_key_id = AKIAGOOD\naws_secret_access_key = sg\n");
    home.run(&["use", "--shell", "bash", "good"]).success();
    // The audit's two cases: a continued value is part of the value, as in configparser, so
    // there is no error at all, and nothing of the secret on stderr.
    for creds in [
        "[bad]\naws_access_key_id = ASIABAD\naws_secret_access_key = abc\naws_session_token = IQoJb3JpZ2luX2VjEJr\n  SECRETPART//////////wEaCXVzLWVhc3QtMSJHMEUCIQD==\n",
        "[bad]\naws_access_key_id = AKIABAD\naws_secret_access_key: SECRETPART\n  SECRETPART2=\n",
    ] {
        home.credentials(creds);
        let run = home.run(&["use", "--shell", "bash", "bad"]);
        assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
    }
    home.credentials("[bad]\nsecret_value =\n  SECRETPART2\n");
    let err = home.run(&["use", "--shell", "bash", "bad"]).clean_failure();
    assert!(err.contains("credentials:3: "), "{err}");
    assert!(!err.contains("SECRET"), "{err}");
    home.credentials("[bad]\nSECRETNOEQUALS\n");
    let err = home.run(&["use", "--shell", "bash", "bad"]).clean_failure();
    assert!(err.contains("credentials:2: "), "{err}");
    assert!(!err.contains("SECRET"), "{err}");
}

/// Item 18: the command splitting is Python's `shlex.split`, checked line by line against it.
#[test]
fn credential_process_splitting_matches_python_shlex() {
    let lines = [
        "cmd # comment",
        "cmd #no-space a#b",
        "tool 'a # b' \"c\\\"d\" e\\ f",
        "x \"\\a\\\\\" '\\n'",
        "'' a\"\"b",
        "tool 'unbalanced",
        "tool \\",
        "a\tb\r\nc",
    ];
    let home = Home::new();
    let mut args = vec!["split"];
    args.extend(lines);
    let want = oracle(&home, &args);
    // awsenv runs the command: a script that answers with its arguments as the access key id.
    let printer = home.script(
        "argv.py",
        "import json, sys\nprint(json.dumps({'Version': 1, 'AccessKeyId': json.dumps(sys.argv[1:]), 'SecretAccessKey': 's'}))\n",
    );
    let mut config = String::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.replace(['\r', '\n'], " ");
        config.push_str(&format!(
            "[profile p{i}]\ncredential_process = {} {} {line}\n",
            python().display(),
            printer.display()
        ));
    }
    home.config(&config);
    for (i, line) in lines.iter().enumerate() {
        let mut expected = want[i].clone();
        if line.contains(['\r', '\n']) {
            // The file cannot hold a line break inside a value line; the test wrote spaces.
            let fixed = oracle(&home, &["split", &line.replace(['\r', '\n'], " ")]);
            expected = fixed[0].clone();
        }
        let run = home.run(&["export", &format!("p{i}"), "--format", "process"]);
        let got: Option<Vec<String>> = if run.ok() {
            let out: Value = serde_json::from_str(&run.stdout).unwrap();
            let argv: Vec<String> =
                serde_json::from_str(out["AccessKeyId"].as_str().unwrap()).unwrap();
            Some(argv)
        } else {
            None
        };
        let want: Option<Vec<String>> = expected
            .as_array()
            .map(|a| a.iter().map(|w| w.as_str().unwrap().to_string()).collect());
        assert_eq!(got, want, "credential_process = {line:?}");
    }
}

/// One way a profile gets credentials by itself, as settings of the profile `P`.
struct SourceKind {
    name: &'static str,
    /// Lines for `[profile P]` in the config file.
    config: &'static str,
    /// Lines for `[P]` in the credentials file.
    credentials: &'static str,
    /// The `method` of botocore's credentials from it.
    botocore: &'static str,
}

const SOURCES: &[SourceKind] = &[
    SourceKind {
        name: "role",
        config: "role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n",
        credentials: "",
        botocore: "assume-role",
    },
    SourceKind {
        name: "web identity",
        config: "role_arn = arn:aws:iam::123456789012:role/r\nweb_identity_token_file = TOKEN\n",
        credentials: "",
        botocore: "assume-role-with-web-identity",
    },
    SourceKind {
        name: "sso",
        config: "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n",
        credentials: "",
        botocore: "sso",
    },
    // Half an SSO profile: the session, without the account and the role.
    SourceKind {
        name: "sso session only",
        config: "sso_session = corp\n",
        credentials: "",
        botocore: "-",
    },
    SourceKind {
        name: "credentials file keys",
        config: "",
        credentials: "aws_access_key_id = AKIACREDSFILE\naws_secret_access_key = s\n",
        botocore: "shared-credentials-file",
    },
    SourceKind {
        name: "login",
        config: "login_session = LOGIN\n",
        credentials: "",
        botocore: "login",
    },
    SourceKind {
        name: "process",
        config: "credential_process = PROCESS\n",
        credentials: "",
        botocore: "custom-process",
    },
    SourceKind {
        name: "config file keys",
        config: "aws_access_key_id = AKIACONFIGFILE\naws_secret_access_key = s\n",
        credentials: "",
        botocore: "config-file",
    },
];

/// The kind awsenv picks for `profile`: the SOURCE column of `list --long` (`role <- …` for a
/// role), and for static keys the file whose key `export` hands out.
fn awsenv_kind(home: &Home, listing: &str, profile: &str) -> String {
    let row = listing
        .lines()
        .find(|l| l.split_whitespace().next() == Some(profile))
        .unwrap_or_else(|| panic!("{profile} not listed:\n{listing}"));
    let source = row[profile.len()..].trim_start();
    let source = source.split("  ").next().unwrap_or_default();
    if source.starts_with("role <- ") {
        return "role".into();
    }
    if source.starts_with("error: ") {
        return "none".into();
    }
    if source != "static" {
        return source.into();
    }
    let out = home
        .run(&["export", profile, "--format", "process"])
        .success();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    match v["AccessKeyId"].as_str() {
        Some("AKIACREDSFILE") => "credentials file keys".into(),
        Some("AKIACONFIGFILE") => "config file keys".into(),
        other => panic!("{profile}: keys {other:?}"),
    }
}

/// botocore's source order, walked pair by pair with botocore itself as the oracle: every pair of
/// sources set on one profile (and each alone) resolves in awsenv to the one botocore picks. The
/// order is a table in awsenv (`src/plan/source.rs`, `ORDER`); swapping two of its rows (web
/// identity and SSO, say) fails here.
#[test]
fn every_pair_of_sources_on_one_profile_resolves_as_botocore_picks() {
    let home = Home::new();
    crate::login_session::write_session(&home, 3600, "refresh");
    let process = home.script(
        "creds.sh",
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS\", \"SecretAccessKey\": \"s\"}'\n",
    );
    let fill = |t: &str| {
        t.replace("TOKEN", &home.path().join("token").display().to_string())
            .replace("LOGIN", crate::login_session::ARN)
            .replace("PROCESS", &process.display().to_string())
    };
    let mut config = String::from(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    let mut credentials =
        String::from("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n");
    let mut pairs = Vec::new();
    for (i, a) in SOURCES.iter().enumerate() {
        for (j, b) in SOURCES.iter().enumerate().skip(i) {
            let name = format!("p{i}{j}");
            // A line is written once: role and web identity share `role_arn`, and a source
            // paired with itself is that source alone.
            let once = |x: &str, y: &str| {
                let mut lines: Vec<String> = Vec::new();
                for l in x.lines().chain(y.lines()).map(&fill) {
                    if !lines.contains(&l) {
                        lines.push(l);
                    }
                }
                lines.into_iter().map(|l| l + "\n").collect::<String>()
            };
            config.push_str(&format!(
                "[profile {name}]\nregion = us-east-1\n{}",
                once(a.config, b.config)
            ));
            credentials.push_str(&format!("[{name}]\n{}", once(a.credentials, b.credentials)));
            pairs.push((name, a, b));
        }
    }
    home.config(&config).credentials(&credentials);

    let names: Vec<&str> = pairs.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut args = vec!["method"];
    args.extend(&names);
    let boto = oracle(&home, &args);
    let listing = home.run(&["list", "--long"]).success().stdout;
    let mut wrong = Vec::new();
    for (name, a, b) in &pairs {
        // No credentials (botocore's None, awsenv's error) is "none".
        let method = boto[name.as_str()].as_str().unwrap_or("none");
        let picked = match method {
            "none" => "none",
            _ => {
                let kind = SOURCES
                    .iter()
                    .find(|s| s.botocore == method)
                    .unwrap_or_else(|| {
                        panic!("{name} ({} + {}): botocore says {method}", a.name, b.name)
                    });
                assert!(
                    [a.name, b.name].contains(&kind.name),
                    "{name}: botocore picked {} from {} + {}",
                    kind.name,
                    a.name,
                    b.name
                );
                kind.name
            }
        };
        let ours = awsenv_kind(&home, &listing, name);
        if ours != picked {
            wrong.push(format!(
                "{} + {}: botocore picks {picked}, awsenv {ours}",
                a.name, b.name
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
