#!/usr/bin/env bash
# Small contracts of issue 22 that need the binary but no engine: exec's 125
# when the engine cannot be reached, export's --namespace and -o -, init's
# --gpus. Usage: contracts_test.sh RAYLAUNCH ROOT
set -uo pipefail
RAYLAUNCH=$(realpath "$1")
ROOT=$(realpath "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
PASSED=0
FAILED=0
check() {
  if [[ $2 == "$3" ]]; then
    PASSED=$((PASSED + 1)); echo "ok - $1"
  else
    FAILED=$((FAILED + 1)); echo "FAIL - $1"; printf -- '--- want\n%s\n--- got\n%s\n' "$2" "$3"
  fi
}

# exec: the engine was never reached, so the command never ran: 125, docker's words.
DOCKER_HOST=unix:///nonexistent/docker.sock "$RAYLAUNCH" exec -p demo head -- true >out 2>err
check "exec with no engine at the socket exits 125" 125 $?
check "and says docker's words" 1 "$(grep -c 'Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock' err)"

# export kuberay --namespace takes a Kubernetes name only.
spec=$ROOT/examples/quickstart.yml
"$RAYLAUNCH" export kuberay -f "$spec" --namespace 'x; kubectl delete ns prod' >out 2>err
check "a --namespace that is not a Kubernetes name: exit 2, nothing on stdout" "2 " "$? $(cat out)"
check "its message" 'raylaunch: error: --namespace "x; kubectl delete ns prod" is not a Kubernetes namespace name
hint: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit' "$(cat err)"
"$RAYLAUNCH" export kuberay -f "$spec" --namespace "$(printf 'a%.0s' {1..64})" >/dev/null 2>&1
check "a 64-character namespace: exit 2" 2 $?
"$RAYLAUNCH" export kuberay -f "$spec" --namespace ray-jobs -o - >out 2>err
check "-o - writes to stdout" "0 1" "$? $(grep -c '^  namespace: "ray-jobs"$' out)"
check "and no file named -" "no" "$([[ -e - ]] && echo yes || echo no)"
check "the same as without -o" "$(cat out)" "$("$RAYLAUNCH" export kuberay -f "$spec" --namespace ray-jobs 2>/dev/null)"

# init --gpus: UUIDs taken, a device twice refused; what init writes, config takes.
mkdir twice uuid
(cd twice && "$RAYLAUNCH" init --gpus 0,0 >out 2>err)
check "init --gpus 0,0: exit 2, nothing written" "2 no" "$? $([[ -e twice/raylaunch.yml ]] && echo yes || echo no)"
check "its message" 'raylaunch: error: --gpus names device "0" twice
hint: list each device once, e.g. --gpus 0,1' "$(cat twice/err)"
(cd uuid && "$RAYLAUNCH" init --gpus GPU-8f3c2d1e-5b6a-4c7d-9e0f-1a2b3c4d5e6f,GPU-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d >out 2>err)
check "init --gpus with GPU UUIDs: exit 0" 0 $?
(cd uuid && "$RAYLAUNCH" config -q)
check "config takes what it wrote" 0 $?
check "the UUIDs are the spec's gpus" 1 \
  "$(grep -c '^gpus: \[GPU-8f3c2d1e-5b6a-4c7d-9e0f-1a2b3c4d5e6f, GPU-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\]' uuid/raylaunch.yml)"

echo "$PASSED passed, $FAILED failed"
[[ $FAILED == 0 ]]
