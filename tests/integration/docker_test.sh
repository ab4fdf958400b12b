#!/usr/bin/env bash
# raylaunch up, status and down on a real Docker engine with the ray stand-in.
# Usage: docker_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

case $scenario in
quickstart)
  # The quickstart example: up waits for Ray, status says every node is
  # alive, down leaves no container and no network with the label.
  project quick; p=$P
  sed "s/^name: quickstart/name: $p/; s/gcs: 6379, dashboard: 8265, client: 10001/gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT/" \
    "$root/examples/quickstart.yml" >raylaunch.yml
  "$RAYLAUNCH" up --progress plain --timeout 60 >up.out 2>up.err
  check "up exits 0" 0 $?
  check "up says every node joined" "Ray cluster \"$p\" is up: 3 of 3 nodes alive" "$(head -1 up.out)"
  check "three containers run" "$p-cpu-1 running
$p-cpu-2 running
$p-head running" "$(containers_of "$p")"
  "$RAYLAUNCH" status >status.out
  check "status exits 0" 0 $?
  w=$((${#p} + 6))
  row() { printf "%-${w}s  %-6s  %-5s  %-7s  %-5s  %4s  %s\n" "$@"; }
  check "status shows each node alive" "$(row NAME ROLE GROUP STATE RAY CPUS GPUS
row "$p-head" head head running alive 0 -
row "$p-cpu-1" worker cpu running alive 2 -
row "$p-cpu-2" worker cpu running alive 2 -)

Ray: 3 of 3 nodes alive
dashboard: http://127.0.0.1:$DASHBOARD" "$(cat status.out)"
  "$RAYLAUNCH" status --json >status.json
  check "status --json reports healthy" "True 3 3" \
    "$(python3 -c 'import json,sys; d=json.load(open("status.json")); print(d["healthy"], d["nodes_alive"], d["nodes_planned"])')"
  check "logs of a node" "Ray runtime started." "$("$RAYLAUNCH" logs cpu-1 --tail 20 | grep -m1 'Ray runtime started')"
  check "exec in a node" "ray, version 2.52.1 (raylaunch ray stand-in for tests)" \
    "$("$RAYLAUNCH" exec head -- ray --version)"
  check "exec passes stdin on" "hi from stdin" "$(echo hi from stdin | "$RAYLAUNCH" exec head -- cat)"
  "$RAYLAUNCH" down --progress plain 2>down.err
  check "down exits 0" 0 $?
  check "no container left" "" "$(containers_of "$p")"
  check "no network left" "" "$(networks_of "$p")"
  "$RAYLAUNCH" down --progress plain 2>down2.err
  check "a second down is fine" "0 nothing to remove for project \"$p\"" "$? $(cat down2.err)"
  ;;

idempotent)
  # A second up changes nothing: the same container ids.
  project same; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "first up" 0 $?
  before=$(ids_of "$p")
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>second.err
  check "second up" 0 $?
  check "same containers" "$before" "$(ids_of "$p")"
  check "second up only keeps" " Container $p-head  Running
 Container $p-cpu-1  Running
 Container $p-cpu-2  Running" "$(grep '^ Container' second.err | sed 's/  [0-9.]*s$//')"
  ;;

scale)
  # replicas 3 -> 1 -> 3: the highest go first, names stay stable.
  project scale; p=$P
  spec c.yml "$p" "$PORTS" cpu 3
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  first=$(docker inspect --format '{{.Id}}' "$p-cpu-1")
  spec c.yml "$p" "$PORTS" cpu 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>down.err
  check "scale to 1" 0 $?
  check "replicas 2 and 3 removed, highest first" " Container $p-cpu-3  Removing
 Container $p-cpu-2  Removing" "$(grep 'Removing' down.err | sort -r)"
  check "left: head and cpu-1" "$p-cpu-1 running
$p-head running" "$(containers_of "$p")"
  spec c.yml "$p" "$PORTS" cpu 3
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "scale back to 3" 0 $?
  check "names 1..3 again" "$p-cpu-1 running
