#!/usr/bin/env bash
# `awsenv list --long` on 1,000, 5,000 and 10,000 profiles (issue 11, item 14: it was quadratic,
# 12.9 s for 10,000). Prints the time per profile at each size: a linear command keeps it flat.
# The peer is botocore (the AWS CLI v1's engine, which has no `list-profiles`) reading the same
# files and listing the names (tests/fixtures/botocore_reads.py profiles). Nothing here is a test.
#
#   bash bench/list.sh              # builds the release binary; AWSENV_BIN=… to use another
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${AWSENV_BIN:-$root/target/release/awsenv}
if [[ -z ${AWSENV_BIN:-} ]]; then
  cargo build --release --quiet
fi
py=$root/.venv-test/bin/python
for tool in hyperfine python3 "$py"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (bash tests/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=(1000 5000 10000)
for n in "${sizes[@]}"; do
  mkdir -p "$work/$n"
  # Half roles in the config file, half static keys in the credentials file, as real ones are.
  python3 - "$work/$n" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/config", "w") as c, open(f"{d}/credentials", "w") as k:
    for i in range(n // 2):
        c.write(f"[profile role{i:05d}]\nrole_arn = arn:aws:iam::{100000000000 + i}:role/admin\n"
                f"source_profile = base{i:05d}\nregion = eu-west-1\n")
        k.write(f"[base{i:05d}]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                f"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
PY
done

mkdir -p bench/results
args=()
for n in "${sizes[@]}"; do
  files="AWS_CONFIG_FILE=$work/$n/config AWS_SHARED_CREDENTIALS_FILE=$work/$n/credentials"
  args+=(-n "awsenv list --long, $n profiles" "env HOME=$work XDG_CACHE_HOME=$work/cache $files $bin list --long")
  args+=(-n "botocore profile names, $n profiles" "env HOME=$work $files $py $root/tests/fixtures/botocore_reads.py profiles")
done
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --style basic \
  --export-json bench/results/list.json "${args[@]}" >/dev/null

python3 - bench/results/list.json <<'PY'
import json, re, sys
for r in json.load(open(sys.argv[1]))["results"]:
    n = int(re.search(r"(\d+) profiles", r["command"]).group(1))
    print(f"{r['command']:<45} mean {r['mean'] * 1000:8.1f} ms  per profile {r['mean'] * 1e6 / n:7.1f} us")
print("load average:", open("/proc/loadavg").read().split()[0])
PY
