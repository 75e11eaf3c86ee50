//! Issue 12: bounded waits on a bad network, and one STS call and one MFA code for many runs at
//! once. STS is moto behind `FaultProxy`, which black-holes, refuses, throttles, fails, resets or
//! delays the requests a test picks, and counts every action; MFA codes come from an
//! `mfa_process` that counts its runs.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, aws_vars, bin, sh_quote, Fault, FaultProxy, Home, Moto, Run, Sh, Term};

const USER: &str =
    "[profile user]\naws_access_key_id = AKIARELIABLEUSER001\naws_secret_access_key = usersecret\n";

/// A home whose STS is `proxy`, with a role behind plain keys.
fn home(proxy: &FaultProxy) -> Home {
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_STS", &proxy.url);
    h.config(&format!(
        "{USER}[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = user\nregion = us-east-1\n"
    ));
    h
}

/// An `mfa_process` that counts its runs in `codes`, taking `secs` as a person would.
fn code_counter(h: &Home, secs: u32) -> String {
    let count = h.path().join("codes").display().to_string();
    h.script(
        "mfa-code",
        &format!(
            "#!/bin/sh\necho run >> {}\nsleep {secs}\necho 123456\n",
            sh_quote(&count)
        ),
    )
    .display()
    .to_string()
}

fn codes_asked(h: &Home) -> usize {
    std::fs::read_to_string(h.path().join("codes"))
        .unwrap_or_default()
        .lines()
        .count()
}

/// An MFA user and `roles` roles behind it (`r1`…), each assuming its own role with the user's
/// MFA device (named in each role, as the AWS CLI wants it).
fn mfa_home(proxy: &FaultProxy, roles: usize, code_secs: u32) -> Home {
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_STS", &proxy.url);
    let code = code_counter(&h, code_secs);
    let mut config = format!("{USER}mfa_process = {code}\nregion = us-east-1\n");
    for i in 1..=roles {
        config.push_str(&format!(
            "[profile r{i}]\nrole_arn = arn:aws:iam::12345678901{i}:role/r{i}\nsource_profile = user\nmfa_serial = arn:aws:iam::123456789012:mfa/user\n"
        ));
    }
    h.config(&config);
    h
}

/// The calls awsenv made (the tests' own GetCallerIdentity left out).
fn calls(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .actions()
        .into_iter()
        .filter(|a| a != "GetCallerIdentity")
        .collect()
}

/// The variables `use` exported, as bash sees them.
fn exported(h: &Home, out: &Run) -> BTreeMap<String, String> {
    let (env, run) = support::eval_in(Sh::Bash, &out.stdout, &h.env, h.path());
    assert!(run.ok(), "{}", run.stderr);
    aws_vars(&env)
}

/// What the one line of a slow call says before the time left: `awsenv: waiting for STS
/// AssumeRole ARN at ENDPOINT (profile `role`; gives up in `.
fn waiting_for_role(url: &str) -> String {
    format!(
        "awsenv: waiting for STS AssumeRole arn:aws:iam::123456789012:role/app at {url} (profile `role`; gives up in "
    )
}

