#!/usr/bin/env bash
# Races raylaunch against the engine's floor and against docker-compose on a
# real Docker engine with the ray stand-in image, for 8 and 32 workers.
#
#   bench/cluster.sh [--runs N] [--sizes "8 32"] [--parallel P]
#
# Contenders, alternated run by run after one warm-up run:
#   raylaunch   up --no-wait, then status, then down
#   floor       a plain script: the same `docker network create` and
#               `docker run -d` commands raylaunch would run (read from
#               `raylaunch up --dry-run`), the head first, then the workers
#               P at a time; status = one `docker ps` of the project (what
#               raylaunch's status costs at the least: Ray's view comes from
#               the dashboard over HTTP); down = one `docker rm -f` of all,
#               then the network
#   compose     docker-compose 1.29 (Debian) with an equivalent file
#   wait        raylaunch up --wait (until Ray's dashboard lists every node
#               ALIVE), and how long after the dashboard first listed them all
#               it returned (a poller asks the dashboard every 10 ms)
# Also: the time from `up --no-wait` returning until the dashboard lists every
# node ALIVE, the docker commands each raylaunch command runs and how many of
# them are `docker exec` (a counting wrapper given with --docker), and
# raylaunch's own peak memory (VmHWM). The stand-in's CLI pays its default
# start-up delay (RAY_STANDIN_CLI_DELAY_MS, 1 s), as Ray's Python CLI would.
# Needs: scripts/test.sh (or scripts/build.sh ci and scripts/standin-image.sh) first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
raylaunch=$root/build/ci/src/raylaunch
image=raylaunch/ray-standin:test
runs=5
sizes="8 32"
parallel=8
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--sizes \"8 32\"] [--parallel P]" >&2; exit 2 ;;
  esac
done

[[ -x $raylaunch ]] || { echo "build raylaunch first: scripts/build.sh ci" >&2; exit 1; }
docker image inspect "$image" >/dev/null 2>&1 || "$root/scripts/standin-image.sh"
if ! command -v docker-compose >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "install docker-compose (Debian: apt-get install docker-compose)" >&2; exit 1; }
  apt-get install -y -qq docker-compose >/dev/null
fi

work=$(mktemp -d)
results=$work/results.tsv  # size contender phase seconds
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# record SIZE CONTENDER PHASE COMMAND...: times COMMAND (its output discarded).
record() {
  local size=$1 contender=$2 phase=$3 start end
  shift 3
  start=$(now)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  end=$(now)
  printf '%s\t%s\t%s\t%s\n' "$size" "$contender" "$phase" "$(elapsed "$start" "$end")" >>"$results"
}

# How many nodes of the project the head's dashboard lists ALIVE.
alive_count() {
  python3 - "$1" <<'PY' 2>/dev/null || echo 0
import json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v0/nodes?limit=10000&timeout=5"
nodes = json.load(urllib.request.urlopen(url, timeout=2))["data"]["result"]["result"]
print(sum(1 for n in nodes if n["state"] == "ALIVE"))
PY
}

# Polls the dashboard until it lists `want` nodes ALIVE; prints seconds.
time_to_alive() {
  local dashboard_port=$1 want=$2 start
  start=$(now)
  for _ in $(seq 1 600); do
    if [[ $(alive_count "$dashboard_port") -ge $want ]]; then
      elapsed "$start" "$(now)"
      return
    fi
    sleep 0.05
  done
  echo "nodes did not join" >&2
  exit 1
}

# Runs `up --wait` while a poller asks the dashboard every 10 ms; prints how
# long after the dashboard first listed every node ALIVE `up` returned.
wait_latency() {
  local dir=$1 dashboard_port=$2 want=$3 seen up_done
  python3 - "$dashboard_port" "$want" "$dir/seen" <<'PY' &
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v0/nodes?limit=10000&timeout=5"
deadline = time.time() + 120
while time.time() < deadline:
    try:
        nodes = json.load(urllib.request.urlopen(url, timeout=1))["data"]["result"]["result"]
        if sum(1 for n in nodes if n["state"] == "ALIVE") >= int(sys.argv[2]):
            open(sys.argv[3], "w").write(f"{time.time():.6f}\n")
            break
    except Exception:
        pass
    time.sleep(0.01)
PY
  local poller=$!
  (cd "$dir" && "$raylaunch" up --parallel "$parallel" --progress plain >/dev/null 2>&1)
  up_done=$(now)
  wait "$poller"
  seen=$(cat "$dir/seen")
  elapsed "$seen" "$up_done"
}

