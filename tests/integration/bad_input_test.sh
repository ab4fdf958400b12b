#!/usr/bin/env bash
# Every malformed spec in tests/data/bad/ against the real raylaunch binary.
#
#   tests/integration/bad_input_test.sh RAYLAUNCH [config|up]
#
# ctest runs the two parts as two tests: `config` (no engine needed) and `up`.
# For each NNN-name.yml, `raylaunch config -f NNN-name.yml` is run from that
# folder (so messages read `NNN-name.yml:4:5: error: ...`) in an empty
# environment (PATH, and HOME=/nonexistent), and must exit 2, print nothing on
# stdout, and print on stderr exactly the bytes of NNN-name.expected: the
# location, the source line, the caret and the hint. The folder's .env, read
# as the .env beside every spec, holds the variables no environment gives
# (a value that is no UTF-8, for 322).
#
# Then, when a Docker engine answers, `raylaunch up` on a sample of the specs
# must exit 2 and leave the engine's containers, networks and volumes as they
# were. A change that cannot be the spec's (no object named or labelled with
# its project: another program on the same engine) runs that check again, up
# to 5 times. Without an engine that part exits 77 (ctest: skipped), or fails
# under CI (common.sh).
set -uo pipefail
source "$(dirname "$0")/common.sh"

if (($# < 1 || $# > 2)) || [[ ${2:-all} != @(all|config|up) ]]; then
  echo "usage: $0 RAYLAUNCH [config|up]" >&2
  exit 2
fi
part=${2:-all}
raylaunch=$(realpath "$1")
if [[ ! -x $raylaunch ]]; then
  echo "FAIL - $1 is not an executable program" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data/bad" && pwd) || {
  echo "FAIL - no folder $here/../data/bad" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

min_specs=40
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }

shopt -s nullglob

# joined PROBLEM...: the problems on one line, separated by "; ".
joined() {
  local IFS=$'\x1f'
  local text="$*"
  echo "${text//$'\x1f'/; }"
}

if [[ $part != up ]]; then
  # Every spec has its expected stderr and every expected stderr its spec.
  for file in "$data"/*.yml; do
    [[ -f ${file%.yml}.expected ]] || fail "$(basename "$file") has no $(basename "${file%.yml}").expected"
  done
  for file in "$data"/*.expected; do
    [[ -f ${file%.expected}.yml ]] || fail "$(basename "$file") has no $(basename "${file%.expected}").yml"
  done

  # run_config NAME: `raylaunch config -f NAME.yml` from the data folder, in an
  # empty environment; leaves $work/out, $work/err and RC.
  run_config() {
    (cd "$data" && env -i PATH="$PATH" HOME=/nonexistent "$raylaunch" config -f "$1.yml") \
      >"$work/out" 2>"$work/err"
    RC=$?
  }

  count=0
  for file in "$data"/*.yml; do
    name=$(basename "$file" .yml)
    count=$((count + 1))
    [[ -f $data/$name.expected ]] || continue
    run_config "$name"
    problems=()
    [[ $RC == 2 ]] || problems+=("exit code $RC, want 2")
    [[ -s $work/out ]] && problems+=("stdout is not empty")
    cmp -s "$data/$name.expected" "$work/err" || problems+=("stderr differs from $name.expected")
    if ((${#problems[@]} == 0)); then
      pass "$name"
    else
      fail "$name: $(joined "${problems[@]}")"
      if [[ -s $work/out ]]; then
        echo "--- stdout"
        head -n 20 "$work/out"
      fi
      echo "--- diff of stderr (- expected, + got)"
      diff -u --label "$name.expected" --label "stderr" "$data/$name.expected" "$work/err"
    fi
  done

  if ((count >= min_specs)); then
    pass "$count specs in tests/data/bad (at least $min_specs)"
  else
    fail "only $count specs in tests/data/bad, want at least $min_specs"
  fi
fi

# `up` on a bad spec creates nothing: one spec of each kind, checked against
# everything on the engine, not only what carries raylaunch's labels.
up_sample=(
  001-yaml-bad-indent
  026-unknown-group-key-suggest
  042-type-replicas-string
  071-group-duplicate
  073-gpu-pool-too-small
  105-ray-args-object-store-not-bytes
  144-interp-required-missing
  151-no-image-head
)
up_attempts=5

# Every container, network and volume on the engine, one "KIND ID" a line.
engine_state() {
  {
    docker ps -aq --no-trunc | sed 's/^/container /'
    docker network ls -q --no-trunc | sed 's/^/network /'
    docker volume ls -q | sed 's/^/volume /'
  } | sort
}

# describe KIND ID: "KIND ID NAME project=LABEL", or nothing when it is gone.
describe() {
  local format='{{.Name}} project={{index .Labels "io.raylaunch.project"}}'
  case $1 in
    container) format='{{.Name}} project={{index .Config.Labels "io.raylaunch.project"}}' ;;
  esac
  local what
  what=$(docker "$1" inspect --format "$format" "$2" 2>/dev/null) || return 0
  echo "$1 $2 $what"
}

# project_of SPEC: the spec's name:, else the folder's (what raylaunch would use).
project_of() {
  local project
  project=$(sed -n 's/^name:[[:space:]]*\([a-z0-9][a-z0-9_-]*\)[[:space:]]*$/\1/p' "$1" | head -n 1)
  echo "${project:-$(basename "$(dirname "$1")")}"
}

if [[ $part == config ]]; then
  :
elif docker info >/dev/null 2>&1; then
  # The same engine as `docker` here, and nothing else from this shell.
  docker_env=(PATH="$PATH" HOME=/nonexistent)
  for variable in DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH; do
    [[ -n ${!variable:-} ]] && docker_env+=("$variable=${!variable}")
  done
  docker_config=${DOCKER_CONFIG:-${HOME:-/nonexistent}/.docker}
  [[ -d $docker_config ]] && docker_env+=(DOCKER_CONFIG="$docker_config")
  for name in "${up_sample[@]}"; do
    if [[ ! -f $data/$name.yml || ! -f $data/$name.expected ]]; then
      fail "up $name: the spec or its .expected is missing from tests/data/bad"
      continue
    fi
    project=$(project_of "$data/$name.yml")
    first_line=$(head -n 1 "$data/$name.expected")
    # Anything that changes on the engine fails the check when it could be
    # raylaunch's (the spec's project in its name or label). A change that
    # cannot be (another program using the same engine meanwhile) makes
    # the check run again, a bounded number of times.
    for ((attempt = 1; attempt <= up_attempts; attempt++)); do
      before=$(engine_state)
      (cd "$data" && env -i "${docker_env[@]}" "$raylaunch" up -f "$name.yml" --progress plain) \
        >"$work/out" 2>"$work/err"
      rc=$?
      after=$(engine_state)
      changed=$(diff <(echo "$before") <(echo "$after") | sed -n 's/^\([<>]\) /\1 /p')
      ours=""
      others=""
      while read -r sign kind id; do
        [[ -n $id ]] || continue
        what=$(describe "$kind" "$id")
        [[ -n $what ]] || what="$kind $id (gone)"
        if [[ $what == *" /$project-"* || $what == *" $project-"* || $what == *" ${project}_"* ||
          $what == *" project=$project" ]]; then
          ours+="$sign $what"$'\n'
        else
          others+="$sign $what"$'\n'
        fi
      done <<<"$changed"
      [[ -n $ours || -z $others ]] && break
      echo "note - up $name: the engine changed meanwhile, not by this spec (attempt $attempt of $up_attempts):"
      printf '%s' "$others" | sed 's/^/    /'
    done
    problems=()
    [[ $rc == 2 ]] || problems+=("exit code $rc, want 2")
    [[ -n $ours ]] && problems+=("the engine changed: objects of project $project")
    [[ -z $ours && -n $others ]] && problems+=("the engine kept changing in $up_attempts attempts; is something else using it?")
    grep -qxF -- "$first_line" "$work/err" || problems+=("stderr lacks the error of $name.expected")
    if ((${#problems[@]} == 0)); then
      pass "up $name creates nothing"
    else
      fail "up $name: $(joined "${problems[@]}")"
      echo "--- stderr"
      head -n 20 "$work/err"
      echo "--- engine changes (< gone, > new)"
      printf '%s%s' "$ours" "$others"
    fi
  done
else
  if ((failed > 0)); then
    echo "$passed passed, $failed failed"
    exit 1
  fi
  skip_or_fail "no Docker engine answers: up on bad specs cannot run"
fi

echo "$passed passed, $failed failed"
((failed == 0))
