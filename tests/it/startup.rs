//! The process's own start: on Linux awsenv replaces Rust's start-up with its own (`os/start.rs`),
//! which must still leave the process as Rust's would: SIGPIPE ignored, fds 0–2 open.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

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

/// On Linux with glibc the executable is linked at a fixed address (`build.rs`: the loader then
/// has no pointers to patch at each start), unless built with `AWSENV_PIE=1`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn linked_at_a_fixed_address_unless_asked_for_pie() {
    let elf = std::fs::read(bin()).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    // e_type, little-endian: 2 = ET_EXEC (fixed address), 3 = ET_DYN (position-independent).
    let e_type = u16::from_le_bytes([elf[16], elf[17]]);
    let expected = if option_env!("AWSENV_PIE") == Some("1") {
        3
    } else {
        2
    };
    assert_eq!(e_type, expected);
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