for n in $sizes; do
  dir=$work/n$n
  mkdir -p "$dir"
  project=bench$n
  port=$((27000 + n * 10))
  cat >"$dir/raylaunch.yml" <<EOF
name: $project
image: $image
head:
  num_cpus: 0
  ports: {gcs: $port, dashboard: $((port + 1)), client: $((port + 2))}
workers:
  - group: cpu
    replicas: $n
    num_cpus: 1
EOF
  cat >"$dir/docker-compose.yml" <<EOF
version: "2.4"
services:
  head:
    image: $image
    init: true
    shm_size: 2g
    command: [ray, start, --block, --dashboard-host=0.0.0.0, --dashboard-port=$((port + 1)), --head,
              --num-cpus=0, --num-gpus=0, --port=$port, --ray-client-server-port=$((port + 2))]
    ports: ["127.0.0.1:$port:$port", "127.0.0.1:$((port + 1)):$((port + 1))", "127.0.0.1:$((port + 2)):$((port + 2))"]
  worker:
    image: $image
    init: true
    shm_size: 2g
    command: [ray, start, --address=head:$port, --block, --num-cpus=1, --num-gpus=0]
    scale: $n
    depends_on: [head]
EOF
  (cd "$dir" && "$raylaunch" down --progress plain >/dev/null 2>&1 || true)
  (cd "$dir" && docker-compose -p "c$project" down >/dev/null 2>&1 || true)

  # The floor's commands are exactly raylaunch's, from its dry run.
  (cd "$dir" && "$raylaunch" up --dry-run --progress plain 2>/dev/null) >"$dir/plan.sh"
  grep '^docker network create' "$dir/plan.sh" >"$dir/network.sh"
  grep "^docker run .* --name $project-head " "$dir/plan.sh" >"$dir/head.sh"
  grep "^docker run .* --name $project-cpu-" "$dir/plan.sh" >"$dir/workers.sh"
  [[ $(wc -l <"$dir/workers.sh") == "$n" ]] || { echo "unexpected dry run" >&2; exit 1; }

  floor_up() {
    bash "$dir/network.sh" >/dev/null
    bash "$dir/head.sh" >/dev/null
    # The same parallelism as raylaunch: P workers at a time.
    tr '\n' '\0' <"$dir/workers.sh" | xargs -0 -P "$parallel" -I{} bash -c '{} >/dev/null'
  }
  floor_status() {
    docker ps -a --filter "label=io.raylaunch.project=$project" >/dev/null
  }
  floor_down() {
    # shellcheck disable=SC2046
    docker rm -f $(docker ps -aq --filter "label=io.raylaunch.project=$project") >/dev/null
    docker network rm "${project}_net" >/dev/null
  }

  for run in $(seq 0 "$runs"); do
    contenders=(raylaunch floor compose wait)
    shift_by=$((run % 4))
    order=("${contenders[@]:$shift_by}" "${contenders[@]:0:$shift_by}")
    size=$n
    [[ $run == 0 ]] && size=warmup
    for c in "${order[@]}"; do
      case $c in
        raylaunch)
          record "$size" raylaunch up bash -c "cd $dir && $raylaunch up --no-wait --parallel $parallel --progress plain"
          printf '%s\traylaunch\talive-after-up\t%s\n' "$size" "$(time_to_alive $((port + 1)) $((n + 1)))" >>"$results"
          record "$size" raylaunch status bash -c "cd $dir && $raylaunch status"
          record "$size" raylaunch down bash -c "cd $dir && $raylaunch down --progress plain"
          ;;
        floor)
          record "$size" floor up floor_up
          time_to_alive $((port + 1)) $((n + 1)) >/dev/null
          record "$size" floor status floor_status
          record "$size" floor down floor_down
          ;;
        compose)
          record "$size" compose up bash -c "cd $dir && docker-compose -p c$project up -d"
          record "$size" compose status bash -c "cd $dir && docker-compose -p c$project ps"
          record "$size" compose down bash -c "cd $dir && docker-compose -p c$project down"
          ;;
        wait)
          rm -f "$dir/seen"
          start=$(now)
          latency=$(wait_latency "$dir" $((port + 1)) $((n + 1)))
          printf '%s\twait\tup\t%s\n' "$size" "$(elapsed "$start" "$(now)")" >>"$results"
          printf '%s\twait\tafter-all-alive\t%s\n' "$size" "$latency" >>"$results"
          (cd "$dir" && "$raylaunch" down --progress plain >/dev/null 2>&1)
          ;;
      esac
    done
  done

  # Docker commands per raylaunch command, and raylaunch's own peak memory:
  # VmHWM from /proc, read until it exits (GNU time's maximum would include
  # the docker CLI children it reaps, a 25 MB Go program).
  count() {
    local log=$dir/count.log pid hwm=0 value
    rm -f "$log"
    (cd "$dir" && exec env DOCKER_COUNT_LOG="$log" "$raylaunch" "$@" \
      --docker "$root/bench/docker-counting.sh" >/dev/null 2>&1) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      value=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [[ -n $value ]] && hwm=$value
      sleep 0.005
    done
    wait "$pid" || true
    printf '%s\t%s\t%s\n' "$(wc -l <"$log")" "$hwm" "$(grep -c '^exec' "$log" || true)"
  }
  read -r up_cmds up_rss up_execs < <(count up --progress plain)
  read -r status_cmds status_rss status_execs < <(count status)
  read -r down_cmds down_rss _ < <(count down --progress plain)
  printf '%s\tcounts\t%s %s %s\t%s %s %s\t%s %s\n' "$n" "$up_cmds" "$status_cmds" "$down_cmds" \
    "$up_rss" "$status_rss" "$down_rss" "$up_execs" "$status_execs" >>"$work/counts.tsv"
