#!/usr/bin/env bash
# Every example's RayCluster (`raylaunch export kuberay`) against KubeRay's
# CRD, as the API server would check it (check_raycluster.py). The CRD is not
# part of raylaunch: CI has ../shared beside the clone. Without it, or without
# python3-jsonschema and python3-yaml, the test exits 77 (ctest: skipped), or
# fails under CI (common.sh). Needs no Docker.
#
#   tests/integration/export_crd_test.sh RAYLAUNCH
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/common.sh"
raylaunch=$(realpath "$1")
crd="$root/../shared/reference/kuberay/ray.io_rayclusters.yaml"
# A spec with serve: exports a RayService (issue 21), checked against its CRD.
service_crd="$root/../shared/reference/kuberay/ray.io_rayservices.yaml"

python3 -c 'import jsonschema, yaml' 2>/dev/null ||
  skip_or_fail "the CRD check needs python3-jsonschema and python3-yaml (scripts/install-deps.sh --docker)"
[[ -f $crd && -f $service_crd ]] ||
  skip_or_fail "the RayCluster schema check needs KubeRay's CRD at $crd (ray-project/kuberay, ray-operator/config/crd/bases/ray.io_rayclusters.yaml; CI has ../shared beside the clone)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
count=0
for example in "$root"/examples/*.yml; do
  name=$(basename "$example" .yml)
  count=$((count + 1))
  if ! env -u RAY_IMAGE "$raylaunch" export kuberay -f "$example" -o "$work/$name.kuberay.yaml" \
    2>"$work/err"; then
    echo "FAIL - export kuberay of $name: $(cat "$work/err")"
    failed=$((failed + 1))
  fi
done
services=$(grep -lE '^kind: "?RayService"?$' "$work"/*.kuberay.yaml | wc -l)
with_serve=$(grep -l '^serve:' "$root"/examples/*.yml | wc -l)
if ((services != with_serve)); then
  echo "FAIL - $with_serve examples have serve:, but $services RayServices were written"
  failed=$((failed + 1))
fi
if ! python3 "$here/check_raycluster.py" "$crd" "$service_crd" "$work"/*.kuberay.yaml >"$work/crd.out" 2>&1; then
  echo "FAIL - a RayCluster fails KubeRay's CRD schema:"
  sed "s|$work/||" "$work/crd.out"
  failed=$((failed + 1))
fi
((count > 0)) || { echo "FAIL - no example in $root/examples"; failed=$((failed + 1)); }
echo "$count exports ($services RayServices) checked against KubeRay's CRDs, $failed problems"
((failed == 0))
