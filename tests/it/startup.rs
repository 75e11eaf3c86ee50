//! The process's own start: on Linux awsenv replaces Rust's start-up with its own (`os/start.rs`),
//! which must still leave the process as Rust's would: SIGPIPE ignored, fds 0–2 open.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use crate::support::moto::Moto;
use crate::support::{bin, Home};

fn with_profiles(n: usize) -> Home {
    let h = Home::new();
    let mut config = String::new();
    for i in 0..n {
        config.push_str(&format!("[profile p{i}]\nregion = eu-west-1\n"));
    }
    h.config(&config);
    h
}

/// A reader that went away (`awsenv list | head -1`) is an error for awsenv to report, not a
/// signal that kills it mid-write: a shell hook killed by SIGPIPE leaves half a script behind.
#[test]
fn a_closed_pipe_is_an_error_not_a_signal() {
    let h = with_profiles(3);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut c = Command::new(bin());
    h.isolate(&mut c);
    let status = c
        .arg("list")
        .stdout(writer)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), None, "{status:?}");
}

/// Started with stdin closed, awsenv opens it on /dev/null, so no file it opens later takes fd 0
/// and a command it runs gets /dev/null, not a closed stdin.
#[test]
fn a_closed_stdin_is_opened_on_dev_null() {
    let h = with_profiles(1);
    h.credentials("[p0]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n");
    let mut c = Command::new("sh");
    h.isolate(&mut c);
    let out = c
        .arg("-c")
        .arg(r#"exec "$0" exec p0 -- sh -c 'readlink /proc/self/fd/0' <&-"#)
        .arg(bin())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout.trim(), "/dev/null", "{out:?}");
}

/// On Linux with glibc the executable is linked statically where glibc's archives are at hand
/// (`build.rs`: no dynamic loader runs), else at a fixed address; `AWSENV_DYNAMIC=1` and
/// `AWSENV_PIE=1` ask for the other two. The test command runs where the archives are, so under
/// `CI=true` anything but static (unasked) fails.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn linked_as_build_rs_says() {
    let elf = std::fs::read(bin()).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]);
    // e_type: 2 = ET_EXEC (fixed address), 3 = ET_DYN (position-independent).
    let e_type = u16_at(16);
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36) as usize, u16_at(0x38) as usize);
    let types: Vec<u32> = (0..phnum)
        .map(|i| {
            let o = phoff + i * phentsize;
            u32::from_le_bytes(elf[o..o + 4].try_into().unwrap())
        })
        .collect();
    // PT_DYNAMIC = 2, PT_INTERP = 3: a loader to run, libraries to bind.
    let dynamic = types.contains(&2) || types.contains(&3);
    let link = env!("AWSENV_LINK");
    match link {
        "static" => assert!(e_type == 2 && !dynamic, "{types:?}"),
        "fixed" => assert!(e_type == 2 && types.contains(&3), "{types:?}"),
        "pie" => assert!(e_type == 3 && types.contains(&3), "{types:?}"),
        // rustc's own static link: no loader to run (a static-pie relocates itself).
        "crt-static" => assert!(!types.contains(&3), "{types:?}"),
        other => panic!("AWSENV_LINK={other}"),
    }
    let asked =
        option_env!("AWSENV_PIE") == Some("1") || option_env!("AWSENV_DYNAMIC") == Some("1");
    if std::env::var("CI").as_deref() == Ok("true") && !asked {
        assert!(
            matches!(link, "static" | "crt-static"),
            "glibc's static archives are missing here"
        );
    }
}

/// A static awsenv still finds hosts by name: glibc's built-in `files` service reads
/// /etc/hosts (here for `localhost`), as its `dns` service reaches a resolver. The endpoint
/// names `localhost`, so the request must be resolved to reach the server that answers it.
#[test]
fn names_resolve_in_the_linked_binary() {
    let mut h = Home::new();
    let endpoint = Moto::shared().url.replace("127.0.0.1", "localhost");
    assert!(endpoint.starts_with("http://localhost:"), "{endpoint}");
    h.set("AWS_ENDPOINT_URL_STS", &endpoint);
    h.config("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = p\n");
    h.credentials("[p]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n");
    let out = h.run(&["use", "r", "--shell", "bash"]).success();
    assert!(out.stdout.contains("AWS_SESSION_TOKEN="), "{}", out.stdout);
}

/// The line an error ends a run with leaves in one `write`: stderr is unbuffered, and written in
/// pieces two runs sharing a terminal (two panes' hooks, a script's jobs) could cut each
/// other's lines.
#[test]
fn the_error_line_is_written_at_once() {
    let h = with_profiles(1);
    let trace = h.path().join("trace");
    let mut c = Command::new(crate::support::require("strace"));
    h.isolate(&mut c);
    let out = c
        .arg("-o")
        .arg(&trace)
        .args(["-e", "trace=write", "-e", "signal=none", "-s", "4096"])
        .arg(bin())
        .args(["use", "nosuch", "--shell", "bash"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{out:?}");
    let trace = std::fs::read_to_string(trace).unwrap();
    let writes: Vec<&str> = trace
        .lines()
        .filter(|l| l.starts_with("write(2,"))
        .collect();
    assert_eq!(writes.len(), 1, "{trace}");
    assert!(
        writes[0].contains("awsenv: profile `nosuch`") && writes[0].contains("\\n\""),
        "{trace}"
    );
}
