#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. `.ci/run` runs this.
# Usage: scripts/test.sh [ctest arguments...], e.g. scripts/test.sh -L unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" ci
ctest --preset ci "$@"
