#!/usr/bin/env bash
# The day-2 output contracts, against fake docker programs (no engine
# needed): `status --json` is one document whatever fails; under
# `--progress json` every line on stderr is JSON, errors too; `up --dry-run`
# claims nothing; a signal gives 128 + its number and one line of what is
# left; `exec`'s own failures are 125; `logs -f` asks each host's engine.
#
#   tests/integration/day2_cli_test.sh RAYLAUNCH
set -uo pipefail
raylaunch=$(realpath "$1")
source "$(dirname "$0")/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0
failed=0
mkdir -m 700 locks
export RAYLAUNCH_LOCK_DIR=$work/locks

# expect NAME WANT_RC WANT_STDOUT WANT_STDERR -- COMMAND...: the whole of each.
expect() {
  local name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 5
  local out err rc
  out=$("$@" 2>"$work/err")
  rc=$?
  err=$(cat "$work/err")
  if [[ $rc == "$want_rc" && $out == "$want_out" && $err == "$want_err" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s: exit %s (want %s)\n--- stdout\n%s\n--- want\n%s\n--- stderr\n%s\n--- want\n%s\n' \
      "$name" "$rc" "$want_rc" "$out" "$want_out" "$err" "$want_err"
  fi
}

# A docker that records its argv and answers nothing, one whose engine is
# down, and one with a running head whose dashboard ($DEAD_PORT) and `ray
# status` do not answer.
cat >fake-docker <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_DOCKER_LOG"
SH
cat >dead-docker <<'SH'
#!/bin/sh
echo 'Cannot connect to the Docker daemon at unix:///nope.sock. Is the docker daemon running?' >&2
exit 1
SH
cat >silent-ray-docker <<'SH'
#!/bin/sh
case "$1" in
ps) printf 'id1\tdyray-head\trunning\thead\thead\t1\th\t0\t\thttp://127.0.0.1:%s\t\n' "$DEAD_PORT" ;;
exec) echo 'no ray here' >&2; exit 1 ;;
esac
SH
chmod +x fake-docker dead-docker silent-ray-docker
export FAKE_DOCKER_LOG=$work/docker.log
# A port of this test's on 127.0.0.1 that refuses connections (common.sh).
refused_port
DEAD_PORT=$REFUSED_PORT
export DEAD_PORT

# status --json: one document on stdout when the engine does not answer, the
# message on stderr as well, exit 1; with -f the plan's node count.
engine_down='the Docker engine at unix:///var/run/docker.sock does not answer: Cannot connect to the Docker daemon at unix:///nope.sock. Is the docker daemon running?'
status_doc() {  # status_doc PROJECT ERROR PLANNED RUNNING DASHBOARD [NODES]
  printf '{\n  "schema_version": 3,\n  "project": %s,\n  "healthy": false,\n  "error": "%s",\n  "nodes_planned": %s,\n  "nodes_running": %s,\n  "nodes_alive": 0,\n  "ray_reachable": false,\n  "ray_source": null,\n  "dashboard": "%s",\n  "hosts_unreachable": [],\n  "nodes": %s\n}' \
    "$1" "$2" "$3" "$4" "$5" "${6:-[]}"
}
engine_hint='hint: start it (as root: `dockerd &`, or `systemctl start docker`), or point DOCKER_HOST or --context at one that runs'
expect status-json-engine-down 1 "$(status_doc '"dyjson"' "$engine_down" 0 0 '')" \
  "raylaunch: error: $engine_down
$engine_hint" -- "$raylaunch" status -p dyjson --docker ./dead-docker --json
# small_spec FILE NAME PORTS REPLICAS: a head on PORTS ("GCS DASHBOARD
# CLIENT") and a cpu group.
small_spec() {
  local gcs dashboard client
  read -r gcs dashboard client <<<"$3"
  printf 'name: %s\nimage: ray:1\nhead:\n  ports: {gcs: %s, dashboard: %s, client: %s}\nworkers:\n  - group: cpu\n    replicas: %s\n' \
    "$2" "$gcs" "$dashboard" "$client" "$4" >"$1"
}
read -r gcs dashboard client <<<"$(free_ports 3)"
small_spec two.yml dytwo "$gcs $dashboard $client" 1
expect status-json-engine-down-spec 1 "$(status_doc '"dytwo"' "$engine_down" 2 0 "http://127.0.0.1:$dashboard")" \
  "raylaunch: error: $engine_down
$engine_hint" -- "$raylaunch" ps -f two.yml --docker ./dead-docker --json
expect status-json-no-project 2 "$(status_doc null 'no project: pass -p NAME or -f FILE, or run where raylaunch.yml is' 0 0 '')" \
  'raylaunch: error: no project: pass -p NAME or -f FILE, or run where raylaunch.yml is
