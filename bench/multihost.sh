#!/usr/bin/env bash
# up across two real engines (this one and scripts/second-engine.sh's) against
# each host's own floor: `up --no-wait` of the head and 8 workers spread over
# both hosts, next to each host's share alone (a head and 4 workers). Both
# engines run on this one machine and share its CPUs, so the floor is also
# taken the fair way: the two hosts' shares brought up at the same time, as
# two projects, which is what two machines would do in parallel. The target:
# spread <= that floor x 1.10. Also counts the `docker ps` that status and
# down run per host (--verbose). N runs each, alternated, median.
#   bench/multihost.sh [--runs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
raylaunch=$(realpath "${RAYLAUNCH:-$root/build/ci/src/raylaunch}")
second=$root/scripts/second-engine.sh
runs=5
[[ ${1:-} == --runs ]] && runs=$2
E2=unix:///run/docker-rlb2.sock
work=$(mktemp -d)
cleanup() {
  cd /
  for f in "$work"/*.yml; do "$raylaunch" down -f "$f" --progress plain >/dev/null 2>&1 || true; done
  "$second" down >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"$second" up raylaunch/ray-standin:test >/dev/null
cd "$work"
# spec FILE NAME HEAD_HOST HOSTS REPLICAS
spec() {
  cat >"$1" <<YAML
name: $2
image: raylaunch/ray-standin:test
network: {mode: host, port_base: 27000, worker_ports: 10}
hosts:
  a: {address: 10.231.0.1}
  b: {docker: "$E2", address: 10.231.0.2}
head:
  host: $3
  num_cpus: 0
  ports: {gcs: 27950, dashboard: 27951, client: 27952}
workers:
  - group: cpu
    replicas: $5
    num_cpus: 1
    hosts: [$4]
YAML
}
spec spread.yml bench-mh a "a, b" 8
spec a.yml bench-mha a a 4
spec b.yml bench-mhb b b 4
now() { date +%s.%N; }
declare -A took
for i in $(seq 0 "$runs"); do
  for f in spread a b; do
    start=$(now)
    "$raylaunch" up -f $f.yml --no-wait --progress plain >/dev/null 2>&1
    end=$(now)
    "$raylaunch" down -f $f.yml --progress plain >/dev/null 2>&1
    ((i == 0)) && continue  # a warm-up round
    took[$f]+="$(echo "$end - $start" | bc) "
  done
  start=$(now)
  "$raylaunch" up -f a.yml --no-wait --progress plain >/dev/null 2>&1 &
  "$raylaunch" up -f b.yml --no-wait --progress plain >/dev/null 2>&1
  wait
  end=$(now)
  "$raylaunch" down -f a.yml --progress plain >/dev/null 2>&1
  "$raylaunch" down -f b.yml --progress plain >/dev/null 2>&1
  ((i == 0)) || took[both]+="$(echo "$end - $start" | bc) "
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread=$(echo "${took[spread]}" | median)
a=$(echo "${took[a]}" | median)
b=$(echo "${took[b]}" | median)
both=$(echo "${took[both]}" | median)
floor=$(echo "if ($a > $b) $a else $b" | bc)
echo "up --no-wait, head + 8 workers over a and b: $spread s (median of $runs)"
echo "each host's share alone (head + 4 workers): a $a s, b $b s; ratio to the slower: $(echo "scale=3; $spread / $floor" | bc)"
echo "both shares at once, as two machines would: $both s; ratio: $(echo "scale=3; $spread / $both" | bc) (target <= 1.10)"
"$raylaunch" up -f spread.yml --no-wait --progress plain >/dev/null 2>&1
for cmd in status down; do
  "$raylaunch" $cmd -f spread.yml --verbose --progress plain >/dev/null 2>log || true
  echo "$cmd: docker ps on a: $(grep -c "^.*docker ps -a" log | head -1) total, on b: $(grep -c "docker --host $E2 ps -a" log)"
done
