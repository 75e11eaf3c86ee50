//! The one way awsenv serves HTTP on 127.0.0.1: the credential server (`--server`), the console
//! sign-in redirect (`awsenv login`) and the SSO PKCE callback all bind, accept, read a request
//! head and answer through here. Each keeps its own decisions (a handler from a [`Request`] to an
//! [`Answer`]); none reads heads or writes answers its own way.
//!
//! No client can hold up another: every connection is served on a thread of its own (at most
//! [`MAX_CONNECTIONS`] at once; beyond that a connection gets a 503 at once, unread), and the
//! whole request head must come within one deadline ([`HEAD_DEADLINE`]), not a timeout per read,
//! so a client that trickles a byte a second is cut as surely as one that sends nothing.
//! Threads, not the async runtime: the servers block on the engine (which runs its own runtime
//! per call), and a thread per connection is the plain way to keep one slow client from the rest.
//!
//! Before a byte is read, a [`PeerCheck`] sees the connection's two addresses and may refuse it;
//! by default ([`peer::same_user`]) every connection not from the user awsenv runs as is refused.

mod answer;
mod head;
pub mod peer;

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

pub use answer::Answer;
pub use head::read_head;
pub use peer::PeerCheck;

use crate::os::log::debug;

/// The most a request head may take; the requests served here are a few hundred bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// How long a client has to send its whole request head, from the moment it is accepted.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// Connections served at once; more are answered 503 without being read.
pub const MAX_CONNECTIONS: usize = 128;
/// How long writing an answer may take (a client that does not read cannot hold a thread).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a closing connection waits for the client to finish sending (see [`send`]).
const LINGER: Duration = Duration::from_millis(250);
/// How often [`serve_until`] looks at the clock when nobody connects.
const POLL: Duration = Duration::from_millis(25);

/// Why a listener could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("port {0} on 127.0.0.1 is already in use by another program; choose another port")]
    InUse(u16),
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Other {
        port: u16,
        #[source]
        source: io::Error,
    },
}

/// A listening socket on 127.0.0.1.
pub struct Listener {
    inner: TcpListener,
    port: u16,
}

impl Listener {
    /// Listens on 127.0.0.1:`port`; port 0 lets the kernel choose. A port in use fails at once
    /// with [`BindError::InUse`].
    pub fn bind(port: u16) -> Result<Listener, BindError> {
        let inner = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).map_err(|e| {
            if e.kind() == io::ErrorKind::AddrInUse {
                BindError::InUse(port)
            } else {
                BindError::Other { port, source: e }
            }
        })?;
        let port = inner
            .local_addr()
            .map_err(|e| BindError::Other { port, source: e })?
            .port();
        Ok(Listener { inner, port })
    }

    /// The port listened on (the kernel's choice for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// How connections are served.
pub struct Options {
    /// The whole request head must come within this, counted from the accept.
    pub head_deadline: Duration,
    /// The most bytes a head may have.
    pub max_head: usize,
    /// Connections served at once.
    pub max_connections: usize,
    /// Asked before anything is read (see [`PeerCheck`]).
    pub peer: Arc<PeerCheck>,
    /// The answer when no head could be read (too large, too slow, not HTTP).
    pub bad_request: Answer,
}

impl Options {
    /// The defaults ([`HEAD_DEADLINE`], [`MAX_HEAD`], [`MAX_CONNECTIONS`], only the user awsenv
    /// runs as served: [`peer::same_user`]), answering `bad_request` when no head can be read.
    pub fn new(bad_request: Answer) -> Options {
        Options {
            head_deadline: HEAD_DEADLINE,
            max_head: MAX_HEAD,
            max_connections: MAX_CONNECTIONS,
            peer: Arc::new(peer::same_user),
            bad_request,
        }
    }

    /// Sets the peer check.
    pub fn peer(
        mut self,
        check: impl Fn(SocketAddr, SocketAddr) -> Result<(), Answer> + Send + Sync + 'static,
    ) -> Options {
        self.peer = Arc::new(check);
        self
    }
}

/// One request: its head (up to, not including, the blank line).
pub struct Request {
    head: Vec<u8>,
}

impl Request {
    /// The raw head: request line and header lines, CRLF-separated, without the final blank line.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The method and target of the request line (`GET`, `/path?query`), if it is one.
    pub fn method_and_target(&self) -> Option<(&str, &str)> {
        let line = self.head.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line.strip_suffix(b"\r").unwrap_or(line)).ok()?;
        let mut words = line.split(' ');
        let (method, target, version) = (words.next()?, words.next()?, words.next()?);
        (version.starts_with("HTTP/1.") && words.next().is_none()).then_some((method, target))
    }
}

