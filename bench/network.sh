#!/usr/bin/env bash
# Bad networks and bursts, awsenv beside its peers (nothing here is a test):
#   1. time to give up on a black-holed STS (accepts the connection, never answers):
#      `awsenv use`, the hook's `awsenv hook bash` on a marked tree, `aws sts get-caller-identity`
#      (AWS CLI v1) and `awsume` (each capped at CAP=180 s);
#   2. six runs of one MFA role started at once with a cold cache, and six roles behind one MFA
#      user: MFA codes asked and STS calls made, awsenv and the AWS CLI.
# Needs: bash tests/setup.sh (the venv with moto, awscli, awsume). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/.venv-test
cargo build --release --quiet
bin=$root/target/release/awsenv
py=$venv/bin/python

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A black hole: the kernel accepts connections into the backlog; nobody ever reads them.
hole=$(free_port)
"$py" -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(512); time.sleep(100000)' "$hole" &
pids+=($!)

moto=$(free_port)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$moto/moto-api/" >/dev/null && break; sleep 0.1; done
# A counting proxy in front of moto: one line per STS action in $work/actions.
proxy=$(free_port)
"$py" - "$proxy" "$moto" "$work/actions" <<'PY' &
import http.server, sys, urllib.request, threading
port, up, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        action = next((kv[7:] for kv in body.decode().split("&") if kv.startswith("Action=")), "")
        with lock, open(log, "a") as f:
            f.write(action + "\n")
        req = urllib.request.Request(f"http://127.0.0.1:{up}{self.path}", data=body, method="POST",
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            r = urllib.request.urlopen(req)
            code, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, data = e.code, e.read()
        self.send_response(code); self.send_header("Content-Length", str(len(data))); self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
pids+=($!)
sleep 1

home=$work/home
mkdir -p "$home/.aws" "$home/tree"
count=$work/codes
printf '#!/bin/sh\necho run >> %s\nsleep 1\necho 123456\n' "$count" > "$work/mfa-code"
chmod +x "$work/mfa-code"
{
  printf '[profile user]\nregion = us-east-1\nmfa_process = %s\n' "$work/mfa-code"
  printf '[profile role]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = user\nregion = us-east-1\n'
  for i in 1 2 3 4 5 6; do
    printf '[profile r%s]\nrole_arn = arn:aws:iam::12345678901%s:role/r%s\nsource_profile = user\nmfa_serial = arn:aws:iam::123456789012:mfa/user\nregion = us-east-1\n' "$i" "$i" "$i"
  done
} > "$home/.aws/config"
printf '[user]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' > "$home/.aws/credentials"
echo role > "$home/tree/.awsprofile"
export HOME=$home XDG_CACHE_HOME=$home/.cache XDG_CONFIG_HOME=$home/.config
export AWS_EC2_METADATA_DISABLED=true PATH="$venv/bin:$PATH"
"$bin" allow "$home/tree" >/dev/null

secs() { local t0 t1; t0=$(date +%s.%N); timeout "${CAP:-180}" "$@" >/dev/null 2>&1 </dev/null || true; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
echo "## Time to give up on a black-holed STS (s)"
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$hole
printf 'awsenv use role (default deadline)  %6.1f\n' "$(secs "$bin" use role)"
printf 'awsenv hook bash on cd (default)   %6.1f\n' "$(cd "$home/tree" && PWD=$home/tree secs "$bin" hook bash)"
printf 'aws sts get-caller-identity (v1)   %6.1f\n' "$(secs aws sts get-caller-identity --profile role)"
printf 'awsume role                        %6.1f\n' "$(secs awsumepy role)"

echo "## One burst of six runs, cold cache: MFA codes asked / GetSessionToken / AssumeRole"
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$proxy
burst() {
  rm -rf "$home/.cache" "$home/.aws/cli/cache" "$count" "$work/actions"
  local runs=()
  for p in "$@"; do "${tool[@]}" "$p" >/dev/null 2>&1 </dev/null & runs+=($!); done
  wait "${runs[@]}" || true
  printf '%-44s %d / %d / %d\n' "$label" "$(wc -l < "$count" 2>/dev/null || echo 0)" \
    "$(grep -c '^GetSessionToken$' "$work/actions" || true)" "$(grep -c '^AssumeRole$' "$work/actions" || true)"
}
tool=("$bin" use); label="awsenv use, six runs of r1"; burst r1 r1 r1 r1 r1 r1
label="awsenv use, r1..r6 behind one MFA user"; burst r1 r2 r3 r4 r5 r6
# The AWS CLI reads mfa_process? No: it prompts; feed it the code on stdin.
# The AWS CLI has no mfa_process: it prompts (on stderr) and reads the code from stdin; its
# prompts are what is counted.
cli() { echo 123456 | aws sts get-caller-identity --profile "$1" 2>&1 >/dev/null | grep -o 'Enter MFA code' >> "$count"; }
export -f cli; export count
tool=(bash -c 'cli "$0"'); label="aws (v1), six runs of r1"; burst r1 r1 r1 r1 r1 r1
