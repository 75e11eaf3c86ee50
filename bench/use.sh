#!/usr/bin/env bash
# Measures `awsenv use` against its peers in one run, as ratios (nothing here is a test):
#   1. a static-keys profile and a cached role, awsenv vs awsume (PyPI), the AWS CLI for reference;
#   2. a config with 10,000 profiles vs one with 3: `awsenv list` and `awsenv use`.
# Needs: bash tests/setup.sh (hyperfine, the venv with moto, awscli, awsume). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/.venv-test
cargo build --release --quiet
bin=$root/target/release/awsenv

work=$(mktemp -d)
trap 'kill "${moto_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null && break; sleep 0.1; done

home=$work/home
mkdir -p "$home/.aws"
cat > "$home/.aws/config" <<'CFG'
[profile static]
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::222222222222:role/bench
source_profile = static
role_session_name = bench
region = eu-west-1
CFG
printf '[static]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' > "$home/.aws/credentials"

export HOME=$home XDG_CACHE_HOME=$home/.cache AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port
export AWS_EC2_METADATA_DISABLED=true PATH="$venv/bin:$PATH"
# Fill both tools' caches so the role case measures a cache hit.
"$bin" use role --shell bash >/dev/null
awsumepy role >/dev/null

runs=${RUNS:-30}
hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$work/peers.json" \
  -n "awsenv use static" "$bin use static --shell bash" \
  -n "awsume static" "awsumepy static" \
  -n "awsenv use role (cached)" "$bin use role --shell bash" \
  -n "awsume role (cached)" "awsumepy role" \
  -n "aws configure get (AWS CLI v1)" "aws configure get aws_access_key_id --profile static" \
  >/dev/null

# Scaling: 3 profiles vs 10,000 (half static in the credentials file, half roles).
small=$work/small; big=$work/big
mkdir -p "$small" "$big"
cp "$home/.aws/config" "$small/config"; cp "$home/.aws/credentials" "$small/credentials"
printf '[profile extra]\nregion = us-east-1\n' >> "$small/config"
"$venv/bin/python" - "$big" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/config", "w") as c, open(f"{d}/credentials", "w") as k:
    c.write("[profile static]\nregion = eu-west-1\n")
    k.write("[static]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    for i in range(9999):
        if i % 2:
            c.write(f"[profile role-{i}]\nrole_arn = arn:aws:iam::{100000000000 + i}:role/r\nsource_profile = static\nregion = us-east-1\n")
        else:
            c.write(f"[profile static-{i}]\nregion = eu-central-1\n")
            k.write(f"[static-{i}]\naws_access_key_id = AKIA{i:016d}\naws_secret_access_key = secret{i}\n")
PY
hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$work/scale.json" \
  -n "list, 3 profiles" "env AWS_CONFIG_FILE=$small/config AWS_SHARED_CREDENTIALS_FILE=$small/credentials $bin list" \
  -n "list, 10000 profiles" "env AWS_CONFIG_FILE=$big/config AWS_SHARED_CREDENTIALS_FILE=$big/credentials $bin list" \
  -n "use, 3 profiles" "env AWS_CONFIG_FILE=$small/config AWS_SHARED_CREDENTIALS_FILE=$small/credentials $bin use static --shell bash" \
  -n "use, 10000 profiles" "env AWS_CONFIG_FILE=$big/config AWS_SHARED_CREDENTIALS_FILE=$big/credentials $bin use static --shell bash" \
  >/dev/null

"$venv/bin/python" - "$work/peers.json" "$work/scale.json" <<'PY'
import json, sys
def load(p):
    return {r["command"]: r for r in json.load(open(p))["results"]}
peers, scale = load(sys.argv[1]), load(sys.argv[2])
ms = lambda r: r["mean"] * 1000
print("awsenv use vs its peers (mean of runs, lower is better)")
for name, r in peers.items():
    print(f"  {name:34s} {ms(r):9.2f} ms  ± {r['stddev']*1000:.2f}")
for case in ("static", "role (cached)"):
    a = peers[f"awsenv use {case}"]; b = peers[f"awsume {case}"]
    print(f"  ratio awsume/awsenv, {case:14s} {b['mean']/a['mean']:7.1f}x   (target >= 50x)")
cli = peers["aws configure get (AWS CLI v1)"]
print(f"  ratio AWS CLI/awsenv, static         {cli['mean']/peers['awsenv use static']['mean']:7.1f}x")
print("\nscaling with the size of the config (target: at most 3x)")
for name, r in scale.items():
    print(f"  {name:34s} {ms(r):9.2f} ms")
for what in ("list", "use"):
    big, small = scale[f"{what}, 10000 profiles"], scale[f"{what}, 3 profiles"]
    print(f"  {what}: 10000 vs 3 profiles            {big['mean']/small['mean']:7.1f}x")
PY
