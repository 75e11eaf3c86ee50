//! Opening a URL that is a credential (the console sign-in URL) without putting it in any
//! process's argv, where every local user can read it (`ps`, `/proc/*/cmdline`) for as long as
//! the browser runs.
//!
//! The browser is started on a one-time local address instead,
//! `http://127.0.0.1:PORT/awsenv/<128 random bits>`, which answers one request with a redirect
//! to the real URL and then stops listening. The random path in argv is worthless once used.
//! A file with a redirect would avoid the listener, but sandboxed browsers (snap, flatpak)
//! cannot read files under hidden or private directories.
//!
//! The local address itself is in the browser's argv, though, so another local user could fetch
//! it first. On Linux the listener asks the kernel who owns the connecting socket (the `uid`
//! column of `/proc/net/tcp` and `/proc/net/tcp6` for the peer's port) and answers only the
//! user awsenv runs as; everyone else gets a 403 and is named in a warning. Elsewhere that
//! cannot be checked, and the protection is only the race against the browser.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::loopback::{self, peer, Answer, BindError, Listener};

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("no browser could be started ({0})")]
    CannotStart(String),
    #[error("the browser did not open the sign-in link within {} seconds", .0.as_secs())]
    NotFetched(Duration),
    #[error("the sign-in link was requested by another local user ({0}) and refused; your browser did not open it")]
    Raced(String),
    #[error("cannot serve the sign-in redirect: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot serve the sign-in redirect: {0}")]
    Bind(#[from] BindError),
    #[error("not opening {0} in a browser: it is not an https URL")]
    NotHttps(String),
}

/// Opens `secret_url` in the default browser through a one-time local redirect, and waits up
/// to `wait` for the browser to follow it.
/// (A `Url` serializes without CR/LF, so it cannot break out of the Location header.)
pub fn open_secret(secret_url: &url::Url, wait: Duration) -> Result<(), BrowserError> {
    let listener = Listener::bind(0)?;
    let path = format!("/awsenv/{}", random_hex()?);
    webbrowser::open(&listener.url(&path)).map_err(|e| BrowserError::CannotStart(e.to_string()))?;

    let refused: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = Arc::clone(&refused);
    let opts = loopback::Options::new(not_found()).peer(move |local, remote| {
        match peer::owner(local, remote).refusal() {
            None => Ok(()),
            Some(other) => {
                eprintln!("awsenv: refused the sign-in link to {other}");
                *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(other);
                Err(Answer::new(403))
            }
        }
    });
    let target = secret_url.to_string();
    let served = loopback::serve_until(&listener, opts, Instant::now() + wait, move |req| {
        // The redirect for a GET of the path, 404 for anything else.
        if req.method_and_target() == Some(("GET", path.as_str())) {
            let found = Answer::new(302)
                .header("Location", target.as_str())
                .header("Cache-Control", "no-store")
                .header("Referrer-Policy", "no-referrer");
            (found, Some(()))
        } else {
            (not_found(), None)
        }
    })?;
    match served {
        Some(()) => Ok(()),
        None => Err(
            match refused.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some(other) => BrowserError::Raced(other),
                None => BrowserError::NotFetched(wait),
            },
        ),
    }
}

/// Opens `url` in the default browser if it is an https URL; anything else (`file://`, a
/// custom scheme, text that is no URL) is refused, since it came from a server.
pub fn open_https(url: &str) -> Result<(), BrowserError> {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => {
            webbrowser::open(u.as_str()).map_err(|e| BrowserError::CannotStart(e.to_string()))
        }
        _ => Err(BrowserError::NotHttps(crate::os::text::inert(url))),
    }
}

fn not_found() -> Answer {
    Answer::new(404)
}

fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(hex::encode(bytes))
}
