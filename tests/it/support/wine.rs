//! Windows under Wine: the `x86_64-pc-windows-gnu` build of awsenv run by Debian's `wine64`.
//!
//! One Wine prefix per test process, under `target/wine-prefix/`: creating one costs 5–20 s,
//! so every Windows test shares it, with a wineserver kept alive for the whole run (a Wine start
//! is then a few tenths of a second). Each test keeps its own files apart by giving awsenv.exe
//! Windows paths to a temporary directory of its own (`AWS_CONFIG_FILE`, `XDG_*`); only the
//! test of the default places writes to the prefix's `%USERPROFILE%\.aws`. The prefix and its
//! server are removed when the test process ends, even after a panic.
//!
//! Needs (all from `bash tests/setup.sh` and `tests/run.sh`): wine64, the `ProcessPrng` shim
//! `target/wine/bcryptprimitives.dll` (Wine 8 lacks that DLL, Rust's std imports it), the
//! child program `target/wine/envdump.exe`, and awsenv.exe built from the current sources.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::{repo, require, Run};

/// The shared prefix of this test process.
pub struct Wine {
    loader: PathBuf,
    prefix: PathBuf,
    /// awsenv.exe without its debug information: the debug build is ~340 MB, mostly DWARF,
    /// which Wine reads at every start (1 s against 0.25 s).
    exe: PathBuf,
    /// `%USERPROFILE%` as a Unix path, as Wine itself maps it (`winepath -u`).
    pub profile_dir: PathBuf,
}

static WINE: OnceLock<Wine> = OnceLock::new();

impl Wine {
    /// The prefix, made on first use; other threads wait for it.
    pub fn shared() -> &'static Wine {
        WINE.get_or_init(Wine::start)
    }

    fn start() -> Wine {
        let loader = ["/usr/lib/wine/wine64", "/usr/bin/wine64"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| require("wine64"));
        let server = loader.with_file_name("wineserver64");
        let server = if server.is_file() {
            server
        } else {
            require("wineserver")
        };
        let shim = built(
            "bcryptprimitives.dll",
            &["bcryptprimitives.c", "bcryptprimitives.def"],
        );

        let runs = repo().join("target/wine-prefix");
        remove_abandoned(&runs);
        let prefix = runs.join(format!("run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(&prefix).unwrap();
        // Ends the server (and with it Wine's services.exe, explorer.exe…) and removes the
        // prefix once this process is gone.
        cleanup_after_exit(&server, &prefix);

        let exe = prefix.join("drive_c/awsenv/awsenv.exe");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        // Stripped while the prefix boots.
        let mut strip = Command::new(require("x86_64-w64-mingw32-strip"))
            .arg("--strip-debug")
            .arg("-o")
            .arg(&exe)
            .arg(windows_exe())
            .spawn()
            .unwrap();
        let mut wine = Wine {
            loader,
            prefix,
            exe,
            profile_dir: PathBuf::new(),
        };
        // A server that stays up until killed: without it each start would wait for a new one.
        // Its output and that of wineboot go to files: the services wineboot starts
        // (services.exe, explorer.exe…) live as long as the server and would hold a pipe open.
        let log = |name: &str| {
            let f = std::fs::File::create(wine.prefix.join(name)).unwrap();
            (f.try_clone().unwrap(), f)
        };
        let (server_out, server_err) = log("wineserver.log");
        let (boot_out, boot_err) = log("wineboot.log");
        let st = wine
            .env(&mut Command::new(&server))
            .arg("-p")
            .stdout(server_out)
            .stderr(server_err)
            .status()
            .unwrap();
        assert!(st.success(), "wineserver -p failed: {st}");
        let st = wine
            .command("wineboot")
            .arg("--init")
            .stdout(boot_out)
            .stderr(boot_err)
            .status()
            .unwrap();
        assert!(
            st.success(),
            "wineboot --init failed ({st}): see wineboot.log in the prefix"
        );
        assert!(strip.wait().unwrap().success(), "strip failed");
        let system32 = wine.prefix.join("drive_c/windows/system32");
        std::fs::copy(&shim, system32.join("bcryptprimitives.dll")).unwrap();

        // Right after `wineboot --init`, on a loaded machine, Wine can still refuse to start a
        // program ("ShellExecuteEx failed: Internal error") while the prefix settles: the first
        // program is tried a few times before that counts as a failure.
        let mut tries = 0;
        let profile = loop {
            let mut profile = wine.command("cmd.exe");
            profile.args(["/c", "echo %USERPROFILE%"]);
            let run = Run::from(profile.output().unwrap());
            tries += 1;
            if run.ok() || tries == 10 {
                break run.success();
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        };
        let profile = profile.stdout.trim();
        assert!(profile.starts_with("C:\\"), "USERPROFILE is {profile:?}");
        let mut unix = wine.command("winepath.exe");
        unix.args(["-u", profile]);
        let unix = Run::from(unix.output().unwrap()).success();
        wine.profile_dir = PathBuf::from(unix.stdout.trim());
        assert!(wine.profile_dir.is_dir(), "{}", wine.profile_dir.display());
        wine
    }

    /// Applies the prefix's environment, and nothing else, to `cmd` (a Wine tool or program).
    /// Wine passes the Unix environment on to Windows programs (HOME excepted), so this is also
    /// the environment awsenv.exe starts from: no HOME, no XDG variables, no AWS settings.
    fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // Wine converts the Unix environment and arguments from this locale's charset.
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
    }

    /// `wine64 PROGRAM`: a Windows program (a path, or a name Wine finds in system32).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(&self.loader);
        self.env(&mut c).arg(program);
        c
    }

    /// `wine64 awsenv.exe ARGS`.
    pub fn awsenv(&self, args: &[&str]) -> Command {
        let mut c = self.command(&self.exe);
        c.args(args);
        c
    }
}

