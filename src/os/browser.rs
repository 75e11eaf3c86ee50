//! Opening a URL that is a credential (the console sign-in URL) without putting it in any
//! process's argv, where every local user can read it (`ps`, `/proc/*/cmdline`) for as long as
//! the browser runs.
//!
//! The browser is started on a one-time local address instead,
//! `http://127.0.0.1:PORT/awsenv/<128 random bits>`, which answers one request with a redirect
//! to the real URL and then stops listening. The random path in argv is worthless once used.
//! A file with a redirect would avoid the listener, but sandboxed browsers (snap, flatpak)
//! cannot read files under hidden or private directories.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("no browser could be started ({0})")]
    CannotStart(String),
    #[error("the browser did not open the sign-in link within {} seconds", .0.as_secs())]
    NotFetched(Duration),
    #[error("cannot serve the sign-in redirect: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens `secret_url` in the default browser through a one-time local redirect, and waits up
/// to `wait` for the browser to follow it.
/// (A `Url` serializes without CR/LF, so it cannot break out of the Location header.)
pub fn open_secret(secret_url: &url::Url, wait: Duration) -> Result<(), BrowserError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port();
    let path = format!("/awsenv/{}", random_hex()?);
    let local = format!("http://127.0.0.1:{port}{path}");
    webbrowser::open(&local).map_err(|e| BrowserError::CannotStart(e.to_string()))?;

    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + wait;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if serve(stream, &path, secret_url.as_str()).unwrap_or(false) {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(BrowserError::NotFetched(wait));
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Answers one connection: the redirect for a GET of `path`, 404 for anything else.
/// True when the redirect was sent.
fn serve(mut stream: TcpStream, path: &str, target: &str) -> std::io::Result<bool> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.lines().next().unwrap_or_default().split(' ');
    let hit = words.next() == Some("GET") && words.next() == Some(path);
    let response = if hit {
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {target}\r\nCache-Control: no-store\r\n\
             Referrer-Policy: no-referrer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    } else {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
    };
    stream.write_all(response.as_bytes())?;
    stream.flush()?;
    Ok(hit)
}

fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(hex::encode(bytes))
}
