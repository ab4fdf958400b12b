#!/usr/bin/env bash
# One cluster over two real Docker engines: this machine's, and a second
# dockerd in its own network namespace reached over a veth pair
# (scripts/second-engine.sh), standing in for a second machine at its own
# address.
# Each scenario sets the second engine up and tears it down, and ends with
# neither engine holding anything of the project. A machine that cannot run
# the second engine fails the test: it never skips.
# Usage: multihost_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scenario=$2
second="$here/../../scripts/second-engine.sh"
# This run's second engine: its namespace, veth pair, subnet, sockets and
# folders are its own, so that runs of these tests side by side (from other
# worktrees too) never share, or tear down, one another's engine.
run=$$
net=$((run % 200 + 20))
export RLB2_NS=rlh$run RLB2_VETH_HOST=rlh${run}a RLB2_VETH_NS=rlh${run}b
export RLB2_HOST_IP=10.231.$net.1 RLB2_NS_IP=10.231.$net.2
export RLB2_DATA_ROOT=/var/lib/docker-rlh$run RLB2_EXEC_ROOT=/run/docker-rlh$run
export RLB2_SOCK=/run/docker-rlh$run.sock RLB2_PIDFILE=/run/docker-rlh$run.pid
export RLB2_LOG=/tmp/raylaunch-dockerd-rlh$run.log
A=$RLB2_HOST_IP
B=$RLB2_NS_IP
E2=unix://$RLB2_SOCK
stuck="$here/../support/stuck_endpoint.py"
cd "$WORK"

if ! "$second" check; then
  echo "FAIL: this machine cannot run a second Docker engine (see above)" >&2
  exit 1
fi
SPECS=()
STUCK=()  # stuck_endpoint.py processes this run started
multihost_cleanup() {
  local file
  for file in "${SPECS[@]}"; do
    "$RAYLAUNCH" down -f "$file" --progress plain >/dev/null 2>&1
  done
  local pid
  for pid in "${STUCK[@]}"; do
    kill "$pid" 2>/dev/null
  done
  "$second" down --purge >/dev/null
  rm -f "${RLB2_SOCK%.sock}.lock"  # second-engine.sh's, named after this run's socket
  cleanup
}
trap multihost_cleanup EXIT
"$second" up "$STANDIN_IMAGE" >/dev/null || exit 1
# Host networking pins each node's ports from network.port_base: 20 a node
# here (worker_ports: 10), at most 3 nodes on one host, from a block free now.
BASE=$(port_block 100)

on_a() { containers_of "$1"; }
on_b() {
  docker -H "$E2" ps -a --filter "label=io.raylaunch.project=$1" --format '{{.Names}} {{.State}}' |
    sort
}
nothing_left() {
  check "nothing of $1 is left on either engine" "" \
    "$(on_a "$1")$(networks_of "$1")$(on_b "$1")$(docker -H "$E2" network ls -q --filter "label=io.raylaunch.project=$1")"
}

# two_host_spec FILE NAME MODE PORTS GROUP_HOSTS REPLICAS [EXTRA...]: the head
# on a (this engine) on PORTS ("GCS DASHBOARD CLIENT"), one group spread over
# GROUP_HOSTS; each host's nodes pin their ports from $BASE.
two_host_spec() {
  local file=$1 name=$2 mode=$3 hosts=$5 replicas=$6 gcs dashboard client
  read -r gcs dashboard client <<<"$4"
  shift 6
  SPECS+=("$WORK/$file")
  {
    echo "name: $name"
    echo "image: $STANDIN_IMAGE"
    echo "network: {mode: $mode, port_base: $BASE, worker_ports: 10}"
    echo "hosts:"
    echo "  a: {address: $A}"
    echo "  b: {docker: \"$E2\", address: $B}"
    echo "head:"
    echo "  host: a"
    echo "  num_cpus: 0"
    echo "  ports: {gcs: $gcs, dashboard: $dashboard, client: $client}"
    echo "workers:"
    echo "  - group: cpu"
    echo "    replicas: $replicas"
    echo "    num_cpus: 1"
    echo "    hosts: [$hosts]"
    local line
    for line in "$@"; do
      echo "    $line"
    done
  } >"$file"
}

# node_ports BLOCK: the ports a node pins from BLOCK: six of its own, then
# its 10 worker ports.
node_ports() { seq "$1" $(($1 + 5)); seq $(($1 + 10)) $(($1 + 19)); }
# published IP PORT...: PORTS published 1:1 on IP, as bindings() prints them.
published() {
  local ip=$1
  shift
  printf '%s\n' "$@" | sort -n | sed "s#.*#$ip:&->&/tcp#"
}
# bindings ENGINE CONTAINER: what the container publishes (ENGINE "": this one), "IP:PORT->PORT/tcp"
# a line, by host port.
bindings() {
  local engine=()
  [[ -z $1 ]] || engine=(-H "$1")
  docker "${engine[@]}" inspect -f '{{range $port, $to := .HostConfig.PortBindings}}{{range $to}}{{.HostIp}}:{{.HostPort}}->{{$port}}{{println}}{{end}}{{end}}' "$2" |
    sed '/^$/d' | sort -t: -k2 -n
}

