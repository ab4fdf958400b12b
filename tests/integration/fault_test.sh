#!/usr/bin/env bash
# Faults, concurrency, injection and secrets on a real Docker engine with the
# ray stand-in. Every scenario ends with `down` and checks that nothing with
# the project's label is left (lib.sh finish()).
# Usage: fault_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

# head_pid_kill CONTAINER: Ray in the container dies as if it crashed.
ray_crash() {
  docker exec "$1" sh -c 'kill -9 $(cat /tmp/ray/standin.pid)'
}
status_code() {
  "$RAYLAUNCH" status "$@" >/dev/null 2>&1
  echo $?
}

case $scenario in
run-fails)
  # One worker's `docker run` fails half way: up stops starting new work,
  # names the node and Docker's message, exits 1; the next up converges.
  # The failure is injected by a docker wrapper that refuses one `run`.
  project runfail; p=$P
  spec c.yml "$p" "$PORTS" cpu 4
  cat >faulty-docker <<WRAPPER
#!/usr/bin/env bash
if [[ \$1 == run && " \$* " == *" --name $p-cpu-2 "* ]]; then
  echo 'docker: Error response from daemon: failed to create task for container: injected fault.' >&2
  exit 125
fi
exec docker "\$@"
WRAPPER
  chmod +x faulty-docker
  "$RAYLAUNCH" up -f c.yml --docker ./faulty-docker --parallel 1 --progress plain >out 2>err
  check "up exits 1" 1 $?
  check "names the node, the command and Docker's message" "raylaunch: error: cannot start $p-cpu-2: docker run: Error response from daemon: failed to create task for container: injected fault.
