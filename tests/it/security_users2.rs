//! The second audit's findings that need another local user (issue 24): a throwaway account
//! (`security_users::OtherUser`, `useradd` + `setpriv`) attacks while the tests run as the
//! victim.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::security_users::OtherUser;
use crate::support::{self, sh_quote, Home};

/// The system's Python, which another user can run (the test venv lives under a private home).
fn system_python() -> PathBuf {
    let p = PathBuf::from("/usr/bin/python3");
    assert!(
        p.exists(),
        "/usr/bin/python3 is missing: run `bash tests/setup.sh`"
    );
    p
}

fn wait_for(p: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(s) = std::fs::read_to_string(p) {
            if !s.is_empty() {
                return s;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing in {}", p.display());
}

/// Connects to the URL in argv[1] from 127.0.0.N:PORT (N = 2, 3, …; PORT = the listener's own
/// port, so that a search by ports alone also finds awsenv's accepted socket), sending a GET for
/// the URL's path; prints each status, stopping at a 302.
const SAME_PORT_ELSEWHERE: &str = r#"
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
for n in range(2, 14):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((f'127.0.0.{n}', u.port)); s.connect(('127.0.0.1', u.port))
        target = u.path + ('?' + u.query if u.query else '')
        s.sendall(f'GET {target} HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
        status = s.recv(4096).decode().split(' ')[1]
    except OSError as e:
        status = 'error'
    s.close(); print(status, flush=True)
    if status == '302': break
"#;

/// N2: another user connecting from another loopback address with the listener's port number
/// is refused every time (the owner is found by the whole connection, not by ports), and the
/// user's browser still gets the sign-in redirect.
#[test]
fn n2_the_sign_in_redirect_is_refused_to_another_user_on_another_loopback_address() {
    let fed = support::federation_endpoint(&[]);
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_SIGNIN", fed.url());
    h.credentials(
        "[temp]\naws_access_key_id = ASIATEMPEXAMPLE00001\naws_secret_access_key = X\naws_session_token = Y\n",
    );
    let other = OtherUser::new();
    let attacker_log = h.path().join("attacker.log");
    let browser_log = h.path().join("browser.log");
    let browser = h.script(
        "browser",
        &format!(
            "#!/bin/sh\n(\n\
             {setpriv} --reuid={uid} --regid={gid} --clear-groups {py} -c {attack} \"$1\" > {alog}.tmp\n\
             mv {alog}.tmp {alog}\n\
             {curl} -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' \"$1\" > {blog}.tmp\n\
             mv {blog}.tmp {blog}\n) &\n",
            setpriv = support::require("setpriv").display(),
            uid = other.uid,
            gid = other.gid,
            py = system_python().display(),
            attack = sh_quote(SAME_PORT_ELSEWHERE),
            curl = support::require("curl").display(),
            alog = sh_quote(&attacker_log.display().to_string()),
            blog = sh_quote(&browser_log.display().to_string()),
        ),
    );
    h.set("BROWSER", browser.to_str().unwrap());
    let run = h.run(&["login", "--insecure-endpoint", "temp", "--browser"]);
    let attacker = wait_for(&attacker_log);
    let statuses: Vec<&str> = attacker.lines().collect();
    assert_eq!(
        statuses,
        vec!["403"; 12],
        "the other user got: {attacker}; awsenv said: {}",
        run.stderr
    );
    let run = run.success();
    assert!(
        run.stderr
            .contains(&format!("refused the sign-in link to uid {}", other.uid)),
        "{}",
        run.stderr
    );
    let browser = wait_for(&browser_log);
    assert!(
        browser.starts_with("302 ") && browser.contains("SigninToken"),
        "the user's browser got: {browser}"
    );
}

const PKCE_CONFIG: &str = "\
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
";

/// Sends `redirect_uri?QUERY` for each QUERY template in argv[2..] (`STATE` replaced by the
/// authorize URL's state), printing each status.
const CALLBACKS: &str = r#"
import sys, urllib.parse, urllib.request, urllib.error
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(sys.argv[1]).query))
for t in sys.argv[2:]:
    url = q['redirect_uri'] + '?' + t.replace('STATE', urllib.parse.quote(q['state']))
    try: print(urllib.request.urlopen(url, timeout=5).status, flush=True)
    except urllib.error.HTTPError as e: print(e.code, flush=True)
    except Exception as e: print('error', e, flush=True)
"#;

/// N3: another user who knows the callback's port and `state` (they are in the browser's argv)
/// can neither end the login nor hand in a code: refused before a byte is read. A callback with
/// a wrong `state` (a page probing local ports) gets an error page and is ignored. The login
/// goes on and redeems the browser's own code.
#[test]
fn n3_the_pkce_callback_takes_only_the_users_own_answer() {
    let oidc = support::oidc_endpoint(&["tok-1"]);
    let portal = support::sso_portal(&["tok-1"]);
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_SSO_OIDC", oidc.url())
        .set("AWS_ENDPOINT_URL_SSO", &portal.url);
    h.config(PKCE_CONFIG);
    let other = OtherUser::new();
    let log = h.path().join("browser.log");
    let py = system_python().display().to_string();
    let browser = h.script(
        "browser",
        &format!(
            "#!/bin/sh\n(\n\
             {setpriv} --reuid={uid} --regid={gid} --clear-groups {py} -c {cb} \"$1\" 'state=STATE&error=access_denied&error_description=other' 'code=forged&state=STATE'\n\
             {py} -c {cb} \"$1\" 'code=probe&state=x'\n\
             {py} -c 'import sys, urllib.request as u; print(u.urlopen(sys.argv[1]).status)' \"$1\"\n\
             ) > {log}.tmp 2>&1 && mv {log}.tmp {log} &\n",
            setpriv = support::require("setpriv").display(),
            uid = other.uid,
            gid = other.gid,
            cb = sh_quote(CALLBACKS),
            log = sh_quote(&log.display().to_string()),
        ),
    );
    h.set("BROWSER", browser.to_str().unwrap());
    let run = h.run(&["sso", "login", "--sso-session", "corp", "--no-device-code"]);
    let seen = wait_for(&log);
    assert_eq!(
        seen.lines().collect::<Vec<_>>(),
        ["403", "403", "400", "200"],
        "{seen}\nawsenv: {}",
        run.stderr
    );
    let run = run.success();
    assert!(run.stderr.contains("signed in"), "{}", run.stderr);
    let reqs = oidc.requests();
    let token = reqs
        .iter()
        .find(|r| r["path"] == "/token")
        .expect("CreateToken");
    let code = token["body"]["code"].as_str().unwrap();
    assert!(code.starts_with("code-"), "redeemed {code}");
}

/// Run by another user: connects to 127.0.0.1:argv[1] `n` times and trickles a byte every
/// 0.3 s on each for 4 s; prints what each connection was answered (the status, or `open` when
/// the server never answered or closed it).
const TRICKLE: &str = r#"
import socket, sys, time
port = int(sys.argv[1]); held = []
for _ in range(4):
    s = socket.create_connection(('127.0.0.1', port)); s.settimeout(0.05); held.append([s, None])
end = time.time() + 4
while time.time() < end:
    for h in held:
        if h[1] is not None: continue
        try:
            h[0].send(b'G')
            got = h[0].recv(100)
            h[1] = got.split(b' ')[1].decode() if got else 'closed'
        except socket.timeout: pass
        except OSError as e: h[1] = 'closed'
    time.sleep(0.3)
print(' '.join(h[1] or 'open' for h in held), flush=True)
"#;

/// N4: while another user and the user's own process trickle bytes at the credential server,
/// every request of the command is answered at once: the other user's connections are closed
/// unread (403), the trickler's own are on threads of their own.
#[test]
fn n4_tricklers_do_not_hold_up_the_credential_server() {
    let h = crate::security2::home();
    let other = OtherUser::new();
    let out = h.path().join("out");
    let script = format!(
        "port=${{AWS_CONTAINER_CREDENTIALS_FULL_URI##*:}}; port=${{port%%/*}}\n\
         {setpriv} --reuid={uid} --regid={gid} --clear-groups {py} -c {trickle} $port > {out}.other &\n\
         {py} -c {trickle} $port > {out}.own &\n\
         sleep 0.5\n\
         for i in 1 2 3 4 5; do curl -s -o /dev/null -m 2 -w '%{{http_code}} %{{time_total}}\\n' -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; sleep 0.3; done > {out}\n\
         wait\n",
        setpriv = support::require("setpriv").display(),
        uid = other.uid,
        gid = other.gid,
        py = system_python().display(),
        trickle = sh_quote(TRICKLE),
        out = sh_quote(&out.display().to_string()),
    );
    h.run(&["exec", "tmp", "--server", "--", "sh", "-c", &script])
        .success();
    let answers = std::fs::read_to_string(&out).unwrap();
    eprintln!("status and seconds of each request while tricklers held the server:\n{answers}");
    for line in answers.lines() {
        let (status, took) = line.split_once(' ').unwrap();
        let took: f64 = took.parse().unwrap();
        assert!(status == "200" && took < 1.0, "{answers}");
    }
    assert_eq!(answers.lines().count(), 5, "{answers}");
    let theirs = std::fs::read_to_string(out.with_extension("other")).unwrap();
    assert_eq!(
        theirs.trim(),
        "403 403 403 403",
        "the other user's connections"
    );
}

/// Run by another user: tries to bind 127.0.0.1:argv[1] for 4 s; if it can, answers one request
/// with credentials of its own.
const SQUAT: &str = r#"
import json, socket, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        b = json.dumps({"AccessKeyId": "ASIAATTACKER00000001", "SecretAccessKey": "a", "Token": "a", "Expiration": "2099-01-01T00:00:00Z"}).encode()
        self.send_response(200); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
end = time.time() + 4
while time.time() < end:
    try: s = HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
    except OSError: time.sleep(0.005); continue
    print('squatted', flush=True); s.timeout = 3; s.handle_request(); sys.exit(0)
print('never bound', flush=True)
"#;

/// N5 (`exec --server`): a background job the command left keeps the endpoint; awsenv holds the
/// port (answering 403) until that job has ended, so another user waiting to bind it never can.
#[test]
fn n5_exec_server_holds_its_port_while_the_commands_background_jobs_run() {
    let h = crate::security2::home();
    let other = OtherUser::new();
    let out = h.path().join("out");
    let script = format!(
        "port=${{AWS_CONTAINER_CREDENTIALS_FULL_URI##*:}}; port=${{port%%/*}}\n\
         {setpriv} --reuid={uid} --regid={gid} --clear-groups {py} -c {squat} $port > {out}.squat &\n\
         (sleep 1.5; curl -s -m 3 -w ' %{{http_code}}\\n' -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > {out}) &\n\
         exit 3\n",
        setpriv = support::require("setpriv").display(),
        uid = other.uid,
        gid = other.gid,
        py = system_python().display(),
        squat = sh_quote(SQUAT),
        out = sh_quote(&out.display().to_string()),
    );
    let started = Instant::now();
    let run = h.run(&["exec", "tmp", "--server", "--", "sh", "-c", &script]);
    // The command's status, once everything it left has ended.
    assert_eq!(run.status.code(), Some(3), "{}", run.stderr);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(
        run.stderr.contains("processes it started still run"),
        "{}",
        run.stderr
    );
    let job = std::fs::read_to_string(&out).unwrap();
    assert!(
        job.ends_with(" 403\n") && !job.contains("ATTACKER"),
        "the background job got: {job}"
    );
    let squat = std::fs::read_to_string(out.with_extension("squat")).unwrap();
    assert_eq!(squat.trim(), "never bound");
}

/// N5 (`use --server`): after `awsenv unset`, the shell's children still hold the endpoint: the
/// stopped server keeps the port (403) until the shell ends, then it is gone.
#[test]
fn n5_a_stopped_shell_server_holds_its_port_until_the_shell_ends() {
    let h = crate::security2::home();
    let run = crate::security::in_shell(
        &h,
        crate::support::Sh::Bash,
        h.path(),
        "awsenv use tmp --server\npid=$AWSENV_SERVER\n\
         (sleep 1.5; curl -s -o /dev/null -m 3 -w '%{http_code}\\n' -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\") &\n\
         awsenv unset\nwait\nkill -0 $pid && echo held\necho $pid",
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[..2], ["403", "held"], "{}", run.stderr);
    let pid: i32 = lines[2].parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // SAFETY: signal 0 only checks that the process exists.
    while unsafe { libc::kill(pid, 0) } == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(Instant::now() < deadline, "the server outlived its shell");
}

/// A sticky directory everyone can write to, as a shared `XDG_CACHE_HOME` or
/// `AWS_LOGIN_CACHE_DIRECTORY` parent would be.
fn shared_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    d
}

