#!/usr/bin/env bash
# raylaunch's docker children, with a docker that is a script: they run in a
# process group of their own, and one past its bound is killed with its
# whole group. No engine needed. Usage: children_test.sh RAYLAUNCH
set -uo pipefail
RAYLAUNCH=$(realpath "$1")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
PASSED=0
FAILED=0
check() {
  if [[ $2 == "$3" ]]; then
    PASSED=$((PASSED + 1)); echo "ok - $1"
  else
    FAILED=$((FAILED + 1)); echo "FAIL - $1"; printf -- '--- want\n%s\n--- got\n%s\n' "$2" "$3"
  fi
}

# Children: docker runs in its own process group. A terminal's Ctrl-C (SIGINT
# to raylaunch's whole group) reaches raylaunch alone, and a docker past its
# bound is killed with everything it started; the message states the bound.
cat >slow-docker <<'SH'
#!/bin/sh
trap 'echo "docker got SIGINT" >>"$SIGNAL_LOG"' INT
echo started >>"$SIGNAL_LOG.started"
sleep 2 &
wait $!
SH
chmod +x slow-docker
: >signals.log
set -m  # job control: the background job is a process group of its own, as at a terminal
SIGNAL_LOG=$WORK/signals.log "$RAYLAUNCH" --docker ./slow-docker down -p demo >out 2>err &
pid=$!
set +m
deadline=$((SECONDS + 10))
until [[ -s signals.log.started ]] || ((SECONDS > deadline)); do sleep 0.05; done
kill -INT -- -"$pid"
wait "$pid"
check "the terminal's SIGINT: raylaunch stops (130), docker never saw it" "130 " "$? $(cat signals.log)"
cat >hung-docker <<'SH'
#!/bin/sh
sleep 300 &
echo $! >"$GRANDCHILD"
exec sleep 300
SH
chmod +x hung-docker
start=$SECONDS
RAYLAUNCH_ENGINE_TIMEOUT=0.5 GRANDCHILD=$WORK/grandchild "$RAYLAUNCH" --docker ./hung-docker down -p demo >out 2>err
code=$?
check "a hung docker and its child: exit 1 within a few seconds" "1 yes" "$code $( ((SECONDS - start < 5)) && echo yes)"
check "the message states the bound that applied" 1 "$(grep -c 'does not answer (no reply in 0.5 s)' err)"
# Killed: gone, or a zombie its new parent has not reaped yet.
check "its child was killed with it" "gone" \
  "$(ps -o stat= -p "$(cat grandchild)" 2>/dev/null | grep -qv Z && echo alive || echo gone)"

echo "$PASSED passed, $FAILED failed"
[[ $FAILED == 0 ]]