/// The seconds left that the notice `line` names, when it is the notice of `waiting_for_role`.
#[track_caller]
fn seconds_left(line: &str, url: &str) -> u64 {
    line.strip_prefix(&waiting_for_role(url))
        .and_then(|rest| rest.strip_suffix(" s)…"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not the notice of a slow AssumeRole: {line}"))
}

/// A failure after a slow call: nothing on stdout, the one line saying what the run waited for
/// (with the seconds it had left then), then the one line of the error.
#[track_caller]
fn failure_after_a_wait(run: Run, url: &str) -> (u64, String) {
    assert!(
        !run.ok(),
        "expected failure, got success\nstdout: {}",
        run.stdout
    );
    assert_eq!(run.stdout, "", "stdout must stay empty on error");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the notice and the error, got:\n{}",
        run.stderr
    );
    (seconds_left(lines[0], url), lines[1].to_string())
}

/// `h.run(args)` and the seconds it took.
fn timed(h: &Home, args: &[&str]) -> (Run, f64) {
    let began = Instant::now();
    let run = h.run(args);
    (run, began.elapsed().as_secs_f64())
}

/// The deadline is one per run, retries included: a black hole costs it once, not once per
/// attempt (three attempts of 10 s would be 30 s). The bound leaves 2 s for starting the
/// binary and reading its files on a loaded machine.
#[track_caller]
fn within_the_deadline(deadline: u64, secs: f64) {
    assert!(
        secs <= deadline as f64 + 2.0,
        "a {deadline} s deadline took {secs:.1} s: the deadline is per attempt, not per run"
    );
}

#[test]
fn a_black_holed_sts_costs_the_deadline_and_says_so() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::BlackHole);
    let mut h = home(&proxy);
    // The default deadline (10 s): after a second the run says what it waits for, then fails.
    let (run, secs) = timed(&h, &["use", "role"]);
    let (left, err) = failure_after_a_wait(run, &proxy.url);
    within_the_deadline(10, secs);
    assert!((7..=9).contains(&left), "{left} s left");
    assert_eq!(
        err,
        format!(
            "awsenv: profile `role`: AssumeRole arn:aws:iam::123456789012:role/app: no answer from {} within the 10 s deadline; allow more with AWSENV_DEADLINE=SECONDS or `deadline = SECONDS` in $XDG_CONFIG_HOME/awsenv/config",
            proxy.url
        )
    );
    // awsenv's config file sets it, and the variable wins over the file. A 1 s deadline gives
    // up as the notice would come: the error alone says it.
    let dir = h.path().join(".config/awsenv");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), "deadline = 1\n").unwrap();
    let (run, secs) = timed(&h, &["use", "role"]);
    let err = run.clean_failure();
    assert!(err.contains("within the 1 s deadline"), "{err}");
    within_the_deadline(1, secs);
    h.set("AWSENV_DEADLINE", "3");
    let (run, secs) = timed(&h, &["use", "role"]);
    let (left, err) = failure_after_a_wait(run, &proxy.url);
    within_the_deadline(3, secs);
    assert!((1..=2).contains(&left), "{left} s left");
    assert!(err.contains("within the 3 s deadline"), "{err}");
}

/// A listener whose accept queue is full: the kernel drops the SYNs of new connections, so a
/// client's connect waits (and retries) until its connect timeout. The streams returned hold the
/// queue full; drop them with the listener.
fn never_accepting() -> (TcpListener, Vec<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // A backlog of 0: the queue is full after its first connection (Linux keeps backlog + 1).
    // SAFETY: `listen` on a socket this function owns; it only changes the queue's length.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (listener, held),
            Err(e) => panic!("connect: {e}"),
        }
    }
    panic!("the accept queue never filled up");
}