/// N11 (second part): in a shared `AWS_LOGIN_CACHE_DIRECTORY`, another user's planted console
/// session is refused with a message, never used.
#[test]
fn n11_a_planted_login_session_of_another_user_is_refused() {
    use sha2::Digest;
    let shared = shared_dir();
    let other = OtherUser::new();
    let cache = shared.path().join("login");
    let name = hex::encode(sha2::Sha256::digest(
        b"arn:aws:iam::111111111111:user/alice",
    ));
    other
        .run(
            "sh",
            &[
                "-c",
                "umask 0; mkdir \"$1\" && printf '%s' '{\"accessToken\":{\"accessKeyId\":\"ASIAATTACKERPLANTED1\",\"secretAccessKey\":\"a\",\"sessionToken\":\"a\",\"accountId\":\"1\",\"expiresAt\":\"2099-01-01T00:00:00Z\"}}' > \"$1/$2.json\"",
                "sh",
                &cache.display().to_string(),
                &name,
            ],
        )
        .success();
    let mut h = Home::new();
    h.set("AWS_LOGIN_CACHE_DIRECTORY", &cache.display().to_string());
    h.config("[profile console]\nlogin_session = arn:aws:iam::111111111111:user/alice\n");
    let run = h.run(&["use", "--shell", "bash", "console"]);
    assert!(
        !run.stdout.contains("ASIAATTACKERPLANTED1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!("uid {}", other.uid))
            || run.stderr.contains("written by others"),
        "{}",
        run.stderr
    );
}

/// N12: in a shared cache, another user's symlink for awsenv's lock directory does not make
/// awsenv `chmod` a directory of the user's, nor drop lock files in it.
#[test]
fn n12_a_planted_symlink_in_a_shared_cache_redirects_no_chmod_or_lock() {
    use std::os::unix::fs::PermissionsExt;
    let shared = shared_dir();
    let other = OtherUser::new();
    let mut h = Home::new();
    let public = h.path().join("public_html");
    std::fs::create_dir(&public).unwrap();
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o755)).unwrap();
    let top = shared.path().join("awsenv");
    other
        .run(
            "sh",
            &[
                "-c",
                "umask 0; mkdir \"$1\" && ln -s \"$2\" \"$1/session-locks\"",
                "sh",
                &top.display().to_string(),
                &public.display().to_string(),
            ],
        )
        .success();
    h.set("XDG_CACHE_HOME", &shared.path().display().to_string())
        .set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .set("AWSENV_DEADLINE", "2");
    h.config(
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = k\n\
         [profile k]\naws_access_key_id = AKIAEXAMPLE000000001\naws_secret_access_key = s\n",
    );
    let _ = h.run(&["use", "--shell", "bash", "r"]);
    let mode = std::fs::metadata(&public).unwrap().permissions().mode() & 0o7777;
    assert_eq!(
        mode, 0o755,
        "awsenv changed the mode of the user's directory"
    );
    let entries: Vec<_> = std::fs::read_dir(&public).unwrap().collect();
    assert!(entries.is_empty(), "{entries:?}");
}

/// N17: `exec --server` (run here by another user, so that `/proc` ownership tells) is not
/// dumpable (its `/proc/PID` files belong to root, no core, no ptrace by the user's other
/// processes) and has no core limit, while the command it runs keeps the limit it was given.
#[test]
fn n17_a_server_holding_credentials_leaves_no_core_and_is_not_dumpable() {
    let h = crate::security2::home();
    let other = OtherUser::new();
    h.script(
        "cmd.sh",
        "ulimit -c\nstat -c %u /proc/$PPID/environ\nawk '/Max core/ {print $5}' /proc/$PPID/limits\n",
    );
    let status = Command::new("chown")
        .args(["-R", &format!("{}:{}", other.uid, other.gid)])
        .arg(h.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mut c = other.command("sh");
    c.args([
        "-c",
        "ulimit -S -c 4096; exec \"$0\" exec tmp --server -- sh cmd.sh",
        crate::support::bin().to_str().unwrap(),
    ]);
    h.isolate(&mut c);
    let run = crate::support::Run::from(c.output().unwrap()).success();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["4096", "0", "0"],
        "{}",
        run.stderr
    );
}
