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

# msg_project NAME: sets P to a project name of this run (msg..., as the
# shared engine's naming rule asks); finish() takes it down and checks it.
msg_project() {
  P="msg$$-$1"
  PROJECTS+=("$P")
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

# worker_refused DESCRIPTION LINE SAID: c.yml with LINE added to its cpu
# worker, whose `docker run` docker refuses with SAID while the head runs on.
worker_refused() {
  cp c.yml worker.yml
  printf '%s\n' "$2" >>worker.yml
  check "$1" "1
 Container $p-head  Running
 Container $p-cpu-1  Creating
 Container $p-cpu-1  Error  docker run: $3
raylaunch: error: cannot start $p-cpu-1: docker run: $3
hint: fix the cause and run \`raylaunch up\` again; it converges from here" "$(up_err worker.yml)"
}

# A head and one cpu worker on host ports from $3.
small_spec() {
  spec "$1" "$2" "$3" cpu 1
}

case $scenario in
conflict)
  # A container of another owner holds a planned name: the daemon's words
  # whole, then whose it is, found by inspecting it.
  msg_project conflict; p=$P
  small_spec c.yml "$p" 18500
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
  docker rm -f "$p-cpu-1" >/dev/null
  # Two projects whose names overlap: msg...-ov with group a-b and
  # msg...-ov-a with group b both name a container msg...-ov-a-b-1.
  msg_project ov; ov=$P
  msg_project ov-a; ova=$P
  spec a.yml "$ova" 18510 b 1
  "$RAYLAUNCH" up -f a.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "the first project is up" "$ova-b-1 running
$ova-head running" "$(containers_of "$ova")"
  spec b.yml "$ov" 18520 a-b 1
  check "another project's container: refused with both projects' names" "1
raylaunch: error: the name $ov-a-b-1 is taken by container ID of raylaunch project \"$ova\"
hint: the names of projects \"$ov\" and \"$ova\" overlap (containers are named <project>-<group>-<replica>): take \"$ova\" down (raylaunch down -p $ova), or give this project another name with -p" \
    "$(up_err b.yml)"
  check "nothing of the second project was made" "" "$(containers_of "$ov")$(networks_of "$ov")"
  # A node that asks for more than the machine has is refused up front too.
  msg_project big; big=$P
  spec big.yml "$big" 18530 cpu 1
  sed -i 's/^    num_cpus: 1$/    num_cpus: 1\n    cpus: 4096\n    memory: 1000t/' big.yml
  check "more CPUs than the engine has: refused before anything is made" "1
raylaunch: error: $big-cpu-1 asks for cpus: 4096, but the engine at unix:///var/run/docker.sock has $(docker info -f '{{.NCPU}}') CPUs
hint: lower cpus: Docker refuses a limit above the machine's CPUs" "$(up_err big.yml)"
  check "nothing of it was made" "" "$(containers_of "$big")$(networks_of "$big")"
  ;;

refused)
  # Values the loader passes but the docker CLI or the daemon refuses: the
  # message is theirs, whole, without the usage boilerplate.
  msg_project refused; p=$P
  small_spec c.yml "$p" 18530
  cp c.yml label.yml
  printf '    labels: {"bad key": x}\n' >>label.yml
  check "a label key with a space" "1
 Network ${p}_net  Creating
 Network ${p}_net  Created
 Container $p-head  Creating
 Container $p-head  Started
 Container $p-cpu-1  Creating
 Container $p-cpu-1  Error  docker run: invalid argument \"bad key=x\" for \"-l, --label\" flag: label 'bad key' contains whitespaces
raylaunch: error: cannot start $p-cpu-1: docker run: invalid argument \"bad key=x\" for \"-l, --label\" flag: label 'bad key' contains whitespaces
hint: fix the cause and run \`raylaunch up\` again; it converges from here" "$(up_err label.yml)"
  worker_refused "an image reference with capitals" '    image: Raylaunch/Standin:test' \
    "invalid reference format: repository name (Standin) must be lowercase"
  worker_refused "a volume target of /" '    volumes: ["./data:/"]' \
    "Error response from daemon: invalid volume specification: '$WORK/data:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"
  "$RAYLAUNCH" down -p "$p" --progress plain >/dev/null 2>&1
  sed 's/^  num_cpus: 0$/  num_cpus: 0\n  bind: 10.255.255.1/' c.yml >bind.yml
  check "a bind address the host does not have" "1
 Network ${p}_net  Creating
 Network ${p}_net  Created
 Container $p-head  Creating
 Container $p-head  Error  docker run: Error response from daemon: driver failed programming external connectivity on endpoint $p-head (ID): Error starting userland proxy: listen tcp4 10.255.255.1:18532: bind: cannot assign requested address
raylaunch: error: cannot start $p-head: docker run: Error response from daemon: driver failed programming external connectivity on endpoint $p-head (ID): Error starting userland proxy: listen tcp4 10.255.255.1:18532: bind: cannot assign requested address
hint: head.bind must be an address of the engine's host (127.0.0.1, 0.0.0.0 or one of its interfaces'); the container is left created: fix bind, then \`raylaunch up\`" \
    "$(up_err bind.yml)"
  check "what is left: the head, created" "$p-head created" "$(containers_of "$p")"
  up_err c.yml >/dev/null
  check "with bind fixed up converges" "$p-cpu-1 running
$p-head running" "$(containers_of "$p")"
  ;;

big-env)
  # A 3 MB env value through .env: the kernel refuses docker's argv (E2BIG);
  # the message names the value by its option, never prints it.
  msg_project bigenv; p=$P
  mkdir big
  small_spec big/c.yml "$p" 18540
  printf '    env: {BIG: "${BIG}"}\n' >>big/c.yml
  { printf 'BIG='; head -c 3000000 /dev/zero | tr '\0' a; echo; } >big/.env
  check "the value too long for the kernel, by its option" "1
 Network ${p}_net  Creating
 Network ${p}_net  Created
 Container $p-head  Creating
 Container $p-head  Started
 Container $p-cpu-1  Creating
 Container $p-cpu-1  Error  docker run: the kernel refuses so long a command line (E2BIG): the value of --env BIG is 3000004 bytes, more than the 131072 Linux takes in one value
raylaunch: error: cannot start $p-cpu-1: docker run: the kernel refuses so long a command line (E2BIG): the value of --env BIG is 3000004 bytes, more than the 131072 Linux takes in one value
hint: shorten that value; give a node big data in a file through volumes:" "$(up_err big/c.yml)"
  check "what is left: the network and the head" "${p}_net
$p-head running" "$(networks_of "$p"; containers_of "$p")"
  ;;

engine)
  # No engine at the address: a context that does not exist, a socket that
  # does not, a tcp:// address nobody listens on; each its own hint.
  msg_project engine; p=$P
  small_spec c.yml "$p" 18550
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
  DOCKER_HOST=tcp://127.0.0.1:18999 "$RAYLAUNCH" down -p "$p" >out 2>err
  check "a remote address nobody listens on" "1
raylaunch: error: the remote Docker engine at tcp://127.0.0.1:18999 does not answer: Cannot connect to the Docker daemon at tcp://127.0.0.1:18999. Is the docker daemon running?
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
