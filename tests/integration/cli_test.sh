#!/usr/bin/env bash
# The raylaunch program as a user runs it: exit codes, stdout, and whole
# error messages on stderr. Needs no Docker.
set -uo pipefail
raylaunch=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect NAME WANT_RC WANT_STDERR -- COMMAND...: the exit code and the whole stderr.
expect() {
  local name=$1 want_rc=$2 want_err=$3
  shift 4
  local out err rc
  out=$("$@" 2>"$work/err")
  rc=$?
  err=$(cat "$work/err")
  if [[ $rc == "$want_rc" && $err == "$want_err" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s: exit %s (want %s)\n--- stderr\n%s\n--- want\n%s\n' "$name" "$rc" "$want_rc" "$err" "$want_err"
  fi
  LAST_OUT=$out
}

cd "$work"
cat > typo.yml <<'YAML'
name: demo
image: ray:1
workers:
  - group: cpu
    replics: 3
YAML
expect misspelled-key 2 'typo.yml:5:5: error: unknown key "replics" in worker group "cpu"
    5 |     replics: 3
      |     ^
hint: did you mean "replicas"?' -- "$raylaunch" config -f typo.yml

cat > gpu.yml <<'YAML'
name: demo
image: ray:1
gpus: [0, 2]
workers:
  - group: gpu
    replicas: 3
    gpus: 1
YAML
expect gpu-pool 2 'gpu.yml:7:11: error: worker group "gpu" needs 3 GPUs (3 replicas x 1), but only 2 of the 2 in the pool are left
    7 |     gpus: 1
      |           ^
hint: add devices to the top-level gpus: list, or lower replicas or gpus' -- "$raylaunch" config -f gpu.yml

cat > dup.yml <<'YAML'
name: demo
image: ray:1
workers:
  - group: cpu
  - group: cpu
YAML
expect duplicate-group 2 'dup.yml:5:12: error: two worker groups are named "cpu"
    5 |   - group: cpu
      |            ^
hint: the first is at dup.yml:4:12; give each group its own name' -- "$raylaunch" config -f dup.yml

expect missing-file 2 'raylaunch: error: cannot read spec "nope.yml": no such file
hint: pass the spec with -f FILE, or run where raylaunch.yml is' -- "$raylaunch" config -f nope.yml

expect no-default-spec 2 'raylaunch: error: no spec: raylaunch.yml is not in the current folder
hint: pass the spec with -f FILE' -- "$raylaunch" config

expect bad-project-flag 2 'raylaunch: error: invalid project name "Bad Name": must consist only of lowercase letters, digits, "-" and "_", and start with a letter or digit
hint: e.g. -p my-cluster' -- "$raylaunch" config -f dup.yml -p "Bad Name"

expect unknown-option 2 'raylaunch: error: The following argument was not expected: --bogus
hint: see raylaunch --help' -- "$raylaunch" config --bogus

# The default file, -p, --quiet, and the seed 004 example in JSON.
cp "$root/examples/quickstart.yml" raylaunch.yml
expect quiet 0 '' -- "$raylaunch" config --quiet
[[ -z $LAST_OUT ]] || { failed=$((failed + 1)); echo "FAIL quiet printed: $LAST_OUT"; }
expect project-flag 0 '' -- "$raylaunch" config --format json -p renamed
if grep -q '"name": "renamed-head"' <<<"$LAST_OUT"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL -p did not rename"; fi

expect gpu-example 0 '' -- "$raylaunch" config -f "$root/examples/gpu-workers.yml" --format json
summary=$(python3 -c '
import json, sys
plan = json.load(sys.stdin)
for c in plan["containers"]:
    gpus = [a for a in c["command"] if a.startswith("--num-gpus")]
    print(c["name"], ",".join(c["gpus"]) or "-", gpus[0])
' <<<"$LAST_OUT")
want='gpu-workers-head - --num-gpus=0
gpu-workers-gpu-1 0 --num-gpus=1
gpu-workers-gpu-2 2 --num-gpus=1'
if [[ $summary == "$want" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL gpu example:\n%s\n' "$summary"; fi

version=$("$raylaunch" --version)
if [[ $version == "raylaunch 0.1.0" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL version: $version"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
