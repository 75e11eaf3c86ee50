//! The second security audit's findings (`../shared/SECURITY-AUDIT-2.md`, issue 24), each
//! reproduced as the report ran it, in real shells. The ones that need a second local user are
//! in `security_users2.rs`.

use std::path::PathBuf;

use crate::security::{dir, in_shell, q, SHELLS};
use crate::support::{Home, Sh};

/// A home with `prod-admin` and `sandbox` keys, a `tmp`/`other` profile whose credential_process
/// hands out temporary credentials (what a server needs), and no STS to reach.
pub fn home() -> Home {
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .with_awsenv_on_path();
    let cp = h.script(
        "cp.sh",
        "#!/bin/sh\necho \"{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"ASIAFAKETEMP00000001\\\",\\\"SecretAccessKey\\\":\\\"FAKE-SECRET\\\",\\\"SessionToken\\\":\\\"FAKE-TOKEN\\\",\\\"Expiration\\\":\\\"$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)\\\"}\"\n",
    );
    h.config(&format!(
        "[profile tmp]\ncredential_process = {cp}\n[profile other]\ncredential_process = {cp}\n[profile prod]\ncredential_process = {cp}\n",
        cp = cp.display()
    ));
    h.credentials(
        "[prod-admin]\naws_access_key_id = AKIAPRODADMIN0000001\naws_secret_access_key = PROD-ADMIN-SECRET-xyz\n\
         [sandbox]\naws_access_key_id = AKIASANDBOX000000001\naws_secret_access_key = s\n",
    );
    h
}

fn allowed(h: &Home, rel: &str, profile: &str) -> PathBuf {
    let d = dir(h, rel);
    std::fs::write(d.join(".awsprofile"), format!("{profile}\n")).unwrap();
    h.run(&["allow", &d.display().to_string()]).success();
    d
}

/// What a child of the shell sees of the profile, its keys and the server's variables.
const SHOW: &str = "sh -c 'echo \"[$AWSENV_PROFILE][${AWS_ACCESS_KEY_ID-}][${AWS_CONTAINER_AUTHORIZATION_TOKEN:+token}][${AWS_CONTAINER_CREDENTIALS_FULL_URI:+uri}][${AWSENV_SERVER:+server}]\"'";

/// N1: after `use prod --server`, entering a sandbox tree (keys) or `exec sandbox` leaves no
/// server token or URI in the environment; leaving the tree brings the server back.
#[test]
fn n1_keys_loaded_over_a_server_remove_its_token() {
    let h = home();
    let sandbox = allowed(&h, "sandbox", "sandbox");
    for shell in SHELLS {
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!(
                "awsenv use prod --server\n{SHOW}\ngo {}\n{SHOW}\nenv | grep -c AWS_CONTAINER\ngo {}\n{SHOW}\nawsenv exec sandbox -- env | grep -c -e AWS_CONTAINER -e AWSENV_SERVER\nawsenv unset",
                q(&sandbox),
                q(h.path())
            ),
        );
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(
            lines,
            [
                "[prod][][token][uri][server]",
                "[sandbox][AKIASANDBOX000000001][][][]",
                "0",
                "[prod][][token][uri][server]",
                "0"
            ],
            "{shell:?}: {}",
            run.stderr
        );
    }
}