/// The deadline holds through retries: an STS that fails once (retried) and then black-holes;
/// one that takes connections and never reads them (never `accept`s); and one whose accept
/// queue is full (connections never come up: every attempt waits for its connect timeout).
/// Each costs the run's deadline once, with the error naming it.
#[test]
fn black_holes_with_retries_cost_the_deadline_once() {
    let retried = FaultProxy::scripted(&Moto::shared().url, |_, nth| match nth {
        1 => Fault::Error(503, "ServiceUnavailable"),
        _ => Fault::BlackHole,
    });
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let (full, _held) = never_accepting();
    let urls = [
        retried.url.clone(),
        format!("http://{}", silent.local_addr().unwrap()),
        format!("http://{}", full.local_addr().unwrap()),
    ];
    let runs: Vec<_> = urls
        .iter()
        .map(|url| {
            let mut h = Home::new();
            h.set("AWS_ENDPOINT_URL_STS", url);
            h.set("AWSENV_DEADLINE", "4");
            h.config(&format!(
                "{USER}[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = user\nregion = us-east-1\n"
            ));
            std::thread::spawn(move || timed(&h, &["use", "role"]))
        })
        .collect();
    let mut wrong = Vec::new();
    for (url, run) in urls.iter().zip(runs) {
        let (run, secs) = run.join().unwrap();
        assert!(!run.ok() && run.stdout.is_empty(), "{url}: {}", run.stdout);
        let err = run.stderr.lines().last().unwrap_or_default();
        let says_so = err.starts_with(&format!(
            "awsenv: profile `role`: AssumeRole arn:aws:iam::123456789012:role/app: no answer from {url} within the 4 s deadline; "
        ));
        if !says_so || secs > 6.0 {
            wrong.push(format!("{url}: {secs:.1} s: {err}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "a 4 s deadline, not per attempt but per run, and the error naming it:\n{}",
        wrong.join("\n")
    );
    assert_eq!(retried.count("AssumeRole"), 2, "{:?}", retried.actions());
}

/// Issue 12: a long wait says on stderr what it waits for. An STS that takes 2.5 s: one line
/// after a second, naming the call, the endpoint, the profile and the time left, and never a
/// secret; stdout is the shell code as ever. A fast STS: not a word on stderr.
#[test]
fn a_slow_sts_says_once_what_it_waits_for_and_a_fast_one_nothing() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, _| match action {
        "AssumeRole" => Fault::Delay(Duration::from_millis(2500)),
        _ => Fault::Pass,
    });
    let h = home(&proxy);
    let out = h.run(&["use", "role", "--no-cache"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert!(!out.stdout.contains("waiting"), "{}", out.stdout);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one notice, got:\n{}", out.stderr);
    let left = seconds_left(lines[0], &proxy.url);
    assert!((7..=9).contains(&left), "{left} s left");
    assert!(!out.stderr.contains("usersecret"), "{}", out.stderr);
    assert_eq!(
        proxy.actions(),
        ["AssumeRole"],
        "answered once, not retried"
    );

    let fast = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::Pass);
    let h = home(&fast);
    let out = h.run(&["use", "role", "--no-cache"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(fast.actions(), ["AssumeRole"]);
    assert_eq!(out.stderr, "", "a fast STS is waited for silently");
}

#[test]
fn a_refused_port_fails_at_once_naming_the_endpoint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut h = Home::new();
    let url = format!("http://127.0.0.1:{port}");
    h.set("AWS_ENDPOINT_URL_STS", &url);
    h.config(&format!(
        "{USER}[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = user\n"
    ));
    // The standard retries' jittered backoff may take up to 3 s in all, but no request waits
    // for an answer: the error is the one line, with no notice of a wait before it.
    let err = h.run(&["use", "role"]).clean_failure();
    assert!(
        err.starts_with(&format!(
            "awsenv: profile `role`: AssumeRole arn:aws:iam::123456789012:role/app failed: {url}: cannot reach the endpoint: "
        )) && err.contains("Connection refused"),
        "{err}"
    );
}

#[test]
fn throttling_5xx_and_resets_are_retried_within_the_deadline() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, nth| match (action, nth) {
        ("AssumeRole", 1) => Fault::Error(400, "Throttling"),
        ("AssumeRole", 2) => Fault::Error(503, "ServiceUnavailable"),
        ("AssumeRole", 4) => Fault::Reset,
        ("AssumeRole", 5) => Fault::Error(500, "InternalFailure"),
        _ => Fault::Pass,
    });
    let h = home(&proxy);
    let out = h.run(&["use", "role", "--no-cache"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(proxy.count("AssumeRole"), 3);
    let out = h.run(&["use", "role", "--no-cache"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(proxy.actions().len(), 6, "{:?}", proxy.actions());
}

#[test]
fn errors_that_cannot_pass_are_never_retried() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, _| match action {
        "AssumeRole" => Fault::Error(403, "AccessDenied"),
        "GetSessionToken" => Fault::Error(403, "AccessDenied"),
        _ => Fault::Pass,
    });
    let h = home(&proxy);
    let err = h.run(&["use", "role"]).clean_failure();
    assert!(err.contains("AccessDenied"), "{err}");
    assert_eq!(proxy.actions(), ["AssumeRole"]);
    // A wrong MFA code (STS answers AccessDenied): one call, one code, no second ask.
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, _| match action {
        "GetSessionToken" => Fault::Error(403, "AccessDenied"),
        _ => Fault::Pass,
    });
    let h = mfa_home(&proxy, 1, 0);
    let err = h.run(&["use", "r1"]).clean_failure();
    assert!(
        err.contains("GetSessionToken") && err.contains("AccessDenied"),
        "{err}"
    );
    assert_eq!(proxy.actions(), ["GetSessionToken"]);
    assert_eq!(codes_asked(&h), 1);
}

#[test]
fn a_slow_answer_within_the_deadline_is_waited_for() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, _| match action {
        "AssumeRole" => Fault::Delay(Duration::from_millis(2500)),
        _ => Fault::Pass,
    });
    let mut h = home(&proxy);
    h.set("AWSENV_DEADLINE", "4");
    let out = h.run(&["use", "role"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(
        proxy.actions(),
        ["AssumeRole"],
        "answered once, not retried"
    );
}

/// Starts `n` runs of `awsenv use PROFILE` at once (each with its own profile from `profiles`).
fn burst(h: &Home, profiles: &[String]) -> Vec<Run> {
    let children: Vec<Child> = profiles
        .iter()
        .map(|p| {
            h.awsenv(&["use", p])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect()
}

#[test]
fn six_runs_of_one_mfa_role_ask_once_and_call_sts_once() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::Pass);
    // The code takes a second to come, as a person's would: every run is waiting by then.
    let h = mfa_home(&proxy, 1, 1);
    let runs = burst(&h, &vec!["r1".to_string(); 6]);
    let keys: Vec<String> = runs
        .into_iter()
        .map(|r| exported(&h, &r.success())["AWS_ACCESS_KEY_ID"].clone())
        .collect();
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_eq!(codes_asked(&h), 1, "MFA codes asked");
    assert_eq!(proxy.count("GetSessionToken"), 1);
    assert_eq!(proxy.count("AssumeRole"), 1);
}

#[test]
fn six_roles_behind_one_mfa_user_ask_once() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::Pass);
    let h = mfa_home(&proxy, 6, 1);
    let profiles: Vec<String> = (1..=6).map(|i| format!("r{i}")).collect();
    for (i, r) in burst(&h, &profiles).into_iter().enumerate() {
        let env = exported(&h, &r.success());
        assert_eq!(
            h.identity_of(&env).split('/').nth(1),
            Some(format!("r{}", i + 1).as_str())
        );
    }
    assert_eq!(codes_asked(&h), 1, "MFA codes asked");
    assert_eq!(proxy.count("GetSessionToken"), 1);
    assert_eq!(proxy.count("AssumeRole"), 6);
}

