#!/usr/bin/env bash
# `raylaunch autoscale` on a real Docker engine against the stand-in's GCS
# autoscaler service (gRPC on the GCS port), whose demand arises as in Ray:
# a job with entrypoint resources no node can hold is pending until a node
# with room joins (issue 20).
# Usage: autoscale_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

export RAYLAUNCH_LOCK_DIR=$WORK/locks

# scaled_spec FILE NAME [EXTRA_TOP_LEVEL_YAML [GROUP_YAML]]: a head with no CPUs and one group
# `cpu` of 2-CPU workers, min 0, max 3, idle_timeout 5s; the controller runs every second.
scaled_spec() {
  {
    echo "name: $2"
    echo "image: $STANDIN_IMAGE"
    echo "autoscale:"
    echo "  interval: 1s"
    [[ -n ${3:-} ]] && echo "$3"
    echo "head:"
    echo "  num_cpus: 0"
    echo "  ports: {gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT}"
    echo "workers:"
    echo "  - group: cpu"
    echo "    num_cpus: 2"
    echo "    min_replicas: 0"
    echo "    max_replicas: 3"
    echo "    idle_timeout: ${IDLE_TIMEOUT:-5s}"
    [[ -n ${4:-} ]] && echo "$4"
  } >"$1"
}

# The head's HTTP API, from the host.
api() { python3 -c 'import sys,urllib.request as u; print(u.urlopen(sys.argv[1]).read().decode())' "http://127.0.0.1:$DASHBOARD$1"; }
api_post() {
  python3 -c 'import sys,urllib.request as u
r = u.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"}, method="POST")
print(u.urlopen(r).read().decode())' "http://127.0.0.1:$DASHBOARD$1" "$2"
}
# "STATUS" of each job, sorted.
job_states() {
  api /api/jobs/ | python3 -c 'import json,sys; print("\n".join(sorted(j["status"] for j in json.load(sys.stdin))))'
}
# "name STATE message" of every node Ray lists, sorted.
ray_nodes() {
  api "/api/v0/nodes?detail=1&limit=1000" | python3 -c '
import json,sys
for n in sorted(json.load(sys.stdin)["data"]["result"]["result"], key=lambda n: n["node_name"]):
    print(n["node_name"], n["state"], n.get("state_message") or "")'
}
workers_of() { docker ps -a --filter "label=io.raylaunch.project=$1" --filter label=io.raylaunch.role=worker --format '{{.Names}}' | sort; }
ids_of() { docker ps -a --filter "label=io.raylaunch.project=$1" --filter label=io.raylaunch.role=worker --format '{{.ID}}' | sort | paste -sd,; }
count_is() { [[ $(workers_of "$1" | grep -c .) == "$2" ]]; }

export -f api job_states  # for polls under bash -c (project() exports DASHBOARD)

# start_controller FILE: `raylaunch autoscale` in the background, its lines in ctl.log.
start_controller() {
  "$RAYLAUNCH" autoscale -f "$1" --progress plain --log-level info >ctl.log 2>&1 &
  CTL=$!
}
stop_controller() {
  kill -TERM "$CTL"
  wait "$CTL"
  check "SIGTERM ends the controller with 143" 143 $?
  check "its last line says so" "raylaunch: interrupted by SIGTERM" "$(tail -1 ctl.log)"
}

case $scenario in
jobs)
  # Three jobs of 2 CPUs bring up exactly three workers; a fourth waits for a
  # free one instead of a fourth node; once idle for 5 s each is drained,
  # Ray has it DEAD with the drain's reason, and its container is gone.
  project jobs
  scaled_spec a.yml "$P"
  "$RAYLAUNCH" up -f a.yml --progress plain >/dev/null 2>&1
  check "up exits 0" 0 $?
  check "up starts the head alone (min_replicas 0)" "$P-head running" "$(containers_of "$P")"
  start_controller a.yml
  for i in 1 2 3 4; do
    "$RAYLAUNCH" submit -f a.yml --no-wait --submission-id "job$i-$P" --entrypoint-num-cpus 2 -- sleep 15 >/dev/null
  done
  poll 30 "three jobs run and the fourth waits" bash -c "[[ \"\$(job_states)\" == \$'PENDING\nRUNNING\nRUNNING\nRUNNING' ]]"
  check "three workers, one per running job" "$P-cpu-1
$P-cpu-2
$P-cpu-3" "$(workers_of "$P")"
  poll 60 "every job succeeds" bash -c "[[ \"\$(job_states)\" == \$'SUCCEEDED\nSUCCEEDED\nSUCCEEDED\nSUCCEEDED' ]]"
  check "no fourth worker was ever made" 0 "$(grep -c "$P-cpu-4" ctl.log)"
  check "the controller launched replicas 1, 2 and 3, each once" "1
