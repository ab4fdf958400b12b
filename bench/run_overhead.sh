#!/usr/bin/env bash
# `raylaunch run`'s own overhead: the time of `run -- JOB` against the sum of
# `up`, `submit -- JOB` and `down` run one after the other, on a real engine
# with the ray stand-in, alternated, N runs each (median).
#   bench/run_overhead.sh [--runs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
raylaunch=$root/build/ci/src/raylaunch
runs=5
[[ ${1:-} == --runs ]] && runs=$2
work=$(mktemp -d)
trap 'cd /; "$raylaunch" down -p bench-run --progress plain >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$work"
cat >raylaunch.yml <<YAML
name: bench-run
image: raylaunch/ray-standin:test
head:
  num_cpus: 0
  ports: {gcs: 27900, dashboard: 27901, client: 27902}
workers:
  - group: cpu
    replicas: 2
    num_cpus: 1
YAML
job="echo smoke"
now() { date +%s.%N; }
separate=()
together=()
for i in $(seq 0 "$runs"); do
  start=$(now)
  "$raylaunch" up --progress plain >/dev/null 2>&1
  "$raylaunch" submit -- "$job" >/dev/null 2>&1
  "$raylaunch" down --progress plain >/dev/null 2>&1
  mid=$(now)
  "$raylaunch" run --progress plain -- "$job" >/dev/null 2>&1
  end=$(now)
  if ((i > 0)); then  # the first round warms up
    separate+=("$(awk -v a="$start" -v b="$mid" 'BEGIN {print b - a}')")
    together+=("$(awk -v a="$mid" -v b="$end" 'BEGIN {print b - a}')")
  fi
done
python3 - "${separate[*]}" "${together[*]}" <<'PY'
import statistics, sys
sep = [float(x) for x in sys.argv[1].split()]
run = [float(x) for x in sys.argv[2].split()]
s, r = statistics.median(sep), statistics.median(run)
print(f"up + submit + down: median {s:.3f} s (min {min(sep):.3f}, max {max(sep):.3f})")
print(f"run:                median {r:.3f} s (min {min(run):.3f}, max {max(run):.3f})")
print(f"run's own overhead: {r - s:+.3f} s ({len(run)} runs each)")
PY
