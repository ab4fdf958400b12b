#!/usr/bin/env bash
# `up` converges whatever Docker did to the cluster (issue 15): a project
# network removed or detached, an image rebuilt under its tag, the re-create
# flags, the stop grace period, a node in a crash loop, a frozen head.
# Usage: converge_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

# The reconcile decisions `up --log-level info` logged, one a line.
decisions() { grep '^raylaunch: info: reconcile: ' "$1" | sed 's/^raylaunch: info: reconcile: //'; }
# Each container of project $1 with the ID of the network it is attached to.
attached() {
  docker ps -a --filter "label=io.raylaunch.project=$1" --format '{{.Names}}' | sort |
    while read -r name; do
      echo "$name $(docker inspect --format '{{range .NetworkSettings.Networks}}{{.NetworkID}}{{end}}' "$name")"
    done
}
millis() { date +%s%3N; }

case $scenario in
network)
  # The network removed while the cluster is stopped made every later up
  # fail (`docker start`: network ... not found). Now up makes it again and
  # re-creates the nodes on it; also when a network of that name was made by
  # hand meanwhile (Docker keeps the old ID in each container), and for a
  # worker detached from it while it runs.
  project net cvg; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "first up" 0 $?
  gone="the network it was created on is gone (removed, or removed and made again), so it cannot start on it"
  for how in removed remade; do
    docker stop -t 1 $(docker ps -q --filter "label=io.raylaunch.project=$p") >/dev/null
    docker network rm "${p}_net" >/dev/null
    made=""
    if [[ $how == remade ]]; then
      docker network create --label "io.raylaunch.project=$p" "${p}_net" >/dev/null
    else
      made="create network ${p}_net: it does not exist"$'\n'
    fi
    "$RAYLAUNCH" up -f c.yml --log-level info --progress plain --timeout 60 >up.out 2>up.err
    check "up after the network was $how exits 0" 0 $?
    check "Ray has every node ($how)" "Ray cluster \"$p\" is up: 3 of 3 nodes alive" "$(head -1 up.out)"
    check "each node re-created, and why ($how)" "${made}re-create $p-head: $gone
re-create $p-cpu-1: $gone
re-create $p-cpu-2: $gone" "$(decisions up.err)"
    net=$(docker network inspect --format '{{.Id}}' "${p}_net")
    check "every node on the network there is now ($how)" "$p-cpu-1 $net
$p-cpu-2 $net
$p-head $net" "$(attached "$p")"
  done
  before=$(ids_of "$p")
  docker network disconnect "${p}_net" "$p-cpu-1"
  "$RAYLAUNCH" up -f c.yml --log-level info --progress plain --timeout 60 >up.out 2>up.err
  check "up after a disconnect exits 0" 0 $?
  check "only the detached worker is re-created" "re-create $p-cpu-1: it is not attached to the project's network (docker network disconnect)" \
    "$(decisions up.err | grep -v '^keep ')"
  check "a new container for the worker, the same ones for the others" "$p-cpu-1" \
    "$(diff <(echo "$before") <(ids_of "$p") | grep '^>' | awk '{print $2}')"
  check "the worker is attached again" "$p-cpu-1 $net" "$(attached "$p" | grep "^$p-cpu-1 ")"
  ;;

image)
  # An image rebuilt under the tag a group names: up re-creates that group's
  # nodes from the new image, as compose does; the others stay.
  project img cvg; p=$P
  tag=raylaunch/ray-standin-cvg:$$
  docker tag "$STANDIN_IMAGE" "$tag"
  spec c.yml "$p" "$PORTS" cpu 1
  printf '  - group: tagged\n    replicas: 1\n    image: %s\n' "$tag" >>c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "first up" 0 $?
  old=$(docker image inspect --format '{{.Id}}' "$tag")
  docker rm -f "$p-build" >/dev/null 2>&1
  docker run --name "$p-build" "$tag" sh -c 'echo rebuilt >/home/ray/marker' >/dev/null
  docker commit "$p-build" "$tag" >/dev/null
  docker rm -f "$p-build" >/dev/null
  new=$(docker image inspect --format '{{.Id}}' "$tag")
  "$RAYLAUNCH" up -f c.yml --log-level info --progress plain --timeout 60 >up.out 2>up.err
  check "up exits 0" 0 $?
  check "only the node of the rebuilt image is re-created" "re-create $p-tagged-1: it runs image ${old:7:12}, but $tag names ${new:7:12} now" \
    "$(decisions up.err | grep -v '^keep ')"
  check "it runs the new image" "$new" "$(docker inspect --format '{{.Image}}' "$p-tagged-1")"
  check "Ray has every node" "Ray cluster \"$p\" is up: 3 of 3 nodes alive" "$(head -1 up.out)"
  "$RAYLAUNCH" down -f c.yml --progress plain >/dev/null 2>&1
  docker rmi "$tag" >/dev/null
  ;;

