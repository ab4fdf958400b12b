#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole suite (the
# Docker tests on a real engine, started here when none answers and we are
# root), the unit suite again under ASan and UBSan, and a bounded fuzz run of
# load + plan (FUZZ_SECONDS, default 60). `.ci/run` runs this with CI=true:
# then (as with CI=1) a test that cannot run fails the run instead of being
# skipped (tests/integration/common.sh).
# Usage: scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -L unit
#   (with arguments, only that ctest selection of the main build runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh" --docker
"$root/scripts/build.sh" ci
if "$root/scripts/docker-engine.sh"; then
  "$root/scripts/standin-image.sh"
elif [[ ${CI:-} == true || ${CI:-} == 1 ]]; then
  echo "raylaunch: CI=${CI} and no Docker engine: the Docker tests cannot run" >&2
  exit 1
fi
if [[ $# -gt 0 ]]; then
  exec ctest --preset ci "$@"
fi
ctest --preset ci

echo "== the unit suite under AddressSanitizer and UndefinedBehaviorSanitizer"
"$root/scripts/build.sh" asan
ctest --preset asan -L unit

echo "== fuzzing load + plan for ${FUZZ_SECONDS:-60} s"
"$root/scripts/fuzz.sh"
