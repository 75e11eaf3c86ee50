#!/usr/bin/env bash
# The project's test command: install what the tests need, then run every test.
# Nothing is skipped: a missing component fails the test that needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
# --- Windows under Wine ---------------------------------------------------------------------------
# The Windows build is made (not only checked) here, before `cargo test`: tests/it/windows.rs runs
# target/x86_64-pc-windows-gnu/debug/awsenv.exe under Wine (list, PowerShell, cmd.exe, exec, the
# Credential Manager) and fails when it is missing or older than the sources.
cargo build --locked --target x86_64-pc-windows-gnu
cargo clippy --locked --target x86_64-pc-windows-gnu -- -D warnings
# --- end of Windows under Wine ---------------------------------------------------------------------
# macOS, Intel and Apple silicon: the Keychain store and every other non-Linux path must compile.
# There is no Apple SDK here, so ring's C and assembly are compiled by Debian's clang for macOS
# as freestanding code (ring's own way of building without a target's libc headers), with the
# one SDK header it needs given by tests/apple/. Nothing is linked: this checks, it makes no
# macOS binary.
for target in x86_64-apple-darwin aarch64-apple-darwin; do
  t=${target//-/_}
  env "CC_$t=clang" "AR_$t=llvm-ar" \
    "CFLAGS_$t=-ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -I$PWD/tests/apple" \
    bash -c "cargo check --locked --target $target && cargo clippy --locked --target $target -- -D warnings"
done
cargo test --locked "$@"
# The portable static build (README: Install): the musl target, a static-pie. The start-up
# tests (its link among them), and `use` and the hook in real shells, run against it.
cargo build --locked --target x86_64-unknown-linux-musl
AWSENV_TEST_BIN="${CARGO_TARGET_DIR:-$PWD/target}/x86_64-unknown-linux-musl/debug/awsenv" \
  AWSENV_TEST_LINK=static-pie \
  cargo test --locked --test it -- startup:: hooks::bash_walk shells::hostile_values_are_inert_in_every_real_shell
