#!/usr/bin/env bash
# Times one TAB of profile-name completion on a config with 10,000 profiles, against the target of
# 50 ms (nothing here is a test). Three measurements:
#   1. awsenv answering the completion request alone (what every shell's shim waits for);
#   2. the whole bash TAB: the committed completions/awsenv.bash function in a bash process
#      (includes starting bash and sourcing the script);
#   3. the same answer on a 3-profile config, for scale.
# Needs: bash tests/setup.sh (hyperfine). Builds the release binary (once). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --release --quiet
bin=$root/target/release/awsenv

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/big" "$work/small"
ln -s "$bin" "$work/bin/awsenv"

# 10,000 profiles, written like real ones: half roles in the config file (with a region and a
# source profile), half static keys in the credentials file.
python3 - "$work/big" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/config", "w") as c, open(f"{d}/credentials", "w") as k:
    c.write("[default]\nregion = us-east-1\n")
    for i in range(5000):
        c.write(f"[profile team{i % 50}/account-{i:05d}.admin]\n"
                f"role_arn = arn:aws:iam::{100000000000 + i}:role/admin\n"
                f"source_profile = base{i:05d}\nregion = eu-west-1\n")
        k.write(f"[base{i:05d}]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                f"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
PY
printf '[default]\n[profile dev]\n[profile prod]\n' > "$work/small/config"
: > "$work/small/credentials"

export PATH="$work/bin:$PATH" AWS_CONFIG_FILE="$work/big/config"
export AWS_SHARED_CREDENTIALS_FILE="$work/big/credentials"
count=$(_AWSENV_COMPLETE=fish awsenv -- awsenv use '' | wc -l)
echo "profiles offered for 'awsenv use <TAB>': $count"
[ "$count" -ge 10000 ] || { echo "expected at least 10000 names" >&2; exit 1; }

cat > "$work/tab.bash" <<EOF
source "$root/completions/awsenv.bash"
COMP_LINE='awsenv use team7/'
COMP_POINT=\${#COMP_LINE}
_awsenv_complete awsenv team7/ use
[ \${#COMPREPLY[@]} = 100 ] || { echo "got \${#COMPREPLY[@]} replies" >&2; exit 1; }
EOF

mkdir -p bench/results
runs=${RUNS:-50}
hyperfine -N --warmup 5 --runs "$runs" --style basic \
  --export-markdown bench/results/completion.md --export-json bench/results/completion.json \
  -n "answer: awsenv use <TAB>, 10,000 profiles" \
  "env _AWSENV_COMPLETE=fish $bin -- awsenv use ''" \
  -n "answer: awsenv use team7/<TAB>, 10,000 profiles (bash)" \
  "env _AWSENV_COMPLETE=bash _AWSENV_COMP_LINE='awsenv use team7/' $bin -- bash" \
  -n "whole bash TAB (bash + script + awsenv), 10,000 profiles" \
  "bash --norc --noprofile $work/tab.bash" \
  -n "answer: awsenv use <TAB>, 3 profiles" \
  "env _AWSENV_COMPLETE=fish AWS_CONFIG_FILE=$work/small/config AWS_SHARED_CREDENTIALS_FILE=$work/small/credentials $bin -- awsenv use ''"

python3 - bench/results/completion.json <<'PY'
import json, sys
target = 50.0
worst = 0.0
for r in json.load(open(sys.argv[1]))["results"]:
    mean, high = r["mean"] * 1000, r["max"] * 1000
    cpu = (r["user"] + r["system"]) * 1000
    worst = max(worst, high)
    print(f"{r['command']:<60} mean {mean:6.1f} ms  max {high:6.1f} ms  cpu {cpu:5.1f} ms")
print(f"target: every TAB under {target:.0f} ms -> {'met' if worst < target else 'MISSED'} (slowest run {worst:.1f} ms)")
# Wall times grow with the machine's load; the CPU time is what awsenv itself spends.
print("load average:", open("/proc/loadavg").read().split()[0])
PY