hint: `docker ps --filter label=io.raylaunch.project` lists raylaunch'"'"'s containers' -- \
  "$raylaunch" status --docker ./dead-docker --json
ray_silent="neither Ray's dashboard at http://127.0.0.1:$DEAD_PORT (connect: Connection refused) nor \`ray status\` in dyray-head answered"
head_node='[
    {
      "name": "dyray-head",
      "host": null,
      "role": "head",
      "group": "head",
      "replica": 1,
      "state": "running",
      "ray_alive": false,
      "ray_state": null,
      "ray_message": null,
      "node_id": null,
      "node_ip": null,
      "resources": null,
      "cpus": 0,
      "gpus": ""
    }
  ]'
expect status-json-dashboard-dead 1 \
  "$(status_doc '"dyray"' "$ray_silent" 1 1 "http://127.0.0.1:$DEAD_PORT" "$head_node")" \
  "raylaunch: error: $ray_silent" -- "$raylaunch" status -p dyray --docker ./silent-ray-docker --json

# --progress json: the failure is an event too, so every line on stderr is JSON.
expect progress-json-engine-down 1 '' \
  '{"id":"raylaunch up","status":"Error","state":"error","error":"'"$engine_down"'","hint":"start it (as root: `dockerd &`, or `systemctl start docker`), or point DOCKER_HOST or --context at one that runs"}' \
  -- "$raylaunch" up -f two.yml --docker ./dead-docker --progress json
printf 'name: dybad\nimage: ray:1\nworkers:\n  - group: cpu\n    replics: 3\n' >bad.yml
expect progress-json-spec-error 2 '' \
  '{"id":"raylaunch up","status":"Error","state":"error","error":"unknown key \"replics\" in worker group \"cpu\"","hint":"did you mean \"replicas\"?","where":"bad.yml:5:5"}' \
  -- "$raylaunch" up -f bad.yml --progress json --docker ./fake-docker
expect progress-json-parse-error 2 '' \
  '{"id":"raylaunch up","status":"Error","state":"error","error":"unknown option \"--bogus\"","hint":"see raylaunch up --help"}' \
  -- "$raylaunch" --progress=json up --bogus
printf 'name: dywarn\nimage: ${DY_UNSET_IMAGE:?set it}\n' >warn.yml
expect progress-json-warning 0 '' \
  '{"id":"raylaunch down","status":"Warning","state":"warning","warning":"image: required variable DY_UNSET_IMAGE is missing a value: set it","hint":"set DY_UNSET_IMAGE in the environment or in the .env file beside the spec; down needs only the project'"'"'s name and goes on","where":"warn.yml:2:8"}
{"message":"nothing to remove for project \"dywarn\""}' \
  -- "$raylaunch" down -f warn.yml --progress json --docker ./fake-docker

# up --dry-run: the docker commands on stdout, what it would do on stderr,
# and no word that claims it was done; only look-ups reach the engine.
: >docker.log
dry_run() {
  "$raylaunch" up -f two.yml --docker ./fake-docker --dry-run "$@" | sed -E 's/config-hash=[0-9a-f]{64}/config-hash=HASH/'
}
want_dry="./fake-docker network create --driver bridge --label io.raylaunch.project=dytwo --label io.raylaunch.version=0.1.0 dytwo_net
./fake-docker run --detach --init --name dytwo-head --hostname dytwo-head --network dytwo_net --label io.raylaunch.config-hash=HASH --label io.raylaunch.dashboard=http://127.0.0.1:$dashboard --label io.raylaunch.group=head --label io.raylaunch.project=dytwo --label io.raylaunch.replica=1 --label io.raylaunch.role=head --label io.raylaunch.version=0.1.0 --env RAYLAUNCH_GROUP=head --env RAYLAUNCH_PROJECT=dytwo --env RAYLAUNCH_REPLICA=1 --env RAY_ADDRESS=dytwo-head:$gcs --shm-size 2147483648 --restart unless-stopped --publish 127.0.0.1:$gcs:$gcs --publish 127.0.0.1:$dashboard:$dashboard --publish 127.0.0.1:$client:$client ray:1 ray start --block --dashboard-host=0.0.0.0 --dashboard-port=$dashboard --head --node-name=dytwo-head --num-gpus=0 --port=$gcs --ray-client-server-port=$client
./fake-docker run --detach --init --name dytwo-cpu-1 --hostname dytwo-cpu-1 --network dytwo_net --label io.raylaunch.config-hash=HASH --label io.raylaunch.group=cpu --label io.raylaunch.project=dytwo --label io.raylaunch.replica=1 --label io.raylaunch.role=worker --label io.raylaunch.version=0.1.0 --env RAYLAUNCH_GROUP=cpu --env RAYLAUNCH_PROJECT=dytwo --env RAYLAUNCH_REPLICA=1 --env RAY_ADDRESS=dytwo-head:$gcs --env RAY_CLOUD_INSTANCE_ID=dytwo-cpu-1 --env RAY_NODE_TYPE_NAME=cpu --shm-size 2147483648 --restart unless-stopped ray:1 ray start --address=dytwo-head:$gcs --block --node-name=dytwo-cpu-1 --num-gpus=0"
expect dry-run-plain 0 "$want_dry" ' Network dytwo_net  Would create  0.0s
 Container dytwo-head  Would create  0.0s
 Container dytwo-cpu-1  Would create  0.0s
