#!/usr/bin/env bash
# Does every command scale? Each one on a config of 10,000 role profiles against the same on a
# config of 3, interleaved in one run (bench/interleave.py); target: at most 3x (nothing here is
# a test).
#
#   bash bench/scale.sh             # ROUNDS=60 by default; AWSENV_BIN to measure another build
#
# The role sessions come from a local moto_server once (to fill the session cache); every timed
# run is then a cache hit, as at the second `use` of a day. A command slower than 1 s per run is
# timed 3 times only (see interleave.py).
# Needs: the test venv (bash tests/setup.sh) for moto_server.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/.venv-test
bin=${AWSENV_BIN:-$root/target/release/awsenv}
if [[ -z ${AWSENV_BIN-} ]]; then
  cargo build --release --quiet
fi

work=$(mktemp -d)
trap 'kill "${moto_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null && break; sleep 0.1; done

# Both configs: one user's keys, and role profiles behind it; the big one 10,000 of them.
for size in 3 10000; do
  d=$work/c$size
  mkdir -p "$d/home/.aws" "$d/proj"
  python3 - "$d/home/.aws" "$size" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/config", "w") as c:
    c.write("[profile base]\nregion = eu-west-1\n")
    for i in range(n):
        c.write(f"[profile role-{i}]\nrole_arn = arn:aws:iam::{100000000000 + i}:role/r{i}\n"
                f"source_profile = base\nrole_session_name = bench\nregion = us-east-1\n")
with open(f"{d}/credentials", "w") as k:
    k.write("[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
PY
  printf 'role-1\n' >"$d/proj/.awsprofile"
  envs=(HOME="$d/home" PATH=/usr/bin:/bin LANG=C.UTF-8 XDG_CONFIG_HOME="$d/home/.config"
    XDG_DATA_HOME="$d/home/.local/share" XDG_CACHE_HOME="$d/home/.cache"
    AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port")
  env -i "${envs[@]}" "$bin" allow "$d/proj" >/dev/null 2>&1
  env -i "${envs[@]}" "$bin" use role-1 --shell bash >/dev/null # fills the session cache
  printf '%s\n' "${envs[@]}" >"$d/env"
done

python3 - "$bin" "$work" >"$work/cases.json" <<'PY'
import json, shutil, sys
binary, work = sys.argv[1], sys.argv[2]
cases = []
for size in (3, 10000):
    d = f"{work}/c{size}"
    env = dict(l.rstrip("\n").split("=", 1) for l in open(f"{d}/env"))
    loaded = dict(env, AWSENV_PROFILE="role-1", AWS_ACCESS_KEY_ID="ASIAEXAMPLE")
    comp = dict(env, _AWSENV_COMPLETE="bash", _AWSENV_COMP_LINE="awsenv use role-1")
    for name, argv, e, cwd, expect in [
        ("--version", ["--version"], env, None, "awsenv"),
        ("use (cached role)", ["use", "role-1", "--shell", "bash"], env, None, "ASIA"),
        ("export", ["export", "role-1", "--format", "env"], env, None, "ASIA"),
        ("exec -- true", ["exec", "role-1", "--", shutil.which("true")], env, None, ""),
        ("list", ["list"], env, None, "role-1"),
        ("list --long", ["list", "--long"], env, None, "role-1"),
        ("status", ["status"], loaded, None, "role-1"),
        ("hook (cd)", ["hook", "bash"], env, f"{d}/proj", "ASIA"),
        ("completion", ["--", "bash"], comp, None, "role-1"),
        ("unset", ["unset", "--shell", "bash"], loaded, None, "unset"),
    ]:
        cases.append({"name": f"{name} @{size}", "argv": [binary] + argv, "env": e,
                      "cwd": cwd, "expect": expect})
print(json.dumps(cases))
PY
python3 bench/interleave.py "$work/cases.json" "${ROUNDS:-60}" >"$work/times.jsonl"

python3 - "$work/times.jsonl" <<'PY'
import json, sys
t = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    name, size = r["name"].rsplit(" @", 1)
    t.setdefault(name, {})[size] = r
print("each command on 10,000 role profiles vs 3 (median ms; target: at most 3x)")
print("per profile: what each of the 9,997 more profiles adds (the slope of a linear cost)")
print(f"{'command':<20} {'3 profiles':>11} {'10,000':>10} {'ratio':>7} {'per profile':>12}")
for name, by in t.items():
    small, big = by["3"]["median"], by["10000"]["median"]
    ok = "" if big / small <= 3 else "  MISSED"
    slope = (big - small) * 1000 / 9997
    print(f"{name:<20} {small:11.2f} {big:10.2f} {big / small:6.1f}x {slope:9.3f} us{ok}")
print("load average:", open("/proc/loadavg").read().split()[0])
PY