#[test]
fn a_killed_run_never_blocks_the_next() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::Pass);
    // The first run's code never comes: it is killed while it holds the MFA session's lock.
    let h = mfa_home(&proxy, 1, 600);
    let mut first = h
        .awsenv(&["use", "r1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let codes = h.path().join("codes");
    for _ in 0..1500 {
        if codes.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(codes.exists(), "the first run never asked for its code");
    first.kill().unwrap();
    first.wait().unwrap();
    let out = h.run(&["use", "r1", "--mfa-token", "654321"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(proxy.count("GetSessionToken"), 1);
}

#[test]
fn a_revoked_mfa_session_is_dropped_and_a_code_asked_again() {
    // The second AssumeRole (the first with the cached MFA session) is refused.
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, nth| match (action, nth) {
        ("AssumeRole", 2) => Fault::Error(403, "ExpiredToken"),
        _ => Fault::Pass,
    });
    let h = mfa_home(&proxy, 2, 0);
    h.run(&["use", "r1"]).success();
    let out = h.run(&["use", "r2"]).success();
    assert_eq!(
        h.identity_of(&exported(&h, &out)).split('/').nth(1),
        Some("r2")
    );
    assert_eq!(
        calls(&proxy),
        [
            "GetSessionToken",
            "AssumeRole",
            "AssumeRole",
            "GetSessionToken",
            "AssumeRole"
        ]
    );
    assert_eq!(codes_asked(&h), 2);
    // The new session is cached: nothing more is asked.
    h.run(&["use", "r2"]).success();
    assert_eq!(calls(&proxy).len(), 5);
}

#[test]
fn a_revoked_intermediate_role_is_made_again_from_the_mfa_session() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |action, nth| match (action, nth) {
        ("AssumeRole", 2) => Fault::Error(403, "InvalidClientTokenId"),
        _ => Fault::Pass,
    });
    let h = mfa_home(&proxy, 1, 0);
    let config = std::fs::read_to_string(h.path().join(".aws/config")).unwrap();
    h.config(&format!(
        "{config}[profile inner]\nrole_arn = arn:aws:iam::222222222222:role/inner\nsource_profile = r1\nrole_session_name = deep\n"
    ));
    h.run(&["use", "r1"]).success();
    let out = h.run(&["use", "inner"]).success();
    assert_eq!(
        h.identity_of(&exported(&h, &out)),
        "arn:aws:sts::222222222222:assumed-role/inner/deep"
    );
    assert_eq!(
        calls(&proxy),
        [
            "GetSessionToken",
            "AssumeRole",
            "AssumeRole",
            "AssumeRole",
            "AssumeRole"
        ]
    );
    assert_eq!(codes_asked(&h), 1, "the MFA session was still good");
}

/// The hook's `cd` into a tree whose STS is black-holed: after a second the terminal says what
/// the hook waits for, the prompt comes back at the deadline with the error, nothing changes, and the next `cd` inside does not try again; Ctrl-C during
/// the wait gives the prompt back at once, the environment as it was.
fn hook_on_a_black_hole(shell: Sh) {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::BlackHole);
    let mut h = home(&proxy);
    h.set("AWSENV_DEADLINE", "3");
    for d in ["w/one/sub", "w/two"] {
        std::fs::create_dir_all(h.path().join(d)).unwrap();
    }
    for d in ["w/one", "w/two"] {
        std::fs::write(h.path().join(d).join(".awsprofile"), "role\n").unwrap();
        let dir = h.path().join(d).display().to_string();
        h.run(&["allow", &dir]).success();
    }
    let b = sh_quote(&bin().display().to_string());
    let rc = match shell {
        Sh::Fish => format!("{b} init fish | source\n"),
        Sh::Bash => format!("eval \"$({b} init bash)\"\n"),
        Sh::Zsh => format!("eval \"$({b} init zsh)\"\n"),
        Sh::Dash | Sh::Nu | Sh::Elvish => unreachable!(),
    };
    let t = Term::shell(&h, shell, &rc, h.path());
    let before = aws_vars(&t.env());

    t.run("cd w/one");
    let err = format!(
        "AssumeRole arn:aws:iam::123456789012:role/app: no answer from {} within the 3 s deadline",
        proxy.url
    );
    assert_eq!(t.count(&err), 1, "{}", t.screen());
    // The wait said what it waited for, on the terminal (stderr), once.
    let waiting = waiting_for_role(&proxy.url);
    assert_eq!(t.count(&waiting), 1, "{}", t.screen());
    assert_eq!(aws_vars(&t.env()), before);
    let calls = proxy.actions().len();
    t.run("cd sub");
    assert_eq!(proxy.actions().len(), calls, "the next cd tried again");
    assert_eq!(t.count(&err), 1, "{}", t.screen());
    assert_eq!(t.count(&waiting), 1, "{}", t.screen());

    let seen = t.prompts();
    t.type_line("cd ../../two");
    t.wait_until("the hook's call", || {
        (proxy.actions().len() > calls).then_some(())
    });
    t.keys(&["C-c"]);
    t.wait_for("awsenv: cancelled; role not loaded");
    t.wait_prompt(seen);
    assert_eq!(aws_vars(&t.env()), before);
}

