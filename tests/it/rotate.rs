//! `awsenv rotate` against moto_server with authentication on (unknown or deleted keys are
//! refused), through a proxy that records the order of the AWS calls and injects failures.

use crate::support::{self, FaultProxy, Home, Moto, Run, SecretService};

const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The AWS CLI against moto directly, with `creds` (or dummy ones for unauthenticated setup).
fn aws(moto: &Moto, creds: Option<(&str, &str)>, args: &[&str]) -> Run {
    let mut c = std::process::Command::new(support::venv_bin("aws"));
    let (id, secret) = creds.unwrap_or(("AKIAIOSFODNN7EXAMPLE", "setup"));
    c.args(args)
        .args(["--endpoint-url", &moto.url, "--output", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .stdin(std::process::Stdio::null());
    Run::from(c.output().unwrap())
}

fn json(run: Run) -> serde_json::Value {
    serde_json::from_str(&run.success().stdout).unwrap()
}

/// A moto that checks signatures and policies, with IAM user alice allowed everything and
/// `keys` access keys of hers (the first `3 + keys` calls are the unauthenticated setup).
fn moto_with_alice(keys: usize) -> (Moto, Vec<(String, String)>) {
    let count = (2 + keys).to_string();
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", &count)]);
    aws(&moto, None, &["iam", "create-user", "--user-name", "alice"]).success();
    aws(
        &moto,
        None,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "alice",
            "--policy-name",
            "all",
            "--policy-document",
            POLICY,
        ],
    )
    .success();
    let keys = (0..keys)
        .map(|_| {
            let k = json(aws(
                &moto,
                None,
                &["iam", "create-access-key", "--user-name", "alice"],
            ));
            (
                k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
                k["AccessKey"]["SecretAccessKey"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    (moto, keys)
}

/// The ARN moto gives these keys, or the error.
fn identity(moto: &Moto, id: &str, secret: &str) -> Result<String, String> {
    let r = aws(moto, Some((id, secret)), &["sts", "get-caller-identity"]);
    if r.ok() {
        Ok(
            serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()["Arn"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    } else {
        Err(r.stderr)
    }
}

/// alice's access key ids in IAM (asked with keys that work).
fn keys_in_iam(moto: &Moto, id: &str, secret: &str) -> Vec<String> {
    let v = json(aws(
        moto,
        Some((id, secret)),
        &["iam", "list-access-keys", "--user-name", "alice"],
    ));
    let mut ids: Vec<String> = v["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The keys awsenv holds for `profile`, read back through awsenv.
fn stored(home: &Home, profile: &str) -> (String, String) {
    let out = home
        .run(&["export", profile, "--format", "process"])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    (
        v["AccessKeyId"].as_str().unwrap().to_string(),
        v["SecretAccessKey"].as_str().unwrap().to_string(),
    )
}

/// A HOME whose STS and IAM are `url`, with alice's keys added to the store.
fn home_with(url: &str, key: &(String, String), setup: impl FnOnce(&mut Home)) -> Home {
    let mut home = Home::new();
    home.set("AWS_ENDPOINT_URL", url);
    setup(&mut home);
    let mut c = home.awsenv(&["add", "alice", "--env"]);
    c.env("AWS_ACCESS_KEY_ID", &key.0)
        .env("AWS_SECRET_ACCESS_KEY", &key.1);
    Run::from(c.output().unwrap()).success();
    home
}

fn file_backend(home: &mut Home) {
    home.set("AWSENV_BACKEND", "file")
        .set("AWSENV_FILE_PASSPHRASE", "rotate test passphrase");
}

const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

#[test]
fn rotate_replaces_the_key_in_the_keyring_and_deletes_the_old_one_last() {
    let (moto, keys) = moto_with_alice(1);
    let old = keys[0].clone();
    let proxy = FaultProxy::start(&moto.url, "none", 0);
    let ss = SecretService::start();
    let home = home_with(&proxy.url, &old, |h| ss.connect(h));

    let out = home.run(&["--debug", "rotate", "alice"]).success();
    assert_eq!(out.stdout, "", "rotate prints nothing on stdout");
    assert_eq!(
        proxy.actions(),
        [
            "GetCallerIdentity",
            "CreateAccessKey",
            "GetCallerIdentity",
            "DeleteAccessKey"
        ],
        "the old key must be deleted last, after the new one is proven"
    );
    let new = stored(&home, "alice");
    assert_ne!(new.0, old.0);
    assert!(
        ss.lookup("keys:alice").unwrap().contains(&new.1),
        "the Secret Service does not hold the new key"
    );
    for secret in [&old.1, &new.1] {
        assert!(!out.stderr.contains(secret.as_str()), "{}", out.stderr);
    }
    assert!(out.stderr.contains(&old.0) && out.stderr.contains(&new.0));

    assert_eq!(identity(&moto, &new.0, &new.1).unwrap(), ALICE);
    let refused = identity(&moto, &old.0, &old.1).unwrap_err();
    assert!(refused.contains("InvalidClientTokenId"), "{refused}");
    assert_eq!(keys_in_iam(&moto, &new.0, &new.1), vec![new.0.clone()]);
    // And awsenv use hands out the new key.
    let out = home.run(&["use", "alice", "--shell", "bash"]).success();
    assert!(out.stdout.contains(&new.0));
}

#[test]
fn a_new_key_that_fails_its_proof_is_withdrawn_and_the_old_one_stays() {
    let (moto, keys) = moto_with_alice(1);
    let old = keys[0].clone();
    // The first GetCallerIdentity (old key) passes; the proof of the new key fails.
    let proxy = FaultProxy::start(&moto.url, "GetCallerIdentity", 1);
    let home = home_with(&proxy.url, &old, file_backend);

    let err = home.run(&["rotate", "alice"]).clean_failure();
    assert!(
        err.contains("alice") && err.contains("does not work") && err.contains("InjectedFault"),
        "{err}"
    );
    assert!(err.contains(&format!("{} is stored again", old.0)), "{err}");
    assert_eq!(
        stored(&home, "alice"),
        old,
        "the old key is not back in the store"
    );
    assert_eq!(identity(&moto, &old.0, &old.1).unwrap(), ALICE);
    assert_eq!(
        keys_in_iam(&moto, &old.0, &old.1),
        vec![old.0.clone()],
        "the unproven key was left in IAM"
    );
    let actions = proxy.actions();
    assert_eq!(actions.last().unwrap(), "DeleteAccessKey", "{actions:?}");
}

#[test]
fn a_failed_delete_keeps_the_new_working_key_and_names_the_old_one() {
    let (moto, keys) = moto_with_alice(1);
    let old = keys[0].clone();
    let proxy = FaultProxy::start(&moto.url, "DeleteAccessKey", 0);
    let home = home_with(&proxy.url, &old, file_backend);

    let err = home.run(&["rotate", "alice"]).clean_failure();
    assert!(
        err.contains(&old.0) && err.contains("still active") && err.contains("InjectedFault"),
        "{err}"
    );
    let new = stored(&home, "alice");
    assert_ne!(new.0, old.0);
    assert_eq!(identity(&moto, &new.0, &new.1).unwrap(), ALICE);
    let mut both = vec![old.0.clone(), new.0.clone()];
    both.sort();
    assert_eq!(keys_in_iam(&moto, &new.0, &new.1), both);
}

#[test]
fn a_refused_create_changes_nothing() {
    // alice already has the two keys IAM allows.
    let (moto, keys) = moto_with_alice(2);
    let old = keys[0].clone();
    let home = home_with(&moto.url, &old, file_backend);
    let err = home.run(&["rotate", "alice"]).clean_failure();
    assert!(
        err.contains("LimitExceeded") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(stored(&home, "alice"), old);
    assert_eq!(keys_in_iam(&moto, &old.0, &old.1).len(), 2);

    // Keys that are only in the credentials file are not rotated (the file is never rewritten).
    home.credentials(
        "[plain]\naws_access_key_id = AKIAPLAINPLAINPLAIN0\naws_secret_access_key = s\n",
    );
    let err = home.run(&["rotate", "plain"]).clean_failure();
    assert!(err.contains("no keys in the encrypted file store"), "{err}");
}

#[test]
fn with_mfa_serial_iam_is_called_with_an_mfa_session() {
    // moto's MFA sessions are not real IAM keys, so this moto checks no signatures.
    let moto = Moto::start(&[]);
    aws(&moto, None, &["iam", "create-user", "--user-name", "alice"]).success();
    let k = json(aws(
        &moto,
        None,
        &["iam", "create-access-key", "--user-name", "alice"],
    ));
    let old = (
        k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
        k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let proxy = FaultProxy::start(&moto.url, "none", 0);
    let home = home_with(&proxy.url, &old, file_backend);
    home.config("[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n");

    // No code and no terminal: refused before IAM is touched.
    let err = home.run(&["rotate", "alice"]).clean_failure();
    assert!(err.contains("MFA") && err.contains("--mfa-token"), "{err}");
    assert!(!proxy.actions().iter().any(|a| a == "CreateAccessKey"));

    home.run(&["rotate", "alice", "--mfa-token", "123456"])
        .success();
    let actions = proxy.actions();
    let after_first_try = &actions[1..];
    assert_eq!(
        after_first_try,
        [
            "GetCallerIdentity",
            "GetSessionToken",
            "CreateAccessKey",
            "GetCallerIdentity",
            "DeleteAccessKey"
        ],
        "{actions:?}"
    );
    // Without mfa_serial, export hands out the stored keys themselves.
    home.config("");
    let new = stored(&home, "alice");
    assert_ne!(new.0, old.0);
    let left: Vec<String> = json(aws(
        &moto,
        None,
        &["iam", "list-access-keys", "--user-name", "alice"],
    ))["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, vec![new.0]);
}
