#!/usr/bin/env bash
# Docker's failures told as they are (issue 15): what the daemon or the kernel
# refuses reaches the user whole, with the docker command, the node and a hint
# that fits, on a real engine with the ray stand-in. Each check asserts the
# whole stderr, with container ids and timings normalised; every scenario ends
# with `down` and checks that nothing with the project's label is left.
# Usage: messages_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK" || exit 1

# msg_project NAME: project NAME msg (lib.sh): P, a project name of this run
# (msg..., as the shared engine's naming rule asks), and PORTS, free host
# ports for its head; finish() takes it down and checks it.
msg_project() {
  project "$1" msg
}

# up_err SPEC [OPTIONS...]: `up`'s exit code, then its stderr with container
# ids shortened to ID and progress timings dropped.
up_err() {
  local spec=$1
  shift
  "$RAYLAUNCH" up -f "$spec" --progress plain --parallel 1 --timeout 60 "$@" >out 2>err
  echo $?
  sed -E 's/[0-9a-f]{64}/ID/g; s/\b[0-9a-f]{12}\b/ID/g; s/  [0-9.]+s$//' err
}

# loader_refused DESCRIPTION LINE STDERR: c.yml with LINE added to its cpu
# worker (line 10 of worker.yml), which the loader refuses before Docker is
# asked: exit 2, the whole STDERR, and nothing created.
loader_refused() {
  cp c.yml worker.yml
  printf '%s\n' "$2" >>worker.yml
  check "$1: exit 2 and the loader's whole message" "2
$3" "$(up_err worker.yml)"
  check "$1: nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"
}

# small_spec FILE NAME PORTS: a head on PORTS and one cpu worker.
small_spec() {
  spec "$1" "$2" "$3" cpu 1
}

case $scenario in
conflict)
  # A container of another owner holds a planned name: the daemon's words
  # whole, then whose it is, found by inspecting it.
  msg_project conflict; p=$P
  small_spec c.yml "$p" "$PORTS"
  docker run -d --name "$p-cpu-1" "$STANDIN_IMAGE" sleep 300 >/dev/null
  # It has no label, so lib.sh's cleanup would not find it.
  trap 'docker rm -f "$p-cpu-1" >/dev/null 2>&1; cleanup' EXIT
  # up sees it before creating anything (preflight), and says whose it is.
  check "a plain container's name: refused before anything is made" "1
raylaunch: error: the name $p-cpu-1 is taken by container ID, which is not raylaunch's
hint: raylaunch never touches a container without its project label: remove or rename it (docker rm -f ID), or give this project another name with -p" \
    "$(up_err c.yml)"
  check "the other container is untouched" "running" "$(docker inspect -f '{{.State.Status}}' "$p-cpu-1")"
  check "nothing of the project was made" "" "$(containers_of "$p")$(networks_of "$p")"
  "$RAYLAUNCH" exec -p "$p" -T cpu-1 -- true >out 2>err
  check "exec refuses a container that only has the project's name" "125 raylaunch: error: container $p-cpu-1 is not raylaunch's (it has no io.raylaunch.project label)
hint: raylaunch acts only on project \"$p\"'s own containers; use docker itself for this one" "$? $(cat err)"
  "$RAYLAUNCH" logs -p "$p" cpu-1 >out 2>err
  check "logs refuses it too" "1 raylaunch: error: container $p-cpu-1 is not raylaunch's (it has no io.raylaunch.project label)
hint: raylaunch acts only on project \"$p\"'s own containers; use docker itself for this one" "$? $(cat err)"
  docker rm -f "$p-cpu-1" >/dev/null
  # Two projects whose names overlap: msg...-ov with group a-b and
  # msg...-ov-a with group b both name a container msg...-ov-a-b-1.
  msg_project ov; ov=$P; ov_ports=$PORTS
  msg_project ov-a; ova=$P
  spec a.yml "$ova" "$PORTS" b 1
  "$RAYLAUNCH" up -f a.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "the first project is up" "$ova-b-1 running
$ova-head running" "$(containers_of "$ova")"
  spec b.yml "$ov" "$ov_ports" a-b 1
  check "another project's container: refused with both projects' names" "1
raylaunch: error: the name $ov-a-b-1 is taken by container ID of raylaunch project \"$ova\"
hint: the names of projects \"$ov\" and \"$ova\" overlap (containers are named <project>-<group>-<replica>): take \"$ova\" down (raylaunch down -p $ova), or give this project another name with -p" \
    "$(up_err b.yml)"
  check "nothing of the second project was made" "" "$(containers_of "$ov")$(networks_of "$ov")"
  # A node that asks for more than the machine has is refused up front too.
  msg_project big; big=$P
  spec big.yml "$big" "$PORTS" cpu 1
  sed -i 's/^    num_cpus: 1$/    num_cpus: 1\n    cpus: 4096\n    memory: 1000t/' big.yml
  check "more CPUs than the engine has: refused before anything is made" "1
