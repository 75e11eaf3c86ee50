//! Odd and hostile files (issue 11, items 14 and 18): a FIFO where a file should be, a huge
//! profile name, a role chain without end, invalid UTF-8. Each gets one clear line on stderr (or
//! a working answer), never a hang or a panic.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{Home, Run};

/// Runs `awsenv ARGS`, killing it (and failing the test) if it is still running after a minute:
/// the bug this guards against is a command that waits forever.
fn run_or_kill(home: &Home, args: &[&str]) -> Run {
    let mut c = home.awsenv(args);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    // The output is read while waiting, so a large answer cannot fill the pipe and stall.
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => Run::from(out.unwrap()),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status();
            panic!("awsenv {args:?} hangs");
        }
    }
}

#[test]
fn a_fifo_config_or_credentials_file_is_refused_not_waited_on() {
    for file in ["config", "credentials"] {
        let home = Home::new();
        let path = home.path().join(".aws").join(file);
        let ok = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
        let err = run_or_kill(&home, &["list"]).clean_failure();
        assert!(err.contains(&format!(".aws/{file}")), "{err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn a_64k_profile_name_does_not_panic_list_long() {
    let home = Home::new();
    let name = "d".repeat(70_000);
    home.config(&format!(
        "[profile {name}]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n[profile b]\nregion = x\n"
    ));
    let out = run_or_kill(&home, &["list", "--long"]).success();
    assert!(out.stdout.contains(&name), "{}", &out.stdout[..200]);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("b ")),
        "{}",
        out.stdout.len()
    );
}

#[test]
fn role_chains_have_a_depth_cap_with_a_clear_error() {
    let home = Home::new();
    let mut config = String::new();
    // 200 profiles, each assuming a role from the next, the last one back to the first.
    for i in 0..200 {
        config.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = p{}\n",
            (i + 1) % 200
        ));
    }
    home.config(&config);
    let err = run_or_kill(&home, &["use", "--shell", "bash", "p0"]).clean_failure();
    assert!(
        err.contains("profile `p0`: the role chain is longer than 64 profiles"),
        "{err}"
    );
    assert!(err.len() < 300, "{err}");
}

#[test]
fn invalid_utf8_is_reported_at_its_line() {
    let home = Home::new();
    std::fs::write(
        home.path().join(".aws/config"),
        b"[default]\nregion = us-east-1\n\n# caf\xe9\n",
    )
    .unwrap();
    let err = run_or_kill(&home, &["list"]).clean_failure();
    assert!(err.contains(".aws/config:4: not valid UTF-8"), "{err}");
}

/// A big config (over 256 KiB, the size that was once mapped rather than read) reads whole: its
/// last profile resolves, and a bad byte near its end is reported at its line.
#[test]
fn a_big_config_is_read_whole_and_errors_keep_their_lines() {
    let home = Home::new();
    let mut config = String::new();
    for i in 0..8000 {
        config.push_str(&format!("[profile p{i}]\nregion = eu-west-1\n\n"));
    }
    assert!(config.len() > 256 * 1024);
    config.push_str("[profile last]\nregion = ap-south-1\n");
    home.config(&config);
    home.credentials("[last]\naws_access_key_id = AKIAEXAMPLELAST\naws_secret_access_key = s\n");
    let out = run_or_kill(&home, &["use", "last", "--shell", "bash"]).success();
    assert!(
        out.stdout.contains("AWS_REGION=ap-south-1"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("AKIAEXAMPLELAST"), "{}", out.stdout);
    let list = run_or_kill(&home, &["list"]).success();
    assert_eq!(list.stdout.lines().count(), 8001);

    let mut bytes = config.into_bytes();
    bytes.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(home.path().join(".aws/config"), bytes).unwrap();
    let err = run_or_kill(&home, &["list"]).clean_failure();
    assert!(err.contains(".aws/config:24003: not valid UTF-8"), "{err}");
}