flags)
  # --force-recreate re-creates every container; --no-recreate none, even
  # with a changed config (it says so at info level).
  project flags cvg; p=$P
  spec c.yml "$p" "$PORTS" cpu 1 one
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "first up" 0 $?
  before=$(ids_of "$p")
  "$RAYLAUNCH" up -f c.yml --force-recreate --log-level info --progress plain --timeout 60 >up.out 2>up.err
  check "up --force-recreate exits 0" 0 $?
  check "--force-recreate re-creates each node" "re-create $p-head: --force-recreate re-creates every container
re-create $p-cpu-1: --force-recreate re-creates every container" "$(decisions up.err)"
  check "no container is the same" "" "$(comm -12 <(echo "$before") <(ids_of "$p"))"
  check "Ray has every node" "Ray cluster \"$p\" is up: 2 of 2 nodes alive" "$(head -1 up.out)"
  spec c.yml "$p" "$PORTS" cpu 1 two
  before=$(ids_of "$p")
  "$RAYLAUNCH" up -f c.yml --no-recreate --log-level info --progress plain --timeout 60 >up.out 2>up.err
  check "up --no-recreate exits 0" 0 $?
  check "--no-recreate keeps the changed node, and says so" "keep $p-cpu-1: running; config changed, not re-created: --no-recreate" \
    "$(decisions up.err | grep cpu-1)"
  check "the same containers" "$before" "$(ids_of "$p")"
  check "with the old env" "MARK=one" \
    "$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$p-cpu-1" | grep '^MARK=')"
  ;;

grace)
  # Scale-down stops a node within its stop_grace_period, then removes it:
  # Ray gets SIGTERM and records the node's end as expected (rm --force was
  # SIGKILL: "Unexpected termination").
  project grace cvg; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "first up" 0 $?
  id=$(docker inspect --format '{{.Id}}' "$p-cpu-2")
  spec c.yml "$p" "$PORTS" cpu 1
  printf '    stop_grace_period: 1m30s\n' >>c.yml
  "$RAYLAUNCH" up -f c.yml --verbose --progress plain --timeout 60 >up.out 2>up.err
  check "scale-down exits 0" 0 $?
  check "docker stop with the grace period, then docker rm" "docker stop --time 90 $id
docker rm $id" "$(grep -E '^raylaunch: debug: docker (stop|rm) ' up.err | sed 's/^raylaunch: debug: //; s/ (exit .*//')"
  check "Ray saw the node stop on SIGTERM" "DEAD Expected termination: received SIGTERM" \
    "$(python3 -c 'import json,sys,urllib.request
nodes = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}/api/v0/nodes?limit=100"))["data"]["result"]["result"]
print(*[n["state"] + " " + n["state_message"] for n in nodes if n["node_name"] == sys.argv[1]])' "$p-cpu-2" "$DASHBOARD")"
  ;;