done

python3 - "$results" "$work/counts.tsv" "$runs" "$parallel" <<'PY'
import statistics, sys
from collections import defaultdict
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
times = defaultdict(list)
for size, contender, phase, seconds in rows:
    if size != "warmup":
        times[(int(size), contender, phase)].append(float(seconds))
sizes = sorted({k[0] for k in times})
def stat(key):
    v = times.get(key, [])
    return (statistics.median(v), min(v), max(v)) if v else None
print(f"raylaunch vs floor vs docker-compose 1.29: {sys.argv[3]} counted runs each after a warm-up, "
      f"parallelism {sys.argv[4]}; seconds as median (min-max)")
print()
print("| workers | command | contender | median s | min s | max s | vs floor |")
print("|---|---|---|---|---|---|---|")
for n in sizes:
    for phase in ("up", "status", "down"):
        floor = stat((n, "floor", phase))
        for contender in ("raylaunch", "floor", "compose", "wait"):
            s = stat((n, contender, phase))
            if not s:
                continue
            name = {"wait": "raylaunch up --wait"}.get(contender, contender)
            if contender == "raylaunch" and phase == "up":
                name = "raylaunch up --no-wait"
            ratio = f"{s[0] / floor[0]:.2f}x" if floor else "-"
            print(f"| {n} | {phase} | {name} | {s[0]:.3f} | {s[1]:.3f} | {s[2]:.3f} | {ratio} |")
    a = stat((n, "raylaunch", "alive-after-up"))
    print(f"| {n} | every node alive after up --no-wait returned | raylaunch | {a[0]:.3f} | {a[1]:.3f} | {a[2]:.3f} | - |")
    w = stat((n, "wait", "after-all-alive"))
    print(f"| {n} | up --wait returned after the dashboard listed every node ALIVE | raylaunch | {w[0]:.3f} | {w[1]:.3f} | {w[2]:.3f} | - |")
print()
print("| workers | docker commands: up --wait / status / down | of them docker exec: up --wait / status | raylaunch peak RSS (VmHWM) KiB: up / status / down |")
print("|---|---|---|---|")
for line in open(sys.argv[2]):
    n, _, cmds, rss, execs = line.rstrip("\n").split("\t")
    print(f"| {n} | {cmds.replace(' ', ' / ')} | {execs.replace(' ', ' / ')} | {rss.replace(' ', ' / ')} |")
for n in sizes:
    ray, floor, comp = (stat((n, c, "down")) for c in ("raylaunch", "floor", "compose"))
    rs, fs, cs = (stat((n, c, "status")) for c in ("raylaunch", "floor", "compose"))
    print(f"\n{n} workers: down {ray[0]/floor[0]:.2f}x floor, {comp[0]/ray[0]:.1f}x faster than compose; "
          f"status {rs[0]/fs[0]:.2f}x one docker ps ({rs[0]:.3f} s against 1.2 x {fs[0]:.3f} + 0.030 = "
          f"{1.2 * fs[0] + 0.030:.3f} s), {cs[0]/rs[0]:.1f}x faster than compose ps")
PY
