//! The OS keyring without a desktop: a private D-Bus session bus with gnome-keyring's Secret
//! Service on it (unlocked, locked, or absent), and `secret-tool` as a second opinion. Only the
//! processes given its `bus_env` (or a Home it is connected to) see it.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{require, watchdog, Home, Run};

pub struct SecretService {
    pub address: String,
    dir: tempfile::TempDir,
    dbus: Child,
    keyring: Option<Child>,
}

impl SecretService {
    /// A bus with gnome-keyring-daemon serving an unlocked `login` keyring.
    pub fn start() -> SecretService {
        let mut s = SecretService::bus_only();
        s.start_keyring(Some("test-login-password"));
        s
    }

    /// A bus with gnome-keyring-daemon but no unlocked keyring: storing needs a prompt, which
    /// cannot be shown without a display.
    pub fn start_locked() -> SecretService {
        let mut s = SecretService::bus_only();
        s.start_keyring(None);
        s
    }

    /// A session bus with no Secret Service on it.
    pub fn bus_only() -> SecretService {
        use std::io::BufRead;
        let dir = tempfile::Builder::new()
            .prefix("awsenv-dbus-")
            .tempdir()
            .unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let socket = dir.path().join("bus");
        let mut dbus = Command::new(require("dbus-daemon"))
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        watchdog(dbus.id());
        let mut address = String::new();
        std::io::BufReader::new(dbus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        SecretService {
            address,
            dir,
            dbus,
            keyring: None,
        }
    }

    fn start_keyring(&mut self, password: Option<&str>) {
        require("secret-tool");
        let mut c = Command::new(require("gnome-keyring-daemon"));
        c.arg("--foreground").arg("--components=secrets");
        if password.is_some() {
            c.arg("--unlock");
        }
        self.bus_env(&mut c);
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        watchdog(child.id());
        // The password on stdin, then end of file.
        let mut stdin = child.stdin.take().unwrap();
        if let Some(p) = password {
            stdin.write_all(p.as_bytes()).unwrap();
        }
        drop(stdin);
        self.keyring = Some(child);
        // Ready when it owns the Secret Service name on the bus.
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let mut probe = Command::new(require("dbus-send"));
            probe.args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ]);
            self.bus_env(&mut probe);
            let out = probe.output().unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("gnome-keyring-daemon did not take org.freedesktop.secrets on the test bus");
    }

    /// Points `cmd` at this bus (and at this keyring's private files).
    pub fn bus_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    /// Lets awsenv runs of `home` use this Secret Service.
    pub fn connect(&self, home: &mut Home) {
        home.set("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    /// `secret-tool ARGS` on this bus: a second opinion on what the keyring holds.
    pub fn secret_tool(&self, args: &[&str]) -> Run {
        let mut c = Command::new(require("secret-tool"));
        c.args(args);
        self.bus_env(&mut c);
        Run::from(c.stdin(Stdio::null()).output().unwrap())
    }

    /// The secret the keyring holds for awsenv's item `user` (`keys:PROFILE`, `session:…`).
    pub fn lookup(&self, user: &str) -> Option<String> {
        let r = self.secret_tool(&["lookup", "service", "awsenv", "username", user]);
        r.ok().then_some(r.stdout)
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(k) = self.keyring.as_mut() {
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}
