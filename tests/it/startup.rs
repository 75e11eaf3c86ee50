//! The process's start and end: the executable as the toolchain links it, Rust's start-up leaving
//! the process as awsenv needs it (SIGPIPE ignored, fds 0–2 open), and a panic ending it with one
//! line and exit 101. `AWSENV_TEST_BIN` runs these against another build (the musl one: see
//! `tests/run.sh`).

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

/// A reader that went away (`awsenv list | head -1`) is the end of the output, not a signal
/// that kills awsenv mid-write (a shell hook killed by SIGPIPE leaves half a script behind):
/// Rust's start-up ignores SIGPIPE, so the write fails and awsenv stops there, successfully.
#[test]
fn a_closed_pipe_ends_the_output_not_the_process() {
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
    // Nobody is left to read the rest: not a failure of awsenv's (`cmd::print`).
    assert!(status.success(), "{status:?}");
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

/// The executable is linked as the toolchain links it (no build script, no linker scripts): for a
/// glibc target a position-independent executable that the system's loader starts, needing no
/// library but libc, libm and the unwinder; for the musl target (`AWSENV_TEST_LINK=static-pie`,
/// with `AWSENV_TEST_BIN` naming that build) a static-pie that needs no loader and no library.
/// Both are placed at a random address (ASLR).
#[cfg(target_os = "linux")]
#[test]
fn linked_as_the_toolchain_links() {
    let elf = Elf::read(&bin());
    // e_type 3 = ET_DYN: position-independent (2, ET_EXEC, is a fixed address).
    assert_eq!(elf.e_type, 3, "not position-independent");
    let dynamic = elf.dynamic();
    // DT_FLAGS_1 (0x6ffffffb) with DF_1_PIE (0x08000000): an executable, not a shared library.
    let flags_1 = dynamic.iter().find(|(tag, _)| *tag == 0x6fff_fffb);
    assert!(
        flags_1.is_some_and(|(_, v)| v & 0x0800_0000 != 0),
        "DF_1_PIE missing: {flags_1:?}"
    );
    // DT_TEXTREL (22): code patched at load time, which a PIE never needs; DT_RPATH (15) and
    // DT_RUNPATH (29): library paths baked into the binary.
    for (tag, name) in [(22, "TEXTREL"), (15, "RPATH"), (29, "RUNPATH")] {
        assert!(dynamic.iter().all(|(t, _)| *t != tag), "DT_{name} present");
    }
    let needed = elf.needed();
    let link = std::env::var("AWSENV_TEST_LINK").unwrap_or_else(|_| "pie".into());
    match link.as_str() {
        "pie" => {
            assert!(
                elf.interp().is_some(),
                "no PT_INTERP: not a dynamic executable"
            );
            let allowed = [
                "libc.so.6",
                "libm.so.6",
                "libgcc_s.so.1",
                "ld-linux-x86-64.so.2",
            ];
            for lib in &needed {
                assert!(allowed.contains(&lib.as_str()), "needs {lib}: {needed:?}");
            }
            assert!(needed.iter().any(|l| l == "libc.so.6"), "{needed:?}");
        }
        "static-pie" => {
            assert_eq!(elf.interp(), None, "a static-pie has no loader to run");
            assert!(
                needed.is_empty(),
                "a static-pie needs no library: {needed:?}"
            );
        }
        other => panic!("AWSENV_TEST_LINK={other}: `pie` or `static-pie`"),
    }
}

/// The little of a 64-bit little-endian ELF file the link test reads: its type, its program
/// headers, and the dynamic section they point at.
#[cfg(target_os = "linux")]
struct Elf {
    data: Vec<u8>,
    e_type: u16,
    /// (p_type, p_offset, p_vaddr, p_filesz) of each program header.
    segments: Vec<(u32, usize, u64, usize)>,
}

#[cfg(target_os = "linux")]
impl Elf {
    fn read(path: &std::path::Path) -> Elf {
        let data = std::fs::read(path).unwrap();
        assert_eq!(&data[..4], b"\x7fELF", "{}", path.display());
        assert_eq!((data[4], data[5]), (2, 1), "64-bit little-endian");
        let u16_at = |o: usize| u16::from_le_bytes(data[o..o + 2].try_into().unwrap());
        let u32_at = |o: usize| u32::from_le_bytes(data[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap());
        let phoff = u64_at(0x20) as usize;
        let (phentsize, phnum) = (u16_at(0x36) as usize, u16_at(0x38) as usize);
        let segments = (0..phnum)
            .map(|i| phoff + i * phentsize)
            .map(|o| {
                let (offset, vaddr) = (u64_at(o + 8) as usize, u64_at(o + 16));
                (u32_at(o), offset, vaddr, u64_at(o + 32) as usize)
            })
            .collect();
        Elf {
            e_type: u16_at(16),
            segments,
            data,
        }
    }

    /// The loader named by PT_INTERP (3), if any.
    fn interp(&self) -> Option<String> {
        let &(_, offset, _, size) = self.segments.iter().find(|s| s.0 == 3)?;
        let name = &self.data[offset..offset + size];
        Some(String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name)).into_owned())
    }

    /// The (tag, value) entries of PT_DYNAMIC (2), up to DT_NULL.
    fn dynamic(&self) -> Vec<(u64, u64)> {
        let Some(&(_, offset, _, size)) = self.segments.iter().find(|s| s.0 == 2) else {
            return Vec::new();
        };
        let u64_at = |o: usize| u64::from_le_bytes(self.data[o..o + 8].try_into().unwrap());
        (offset..offset + size)
            .step_by(16)
            .map(|o| (u64_at(o), u64_at(o + 8)))
            .take_while(|&(tag, _)| tag != 0)
            .collect()
    }

    /// The libraries named by DT_NEEDED (1), read from the string table DT_STRTAB (5) points at.
    fn needed(&self) -> Vec<String> {
        let dynamic = self.dynamic();
        let Some(&(_, strtab)) = dynamic.iter().find(|(tag, _)| *tag == 5) else {
            return Vec::new();
        };
        // The table's address as loaded, turned into a file offset through its PT_LOAD (1).
        let &(_, offset, vaddr, _) = self
            .segments
            .iter()
            .find(|&&(t, _, v, size)| t == 1 && (v..v + size as u64).contains(&strtab))
            .expect("DT_STRTAB in a loaded segment");
        let table = offset + (strtab - vaddr) as usize;
        dynamic
            .iter()
            .filter(|(tag, _)| *tag == 1)
            .map(|&(_, name)| {
                let start = table + name as usize;
                let end = start + self.data[start..].iter().position(|&b| b == 0).unwrap();
                String::from_utf8_lossy(&self.data[start..end]).into_owned()
            })
            .collect()
    }
}