raylaunch: error: $big-cpu-1 asks for cpus: 4096, but the engine at unix:///var/run/docker.sock has $(docker info -f '{{.NCPU}}') CPUs
hint: lower cpus: Docker refuses a limit above the machine's CPUs" "$(up_err big.yml)"
  check "nothing of it was made" "" "$(containers_of "$big")$(networks_of "$big")"
  ;;

refused)
  # A label key with a space, an image with capitals and a volume target of
  # / once reached Docker, which refused them with the head already started;
  # the loader refuses them now, before Docker is asked.
  msg_project refused; p=$P
  small_spec c.yml "$p" "$PORTS"
  loader_refused "a label key with a space" '    labels: {"bad key": x}' \
    'worker.yml:10:14: error: label "bad key" contains whitespace
   10 |     labels: {"bad key": x}
      |              ^
hint: write the key as one word, e.g. com.example.team'
  loader_refused "an image reference with capitals" '    image: Raylaunch/Standin:test' \
    'worker.yml:10:12: error: invalid image reference "Raylaunch/Standin:test"
   10 |     image: Raylaunch/Standin:test
      |            ^
hint: write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]: PATH is lowercase letters and digits with ".", "_", "__" or "-" between them and "/" between parts, at most 255 characters with HOST; TAG is at most 128 letters, digits, "_", "." and "-", not starting with "." or "-"; e.g. rayproject/ray:2.52.1'
  loader_refused "a volume target of /" '    volumes: ["./data:/"]' \
    'worker.yml:10:15: error: volume target "/" would hide the container'"'"'s whole file system
   10 |     volumes: ["./data:/"]
      |               ^
hint: mount on a folder of its own, e.g. - ./data:/data'
  # What the loader cannot know: the engine's host has no such address.
  sed 's/^  num_cpus: 0$/  num_cpus: 0\n  bind: 10.255.255.1/' c.yml >bind.yml
  # Docker tries the head's ports in an order of its own; the one it names
  # must be one of them, and stands as PORT below.
  got=$(up_err bind.yml)
  named=$(grep -om1 '10\.255\.255\.1:[0-9]*' <<<"$got" | cut -d: -f2)
  check "docker names a port of the head's" 1 "$([[ -n $named && " $PORTS " == *" $named "* ]] && echo 1)"
  check "a bind address the host does not have" "1
 Network ${p}_net  Creating
 Network ${p}_net  Created
 Container $p-head  Creating
 Container $p-head  Error  docker run: Error response from daemon: driver failed programming external connectivity on endpoint $p-head (ID): Error starting userland proxy: listen tcp4 10.255.255.1:PORT: bind: cannot assign requested address
