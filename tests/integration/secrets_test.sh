#!/usr/bin/env bash
# A secret env value is masked wherever it turns up in raylaunch's output,
# however it got there (issue 15): a message that quotes another field holding
# it, config's labels and ray_args, the docker argv of --dry-run and
# --verbose, progress, and Docker's words. Whole outputs are asserted; a fake
# docker stands in for the engine, so no Docker is needed.
#   tests/integration/secrets_test.sh RAYLAUNCH
set -uo pipefail
raylaunch=$(realpath "$1")
source "$(dirname "$0")/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0
failed=0
export SECRET=hunter2-in-the-spec OPAQUE=opaque-value-77 RAYLAUNCH_LOCK_DIR=$work/locks

# check NAME WANT GOT
check() {
  if [[ $2 == "$3" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s\n--- want\n%s\n--- got\n%s\n' "$1" "$2" "$3"
  fi
}

# Its stderr: refuses every `run`, quoting its labels back as a daemon that
# echoes a value would; otherwise an engine that has nothing.
cat >fake-docker <<'SH'
#!/bin/sh
case $1 in
run)
  for a in "$@"; do
    case $a in team=*) echo "docker: Error response from daemon: invalid label $a" >&2 ;; esac
  done
  printf "\nRun 'docker run --help' for more information\n" >&2
  exit 125 ;;
image) printf 'sha256:1\t""\n' ;;
esac
exit 0
SH
chmod +x fake-docker

cat >image.yml <<'YAML'
name: msgsecret
image: "bad!${SECRET}"
defaults:
  env:
    DB_PASSWORD: ${SECRET}
YAML
"$raylaunch" config -f image.yml >out 2>err
check "a secret in another field's message (image)" '2
image.yml:2:8: error: invalid image reference "bad!******"
    2 | image: "bad!${SECRET}"
      |        ^
hint: write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]: PATH is lowercase letters and digits with ".", "_", "__" or "-" between them and "/" between parts, at most 255 characters with HOST; TAG is at most 128 letters, digits, "_", "." and "-", not starting with "." or "-"; e.g. rayproject/ray:2.52.1' "$?
$(cat out err)"

cat >cpus.yml <<'YAML'
name: msgsecret
image: ray:1
head:
  cpus: ${SECRET}
workers:
  - group: cpu
    env:
      - API_TOKEN=${SECRET}
YAML
"$raylaunch" config -f cpus.yml >out 2>err
check "a secret of a later node's env list, in the head's cpus" '2
cpus.yml:4:9: error: cpus must be a number, got "******"
    4 |   cpus: ${SECRET}
      |         ^
hint: e.g. cpus: 2.5' "$?
$(cat out err)"

cat >memory.yml <<'YAML'
name: msgsecret
image: ray:1
head:
  memory: "${OPAQUE}"
  env:
    CREDENTIAL: {value: "${OPAQUE}", secret: true}
YAML
"$raylaunch" config -f memory.yml >out 2>err
check "a value marked secret: true, in memory" '2
memory.yml:4:11: error: memory must be a size, got "******"
    4 |   memory: "${OPAQUE}"
      |           ^
hint: write bytes or a number with a unit (k, m, g, t), e.g. memory: 8g' "$?
$(cat out err)"

cat >c.yml <<'YAML'
name: msgsecret
image: ray:1
head:
  ports: {gcs: @GCS@, dashboard: @DASHBOARD@, client: @CLIENT@}
  env:
    DB_PASSWORD: ${SECRET}
  labels: {team: "${SECRET}"}
  ray_args: {temp-dir: "/tmp/${SECRET}"}
YAML
# up probes the head's host ports: free ones, none another cluster holds.
read -r gcs dashboard client <<<"$(free_ports 3)"
sed -i "s/@GCS@/$gcs/; s/@DASHBOARD@/$dashboard/; s/@CLIENT@/$client/" c.yml
"$raylaunch" config -f c.yml --format json >out 2>err
check "config: env, labels and ray_args masked" "0 0 3" \
  "$? $(grep -c "$SECRET" out) $(grep -c '\*\*\*\*\*\*' out)"