status_of() {
  "$RAYLAUNCH" status -f "$1" 2>&1
  echo "exit $?"
}

case $scenario in
host)
  # Host networking on both machines: every node is started with its
  # host's address, workers join the head's host address, and nodes that
  # share a host take separate port blocks.
  project host; p=$P
  two_host_spec h.yml "$p" host "$PORTS" "a, b" 3
  "$RAYLAUNCH" up -f h.yml --progress plain >out 2>err
  check "up across two engines exits 0" 0 $?
  check "up reports every node alive" "Ray cluster \"$p\" is up: 4 of 4 nodes alive" "$(head -1 out)"
  check "this engine runs the head and replicas 1 and 3" "$p-cpu-1 running
$p-cpu-3 running
$p-head running" "$(on_a "$p")"
  check "the second engine runs replica 2" "$p-cpu-2 running" "$(on_b "$p")"
  check "status shows each node's host and Ray's view" "$(printf '%-*s' $((${#p} + 6)) NAME)  HOST  ROLE    GROUP  STATE    RAY    CPUS  GPUS
$p-head   a     head    head   running  alive     0  -
$p-cpu-1  a     worker  cpu    running  alive     1  -
$p-cpu-2  b     worker  cpu    running  alive     1  -
$p-cpu-3  a     worker  cpu    running  alive     1  -

Ray: 4 of 4 nodes alive
dashboard: http://$A:$DASHBOARD
exit 0" "$(status_of h.yml)"
  check "Ray sees node 2 at the second host's address" "$B" \
    "$("$RAYLAUNCH" status -f h.yml --json | python3 -c 'import json,sys; print([n["node_ip"] for n in json.load(sys.stdin)["nodes"] if n["name"].endswith("cpu-2")][0])')"
  check "nodes on one host get separate ports; hosts reuse the first block" \
    "$((BASE + 20)) $((BASE + 40)) $BASE" \
    "$(for n in 1 3 2; do "$RAYLAUNCH" config -f h.yml --format json | python3 -c "import json,sys; c=[c for c in json.load(sys.stdin)['containers'] if c['name'].endswith('cpu-$n')][0]; print([a for a in c['command'] if a.startswith('--node-manager-port=')][0].split('=')[1])"; done | tr '\n' ' ' | sed 's/ $//')"
  check "exec reaches the node on the second host" "replica 2" \
    "$("$RAYLAUNCH" exec -f h.yml cpu-2 -- sh -c 'echo replica $RAYLAUNCH_REPLICA')"
  "$RAYLAUNCH" logs --file h.yml cpu-2 --tail 200 >log 2>&1
  check "logs of a node on the second host" "Local node IP: $B" "$(grep -m1 'Local node IP' log)"
  "$RAYLAUNCH" down -f h.yml --progress plain >/dev/null 2>&1
  check "down across two engines exits 0" 0 $?
  nothing_left "$p"
  ;;
day2)
  # logs -f and exec of a cluster over both engines (issue 15, part 6): each
  # container's docker command goes to its host's engine.
  project hosts dy; p=$P
  two_host_spec d.yml "$p" host "$PORTS" "a, b" 2
  "$RAYLAUNCH" up -f d.yml --progress plain --timeout 60 >/dev/null 2>err
  check "up across two engines exits 0" 0 $?
  "$RAYLAUNCH" logs --file d.yml -f >follow.out 2>follow.err &
  pid=$!
  poll 30 "logs -f has each node's lines" bash -c "grep -q '^$p-cpu-2  | Local node IP: $B' follow.out &&
    grep -q '^$p-cpu-1  | Local node IP: $A' follow.out && grep -q '^$p-head   | ' follow.out"
  kill -TERM "$pid"
  wait "$pid"
  check "logs -f over two engines ends with 143 on SIGTERM, stderr empty" "143 " "$? $(cat follow.err)"
  check "logs -f: replica 2's lines, from the second engine" \
    "$(docker -H "$E2" logs "$p-cpu-2" 2>&1 | sed "s/^/$p-cpu-2  | /")" "$(grep "^$p-cpu-2  | " follow.out)"
  check "logs -f: the head's lines, from this engine" \
    "$(docker logs "$p-head" 2>&1 | sed "s/^/$p-head   | /")" "$(grep "^$p-head   | " follow.out)"
  check "exec -e reaches the node on the second engine" "2 b" \
    "$("$RAYLAUNCH" exec -f d.yml -e WHERE=b cpu-2 -- sh -c 'echo $RAYLAUNCH_REPLICA $WHERE' </dev/null)"
  "$RAYLAUNCH" down -f d.yml --progress plain >/dev/null 2>&1
  check "down exits 0" 0 $?
  nothing_left "$p"
  ;;

