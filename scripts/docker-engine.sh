#!/usr/bin/env bash
# Makes sure a Docker engine answers: when none does and we are root, starts
# Debian's dockerd in the background and waits (bounded) until it answers.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [[ -n ${DOCKER_HOST:-} ]]; then
  echo "raylaunch: the Docker engine at $DOCKER_HOST does not answer" >&2
  exit 1
fi
if [[ $(id -u) != 0 ]]; then
  echo "raylaunch: no Docker engine answers, and only root can start one here" >&2
  echo "hint: start it (sudo dockerd &, or sudo systemctl start docker) and run this again" >&2
  exit 1
fi
log=${DOCKERD_LOG:-/tmp/raylaunch-dockerd.log}
echo "starting dockerd (log: $log)" >&2
# A session of its own: tests send signals to their process group (a
# terminal's Ctrl-C reaches the whole group), and dockerd must not be in it.
setsid nohup dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 150); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.2
done
echo "raylaunch: dockerd did not answer within 30 s; the end of its log:" >&2
tail -n 20 "$log" >&2
exit 1