/// N6: a child's `awsenv use`/`unset` (it inherits `AWSENV_SERVER`) does not stop the shell's
/// server; the shell's own `unset` does.
#[test]
fn n6_a_child_cannot_stop_the_shells_server() {
    let h = home();
    let run = in_shell(
        &h,
        Sh::Bash,
        h.path(),
        "awsenv use tmp --server\nsh -c 'eval \"$(awsenv use other --shell sh)\"; echo child uses $AWSENV_PROFILE; awsenv unset --shell sh >/dev/null'\n\
         sleep 1.5\nkill -0 \"$AWSENV_SERVER\" && echo still serving\n\
         curl -s -o /dev/null -w '%{http_code}\\n' -m 2 -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"\n\
         uri=$AWS_CONTAINER_CREDENTIALS_FULL_URI; token=$AWS_CONTAINER_AUTHORIZATION_TOKEN
         awsenv unset
curl -s -o /dev/null -w '%{http_code}\n' -m 2 -H \"Authorization: $token\" \"$uri\"",
    );
    // The shell's own `unset` stops it (stopped, it refuses but keeps its port: N5).
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["child uses other", "still serving", "200", "403"],
        "{}",
        run.stderr
    );
}

/// N7: a credential_process the hook runs in a nested tree, and the per-shell server, never see
/// the secret saved from before the outer tree.
#[test]
fn n7_the_hooks_children_and_the_server_hold_no_saved_secret() {
    let h = home();
    let seen = h.path().join("seen");
    let helper = h.script(
        "vendor-helper.sh",
        &format!(
            "#!/bin/sh\nenv | grep -c PROD-ADMIN-SECRET > {}\necho '{{\"Version\":1,\"AccessKeyId\":\"AKIATHIRDPARTY000001\",\"SecretAccessKey\":\"tp\"}}'\n",
            seen.display()
        ),
    );
    let config = std::fs::read_to_string(h.path().join(".aws/config")).unwrap();
    h.config(&format!(
        "{config}[profile vendor]\ncredential_process = {}\n",
        helper.display()
    ));
    let sandbox = allowed(&h, "sandbox", "sandbox");
    let vendor = allowed(&h, "sandbox/vendor", "vendor");
    for shell in SHELLS {
        let _ = std::fs::remove_file(&seen);
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!(
                "awsenv use prod-admin\ngo {}\ngo {}\necho $AWSENV_PROFILE",
                q(&sandbox),
                q(&vendor)
            ),
        );
        assert_eq!(run.stdout.trim(), "vendor", "{shell:?}: {}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(&seen).unwrap().trim(),
            "0",
            "{shell:?}: the helper saw the saved secret"
        );
    }
    let run = in_shell(
        &h,
        Sh::Bash,
        h.path(),
        "awsenv use prod-admin\nawsenv use tmp --server\ntr '\\0' '\\n' < /proc/$AWSENV_SERVER/environ | grep -c -e PROD-ADMIN-SECRET -e AKIAPRODADMIN\nawsenv unset",
    );
    assert_eq!(run.stdout.trim(), "0", "{}", run.stderr);
}

/// N8: under bash `set -a` and zsh `setopt allexport` the saved secrets stay unexported.
#[test]
fn n8_allexport_does_not_export_the_saved_secrets() {
    let h = home();
    let sandbox = allowed(&h, "sandbox", "sandbox");
    for (shell, on) in [(Sh::Bash, "set -a"), (Sh::Zsh, "setopt allexport")] {
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!(
                "{on}\nawsenv use prod-admin\ngo {}\necho $AWSENV_PROFILE $(env | grep -c PROD-ADMIN-SECRET)\ngo {}\necho $AWSENV_PROFILE $AWS_ACCESS_KEY_ID",
                q(&sandbox),
                q(h.path())
            ),
        );
        assert_eq!(
            run.stdout.lines().collect::<Vec<_>>(),
            ["sandbox 0", "prod-admin AKIAPRODADMIN0000001"],
            "{shell:?}: {}",
            run.stderr
        );
    }
}