hint: fix the cause and run \`raylaunch up\` again; it converges from here" "$(sed -n '/^raylaunch: error/,$p' err)"
  check "no new work after the failure" "$p-cpu-1 running
$p-head running" "$(containers_of "$p")"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "the next up converges" 0 $?
  check "every node runs" "$p-cpu-1 running
$p-cpu-2 running
$p-cpu-3 running
$p-cpu-4 running
$p-head running" "$(containers_of "$p")"
  ;;

missing-image)
  # A group whose image does not exist: found before anything is created.
  project noimg; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  printf '  - group: broken\n    replicas: 2\n    image: raylaunch/does-not-exist:%s\n' "$$" >>c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain >out 2>err
  check "up exits 1" 1 $?
  check "names the image" "raylaunch: error: image raylaunch/does-not-exist:$$ is not here and cannot be pulled" \
    "$(grep '^raylaunch: error' err | sed 's/: docker pull: .*//')"
  check "nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"
  sed -i "s#raylaunch/does-not-exist:$$#$STANDIN_IMAGE#" c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "after the fix up converges" 0 $?
  check "4 nodes" 4 "$(containers_of "$p" | grep -c running)"
  ;;

port-taken)
  # A host port taken by a listener: named before anything is created.
  project port; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$GCS" &
  listener=$!
  poll 10 "a listener on 127.0.0.1:$GCS" bash -c "ss -ltn | grep -q ' 127.0.0.1:$GCS '"
  "$RAYLAUNCH" up -f c.yml --progress plain >out 2>err
  check "up exits 1 naming the port and node" "1 raylaunch: error: host port 127.0.0.1:$GCS (gcs of $p-head) is already taken" \
    "$? $(head -1 err)"
  check "nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"
  kill $listener; wait $listener 2>/dev/null
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "with the port free up converges" 0 $?
  ;;

sigint)
  # SIGINT during up: exit 130, every container has its labels, the next up
  # converges. SIGKILL during up: down still removes everything.
  project intr; p=$P
  spec c.yml "$p" "$PORTS" cpu 10
  "$RAYLAUNCH" up -f c.yml --parallel 1 --progress plain >out 2>err &
  pid=$!
  poll 30 "up creates a worker" bash -c "docker ps -a --filter label=io.raylaunch.project=$p -q | wc -l | grep -qv '^[01]$'"
  kill -INT $pid
  wait $pid
  check "interrupted up exits 130" 130 $?
  made=$(docker ps -a --filter "name=^$p-" -q | sort)
  check "every container made has the project's label" "$made" \
    "$(docker ps -a --filter "label=io.raylaunch.project=$p" -q | sort)"
  check "it stopped early" 1 "$(( $(echo "$made" | wc -l) < 11 ))"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "the next up converges" "0 11" "$? $(containers_of "$p" | grep -c running)"
  "$RAYLAUNCH" down -f c.yml --progress plain >/dev/null 2>&1
  "$RAYLAUNCH" up -f c.yml --parallel 1 --progress plain >/dev/null 2>&1 &
  pid=$!
  poll 30 "up creates a worker" bash -c "docker ps -a --filter label=io.raylaunch.project=$p -q | wc -l | grep -qv '^[01]$'"
  kill -KILL $pid
  wait $pid 2>/dev/null
  check "killed up leaves only labelled containers" \
    "$(docker ps -a --filter "name=^$p-" -q | sort)" \
    "$(docker ps -a --filter "label=io.raylaunch.project=$p" -q | sort)"
  ;;

engine-hangs)
  # The engine stops answering: a clear error in bounded time, exit 1.
  project hang; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  python3 -c '
import socket, time, os, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)   # accept, never answer
' "$WORK/hang.sock" &
server=$!
  poll 10 "the engine that never answers listens" test -S "$WORK/hang.sock"
  started=$SECONDS
  DOCKER_HOST=unix://$WORK/hang.sock RAYLAUNCH_ENGINE_TIMEOUT=3 \
    "$RAYLAUNCH" up -f c.yml --progress plain >out 2>err
  check "up exits 1" 1 $?
  check "in bounded time" 1 "$(( SECONDS - started < 15 ))"
  check "says the engine does not answer" "raylaunch: error: the Docker engine at unix://$WORK/hang.sock does not answer (no reply in 3 s)
hint: check that dockerd runs and is not stuck: \`docker info\`" "$(cat err)"
  DOCKER_HOST=unix://$WORK/hang.sock RAYLAUNCH_ENGINE_TIMEOUT=3 "$RAYLAUNCH" status -p "$p" >/dev/null 2>err
  check "status too" "1 raylaunch: error: the Docker engine at unix://$WORK/hang.sock does not answer (no reply in 3 s)" \
    "$? $(head -1 err)"
  kill $server
  ;;

head-dies)
  # The head's Ray crashes: Docker restarts it (unless-stopped), and the
  # workers, which outlive their head for Ray's reconnect window, rejoin it
  # without a restart of their own.
  project headdies; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  ray_crash "$p-head"
  poll 60 "Docker restarts the head" bash -c "[[ \$(docker inspect -f '{{.RestartCount}}' $p-head) -ge 1 ]]"
  poll 60 "status exits 0 once every node rejoined" "$RAYLAUNCH" status -f c.yml
  check "every node alive again" 0 "$(status_code -f c.yml)"
  check "the workers rejoined within Ray's window, not restarted" "0 0" \
    "$(docker inspect -f '{{.RestartCount}}' "$p-cpu-1") $(docker inspect -f '{{.RestartCount}}' "$p-cpu-2")"
  # A head that stays down: status shows the degraded cluster, up brings the
  # head back and the workers rejoin it.
  docker stop -t 1 "$p-head" >/dev/null
  "$RAYLAUNCH" status -f c.yml >status.out 2>&1
  check "status exits 1 while the head is down" 1 $?
  check "status names the head" "exited" "$(awk -v n="$p-head" '$1 == n {print $4}' status.out)"
  check "status says Ray did not answer" "Ray: 0 of 3 nodes alive (neither Ray's dashboard nor ray status on the head answered)" \
    "$(grep '^Ray:' status.out)"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up brings the head back, workers rejoin" "0 0" "$? $(status_code -f c.yml)"
  check "the workers still did not restart" "0 0" \
    "$(docker inspect -f '{{.RestartCount}}' "$p-cpu-1") $(docker inspect -f '{{.RestartCount}}' "$p-cpu-2")"
  check "each worker says it rejoined" "2 2" \
    "$(docker logs "$p-cpu-1" 2>&1 | grep -c '^Reconnected to the head node') $(docker logs "$p-cpu-2" 2>&1 | grep -c '^Reconnected to the head node')"
  ;;

head-gone)
  # A head that stays down past Ray's reconnect window (shortened here to
  # 2 s with RAY_gcs_rpc_server_reconnect_timeout_s): the workers' Ray exits,
  # Docker restarts them by policy, and `up` brings the head back for them to
  # join.
  project headgone; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  sed -i 's/^    num_cpus: 1$/    num_cpus: 1\n    env: {RAY_gcs_rpc_server_reconnect_timeout_s: "2"}/' c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up with a 2 s window" 0 $?
  docker stop -t 1 "$p-head" >/dev/null
  poll 30 "after the window the worker's Ray exited and Docker restarted it" \
    bash -c "[[ \$(docker inspect -f '{{.RestartCount}}' $p-cpu-1) -ge 1 ]]"
  check "it said why, in Ray's words" 1 \
    "$(docker logs "$p-cpu-1" 2>&1 | grep -c '^Failed to connect to GCS within 2 seconds')"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up brings the head back and every worker joins" "0 0" "$? $(status_code -f c.yml)"
  ;;

leftovers)
  # Leftovers of a crashed run (the network, some containers) are adopted.
  project left; p=$P
  spec c.yml "$p" "$PORTS" cpu 3
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  head_id=$(docker inspect -f '{{.Id}}' "$p-head")
  docker rm -f "$p-cpu-2" "$p-cpu-3" >/dev/null
  docker stop -t 1 "$p-cpu-1" >/dev/null
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>err
  check "up converges" 0 $?
  check "the network is adopted, not created" "" "$(grep 'Network' err)"
  check "the head is kept" "$head_id" "$(docker inspect -f '{{.Id}}' "$p-head")"
  check "the stopped worker is started, the missing ones created" " Container $p-cpu-1  Started
 Container $p-cpu-2  Started
 Container $p-cpu-3  Started" "$(grep -E 'Container .* Started' err | sed 's/  [0-9.]*s$//' | sort)"
  ;;

concurrent)
  # Two ups of one project at once never create one container twice: the
  # second waits for the first, or fails clearly after --lock-timeout.
  project twice; p=$P
  spec c.yml "$p" "$PORTS" cpu 6
  "$RAYLAUNCH" up -f c.yml --parallel 1 --progress plain >a.out 2>a.err &
  first=$!
  poll 30 "the first up creates a container" bash -c "docker ps -a --filter label=io.raylaunch.project=$p -q | grep -q ."
  "$RAYLAUNCH" up -f c.yml --progress plain --lock-timeout 0 >b.out 2>b.err
  check "a second up with --lock-timeout 0 fails clearly" "1 raylaunch: error: another raylaunch is still working on project \"$p\" after 0 s" \
    "$? $(grep '^raylaunch: error' b.err)"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >c.out 2>c.err &
  third=$!
  wait $first
  check "the first up succeeds" 0 $?
  wait $third
  check "the waiting up succeeds" 0 $?
  check "it said it waited" 1 "$(grep -c 'waiting for another raylaunch working on this project' c.err)"
  check "each node once" "$p-cpu-1 running
$p-cpu-2 running
$p-cpu-3 running
$p-cpu-4 running
$p-cpu-5 running
$p-cpu-6 running
$p-head running" "$(containers_of "$p")"
  ;;

injection)
  # Shell metacharacters in values reach Docker verbatim as argv elements,
  # and nothing runs them. Had a shell run a value, it would have made a
  # pwned-* file in the folder it ran in: raylaunch's ($WORK) on the host,
  # the node's working folder (/home/ray) in a container, both writable by
  # whoever would run it, with the shell's own echo (the image has no
  # touch); the checks below are first shown to see such a file.
  project inject; p=$P
  mkdir -p data
  # A quoted heredoc: the shell must not touch these values either.
  cat >c.yml <<'SPEC'
name: @P@
image: @IMAGE@
head:
  ports: {gcs: @GCS@, dashboard: @DASHBOARD@, client: @CLIENT@}
  env:
    EVIL: "$(echo >pwned-env); rm -rf @WORK@/data"
    QUOTES: 'it''s "quoted" \ `echo >pwned-tick` | tee x && y'
  volumes:
    - "./data/$(echo >pwned-vol):/mnt/x"
  ray_args:
    temp-dir: "/tmp/$(echo >pwned-arg) && echo >pwned-arg2; rm -rf @WORK@/data"
workers:
  - group: cpu
    replicas: 1
SPEC
  sed -i "s#@P@#$p#; s#@IMAGE@#$STANDIN_IMAGE#; s#@WORK@#$WORK#g; s#@GCS@#$GCS#; s#@DASHBOARD@#$DASHBOARD#; s#@CLIENT@#$CLIENT#" c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >out 2>err
  check "up with hostile values exits 0" 0 $?
  pwned_on_host() { ls -A "$WORK" | grep '^pwned'; }
  pwned_in_node() { docker exec "$1" ls -A | grep '^pwned'; }
  check "nothing ran on the host" "" "$(pwned_on_host)"
  check "nothing ran in the head" "" "$(pwned_in_node "$p-head")"
  touch "$WORK/pwned-control"
  docker exec "$p-head" sh -c 'echo >pwned-control'
  check "... where the checks would see it" "pwned-control
pwned-control" "$(pwned_on_host; pwned_in_node "$p-head")"
  rm "$WORK/pwned-control"
  check "the node's working folder is its user's home" "/home/ray" \
    "$(docker exec "$p-head" sh -c 'rm pwned-control && pwd')"
  check "the data folder is intact" "1" "$(test -d data && echo 1)"
  check "env reached the container verbatim" "EVIL=\$(echo >pwned-env); rm -rf $WORK/data" \
    "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$p-head" | grep '^EVIL=')"
  check "the volume path is literal" "$WORK/data/\$(echo >pwned-vol):/mnt/x" \
    "$(docker inspect -f '{{range .HostConfig.Binds}}{{println .}}{{end}}' "$p-head" | grep /mnt/x)"
  check "quotes, backslashes and backticks arrive verbatim" "QUOTES=it's \"quoted\" \\ \`echo >pwned-tick\` | tee x && y" \
    "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$p-head" | grep '^QUOTES=')"
  check "the ray_args value is one argv element" "--temp-dir=/tmp/\$(echo >pwned-arg) && echo >pwned-arg2; rm -rf $WORK/data" \
    "$(docker inspect -f '{{range .Args}}{{println .}}{{end}}' "$p-head" | grep '^--temp-dir=')"
  ;;

secrets)
  # Secret values appear in no output: config, --dry-run, progress, status,
  # error messages; the node still gets them, and token auth still joins.
  project secret; p=$P
  cat >c.yml <<SPEC
name: $p
image: $STANDIN_IMAGE
auth: {mode: token}
head:
  ports: {gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT}
defaults:
  env:
    DB_PASSWORD: sup3r-secret-pw
    OPAQUE: {value: opaque-value-77, secret: true}
workers:
  - group: cpu
    replicas: 2
SPEC
  {
    "$RAYLAUNCH" config -f c.yml --format json
    "$RAYLAUNCH" up -f c.yml --dry-run --progress plain
    "$RAYLAUNCH" up -f c.yml --progress json --timeout 60
    "$RAYLAUNCH" status -f c.yml
    "$RAYLAUNCH" status -f c.yml --json
  } >all.out 2>&1
  token=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$p-head" | sed -n 's/^RAY_AUTH_TOKEN=//p')
  check "the token is 64 hex digits" 1 "$([[ $token =~ ^[0-9a-f]{64}$ ]] && echo 1)"
  check "no output holds a secret" "0 0 0" \
    "$(grep -c sup3r-secret-pw all.out) $(grep -c opaque-value-77 all.out) $(grep -c "$token" all.out)"
  check "every node joined with token auth" "Ray: 3 of 3 nodes alive" "$(grep '^Ray:' all.out)"
  check "the node has the secret" "DB_PASSWORD=sup3r-secret-pw" \
    "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$p-cpu-1" | grep '^DB_PASSWORD=')"
  check "a second up keeps the token and the nodes" "0" \
    "$("$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 2>&1 >/dev/null | grep -c Recreate)"
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
