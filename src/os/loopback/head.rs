//! The request head, read with a bound on its size and one deadline for the whole of it: a
//! client that sends a byte a second gets no more time than one that sends nothing.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Instant;

/// Why no head was read.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("the request did not come in time")]
    TimedOut,
    #[error("the request head is too large")]
    TooLarge,
    #[error("the client closed the connection before the end of the request head")]
    Closed,
    #[error("cannot read the request: {0}")]
    Io(#[from] io::Error),
}

/// The request head of `stream` up to (without) the blank line that ends it, read by
/// `deadline`, at most `max` bytes. Bytes after the head (a body) are left unread.
pub fn read_head(
    stream: &mut TcpStream,
    deadline: Instant,
    max: usize,
) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        // Each read may take only what is left of the whole deadline.
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::TimedOut);
        }
        stream.set_read_timeout(Some(left))?;
        // Never read past the limit (plus the blank line that may end it).
        let room = (max + 4 - head.len()).min(buf.len());
        let n = match stream.read(&mut buf[..room]) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::TimedOut)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        // The blank line may straddle two reads: look from 3 bytes before the new ones.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = memchr::memmem::find(&head[from..], b"\r\n\r\n") {
            head.truncate(from + end);
            return Ok(head);
        }
        if head.len() >= max {
            return Err(HeadError::TooLarge);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Duration;

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        (c, s)
    }

    #[test]
    fn a_head_is_read_up_to_the_blank_line_even_split_across_writes() {
        let (mut c, mut s) = pair();
        let t = std::thread::spawn(move || {
            c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r").unwrap();
            std::thread::sleep(Duration::from_millis(50));
            c.write_all(b"\nbody").unwrap();
            c
        });
        let head = read_head(&mut s, Instant::now() + Duration::from_secs(5), 16 * 1024).unwrap();
        assert_eq!(head, b"GET / HTTP/1.1\r\nHost: x");
        drop(t.join());
    }

    #[test]
    fn the_deadline_is_for_the_whole_head_not_each_read() {
        let (mut c, mut s) = pair();
        // A byte every 50 ms for 4 s: every read succeeds well within any per-read timeout.
        let t = std::thread::spawn(move || {
            for _ in 0..80 {
                if c.write_all(b"G").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let start = Instant::now();
        let err = read_head(&mut s, start + Duration::from_millis(400), 16 * 1024).unwrap_err();
        let took = start.elapsed();
        assert!(matches!(err, HeadError::TimedOut), "{err}");
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_millis(2500),
            "{took:?}"
        );
        drop(s);
        t.join().unwrap();
    }

    #[test]
    fn a_head_over_the_limit_is_refused_without_reading_on() {
        let (mut c, mut s) = pair();
        let t = std::thread::spawn(move || {
            let _ = c.write_all(&vec![b'a'; 64 * 1024]);
            c
        });
        let err =
            read_head(&mut s, Instant::now() + Duration::from_secs(5), 16 * 1024).unwrap_err();
        assert!(matches!(err, HeadError::TooLarge), "{err}");
        drop(s);
        drop(t.join());
        // Exactly at the limit still passes.
        let (mut c, mut s) = pair();
        let mut req = b"GET / HTTP/1.1\r\nX: ".to_vec();
        req.resize(1024, b'a');
        req.extend_from_slice(b"\r\n\r\n");
        c.write_all(&req).unwrap();
        assert_eq!(
            read_head(&mut s, Instant::now() + Duration::from_secs(5), 1024)
                .unwrap()
                .len(),
            1024
        );
    }

    #[test]
    fn a_client_that_closes_early_is_told_apart() {
        let (mut c, mut s) = pair();
        c.write_all(b"GET / HT").unwrap();
        drop(c);
        let err =
            read_head(&mut s, Instant::now() + Duration::from_secs(5), 16 * 1024).unwrap_err();
        assert!(matches!(err, HeadError::Closed), "{err}");
    }
}
