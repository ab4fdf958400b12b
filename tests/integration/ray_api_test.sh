#!/usr/bin/env bash
# Readiness and status from Ray's own API (the head's dashboard), by node
# name, on a real Docker engine with the uid-1000 ray stand-in.
# Usage: ray_api_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

# The RAY column and the notes of `status`, without the table's padding.
ray_rows() { awk '$2 ~ /^(head|worker|-)$/ {print $1, $4, $5}' "$1"; }
# The node ids Ray lists for NAME, ALIVE or DEAD, from the dashboard.
node_states() {
  python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v0/nodes?limit=1000&detail=true", timeout=5) as r:
    nodes = json.load(r)["data"]["result"]["result"]
print(" ".join(sorted(n["state"] for n in nodes if n["node_name"] == sys.argv[2])))
PY
}
# A counting docker wrapper: every docker command raylaunch runs, a line each.
counting() { DOCKER_COUNT_LOG=$WORK/count.log "$RAYLAUNCH" "$@" --docker "$root/bench/docker-counting.sh"; }

case $scenario in
byname)
  # A worker stopped by hand is shown by name: not running, DEAD in Ray's
  # list with Ray's reason; status exits 1; up heals it.
  project byname; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  : >"$WORK/count.log"
  counting up -f c.yml --progress plain --timeout 60 >/dev/null 2>up.err
  check "up exits 0" 0 $?
  check "up --wait ran no docker exec" "0" "$(grep -c '^exec' "$WORK/count.log")"
  : >"$WORK/count.log"
  counting status -f c.yml >status.out
  check "status exits 0" 0 $?
  check "status is one docker ps, no docker exec" "ps" "$(cut -d' ' -f1 "$WORK/count.log")"
  docker stop -t 5 "$p-cpu-2" >/dev/null
  poll 30 "status shows $p-cpu-2 dead in Ray" bash -c "\"$RAYLAUNCH\" status -f c.yml | grep -q '^$p-cpu-2: dead in Ray'"
  "$RAYLAUNCH" status -f c.yml >status.out
  check "status exits 1 with a worker stopped" 1 $?
  check "each row is Ray's view of that node" "$p-head running alive
$p-cpu-1 running alive
$p-cpu-2 exited dead" "$(ray_rows status.out)"
  check "Ray's reason is shown" "$p-cpu-2: dead in Ray: Expected termination: received SIGTERM" "$(grep ': dead in Ray' status.out)"
  check "Ray's count" "Ray: 2 of 3 nodes alive" "$(grep '^Ray:' status.out)"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up heals it" 0 $?
  "$RAYLAUNCH" status -f c.yml >status.out
  check "every node alive again" "0 Ray: 3 of 3 nodes alive" "$? $(grep '^Ray:' status.out)"
  ;;

restart)
  # Ray in a worker dies, Docker restarts the container (unless-stopped): it
  # rejoins under its name with a new node id, and the old DEAD entry is ignored.
  project restart; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up exits 0" 0 $?
  before=$("$RAYLAUNCH" status -f c.yml --json | python3 -c 'import json,sys; print([n["node_id"] for n in json.load(sys.stdin)["nodes"] if n["name"].endswith("-cpu-1")][0])')
  docker exec "$p-cpu-1" sh -c 'kill -9 $(cat /tmp/ray/standin.pid)'
  poll 60 "Docker restarts the worker" bash -c "[[ \$(docker inspect -f '{{.RestartCount}}' $p-cpu-1) -ge 1 ]]"
  poll 60 "status exits 0 once the worker rejoined" "$RAYLAUNCH" status -f c.yml
  "$RAYLAUNCH" status -f c.yml >status.out
  check "status exits 0 again" 0 $?
  check "Ray lists the old entry DEAD and the new one ALIVE" "ALIVE DEAD" "$(node_states "$DASHBOARD" "$p-cpu-1")"
  check "status shows the node alive" "$p-cpu-1 running alive" "$(ray_rows status.out | grep -- "-cpu-1")"
  after=$("$RAYLAUNCH" status -f c.yml --json | python3 -c 'import json,sys; print([n["node_id"] for n in json.load(sys.stdin)["nodes"] if n["name"].endswith("-cpu-1")][0])')
  check "with its new node id" 1 "$([[ -n $after && $after != "$before" ]] && echo 1 || echo 0)"
  check "no dead note for it" "" "$(grep ': dead in Ray' status.out)"
  ;;