$p-cpu-2 running
$p-cpu-3 running
$p-head running" "$(containers_of "$p")"
  check "cpu-1 never re-created" "$first" "$(docker inspect --format '{{.Id}}' "$p-cpu-1")"
  ;;

recreate)
  # A changed env in one group re-creates that group only.
  project env; p=$P
  spec c.yml "$p" "$PORTS" a 2 one b 2 one
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  before=$(ids_of "$p")
  spec c.yml "$p" "$PORTS" a 2 one b 2 two
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up after the change" 0 $?
  after=$(ids_of "$p")
  changed=$(diff <(echo "$before") <(echo "$after") | grep '^>' | awk '{print $2}' | sort | tr '\n' ' ')
  check "only group b re-created" "$p-b-1 $p-b-2 " "$changed"
  check "b has the new env" "MARK=two" \
    "$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$p-b-1" | grep '^MARK=')"
  ;;

heal)
  # A worker killed: status names it and exits 1; up heals it.
  project heal; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  docker stop -t 1 "$p-cpu-2" >/dev/null
  poll 30 "ray status in the head stops counting the stopped worker" \
    bash -c "! docker exec $p-head ray status | grep -c '^ 1 node_' | grep -qx 3"
  "$RAYLAUNCH" status -f c.yml >status.out
  check "status exits 1" 1 $?
  check "status names the stopped worker" "$(printf "%-$((${#p} + 6))s  %-6s  %-5s  %-7s  %-5s  %4s  %s" "$p-cpu-2" worker cpu exited dead 1 -)" \
    "$(grep "^$p-cpu-2 " status.out)"
  check "status counts Ray's nodes" "Ray: 2 of 3 nodes alive" "$(grep '^Ray:' status.out)"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>up.err
  check "up heals" 0 $?
  check "up started the worker again" " Container $p-cpu-2  Started" \
    "$(grep "Container $p-cpu-2" up.err | tail -1 | sed 's/  [0-9.]*s$//')"
  "$RAYLAUNCH" status -f c.yml >/dev/null
  check "status exits 0 again" 0 $?
  ;;

subnet)
  # Seed 000: a bridge network with its own subnet, head on 6380 (moved to
  # free host ports here); comes up and joins.
  project subnet; p=$P
  sed "s/^name: bridge-subnet/name: $p/; s/gcs: 6380/gcs: $GCS/; s/dashboard: 8265/dashboard: $DASHBOARD/; s/client: 10001/client: $CLIENT/; s#172.28.0.0/24#172.29.$((RANDOM % 200)).0/24#" \
    "$root/examples/compose-bridge-subnet.yml" >c.yml
  want_subnet=$(grep 'subnet:' c.yml | awk '{print $2}')
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >up.out 2>&1
  check "up exits 0" 0 $?
  check "four nodes joined" "Ray cluster \"$p\" is up: 4 of 4 nodes alive" "$(grep '^Ray cluster' up.out)"
  check "network has the subnet" "$want_subnet" \
    "$(docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "${p}_net")"
  check "the head's GCS is published on loopback at its host port" "127.0.0.1:$GCS" \
    "$(docker port "$p-head" | sed -n "s/^.* -> \(127\.0\.0\.1:$GCS\)$/\1/p")"
  ;;

isolation)
  # down of one project leaves another project and an unlabelled container
  # whose name collides untouched.
  project isoa; a=$P; a_ports=$PORTS
  project isob; b=$P
  spec a.yml "$a" "$a_ports" cpu 1
  spec b.yml "$b" "$PORTS" cpu 1
  "$RAYLAUNCH" up -f a.yml --progress plain --timeout 60 >/dev/null 2>&1
  "$RAYLAUNCH" up -f b.yml --progress plain --timeout 60 >/dev/null 2>&1
  docker run -d --name "$a-cpu-7" "$STANDIN_IMAGE" sleep 600 >/dev/null
  docker network create "$a-other_net" >/dev/null
  "$RAYLAUNCH" down -p "$a" --progress plain >/dev/null 2>&1
  check "down a exits 0" 0 $?
  check "a is gone" "" "$(containers_of "$a")"
  check "b untouched" "$b-cpu-1 running
$b-head running" "$(containers_of "$b")"
  check "the unlabelled container is untouched" "running" \
    "$(docker inspect --format '{{.State.Status}}' "$a-cpu-7")"
  check "the unlabelled network is untouched" "$a-other_net" \
    "$(docker network ls --filter name="$a-other_net" --format '{{.Name}}')"
  docker rm -f "$a-cpu-7" >/dev/null
  docker network rm "$a-other_net" >/dev/null
  ;;

timeout)
  # Nodes that never join: up --wait fails after --timeout, naming each with
  # the end of its log. The image's `ray` logs a line and sleeps.
  project slow; p=$P
  lame=raylaunch/ray-standin-lame:$$
  docker rm -f "$p-build" >/dev/null 2>&1
  docker run --name "$p-build" "$STANDIN_IMAGE" sh -c \
    'printf "#!/bin/sh\necho trying to reach the head\nexec sleep 600\n" >/usr/local/bin/ray && chmod +x /usr/local/bin/ray' >/dev/null
  docker commit "$p-build" "$lame" >/dev/null
  docker rm -f "$p-build" >/dev/null
  spec c.yml "$p" "$PORTS" cpu 1
  printf '  - group: lame\n    replicas: 1\n    image: %s\n' "$lame" >>c.yml
  started=$SECONDS
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 5 >out 2>err
  rc=$?
  check "up --wait times out with exit 1" 1 "$rc"
  check "within the timeout and a poll" 1 "$(( SECONDS - started < 15 ))"
  check "names the node that did not join, with its log" "raylaunch: error: Ray counts 2 of 3 nodes alive after 5 s
  $p-lame-1 (running; Ray: not registered) has not joined; the end of its log:
    | trying to reach the head