crashloop)
  # A node that cannot start (a ray_args value Ray refuses and raylaunch
  # passes as written: --system-config, which Ray reads as JSON) fails up at
  # once, named with the end of its log, not after --timeout: exited when
  # its restart policy says no, restarting in a loop by default.
  project crash cvg; p=$P
  for restart in no unless-stopped; do
    spec c.yml "$p" "$PORTS" cpu 1
    printf '  - group: bad\n    replicas: 1\n    restart: %s\n    ray_args: {system-config: "{x"}\n' "$restart" >>c.yml
    started=$(millis)
    "$RAYLAUNCH" up -f c.yml --progress plain --timeout 120 >out 2>err
    rc=$?
    took=$(($(millis) - started))
    echo "# restart: $restart: up failed after $took ms"
    check "up exits 1 (restart: $restart)" 1 "$rc"
    # About 2 s here; the bound leaves room for a loaded machine, far below --timeout.
    check "within 15 s, not after --timeout (restart: $restart)" 1 "$((took < 15000))"
    if [[ $restart == no ]]; then
      how="exited with code 2"
      log="    | Usage: ray start [OPTIONS]"$'\n'"    | Try 'ray start --help' for help."$'\n'"    | "
    else
      how="restarted N times"
      log="    | Error: Invalid value for '--system-config': {x"$'\n'"    | Usage: ray start [OPTIONS]"$'\n'"    | Try 'ray start --help' for help."$'\n'"    | "
    fi
    check "names the node and its log (restart: $restart)" "raylaunch: error: 1 of 3 nodes crashed while up waited for Ray
  $p-bad-1 $how; the end of its log:
$log
    | Error: Invalid value for '--system-config': {x

hint: fix what its log says, then \`raylaunch up\` again; \`raylaunch logs NODE\` shows a node's whole log" \
      "$(sed -n '/^raylaunch: error/,$p' err | sed -E 's/restarted [0-9]+ times( \([a-z]+, exit code 2\))?/restarted N times/')"
    "$RAYLAUNCH" down -f c.yml --progress plain >/dev/null 2>&1
  done
  ;;

frozen)
  # A head whose dashboard takes every connection and never answers (paused
  # right after docker run, by a docker wrapper): up --timeout 5 still ends
  # within 6 s.
  project frozen cvg; p=$P
  # A small object store fits /dev/shm, so Ray's warning that it does not
  # (which names this machine's memory) stays out of the log.
  printf 'name: %s\nimage: %s\nhead:\n  ports: {gcs: %s, dashboard: %s, client: %s}\n  ray_args: {object-store-memory: 100000000}\n' \
    "$p" "$STANDIN_IMAGE" $PORTS >c.yml
  cat >pausing-docker <<WRAPPER
#!/usr/bin/env bash
docker "\$@"
rc=\$?
if [[ \$1 == run && " \$* " == *" --name $p-head "* ]]; then
  docker pause "$p-head" >/dev/null
fi
exit \$rc
WRAPPER
  chmod +x pausing-docker
  started=$(millis)
  "$RAYLAUNCH" up -f c.yml --docker ./pausing-docker --timeout 5 --progress plain >out 2>err
  rc=$?
  took=$(($(millis) - started))
  echo "# up --timeout 5 with a frozen head returned after $took ms"
  check "up exits 1" 1 "$rc"
  check "within 6 s" 1 "$((took < 6000))"
  check "names the frozen head, with the end of its log" "raylaunch: error: Ray counts 0 of 1 nodes alive after 5 s
  $p-head (paused) has not joined; the end of its log:
    |   To monitor and debug Ray, view the dashboard at
    |     IP:$DASHBOARD
    | --block
    |   This command will now block forever until terminated by a signal.
    |   (Stand-in: SIGTERM or SIGINT ends it with status 0.)

hint: \`raylaunch logs NODE\` shows a node's whole log; raise --timeout if the nodes are only slow" \
    "$(sed -n '/^raylaunch: error/,$p' err | sed -E 's/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/IP/')"
  started=$(millis)
  "$RAYLAUNCH" status -f c.yml >status.out 2>&1
  rc=$?
  took=$(($(millis) - started))
  echo "# status with a frozen head returned after $took ms"
  check "status says Ray did not answer, within 2 s a try" "1 Ray: 0 of 1 nodes alive (neither Ray's dashboard nor ray status on the head answered)" \
    "$rc $(grep '^Ray:' status.out)"
  check "status within 5 s" 1 "$((took < 5000))"
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
