#!/usr/bin/env bash
# Configures and builds raylaunch with a CMake preset (default: ci).
# Usage: scripts/build.sh [preset]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:-ci}
cd "$root"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
