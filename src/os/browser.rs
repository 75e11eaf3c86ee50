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

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

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
    let mut refused: Option<String> = None;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let who = peer_owner(port, peer.port());
                if let Some(other) = who.refusal() {
                    eprintln!("awsenv: refused the sign-in link to {other}");
                    let _ = refuse(stream);
                    refused = Some(other);
                } else if serve(stream, &path, secret_url.as_str()).unwrap_or(false) {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(match refused {
                        Some(other) => BrowserError::Raced(other),
                        None => BrowserError::NotFetched(wait),
                    });
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Who connected, as far as the kernel tells. Only Linux tells (elsewhere every peer is
/// `Unchecked`).
enum Peer {
    /// The user awsenv runs as.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Me,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Other(u32),
    /// Not in the kernel's tables (Linux): refused, since it cannot be shown to be the user.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Unknown,
    /// This platform cannot tell: served, as the module's comment says.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    Unchecked,
}

impl Peer {
    /// Who to name in a refusal, or None to serve.
    fn refusal(&self) -> Option<String> {
        match self {
            Peer::Me | Peer::Unchecked => None,
            Peer::Other(uid) => Some(format!("uid {uid}")),
            Peer::Unknown => Some("a process whose owner cannot be found".into()),
        }
    }
}

/// The owner of the client socket connected from `peer_port` to our `port` on 127.0.0.1.
#[cfg(target_os = "linux")]
fn peer_owner(port: u16, peer_port: u16) -> Peer {
    let me = rustix::process::geteuid().as_raw();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        if let Some(uid) = owner_in(&text, port, peer_port) {
            return if uid == me {
                Peer::Me
            } else {
                Peer::Other(uid)
            };
        }
    }
    Peer::Unknown
}

#[cfg(not(target_os = "linux"))]
fn peer_owner(_port: u16, _peer_port: u16) -> Peer {
    Peer::Unchecked
}

/// In a `/proc/net/tcp{,6}` table, the uid of the socket whose local port is `peer_port` and
/// whose remote port is `port`: the client's end of the connection.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn owner_in(table: &str, port: u16, peer_port: u16) -> Option<u32> {
    let port_of = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, uid) = (cols.get(1)?, cols.get(2)?, cols.get(7)?);
        (port_of(local)? == peer_port && port_of(remote)? == port)
            .then(|| uid.parse().ok())
            .flatten()
    })
}

fn refuse(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream
        .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    stream.flush()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_end_of_the_connection_is_found() {
        // 127.0.0.1:40000 -> 127.0.0.1:8080 owned by 1002; our accepted end owned by 0.
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 3 1\n";
        assert_eq!(owner_in(table, 8080, 40000), Some(1002));
        assert_eq!(owner_in(table, 8080, 40001), None);
    }
}