bridge)
  # Docker Desktop's way: a project network per host, every Ray port of
  # every node pinned and published 1:1 on its host's address.
  project bridge; p=$P
  two_host_spec b.yml "$p" bridge "$PORTS" "b, a" 3
  "$RAYLAUNCH" up -f b.yml --progress plain >out 2>err
  check "up across two engines exits 0" 0 $?
  check "up reports every node alive" "Ray cluster \"$p\" is up: 4 of 4 nodes alive" "$(head -1 out)"
  check "a project network on each engine" "${p}_net ${p}_net" \
    "$(networks_of "$p") $(docker -H "$E2" network ls --format '{{.Name}}' --filter "label=io.raylaunch.project=$p")"
  check "the second host runs replicas 1 and 3" "$p-cpu-1 running
$p-cpu-3 running" "$(on_b "$p")"
  check "replica 1 publishes its ports on the second host's address, from port_base" \
    "$(published $B $(node_ports "$BASE"))" "$(bindings "$E2" "$p-cpu-1")"
  check "replica 3, the second node there, from the next block" \
    "$(published $B $(node_ports $((BASE + 20))))" "$(bindings "$E2" "$p-cpu-3")"
  check "the head publishes Ray's ports and its own on this host's address" \
    "$(published $A $PORTS $(node_ports "$BASE"))" "$(bindings "" "$p-head")"
  check "status across hosts exits 0" "exit 0" "$(status_of b.yml | tail -1)"
  "$RAYLAUNCH" down -f b.yml --progress plain >/dev/null 2>&1
  check "down exits 0" 0 $?
  nothing_left "$p"
  ;;
gpu)
  # A GPU group on a host with its own pool: the plan hands out that host's
  # devices, and `up --dry-run` shows each docker run on its engine.
  project gpu; p=$P
  two_host_spec g.yml "$p" host "$PORTS" "b" 2 "gpus: 1"
  sed -i "s|  b: {docker: \"$E2\", address: $B}|  b: {docker: \"$E2\", address: $B, gpus: [2, 3]}|" g.yml
  check "each replica on b takes one of b's devices" "$p-head a - []
$p-cpu-1 b $B ['2']
$p-cpu-2 b $B ['3']" \
    "$("$RAYLAUNCH" config -f g.yml --format json | python3 -c 'import json,sys
for c in json.load(sys.stdin)["containers"]: print(c["name"], c["host"], c["node_ip"] if c["role"] != "head" else "-", c["gpus"])')"
  "$RAYLAUNCH" up -f g.yml --dry-run --progress plain >out 2>err
  check "up --dry-run exits 0" 0 $?
  check "dry-run runs each GPU node on the second engine with its device" \
    "docker --host $E2 run '\"device=2\"'
docker --host $E2 run '\"device=3\"'" \
    "$(grep -- '--gpus' out | sed -E 's/^(docker --host [^ ]+ run).* --gpus ([^ ]+) .*/\1 \2/' | sort)"
  check "dry-run creates nothing" "" "$(on_a "$p")$(on_b "$p")"
  sed -i 's/replicas: 2/replicas: 3/' g.yml
  "$RAYLAUNCH" config -f g.yml >/dev/null 2>err
  check "over-committing b's pool is refused at the group" "2" "$?"
  check "the message names the host and its pool" \
    "g.yml:16:11: error: worker group \"cpu\" needs 1 GPU for $p-cpu-3 on host \"b\", but only 0 of the 2 in hosts.b.gpus are left" \
    "$(head -1 err)"
  nothing_left "$p"
  ;;
ship)
  # pull: ship copies an image the second host lacks from this machine.
  project ship; p=$P
  docker -H "$E2" rmi "$STANDIN_IMAGE" >/dev/null
  two_host_spec s.yml "$p" host "$PORTS" "b" 1 "pull: ship"
  "$RAYLAUNCH" up -f s.yml --progress plain >out 2>err
  check "up ships the image and exits 0" 0 $?
  check "progress says it shipped once" "1" "$(grep -c "Image $STANDIN_IMAGE to b  Shipped" err)"
  check "the second engine has the image now" \
    "$(docker image inspect -f '{{.Id}}' "$STANDIN_IMAGE")" \
    "$(docker -H "$E2" image inspect -f '{{.Id}}' "$STANDIN_IMAGE")"
  "$RAYLAUNCH" up -f s.yml --progress plain >out 2>err
  check "a second up ships nothing" "0" "$(grep -c Shipp err)"
  sed -i 's/pull: ship/pull: never/' s.yml
  docker -H "$E2" rm -f "$p-cpu-1" >/dev/null && docker -H "$E2" rmi "$STANDIN_IMAGE" >/dev/null
  "$RAYLAUNCH" up -f s.yml --progress plain >out 2>err
  check "pull: never on a host without the image fails before creating" \
    "raylaunch: error: image $STANDIN_IMAGE is not present on host \"b\" and the spec says pull: never" \
    "$(grep '^raylaunch: error' err)"
  "$RAYLAUNCH" down -f s.yml --progress plain >/dev/null 2>&1
  nothing_left "$p"
  ;;
