#!/usr/bin/env bash
# raylaunch autoscale on the real engine and the ray stand-in (issue 20):
#   1. from a job's submission to its new worker ALIVE in Ray and to the job
#      RUNNING (goal: at most one interval + the container's start + 1 s);
#   2. from the job's end to its idle worker gone (goal: idle_timeout + one
#      interval);
#   3. the controller over IDLE_SECONDS (default 600) of an idle cluster: its
#      CPU (goal under 1% of a core), its memory (goal under 20 MB) and the
#      docker commands per round (goal 0).
# Usage: bench/autoscale.sh RAYLAUNCH [ROUNDS]     (env: IDLE_SECONDS, STANDIN_IMAGE)
# Results go to stdout; docs/performance.md records them with the date.
set -uo pipefail
raylaunch=$(realpath "$1")
rounds=${2:-3}
idle_seconds=${IDLE_SECONDS:-600}
image=${STANDIN_IMAGE:-raylaunch/ray-standin:test}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
project=bench$$-scale
export RAYLAUNCH_LOCK_DIR=$work/locks
ctl=""
trap '"$raylaunch" down -p "$project" --progress plain >/dev/null 2>&1; kill "$ctl" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
read -r gcs dash client < <(python3 "$here/../tests/integration/ports.py" free 3)
cat >a.yml <<EOF
name: $project
image: $image
autoscale:
  interval: 5s
head:
  num_cpus: 0
  ports: {gcs: $gcs, dashboard: $dash, client: $client}
workers:
  - group: cpu
    num_cpus: 2
    min_replicas: 0
    max_replicas: 2
    idle_timeout: 5s
EOF
"$raylaunch" up -f a.yml --progress plain >/dev/null 2>&1 || { echo "up failed" >&2; exit 1; }
ms() { date +%s%3N; }
api() { python3 -c 'import sys,urllib.request as u; print(u.urlopen(sys.argv[1]).read().decode())' "http://127.0.0.1:$dash$1"; }
node_alive() {
  api "/api/v0/nodes?limit=1000" | python3 -c 'import json,sys
print(any(n["node_name"] == sys.argv[1] and n["state"] == "ALIVE" for n in json.load(sys.stdin)["data"]["result"]["result"]))' "$1" | grep -q True
}
job_is() { [[ $(api "/api/jobs/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') == "$2" ]]; }
# wait_until CMD...: polls every 20 ms; gives up after 120 s.
wait_until() {
  local deadline=$((SECONDS + 120))
  while ! "$@" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "bench: gave up waiting for: $*" >&2; exit 1; }
    sleep 0.02
  done
}
state=$RAYLAUNCH_LOCK_DIR/$project.autoscale.json
# next_round: waits until the controller has written its state file again.
next_round() {
  local before
  before=$(stat -c %.9Y "$state" 2>/dev/null || echo none)
  wait_until bash -c '[[ $(stat -c %.9Y "$1" 2>/dev/null) != "$2" && -e $1 ]]' _ "$state" "$before"
}
gone() { [[ -z $(docker ps -aq --filter "name=^$1\$") ]]; }

DOCKER_COUNT_LOG=$work/docker.log REAL_DOCKER=$(command -v docker) \
  "$raylaunch" autoscale -f a.yml --progress plain --docker "$here/docker-counting.sh" >ctl.log 2>&1 &
ctl=$!
next_round  # the controller's first round
echo "== 1-2. submission -> worker ALIVE -> job RUNNING; job end -> worker gone (interval 5 s, idle_timeout 5 s)"
for i in $(seq 1 "$rounds"); do
  id=bench-$i-$$
  t0=$(ms)
  "$raylaunch" submit -f a.yml --no-wait --submission-id "$id" --entrypoint-num-cpus 2 -- sleep 2 >/dev/null
  wait_until node_alive "$project-cpu-1"
  t1=$(ms)
  wait_until job_is "$id" RUNNING
  t2=$(ms)
  started=$(docker inspect -f '{{.Created}} {{.State.StartedAt}}' "$project-cpu-1" | python3 -c '
import sys,datetime
a,b=[datetime.datetime.fromisoformat(x[:26].rstrip("Z")) for x in sys.stdin.read().split()]
print(int((b-a).total_seconds()*1000))')
  wait_until job_is "$id" SUCCEEDED
  t3=$(ms)
  wait_until gone "$project-cpu-1"
  t4=$(ms)
  echo "round $i: ALIVE after $((t1 - t0)) ms, RUNNING after $((t2 - t0)) ms (container create->start $started ms); worker gone $((t4 - t3)) ms after the job ended"
done
echo "== 3. the controller over ${idle_seconds}s of an idle cluster"
next_round  # a whole round after the last worker went
next_round
: >"$work/docker.log"
c0=$(awk '{print $14 + $15}' /proc/$ctl/stat)
t0=$(ms)
sleep "$idle_seconds"
c1=$(awk '{print $14 + $15}' /proc/$ctl/stat)
t1=$(ms)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/$ctl/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$ctl/status)
calls=$(wc -l <"$work/docker.log")
python3 - "$c0" "$c1" "$t0" "$t1" "$hz" "$rss" "$hwm" "$calls" <<'EOF'
import sys
c0, c1, t0, t1, hz, rss, hwm, calls = map(int, sys.argv[1:])
seconds = (t1 - t0) / 1000
rounds = seconds / 5
print(f"CPU: {(c1 - c0) / hz:.2f} s in {seconds:.0f} s = {100 * (c1 - c0) / hz / seconds:.3f}% of a core")
print(f"memory: RSS {rss / 1024:.1f} MiB, peak {hwm / 1024:.1f} MiB")
print(f"docker commands: {calls} in {rounds:.0f} rounds = {calls / rounds:.2f} per idle round")
EOF
kill -TERM "$ctl"
wait "$ctl"
echo "controller exit after SIGTERM: $?"