#[test]
fn hook_on_a_black_hole_bash() {
    hook_on_a_black_hole(Sh::Bash);
}

#[test]
fn hook_on_a_black_hole_zsh() {
    hook_on_a_black_hole(Sh::Zsh);
}

#[test]
fn hook_on_a_black_hole_fish() {
    hook_on_a_black_hole(Sh::Fish);
}

/// Four runs of four roles of one IAM Identity Center sign-in whose token needs a refresh:
/// one refresh, and every run gets its role with the refreshed token.
#[test]
fn one_sign_in_refresh_for_many_runs() {
    // tok-1 from the login, tok-2 from the one refresh; the portal takes only tok-2.
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2"]);
    let portal = support::sso_portal(&["tok-2"]);
    let mut h = Home::with_moto();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url())
        .set("AWS_ENDPOINT_URL_SSO", &portal.url);
    let mut config = String::from(
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    for i in 1..=4 {
        config.push_str(&format!(
            "[profile s{i}]\nsso_session = corp\nsso_account_id = 12345678901{i}\nsso_role_name = Role{i}\nregion = eu-north-1\n"
        ));
    }
    h.config(&config);
    h.run(&[
        "sso",
        "login",
        "--sso-session",
        "corp",
        "--no-browser",
        "--use-device-code",
    ])
    .success();
    let token = support::sso_cache_file(&h, "'corp'");
    let mut t: serde_json::Value = serde_json::from_slice(&std::fs::read(&token).unwrap()).unwrap();
    t["expiresAt"] = "2001-01-01T00:00:00Z".into();
    std::fs::write(&token, t.to_string()).unwrap();

    let profiles: Vec<String> = (1..=4).map(|i| format!("s{i}")).collect();
    for r in burst(&h, &profiles) {
        r.success();
    }
    let refreshes = oidc
        .requests()
        .iter()
        .filter(|r| r["body"]["grantType"] == "refresh_token")
        .count();
    assert_eq!(refreshes, 1);
}

