#!/usr/bin/env bash
# `exec` and `logs` on a real engine with the ray stand-in: docker exec's
# options and exit codes, and every node's log followed, each line after its
# node's name. Every scenario ends with `down` and checks that nothing with
# the project's label is left (lib.sh finish()).
# Usage: day2_docker_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK" || exit 1

# day2_project NAME: P, a project of this run named dy... (the shared
# engine's naming rule for this work), with a head on free host ports and two
# cpu workers, brought up.
day2_project() {
  project "$1" dy
  spec c.yml "$P" "$PORTS" cpu 2
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>up.err ||
    { echo "up failed:"; cat up.err; exit 1; }
}

# run_exec ARGS...: "exit code|stdout|stderr" of `raylaunch exec -f c.yml ARGS...`.
run_exec() {
  local out rc
  out=$("$RAYLAUNCH" exec -f c.yml "$@" 2>err)
  rc=$?
  printf '%s|%s|%s' "$rc" "$out" "$(cat err)"
}

case $scenario in
exec)
  day2_project exec; p=$P
  check "stdin reaches the command without a tty (-T)" "0|3|" \
    "$(echo hi | run_exec -T head -- busybox wc -c)"
  check "the command's own exit code" "7||" "$(run_exec head -- sh -c 'exit 7' </dev/null)"
  check "-e, -w and -u as docker exec's" "0|1 /tmp 1000|" \
    "$(run_exec -e A=1 -w /tmp -u 1000 head -- sh -c 'echo $A $(pwd) $(id -u)' </dev/null)"
  # The stand-in's engine (20.10) says 126 for a command not found; raylaunch says 127, as
  # `docker run` and newer engines do, and passes docker's message on.
  not_found='OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown'
  got=$(run_exec head -- nosuchcmd </dev/null)
  check "a command not found exits 127 with docker's message" "127" "${got%%|*}"
  check "docker's message, whole" "$not_found" "$(tr -d '\r' <<<"${got#*|}" | tr -d '|')"
  got=$(run_exec head -- /etc </dev/null)
  check "a command that cannot run exits 126" "126" "${got%%|*}"
  check "no such node: docker's own failure, 125" "125||Error response from daemon: No such container: $p-cpu-9" \
    "$(run_exec cpu-9 -- true </dev/null)"
  docker stop -t 1 "$p-cpu-2" >/dev/null
  check "a stopped node: docker's own failure, 125" "125||Error response from daemon: Container ID is not running" \
    "$(run_exec cpu-2 -- true </dev/null | sed -E 's/[0-9a-f]{64}/ID/')"
  ;;

logs)
  day2_project logs; p=$P
  head="$p-head   | " cpu1="$p-cpu-1  | " cpu2="$p-cpu-2  | "
  "$RAYLAUNCH" logs -f -p "$p" >follow.out 2>follow.err &
  pid=$!
  # Every node's lines, then a line written now in cpu-2 (to its main process's stdout).
  poll 30 "logs -f has every node's lines" bash -c "grep -qF '$head' follow.out && grep -qF '$cpu1' follow.out && grep -qF '$cpu2' follow.out"
  docker exec "$p-cpu-2" sh -c 'echo "a new line" >/proc/1/fd/1'
  poll 30 "logs -f has the new line" grep -qxF "${cpu2}a new line" follow.out
  kill -INT "$pid"
  wait "$pid"
  check "logs -f ends with 130 on Ctrl-C, stderr empty" "130 " "$? $(cat follow.err)"
  for node in head cpu-1 cpu-2; do
    prefix=$(printf '%-*s | ' $((${#p} + 7)) "$p-$node")
    want=$(docker logs "$p-$node" 2>&1 | sed "s/^/$prefix/")
    check "logs -f: every line of $node, after its name padded as compose pads it" "$want" \
      "$(grep -F "$prefix" follow.out)"
  done
  check "logs -f: no other line" "0" "$(grep -cvE "^$p-(head   |cpu-1  |cpu-2  )\| " follow.out)"
  rfc3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z '
  last=$(docker logs --tail 1 "$p-head" 2>&1)
  got=$("$RAYLAUNCH" logs -p "$p" --timestamps --tail 1 head)
  check "logs --timestamps --tail 1 head: one line with an RFC 3339 time first" "1" \
    "$(grep -cE "^$rfc3339" <<<"$got")"
  check "logs --timestamps --tail 1 head: then the line itself" "$last" \
    "$(sed -E "s/^$rfc3339//" <<<"$got")"
  check "logs -t --tail 1 of every node: name, time, line" "3" \
    "$("$RAYLAUNCH" logs -p "$p" -t --tail 1 | grep -cE "^$p-(head   |cpu-1  |cpu-2  )\| $rfc3339")"
  got=$("$RAYLAUNCH" logs -p "$p" --since 2099-01-01T00:00:00Z 2>&1)
  check "--since goes to docker as given: nothing since 2099" "0|" "$?|$got"
  got=$("$RAYLAUNCH" logs -p "$p" --since soon 2>&1)
  rc=$?
  check "a --since docker refuses: its words after each node's name, exit 1" "1|$(
    for node in cpu-1 cpu-2 head; do
      printf '%-*s | invalid value for "since": failed to parse value as time or duration: "soon"\n' \
        $((${#p} + 7)) "$p-$node"
    done)" "$rc|$got"
  # The follow ends by itself when every container stops.
  "$RAYLAUNCH" logs -f -p "$p" --tail 0 >follow2.out 2>&1 &
  pid=$!
  docker stop -t 1 "$p-cpu-1" "$p-cpu-2" "$p-head" >/dev/null
  poll 30 "logs -f ends once every container stopped" bash -c "! kill -0 $pid"
  wait "$pid"
  check "logs -f ends with 0 when every container stopped" "0" "$?"
  ;;

logs-restart)
  # logs -f follows a node across a restart (its log from the new start) and
  # says once when a node stops for good; the others go on.
  P="dy$$-lr"
  PROJECTS+=("$P")
  spec c.yml "$P" 0 cpu 2
  read -r gcs dash client < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
  sed -i "s/^  ports: .*/  ports: {gcs: $gcs, dashboard: $dash, client: $client}/" c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>up.err || { cat up.err; exit 1; }
  p=$P
  cpu1=$(printf '%-*s | ' $((${#p} + 7)) "$p-cpu-1")
  head=$(printf '%-*s | ' $((${#p} + 7)) "$p-head")
  "$RAYLAUNCH" logs -f -p "$p" --tail 0 >follow.out 2>follow.err &
  pid=$!
  # Written until seen: the follow attaches after it starts.
  poll 30 "logs -f has the line before the restart" bash -c "docker exec $p-cpu-1 sh -c 'echo \"before the restart\" >/proc/1/fd/1'; grep -qxF '${cpu1}before the restart' follow.out"
  docker restart -t 1 "$p-cpu-1" >/dev/null
  poll 30 "the node runs again" docker exec "$p-cpu-1" sh -c :
  # The follow is back once a line written after the restart shows up.
  poll 30 "logs -f has the line after the restart" bash -c "docker exec $p-cpu-1 sh -c 'echo \"after the restart\" >/proc/1/fd/1'; grep -qxF '${cpu1}after the restart' follow.out"
  check "lines from before the restart and from after it" "yes yes" \
    "$(grep -qxF "${cpu1}before the restart" follow.out && echo yes) $(grep -qxF "${cpu1}after the restart" follow.out && echo yes)"
  docker stop -t 1 "$p-cpu-1" >/dev/null
  poll 30 "logs -f says the node stopped for good" grep -q "stopped for good" follow.err
  check "a node stopped for good is said once" "raylaunch: $p-cpu-1 stopped for good (exit 0); its log ends here" \
    "$(sed -E 's/\(exit [0-9]+\)/(exit 0)/' follow.err)"
  docker exec "$p-head" sh -c 'echo "the head goes on" >/proc/1/fd/1'
  poll 30 "logs -f still follows the head" grep -qxF "${head}the head goes on" follow.out
  check "the other nodes are still followed" 1 "$(grep -cxF "${head}the head goes on" follow.out)"
  kill -INT "$pid"
  wait "$pid"
  check "Ctrl-C still ends it: 130" 130 $?
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
