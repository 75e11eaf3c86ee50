//! moto_server: a real local STS and IAM on 127.0.0.1, started per test or shared by all tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{venv_bin, watchdog};

pub struct Moto {
    pub url: String,
    server: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http(port: u16, method: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf)
}

impl Moto {
    /// Starts a moto_server; `env` is passed to it (e.g. INITIAL_NO_AUTH_ACTION_COUNT).
    /// A watchdog shell kills the server when this test process exits, even on a panic.
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let port = free_port();
        let mut cmd = Command::new(venv_bin("moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let server = cmd.spawn().expect("start moto_server");
        watchdog(server.id());
        // Owned from here on: a server that never answers is killed when the panic drops it.
        let moto = Moto {
            url: format!("http://127.0.0.1:{port}"),
            server,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if http(port, "GET", "/moto-api/").is_some_and(|r| r.contains(" 200 ")) {
                return moto;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {port}");
    }

    /// The server shared by every test of the binary that needs no moto of its own (their
    /// calls do not depend on one another: STS keeps no state we rely on, and the one IAM user
    /// created in it has a name unique to the run).
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(|| Moto::start(&[]))
    }

    /// Stops the server: anything that still calls it fails to connect.
    pub fn stop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}