/// The Windows build of awsenv, made by `tests/run.sh` before `cargo test`. A test of an exe
/// older than the code would prove nothing about the code: that fails too.
pub fn windows_exe() -> PathBuf {
    let exe = repo().join("target/x86_64-pc-windows-gnu/debug/awsenv.exe");
    let how =
        "build it with `cargo build --locked --target x86_64-pc-windows-gnu` (tests/run.sh does)";
    let built = std::fs::metadata(&exe)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}: {how}", exe.display()));
    let mut sources = vec![repo().join("Cargo.toml"), repo().join("Cargo.lock")];
    let mut dirs = vec![repo().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                sources.push(path);
            }
        }
    }
    for source in sources {
        let changed = std::fs::metadata(&source).unwrap().modified().unwrap();
        assert!(
            changed <= built,
            "{} is older than {}: {how}",
            exe.display(),
            source.display()
        );
    }
    exe
}

/// A program of `target/wine/` built by `tests/setup.sh` from `tests/wine/`, checked to be
/// newer than its sources.
pub fn built(name: &str, sources: &[&str]) -> PathBuf {
    let out = repo().join("target/wine").join(name);
    let how = "run `bash tests/setup.sh`";
    let built = std::fs::metadata(&out)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}: {how}", out.display()));
    for s in sources {
        let changed = std::fs::metadata(repo().join("tests/wine").join(s))
            .unwrap()
            .modified()
            .unwrap();
        assert!(changed <= built, "{} is out of date: {how}", out.display());
    }
    out
}

/// The Windows program that prints its environment exactly (`tests/wine/envdump.c`).
pub fn envdump() -> PathBuf {
    built("envdump.exe", &["envdump.c"])
}

/// A Unix path as Windows programs under Wine name it: drive Z: is the Unix root.
pub fn windows_path(unix: &Path) -> String {
    let unix = unix.to_str().expect("a UTF-8 path");
    assert!(unix.starts_with('/'), "{unix} is not absolute");
    format!("Z:{}", unix.replace('/', "\\"))
}

/// Parses `envdump.exe`'s output: `NAME=VALUE` records ended by NUL, UTF-8. Windows' own
/// per-drive entries (`=C:=C:\…`) are left out.
pub fn parse_envdump(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = std::str::from_utf8(bytes).expect("envdump writes UTF-8");
    assert!(text.is_empty() || text.ends_with('\0'), "a record is cut");
    text.split_terminator('\0')
        .filter(|r| !r.starts_with('='))
        .map(|r| {
            let (k, v) = r.split_once('=').expect("NAME=VALUE");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Removes the prefixes of earlier test processes that died without cleaning up (killed).
fn remove_abandoned(runs: &Path) {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("run-") else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A detached shell that waits for this process to end, then stops the prefix's wineserver
/// (and every Wine process of the prefix with it) and deletes the prefix.
#[expect(
    clippy::zombie_processes,
    reason = "detached on purpose: it must outlive a panicking test to clean up"
)]
fn cleanup_after_exit(server: &Path, prefix: &Path) {
    Command::new("sh")
        .arg("-c")
        .arg(
            r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
               WINEPREFIX="$3" "$2" -k 2>/dev/null; WINEPREFIX="$3" "$2" -w 2>/dev/null
               rm -rf "$3""#,
        )
        .arg("sh")
        .arg(std::process::id().to_string())
        .arg(server)
        .arg(prefix)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the Wine clean-up");
}
