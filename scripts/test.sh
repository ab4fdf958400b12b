#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test, the Docker ones on a
# real engine (started here when none answers and we are root). `.ci/run`
# runs this. With CI=true a Docker test that cannot run fails the run.
# Usage: scripts/test.sh [ctest arguments...], e.g. scripts/test.sh -L unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh" --docker
"$root/scripts/build.sh" ci
if "$root/scripts/docker-engine.sh"; then
  "$root/scripts/standin-image.sh"
elif [[ ${CI:-} == true ]]; then
  echo "raylaunch: CI=true and no Docker engine: the Docker tests cannot run" >&2
  exit 1
fi
ctest --preset ci "$@"
