//! IAM Identity Center sign-in with the authorization-code grant and PKCE (RFC 7636), as the
//! AWS CLI v2 does it for an `[sso-session]` since 2.22: register a client for that grant with
//! a loopback redirect, send the browser to `/authorize` with a fresh `state` and the S256
//! challenge of a fresh verifier, take the code at `http://127.0.0.1:PORT/oauth/callback`, and
//! trade it (with the verifier) for the token, written where the device flow writes it.
//!
//! Only the user awsenv runs as is answered at all (the loopback module's peer check: another
//! local user can read the authorize URL, with its port and `state`, from the browser's argv).
//! A callback without this login's `state` (another tab, a forged request, a page probing local
//! ports) gets an error page and is otherwise ignored: the login goes on waiting for the real
//! one, up to its deadline, and only the first callback with the right `state` is taken.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use super::sso_token::{registration, save_login, Flow, TokenCache};
use crate::aws::oidc::Oidc;
use crate::aws::Network;
use crate::config::sso_session::SsoSession;
use crate::creds::Secret;
use crate::os::log::debug;
use crate::os::loopback::{self, Answer, Listener, Request};

/// How long the browser has to come back, as the AWS CLI allows. A refused `/authorize` shows
/// its error in the browser only: awsenv cannot see it, so this bound is what ends the wait.
pub const WAIT: Duration = Duration::from_secs(600);
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// Signs in, taking the browser's answer on `listener` (the caller binds it: a pinned port
/// fails there, before anything is asked of the service); `open` is handed the URL for the
/// browser. Returns the token file written.
pub fn login(
    cache: &TokenCache,
    net: &Network,
    session: &SsoSession,
    listener: Listener,
    open: impl FnOnce(&url::Url),
) -> Result<PathBuf> {
    // Registered without a port (see `PORTLESS_REDIRECT`); the port only in these two.
    let redirect_uri = listener.url(CALLBACK_PATH);
    let oidc = Oidc::new(net, &session.region, cache.oidc_endpoint.as_deref());
    let reg = registration(&cache.dir, &oidc, session, &Flow::Code)?;
    let verifier = Secret::new(random_b64(32)?);
    let challenge = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.expose()));
    let state = random_b64(16)?;
    let scopes = session.scopes.clone().unwrap_or_default();
    let url = oidc.authorize_url(&reg, &redirect_uri, &state, &challenge, &scopes)?;
    open(&url);
    debug!("waiting for the browser at {redirect_uri}");
    let code = wait_for_code(&listener, &state, Instant::now() + WAIT)?;
    let token = oidc.token_for_code(&reg, &code, &verifier, &redirect_uri)?;
    save_login(cache, session, &reg, token)
}

/// `n` random bytes, base64url without padding (a verifier of 32 bytes is 43 characters).
fn random_b64(n: usize) -> Result<String> {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).map_err(|e| anyhow!("no randomness for the sign-in: {e}"))?;
    Ok(Base64UrlUnpadded::encode_string(&b))
}

/// Serves the loopback address until the callback comes, or the deadline passes.
fn wait_for_code(listener: &Listener, state: &str, deadline: Instant) -> Result<Secret> {
    let state = state.to_string();
    let opts = loopback::Options::new(page(400, "Not a request awsenv understands."));
    match loopback::serve_until(listener, opts, deadline, move |req| callback(req, &state))
        .context("cannot accept the browser's connection")?
    {
        Some(outcome) => outcome,
        None => bail!(
            "the browser did not come back within {} minutes",
            WAIT.as_secs() / 60
        ),
    }
}

/// One request's answer, and the outcome when it is the callback (not a favicon, a probe).
fn callback(req: &Request, state: &str) -> (Answer, Option<Result<Secret>>) {
    let target = req
        .method_and_target()
        .and_then(|(m, t)| (m == "GET").then_some(t))
        .unwrap_or("");
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        return (page(400, "Not a request awsenv understands."), None);
    };
    if url.path() != CALLBACK_PATH {
        return (page(404, "Not found."), None);
    }
    let q = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    if q("state").as_deref() != Some(state) {
        // Not this login's: whoever sent it must not be able to end the login.
        debug!("ignored a callback without this login's state");
        return (
            page(
                400,
                "This answer is not for the sign-in awsenv started; it was ignored.",
            ),
            None,
        );
    }
    if let Some(err) = q("error") {
        let why = q("error_description").unwrap_or_default();
        return (
            page(400, "The sign-in was not approved."),
            Some(Err(anyhow!(
                "the sign-in was refused: {}{}",
                crate::os::text::inert(&err),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", crate::os::text::inert(&why))
                }
            ))),
        );
    }
    let Some(code) = q("code").filter(|c| !c.is_empty()) else {
        return (
            page(400, "The answer carried no code."),
            Some(Err(anyhow!("the browser's answer carried no code"))),
        );
    };
    (
        page(
            200,
            "Signed in to IAM Identity Center. You can close this window and go back to the terminal.",
        ),
        Some(Ok(Secret::new(code))),
    )
}

/// A small HTML page saying `text`.
fn page(status: u16, text: &str) -> Answer {
    Answer::new(status).body(
        "text/html; charset=utf-8",
        format!("<!doctype html><title>awsenv</title><p>{text}</p>\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn send(port: u16, path: &str) -> String {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(c, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn the_callback_needs_this_logins_state() {
        let l = Listener::bind(0).unwrap();
        let port = l.port();
        let t = std::thread::spawn(move || {
            let a = send(port, "/favicon.ico");
            let b = send(port, "/oauth/callback?code=c-1&state=forged");
            (a, b)
        });
        let err = wait_for_code(&l, "mine", Instant::now() + Duration::from_secs(1)).unwrap_err();
        let (a, b) = t.join().unwrap();
        assert!(a.starts_with("HTTP/1.1 404"), "{a}");
        assert!(b.starts_with("HTTP/1.1 400"), "{b}");
        // The forged answer was ignored: the login waited until its deadline.
        assert!(err.to_string().contains("did not come back"), "{err}");

        // A wrong one, then the right one: the right one is taken.
        let t = std::thread::spawn(move || {
            let a = send(port, "/oauth/callback?code=c-1&state=forged");
            let b = send(port, "/oauth/callback?code=c-2&state=mine");
            (a, b)
        });
        let code = wait_for_code(&l, "mine", Instant::now() + Duration::from_secs(10)).unwrap();
        let (a, b) = t.join().unwrap();
        assert!(a.starts_with("HTTP/1.1 400"), "{a}");
        assert!(b.starts_with("HTTP/1.1 200"), "{b}");
        assert_eq!(code.expose(), "c-2");
    }

    #[test]
    fn the_challenge_is_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            Base64UrlUnpadded::encode_string(&Sha256::digest(v)),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(random_b64(32).unwrap().len(), 43);
    }
}
