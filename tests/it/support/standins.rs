//! Local stand-ins for the AWS endpoints moto does not serve: the Python servers under
//! tests/fixtures (IAM Identity Center's portal and OIDC, the console federation endpoint), what
//! they need in a HOME (the SSO token cache) or to read their answers (URLs), and a fault proxy
//! in front of moto that injects failures.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{repo, venv_bin, Home};

// ---------------------------------------------------------------------------------------------
// The Python stand-ins: the console federation endpoint, IAM Identity Center's OIDC and portal.

/// A Python stand-in from tests/fixtures that prints its port once listening.
pub struct Fixture {
    pub url: String,
    child: Child,
}

impl Fixture {
    pub fn start(script: &str, args: &[&str]) -> Fixture {
        use std::io::BufRead;
        let mut child = Command::new(venv_bin("python"))
            .arg(repo().join("tests/fixtures").join(script))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {script}: {e}"));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{script} did not print its port"));
        Fixture {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stand-in that logs each request it gets as a JSON line in a file (its first argument).
pub struct LoggedFixture {
    pub fixture: Fixture,
    log: tempfile::NamedTempFile,
}

impl LoggedFixture {
    pub fn start(script: &str, args: &[&str]) -> LoggedFixture {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut all = vec![log.path().to_str().unwrap()];
        all.extend_from_slice(args);
        LoggedFixture {
            fixture: Fixture::start(script, &all),
            log,
        }
    }

    pub fn url(&self) -> &str {
        &self.fixture.url
    }

    /// Every request so far, as the stand-in logged it.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.log.path())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// tests/fixtures/federation.py: getSigninToken requests are logged as
/// `{"query": {...}, "problem": null | "..."}`; `rejected` session ids are refused.
pub type FederationEndpoint = LoggedFixture;

pub fn federation_endpoint(rejected: &[&str]) -> FederationEndpoint {
    LoggedFixture::start("federation.py", rejected)
}

/// The credentials a getSigninToken request carried, as environment variables.
pub fn signin_session(request: &serde_json::Value) -> BTreeMap<String, String> {
    let session: serde_json::Value =
        serde_json::from_str(request["query"]["Session"].as_str().unwrap()).unwrap();
    [
        ("AWS_ACCESS_KEY_ID", "sessionId"),
        ("AWS_SECRET_ACCESS_KEY", "sessionKey"),
        ("AWS_SESSION_TOKEN", "sessionToken"),
    ]
    .into_iter()
    .map(|(var, key)| (var.to_string(), session[key].as_str().unwrap().to_string()))
    .collect()
}

/// The query of a URL as a map, percent-decoded (parsed with Python's urllib, not our code).
pub fn parse_url(url: &str) -> BTreeMap<String, String> {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import json,sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); q=u.parse_qs(p.query, strict_parsing=True); assert all(len(v)==1 for v in q.values()); d={k:v[0] for k,v in q.items()}; d['.scheme']=p.scheme; d['.netloc']=p.netloc; d['.path']=p.path; print(json.dumps(d))",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not a URL: {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// tests/fixtures/sso_oidc.py, handing out `tokens` as access tokens in order; requests are
/// logged as `{"path": "/token", "body": {...}}`.
pub type OidcEndpoint = LoggedFixture;

pub fn oidc_endpoint(tokens: &[&str]) -> OidcEndpoint {
    LoggedFixture::start("sso_oidc.py", tokens)
}

/// The IAM Identity Center portal stand-in, accepting `tokens` as valid access tokens.
pub fn sso_portal(tokens: &[&str]) -> Fixture {
    Fixture::start("sso_portal.py", tokens)
}

// ---------------------------------------------------------------------------------------------
// The AWS CLI's SSO token cache in a HOME.

/// Writes the AWS CLI's SSO token cache file for `key` (sso-session name or legacy start URL).
pub fn write_sso_token(home: &Home, key: &str, token: &str, expires_at: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg("printf %s \"$1\" | sha1sum | cut -c1-40")
        .arg("sh")
        .arg(key)
        .output()
        .unwrap();
    let name = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let dir = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let json = format!(
        r#"{{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "{token}", "expiresAt": "{expires_at}"}}"#
    );
    std::fs::write(dir.join(format!("{name}.json")), json).unwrap();
}

/// `~/.aws/sso/cache/<name>.json` where name is Python's `hashlib.sha1(text).hexdigest()`.
pub fn sso_cache_file(home: &Home, python_expr: &str) -> PathBuf {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            &format!(
                "import hashlib, json; print(hashlib.sha1(({python_expr}).encode()).hexdigest())"
            ),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = String::from_utf8(out.stdout).unwrap().trim().to_string();
    home.path().join(format!(".aws/sso/cache/{name}.json"))
}

// ---------------------------------------------------------------------------------------------
// A fault-injecting proxy in front of moto.

/// What the proxy does with one request.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Forwards it to moto.
    Pass,
    /// Answers this HTTP status with this AWS error code (query-protocol XML, as STS sends it).
    Error(u16, &'static str),
    /// Reads it and never answers, keeping the connection open: a black-holed endpoint.
    BlackHole,
    /// Forwards it, sends the first half of the answer, then resets the connection (RST).
    Reset,
    /// Forwards it after this pause.
    Delay(Duration),
}

/// An HTTP proxy on 127.0.0.1 in front of moto that records the AWS action of every request
/// (`Action=…` in the query-protocol body) and does with each what its script says, given the
/// action and how many requests for that action it has seen (1 for the first). One thread per
/// connection, so a black-holed request does not hold up the others.
pub struct FaultProxy {
    pub url: String,
    actions: Arc<Mutex<Vec<String>>>,
}

type Script = dyn Fn(&str, usize) -> Fault + Send + Sync;

impl FaultProxy {
    /// Answers `400 InjectedFault` to every request for `fail_action` after the first `pass`
    /// of them: a failure in the middle.
    pub fn start(upstream: &str, fail_action: &str, pass: usize) -> FaultProxy {
        let fail_action = fail_action.to_string();
        FaultProxy::scripted(upstream, move |action, nth| {
            if action == fail_action && nth > pass {
                Fault::Error(400, "InjectedFault")
            } else {
                Fault::Pass
            }
        })
    }

    pub fn scripted(
        upstream: &str,
        script: impl Fn(&str, usize) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let actions = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&actions);
        let script: Arc<Script> = Arc::new(script);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (seen, script, upstream) =
                    (Arc::clone(&seen), Arc::clone(&script), upstream.clone());
                std::thread::spawn(move || serve(conn, &seen, &*script, &upstream));
            }
        });
        FaultProxy { url, actions }
    }

    /// The actions seen so far, in order.
    pub fn actions(&self) -> Vec<String> {
        self.actions.lock().unwrap().clone()
    }

    /// How many requests for `action` came in.
    pub fn count(&self, action: &str) -> usize {
        self.actions().iter().filter(|a| *a == action).count()
    }
}