/// Runs of `sso login` for one sign-in started together (two terminals opened at once) make one
/// sign-in: one device authorization (one browser tab); the others wait and take its token.
#[test]
fn one_sso_login_for_many_runs() {
    let oidc = support::oidc_endpoint(&["tok-1", "tok-2", "tok-3"]);
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url());
    h.config("[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n");
    let children: Vec<Child> = (0..3)
        .map(|_| {
            h.awsenv(&[
                "sso",
                "login",
                "--sso-session",
                "corp",
                "--use-device-code",
                "--no-browser",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()).success())
        .collect();
    let started = oidc
        .requests()
        .iter()
        .filter(|r| r["path"] == "/device_authorization")
        .count();
    assert_eq!(started, 1, "{runs:?}");
    let others = runs
        .iter()
        .filter(|r| r.stderr.contains("by another awsenv run"))
        .count();
    assert_eq!(others, 2, "{runs:?}");
}

/// What held before the locks: a corrupt cache entry is a miss and is replaced, and a cache
/// location that cannot be used still yields credentials, with one warning for the whole run.
#[test]
fn a_bad_cache_costs_a_call_not_the_run() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::Pass);
    let h = mfa_home(&proxy, 1, 0);
    h.run(&["use", "r1"]).success();
    let dir = h.path().join(".cache/awsenv/sessions");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        std::fs::write(f, "{not json").unwrap();
    }
    let out = h.run(&["use", "r1"]).success();
    assert_eq!(out.stderr, "");
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(calls(&proxy), ["GetSessionToken", "AssumeRole"].repeat(2));
    for f in &files {
        let _: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap())
            .unwrap_or_else(|e| panic!("{} was not replaced: {e}", f.display()));
    }

    // The cache directory's place is taken by a file.
    let mut h = mfa_home(&proxy, 1, 0);
    let blocked = h.path().join("not-a-dir");
    std::fs::write(&blocked, "").unwrap();
    h.set("XDG_CACHE_HOME", &blocked.display().to_string());
    let out = h.run(&["use", "r1"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].starts_with("awsenv: warning: cannot write to "),
        "{}",
        lines[0]
    );
}

