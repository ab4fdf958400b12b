# Shared by the Docker integration tests: a real engine, the real raylaunch
# binary and the ray stand-in image. Sourced, not run.
#
# A test without an engine exits 77 (ctest counts it skipped) on a
# developer's machine; under CI (CI=true or 1) that is a failure: the suite
# must run (common.sh).

set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RAYLAUNCH=$(realpath "$1")
STANDIN_IMAGE=${STANDIN_IMAGE:-raylaunch/ray-standin:test}
export RAY_IMAGE=$STANDIN_IMAGE
WORK=$(mktemp -d)
PROJECTS=()
PASSED=0
FAILED=0

docker info >/dev/null 2>&1 || skip_or_fail "no Docker engine answers"
docker image inspect "$STANDIN_IMAGE" >/dev/null 2>&1 ||
  skip_or_fail "image $STANDIN_IMAGE is missing: run scripts/standin-image.sh"

cleanup() {
  local project
  for project in "${PROJECTS[@]}"; do
    "$RAYLAUNCH" down -p "$project" --progress plain >/dev/null 2>&1
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# project NAME [PREFIX]: sets P to a project name unique to this run
# (PREFIX$$-NAME, PREFIX "it" by default), and PORTS to three free host ports
# for its head ("GCS DASHBOARD CLIENT", also as GCS, DASHBOARD and CLIENT);
# finish() takes it down and checks that nothing with its label is left.
project() {
  P="${2:-it}$$-$1"
  PROJECTS+=("$P")
  PORTS=$(free_ports 3)
  read -r GCS DASHBOARD CLIENT <<<"$PORTS"
  export GCS DASHBOARD CLIENT  # for helpers that run under bash -c
}

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }

# check DESCRIPTION WANT GOT
check() {
  if [[ $2 == "$3" ]]; then
    pass "$1"
  else
    fail "$1"
    printf -- '--- want\n%s\n--- got\n%s\n' "$2" "$3"
  fi
}

# The project's containers as "name state" lines, sorted, from Docker itself.
containers_of() {
  docker ps -a --filter "label=io.raylaunch.project=$1" --format '{{.Names}} {{.State}}' | sort
}
ids_of() {
  docker ps -a --filter "label=io.raylaunch.project=$1" --format '{{.Names}} {{.ID}}' | sort
}
networks_of() {
  docker network ls --filter "label=io.raylaunch.project=$1" --format '{{.Name}}' | sort
}

# poll DEADLINE_SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, or
# until time is up: then it fails the test ("WHAT") and returns 1. A poll
# cannot be ignored: what a test waits for is one of its checks.
poll() {
  local seconds=$1 what=$2
  local deadline=$((SECONDS + seconds))
  shift 2
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  if "$@" >/dev/null 2>&1; then
    return 0
  fi
  fail "$what (not within $seconds s)"
  return 1
}

# spec FILE NAME PORTS [GROUP REPLICAS [ENV_VALUE]]...: writes a small spec,
# its head on PORTS ("GCS DASHBOARD CLIENT", as project() sets them).
spec() {
  local file=$1 name=$2 gcs dashboard client
  read -r gcs dashboard client <<<"$3"
  shift 3
  {
    echo "name: $name"
    echo "image: $STANDIN_IMAGE"
    echo "head:"
    echo "  num_cpus: 0"
    echo "  ports: {gcs: $gcs, dashboard: $dashboard, client: $client}"
    echo "workers:"
    while (($# >= 2)); do
      echo "  - group: $1"
      echo "    replicas: $2"
      echo "    num_cpus: 1"
      if (($# >= 3)) && [[ $3 != -* ]]; then
        echo "    env: {MARK: \"$3\"}"
        shift
      fi
      shift 2
    done
  } >"$file"
}

finish() {
  local project
  for project in "${PROJECTS[@]}"; do
    "$RAYLAUNCH" down -p "$project" --progress plain >/dev/null 2>&1
    check "down of $project exits 0" 0 $?
    check "nothing of $project is left" "" \
      "$(containers_of "$project")$(networks_of "$project")$(docker volume ls -q --filter "label=io.raylaunch.project=$project")"
  done
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED == 0 ]]
}
