#!/usr/bin/env bash
# `raylaunch init`: every shape of starter spec is one `config` accepts, it
# never overwrites a spec, and bad options are usage errors (exit 2).
#
#   tests/integration/init_test.sh RAYLAUNCH
set -uo pipefail

raylaunch=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

shapes=("" "--workers 0" "--workers 5" "--gpus 0,2" "--gpus 0 --workers 1"
  "--gpus GPU-6f1a0c2e-1b2c-4d5e-8f90-123456789abc" "--image registry.local/ray:2.52.1-py311"
  "--gpus 0,1,2,3 --workers 3 --image rayproject/ray:2.52.1-gpu")
for i in "${!shapes[@]}"; do
  shape=${shapes[$i]}
  dir="$work/My Project_$i"  # a folder name that is no project name as it is
  mkdir "$dir" && cd "$dir" || exit 1
  # shellcheck disable=SC2086
  "$raylaunch" init $shape >/dev/null || fail "init $shape: exit $?"
  for image in "" "raylaunch-standin:test"; do
    if ! out=$(env -u RAY_IMAGE ${image:+RAY_IMAGE=$image} "$raylaunch" config --format json 2>&1); then
      fail "config rejects the spec of init $shape (RAY_IMAGE=$image): $out"
    fi
  done
  grep -q '^# ' raylaunch.yml || fail "init $shape: no comments"
  # Every node of the plan with the GPU devices it gets: the head, --workers
  # cpu workers (2 by default), and one gpu worker per device of --gpus.
  workers=2 devices=()
  [[ $shape =~ --workers\ ([0-9]+) ]] && workers=${BASH_REMATCH[1]}
  [[ $shape =~ --gpus\ ([^ ]+) ]] && IFS=, read -ra devices <<<"${BASH_REMATCH[1]}"
  want=$(echo "head 1 -"
    for i in $(seq "$workers"); do echo "cpu $i -"; done
    for i in "${!devices[@]}"; do echo "gpu $((i + 1)) ${devices[$i]}"; done)
  got=$(python3 -c 'import json, sys
for c in json.load(sys.stdin)["containers"]:
    print(c["group"], c["replica"], ",".join(c["gpus"]) or "-")' <<<"$out" 2>&1)
  [[ $got == "$want" ]] || fail "init $shape: the plan's nodes and GPUs are
$got
want
$want"
done

cd "$work/My Project_0" || exit 1
before=$(cat raylaunch.yml)
err=$("$raylaunch" init --workers 9 2>&1 >/dev/null)
code=$?
[[ $code == 2 ]] || fail "init over an existing raylaunch.yml: exit $code, want 2"
grep -q 'raylaunch.yml already exists here; init does not overwrite it' <<<"$err" ||
  fail "init over an existing spec: message \"$err\""
[[ $(cat raylaunch.yml) == "$before" ]] || fail "init changed an existing raylaunch.yml"

mkdir "$work/bad" && cd "$work/bad" || exit 1
"$raylaunch" init --gpus 0,x >/dev/null 2>&1
[[ $? == 2 ]] || fail "init --gpus 0,x: want exit 2"
"$raylaunch" init --image 'bad image' >/dev/null 2>&1
[[ $? == 2 ]] || fail "init --image 'bad image': want exit 2"
[[ ! -e raylaunch.yml ]] || fail "a refused init wrote raylaunch.yml"

if ((failures > 0)); then
  exit 1
fi
echo "init: ${#shapes[@]} shapes accepted by config"