/// A credential_process may wait for a person (aws-vault's prompt, a password manager, awsenv
/// itself asking for a code): its time is not taken from the network's deadline.
#[test]
fn a_slow_credential_process_does_not_eat_the_deadline() {
    let proxy = FaultProxy::scripted(&Moto::shared().url, |_, _| Fault::Pass);
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_STS", &proxy.url)
        .set("AWSENV_DEADLINE", "1");
    let process = h.script(
        "slow-keys",
        "#!/bin/sh\nsleep 2\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIASLOWPROCESS0001\", \"SecretAccessKey\": \"s\"}'\n",
    );
    h.config(&format!(
        "[profile keys]\ncredential_process = {}\n[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = keys\nregion = us-east-1\n",
        process.display()
    ));
    let out = h.run(&["use", "role"]).success();
    assert!(exported(&h, &out)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    assert_eq!(calls(&proxy), ["AssumeRole"]);
}

/// An error keeps its causes: the SDK's credential providers say only that loading failed and
/// keep the reason in the error's source. A container endpoint that refuses (its own message)
/// or is not there: the one line says why.
#[test]
fn a_failed_container_endpoint_says_why_in_one_line() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let answering = format!("http://{}/creds", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut conn, _) = listener.accept().unwrap();
        let mut head = [0u8; 4096];
        let _ = conn.read(&mut head);
        let body = r#"{"Code": "Failure", "Message": "no role is attached to this task"}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/creds", l.local_addr().unwrap())
    };
    for (uri, why) in [
        (answering, "[Failure]: no role is attached to this task"),
        (refused, "Connection refused"),
    ] {
        let mut h = Home::new();
        h.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri);
        h.config("[profile task]\nrole_arn = arn:aws:iam::123456789012:role/app\ncredential_source = EcsContainer\nregion = us-east-1\n");
        let err = h.run(&["use", "task"]).clean_failure();
        assert!(
            err.starts_with("awsenv: profile `task`: no credentials from the ECS container: ")
                && err.contains(why),
            "{err}"
        );
    }
}

/// Issue 25: `max_attempts` (the profile's, or `AWS_MAX_ATTEMPTS`) is how many times an STS call
/// is tried, as botocore counts it (the first attempt included).
#[test]
fn max_attempts_from_the_profile_or_the_environment() {
    // Two 503s, then moto.
    let script = |action: &str, nth: usize| match (action, nth) {
        ("AssumeRole", 1 | 2) => Fault::Error(503, "ServiceUnavailable"),
        _ => Fault::Pass,
    };
    // The default, 3: the third attempt gets the keys.
    let proxy = FaultProxy::scripted(&Moto::shared().url, script);
    let h = home(&proxy);
    h.run(&["use", "role", "--no-cache"]).success();
    assert_eq!(proxy.actions().len(), 3);

    // max_attempts = 2 in the profile: two tries, then the 503 is the error.
    let proxy = FaultProxy::scripted(&Moto::shared().url, script);
    let h = home(&proxy);
    h.config(&format!(
        "{USER}[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = user\nregion = us-east-1\nmax_attempts = 2\n"
    ));
    let err = h.run(&["use", "role", "--no-cache"]).clean_failure();
    assert!(err.contains("ServiceUnavailable"), "{err}");
    assert_eq!(proxy.actions().len(), 2);

    // AWS_MAX_ATTEMPTS=1 wins over the profile: no retry at all.
    let proxy = FaultProxy::scripted(&Moto::shared().url, script);
    let mut h = home(&proxy);
    h.set("AWS_MAX_ATTEMPTS", "1");
    h.run(&["use", "role", "--no-cache"]).clean_failure();
    assert_eq!(proxy.actions().len(), 1);

    // A value botocore refuses: an error naming it, before any call.
    h.set("AWS_RETRY_MODE", "eager");
    let err = h.run(&["use", "role", "--no-cache"]).clean_failure();
    assert!(
        err.contains("AWS_RETRY_MODE") && err.contains("eager"),
        "{err}"
    );
    assert_eq!(proxy.actions().len(), 1);
}