byhand)
  # A node someone joined by hand appears in status, without a container of
  # the project; it does not make the cluster unhealthy.
  project byhand; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up exits 0" 0 $?
  # The head publishes 16620 on the host; inside the network Ray's GCS
  # listens on 6379 (16620 lies in Ray's worker port range).
  docker run -d --name "$p-extra" --network "${p}_net" "$STANDIN_IMAGE" \
    ray start --address="$p-head:$GCS" --node-name=by-hand-node --num-cpus=3 --block >/dev/null
  poll 30 "status lists the node joined by hand" bash -c "\"$RAYLAUNCH\" status -f c.yml | grep -q '^by-hand-node'"
  "$RAYLAUNCH" status -f c.yml >status.out
  check "status exits 0" 0 $?
  check "the hand-joined node is a row of its own" "by-hand-node - - no container alive 3 -" \
    "$(grep '^by-hand-node' status.out | tr -s ' ')"
  check "the plan's count is unchanged" "Ray: 2 of 2 nodes alive" "$(grep '^Ray:' status.out)"
  docker rm -f "$p-extra" >/dev/null
  ;;

token)
  # Token auth: up waits on the dashboard with the token; status with the
  # spec sends it, and without the spec reads it from the head after a 401.
  project token; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  printf 'auth: {mode: token}\n' >>c.yml
  : >"$WORK/count.log"
  counting up -f c.yml --progress plain --timeout 60 >/dev/null 2>up.err
  check "up exits 0" 0 $?
  check "up --wait ran no docker exec" "0" "$(grep -c '^exec' "$WORK/count.log")"
  check "the dashboard refuses a request without the token" 401 \
    "$(python3 -c 'import urllib.request,urllib.error,sys
try: urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v0/nodes", timeout=5); print(200)
except urllib.error.HTTPError as e: print(e.code)' "$DASHBOARD")"
  "$RAYLAUNCH" status -f c.yml >status.out
  check "status with the spec" "0 Ray: 2 of 2 nodes alive" "$? $(grep '^Ray:' status.out)"
  "$RAYLAUNCH" status -p "$p" --verbose >status.out 2>status.err
  check "status without the spec" "0 Ray: 2 of 2 nodes alive" "$? $(grep '^Ray:' status.out)"
  check "it read the token after a 401" "GET http://127.0.0.1:$DASHBOARD$(printf '%s' '/api/v0/nodes?limit=10000&timeout=5&detail=true') (401" \
    "$(grep -o 'GET http[^ ]* (401' status.err | head -1)"
  token=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$p-head" | sed -n 's/^RAY_AUTH_TOKEN=//p')
  check "the token is in no output" "" "$(grep -F -- "$token" status.out status.err up.err)"
  ;;

fallback)
  # No dashboard (Ray started without it): status counts with `ray status`
  # in the head and says so; up --wait falls back to it too.
  project fallback; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  sed -i 's/^  num_cpus: 0$/  num_cpus: 0\n  ray_args: {include-dashboard: false}/' c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 --verbose >/dev/null 2>up.err
  check "up exits 0 without a dashboard" 0 $?
  check "up says it fell back" 1 "$(grep -c "asking \`ray status\` in $p-head instead" up.err | awk '{print ($1 >= 1)}')"
  "$RAYLAUNCH" status -f c.yml --verbose >status.out 2>status.err
  check "status exits 0" 0 $?
  check "status counted with ray status, each node by its log" \
    "Ray: 2 of 2 nodes alive by their logs; ray status in the head counts 2 and names none" \
    "$(grep '^Ray:' status.out)"
  check "rows alive by their logs" "$p-head running alive
$p-cpu-1 running alive" "$(ray_rows status.out)"
  check "verbose says why" 1 "$(grep -c "the dashboard did not answer" status.err | awk '{print ($1 >= 1)}')"
  # A node joined by hand counts too: with it and a planned worker stopped,
  # the count still says 2, but status does not call the worker alive.
  docker run -d --name "$p-extra" --network "${p}_net" "$STANDIN_IMAGE" \
    ray start --address="$p-head:$GCS" --node-name=by-hand-node --num-cpus=3 --block >/dev/null
  poll 30 "ray status counts the node joined by hand" \
    bash -c "\"$RAYLAUNCH\" status -f c.yml | grep -q 'counts 3 and'"
  docker stop -t 5 "$p-cpu-1" >/dev/null
  poll 30 "ray status counts 2 with a planned worker stopped" \
    bash -c "\"$RAYLAUNCH\" status -f c.yml | grep -q 'counts 2 and'"
  "$RAYLAUNCH" status -f c.yml >status.out
  check "a count made whole by a node joined by hand: status exits 1" 1 $?
  check "and says which planned nodes it can vouch for" \
    "Ray: 1 of 2 nodes alive by their logs; ray status in the head counts 2 and names none" \
    "$(grep '^Ray:' status.out)"
  check "the stopped worker is not alive" "$p-head running alive
$p-cpu-1 exited -" "$(ray_rows status.out)"
  docker rm -f "$p-extra" >/dev/null
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
