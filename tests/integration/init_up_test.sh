#!/usr/bin/env bash
# `raylaunch init`'s spec brought up on a real engine, with RAY_IMAGE set to
# the ray stand-in and, so that it runs beside any cluster on this machine
# (the quickstart's holds 6379, 8265 and 10001), its head's ports moved to
# free ones: up waits until Ray has every node, status says all alive, down
# leaves nothing of the project, neither containers nor its network or
# volumes. Shapes: --workers 2 and --workers 3.
#
#   tests/integration/init_up_test.sh RAYLAUNCH
source "$(dirname "$0")/lib.sh"

for workers in 2 3; do
  project "init-$workers"
  mkdir "$WORK/$P" && cd "$WORK/$P" || exit 1  # init names the project after its folder
  "$RAYLAUNCH" init --workers "$workers" >/dev/null
  check "init --workers $workers writes the head's ports as expected" 1 \
    "$(grep -c '^  ports: {gcs: 6379, dashboard: 8265, client: 10001}' raylaunch.yml)"
  sed -i "s/^  ports: {gcs: 6379, dashboard: 8265, client: 10001}/  ports: {gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT}/" raylaunch.yml
  "$RAYLAUNCH" up --timeout 120 --progress plain >/dev/null 2>"$WORK/up.err"
  check "init --workers $workers: up exits 0" 0 "$?"
  grep -q error "$WORK/up.err" && cat "$WORK/up.err"
  check "init --workers $workers: every container runs" \
    "$(for i in $(seq "$workers"); do echo "$P-cpu-$i running"; done; echo "$P-head running")" \
    "$(containers_of "$P")"
  "$RAYLAUNCH" status >/dev/null 2>&1
  check "init --workers $workers: status exits 0" 0 "$?"
  "$RAYLAUNCH" down --progress plain >/dev/null 2>&1
  check "init --workers $workers: down exits 0" 0 "$?"
  check "init --workers $workers: down leaves no container, network or volume" "" \
    "$(containers_of "$P")$(networks_of "$P")$(docker volume ls -q --filter "label=io.raylaunch.project=$P")"
  cd "$WORK" || exit 1
done
finish
