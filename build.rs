//! Link settings for the awsenv binary alone: no dependency is rebuilt for them.
//!
//! awsenv runs at every `cd` (the shell hook) and every TAB, so the time before `main` counts.
//! Most of it went to the dynamic loader applying ~29,000 relative relocations, one 24-byte
//! entry each (vtables and the big static tables of clap, rustls' roots, the SDKs' endpoint
//! rules). RELR (`-z pack-relative-relocs`, GNU ld 2.38+ / lld 15+, glibc 2.36+) packs them
//! into a bitmap the loader walks in a few microseconds, and keeps the binary position
//! independent (ASLR), which linking it non-PIE would give up.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
