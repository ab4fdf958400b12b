#!/usr/bin/env bash
# Tests the ray stand-in's GCS autoscaler service (Ray's AutoscalerStateService
# over gRPC on the head's GCS port; a test fixture, not Ray) and the demand
# behind it on a real Docker engine: builds the image with
# scripts/standin-image.sh, then runs standin_autoscaler_test.py, a Python
# gRPC client of tests/support/autoscaler.proto. Removes what it creates.
#
# Usage: tests/support/standin_autoscaler_test.sh
# Env:   DOCKER (default docker), STANDIN_IMAGE (default raylaunch/ray-standin:test;
#        rebuilt under that tag). Needs protoc and a python3 with grpcio and
#        protobuf (Debian's python3-grpcio and python3-protobuf).
# Prints "N passed, 0 failed" last and exits 0 when every check passes.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${STANDIN_IMAGE:-raylaunch/ray-standin:test}
source "$root/tests/integration/common.sh"

"${DOCKER:-docker}" info >/dev/null 2>&1 || skip_or_fail "no Docker engine answers"
python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import grpc, google.protobuf' 2>/dev/null; then
    python=$p
    break
  fi
done
[[ -n $python ]] || skip_or_fail "no python3 with grpcio and protobuf (apt-get install -y python3-grpcio python3-protobuf)"
command -v protoc >/dev/null || skip_or_fail "no protoc (apt-get install -y protobuf-compiler)"

"$root/scripts/standin-image.sh" "$image" >/dev/null || {
  echo "FAIL: scripts/standin-image.sh $image" >&2
  exit 1
}
exec "$python" "$here/standin_autoscaler_test.py" "$image"