hostdown)
  # The second host's engine stops: status shows its nodes as unknown and
  # exits 1; down removes what it reaches, names the rest, exits 1; once the
  # engine is back, a second down removes the rest.
  project down; p=$P
  two_host_spec d.yml "$p" host "$PORTS" "a, b" 2
  "$RAYLAUNCH" up -f d.yml --progress plain >/dev/null 2>&1
  check "up exits 0" 0 $?
  kill "$(cat "$RLB2_PIDFILE")"
  poll 30 "the second engine stops answering" sh -c "! docker -H $E2 info"
  status_of d.yml >st
  check "status marks the unreachable host's node unknown" \
    "$p-cpu-2 b worker cpu unknown" "$(grep -- "-cpu-2 " st | awk '{print $1, $2, $3, $4, $5}')"
  check "status names the host that did not answer" \
    "host \"b\" did not answer: the Docker engine at host \"b\" ($E2) does not answer: Cannot connect to the Docker daemon at $E2. Is the docker daemon running?" \
    "$(grep '^host ' st)"
  check "status exits 1" "exit 1" "$(tail -1 st)"
  "$RAYLAUNCH" down -f d.yml --progress plain >out 2>err
  check "down exits 1" 1 $?
  check "down names what it could not reach" "raylaunch: error: some hosts did not answer; what they run of project \"$p\" is still there:
