#!/usr/bin/env bash
# Per-prompt cost of awsenv's bash hook against direnv's, in an interactive bash (`bash -i`, which
# runs PROMPT_COMMAND before every prompt) reading the same directory walk, timed by hyperfine.
#
#   bash bench/hook.sh            # RUNS=10 PROMPTS=300 by default
#
# Two walks: `stay` (PROMPTS prompts in one marked directory: the common case, where awsenv's hook
# compares $PWD in the shell and starts nothing) and `cd` (PROMPTS directory changes through
# marked, nested and unmarked trees: one call of the program each). Each walk runs in four shells:
# no hook (the baseline), awsenv, direnv with an .envrc beside each marker, and direnv where no
# .envrc exists. Overhead per prompt = (time - baseline time) / PROMPTS. Results go to stdout and,
# as hyperfine JSON, to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-10}
prompts=${PROMPTS:-300}
bin=${AWSENV_BIN:-$root/target/release/awsenv}
if [[ ! -x $bin ]]; then
  cargo build --release
fi
for tool in hyperfine direnv python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (bash tests/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home=$work/home
mkdir -p "$home/.aws"
cat >"$home/.aws/credentials" <<'CREDS'
[prod]
aws_access_key_id = AKIAPRODEXAMPLE
aws_secret_access_key = prodsecretprodsecretprodsecretprodsecret
[dev]
aws_access_key_id = AKIADEVEXAMPLE
aws_secret_access_key = devsecretdevsecretdevsecretdevsecretdev
CREDS
printf '[profile prod]\nregion = eu-west-1\n[profile dev]\nregion = us-east-1\n' >"$home/.aws/config"

# The same layout twice: `marked` has .awsprofile and .envrc side by side, `plain` only .awsprofile.
dirs=(prod prod/src prod/src/deep prod/nested prod/nested/src other other/src)
for tree in marked plain; do
  for d in "${dirs[@]}"; do mkdir -p "$work/$tree/$d"; done
  printf 'prod\n' >"$work/$tree/prod/.awsprofile"
  printf 'dev\n' >"$work/$tree/prod/nested/.awsprofile"
done
printf 'export BENCH_ENV=prod\n' >"$work/marked/prod/.envrc"
printf 'export BENCH_ENV=dev\n' >"$work/marked/prod/nested/.envrc"

clean_env=(env -i "HOME=$home" "PATH=$PATH" "TERM=dumb" "LANG=C.UTF-8"
  "XDG_DATA_HOME=$home/.local/share" "XDG_CACHE_HOME=$home/.cache"
  "XDG_CONFIG_HOME=$home/.config" "AWS_EC2_METADATA_DISABLED=true")
for tree in marked plain; do
  "${clean_env[@]}" "$bin" allow "$work/$tree/prod" 2>/dev/null
  "${clean_env[@]}" "$bin" allow "$work/$tree/prod/nested" 2>/dev/null
done
(cd "$work/marked/prod" && "${clean_env[@]}" direnv allow . && cd nested && "${clean_env[@]}" direnv allow .)

printf "PS1='$ '\n" >"$work/rc-none"
# The rc lines are written literally, to run later in the benchmarked shell.
# shellcheck disable=SC2016
{ cat "$work/rc-none"; printf 'eval "$(%q init bash)"\n' "$bin"; } >"$work/rc-awsenv"
# shellcheck disable=SC2016
{ cat "$work/rc-none"; printf 'eval "$(direnv hook bash)"\n'; } >"$work/rc-direnv"

# The walks, relative to a tree (the shell starts in it).
{
  echo "cd prod/src"
  for ((i = 0; i < prompts; i++)); do echo ":"; done
  echo "exit"
} >"$work/walk-stay"
cycle=(prod prod/src prod/src/deep prod/nested prod/nested/src prod/src other other/src . prod)
{
  for ((i = 0; i < prompts; i++)); do
    echo "cd $work/TREE/${cycle[i % ${#cycle[@]}]}"
  done
  echo "exit"
} >"$work/walk-cd.tmpl"
for tree in marked plain; do
  sed "s|TREE|$tree|" "$work/walk-cd.tmpl" >"$work/walk-cd-$tree"
done
cp "$work/walk-stay" "$work/walk-stay-marked"
cp "$work/walk-stay" "$work/walk-stay-plain"

shell_cmd() { # rc tree walk
  printf 'cd %q && %s bash --noprofile --rcfile %q -i <%q >/dev/null 2>&1' \
    "$work/$2" "$(printf '%q ' "${clean_env[@]}")" "$work/rc-$1" "$work/walk-$3-$2"
}

results=$root/bench/results
mkdir -p "$results"
for walk in stay cd; do
  hyperfine --style basic --warmup 2 --runs "$runs" --export-json "$results/hook-$walk.json" \
    -n "none" "$(shell_cmd none marked "$walk")" \
    -n "awsenv" "$(shell_cmd awsenv marked "$walk")" \
    -n "direnv (.envrc)" "$(shell_cmd direnv marked "$walk")" \
    -n "direnv (no .envrc)" "$(shell_cmd direnv plain "$walk")" >&2
done

python3 - "$results" "$prompts" <<'PY'
import json, sys
results, prompts = sys.argv[1], int(sys.argv[2])
print(f"per-prompt overhead of the hook in interactive bash ({prompts} prompts per walk)")
print(f"{'walk':<6} {'hook':<20} {'ms/prompt':>10} {'± (ms)':>8} {'direnv/awsenv':>14}")
for walk in ("stay", "cd"):
    data = json.load(open(f"{results}/hook-{walk}.json"))["results"]
    by = {r["command"]: r for r in data}
    base = by["none"]["mean"]
    over = {name: (r["mean"] - base) / prompts * 1000 for name, r in by.items()}
    sd = {name: r["stddev"] / prompts * 1000 for name, r in by.items()}
    aws = over["awsenv"]
    for name in ("awsenv", "direnv (.envrc)", "direnv (no .envrc)"):
        ratio = "" if name == "awsenv" else (f"{over[name] / aws:.1f}x" if aws > 0.001 else "awsenv ~0")
        print(f"{walk:<6} {name:<20} {over[name]:>10.3f} {sd[name]:>8.3f} {ratio:>14}")
PY
