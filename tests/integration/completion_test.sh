#!/usr/bin/env bash
# Drives bash's completion of raylaunch as a user's Tab does: COMP_WORDS and
# COMP_CWORD set, the completion function called, COMPREPLY read.
#
#   tests/integration/completion_test.sh RAYLAUNCH [SCRIPT]
#
# SCRIPT is the completion file to load (the installed one, from
# package_test.sh); without it, `RAYLAUNCH completion bash`. Node names come
# from a fake docker (RAYLAUNCH_DOCKER) that prints a running project's
# labels, and records its argv, so no engine is needed.
set -euo pipefail

raylaunch=$1
script=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z $script ]]; then
  script=$work/raylaunch.bash
  "$raylaunch" completion bash >"$script"
fi
for shell in zsh fish; do
  "$raylaunch" completion "$shell" | grep -q '__complete' || { echo "FAIL: $shell script" >&2; exit 1; }
done

mkdir "$work/demo" && cd "$work/demo"
"$raylaunch" init --workers 2 >/dev/null
cat >"$work/docker" <<'FAKE'
#!/bin/sh
echo "$@" >>"$(dirname "$0")/docker.argv"
printf 'head head-0\nworker cpu-1\nworker cpu-2\n'
FAKE
chmod +x "$work/docker"
export RAYLAUNCH_DOCKER=$work/docker

failures=0
# complete WORDS...: the candidates for the last word, one a line.
complete_words() {
  bash -c '
    source "$1"; shift
    program=$1; shift
    complete -p raylaunch >/dev/null
    COMP_WORDS=("$program" "$@"); COMP_CWORD=$#
    _raylaunch
    printf "%s\n" "${COMPREPLY[@]}"' complete "$script" "$raylaunch" "$@"
}
expect() {  # expect "WANTED CANDIDATES" WORDS...
  local want=$1 got
  shift
  got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  if [[ $got != "$want" ]]; then
    echo "FAIL: raylaunch $* <Tab>: want \"$want\", got \"$got\"" >&2
    failures=$((failures + 1))
  fi
}

expect "up" u
expect "status" st
expect "exec export" ex
expect "kuberay" export k
expect "--progress --project-name" up --pr
expect "--dry-run" up --dr
expect "plain" up --progress pl
expect "auto tty plain json" status --progress ""
expect "json" config --format j
expect "raylaunch.yml" up -f ray
expect "cpu-1 cpu-2 head" logs ""
expect "cpu-2" exec cpu-2
expect "head" logs -f h
expect "" exec head -- ""
grep -q -- "ps --filter label=io.raylaunch.project=demo --format" "$work/docker.argv" || {
  echo "FAIL: node names not read with one docker ps on the project's label" >&2
  failures=$((failures + 1))
}
if ((failures > 0)); then
  exit 1
fi
echo "completion: all cases pass"