/// The built awsenv finds hosts by name, glibc's through NSS and musl's through its own
/// resolver, both reading /etc/hosts (here for `localhost`). The endpoint names `localhost`, so
/// the request must be resolved to reach the server that answers it.
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

/// A panic (a bug) ends the run as std's unwinding ends it, exit 101, with one line on stderr
/// that says what and where, and nothing on stdout; not std's several lines, and not an abort,
/// which would leave a core file in the user's directory. The panic comes from
/// `_AWSENV_TEST_PANIC`, which only debug builds (the tests' build; `cargo install` builds
/// release) read, with a message holding a newline and a terminal escape, so the one line is
/// also checked to survive them.
#[test]
fn a_panic_exits_101_with_one_line_and_no_core_file() {
    let h = with_profiles(1);
    let cwd = tempfile::tempdir().unwrap();
    let mut c = Command::new("sh");
    h.isolate(&mut c);
    let out = c
        .current_dir(cwd.path())
        .env("_AWSENV_TEST_PANIC", "broken\nline \x1b[31mred")
        .arg("-c")
        // An abort would dump a core file here (core_pattern `core`, as here: into the cwd;
        // where cores go elsewhere, the status 134 still tells an abort).
        .arg(r#"ulimit -c unlimited && exec "$0" use p0 --shell bash"#)
        .arg(bin())
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("awsenv: internal error: broken\\nline \\u{1b}[31mred at src/"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr}");
}