raylaunch: error: cannot start $p-head: docker run: Error response from daemon: driver failed programming external connectivity on endpoint $p-head (ID): Error starting userland proxy: listen tcp4 10.255.255.1:PORT: bind: cannot assign requested address
hint: head.bind must be an address of the engine's host (127.0.0.1, 0.0.0.0 or one of its interfaces'); the container is left created: fix bind, then \`raylaunch up\`" \
    "${got//10.255.255.1:$named:/10.255.255.1:PORT:}"
  check "what is left: the head, created" "$p-head created" "$(containers_of "$p")"
  up_err c.yml >/dev/null
  check "with bind fixed up converges" "$p-cpu-1 running
$p-head running" "$(containers_of "$p")"
  ;;

big-env)
  # A 3 MB env value through .env once reached docker run and the kernel
  # refused its argv (E2BIG); the loader caps a value at 4096 characters after
  # interpolation now, before Docker is asked.
  msg_project bigenv; p=$P
  mkdir big
  small_spec big/c.yml "$p" "$PORTS"
  printf '    env: {BIG: "${BIG}"}\n' >>big/c.yml
  { printf 'BIG='; head -c 3000000 /dev/zero | tr '\0' a; echo; } >big/.env
  check "a 3 MB env value: the loader's whole message" '2
big/c.yml:10:17: error: env.BIG: interpolation makes the value longer than the 4096 characters allowed
   10 |     env: {BIG: "${BIG}"}
      |                 ^
hint: check the variables used here; long data belongs in a file mounted with volumes:' \
    "$(up_err big/c.yml)"
  check "a 3 MB env value: nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"

  # What the loader still takes can make too long a command line: labels are
  # not capped per node, only each value (4096 characters) and the spec (100,000
  # values, 16 MiB). The kernel takes one argument of at most 32 pages (131072
  # bytes) and all of them, with the environment, within a quarter of the stack
  # limit: 2 MiB with `ulimit -s 8192`, set here so the case does not depend on
  # the machine's stack limit (unlimited would allow 6 MiB). The message names
  # the longest value by its option, never prints it.
  a4000=$(head -c 4000 /dev/zero | tr '\0' a)
  a4096=$(head -c 4096 /dev/zero | tr '\0' a)
  # 420 ray labels as long as Ray's syntax lets them be (a 191-character
  # prefix, a 63-character name, a 63-character value): ray start's one
  # --labels= argument, 420 x 319 bytes, the commas and "--labels=".
  prefix=$(printf 'a%.0s' $(seq 63)).$(printf 'b%.0s' $(seq 63)).$(printf 'c%.0s' $(seq 63))
  value=$(printf 'v%.0s' $(seq 63))
  cp big/c.yml ray-labels.yml
  sed -i '$d' ray-labels.yml
  {
    echo "    ray_labels:"
    for i in $(seq -w 1 420); do
      name=r$i$(printf 'x%.0s' $(seq 59))
      echo "      $prefix/$name: $value"
    done
  } >>ray-labels.yml
  check "ray labels past one argument's limit: named by the option" "1
 Network ${p}_net  Creating
 Network ${p}_net  Created
 Container $p-head  Creating
 Container $p-head  Started
 Container $p-cpu-1  Creating
 Container $p-cpu-1  Error  docker run: the kernel refuses so long a command line (E2BIG): the value of --labels is 134408 bytes, more than the 131072 Linux takes in one value
raylaunch: error: cannot start $p-cpu-1: docker run: the kernel refuses so long a command line (E2BIG): the value of --labels is 134408 bytes, more than the 131072 Linux takes in one value
hint: shorten that value; give a node big data in a file through volumes:" "$(up_err ray-labels.yml)"
  check "what is left: the network and the head" "${p}_net
$p-head running" "$(networks_of "$p"; containers_of "$p")"
  # 600 labels of 4000 characters and one of 4096: 2.4 MB of arguments.
  cp big/c.yml labels.yml
  sed -i '$d' labels.yml
  {
    echo "    labels:"
    echo "      big: $a4096"
    for i in $(seq -w 1 600); do echo "      l$i: $a4000"; done
  } >>labels.yml
  check "labels past all arguments' limit: the longest named by its option" "1
 Container $p-head  Running
 Container $p-cpu-1  Creating
 Container $p-cpu-1  Error  docker run: the kernel refuses so long a command line (E2BIG): its arguments and environment are more than Linux takes in all; the longest is the value of --label big (4100 bytes)
raylaunch: error: cannot start $p-cpu-1: docker run: the kernel refuses so long a command line (E2BIG): its arguments and environment are more than Linux takes in all; the longest is the value of --label big (4100 bytes)
hint: shorten that value; give a node big data in a file through volumes:" "$(ulimit -s 8192 2>/dev/null; up_err labels.yml)"
  check "what is left: still the network and the head" "${p}_net
$p-head running" "$(networks_of "$p"; containers_of "$p")"
  ;;

engine)
  # No engine at the address: a context that does not exist, a socket that
  # does not, a tcp:// address nobody listens on; each its own hint.
  msg_project engine; p=$P
  small_spec c.yml "$p" "$PORTS"
  mkdir docker-config
  sum=$(printf '%s' msg-nope | sha256sum | cut -d' ' -f1)
  DOCKER_CONFIG=$WORK/docker-config "$RAYLAUNCH" up -f c.yml --context msg-nope --progress plain >out 2>err
  check "a context that does not exist" "1
raylaunch: error: the Docker context \"msg-nope\" does not exist: Failed to initialize: unable to resolve docker endpoint: context \"msg-nope\": context not found: open $WORK/docker-config/contexts/meta/$sum/meta.json: no such file or directory
hint: \`docker context ls\` lists the contexts: pass one with --context, or unset DOCKER_CONTEXT for the default engine" "$?
$(cat err)"
  DOCKER_HOST=unix://$WORK/none.sock "$RAYLAUNCH" status -p "$p" >out 2>err
  check "a socket that does not exist" "1
raylaunch: error: the Docker engine at unix://$WORK/none.sock does not answer: Cannot connect to the Docker daemon at unix://$WORK/none.sock. Is the docker daemon running?
hint: start it (as root: \`dockerd &\`, or \`systemctl start docker\`), or point DOCKER_HOST or --context at one that runs" "$?
$(cat err)"
  refused_port
  DOCKER_HOST=tcp://127.0.0.1:$REFUSED_PORT "$RAYLAUNCH" down -p "$p" >out 2>err
  check "a remote address nobody listens on" "1
raylaunch: error: the remote Docker engine at tcp://127.0.0.1:$REFUSED_PORT does not answer: Cannot connect to the Docker daemon at tcp://127.0.0.1:$REFUSED_PORT. Is the docker daemon running?
hint: check on that machine that dockerd runs and listens there, and that this one reaches it (address, port, firewall, TLS settings)" "$?
$(cat err)"
  check "nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
