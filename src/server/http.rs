//! The container credential protocol's requests, judged: one GET per connection (read and
//! answered by [`crate::os::loopback`]), a JSON answer.
//!
//! The SDKs send `GET <path of AWS_CONTAINER_CREDENTIALS_FULL_URI>` with the token in
//! `Authorization`. Anything else gets an error status and no credentials: a missing token 401,
//! a wrong one 403 (checked first, so nothing is learnt without it), a `Host` that is not the
//! loopback address 403 (a web page that rebinds a DNS name to 127.0.0.1 cannot pass), another
//! path 404, another method 405.

use crate::creds::Secret;
use crate::os::loopback::Answer;

/// The one path the server answers (the path of the URI it exports).
pub const PATH: &str = "/";

/// What the server makes of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A GET of the path with the token: answer with credentials.
    Credentials,
    /// Refuse with this status.
    Refuse(u16),
}

/// Judges a request head against the token and the port the server listens on.
pub fn judge(head: &[u8], token: &Secret, port: u16) -> Verdict {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let Some(request) = lines.next() else {
        return Verdict::Refuse(400);
    };
    let mut parts = request.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Verdict::Refuse(400);
    };
    if !version.starts_with(b"HTTP/1.") {
        return Verdict::Refuse(400);
    }
    let mut auth = None;
    let mut host = None;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Verdict::Refuse(400);
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"authorization") {
            if auth.is_some() {
                return Verdict::Refuse(400);
            }
            auth = Some(value);
        } else if name.eq_ignore_ascii_case(b"host") {
            host = Some(value);
        }
    }
    match auth {
        None => return Verdict::Refuse(401),
        Some(given) if !super::token::matches(token, given) => return Verdict::Refuse(403),
        Some(_) => {}
    }
    let loopback = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "127.0.0.1".to_string(),
        "localhost".to_string(),
    ];
    if !host.is_some_and(|h| {
        loopback
            .iter()
            .any(|l| l.as_bytes().eq_ignore_ascii_case(h))
    }) {
        return Verdict::Refuse(403);
    }
    // The path without a query string (no SDK sends one, none is needed).
    if target != PATH.as_bytes() {
        return Verdict::Refuse(404);
    }
    if method != b"GET" {
        return Verdict::Refuse(405);
    }
    Verdict::Credentials
}

/// The answer with the JSON `body`: never cached.
pub fn answer(status: u16, body: String) -> Answer {
    Answer::json(status, body).header("Cache-Control", "no-store")
}

/// The JSON error body for a refusal or a failed refresh.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "code": code, "message": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(lines: &[&str]) -> Vec<u8> {
        lines.join("\r\n").into_bytes()
    }

    #[test]
    fn only_a_get_of_the_path_with_the_exact_token_from_loopback_passes() {
        let t = Secret::new("abc123");
        let ok = |m: &str, p: &str, auth: Option<&str>, host: &str| {
            let mut l = vec![format!("{m} {p} HTTP/1.1"), format!("Host: {host}")];
            if let Some(a) = auth {
                l.push(format!("Authorization: {a}"));
            }
            judge(
                &head(&l.iter().map(String::as_str).collect::<Vec<_>>()),
                &t,
                8000,
            )
        };
        assert_eq!(
            ok("GET", "/", Some("abc123"), "127.0.0.1:8000"),
            Verdict::Credentials
        );
        assert_eq!(
            ok("GET", "/", Some("abc123"), "localhost:8000"),
            Verdict::Credentials
        );
        assert_eq!(ok("GET", "/", None, "127.0.0.1:8000"), Verdict::Refuse(401));
        assert_eq!(
            ok("GET", "/", Some("abc124"), "127.0.0.1:8000"),
            Verdict::Refuse(403)
        );
        assert_eq!(
            ok("GET", "/", Some("Bearer abc123"), "127.0.0.1:8000"),
            Verdict::Refuse(403)
        );
        // A rebound DNS name, or another port, is not the loopback endpoint.
        assert_eq!(
            ok("GET", "/", Some("abc123"), "evil.example:8000"),
            Verdict::Refuse(403)
        );
        assert_eq!(
            ok("GET", "/", Some("abc123"), "127.0.0.1:8001"),
            Verdict::Refuse(403)
        );
        assert_eq!(
            ok("GET", "/x", Some("abc123"), "127.0.0.1:8000"),
            Verdict::Refuse(404)
        );
        assert_eq!(
            ok("POST", "/", Some("abc123"), "127.0.0.1:8000"),
            Verdict::Refuse(405)
        );
        // Wrong token beats wrong path: nothing is learnt without the token.
        assert_eq!(
            ok("GET", "/x", Some("nope"), "127.0.0.1:8000"),
            Verdict::Refuse(403)
        );
        let twice = head(&[
            "GET / HTTP/1.1",
            "Host: 127.0.0.1:8000",
            "Authorization: nope",
            "Authorization: abc123",
        ]);
        assert_eq!(judge(&twice, &t, 8000), Verdict::Refuse(400));
        assert_eq!(judge(b"garbage", &t, 8000), Verdict::Refuse(400));
    }
}
