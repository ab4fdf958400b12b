#!/usr/bin/env bash
# Tests the ray stand-in (tests/support/ray_standin.c, a test fixture that
# imitates Ray's `ray` CLI; not Ray) on a real Docker engine: builds the image
# with scripts/standin-image.sh, brings up a small cluster on its own bridge
# network and checks what raylaunch relies on. Removes everything it creates.
#
# Usage: tests/support/standin_test.sh       Env: DOCKER (default docker)
# Prints "N passed, 0 failed" last and exits 0 when every check passes.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
DOCKER=${DOCKER:-docker}
export DOCKER
IMAGE=${STANDIN_IMAGE:-raylaunch/ray-standin:test}
reference=$root/tests/data/ray-status/three-nodes-two-gpus.txt

px="rst$$-$RANDOM" # prefix of every name this run creates
net=$px-net
head=$px-head
label=io.raylaunch.standin-test=$px
tmp=$(mktemp -d)
passed=0
failed=0

cleanup() {
  local ids
  ids=$("$DOCKER" ps -aq --filter "label=$label" 2>/dev/null)
  if [[ -n $ids ]]; then
    # shellcheck disable=SC2086
    "$DOCKER" rm -f $ids >/dev/null 2>&1
  fi
  "$DOCKER" network rm "$net" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

if ! "$DOCKER" info >/dev/null 2>&1; then
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: no Docker engine answers (CI=true: Docker tests must run, not skip)" >&2
    exit 1
  fi
  echo "SKIP: no Docker engine answers" >&2
  exit 77
fi

pass() {
  passed=$((passed + 1))
  echo "ok - $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL - $1"
  if [[ $# -gt 1 ]]; then
    printf '%s\n' "${@:2}" | sed 's/^/    /'
  fi
}
# fatal MESSAGE: a step the rest depends on failed.
fatal() {
  fail "$1" "${@:2}"
  echo "$passed passed, $failed failed (stopped early)"
  exit 1
}
# check DESCRIPTION WANT GOT
check() {
  if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "want: $2" "got:  $3"; fi
}
# check_has DESCRIPTION NEEDLE HAYSTACK
check_has() {
  if [[ $3 == *"$2"* ]]; then pass "$1"; else fail "$1" "want a line with: $2" "got: $3"; fi
}
now_ms() { date +%s%3N; }

# run NAME [DOCKER_RUN_OPTION...] -- COMMAND...: starts a detached container
# on the test network.
run() {
  local name=$1 opts=()
  shift
  while [[ $1 != -- ]]; do
    opts+=("$1")
    shift
  done
  shift
  "$DOCKER" run -d --init --network "$net" --label "$label" --name "$name" "${opts[@]}" \
    "$IMAGE" "$@" >/dev/null || fatal "docker run $name"
}

# ray_status CONTAINER [docker exec options...]: `ray status` there, into
# $tmp/status.out and $tmp/status.err; returns its exit status.
ray_status() {
  local c=$1
  shift
  "$DOCKER" exec "$@" "$c" ray status >"$tmp/status.out" 2>"$tmp/status.err"
}

# wait_nodes CONTAINER N [docker exec options...]: polls `ray status` every
# 0.2 s, for up to 30 s, until it lists exactly N nodes.
wait_nodes() {
  local c=$1 want=$2 deadline
  shift 2
  deadline=$(($(now_ms) + 30000))
  while true; do
    if ray_status "$c" "$@" && [[ $(grep -c '^ 1 node_' "$tmp/status.out") == "$want" ]]; then
      return 0
    fi
    if (($(now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# wait_exited CONTAINER: polls until the container has stopped (30 s at most).
wait_exited() {
  local deadline=$(($(now_ms) + 30000))
  while [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; do
    if (($(now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
}

# normalize FILE: the timestamp and node ids replaced by placeholders.
normalize() {
  sed -E -e 's/^(======== Autoscaler status: )[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}( ========)$/\1<TIME>\2/' \
    -e 's/^ 1 node_[0-9a-f]{56}$/ 1 <NODE_ID>/' "$1"
}

# expected_status CPUS [GPUS] NODES: Ray's layout with placeholders.
expected_status() {
  local cpus=$1 gpus=$2 nodes=$3 i
  echo "======== Autoscaler status: <TIME> ========"
  echo "Node status"
  echo "---------------------------------------------------------------"
  echo "Active:"
  for ((i = 0; i < nodes; i++)); do echo " 1 <NODE_ID>"; done
  echo "Pending:"
  echo " (no pending nodes)"
  echo "Recent failures:"
  echo " (no failures)"
  echo
  echo "Resources"
  echo "---------------------------------------------------------------"
  echo "Total Usage:"
  echo " 0.0/$cpus.0 CPU"
  if ((gpus > 0)); then echo " 0.0/$gpus.0 GPU"; fi
  echo " 0B/0B memory"
  echo " 0B/0B object_store_memory"
  echo
  echo "From request_resources:"
  echo " (none)"
  echo "Pending Demands:"
  echo " (no resource demands)"
}

# --- the image ---------------------------------------------------------------
"$DOCKER" info >/dev/null 2>&1 || fatal "no Docker engine answers '$DOCKER info'"
t0=$(now_ms)
"$root/scripts/standin-image.sh" "$IMAGE" >"$tmp/build.out" 2>&1 ||
  fatal "scripts/standin-image.sh" "$(cat "$tmp/build.out")"
build_ms=$(($(now_ms) - t0))
check "image build says what it built" "built $IMAGE (ray stand-in for tests; not Ray)" \
  "$(tail -n1 "$tmp/build.out")"
echo "# image built in ${build_ms} ms"
check "ray --version" "ray, version 2.52.1 (raylaunch ray stand-in for tests)" \
  "$("$DOCKER" run --rm --label "$label" "$IMAGE" ray --version)"

"$DOCKER" network create --label "$label" "$net" >/dev/null || fatal "docker network create $net"

# --- a head and two workers ------------------------------------------------------
run "$head" -- ray start --head --port=6379 --num-cpus=0 --num-gpus=0 --block
run "$px-w1" -- ray start --address="$head:6379" --num-cpus=2 --num-gpus=0 --block
run "$px-w2" -- ray start --address="$head:6379" --num-cpus=2 --num-gpus=0 --block

if wait_nodes "$head" 3; then
  pass "ray status on the head lists 3 nodes"
else
  fatal "ray status on the head lists 3 nodes within 30 s" "$(cat "$tmp/status.out" "$tmp/status.err")" \
    "head's log:" "$("$DOCKER" logs "$head" 2>&1)"
fi
cp "$tmp/status.out" "$tmp/three.out"
expected_status 4 0 3 >"$tmp/three.want"
if normalize "$tmp/three.out" | diff -u "$tmp/three.want" - >"$tmp/diff"; then
  pass "ray status text, byte for byte but the timestamp and node ids"
else
  fail "ray status text, byte for byte but the timestamp and node ids" "$(cat "$tmp/diff")"
fi
check "the three node ids differ" 3 "$(grep '^ 1 node_' "$tmp/three.out" | sort -u | wc -l)"
stamp=$(sed -nE 's/^======== Autoscaler status: (.*) ========$/\1/p' "$tmp/three.out")
age=$(($(date -u +%s) - $(date -u -d "$stamp" +%s 2>/dev/null || echo 0)))
if ((age >= 0 && age < 60)); then pass "the timestamp is the current UTC time"; else fail "the timestamp is the current UTC time" "got: $stamp"; fi

if [[ -f $reference ]]; then
  # The same layout as a real Ray 2.52 sample, but for the numbers in Total Usage.
  if diff <(normalize "$reference" | sed -E '/ (CPU|GPU|memory|object_store_memory)$/d') \
    <(normalize "$tmp/three.out" | sed -E '/ (CPU|GPU|memory|object_store_memory)$/d') >"$tmp/diff"; then
    pass "layout matches real Ray's sample (shared/reference/ray-status)"
  else
    fail "layout matches real Ray's sample (shared/reference/ray-status)" "$(cat "$tmp/diff")"
  fi
else
  echo "# $reference not found: the comparison with real Ray's sample is skipped"
fi

head_ip=$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$head")
head_log=$("$DOCKER" logs "$head" 2>&1)
check_has "head prints its IP" "Local node IP: $head_ip" "$head_log"
check_has "head prints how to join" "ray start --address='$head_ip:6379'" "$head_log"
check_has "head prints the --block banner" "This command will now block forever until terminated by a signal." "$head_log"
check_has "worker says it started" "Ray runtime started." "$("$DOCKER" logs "$px-w1" 2>&1)"

ray_status "$px-w1"
check "ray status on a worker finds the head" "0 3" "$? $(grep -c '^ 1 node_' "$tmp/status.out")"

# --- command-line errors, as Click reports them ---------------------------------
# expect_error DESCRIPTION STATUS MESSAGE ARGS...: `ray ARGS` in the head's
# container exits with STATUS and says MESSAGE on stderr.
expect_error() {
  local desc=$1 want=$2 msg=$3 rc
  shift 3
  "$DOCKER" exec "$head" ray "$@" >"$tmp/err.out" 2>"$tmp/err.err"
  rc=$?
  if [[ $rc == "$want" ]] && grep -qF -- "$msg" "$tmp/err.err"; then
    pass "$desc"
  else
    fail "$desc" "want status $want and: $msg" "got status $rc and: $(cat "$tmp/err.err")"
  fi
}
expect_error "an unknown option is refused" 2 "Error: No such option: --no-such-flag" start --no-such-flag
expect_error "an option removed in Ray 2.48 is refused" 2 "Error: No such option: --gcs-server-port" \
  start --head --gcs-server-port=6380
expect_error "a flag given a value is refused" 2 "Option '--block' does not take a value." start --head --block=true
expect_error "a bool takes true/false only" 2 "'maybe' is not a valid boolean" start --head --include-dashboard=maybe
expect_error "--num-cpus takes an integer" 2 "'two' is not a valid integer" start --head --num-cpus two
expect_error "--num-cpus cannot be negative" 1 "--num-cpus must be a non-negative integer" start --head --num-cpus=-1
expect_error "a worker needs --address" 1 "--address is required" start --num-cpus=1
expect_error "--port is for the head only" 1 "--port should only be specified when starting head node" \
  start --address="$head:6379" --port=6379
expect_error "--resources must be a JSON object" 1 "--resources must be a JSON object" start --head --resources=gpu:1
expect_error "an unknown command is refused" 2 "Error: No such command 'launch'." launch

# --- ray start without --block returns at once ------------------------------------
t0=$(now_ms)
out=$("$DOCKER" exec "$head" ray start --head --port=6390 2>&1)
rc=$?
elapsed=$(($(now_ms) - t0))
check "ray start --head --port=6390 without --block exits 0" 0 "$rc"
if ((elapsed < 3000)); then pass "... promptly (${elapsed} ms)"; else fail "... promptly" "took ${elapsed} ms"; fi
check_has "... after printing the startup lines" "ray start --address='$head_ip:6390'" "$out"
out=$("$DOCKER" run --rm --network "$net" --label "$label" "$IMAGE" \
  ray start --address="$head:6379" --num-cpus=1 2>&1)
check "a worker without --block joins, then exits 0" "0 1" "$? $(grep -c '^Ray runtime started.$' <<<"$out")"
if wait_nodes "$head" 3; then pass "the head still lists 3 nodes"; else fail "the head still lists 3 nodes" "$(cat "$tmp/status.out")"; fi

# --- SIGTERM: docker stop is quick, and the head drops the worker ---------------
t0=$(now_ms)
"$DOCKER" stop -t 10 "$px-w2" >/dev/null
elapsed=$(($(now_ms) - t0))
if ((elapsed < 3000)); then pass "docker stop -t 10 of a worker takes under 3 s (${elapsed} ms)"; else fail "docker stop -t 10 of a worker takes under 3 s" "took ${elapsed} ms"; fi
check "the worker exited with status 0 on SIGTERM" 0 "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$px-w2")"
if wait_nodes "$head" 2; then
  pass "ray status drops to 2 nodes"
  check "... and to 2 CPUs" " 0.0/2.0 CPU" "$(grep ' CPU$' "$tmp/status.out")"
else
  fail "ray status drops to 2 nodes" "$(cat "$tmp/status.out" "$tmp/status.err")"
fi

# --- a worker started before its head, token auth, GPUs ---------------------------
late=$px-late
run "$px-early" --env RAY_AUTH_TOKEN=s3cret -- ray start --address="$late:6379" --num-cpus=1 --num-gpus=2 --block
# The early worker must be retrying before the head exists.
deadline=$(($(now_ms) + 30000))
until "$DOCKER" logs "$px-early" 2>&1 | grep -q "Waiting for the head node at $late:6379"; do
  if (($(now_ms) >= deadline)); then break; fi
  sleep 0.2
done
check_has "a worker waits for a head that is not there yet" "Waiting for the head node at $late:6379" \
  "$("$DOCKER" logs "$px-early" 2>&1)"
run "$late" --env RAY_AUTH_MODE=token --env RAY_AUTH_TOKEN=s3cret -- \
  ray start --head --port=6379 --num-cpus=0 --block
if wait_nodes "$late" 2; then
  pass "the early worker joins the token-protected head"
  expected_status 1 2 2 >"$tmp/late.want"
  if normalize "$tmp/status.out" | diff -u "$tmp/late.want" - >"$tmp/diff"; then
    pass "ray status with GPUs has the GPU line"
  else
    fail "ray status with GPUs has the GPU line" "$(cat "$tmp/diff")"
  fi
else
  fail "the early worker joins the token-protected head" "$(cat "$tmp/status.out" "$tmp/status.err")" \
    "$("$DOCKER" logs "$px-early" 2>&1)"
fi
ray_status "$late" --env RAY_AUTH_TOKEN=wrong
check "ray status with a wrong token fails" "1" "$?"
check_has "... saying so" "authentication failed" "$(cat "$tmp/status.err")"
out=$("$DOCKER" run --rm --network "$net" --label "$label" --env RAY_AUTH_TOKEN=wrong "$IMAGE" \
  ray start --address="$late:6379" --block 2>&1)
check "a worker with a wrong token exits 1" 1 "$?"
check_has "... saying so" "Error: authentication failed: the token does not match the head's" "$out"

"$DOCKER" stop -t 10 "$late" >/dev/null
if wait_exited "$px-early"; then pass "a worker exits when its head goes away"; else fail "a worker exits when its head goes away"; fi
check "... with status 1" 1 "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$px-early")"
check_has "... saying so" "Lost connection to the head node at $late:6379" "$("$DOCKER" logs "$px-early" 2>&1)"

# --- ray stop ---------------------------------------------------------------------
stopper=$px-stop
# sh stays after ray exits, so `docker exec` is not cut short by the container stopping.
run "$stopper" -- sh -c 'ray start --head --num-cpus=0 --block; echo "ray exited with $?"; sleep 600'
if wait_nodes "$stopper" 1; then pass "a head under sh answers ray status"; else fail "a head under sh answers ray status"; fi
out=$("$DOCKER" exec "$stopper" ray stop 2>&1)
check "ray stop stops it" "0 Stopped all 1 Ray processes." "$? $out"
check_has "... and it exited with status 0" "ray exited with 0" "$("$DOCKER" logs "$stopper" 2>&1)"
out=$("$DOCKER" exec "$stopper" ray stop 2>&1)
check "a second ray stop finds nothing" "0 Did not find any active Ray processes." "$? $out"
ray_status "$stopper"
check "ray status after ray stop fails" 1 "$?"
check_has "... with Ray's ConnectionError" "ConnectionError: Could not find any running Ray instance." \
  "$(cat "$tmp/status.err")"

waiter=$px-waiter
run "$waiter" -- sh -c "ray start --address=$px-nobody:6379 --block; echo \"ray exited with \$?\"; sleep 600"
deadline=$(($(now_ms) + 30000))
until "$DOCKER" logs "$waiter" 2>&1 | grep -q "Waiting for the head node"; do
  if (($(now_ms) >= deadline)); then break; fi
  sleep 0.2
done
out=$("$DOCKER" exec "$waiter" ray stop -g 5 2>&1)
check "ray stop stops a worker still waiting for its head" "0 Stopped all 1 Ray processes." "$? $out"
check_has "... and it exited with status 0" "ray exited with 0" "$("$DOCKER" logs "$waiter" 2>&1)"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