the Docker engine at host \"b\" ($E2) does not answer: Cannot connect to the Docker daemon at $E2. Is the docker daemon running?
hint: run \`raylaunch down\` again once they answer" "$(sed -n '/^raylaunch: error/,$p' err)"
  check "this engine is clean" "" "$(on_a "$p")"
  "$second" up >/dev/null
  check "the second host still has its node" "$p-cpu-2" "$(on_b "$p" | cut -d' ' -f1)"
  "$RAYLAUNCH" down -f d.yml --progress plain >/dev/null 2>&1
  check "a second down removes the rest" 0 $?
  nothing_left "$p"
  ;;
scale)
  # A spread group scaled 4 -> 1 -> 3: replica i stays on hosts[(i-1) mod 2].
  project scale; p=$P
  two_host_spec c.yml "$p" host "$PORTS" "a, b" 4
  "$RAYLAUNCH" up -f c.yml --progress plain >/dev/null 2>&1
  check "up of 4 exits 0" 0 $?
  check "4: replicas 1 and 3 here, 2 and 4 there" "$p-cpu-1 $p-cpu-3 $p-head | $p-cpu-2 $p-cpu-4" \
    "$(on_a "$p" | cut -d' ' -f1 | xargs) | $(on_b "$p" | cut -d' ' -f1 | xargs)"
  sed -i 's/replicas: 4/replicas: 1/' c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain >/dev/null 2>&1
  check "up of 1 exits 0" 0 $?
  check "1: only replica 1 is left" "$p-cpu-1 $p-head | " \
    "$(on_a "$p" | cut -d' ' -f1 | xargs) | $(on_b "$p" | cut -d' ' -f1 | xargs)"
  sed -i 's/replicas: 1/replicas: 3/' c.yml
  ids_before=$(ids_of "$p")
  "$RAYLAUNCH" up -f c.yml --progress plain >/dev/null 2>&1
  check "up of 3 exits 0" 0 $?
  check "3: replicas 1 and 3 here, 2 there" "$p-cpu-1 $p-cpu-3 $p-head | $p-cpu-2" \
    "$(on_a "$p" | cut -d' ' -f1 | xargs) | $(on_b "$p" | cut -d' ' -f1 | xargs)"
  check "the head and replica 1 were kept" "$(echo "$ids_before")" \
    "$(ids_of "$p" | grep -E -- "-(head|cpu-1) ")"
  check "status exits 0 with every node alive" "exit 0" "$(status_of c.yml | tail -1)"
  # Without the spec, down knows only the engine it is given, and says so.
  "$RAYLAUNCH" down -p "$p" --progress plain >/dev/null 2>err
  check "down -p without the spec exits 1" 1 $?
  check "down -p says the project spans hosts it cannot reach" \
    "raylaunch: error: project \"$p\" has nodes on several hosts (a, b); without its spec only this engine's were removed, and host b was not reached
hint: pass the spec with -f, or each other engine with --host ENDPOINT" "$(sed -n '/^raylaunch: error/,$p' err)"
  check "this engine's nodes are gone, the other host's stay" " | $p-cpu-2" \
    "$(on_a "$p" | cut -d' ' -f1 | xargs) | $(on_b "$p" | cut -d' ' -f1 | xargs)"
  "$RAYLAUNCH" down -p "$p" --host "$E2" --progress plain >/dev/null 2>&1
  check "down -p --host ENDPOINT removes the rest" 0 $?
  nothing_left "$p"
  ;;
blocks-host | blocks-bridge)
  # Ports that stay put (issue 24): `cpu` over hosts a and b beside `solo` on
  # a, scaled 3 -> 4 -> 5 -> 3, behind a docker that takes 5 s to stop a
  # container (real Ray leaves on SIGTERM in seconds). A node's block depends
  # only on its own group and replica, so `solo` is never re-created, and no
  # node starts on a block another still holds: each `up` converges at once.
  mode=${scenario#blocks-}
  project "blk${mode:0:1}"; p=$P
  two_host_spec c.yml "$p" "$mode" "$PORTS" "a, b" 3
  {
    echo "  - group: solo"
    echo "    replicas: 1"
    echo "    num_cpus: 1"
    echo "    host: a"
  } >>c.yml
  cat >slow-docker <<'SLOW'
#!/bin/sh
for arg in "$@"; do
  if [ "$arg" = stop ]; then sleep 5; break; fi
  case $arg in -*) ;; *) [ "$arg" = "${arg#unix://}" ] && break ;; esac
done
exec docker "$@"
SLOW
  chmod +x slow-docker
  "$RAYLAUNCH" --docker ./slow-docker up -f c.yml --progress plain --timeout 90 >/dev/null 2>err
  check "up of 3 exits 0" 0 $?
  solo=$(docker inspect -f '{{.Id}}' "$p-solo-1")
  for replicas in 4 5 3; do
    sed -i "0,/replicas: [0-9]*/s//replicas: $replicas/" c.yml
    "$RAYLAUNCH" --docker ./slow-docker up -f c.yml --progress plain --timeout 90 >/dev/null 2>err
    check "cpu scaled to $replicas: up converges in one go" 0 $?
    if [[ -s err ]] && grep -q '^raylaunch: error' err; then sed -n '/^raylaunch: error/,$p' err; fi
    check "cpu scaled to $replicas: every node alive" "exit 0" "$(status_of c.yml | tail -1)"
    check "cpu scaled to $replicas: solo-1 is the same container" "$solo" \
      "$(docker inspect -f '{{.Id}}' "$p-solo-1")"
  done
  check "3: cpu-1, cpu-3 and solo-1 here, cpu-2 there" \
    "$p-cpu-1 $p-cpu-3 $p-head $p-solo-1 | $p-cpu-2" \
    "$(on_a "$p" | cut -d' ' -f1 | xargs) | $(on_b "$p" | cut -d' ' -f1 | xargs)"
  if [[ $mode == bridge ]]; then
    # Every node moved off b: its project network goes too.
    sed -i "0,/replicas: [0-9]*/s//replicas: 1/" c.yml
    "$RAYLAUNCH" up -f c.yml --progress plain --timeout 90 >/dev/null 2>&1
    check "cpu scaled to 1: up exits 0" 0 $?
    check "nothing of the project is left on b, its network neither" "" \
      "$(on_b "$p")$(docker -H "$E2" network ls -q --filter "label=io.raylaunch.project=$p")"
    check "a keeps its network" "${p}_net" "$(networks_of "$p")"
  fi
  "$RAYLAUNCH" down -f c.yml --progress plain >/dev/null 2>&1
  check "down exits 0" 0 $?
  nothing_left "$p"
  ;;
autoscale-hung)
  # raylaunch autoscale with host b not answering (issue 20): replicas that
  # would go to b are not launched, the demand is met on a, and nothing on b
  # is touched.
  project ashung; p=$P
  two_host_spec h.yml "$p" host "$PORTS" "a, b" 0 "min_replicas: 0" "max_replicas: 4"
  "$RAYLAUNCH" up -f h.yml --progress plain >/dev/null 2>&1
  check "up of the head alone exits 0" 0 $?
  "$stuck" "$WORK/hung.sock" hang >hung.ready &
  STUCK+=($!)
  poll 10 "the hung endpoint is ready" grep -q ready hung.ready
  sed "s|docker: \"$E2\"|docker: \"unix://$WORK/hung.sock\"|" h.yml >stuck.yml
  for i in 1 2; do
    "$RAYLAUNCH" submit -f h.yml --no-wait --entrypoint-num-cpus 1 -- sleep 5 >/dev/null
  done
  RAYLAUNCH_ENGINE_TIMEOUT=3 "$RAYLAUNCH" autoscale -f stuck.yml --once --progress plain >once.out 2>&1
  check "one round with b hung exits 0" 0 $?
  check "it launches replicas 1 and 3, both on a" 1 \
    "$(grep -c 'launch 2 x cpu (replica 1, 3): pending 2 x {"CPU": 1}' once.out)"
  check "a has the head and replicas 1 and 3" "$p-cpu-1 running
$p-cpu-3 running
$p-head running" "$(on_a "$p")"
  check "b has nothing" "" "$(on_b "$p")"
  "$RAYLAUNCH" down -f h.yml --progress plain >/dev/null 2>&1
  nothing_left "$p"
  ;;

hung)
  # Host b's endpoint accepts connections and never answers (issue 24): only
  # b is named, within the engine's bound, and host a's nodes are served.
  project hung; p=$P
  two_host_spec h.yml "$p" host "$PORTS" "a, b" 2
  "$RAYLAUNCH" up -f h.yml --progress plain >/dev/null 2>&1
  check "up across two engines exits 0" 0 $?
  "$stuck" "$WORK/hung.sock" hang >hung.ready &
  STUCK+=($!)
  poll 10 "the hung endpoint is ready" grep -q ready hung.ready
  H=unix://$WORK/hung.sock
  sed "s|docker: \"$E2\"|docker: \"$H\"|" h.yml >stuck.yml
  export RAYLAUNCH_ENGINE_TIMEOUT=3
  no_answer="the Docker engine at host \"b\" ($H) does not answer (no reply in 3 s)"
  ids_before=$(ids_of "$p")
  start=$(date +%s.%N)
  "$RAYLAUNCH" up -f stuck.yml --progress plain >out 2>err
  code=$?
  took=$(echo "$(date +%s.%N) - $start" | bc)
  check "up with b hung exits 1" 1 "$code"
  check "up names b, not a, and says what to check" "raylaunch: error: $no_answer
hint: check that dockerd runs and is not stuck: \`docker info\`" "$(cat err)"
  check "up names b within its bound (3 s) plus 1.5 s (took $took s)" 1 "$(echo "$took < 4.5" | bc)"
  check "up created and changed nothing" "$ids_before" "$(ids_of "$p")"
  status_of stuck.yml >st
  check "status: host a's nodes running and alive, b's unknown, exit 1" \
    "$(printf '%-*s' $((${#p} + 6)) NAME)  HOST  ROLE    GROUP  STATE    RAY    CPUS  GPUS
$p-head   a     head    head   running  alive     0  -
$p-cpu-1  a     worker  cpu    running  alive     1  -
$p-cpu-2  b     worker  cpu    unknown  alive     1  -

Ray: 2 of 3 nodes alive
dashboard: http://$A:$DASHBOARD
host \"b\" did not answer: $no_answer
exit 1" "$(cat st)"
  "$RAYLAUNCH" logs --file stuck.yml --tail 3 >logs.out 2>logs.err
  check "logs exits 1" 1 $?
  check "logs prints host a's nodes" \
    "$( (docker logs --tail 3 "$p-cpu-1" 2>&1 | sed "s/^/$p-cpu-1  | /"; docker logs --tail 3 "$p-head" 2>&1 | sed "s/^/$p-head   | /"))" \
    "$(cat logs.out)"
  check "logs names the host it could not read" "raylaunch: error: the logs of some hosts' nodes could not be read:
$no_answer
hint: the other nodes' logs are above; run \`raylaunch logs\` again once those hosts answer" "$(cat logs.err)"
  "$RAYLAUNCH" exec -f stuck.yml cpu-2 -- true >out 2>err </dev/null
  check "exec into a node of b exits 125" 125 $?
  check "exec names b" "raylaunch: error: container $p-cpu-2 is planned on host \"b\", which does not answer: $no_answer
hint: check that host's engine (\`docker info\`) and try again" "$(cat err)"
  "$RAYLAUNCH" down -f stuck.yml --progress plain >out 2>err
  check "down with b hung exits 1" 1 $?
  check "down names b" "raylaunch: error: some hosts did not answer; what they run of project \"$p\" is still there:
$no_answer
hint: run \`raylaunch down\` again once they answer" "$(sed -n '/^raylaunch: error/,$p' err)"
  check "down removed host a's containers, and b's node still runs" " | $p-cpu-2 running" \
    "$(on_a "$p" | xargs) | $(on_b "$p")"
  unset RAYLAUNCH_ENGINE_TIMEOUT
  "$RAYLAUNCH" down -f h.yml --progress plain >/dev/null 2>&1
  check "down with b reachable again removes the rest" 0 $?
  nothing_left "$p"
  ;;
shipstall)
  # pull: ship over a link that stalls (issue 24): a signal ends it at once,
  # the bound without one, naming the host; b keeps nothing of the image.
  project stall; p=$P
  docker -H "$E2" rmi "$STANDIN_IMAGE" >/dev/null
  S=unix://$WORK/stall.sock
  two_host_spec s.yml "$p" host "$PORTS" "b" 1 "pull: ship"
  sed -i "s|docker: \"$E2\"|docker: \"$S\"|" s.yml
  stall_link() {
    rm -f stalled ready
    "$stuck" "$WORK/stall.sock" stall "$RLB2_SOCK" 100000 "$WORK/stalled" >ready &
    STUCK+=($!)
    poll 10 "the stalling link is ready" grep -q ready ready
  }
  stall_link
  RAYLAUNCH_SHIP_TIMEOUT=30 "$RAYLAUNCH" up -f s.yml --progress plain >out 2>err &
  pid=$!
  poll 30 "the link stalls" test -e stalled
  check "the link stalled during the ship" 0 $?
  start=$(date +%s.%N)
  kill -TERM "$pid"
  wait "$pid"
  code=$?
  took=$(echo "$(date +%s.%N) - $start" | bc)
  check "SIGTERM ends up with 143" 143 "$code"
  check "SIGTERM ends the ship within 1 s (took $took s)" 1 "$(echo "$took < 1" | bc)"
  check "the ship is reported interrupted, not as docker's failure" \
    " Image $STANDIN_IMAGE to b  Shipping
 Image $STANDIN_IMAGE to b  Interrupted
raylaunch: interrupted by SIGTERM: 0 of 2 planned containers are running; run \`raylaunch up\` to converge, or \`raylaunch down\`" \
    "$(sed -E 's/  [0-9]+\.[0-9]s$//' err | grep -vE '  Shipping  [0-9]+ MiB$')"
  check "no docker save or load of this run is left" "" \
    "$(ps -eo args | grep -F -e "$WORK/stall.sock" -e "save $STANDIN_IMAGE" | grep -v -e grep -e stuck_endpoint)"
  kill "${STUCK[-1]}"
  stall_link
  start=$(date +%s.%N)
  RAYLAUNCH_SHIP_TIMEOUT=2 "$RAYLAUNCH" up -f s.yml --progress plain >out 2>err
  code=$?
  took=$(echo "$(date +%s.%N) - $start" | bc)
  check "a stalled ship fails up with 1" 1 "$code"
  check "it fails naming the host, after its bound (2 s; took $took s)" 1 \
    "$(echo "$took >= 2 && $took < 5" | bc)"
  check "the message names the host and the bound" \
    "raylaunch: error: cannot ship image $STANDIN_IMAGE to host \"b\": no byte went through to host \"b\" ($S) for 2 s (0 MiB sent); docker save and docker load were stopped
hint: check the link to that host and its engine (\`docker info\`); RAYLAUNCH_SHIP_TIMEOUT sets the bound, in seconds" \
    "$(grep -A1 '^raylaunch: error' err)"
  kill "${STUCK[-1]}"
  poll 10 "nothing partial is left on b" sh -c "[ -z \"\$(docker -H $E2 images -aq)\" ] && ! docker -H $E2 image inspect $STANDIN_IMAGE"
  check "nothing partial on b: no image at all" "" "$(docker -H "$E2" images -aq)"
  check "nothing was created on either host" "" "$(on_a "$p")$(on_b "$p")"
  nothing_left "$p"
  ;;
reship)
  # A tag rebuilt on this machine reaches b (issue 24): b's older image
  # under the tag is replaced, and its node re-created from the new one.
  project reship; p=$P
  tag=raylaunch/ray-standin:reship$$
  docker tag "$STANDIN_IMAGE" "$tag"
  two_host_spec r.yml "$p" host "$PORTS" "b" 1 "pull: ship"
  sed -i "s|^image: .*|image: $tag|" r.yml
  "$RAYLAUNCH" up -f r.yml --progress plain >/dev/null 2>err
  check "up ships the image and exits 0" 0 $?
  old=$(docker image inspect -f '{{.Id}}' "$tag")
  cid=$(docker create "$STANDIN_IMAGE")
  docker commit -c "LABEL io.raylaunch.test.rebuilt=$$" "$cid" "$tag" >/dev/null
  docker rm "$cid" >/dev/null
  new=$(docker image inspect -f '{{.Id}}' "$tag")
  check "the tag was rebuilt here" 1 "$([[ $old != "$new" ]] && echo 1)"
  "$RAYLAUNCH" up -f r.yml --progress plain >out 2>err
  check "up after the rebuild exits 0" 0 $?
  check "up says b has the older image and ships the new one" \
    "host \"b\" has image $tag as ${old:7:12}, this machine as ${new:7:12}: shipping this machine's
 Image $tag to b  Shipping
 Image $tag to b  Shipped" "$(grep -E "^host \"b\" has|Image $tag to b" err | sed -E 's/  [0-9]+\.[0-9]s$//' |
      grep -vE '  Shipping  [0-9]+ MiB$')"
  check "b has the new image under the tag" "$new" "$(docker -H "$E2" image inspect -f '{{.Id}}' "$tag")"
  check "b's node runs the new image" "$new" "$(docker -H "$E2" inspect -f '{{.Image}}' "$p-cpu-1")"
  check "the head here runs the new image too" "$new" "$(docker inspect -f '{{.Image}}' "$p-head")"
  "$RAYLAUNCH" up -f r.yml --progress plain >out 2>err
  check "a third up ships nothing" "0" "$(grep -c Shipp err)"
  "$RAYLAUNCH" down -f r.yml --progress plain >/dev/null 2>&1
  check "down exits 0" 0 $?
  docker rmi "$tag" >/dev/null  # the old one is $STANDIN_IMAGE itself
  nothing_left "$p"
  ;;
specless)
  # Day 2 without the spec (issue 24): status -p and down -p of a cluster
  # across hosts name the hosts they cannot see, until --host reaches them.
  project specless; p=$P
  two_host_spec l.yml "$p" host "$PORTS" "a, b" 2
  "$RAYLAUNCH" up -f l.yml --progress plain >out 2>/dev/null
  check "up exits 0" 0 $?
  check "up's next steps take the spec, not -p" "  status       raylaunch status -f l.yml
  tear down    raylaunch down -f l.yml" "$(tail -2 out)"
  "$RAYLAUNCH" status -p "$p" >st 2>&1
  echo "exit $?" >>st
  check "status -p names the host it cannot see and exits 1" \
    "$(printf '%-*s' $((${#p} + 6)) NAME)  HOST  ROLE    GROUP  STATE         RAY    CPUS  GPUS
$p-head   a     head    head   running       alive     0  -
$p-cpu-1  a     worker  cpu    running       alive     1  -
$p-cpu-2  -     -       -      no container  alive     1  -

Ray: 2 of 2 nodes alive
dashboard: http://$A:$DASHBOARD
host \"b\" of the cluster was not seen: not asked: without the spec raylaunch does not know its engine (pass -f FILE, or --host ENDPOINT for it)
exit 1" "$(cat st)"
  check "status -p --json: not healthy, b named" "False b" \
    "$("$RAYLAUNCH" status -p "$p" --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["healthy"], " ".join(h["host"] for h in d["hosts_unreachable"]))')"
  "$RAYLAUNCH" down -p "$p" --progress plain >/dev/null 2>err
  check "down -p exits 1" 1 $?
  check "down -p names b" "raylaunch: error: project \"$p\" has nodes on several hosts (a, b); without its spec only this engine's were removed, and host b was not reached
hint: pass the spec with -f, or each other engine with --host ENDPOINT" "$(sed -n '/^raylaunch: error/,$p' err)"
  "$RAYLAUNCH" down -p "$p" --progress plain >/dev/null 2>err
  check "a second down -p still exits 1" 1 $?
  check "a second down -p still names b" "raylaunch: error: project \"$p\" has nodes on several hosts (a, b); nothing of it is left on this engine, but host b was not reached
hint: pass the spec with -f, or each other engine with --host ENDPOINT" "$(sed -n '/^raylaunch: error/,$p' err)"
  check "b still runs its node" "$p-cpu-2 running" "$(on_b "$p")"
  "$RAYLAUNCH" down -p "$p" --host "$E2" --progress plain >/dev/null 2>err
  check "down -p --host reaches b and exits 0" "0 " "$? $(grep '^raylaunch: error' err)"
  "$RAYLAUNCH" down -p "$p" --progress plain >/dev/null 2>err
  check "then down -p has nothing to say but that" "0 nothing to remove for project \"$p\"" "$? $(cat err)"
  nothing_left "$p"
  ;;
oneengine)
  # Two hosts that reach one engine, however spelled, are refused by the
  # engine's ID before anything is made (issue 24).
  project one; p=$P
  two_host_spec o.yml "$p" host "$PORTS" "a, b" 2
  sed -i "s|docker: \"$E2\"|docker: \"unix:///var/run/docker.sock\"|" o.yml
  "$RAYLAUNCH" up -f o.yml --progress plain >out 2>err
  check "up exits 2" 2 $?
  check "the two hosts are named with the engine's ID" \
    "raylaunch: error: hosts \"a\" and \"b\" reach one Docker engine (ID $(docker info --format '{{.ID}}'))
hint: give each machine its own docker: endpoint or context: (these two spell one engine two ways)" \
    "$(cat err)"
  sed -i "s|docker: \"unix:///var/run/docker.sock\"|context: nope$$|" o.yml
  "$RAYLAUNCH" up -f o.yml --progress plain >out 2>err
  check "a missing context of a host: up exits 1" 1 $?
  check "the missing context names the host" "raylaunch: error: the Docker context \"nope$$\" of host \"b\" does not exist:" \
    "$(head -1 err | cut -d' ' -f1-12)"
  check "nothing was created" "" "$(on_a "$p")"
  nothing_left "$p"
  ;;
*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
