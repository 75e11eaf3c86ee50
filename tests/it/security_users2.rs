//! The second audit's findings that need another local user (issue 24): a throwaway account
//! (`security_users::OtherUser`, `useradd` + `setpriv`) attacks while the tests run as the
//! victim.

use std::path::PathBuf;
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
    let run = h.run(&["login", "temp"]);
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
    let run = h.run(&["sso", "login", "--sso-session", "corp"]);
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
