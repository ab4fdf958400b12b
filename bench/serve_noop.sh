#!/usr/bin/env bash
# A no-op `up` of a cluster with Serve (issue 21): after the first `up`, each
# further one checks the containers, Ray's nodes and Serve's apps and sends
# nothing (0 PUTs). Times N of them (median and best) with serve: and, on the
# same cluster, with the spec's serve: left out, so Serve's share shows; on a
# real engine with the ray stand-in.
#   bench/serve_noop.sh [--runs N] [--image TAG]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
raylaunch=$root/build/ci/src/raylaunch
runs=10
image=raylaunch/ray-standin:test
while (($#)); do
  case $1 in
  --runs) runs=$2; shift 2 ;;
  --image) image=$2; shift 2 ;;
  *) echo "usage: $0 [--runs N] [--image TAG]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'cd /; "$raylaunch" down -p bench-serve --progress plain >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"
read -r gcs dashboard client serve < <(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cat >with.yml <<YAML
name: bench-serve
image: $image
head:
  num_cpus: 0
  ports: {gcs: $gcs, dashboard: $dashboard, client: $client, serve: $serve}
workers:
  - group: cpu
    replicas: 2
    num_cpus: 1
YAML
cp with.yml without.yml
cat >>with.yml <<YAML
serve:
  applications:
    - name: echo
      route_prefix: /echo
      import_path: standin_echo:app
YAML
"$raylaunch" up -f with.yml --progress plain --timeout 120 >/dev/null 2>&1
# time SPEC: seconds of one `up`, which must send Serve nothing.
time_up() {
  local start end
  start=$(date +%s.%N)
  "$raylaunch" up -f "$1" --progress plain --verbose >/dev/null 2>log
  end=$(date +%s.%N)
  if grep -qE '(PUT|DELETE) http://[^ ]*/api/serve/' log; then
    echo "a no-op up sent Serve a PUT or DELETE" >&2
    exit 1
  fi
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}
stats() { sort -n | awk '{v[NR] = $1} END {printf "median %.3f s, best %.3f s (%d runs)\n", v[int((NR + 1) / 2)], v[1], NR}'; }
with=()
without=()
for _ in $(seq 1 "$runs"); do
  with+=("$(time_up with.yml)")
  without+=("$(time_up without.yml)")
done
echo "no-op up with serve:    $(printf '%s\n' "${with[@]}" | stats)"
echo "no-op up without serve: $(printf '%s\n' "${without[@]}" | stats)"
