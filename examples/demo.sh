#!/usr/bin/env bash
# awsenv on the bundled example profiles, with no AWS account: STS is a local moto_server.
# Builds awsenv, installs moto into .venv-test if needed (pip only), and shows `use` on a static
# profile, a two-hop role chain, an MFA role (code given on the command line), `exec` and `unset`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --quiet
awsenv=${CARGO_TARGET_DIR:-$root/target}/debug/awsenv
venv=$root/.venv-test
if [ ! -x "$venv/bin/moto_server" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 keeps venv in its own package.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$venv"; python3 -m venv "$venv"
    else
      echo "demo: python3 -m venv failed; install python3-venv" >&2; exit 1
    fi
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]"
fi

demo=$(mktemp -d)
trap 'kill "${moto_pid:-0}" 2>/dev/null || true; rm -rf "$demo"' EXIT
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break; sleep 0.2; done

export AWS_CONFIG_FILE=$root/examples/aws/config
export AWS_SHARED_CREDENTIALS_FILE=$root/examples/aws/credentials
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port   # the local STS, as the SDKs read it
export XDG_CACHE_HOME=$demo/cache                    # keep the demo's sessions out of yours
export AWS_EC2_METADATA_DISABLED=true

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
mask() { sed -E 's/(SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN)=.*/\1=<hidden>/'; }

show awsenv list --long
"$awsenv" list --long

show 'awsenv use dev            # static keys: no network call'
"$awsenv" use dev --shell bash | mask

show 'eval "$(awsenv use prod)"  # dev -> ops -> prod, two AssumeRole calls'
eval "$("$awsenv" use prod --shell bash)"
env | grep -E '^AWS(ENV)?_' | sort | mask

show 'awsenv exec prod -- python3 -c "…GetCallerIdentity…"  # who are we?'
"$awsenv" exec prod -- "$venv/bin/python" -c '
import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])' 2>/dev/null \
  || echo "(install boto3 into .venv-test to see the identity: bash tests/setup.sh)"

show 'awsenv use audit --mfa-token 123456   # MFA once; the session is cached'
"$awsenv" use audit --mfa-token 123456 --shell bash | mask
show 'awsenv use audit                       # no code asked this time'
"$awsenv" use audit --shell bash </dev/null | mask

show 'eval "$(awsenv unset)"'
eval "$("$awsenv" unset --shell bash)"
env | grep -E '^(AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|CREDENTIAL_EXPIRATION|REGION|DEFAULT_REGION)|AWSENV_PROFILE)=' \
  || echo "(none of the variables awsenv sets is left)"