fn serve(mut conn: TcpStream, seen: &Mutex<Vec<String>>, script: &Script, upstream: &str) {
    let Some((head, body)) = read_request(&mut conn) else {
        return;
    };
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let action = body_text
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("")
        .to_string();
    let fault = {
        let mut seen = seen.lock().unwrap();
        seen.push(action.clone());
        let nth = seen.iter().filter(|a| **a == action).count();
        script(&action, nth)
    };
    match fault {
        Fault::Error(status, code) => {
            let xml = format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error><RequestId>1</RequestId></ErrorResponse>");
            let _ = write!(conn, "HTTP/1.1 {status} Injected\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}", xml.len());
            return;
        }
        Fault::BlackHole => {
            // Until the client gives up and closes.
            let _ = conn.set_read_timeout(None);
            let mut sink = [0u8; 256];
            while conn.read(&mut sink).is_ok_and(|n| n > 0) {}
            return;
        }
        Fault::Delay(d) => std::thread::sleep(d),
        Fault::Pass | Fault::Reset => {}
    }
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return;
    };
    let head: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let _ = up.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes());
    let _ = up.write_all(&body);
    let mut response = Vec::new();
    let _ = up.read_to_end(&mut response);
    if let Fault::Reset = fault {
        let _ = conn.write_all(&response[..response.len() / 2]);
        reset(conn);
    } else {
        let _ = conn.write_all(&response);
    }
}

/// Closes with a TCP reset instead of a clean end (SO_LINGER with a zero timeout).
fn reset(conn: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a properly sized option value.
    unsafe {
        libc::setsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    drop(conn);
}

/// One request: its head (without the blank line) and its Content-Length body.
fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf[..buf.len() - 4]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).ok()?;
    Some((head, body))
}