2
3" "$(grep -o 'launch [0-9]* x cpu (replica [0-9, ]*)' ctl.log | grep -o '([^)]*)' | tr -d '()a-z ' | tr ',' '\n' | sort)"
  check "it said why the fourth waited" 1 "$(grep -c 'waiting: 1 x {"CPU": 2}: group cpu is at max_replicas 3' ctl.log)"
  poll 40 "the idle workers are drained and removed" count_is "$P" 0
  check "each drain said why" 3 "$(grep -c "drain $P-cpu-[123]: idle for [0-9]*s, past idle_timeout 5s" ctl.log)"
  check "Ray has each DEAD with the drain's reason" "$P-cpu-1 DEAD Terminated due to idle (no Ray activity): Termination of node that's idle for 5 seconds.
$P-cpu-2 DEAD Terminated due to idle (no Ray activity): Termination of node that's idle for 5 seconds.
$P-cpu-3 DEAD Terminated due to idle (no Ray activity): Termination of node that's idle for 5 seconds.
$P-head ALIVE " "$(ray_nodes | sed -E 's/idle for [0-9]+ seconds/idle for 5 seconds/')"
  "$RAYLAUNCH" status -f a.yml >status.out 2>&1
  check "status shows the group back at 0" "  cpu: 0 replicas (min 0, max 3)" "$(grep '  cpu:' status.out)"
  stop_controller
  check "the cluster stays as it is" "$P-head running" "$(containers_of "$P")"
  ;;

busy)
  # A job running 30 s on an autoscaled worker keeps its node to the end,
  # though idle_timeout is 3 s; then the idle worker goes.
  project busy
  IDLE_TIMEOUT=3s scaled_spec a.yml "$P"
  "$RAYLAUNCH" up -f a.yml --progress plain >/dev/null 2>&1
  start_controller a.yml
  "$RAYLAUNCH" submit -f a.yml --no-wait --submission-id "long-$P" --entrypoint-num-cpus 2 -- sleep 30 >/dev/null
  poll 30 "the job runs on a new worker" bash -c "[[ \"\$(job_states)\" == RUNNING ]]"
  first=$(ids_of "$P")
  seen=""
  deadline=$((SECONDS + 60))
  while [[ $(job_states) == RUNNING ]] && ((SECONDS < deadline)); do
    seen+="$(ids_of "$P")|"
    said=$(wc -l <ctl.log)
    sleep 1
  done
  check "the job succeeds" SUCCEEDED "$(job_states)"
  check "one worker, the same container, ran throughout" "" "$(tr '|' '\n' <<<"${seen%|}" | grep -vx "$first")"
  check "and it was $P-cpu-1" "$P-cpu-1" "$(workers_of "$P")"
  check "no drain while it ran" 0 "$(head -n "$said" ctl.log | grep -c drain)"
  poll 20 "then the idle worker is drained and removed" count_is "$P" 0
  stop_controller
  ;;

