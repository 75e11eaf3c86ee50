#!/usr/bin/env bash
# The project's test command: install what the tests need, then run every test.
# Nothing is skipped: a missing component fails the test that needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
# Windows: the PowerShell paths, the Credential Manager store and path handling must compile.
cargo check --locked --target x86_64-pc-windows-gnu
cargo clippy --locked --target x86_64-pc-windows-gnu -- -D warnings
cargo test --locked "$@"
# The two other links build.rs offers (see Install in the README) still build and start, and
# are what they say: the start-up tests again on each (the debug build relinks in seconds).
AWSENV_DYNAMIC=1 cargo test --locked --test it startup
AWSENV_PIE=1 cargo test --locked --test it startup
