#!/usr/bin/env bash
# The raylaunch program as a user runs it: exit codes, stdout, and whole
# error messages on stderr. Needs no Docker.
set -uo pipefail
raylaunch=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect NAME WANT_RC WANT_STDERR -- COMMAND...: the exit code and the whole stderr.
expect() {
  local name=$1 want_rc=$2 want_err=$3
  shift 4
  local out err rc
  out=$("$@" 2>"$work/err")
  rc=$?
  err=$(cat "$work/err")
  if [[ $rc == "$want_rc" && $err == "$want_err" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s: exit %s (want %s)\n--- stderr\n%s\n--- want\n%s\n' "$name" "$rc" "$want_rc" "$err" "$want_err"
  fi
  LAST_OUT=$out
}

cd "$work"
cat > typo.yml <<'YAML'
name: demo
image: ray:1
workers:
  - group: cpu
    replics: 3
YAML
expect misspelled-key 2 'typo.yml:5:5: error: unknown key "replics" in worker group "cpu"
    5 |     replics: 3
      |     ^
hint: did you mean "replicas"?' -- "$raylaunch" config -f typo.yml

cat > gpu.yml <<'YAML'
name: demo
image: ray:1
gpus: [0, 2]
workers:
  - group: gpu
    replicas: 3
    gpus: 1
YAML
expect gpu-pool 2 'gpu.yml:7:11: error: worker group "gpu" needs 3 GPUs (3 replicas x 1), but only 2 of the 2 in the pool are left
    7 |     gpus: 1
      |           ^
hint: add devices to the top-level gpus: list, or lower replicas or gpus' -- "$raylaunch" config -f gpu.yml

cat > dup.yml <<'YAML'
name: demo
image: ray:1
workers:
  - group: cpu
  - group: cpu
YAML
expect duplicate-group 2 'dup.yml:5:12: error: two worker groups are named "cpu"
    5 |   - group: cpu
      |            ^
hint: the first is at dup.yml:4:12; give each group its own name' -- "$raylaunch" config -f dup.yml

expect missing-file 2 'raylaunch: error: cannot read spec "nope.yml": no such file
hint: pass the spec with -f FILE, or run where raylaunch.yml is' -- "$raylaunch" config -f nope.yml

expect no-default-spec 2 'raylaunch: error: no spec: raylaunch.yml is not in the current folder
hint: pass the spec with -f FILE' -- "$raylaunch" config

expect bad-project-flag 2 'raylaunch: error: invalid project name "Bad Name": must consist only of lowercase letters, digits, "-" and "_", and start with a letter or digit
hint: e.g. -p my-cluster' -- "$raylaunch" config -f dup.yml -p "Bad Name"

# Parse errors name the first wrong argument as typed, with a guess or the command's help.
expect unknown-option 2 'raylaunch: error: unknown option "--bogus"
hint: see raylaunch config --help' -- "$raylaunch" config --bogus --other
expect unknown-option-first-typed 2 'raylaunch: error: unknown option "--bogus"
hint: see raylaunch up --help' -- "$raylaunch" --bogus=1 up --dryrun
expect unknown-option-guess 2 'raylaunch: error: unknown option "--dryrun"
hint: did you mean "--dry-run"?' -- "$raylaunch" up --dryrun --bogus

# The default file, -p, --quiet, and the seed 004 example in JSON.
cp "$root/examples/quickstart.yml" raylaunch.yml
expect quiet 0 '' -- "$raylaunch" config --quiet
[[ -z $LAST_OUT ]] || { failed=$((failed + 1)); echo "FAIL quiet printed: $LAST_OUT"; }
expect project-flag 0 '' -- "$raylaunch" config --format json -p renamed
if grep -q '"name": "renamed-head"' <<<"$LAST_OUT"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL -p did not rename"; fi

expect gpu-example 0 '' -- "$raylaunch" config -f "$root/examples/gpu-workers.yml" --format json
summary=$(python3 -c '
import json, sys
plan = json.load(sys.stdin)
for c in plan["containers"]:
    gpus = [a for a in c["command"] if a.startswith("--num-gpus")]
    print(c["name"], ",".join(c["gpus"]) or "-", gpus[0])
' <<<"$LAST_OUT")
want='gpu-workers-head - --num-gpus=0
gpu-workers-gpu-1 0 --num-gpus=1
gpu-workers-gpu-2 2 --num-gpus=1'
if [[ $summary == "$want" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL gpu example:\n%s\n' "$summary"; fi

# The command line as compose users type it (issue 12): no Docker needed.
expect unknown-command 2 'raylaunch: error: unknown command "stauts"
hint: did you mean "status"?' -- "$raylaunch" -f typo.yml stauts --json
expect unknown-command-no-guess 2 'raylaunch: error: unknown command "frobnicate"
hint: see raylaunch --help' -- "$raylaunch" frobnicate
expect no-command 2 'raylaunch: error: no command given
hint: e.g. raylaunch up -f cluster.yml; see raylaunch --help' -- "$raylaunch"
expect no-command-after-globals 2 'raylaunch: error: no command given
hint: e.g. raylaunch up -f cluster.yml; see raylaunch --help' -- "$raylaunch" -f typo.yml -p demo
expect unexpected-argument 2 'raylaunch: error: unexpected argument "extra"
hint: see raylaunch status --help' -- "$raylaunch" ps extra
expect unknown-job-command 2 'raylaunch: error: unknown command "job stauts"
hint: did you mean "status"?' -- "$raylaunch" job stauts raysubmit_1
expect job-needs-command 2 'raylaunch: error: "raylaunch job" needs a command
hint: see raylaunch job --help' -- "$raylaunch" job
expect job-needs-id 2 'raylaunch: error: id is required
hint: see raylaunch job logs --help' -- "$raylaunch" job logs -f
expect global-given-twice 2 'raylaunch: error: --project-name is given both before and after "up"
hint: give it once, before or after the command' -- "$raylaunch" -p one up -p two
expect wait-and-no-wait 2 'raylaunch: error: --wait and --no-wait exclude each other
hint: give one of them' -- "$raylaunch" submit --wait --no-wait -- python job.py
expect force-and-no-recreate 2 'raylaunch: error: --force-recreate and --no-recreate exclude each other
hint: give one of them' -- "$raylaunch" up --force-recreate --no-recreate
expect metadata-needs-equals 2 'raylaunch: error: --metadata: expected KEY=VALUE, got "owner"
hint: see raylaunch submit --help' -- "$raylaunch" submit --metadata owner -- python job.py
expect run-needs-entrypoint 2 'raylaunch: error: entrypoint is required
hint: see raylaunch run --help' -- "$raylaunch" run -f x.yml --keep --junit report.xml

# Global options before or after the command give the same result.
expect global-before 0 '' -- "$raylaunch" -f "$root/examples/gpu-workers.yml" -p renamed config --format json
before=$LAST_OUT
expect global-after 0 '' -- "$raylaunch" config --format json -f "$root/examples/gpu-workers.yml" -p renamed
if [[ -n $before && $LAST_OUT == "$before" ]] && grep -q '"name": "renamed-head"' <<<"$before"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL global options before and after config differ"
fi
expect global-docker-named 1 'raylaunch: error: docker program "/nonexistent/docker" not found
hint: install Docker (Debian: apt-get install docker.io), or pass --docker PATH' -- \
  "$raylaunch" --docker /nonexistent/docker -f "$root/examples/quickstart.yml" up -d

# A docker that records its argv and answers nothing: what reaches the engine
# is the same whichever side of the command the options are on.
cat > fake-docker <<'SH'
#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_DOCKER_LOG"
SH
chmod +x fake-docker
read -r gcs dashboard client <<<"$(free_ports 3)"  # up probes them: none another holds
cat > ports.yml <<YAML
name: demo
image: ray:1
head:
  ports: {gcs: $gcs, dashboard: $dashboard, client: $client}
YAML
# fake_up NAME ARGS...: raylaunch with the fake docker; NAME.log gets the docker
# argv, NAME.out the exit code, stdout and stderr (progress times zeroed).
fake_up() {
  local name=$1
  shift
  FAKE_DOCKER_LOG="$work/$name.log" "$raylaunch" "$@" >"$name.stdout" 2>"$name.stderr"
  { echo "exit $?"; cat "$name.stdout"; sed -E 's/"elapsed":[0-9.]+/"elapsed":0/' "$name.stderr"; } >"$name.out"
}
fake_up before -f ports.yml -p cli-fake --docker ./fake-docker --context ctx --progress json up -d
fake_up after up --detach -f ports.yml -p cli-fake --docker ./fake-docker --context ctx --progress json
fake_up no-wait up -f ports.yml -p cli-fake --docker ./fake-docker --context ctx --progress json --no-wait
want_stderr='{"id":"Network cli-fake_net","status":"Creating","state":"working","text":"","elapsed":0}
{"id":"Network cli-fake_net","status":"Created","state":"done","text":"","elapsed":0}
{"id":"Container cli-fake-head","status":"Creating","state":"working","text":"","elapsed":0}
{"id":"Container cli-fake-head","status":"Started","state":"done","text":"","elapsed":0}'
if [[ $(head -1 before.out) == "exit 0" && $(tail -4 before.out) == "$want_stderr" &&
      $(grep -c '^--context ctx ' before.log) == 6 && $(wc -l <before.log) == 6 ]] &&
   grep -qx -- '--context ctx network create --driver bridge --label io.raylaunch.project=cli-fake --label io.raylaunch.version=0.1.0 cli-fake_net' before.log &&
   cmp -s before.out after.out && cmp -s before.out no-wait.out &&
   cmp -s <(sort before.log) <(sort after.log) && cmp -s <(sort before.log) <(sort no-wait.log); then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL global options before/after up, or up -d, differ:"
  cat before.out before.log; diff before.out after.out; diff before.out no-wait.out
fi
# --verbose either side: the same debug lines (sorted, times zeroed).
verbose_down() {
  FAKE_DOCKER_LOG="$work/verbose.log" "$raylaunch" "$@" 2>&1 | sed -E 's/, [0-9.]+ s\)$/, T s)/' | sort
}
verbose_before=$(verbose_down --verbose -p cli-fake --docker ./fake-docker down)
verbose_after=$(verbose_down down -p cli-fake --docker ./fake-docker --verbose)
if [[ $verbose_before == "$verbose_after" && $(grep -c '^raylaunch: debug: ./fake-docker .*(exit 0, T s)$' <<<"$verbose_before") == 2 &&
      $(grep -v '^raylaunch: debug: ' <<<"$verbose_before") == 'nothing to remove for project "cli-fake"' ]]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); printf 'FAIL --verbose before/after down:\n%s\n---\n%s\n' "$verbose_before" "$verbose_after"
fi
# -f is the spec before `logs` and --follow after it.
FAKE_DOCKER_LOG="$work/logs.log" expect logs-follow 0 '' -- "$raylaunch" -f ports.yml --docker ./fake-docker logs head -f --tail 5
FAKE_DOCKER_LOG="$work/logs.log" expect logs-file 0 '' -- "$raylaunch" --docker ./fake-docker logs head --file ports.yml -p other
# A named node is first checked to be the project's own (docker inspect of its label).
want='inspect --type container --format {{.Id}}	{{index .Config.Labels "io.raylaunch.project"}} demo-head
logs --follow --tail 5 demo-head
inspect --type container --format {{.Id}}	{{index .Config.Labels "io.raylaunch.project"}} other-head
logs other-head'
if [[ $(cat logs.log) == "$want" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL logs argv:\n%s\n' "$(cat logs.log)"; fi

# exec passes stdin on (no tty when stdin is a pipe); logs of a project with no
# containers is an error, not silence; a folder is no docker program.
: >"$work/exec.log"
echo hi | FAKE_DOCKER_LOG="$work/exec.log" expect exec-stdin 0 '' -- "$raylaunch" exec head -p demo --docker ./fake-docker -- wc -c
if [[ $(cat exec.log) == 'inspect --type container --format {{.Id}}	{{index .Config.Labels "io.raylaunch.project"}} demo-head
exec --interactive demo-head wc -c' ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL exec argv:\n%s\n' "$(cat exec.log)"; fi
FAKE_DOCKER_LOG="$work/exec.log" expect logs-no-project 1 'raylaunch: error: project "nosuch" has no containers
hint: `docker ps --filter label=io.raylaunch.project` lists raylaunch'"'"'s containers' -- \
  "$raylaunch" logs -p nosuch --docker ./fake-docker
mkdir -p not-a-program
expect docker-is-a-folder 1 'raylaunch: error: docker program "./not-a-program" not found
hint: install Docker (Debian: apt-get install docker.io), or pass --docker PATH' -- \
  "$raylaunch" status -p demo --docker ./not-a-program

# The lock folder cannot be taken over: a link in its place, a folder others
# can write, a link as the lock file are refused before any docker command.
mkdir -p lock-target lock-open lock-ours
chmod 700 lock-target lock-ours
chmod 777 lock-open
ln -s "$work/lock-target" lock-link
ln -s "$work/lock-target/x" lock-ours/msglock.lock
: >"$work/lock.log"
FAKE_DOCKER_LOG="$work/lock.log" RAYLAUNCH_LOCK_DIR=$work/lock-link expect lock-folder-link 1 \
  "raylaunch: error: the lock folder $work/lock-link is a symbolic link (to $work/lock-target), not a folder
hint: remove it (rm $work/lock-link) and raylaunch makes the folder itself, or set RAYLAUNCH_LOCK_DIR to a folder of yours" -- \
  "$raylaunch" down -p msglock --docker ./fake-docker
FAKE_DOCKER_LOG="$work/lock.log" RAYLAUNCH_LOCK_DIR=$work/lock-open expect lock-folder-0777 1 \
  "raylaunch: error: the lock folder $work/lock-open has mode 0777; it must be 0700, so no other user can replace the locks in it
hint: check that nobody else put files in it, then chmod 700 $work/lock-open" -- \
  "$raylaunch" down -p msglock --docker ./fake-docker
FAKE_DOCKER_LOG="$work/lock.log" RAYLAUNCH_LOCK_DIR=$work/lock-ours expect lock-file-link 1 \
  "raylaunch: error: the lock file $work/lock-ours/msglock.lock is a symbolic link; raylaunch does not follow it
hint: remove it (rm $work/lock-ours/msglock.lock); raylaunch makes the lock file itself" -- \
  "$raylaunch" down -p msglock --docker ./fake-docker
if [[ ! -s lock.log && ! -e lock-target/x ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL a refused lock ran docker or made a file:\n%s\n' "$(cat lock.log)"; fi

# Issue 15: loose input made strict. The spec on stdin, as with `docker compose -f -`:
# messages name <stdin>, relative paths are the current folder's.
printf 'name: demo\nimage: ray:1\nhead:\n  volumes: ["./logs:/tmp/ray"]\n' >stdin-good.yml
expect stdin-spec 0 '' -- "$raylaunch" config -f - --format json <stdin-good.yml
if grep -qF "\"source\": \"$work/logs\"" <<<"$LAST_OUT"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL -f - did not resolve ./logs from here"; fi
printf 'name: demo\nimage: "repo:"\n' >stdin-bad.yml
expect stdin-error 2 '<stdin>:2:8: error: invalid image reference "repo:"
    2 | image: "repo:"
      |        ^
hint: write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]: PATH is lowercase letters and digits with ".", "_", "__" or "-" between them and "/" between parts, at most 255 characters with HOST; TAG is at most 128 letters, digits, "_", "." and "-", not starting with "." or "-"; e.g. rayproject/ray:2.52.1' -- "$raylaunch" config -f - <stdin-bad.yml
expect empty-file-flag 2 'raylaunch: error: --file is empty
hint: give the spec'"'"'s path, or - to read it from stdin' -- "$raylaunch" config -f ''
expect empty-project-flag 2 'raylaunch: error: --project-name is empty
hint: give the project'"'"'s name, e.g. -p my-cluster' -- "$raylaunch" down -p ''
mkdir -p specs
expect spec-is-a-folder 2 'raylaunch: error: cannot read spec "specs": is a directory
hint: pass the spec file in it, e.g. -f specs/raylaunch.yml' -- "$raylaunch" config -f specs

# .env beside the spec: a byte order mark is no part of the first name; a
# .env that cannot be read is an error, not a file of no variables.
mkdir -p bom envdir
printf '\xef\xbb\xbfTAG=2.52.1\n' >bom/.env
printf 'name: demo\nimage: ray:${TAG:?set TAG}\n' | tee bom/c.yml envdir/c.yml >/dev/null
expect dotenv-bom 0 '' -- "$raylaunch" config -f bom/c.yml --format json
if grep -qF '"image": "ray:2.52.1"' <<<"$LAST_OUT"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL the BOM hid TAG"; fi
mkdir -p envdir/.env
expect dotenv-folder 2 'raylaunch: error: cannot read "envdir/.env": is a directory
hint: raylaunch reads KEY=VALUE lines from the file .env beside the spec; fix or remove it' -- \
  "$raylaunch" config -f envdir/c.yml
mkdir -p locked
cp bom/c.yml locked/c.yml
echo TAG=1 >locked/.env
chmod 000 locked/.env
# root reads any file: then raylaunch runs as nobody (uid and gid 65534; python3
# drops the ids, so no tool beyond the suite's own is needed), from a copy in
# folders nobody may enter and run. Either way the case runs.
as_user=()
unreadable_raylaunch=$raylaunch
if [[ $(id -u) == 0 ]]; then
  chmod 755 "$work" locked
  cp "$raylaunch" "$work/raylaunch-as-nobody"
  chmod 755 "$work/raylaunch-as-nobody"
  unreadable_raylaunch=$work/raylaunch-as-nobody
  as_user=(python3 -c 'import os, sys
os.setgroups([]); os.setgid(65534); os.setuid(65534)
os.execv(sys.argv[1], sys.argv[1:])')
fi
expect dotenv-unreadable 2 'raylaunch: error: cannot read "locked/.env": permission denied
hint: raylaunch reads KEY=VALUE lines from the file .env beside the spec; fix or remove it' -- \
  "${as_user[@]}" "$unreadable_raylaunch" config -f locked/c.yml

# Numbers on the command line follow the spec's rule, within a range.
expect timeout-negative 2 'raylaunch: error: --timeout: must be a whole number from 1 to 86400, got "-5"
hint: see raylaunch up --help' -- "$raylaunch" up --timeout -5
expect down-timeout-negative 2 'raylaunch: error: --timeout: must be a whole number from 0 to 3600, got "-1"
hint: see raylaunch down --help' -- "$raylaunch" down -p demo -t -1
expect lock-timeout-hex 2 'raylaunch: error: --lock-timeout: must be a whole number from 0 to 86400, got "0x10"
hint: see raylaunch down --help' -- "$raylaunch" down -p demo --lock-timeout 0x10
expect parallel-overflow 2 'raylaunch: error: --parallel: must be a whole number from 1 to 64, got "99999999999999999999"
hint: see raylaunch run --help' -- "$raylaunch" run --parallel 99999999999999999999 -- python job.py
expect tail-negative 2 'raylaunch: error: --tail: must be a whole number of lines or all, got "-5"
hint: see raylaunch logs --help' -- "$raylaunch" logs head -p demo --tail -5
expect entrypoint-cpus-inf 2 'raylaunch: error: --entrypoint-num-cpus: must be a number from 0 to 100000, got "inf"
hint: see raylaunch submit --help' -- "$raylaunch" submit --entrypoint-num-cpus inf -- python job.py
expect init-workers-past-cap 2 'raylaunch: error: --workers: must be a whole number from 0 to 9999, got "10000"
hint: see raylaunch init --help' -- "$raylaunch" init --workers 10000

# A full disk on stdout is an error, not a silent success.
expect stdout-full 1 'raylaunch: error: cannot write the output: No space left on device
hint: stdout goes to a full disk or a closed pipe; send it elsewhere' -- \
  sh -c '"$1" config -f "$2" >/dev/full' sh "$raylaunch" "$root/examples/quickstart.yml"
expect help-stdout-full 1 'raylaunch: error: cannot write the output: No space left on device
hint: stdout goes to a full disk or a closed pipe; send it elsewhere' -- \
  sh -c '"$1" --help >/dev/full' sh "$raylaunch"

# down and exec need only the project's name: a variable the rest of the spec
# wants is a warning for them; a name that cannot be read says to pass -p.
printf 'name: demo\nimage: ${RAYLAUNCH_TEST_IMAGE:?set RAYLAUNCH_TEST_IMAGE}\n' >day2.yml
: >"$work/day2.log"
FAKE_DOCKER_LOG="$work/day2.log" expect down-despite-unset 0 'day2.yml:2:8: warning: image: required variable RAYLAUNCH_TEST_IMAGE is missing a value: set RAYLAUNCH_TEST_IMAGE
    2 | image: ${RAYLAUNCH_TEST_IMAGE:?set RAYLAUNCH_TEST_IMAGE}
      |        ^
hint: set RAYLAUNCH_TEST_IMAGE in the environment or in the .env file beside the spec; down needs only the project'"'"'s name and goes on
nothing to remove for project "demo"' -- "$raylaunch" down -f day2.yml --docker ./fake-docker
FAKE_DOCKER_LOG="$work/day2.log" expect exec-despite-unset 0 'day2.yml:2:8: warning: image: required variable RAYLAUNCH_TEST_IMAGE is missing a value: set RAYLAUNCH_TEST_IMAGE
    2 | image: ${RAYLAUNCH_TEST_IMAGE:?set RAYLAUNCH_TEST_IMAGE}
      |        ^
hint: set RAYLAUNCH_TEST_IMAGE in the environment or in the .env file beside the spec; exec needs only the project'"'"'s name and goes on' -- \
  "$raylaunch" exec head -f day2.yml --docker ./fake-docker -- true </dev/null
if [[ $(tail -1 day2.log) == 'exec --interactive demo-head true' ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL exec despite unset:\n%s\n' "$(cat day2.log)"; fi
expect up-still-errs 2 'day2.yml:2:8: error: image: required variable RAYLAUNCH_TEST_IMAGE is missing a value: set RAYLAUNCH_TEST_IMAGE
    2 | image: ${RAYLAUNCH_TEST_IMAGE:?set RAYLAUNCH_TEST_IMAGE}
      |        ^
hint: set RAYLAUNCH_TEST_IMAGE in the environment or in the .env file beside the spec' -- \
  "$raylaunch" up -f day2.yml --docker ./fake-docker
printf 'name: ${RAYLAUNCH_TEST_PROJECT:?}\nimage: ray:1\n' >noname.yml
expect down-needs-p 2 'noname.yml:1:7: error: name: required variable RAYLAUNCH_TEST_PROJECT is missing a value
    1 | name: ${RAYLAUNCH_TEST_PROJECT:?}
      |       ^
hint: set RAYLAUNCH_TEST_PROJECT in the environment or in the .env file beside the spec; or pass -p NAME: down needs only the project'"'"'s name' -- \
  "$raylaunch" down -f noname.yml --docker ./fake-docker

# Each command's --help ends with an example, then the rule for global options.
# shellcheck disable=SC2016  # the backquotes are text
rule='Global options go before or after the command: `raylaunch -f x.yml -p demo up`
is `raylaunch up -f x.yml -p demo`. After `logs` and `job logs`, -f means --follow
(as in docker): there give the spec as --file, or as -f FILE before the command.'
while IFS='|' read -r command example; do
  # shellcheck disable=SC2086
  help=$("$raylaunch" $command --help)
  want="Example:
  $example

$rule"
  if [[ $help == *"$want" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); printf 'FAIL %s --help ends:\n%s\n' "$command" "${help: -400}"; fi
done <<'LIST'
|raylaunch -f cluster.yml up
config|raylaunch config -f cluster.yml --format json
up|raylaunch -f cluster.yml up --timeout 300
down|raylaunch down -p demo -v
status|raylaunch ps -f cluster.yml --json
ps|raylaunch ps -f cluster.yml --json
logs|raylaunch -f cluster.yml logs cpu-2 -f --tail 100
exec|raylaunch exec head -- ray status
submit|raylaunch submit -f cluster.yml --working-dir . -- python smoke.py
job|raylaunch job logs raysubmit_XYZ -f
job status|raylaunch job status raysubmit_XYZ
job logs|raylaunch job logs raysubmit_XYZ -f
job stop|raylaunch job stop raysubmit_XYZ
run|raylaunch run -f cluster.yml --junit report.xml -- python smoke.py
LIST

version=$("$raylaunch" --version)
if [[ $version == "raylaunch 0.1.0" ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL version: $version"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