check "config: the lines that held it" '        "--temp-dir=/tmp/******"
        "DB_PASSWORD": "******",
        "team": "******"' "$(grep -F '******' out)"

run_argv="run --detach --init --name msgsecret-head --hostname msgsecret-head --network msgsecret_net --label io.raylaunch.config-hash=HASH --label io.raylaunch.dashboard=http://127.0.0.1:$dashboard --label io.raylaunch.group=head --label io.raylaunch.project=msgsecret --label io.raylaunch.replica=1 --label io.raylaunch.role=head --label io.raylaunch.version=0.1.0 --label team=****** --env DB_PASSWORD --env RAYLAUNCH_GROUP=head --env RAYLAUNCH_PROJECT=msgsecret --env RAYLAUNCH_REPLICA=1 --env RAY_ADDRESS=msgsecret-head:$gcs --shm-size 2147483648 --restart unless-stopped --publish 127.0.0.1:$gcs:$gcs --publish 127.0.0.1:$dashboard:$dashboard --publish 127.0.0.1:$client:$client ray:1 ray start --block --dashboard-host=0.0.0.0 --dashboard-port=$dashboard --head --node-name=msgsecret-head --num-gpus=0 --port=$gcs --ray-client-server-port=$client --temp-dir=/tmp/******"
# normalised: the config hash and the times.
normalised() {
  sed -E 's/[0-9a-f]{64}/HASH/g; s/, [0-9.]+ s\)$/, T s)/; s/  [0-9.]+s$//' "$@"
}
"$raylaunch" up -f c.yml --docker ./fake-docker --progress plain --dry-run >out 2>err
check "--dry-run: the argv masked" "0
./fake-docker network create --driver bridge --label io.raylaunch.project=msgsecret --label io.raylaunch.version=0.1.0 msgsecret_net
./fake-docker $run_argv" "$?
$(normalised out)"
# The first three look-ups run at once, so their lines come in any order.
"$raylaunch" up -f c.yml --docker ./fake-docker --progress plain --verbose >out 2>err
check "--verbose, progress and Docker's words masked" "1
raylaunch: debug: ./fake-docker image inspect --format '{{.Id}}	{{json .Config.User}}' ray:1 (exit 0, T s)
raylaunch: debug: ./fake-docker network ls --no-trunc --filter label=io.raylaunch.project=msgsecret --format '{{.Name}}	{{.ID}}' (exit 0, T s)
raylaunch: debug: ./fake-docker ps -a --no-trunc --filter label=io.raylaunch.project=msgsecret --format '{{.ID}}	{{.Names}}	{{.State}}	{{.Label \"io.raylaunch.role\"}}	{{.Label \"io.raylaunch.group\"}}	{{.Label \"io.raylaunch.replica\"}}	{{.Label \"io.raylaunch.config-hash\"}}	{{.Label \"io.raylaunch.cpus\"}}	{{.Label \"io.raylaunch.gpus\"}}	{{.Label \"io.raylaunch.dashboard\"}}	{{.Label \"io.raylaunch.hosts\"}}	{{.Label \"io.raylaunch.host\"}}' (exit 0, T s)
raylaunch: info: reconcile: create network msgsecret_net: it does not exist
raylaunch: info: reconcile: create msgsecret-head: no container of that name exists
raylaunch: debug: ./fake-docker ps -a --no-trunc --filter 'name=^msgsecret-' --format '{{.ID}}	{{.Names}}	{{.Label \"io.raylaunch.project\"}}' (exit 0, T s)
 Network msgsecret_net  Creating
raylaunch: debug: ./fake-docker network create --driver bridge --label io.raylaunch.project=msgsecret --label io.raylaunch.version=0.1.0 msgsecret_net (exit 0, T s)
 Network msgsecret_net  Created
 Container msgsecret-head  Creating
raylaunch: debug: ./fake-docker $run_argv (exit 125, T s)
 Container msgsecret-head  Error  docker run: Error response from daemon: invalid label team=******
raylaunch: error: cannot start msgsecret-head: docker run: Error response from daemon: invalid label team=******
hint: fix the cause and run \`raylaunch up\` again; it converges from here" "$?
$(normalised out err | head -n 3 | sort)
$(normalised out err | tail -n +4)"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