/// N10: `awsenv exec sandbox -- SHELL` inside a prod-marked tree stays sandbox at its prompts
/// while it stays in the tree; a tree it enters afterwards loads as usual.
#[test]
fn n10_exec_inside_a_marked_tree_keeps_the_profile_asked_for() {
    let h = home();
    let infra = allowed(&h, "infra", "prod-admin");
    let other = allowed(&h, "elsewhere", "prod-admin");
    for shell in SHELLS {
        let inner = match shell {
            Sh::Bash => "bash --norc -c 'eval \"$(awsenv init bash)\"; __awsenv_hook; echo $AWSENV_PROFILE; cd sub && __awsenv_hook; echo $AWSENV_PROFILE; cd \"$1\" && __awsenv_hook; echo $AWSENV_PROFILE' x",
            Sh::Zsh => "zsh --no-rcs -c 'eval \"$(awsenv init zsh)\"; __awsenv_hook; echo $AWSENV_PROFILE; cd sub; echo $AWSENV_PROFILE; cd \"$1\"; echo $AWSENV_PROFILE' x",
            _ => "fish --no-config -c 'awsenv init fish | source; __awsenv_hook; echo $AWSENV_PROFILE; cd sub; echo $AWSENV_PROFILE; cd $argv[1]; echo $AWSENV_PROFILE'",
        };
        std::fs::create_dir_all(infra.join("sub")).unwrap();
        let run = in_shell(
            &h,
            shell,
            &infra,
            &format!("awsenv exec sandbox -- {inner} {}", q(&other)),
        );
        assert_eq!(
            run.stdout.lines().collect::<Vec<_>>(),
            ["sandbox", "sandbox", "prod-admin"],
            "{shell:?}: {}",
            run.stderr
        );
    }
}

/// N15: `awsenv login` never sends the keys to the general `AWS_ENDPOINT_URL` (LocalStack's
/// `http://localhost:4566`, say) and never over plain http without `--insecure-endpoint`.
#[test]
fn n15_login_sends_the_secret_only_to_a_sign_in_endpoint_over_https() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut h = home();
    h.set("AWS_ENDPOINT_URL", &url);
    // The general override: not used for the console sign-in (the partition's own endpoint is;
    // unreachable here, so the run fails, but nothing reached the listener).
    h.set("AWSENV_DEADLINE", "2");
    // In a network namespace of its own: the partition's endpoint is not reached from a test.
    let mut c = std::process::Command::new(crate::support::require("unshare"));
    c.arg("--net")
        .arg(crate::support::bin())
        .args(["login", "tmp", "--print"]);
    h.isolate(&mut c);
    let run = crate::support::Run::from(c.output().unwrap());
    assert!(
        run.stderr
            .contains("not sending the console sign-in to the general endpoint override"),
        "{}",
        run.stderr
    );
    // A sign-in endpoint over http: refused without the flag.
    h.env.remove("AWS_ENDPOINT_URL");
    h.set("AWS_ENDPOINT_URL_SIGNIN", &url);
    let err = h.run(&["login", "tmp", "--print"]).clean_failure();
    assert!(err.contains("pass --insecure-endpoint"), "{err}");
    // Nothing was ever sent to the listener.
    let mut got = Vec::new();
    if let Ok((mut c, _)) = listener.accept() {
        c.set_nonblocking(false).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_millis(500)))
            .unwrap();
        let _ = c.read_to_end(&mut got);
        let _ = c.write_all(b"HTTP/1.1 500 x\r\n\r\n");
    }
    assert!(
        !String::from_utf8_lossy(&got).contains("FAKE-SECRET"),
        "the listener got the secret"
    );
}

