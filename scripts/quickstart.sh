#!/usr/bin/env bash
# Installs what is missing, builds raylaunch and shows the plan of
# examples/quickstart.yml.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" ci >/dev/null
raylaunch=$root/build/ci/src/raylaunch
"$raylaunch" config -f examples/quickstart.yml
echo
echo "That is the plan. Next: $raylaunch up -f examples/quickstart.yml"