dry run: nothing was changed; stdout has the docker commands up would run for "dytwo"' -- dry_run --progress plain
expect dry-run-json 0 "$want_dry" '{"id":"Network dytwo_net","status":"Would create","state":"done","text":"","elapsed":0.0}
{"id":"Container dytwo-head","status":"Would create","state":"done","text":"","elapsed":0.0}
{"id":"Container dytwo-cpu-1","status":"Would create","state":"done","text":"","elapsed":0.0}
{"message":"dry run: nothing was changed; stdout has the docker commands up would run for \"dytwo\""}' -- dry_run --progress json
if [[ $(cut -d' ' -f1-2 docker.log | sort -u) == $'image inspect\nnetwork ls\nps -a' ]]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); printf 'FAIL --dry-run ran more than look-ups:\n%s\n' "$(cat docker.log)"
fi

# Signals during `up`: 130, 143, 129, and one line of what is left. The fake
# docker holds `run` until it may go on, so the signal comes while the head
# is being created; the workers are then never started.
# After the head's run, `ps` lists it running: the interrupted line counts
# what the engine runs, not this run's events.
cat >slow-docker <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_DOCKER_LOG"
if [ "$1" = run ]; then
  while [ ! -e "$RELEASE" ]; do sleep 0.05; done
  : >"$RELEASE.ran"