infeasible)
  # Demand no group can hold launches nothing; status shows it.
  project infeasible
  scaled_spec a.yml "$P"
  "$RAYLAUNCH" up -f a.yml --progress plain >/dev/null 2>&1
  "$RAYLAUNCH" submit -f a.yml --no-wait --submission-id "big-$P" --entrypoint-num-cpus 64 -- true >/dev/null
  poll 10 "the job waits for resources" bash -c "[[ \"\$(job_states)\" == PENDING ]]"
  "$RAYLAUNCH" autoscale -f a.yml --once --progress plain >once.log 2>&1
  check "one round exits 0" 0 $?
  check "it says the demand is infeasible" " Autoscale  Decided  infeasible: 1 x {\"CPU\": 64}: no worker group's replica can hold it  0.0s" "$(cat once.log)"
  check "and launches nothing" "" "$(workers_of "$P")"
  "$RAYLAUNCH" status -f a.yml >status.out 2>&1
  check "status shows it" "Autoscaling:
  cpu: 0 replicas (min 0, max 3)
  pending: 1 x {\"CPU\": 64}
  infeasible: 1 x {\"CPU\": 64}: no worker group's replica can hold it
  last round: TIME
  last decision (TIME): infeasible: 1 x {\"CPU\": 64}: no worker group's replica can hold it" \
    "$(sed -n '/^Autoscaling:/,$p' status.out | sed -E 's/[0-9]{4}-[0-9-]+T[0-9:]+Z/TIME/g')"
  "$RAYLAUNCH" status -f a.yml --json >status.json 2>/dev/null
  check "status --json has it" '{"groups": {"cpu": {"replicas": 0, "min_replicas": 0, "max_replicas": 3, "idle_timeout_s": 5.0}}, "pending": ["1 x {\"CPU\": 64}"], "infeasible": ["1 x {\"CPU\": 64}: no worker group'"'"'s replica can hold it"], "waiting": []}' \
    "$(python3 -c 'import json,sys; a=json.load(open("status.json"))["autoscale"]; [a.pop(k) for k in ("controller_updated","controller_error","last_decision","last_decision_at")]; print(json.dumps(a))')"
  "$RAYLAUNCH" job stop -f a.yml "big-$P" >/dev/null 2>&1
  ;;

pg)
  # A placement group of 3 STRICT_SPREAD bundles brings up 3 distinct workers.
  project pg
  scaled_spec a.yml "$P"
  "$RAYLAUNCH" up -f a.yml --progress plain >/dev/null 2>&1
  start_controller a.yml
  api_post /api/standin/placement_groups '{"bundles": [{"CPU": 1}, {"CPU": 1}, {"CPU": 1}], "strategy": "STRICT_SPREAD", "name": "spread"}' >/dev/null
  poll 30 "three workers come up" count_is "$P" 3
  poll 20 "the group is placed" bash -c "[[ \$(api /api/standin/placement_groups | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"placement_groups\"][0][\"state\"])') == CREATED ]]"
  check "its bundles are on three distinct nodes" 3 \
    "$(api /api/standin/placement_groups | python3 -c 'import json,sys; g=json.load(sys.stdin)["placement_groups"]; print(len({b["node_id"] for b in g[0]["bundles"]}))')"
  check "one decision launched them together" 1 "$(grep -c 'launch 3 x cpu (replica 1, 2, 3): placement group STRICT_SPREAD of 3 bundles' ctl.log)"
  stop_controller
  ;;

faults)
  # The controller outlives a head that restarts and a worker removed by
  # hand; SIGTERM in the middle of a round leaves only whole, labelled
  # containers, and the next round converges.
  project faults
  scaled_spec a.yml "$P" "" "    replicas: 1
    stop_grace_period: 2s"
  sed -i 's/min_replicas: 0/min_replicas: 1/' a.yml
  "$RAYLAUNCH" up -f a.yml --progress plain >/dev/null 2>&1
  check "up starts min_replicas workers" "$P-cpu-1" "$(workers_of "$P")"
  start_controller a.yml
  docker rm -f "$P-cpu-1" >/dev/null
  poll 20 "a worker removed by hand is replaced to keep min_replicas" bash -c "[[ \$(docker inspect -f '{{.State.Running}}' $P-cpu-1 2>/dev/null) == true ]]"
  docker restart "$P-head" >/dev/null
  # Its GCS starts afresh (counters, session); two jobs of 2 CPUs then need
  # the worker that rejoined and one more, which the controller launches.
  poll 30 "the restarted head takes a job" "$RAYLAUNCH" submit -f a.yml --no-wait --submission-id "after1-$P" --entrypoint-num-cpus 2 -- sleep 8
  "$RAYLAUNCH" submit -f a.yml --no-wait --submission-id "after2-$P" --entrypoint-num-cpus 2 -- sleep 8 >/dev/null
  poll 60 "both jobs succeed after the restart" bash -c "[[ \"\$(job_states)\" == \$'SUCCEEDED\nSUCCEEDED' ]]"
  check "the controller still runs after the head restarted" 0 "$(kill -0 "$CTL"; echo $?)"

  check "it launched a second worker for them" 1 "$(grep -cE 'launch 1 x cpu \(replica 2\): pending [12] x \{"CPU": 2\}' ctl.log)"
  stop_controller
  # SIGTERM while a round creates containers.
  for i in 1 2 3; do
    "$RAYLAUNCH" submit -f a.yml --no-wait --entrypoint-num-cpus 2 -- sleep 20 >/dev/null
  done
  # A docker wrapper holds each `docker run` until the test has sent
  # SIGTERM, so the signal lands while the round creates containers.
  cat >held-docker <<WRAPPER
#!/usr/bin/env bash
if [[ \$1 == run ]]; then
  touch held
  for _ in \$(seq 300); do [[ -e go ]] && break; sleep 0.1; done
fi
exec docker "\$@"
WRAPPER
  chmod +x held-docker
  "$RAYLAUNCH" autoscale -f a.yml --docker ./held-docker --progress plain --log-level info >ctl.log 2>&1 &
  CTL=$!
  poll 20 "the round is creating a worker" test -e held
  kill -TERM "$CTL"
  touch go
  wait "$CTL"
  check "SIGTERM mid-round exits 143" 143 $?
  check "the round was cut short" 1 "$(grep -c 'Autoscale  Waiting  interrupted' ctl.log)"
  check "every container of the project is whole, labelled and running" "" \
    "$(docker ps -a --filter "name=^$P-" --format '{{.Names}} {{.Label "io.raylaunch.project"}} {{.State}}' | grep -v " $P running\$")"
  "$RAYLAUNCH" autoscale -f a.yml --once --progress plain >once.log 2>&1
  check "the next round exits 0" 0 $?
  poll 30 "it converges: three workers for three jobs" bash -c "[[ \"\$(job_states | grep -c RUNNING)\" == 3 ]]"
  check "three workers, none twice" "$P-cpu-1
$P-cpu-2
$P-cpu-3" "$(workers_of "$P")"
  ;;

idle-down)
  # idle_down: the cluster goes down about 10 s after its last job, never
  # while one runs (a job without resources holds no node).
  project idledown
  scaled_spec a.yml "$P" "  idle_down: 10s"
  "$RAYLAUNCH" up -f a.yml --progress plain >/dev/null 2>&1
  "$RAYLAUNCH" submit -f a.yml --no-wait --submission-id "last-$P" -- sleep 15 >/dev/null
  start_controller a.yml
  poll 30 "the job ends" bash -c "[[ \"\$(job_states)\" == SUCCEEDED ]]"
  ended=$SECONDS
  check "the cluster was up while the job ran" "$P-head running" "$(containers_of "$P")"
  wait "$CTL"
  check "the controller exits 0 after down" 0 $?
  took=$((SECONDS - ended))
  check "down came 8 to 20 s after the job ended" yes "$( ((took >= 8 && took <= 20)) && echo yes || echo "no: $took s")"
  check "one line says why" 1 "$(grep -c "^raylaunch autoscale: project \"$P\" went down: no job, driver or demand, and every node idle for 1[0-9]s (idle_down 10s)$" ctl.log)"
  check "nothing of the project is left" "" "$(containers_of "$P")$(networks_of "$P")"
  ;;

