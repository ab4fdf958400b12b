#!/usr/bin/env bash
# A docker wrapper that appends each command line to $DOCKER_COUNT_LOG, then
# runs the real docker. Given to raylaunch with --docker, it counts the
# docker commands a raylaunch command runs.
set -u
printf '%s\n' "$*" >>"${DOCKER_COUNT_LOG:?set DOCKER_COUNT_LOG}"
exec "${REAL_DOCKER:-docker}" "$@"