hint: \`raylaunch logs NODE\` shows a node's whole log; raise --timeout if the nodes are only slow" \
    "$(sed -n '/^raylaunch: error/,$p' err)"
  "$RAYLAUNCH" down -f c.yml --progress plain >/dev/null 2>&1
  docker rmi "$lame" >/dev/null
  ;;

preflight)
  # Each check fails before anything is created, with a message and a hint.
  project pre; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  "$RAYLAUNCH" up -f c.yml --docker /nonexistent/docker >out 2>err
  check "no docker program" "1 raylaunch: error: docker program \"/nonexistent/docker\" not found
hint: install Docker (Debian: apt-get install docker.io), or pass --docker PATH" "$? $(cat err)"

  sed "s#^image: .*#image: raylaunch/no-such-image:$$#" c.yml >noimage.yml
  "$RAYLAUNCH" up -f noimage.yml --progress plain >out 2>err
  check "image that cannot be had" "1" "$?"
  # Docker's own reason varies (no registry here, denied there); ours is exact.
  check "says which image cannot be had, and what to do" "raylaunch: error: image raylaunch/no-such-image:$$ is not here and cannot be pulled: docker pull: Error response from daemon:
hint: check the name, log in to its registry, or build or load it locally" \
    "$(sed '1s/\(Error response from daemon:\).*/\1/' <(grep -A1 '^raylaunch: error' err))"
  printf 'name: %s\nimage: %s\ngpus: [0]\nhead:\n  ports: {gcs: %s, dashboard: %s, client: %s}\nworkers:\n  - group: gpu\n    gpus: 1\n' \
    "$p" "$STANDIN_IMAGE" $PORTS >gpu.yml
  "$RAYLAUNCH" up -f gpu.yml --progress plain >out 2>err
  check "GPUs without the NVIDIA runtime" "1 raylaunch: error: the plan gives containers GPUs, but the Docker engine at unix:///var/run/docker.sock has no NVIDIA runtime
hint: install nvidia-container-toolkit and restart dockerd, or set gpus: 0" "$? $(cat err)"

  python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(120)' "$DASHBOARD" &
  listener=$!
  poll 10 "a listener on 127.0.0.1:$DASHBOARD" bash -c "ss -ltn | grep -q ' 127.0.0.1:$DASHBOARD '"
  "$RAYLAUNCH" up -f c.yml --progress plain >out 2>err
  check "a taken host port" "1 raylaunch: error: host port 127.0.0.1:$DASHBOARD (dashboard of $p-head) is already taken
hint: stop what listens there, or publish another port under head.ports" "$? $(cat err)"
  kill $listener
  check "nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"
  ;;

logfolders)
  # Seed 004's shape without GPUs: every node with ./logs/{name}:/tmp/ray
  # (and ./data/{name}:/data, which Ray leaves alone) on folders that do not
  # exist yet. The image runs as uid 1000, gid 100, like Ray's; as root,
  # raylaunch creates each folder and gives it to that user.
  [[ $(id -u) == 0 ]] || skip_or_fail "logfolders checks folder owners, so it runs as root"
  project logs; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  printf 'defaults:\n  volumes:\n    - ./logs/{name}:/tmp/ray\n    - ./data/{name}:/data\n' >>c.yml
  nodes="$p-head $p-cpu-1 $p-cpu-2"
  "$RAYLAUNCH" up -f c.yml --dry-run --progress plain >dry.out 2>dry.err
  want=$(for n in $nodes; do
    printf 'mkdir -p %s\nchown 1000:100 %s\n' "$PWD/logs/$n" "$PWD/logs/$n" "$PWD/data/$n" "$PWD/data/$n"
  done)
  check "--dry-run prints each mkdir and chown" "0 $want" "$? $(grep -E '^(mkdir|chown) ' dry.out)"
  check "--dry-run creates nothing" "" "$(ls -d logs data 2>/dev/null)"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >up.out 2>up.err
  check "up exits 0" 0 $?
  check "Ray counts every node" "Ray cluster \"$p\" is up: 3 of 3 nodes alive" "$(head -1 up.out)"
  check "up warns of nothing" "" "$(grep '^raylaunch: ' up.err)"
  check "each node's folders belong to the image's user; raylaunch's are not world-writable" \
    "$(printf 'logs 0:0 755\ndata 0:0 755\n'; for n in $nodes; do
      printf 'logs/%s 1000:100\ndata/%s 1000:100 755\n' "$n" "$n"; done)" \
    "$(stat -c '%n %u:%g %a' logs data; for n in $nodes; do
      stat -c '%n %u:%g' "logs/$n"; stat -c '%n %u:%g %a' "data/$n"; done)"
  check "each log folder holds Ray's session" "$nodes" \
    "$(for n in $nodes; do [[ -L logs/$n/session_latest ]] && echo -n "$n "; done | sed 's/ $//')"

  # An existing folder owned by root, mode 755: the warning comes before
  # anything starts, and the folder keeps its owner.
  project logsro; q=$P
  spec d.yml "$q" "$PORTS" cpu 1
  printf 'defaults:\n  volumes:\n    - ./ro/{name}:/tmp/ray\n' >>d.yml
  mkdir -p "ro/$q-head" "ro/$q-cpu-1"
  chmod 755 ro "ro/$q-head" "ro/$q-cpu-1"
  "$RAYLAUNCH" up -f d.yml --no-wait --progress plain >up2.out 2>up2.err
  check "up --no-wait exits 0" 0 $?
  warning() {
    printf 'raylaunch: warning: %s cannot write its bind folder %s: its image %s runs as 1000:100, the folder is owned by 0:0 with mode 755\nhint: give it to that user: chown 1000:100 %s\n' \
      "$1" "$PWD/ro/$1" "$STANDIN_IMAGE" "$PWD/ro/$1"
  }
  check "the warning for each folder, before anything starts" "$(warning "$q-head"; warning "$q-cpu-1")
 Network ${q}_net  Creating" "$(head -5 up2.err)"
  check "the folders keep their owner" "0:0 755
0:0 755" "$(stat -c '%u:%g %a' "ro/$q-head" "ro/$q-cpu-1")"
  poll 30 "Ray in $q-head fails to write its folder" bash -c "docker logs $q-head 2>&1 | grep -q PermissionError"
  check "Ray cannot write there, as warned" "PermissionError: [Errno 13] Permission denied: '/tmp/ray/" \
    "$(docker logs "$q-head" 2>&1 | grep -m1 -o "PermissionError: .* '/tmp/ray/")"
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