/// Serves `listener` for the life of the process, each connection on a thread of its own,
/// answering each request with `handle`'s answer.
pub fn serve_forever(
    listener: Listener,
    opts: Options,
    handle: impl Fn(&Request) -> Answer + Send + Sync + 'static,
) -> ! {
    let shared = Arc::new(Shared {
        opts,
        handle: move |r: &Request| (handle(r), None::<Infallible>),
        active: AtomicUsize::new(0),
    });
    loop {
        match listener.inner.accept() {
            Ok((stream, _)) => accepted(&shared, stream, None),
            Err(e) => {
                debug!("loopback: cannot accept a connection: {e}");
                // Out of descriptors, say: give the running connections time to end.
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Serves `listener` until a request's handler gives an outcome (`Some`: returned at once) or
/// `until` passes (`Ok(None)`). The handler answers every request, outcome or not.
pub fn serve_until<T: Send + 'static>(
    listener: &Listener,
    opts: Options,
    until: Instant,
    handle: impl Fn(&Request) -> (Answer, Option<T>) + Send + Sync + 'static,
) -> io::Result<Option<T>> {
    listener.inner.set_nonblocking(true)?;
    let (tx, outcomes) = mpsc::channel();
    let shared = Arc::new(Shared {
        opts,
        handle,
        active: AtomicUsize::new(0),
    });
    loop {
        match listener.inner.accept() {
            Ok((stream, _)) => accepted(&shared, stream, Some(tx.clone())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Ok(outcome) = outcomes.recv_timeout(POLL) {
                    return Ok(Some(outcome));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                ) => {}
            Err(e) => return Err(e),
        }
        if let Ok(outcome) = outcomes.try_recv() {
            return Ok(Some(outcome));
        }
        // Checked after every accept too: a stream of connections cannot keep it past `until`.
        if Instant::now() >= until {
            return Ok(None);
        }
    }
}

/// What every connection thread of one listener shares.
struct Shared<H> {
    opts: Options,
    handle: H,
    active: AtomicUsize,
}

/// Counts a connection thread out when it ends, however it ends.
struct Active<'a>(&'a AtomicUsize);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hands a new connection to a thread of its own, or answers 503 when too many are open.
fn accepted<T, H>(shared: &Arc<Shared<H>>, stream: TcpStream, outcomes: Option<mpsc::Sender<T>>)
where
    T: Send + 'static,
    H: Fn(&Request) -> (Answer, Option<T>) + Send + Sync + 'static,
{
    if shared.active.fetch_add(1, Ordering::SeqCst) >= shared.opts.max_connections {
        shared.active.fetch_sub(1, Ordering::SeqCst);
        debug!("loopback: too many connections; one refused");
        let mut stream = stream;
        // A fresh socket's send buffer takes a short answer without blocking.
        let _ = stream.set_nonblocking(true);
        let _ = stream.write_all(&Answer::new(503).to_bytes());
        let _ = stream.shutdown(Shutdown::Write);
        return;
    }
    let s = Arc::clone(shared);
    let spawned = std::thread::Builder::new()
        .name("loopback".into())
        .spawn(move || {
            let _active = Active(&s.active);
            connection(&s, stream, outcomes);
        });
    if let Err(e) = spawned {
        // The closure, never run, did not count itself out.
        shared.active.fetch_sub(1, Ordering::SeqCst);
        debug!("loopback: cannot start a thread for a connection: {e}");
    }
}

/// One connection: the peer check, the head, the handler's answer, its outcome.
fn connection<T, H>(shared: &Shared<H>, mut stream: TcpStream, outcomes: Option<mpsc::Sender<T>>)
where
    H: Fn(&Request) -> (Answer, Option<T>),
{
    let accepted_at = Instant::now();
    let opts = &shared.opts;
    // Accepted sockets inherit non-blocking mode on some systems (not Linux).
    if stream.set_nonblocking(false).is_err()
        || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) else {
        return;
    };
    if let Err(refusal) = (opts.peer)(local, peer) {
        debug!("loopback: refused a connection from {peer}");
        send(&mut stream, &refusal);
        return;
    }
    let head = match read_head(&mut stream, accepted_at + opts.head_deadline, opts.max_head) {
        Ok(head) => head,
        Err(e) => {
            debug!("loopback: no request from {peer}: {e}");
            send(&mut stream, &opts.bad_request);
            return;
        }
    };
    let request = Request { head };
    let (answer, outcome) = (shared.handle)(&request);
    send(&mut stream, &answer);
    // After the answer: the browser has its page before the caller moves on.
    if let (Some(outcome), Some(tx)) = (outcome, outcomes) {
        let _ = tx.send(outcome);
    }
}

/// Writes `answer` and closes the connection. Unread bytes (a request refused unread, a body)
/// would make the close a reset, which can destroy the answer before the client reads it: the
/// write side is shut first and what comes is read and dropped for a moment (a lingering
/// close), never parsed.
fn send(stream: &mut TcpStream, answer: &Answer) {
    if stream
        .write_all(&answer.to_bytes())
        .and_then(|()| stream.flush())
        .and_then(|()| stream.shutdown(Shutdown::Write))
        .is_err()
    {
        return;
    }
    let until = Instant::now() + LINGER;
    let mut buf = [0u8; 4096];
    let mut dropped = 0;
    while dropped < MAX_HEAD {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => dropped += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(port: u16, path: &str) -> String {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(c, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn a_port_in_use_fails_at_once_with_a_clear_error() {
        let first = Listener::bind(0).unwrap();
        let start = Instant::now();
        let err = Listener::bind(first.port()).err().unwrap();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(
            matches!(err, BindError::InUse(p) if p == first.port()),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "port {} on 127.0.0.1 is already in use by another program; choose another port",
                first.port()
            )
        );
    }

    #[test]
    fn idle_and_trickling_clients_do_not_hold_up_a_request() {
        let l = Listener::bind(0).unwrap();
        let port = l.port();
        let mut opts = Options::new(Answer::new(400));
        // Were the request served behind the idle ones, it would wait for their deadline (3 s);
        // the bound below leaves room for a loaded machine.
        opts.head_deadline = Duration::from_secs(3);
        let idle: Vec<TcpStream> = (0..20)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let start = Instant::now();
            let answer = get(port, "/done");
            (answer, start.elapsed())
        });
        let out = serve_until(&l, opts, Instant::now() + Duration::from_secs(10), |r| {
            let (_, target) = r.method_and_target().unwrap();
            (
                Answer::new(200).body("text/plain", target.to_string()),
                (target == "/done").then_some(()),
            )
        })
        .unwrap();
        assert_eq!(out, Some(()));
        let (answer, took) = client.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n/done"), "{answer}");
        assert!(took < Duration::from_millis(1500), "{took:?}");
        // The idle ones are cut at the deadline with the bad-request answer.
        for mut c in idle {
            let mut s = String::new();
            c.read_to_string(&mut s).unwrap();
            assert!(s.starts_with("HTTP/1.1 400 "), "{s}");
        }
    }

    #[test]
    fn a_refused_peer_gets_the_refusal_and_its_request_is_never_handled() {
        let l = Listener::bind(0).unwrap();
        let port = l.port();
        let opts = Options::new(Answer::new(400)).peer(|_, _| Err(Answer::new(403)));
        let client = std::thread::spawn(move || get(port, "/x"));
        let out = serve_until(
            &l,
            opts,
            Instant::now() + Duration::from_millis(500),
            |_| (Answer::new(200), Some(())),
        )
        .unwrap();
        assert_eq!(out, None);
        assert!(client.join().unwrap().starts_with("HTTP/1.1 403 "));
    }

    #[test]
    fn beyond_the_cap_a_connection_gets_503_unread() {
        let l = Listener::bind(0).unwrap();
        let port = l.port();
        let mut opts = Options::new(Answer::new(400));
        opts.max_connections = 2;
        opts.head_deadline = Duration::from_secs(3);
        let held: Vec<TcpStream> = (0..2)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        // A client that reads first (one that sends may see the close as a reset instead).
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut out = String::new();
            c.read_to_string(&mut out).unwrap();
            out
        });
        let out = serve_until(
            &l,
            opts,
            Instant::now() + Duration::from_millis(600),
            |_| (Answer::new(200), None::<()>),
        )
        .unwrap();
        assert_eq!(out, None);
        assert!(client.join().unwrap().starts_with("HTTP/1.1 503 "));
        drop(held);
    }

    #[test]
    fn the_request_line_is_parsed_strictly() {
        let r = |h: &[u8]| Request { head: h.to_vec() };
        assert_eq!(
            r(b"GET /a?b HTTP/1.1\r\nHost: x").method_and_target(),
            Some(("GET", "/a?b"))
        );
        assert_eq!(r(b"GET /a").method_and_target(), None);
        assert_eq!(r(b"GET /a HTTP/1.1 x").method_and_target(), None);
        assert_eq!(r(b"GET /a FTP/1").method_and_target(), None);
    }
}