fi
if [ "$1" = ps ] && [ -e "$RELEASE.ran" ]; then
  project=${5#label=io.raylaunch.project=}
  printf 'id1\t%s-head\trunning\thead\thead\t0\t\t\t\t\t\t\n' "$project"
fi
SH
chmod +x slow-docker
small_spec three.yml dysig "$(free_ports 3)" 2
for pair in INT:130 TERM:143 HUP:129; do
  signal=${pair%%:*} code=${pair#*:}
  p=dysig-$(tr 'A-Z' 'a-z' <<<"$signal")
  rm -f release release.ran
  : >docker.log
  RELEASE=$work/release "$raylaunch" up -f three.yml -p "$p" --docker ./slow-docker --progress plain --no-wait >sig.out 2>sig.err &
  pid=$!
  for _ in $(seq 200); do grep -q '^run ' docker.log && break; sleep 0.05; done
  kill -"$signal" "$pid"
  touch release
  wait "$pid"
  rc=$?
  got=$(sed -E 's/  [0-9]+\.[0-9]s$//' sig.err)
  want=" Network ${p}_net  Creating
 Network ${p}_net  Created
 Container $p-head  Creating
 Container $p-head  Started
raylaunch: interrupted by SIG$signal: 1 of 3 planned containers are running; run \`raylaunch up\` to converge, or \`raylaunch down\`"
  if [[ $rc == "$code" && $got == "$want" && ! -s sig.out && $(grep -c '^run ' docker.log) == 1 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL SIG%s during up: exit %s (want %s)\n--- stderr\n%s\n--- want\n%s\n--- docker\n%s\n' \
      "$signal" "$rc" "$code" "$got" "$want" "$(cat docker.log)"
  fi
done

# A signal during `down` does not stop it half way: it removes the rest, then says so.
cat >slow-stop-docker <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_DOCKER_LOG"
case "$1" in
ps) printf 'id1\tdydown-head\trunning\thead\thead\t1\th\t0\t\t\t\n' ;;
stop) while [ ! -e "$RELEASE" ]; do sleep 0.05; done ;;
esac
SH
chmod +x slow-stop-docker
rm -f release
: >docker.log
RELEASE=$work/release "$raylaunch" down -p dydown --docker ./slow-stop-docker --progress plain >down.out 2>down.err &
pid=$!
for _ in $(seq 200); do grep -q '^stop ' docker.log && break; sleep 0.05; done
kill -TERM "$pid"
touch release
wait "$pid"
rc=$?
want=' Container dydown-head  Stopping
 Container dydown-head  Removed
raylaunch: interrupted by SIGTERM: down went on to the end; nothing of project "dydown" is left'
got=$(sed -E 's/  [0-9]+\.[0-9]s$//' down.err)
if [[ $rc == 143 && $got == "$want" && $(grep -c '^rm --force id1' docker.log) == 1 ]]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  printf 'FAIL SIGTERM during down: exit %s\n--- stderr\n%s\n--- want\n%s\n' "$rc" "$got" "$want"
fi

# exec: raylaunch's own failures are 125, like docker's, so 1 and 2 stay the command's.
expect exec-no-docker 125 '' 'raylaunch: error: docker program "/nonexistent/docker" not found
hint: install Docker (Debian: apt-get install docker.io), or pass --docker PATH' -- \
  "$raylaunch" exec -p dyexec --docker /nonexistent/docker head -- true
expect exec-bad-option 125 '' 'raylaunch: error: unknown option "--bogus"
hint: see raylaunch exec --help' -- "$raylaunch" exec -p dyexec --bogus head -- true
expect exec-bad-env 125 '' 'raylaunch: error: --env: expected KEY=VALUE or KEY, got "=1"
hint: see raylaunch exec --help' -- "$raylaunch" exec -p dyexec -e =1 head -- true
: >docker.log
expect exec-options 0 '' '' -- "$raylaunch" exec -p dyexec --docker ./fake-docker -T -i -e A=1 -e TOKEN -w /tmp -u 1000:100 head -- sh -c 'echo $A' </dev/null
check_log() {  # check_log NAME WANT: the fake docker's argv lines, whole
  if [[ $(cat docker.log) == "$2" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL %s argv:\n%s\n--- want\n%s\n' "$1" "$(cat docker.log)" "$2"; fi
}
check_log exec-options 'inspect --type container --format {{.Id}}	{{index .Config.Labels "io.raylaunch.project"}} dyexec-head
exec --interactive --env A=1 --env TOKEN --workdir /tmp --user 1000:100 dyexec-head sh -c echo $A'

# logs: every node's, from the engine of its host; -f follows them all, each
# line after its node's name padded as compose pads it; --timestamps and
# --since go to docker as given.
cat >hosts-docker <<'SH'
#!/bin/sh
host=local
if [ "$1" = --host ]; then host=$2; shift 2; fi
printf '%s %s\n' "$host" "$*" >>"$FAKE_DOCKER_LOG"
case "$1:$host" in
ps:local) printf 'id1\tdymh-head\trunning\thead\thead\t1\th\t0\t\t\t\n' ;;
ps:*) printf 'id2\tdymh-cpu-10\trunning\tworker\tcpu\t10\th\t1\t\t\t\n' ;;
logs:*) printf 'a line from %s\n' "$host"; printf 'half a line' ;;
inspect:*) printf 'exited false 0 2026-12-07T00:00:00.000000000Z\n' ;;
esac
SH
chmod +x hosts-docker
: >docker.log
expect logs-follow-hosts 0 'dymh-cpu-10  | a line from tcp://10.0.0.2:2376
dymh-cpu-10  | half a line
dymh-head    | a line from local
dymh-head    | half a line' 'raylaunch: dymh-cpu-10 stopped for good (exit 0); its log ends here
raylaunch: dymh-head stopped for good (exit 0); its log ends here' -- bash -c '
  out=$("$1" logs -f -t --since 10m -p dymh --host tcp://10.0.0.2:2376 --docker ./hosts-docker 2>follow.err)
  rc=$?; sort <<<"$out"; sort follow.err >&2; exit $rc' bash "$raylaunch"
# Between the lines, each node is looked at once its log ends (logs -f
# follows a node across restarts): here each has stopped for good.
if [[ $(grep -v -e ' logs ' -e ' inspect ' docker.log | cut -d' ' -f1-2 | sort) == $'local ps\ntcp://10.0.0.2:2376 ps' &&
      $(grep ' logs ' docker.log | sort) == 'local logs --follow --timestamps --since 10m dymh-head
tcp://10.0.0.2:2376 logs --follow --timestamps --since 10m dymh-cpu-10' ]]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); printf 'FAIL logs -f argv:\n%s\n' "$(cat docker.log)"
fi
: >docker.log
expect logs-all-hosts 0 'dymh-cpu-10  | a line from tcp://10.0.0.2:2376
dymh-cpu-10  | half a line
dymh-head    | a line from local
dymh-head    | half a line' '' -- "$raylaunch" logs --timestamps -p dymh --host tcp://10.0.0.2:2376 --docker ./hosts-docker
if [[ $(grep ' logs ' docker.log) == 'tcp://10.0.0.2:2376 logs --timestamps dymh-cpu-10
local logs --timestamps dymh-head' ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL logs argv:\n%s\n' "$(cat docker.log)"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
