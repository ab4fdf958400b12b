#!/usr/bin/env bash
# `raylaunch init`'s spec brought up as is on a real engine, with RAY_IMAGE
# set to the ray stand-in: up waits until Ray has every node, status says all
# alive, down leaves nothing. Shapes: the default, and --workers 3.
#
#   tests/integration/init_up_test.sh RAYLAUNCH
source "$(dirname "$0")/lib.sh"

for workers in 2 3; do
  project "init-$workers"
  mkdir "$WORK/$P" && cd "$WORK/$P" || exit 1  # init names the project after its folder
  "$RAYLAUNCH" init --workers "$workers" >/dev/null
  "$RAYLAUNCH" up --timeout 120 --progress plain >/dev/null 2>"$WORK/up.err"
  check "init --workers $workers: up exits 0" 0 "$?"
  [[ -s $WORK/up.err ]] && grep -q error "$WORK/up.err" && cat "$WORK/up.err"
  check "init --workers $workers: containers" "$((workers + 1))" \
    "$(containers_of "$P" | grep -c ' running$')"
  "$RAYLAUNCH" status >/dev/null 2>&1
  check "init --workers $workers: status exits 0" 0 "$?"
  "$RAYLAUNCH" down --progress plain >/dev/null 2>&1
  check "init --workers $workers: down leaves nothing" "" "$(containers_of "$P")"
  cd "$WORK" || exit 1
done
echo "passed $PASSED, failed $FAILED"
((FAILED == 0))