/// N11: a FIFO where the SSO token or `aws login` cache file should be is refused at once, never
/// waited on (`use`, `list --long`, `sso sessions`).
#[test]
fn n11_fifos_in_the_cli_caches_are_refused_not_waited_on() {
    use sha2::Digest;
    let h = home();
    let config = std::fs::read_to_string(h.path().join(".aws/config")).unwrap();
    h.config(&format!(
        "{config}[profile s]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\
         [profile console]\nlogin_session = arn:aws:iam::111111111111:user/alice\n"
    ));
    let sso = dir(&h, ".aws/sso/cache");
    let login = dir(&h, ".aws/login/cache");
    for d in [
        &sso,
        &login,
        &h.path().join(".aws/sso"),
        &h.path().join(".aws/login"),
    ] {
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    }
    let fifo = |p: PathBuf| {
        let c = std::ffi::CString::new(p.display().to_string()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    };
    fifo(sso.join(format!("{}.json", hex::encode(sha1::Sha1::digest(b"corp")))));
    fifo(login.join(format!(
        "{}.json",
        hex::encode(sha2::Sha256::digest(
            b"arn:aws:iam::111111111111:user/alice"
        ))
    )));
    for args in [
        &["use", "--shell", "bash", "s"][..],
        &["use", "--shell", "bash", "console"],
        &["list", "--long"],
        &["sso", "sessions"],
    ] {
        let mut c = std::process::Command::new(crate::support::require("timeout"));
        c.arg("10").arg(crate::support::bin()).args(args);
        h.isolate(&mut c);
        let run = crate::support::Run::from(c.output().unwrap());
        assert_ne!(run.status.code(), Some(124), "{args:?} waited on a FIFO");
        if args[0] == "use" {
            assert!(
                run.stderr.contains("not a regular file"),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
}

/// N16: the device flow's `userCode` and `verificationUri` come from the endpoint: their escape
/// sequences are shown inert, and a `verificationUriComplete` that is not https (`file://`) is
/// not handed to the browser.
#[test]
fn n16_device_flow_text_is_inert_and_only_https_is_opened() {
    let original =
        std::fs::read_to_string(crate::support::repo().join("tests/fixtures/sso_oidc.py")).unwrap();
    let hostile = original
        .replace(
            "\"userCode\": \"WXYZ-1234\"",
            "\"userCode\": \"WX\\u001b]0;TITLE\\u0007\\u001b[2J\"",
        )
        .replace(
            "\"verificationUriComplete\": \"https://device.sso.example.com/?user_code=WXYZ-1234\"",
            "\"verificationUriComplete\": \"file:///etc/passwd\"",
        );
    assert_ne!(hostile, original, "the fixture's fields moved");
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), hostile).unwrap();
    let oidc =
        crate::support::standins::LoggedFixture::start(script.path().to_str().unwrap(), &["tok-1"]);
    let mut h = home();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url());
    h.config(
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let opened = h.path().join("opened");
    let browser = h.script(
        "browser",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            opened.display()
        ),
    );
    h.set("BROWSER", browser.to_str().unwrap());
    let run = h.run(&["sso", "login", "--sso-session", "corp", "--use-device-code"]);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(run.stderr.contains("\\u{1b}]0;TITLE"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not opening file:///etc/passwd"),
        "{}",
        run.stderr
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!opened.exists(), "the browser was asked to open it");
}

/// N9: `awsenv --debug use PROFILE` (the README's example) loads the profile through the shell
/// integration in every shell, and prints no secret; `use` itself refuses to write its script
/// to a terminal.
#[test]
fn n9_debug_use_loads_and_never_prints_the_secret() {
    let h = home();
    for shell in SHELLS {
        let run = in_shell(
            &h,
            shell,
            h.path(),
            "awsenv --debug use prod-admin\necho \"[$AWSENV_PROFILE]\"\nawsenv --debug unset\necho \"[$AWSENV_PROFILE]\"",
        );
        assert_eq!(
            run.stdout.lines().collect::<Vec<_>>(),
            ["[prod-admin]", "[]"],
            "{shell:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("PROD-ADMIN-SECRET") && run.stderr.contains("debug"),
            "{shell:?}: {}",
            run.stderr
        );
    }
    // On a terminal (a pty from script(1)): refused, nothing shown.
    let mut c = std::process::Command::new(crate::support::require("script"));
    c.args(["-qec"])
        .arg(format!(
            "{} use prod-admin",
            crate::support::bin().display()
        ))
        .arg("/dev/null");
    h.isolate(&mut c);
    let run = crate::support::Run::from(c.output().unwrap());
    assert!(!run.ok(), "{}", run.stdout);
    assert!(!run.stdout.contains("PROD-ADMIN-SECRET"), "{}", run.stdout);
    assert!(
        run.stdout.contains("not shown on a terminal"),
        "{}",
        run.stdout
    );
}

/// I5: a refresh margin beyond any session (`5000000000000s`) is refused with one line, not a
/// panic of the server.
#[test]
fn i5_an_absurd_server_refresh_margin_is_refused() {
    let mut h = home();
    h.set("AWSENV_SERVER_REFRESH_MARGIN", "5000000000000s");
    let err = h
        .run(&["exec", "tmp", "--server", "--", "true"])
        .clean_failure();
    assert!(err.contains("longer than 12 hours"), "{err}");
}

/// I6: `status` does not call a marker under a non-UTF-8 path "allowed": the hook ignores it.
#[test]
fn i6_status_says_the_hook_ignores_a_marker_under_a_non_utf8_path() {
    use std::os::unix::ffi::OsStrExt;
    let h = home();
    let bad = h.path().join(std::ffi::OsStr::from_bytes(b"bad\xffname"));
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join(".awsprofile"), "sandbox\n").unwrap();
    crate::security::run_in(&h, &bad, &["allow"]).success();
    let status = crate::security::run_in(&h, &bad, &["status"])
        .success()
        .stdout;
    assert!(
        status.contains("ignored by the hook: its path is not UTF-8 text"),
        "{status}"
    );
}

/// N13, for the SDK clients: an STS endpoint (`AWS_ENDPOINT_URL_STS`) that answers an
/// AssumeRole with gigabytes, announced by `Content-Length` or streamed without one, makes
/// `use` fail at once with one line naming the cap, not hold the answer in memory.
#[test]
fn n13_an_endless_answer_from_sts_is_cut_at_1_mib() {
    let script = tempfile::NamedTempFile::new().unwrap();
    // `length`: announces 3 GB; `chunked`: no length, chunks for ever. Either way it writes
    // until the client hangs up.
    std::fs::write(
        script.path(),
        "import sys\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\n\
         class H(BaseHTTPRequestHandler):\n    protocol_version = 'HTTP/1.1'\n    \
         def log_message(self, *a): pass\n    \
         def do_POST(self):\n        self.rfile.read(int(self.headers['Content-Length']))\n        \
         self.send_response(200); self.send_header('Content-Type', 'text/xml')\n        \
         chunked = sys.argv[1] == 'chunked'\n        \
         self.send_header('Transfer-Encoding', 'chunked') if chunked else self.send_header('Content-Length', str(3 * 2**30))\n        \
         self.end_headers(); block = b'<x>' + b'a' * 65530 + b'</x>'\n        \
         try:\n            \
         while True: self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(block), block) if chunked else block)\n        \
         except OSError: pass\n\
         s = HTTPServer(('127.0.0.1', 0), H); print(s.server_address[1], flush=True); s.serve_forever()\n",
    )
    .unwrap();
    for how in ["length", "chunked"] {
        let mut h = home();
        h.config(
            "[profile role]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = sandbox\nregion = eu-west-1\n",
        );
        let sts = crate::support::standins::Fixture::start(script.path().to_str().unwrap(), &[how]);
        h.set("AWS_ENDPOINT_URL_STS", &sts.url);
        h.set("AWSENV_DEADLINE", "20");
        let started = std::time::Instant::now();
        let err = h.run(&["use", "role"]).clean_failure();
        assert!(
            err.contains("answer larger than 1 MiB from http://127.0.0.1"),
            "{how}: {err}"
        );
        assert!(err.contains("role"), "{how}: {err}");
        // Cut at the cap, not read to the deadline (a generous bound).
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{how}: took {:?}",
            started.elapsed()
        );
    }
}
