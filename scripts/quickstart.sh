#!/usr/bin/env bash
# Installs what is missing, builds raylaunch, brings up examples/quickstart.yml
# on the local Docker engine and shows `raylaunch status`.
#
# The image is $RAY_IMAGE (default rayproject/ray:2.52.1) when it is here or
# can be pulled. Otherwise the cluster runs on the ray stand-in, a small test
# fixture that imitates Ray's CLI (it is not Ray), and this script says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh" --docker
"$root/scripts/build.sh" ci >/dev/null
"$root/scripts/docker-engine.sh"
raylaunch=$root/build/ci/src/raylaunch

image=${RAY_IMAGE:-rayproject/ray:2.52.1}
if docker image inspect "$image" >/dev/null 2>&1 || timeout 600 docker pull "$image"; then
  echo "Using Ray image $image."
else
  "$root/scripts/standin-image.sh" >/dev/null
  echo "Ray image $image is not here and cannot be pulled (no registry reachable)."
  echo "Using raylaunch/ray-standin:test instead: a test fixture that imitates Ray's CLI, not Ray."
  echo "Set RAY_IMAGE to a Ray image you have to run real Ray."
  image=raylaunch/ray-standin:test
fi
echo

RAY_IMAGE=$image "$raylaunch" up -f examples/quickstart.yml
echo
"$raylaunch" status -f examples/quickstart.yml
echo
echo "Take it down with: $raylaunch down -f examples/quickstart.yml"
