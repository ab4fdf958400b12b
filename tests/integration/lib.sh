# Shared by the Docker integration tests: a real engine, the real raylaunch
# binary and the ray stand-in image. Sourced, not run.
#
# A test without an engine exits 77 (ctest counts it skipped) on a
# developer's machine; with CI=true that is a failure: the suite must run.

set -uo pipefail
RAYLAUNCH=$(realpath "$1")
STANDIN_IMAGE=${STANDIN_IMAGE:-raylaunch/ray-standin:test}
export RAY_IMAGE=$STANDIN_IMAGE
WORK=$(mktemp -d)
PROJECTS=()
PASSED=0
FAILED=0

skip_or_fail() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $* (CI=true: Docker tests must run, not skip)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

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
# (PREFIX$$-NAME, PREFIX "it" by default); finish() takes it down and checks
# that nothing with its label is left.
project() {
  P="${2:-it}$$-$1"
  PROJECTS+=("$P")
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

# poll DEADLINE_SECONDS COMMAND...: runs COMMAND until it succeeds or time is up.
poll() {
  local deadline=$((SECONDS + $1))
  shift
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  "$@" >/dev/null 2>&1
}

# spec FILE NAME [GROUP REPLICAS [ENV_VALUE]]...: writes a small spec.
spec() {
  local file=$1 name=$2 port=$3
  shift 3
  {
    echo "name: $name"
    echo "image: $STANDIN_IMAGE"
    echo "head:"
    echo "  num_cpus: 0"
    echo "  ports: {gcs: $port, dashboard: $((port + 1)), client: $((port + 2))}"
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
