//! Link settings for the awsenv binary alone: no dependency is rebuilt for them.
//!
//! awsenv runs at every `cd` (the shell hook) and every TAB, so the time before `main` counts.
//! On Linux with glibc, three ways to link, fastest first:
//!
//! - **static** (the default where the C toolchain has glibc's static archives: Debian's and
//!   Ubuntu's `libc6-dev`, Fedora's `glibc-static`): no dynamic loader runs at
//!   all. A dynamic start spends about half of an `awsenv use` in the loader: mapping libc and
//!   libm, binding ~150 symbols (`-z now`), and about 30 page faults for their pages. The Go
//!   tools in this field (direnv, aws-vault) ship static binaries for the same reason. The
//!   trades:
//!   - glibc's code is fixed at build time: a glibc security update reaches awsenv when it is
//!     rebuilt (`cargo install` again), as with any static binary;
//!   - name lookups through NSS modules beyond the built-in `files` and `dns` (mdns, resolve,
//!     sss, ...) load that module from the system's glibc at run time, which works while it
//!     is the glibc awsenv was built with (glibc's own warning about static `getaddrinfo`);
//!   - like the fixed-address link below, nothing of the executable is randomised (ASLR),
//!     now including libc's code: the stack, the heap and every mapping still are.
//!
//!   rustc links std against glibc dynamically unless the whole build is compiled with
//!   `-C target-feature=+crt-static`, which Cargo cannot apply to the binary alone (it would
//!   reach proc-macros, which cannot be static, unless every command names `--target`). So
//!   the link is made static here, at its end: `-static` for the driver, and for each library
//!   rustc names with `-l` (`c`, `m`, `gcc_s`, ...) a linker script of the same name in a
//!   directory searched first, pointing at glibc's and libgcc's archives. Were rustc to add a
//!   library not on that list, the link would mix static and dynamic and the binary would not
//!   start: every test would fail, and `tests/it/startup.rs` checks that the executable has no
//!   dynamic section at all.
//! - **fixed address, dynamic** (`AWSENV_DYNAMIC=1`, or when the static archives are missing;
//!   a `cargo:warning` says so): `-no-pie`, so the loader has no pointers of the executable to
//!   patch (~27,000 relative relocations: the vtables and static tables of the SDKs, rustls
//!   and clap, about 100 copy-on-write page faults). Only the executable's own code and data
//!   are then not randomised.
//! - **position-independent** (`AWSENV_PIE=1`), for a distribution whose policy needs it: with
//!   RELR-packed relocations (GNU ld 2.38+ / lld 15+, glibc 2.36+); about 0.3 ms slower to
//!   start than the fixed-address link.
//!
//! The way chosen reaches the tests as `AWSENV_LINK` (`static`, `fixed` or `pie`; `crt-static`
//! when rustc was asked to link statically itself, which is then left alone).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libraries rustc's std and the `libc` crate link on Linux with glibc, each of them with
/// the archives it stands for. glibc 2.34 moved `rt`, `pthread`, `dl` and `util` into libc (their
/// archives are empty there); before that they hold code of their own.
const LIBRARIES: &[(&str, &[&str])] = &[
    ("c", &["libc.a", "libgcc_eh.a", "libgcc.a"]),
    ("m", &["libm.a", "libc.a"]),
    ("rt", &["librt.a", "libc.a"]),
    ("pthread", &["libpthread.a", "libc.a"]),
    ("dl", &["libdl.a", "libc.a"]),
    ("util", &["libutil.a", "libc.a"]),
    // The unwinder: libgcc_s has no archive; libgcc_eh is the same code, linked in.
    ("gcc_s", &["libgcc_eh.a", "libgcc.a", "libc.a"]),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AWSENV_PIE");
    println!("cargo:rerun-if-env-changed=AWSENV_DYNAMIC");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    // A build that asked rustc itself for a static binary (`-C target-feature=+crt-static`,
    // with `--target`) gets what it asked for, untouched.
    if var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static")
    {
        println!("cargo:rustc-env=AWSENV_LINK=crt-static");
        return;
    }
    if var("AWSENV_PIE") == "1" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        println!("cargo:rustc-env=AWSENV_LINK=pie");
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    let link = if var("AWSENV_DYNAMIC") == "1" {
        "fixed"
    } else {
        match static_scripts(&var) {
            Ok(dir) => {
                // As a link argument, not `rustc-link-search`: that would reach the test
                // binaries too, which link dynamically (and `ld` reads every `-L` before any `-l`).
                println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
                println!("cargo:rustc-link-arg-bins=-static");
                "static"
            }
            Err(why) => {
                println!(
                    "cargo:warning=awsenv is linked dynamically ({why}); it starts faster \
                     linked statically: install glibc's static archives (libc6-dev, \
                     glibc-static) and build again"
                );
                "fixed"
            }
        }
    };
    println!("cargo:rustc-env=AWSENV_LINK={link}");
}

/// Writes the linker scripts that stand for rustc's `-l` libraries; their directory.
fn static_scripts(var: &dyn Fn(&str) -> String) -> Result<PathBuf, String> {
    // The archives are asked of the C compiler that links: the host's, so not when cross-
    // compiling (another target's archives are elsewhere).
    if var("HOST") != var("TARGET") {
        return Err("cross-compiling".into());
    }
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    let dir = PathBuf::from(var("OUT_DIR")).join("static-link");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, archives) in LIBRARIES {
        let mut group = String::from("GROUP (");
        for archive in *archives {
            let path = archive_path(&linker, archive)?;
            group.push_str(&format!(" \"{}\"", path.display()));
        }
        group.push_str(" )\n");
        let script = dir.join(format!("lib{name}.a"));
        std::fs::write(&script, group).map_err(|e| format!("{}: {e}", script.display()))?;
    }
    Ok(dir)
}

/// Where the linker would find `archive`, as `cc -print-file-name` says: an existing absolute
/// path, or the bare name when it has none.
fn archive_path(linker: &str, archive: &str) -> Result<PathBuf, String> {
    let out = Command::new(linker)
        .arg(format!("-print-file-name={archive}"))
        .output()
        .map_err(|e| format!("{linker}: {e}"))?;
    let text = String::from_utf8(out.stdout).map_err(|_| format!("{archive}: path not UTF-8"))?;
    let path = Path::new(text.trim());
    // A quote would end the script's string; such a path is not worth a static link.
    if !out.status.success() || !path.is_absolute() || !path.exists() || text.contains('"') {
        return Err(format!("{archive} not found"));
    }
    Ok(path.to_path_buf())
}
