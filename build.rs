//! Link settings for the awsenv binary alone: no dependency is rebuilt for them.
//!
//! awsenv runs at every `cd` (the shell hook) and every TAB, so the time before `main` counts.
//! Most of it went to the dynamic loader applying ~27,000 relative relocations: the pointers in
//! vtables and in the big static tables of the SDKs, rustls and clap, which a position-
//! independent executable must patch, page by page (about 100 copy-on-write page faults), at
//! every start, whatever the command uses.
//!
//! So on Linux with glibc the executable is linked at a fixed address (`-no-pie`; the code is
//! still compiled position-independent, and no dependency changes): the linker resolves those
//! pointers once, and a start costs about 300,000 instructions and 100 page faults less (see
//! `bench/startup.sh`). The trade: the executable's own code and data are no longer placed at a
//! random address (ASLR); the stack, the heap, the shared libraries and every mapping still
//! are. That is how direnv and aws-vault, the Go tools in this field, have always shipped on
//! Linux. Whoever wants the randomisation back (a distribution's policy) builds with
//! `AWSENV_PIE=1`: a position-independent executable with RELR-packed relocations (GNU ld 2.38+
//! / lld 15+, glibc 2.36+), which keeps most of the win in file size but not in start time.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AWSENV_PIE");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        if var("AWSENV_PIE") == "1" {
            println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        } else {
            println!("cargo:rustc-link-arg-bins=-no-pie");
        }
    }
}