run)
  # run with an autoscaled group: the controller runs beside the job, whose
  # demand brings its worker up.
  project run
  scaled_spec a.yml "$P"
  "$RAYLAUNCH" run -f a.yml --entrypoint-num-cpus 2 -- sh -c 'echo on a worker' >out 2>err
  check "run exits 0" 0 $?
  check "the job's log" "on a worker" "$(tail -1 out)"
  check "the controller launched its worker" 1 "$(grep -c "launch 1 x cpu (replica 1): pending 1 x {\"CPU\": 2}" err)"
  check "run removed the cluster" "" "$(containers_of "$P")"
  ;;

serve)
  # Seed 004 on its own: a Serve deployment whose replica asks a resource
  # only an autoscaled group (min_replicas 0) has is pending demand in Ray;
  # the controller brings up a worker of that group, and the app turns RUNNING
  # (issue 21 with issue 20).
  project serve
  serve_port=$(free_ports 1)
  cat >a.yml <<EOF
name: $P
image: $STANDIN_IMAGE
autoscale:
  interval: 1s
head:
  num_cpus: 0
  ports: {gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT, serve: $serve_port}
workers:
  - group: accel
    num_cpus: 1
    resources: {accel: 1}
    min_replicas: 0
    max_replicas: 2
    idle_timeout: 5s
serve:
  applications:
    - name: echo
      route_prefix: /echo
      import_path: standin_echo:app
      deployments:
        - name: Echo
          num_replicas: 1
          ray_actor_options: {num_cpus: 1, resources: {accel: 1}}
EOF
  start_controller a.yml
  "$RAYLAUNCH" up -f a.yml --progress plain --timeout 90 >up.out 2>up.err
  code=$?
  check "up --wait returns 0 once the app runs" 0 "$code"
  [[ $code == 0 ]] || cat up.err
  check "the controller launched one accel worker for the replica" 1 \
    "$(grep -c 'launch 1 x accel (replica 1): pending 1 x {"CPU": 1, "accel": 1}' ctl.log)"
  check "the route answers" echo "$(python3 -c 'import sys,urllib.request as u; print(u.urlopen(sys.argv[1]).read().decode())' "http://127.0.0.1:$serve_port/echo")"
  check "one worker, of that group" "$P-accel-1" "$(workers_of "$P")"
  stop_controller
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
