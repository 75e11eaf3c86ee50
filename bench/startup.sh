#!/usr/bin/env bash
# Startup cost of the commands a shell runs most, against the floor of starting any process
# (`true`), measured interleaved: every round starts each command once, in turn, so a change in
# the machine's load hits all of them alike (nothing here is a test).
#
#   bash bench/startup.sh           # ROUNDS=400 by default; AWSENV_BIN to measure another build,
#                                   # AWSENV_BASELINE=path to time a second build beside it
#
# The commands, each in an isolated HOME with a 3-profile config:
#   - `awsenv use static --shell bash` (static keys from the credentials file: no network);
#   - `awsenv hook bash` on a `cd` into a directory whose allowed .awsprofile names `static`;
#   - one completion answer (`awsenv use <TAB>` as the bash shim asks it);
#   - `awsenv --version`, and `true`.
# Each run is a posix_spawn + wait4 from one Python process (bench/interleave.py); wall time per
# run, and the child's CPU time from wait4. Output: median and 10th/90th percentile per command,
# and the ratio of the medians to `true` (target, issue 21: `use` of a static profile at most 3x). With valgrind installed it also prints the instructions
# each command executes (callgrind, loader included), which do not depend on the load.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${AWSENV_BIN:-$root/target/release/awsenv}
if [[ -z ${AWSENV_BIN-} ]]; then
  cargo build --release --quiet
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home=$work/home
mkdir -p "$home/.aws" "$work/proj/sub"
cat >"$home/.aws/config" <<'CFG'
[profile static]
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::222222222222:role/bench
source_profile = static
[profile other]
region = us-east-1
CFG
printf '[static]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' >"$home/.aws/credentials"
printf 'static\n' >"$work/proj/.awsprofile"

envs=(HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 XDG_CONFIG_HOME="$home/.config"
  XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache" AWS_EC2_METADATA_DISABLED=true)
env -i "${envs[@]}" "$bin" allow "$work/proj" >/dev/null 2>&1

python3 - "$work" "$bin" "${AWSENV_BASELINE-}" "${envs[@]}" >"$work/cases.json" <<'PY'
import json, shutil, sys
work, binary, baseline = sys.argv[1:4]
env = dict(a.split("=", 1) for a in sys.argv[4:])
comp = dict(env, _AWSENV_COMPLETE="bash", _AWSENV_COMP_LINE="awsenv use ")
cases = [{"name": "true", "argv": [shutil.which("true")], "env": env}]
# AWSENV_BASELINE: another build (say, of main) timed in the same rounds, its names marked (base).
for b, mark in [(baseline, " (base)"), (binary, "")] if baseline else [(binary, "")]:
    cases += [
        {"name": "awsenv --version" + mark, "argv": [b, "--version"], "env": env,
         "expect": "awsenv"},
        {"name": "awsenv use static" + mark, "argv": [b, "use", "static", "--shell", "bash"],
         "env": env, "expect": "AKIAIOSFODNN7EXAMPLE"},
        {"name": "awsenv hook (cd)" + mark, "argv": [b, "hook", "bash"], "env": env,
         "cwd": f"{work}/proj/sub", "expect": "AKIAIOSFODNN7EXAMPLE"},
        {"name": "completion answer" + mark, "argv": [b, "--", "bash"], "env": comp,
         "expect": "static"},
    ]
print(json.dumps(cases))
PY
python3 bench/interleave.py "$work/cases.json" "${ROUNDS:-400}" >"$work/times.jsonl"

python3 - "$work/cases.json" "$work/times.jsonl" "${ROUNDS:-400}" <<'PY'
import json, shutil, subprocess, sys, tempfile
cases = json.load(open(sys.argv[1]))
times = [json.loads(l) for l in open(sys.argv[2])]
floor = times[0]["median"]
print(f"startup, {sys.argv[3]} interleaved rounds (ms; ratio = median / median of `true`)")
print(f"{'command':<29} {'median':>8} {'p10':>7} {'p90':>7} {'cpu':>6} {'ratio':>6}")
for t in times:
    print(f"{t['name']:<29} {t['median']:8.3f} {t['p10']:7.3f} {t['p90']:7.3f} {t['cpu']:6.2f} "
          f"{t['median'] / floor:5.2f}x")
print("target: `use` of a static profile at most 3x `true` (issue 21)")
print("load average:", open("/proc/loadavg").read().split()[0])
if shutil.which("valgrind"):
    print("\ninstructions executed (callgrind, dynamic loader included; independent of load)")
    for c in cases:
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/out"]
                               + c["argv"], env=c["env"], cwd=c.get("cwd"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            refs = [l.split()[-1] for l in r.stderr.splitlines() if "Collected" in l]
        print(f"{c['name']:<29} {int(refs[-1]):>12,}" if refs else f"{c['name']:<29} ?")
PY
