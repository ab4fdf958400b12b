#!/usr/bin/env bash
# Tests the ray stand-in (tests/support/standin_*.c, a test fixture that
# imitates Ray's `ray` CLI and part of its dashboard API; not Ray) on a real
# Docker engine: builds the image with scripts/standin-image.sh, brings up a
# small cluster on its own bridge network and checks what raylaunch relies on:
# the CLI, the image's user, Ray's session folders, the HTTP API (nodes,
# health, jobs, token auth) read from the host at the containers' addresses,
# and, as for a cluster over several hosts, the nodes' own ports and the
# head's health checks (with host networking too, on 20 host ports the kernel
# gives as free); what `ray start` refuses, with Ray's words and exit status
# (reserved ports, option values, labels, GPUs, /dev/shm); and a worker that
# loses its head and, within its reconnect window, rejoins it. Removes
# everything it creates.
#
# Usage: tests/support/standin_test.sh
# Env:   DOCKER (default docker), STANDIN_IMAGE (default raylaunch/ray-standin:test;
#        it is rebuilt under that tag). Needs python3 on the host.
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
    "$DOCKER" rm -f -v $ids >/dev/null 2>&1
  fi
  "$DOCKER" network rm "$net" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

source "$root/tests/integration/common.sh"
if ! "$DOCKER" info >/dev/null 2>&1; then
  skip_or_fail "no Docker engine answers"
fi
command -v python3 >/dev/null || {
  echo "FAIL: python3 is needed on the host (it reads the stand-in's HTTP API)" >&2
  exit 1
}

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

# run_on NETWORK NAME [DOCKER_RUN_OPTION...] -- COMMAND...: starts a detached
# container on NETWORK (the test network, or host).
run_on() {
  local network=$1 name=$2 opts=()
  shift 2
  while [[ $1 != -- ]]; do
    opts+=("$1")
    shift
  done
  shift
  "$DOCKER" run -d --init --network "$network" --label "$label" --name "$name" "${opts[@]}" \
    "$IMAGE" "$@" >/dev/null || fatal "docker run $name"
}
# run NAME [DOCKER_RUN_OPTION...] -- COMMAND...: the same on the test network.
run() {
  run_on "$net" "$@"
}

# ray_status CONTAINER [docker exec options...]: `ray status` there (without
# the CLI's start-up delay), into $tmp/status.out and $tmp/status.err;
# returns its exit status.
ray_status() {
  local c=$1
  shift
  "$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$@" "$c" ray status >"$tmp/status.out" 2>"$tmp/status.err"
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

# ip_of CONTAINER: its address on the test network.
ip_of() {
  "$DOCKER" inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$1"
}

# api COMMAND ARGS...: the HTTP helper below (python3 on the host, talking
# only to the containers' addresses on the test network).
api() {
  python3 "$tmp/api.py" "$@"
}
cat >"$tmp/api.py" <<'PY'
"""HTTP helper for standin_test.sh: talks to the stand-in's dashboard."""
import http.client
import json
import re
import socket
import sys
import time
import urllib.parse

HEX56 = re.compile(r"^[0-9a-f]{56}$")


def request(method, url, body=None, headers=()):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    h = {"User-Agent": "standin-test"}
    for x in headers:
        k, v = x.split(":", 1)
        h[k.strip()] = v.strip()
    path = u.path + ("?" + u.query if u.query else "")
    c.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
    r = c.getresponse()
    data = r.read()
    cl = r.getheader("Content-Length")
    if cl is None or int(cl) != len(data):
        raise SystemExit(f"Content-Length {cl} but {len(data)} bytes")
    return r.status, r.getheader("Content-Type"), data


def dump(v):
    return json.dumps(v, sort_keys=True, indent=1)


def node_key(n):
    return (n.get("node_name"), n.get("state"))


def normalized_nodes(d):
    """The reply with node ids as <ID>, entries in a stable order."""
    nodes = d["data"]["result"]["result"]
    ids = [n["node_id"] for n in nodes]
    problems = []
    if ids != sorted(ids):
        problems.append("entries are not sorted by node_id")
    for n in nodes:
        if not HEX56.match(n["node_id"]):
            problems.append("bad node_id " + n["node_id"])
        if n["labels"].get("ray.io/node-id") != n["node_id"]:
            problems.append("labels do not carry the node id")
        n["node_id"] = "<ID>"
        n["labels"]["ray.io/node-id"] = "<ID>"
    nodes.sort(key=node_key)
    return problems


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "req":  # METHOD URL [BODY|@FILE|-] [HEADER...]: "STATUS TYPE" then the body
        body = args[2] if len(args) > 2 and args[2] != "-" else None
        if body is not None and body.startswith("@"):
            body = open(body[1:], "rb").read()
        st, ct, data = request(args[0], args[1], body, args[3:])
        sys.stdout.write(f"{st} {ct}\n")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    elif cmd == "big":  # URL N: POST N bytes
        st, ct, data = request("POST", args[0], b"x" * int(args[1]))
        print(st, data.decode())
    elif cmd == "expect-nodes":  # URL FILE: the whole reply against FILE
        st, ct, data = request("GET", args[0])
        got = json.loads(data)
        want = json.load(open(args[1]))
        problems = normalized_nodes(got)
        want["data"]["result"]["result"].sort(key=node_key)
        if st != 200 or ct != "application/json; charset=utf-8":
            problems.append(f"status {st}, type {ct}")
        if dump(got) != dump(want):
            import difflib
            problems += difflib.unified_diff(dump(want).splitlines(), dump(got).splitlines(),
                                             "want", "got", lineterm="")
        print("\n".join(problems) if problems else "same")
    elif cmd == "states":  # URL NAME TIMEOUT_S WANT: poll until NAME's entries match
        url, name, timeout, want = args[0], args[1], float(args[2]), args[3]
        deadline = time.time() + timeout
        mine = []
        while True:
            try:  # a head that is (re)starting may not answer yet
                d = json.loads(request("GET", url)[2])
                mine = [n for n in d["data"]["result"]["result"] if n["node_name"] == name]
            except OSError:
                mine = []
            got = ",".join(sorted(n["state"] for n in mine))
            if got == want or time.time() >= deadline:
                break
            time.sleep(0.2)
        for n in sorted(mine, key=lambda n: n["state"]):
            print(n["state"], n["state_message"], n["node_id"])
    elif cmd == "field":  # URL KEY...: a field of a JSON reply
        v = json.loads(request("GET", args[0])[2])
        for k in args[1:]:
            v = v[int(k)] if isinstance(v, list) else v[k]
        print(v if isinstance(v, str) else json.dumps(v))
    elif cmd == "wait-job":  # URL STATUS TIMEOUT_S: poll the job until STATUS
        deadline = time.time() + float(args[2])
        while True:
            status = json.loads(request("GET", args[0])[2])["status"]
            if status == args[1] or time.time() >= deadline:
                break
            time.sleep(0.1)
        print(status)
    elif cmd == "job":  # URL HEAD_ID: the job's details, times as <MS>
        st, ct, data = request("GET", args[0])
        j = json.loads(data)
        for k in ("start_time", "end_time"):
            if isinstance(j.get(k), int) and j[k] > 1500000000000:
                j[k] = "<MS>"
        if j.get("driver_node_id") == args[1]:
            j["driver_node_id"] = "<HEAD_ID>"
        print(st, ct)
        print(json.dumps(j))
    elif cmd == "slow":  # IP PORT: slow and half-open clients must not block the head
        ip, port = args[0], int(args[1])
        slow = [socket.create_connection((ip, port)) for _ in range(20)]
        for s in slow[:10]:
            s.sendall(b"GET /api/v0/nodes HTTP/1.1\r\nHost: x\r\n")  # never finished
        t = time.time()
        st, ct, data = request("GET", f"http://{ip}:{port}/api/gcs_healthz")
        print("answered while 20 clients hang:", st, data.decode(),
              "promptly" if time.time() - t < 1 else "SLOWLY")
        deadline = time.time() + 15
        closed = 0
        for s in slow:
            s.settimeout(max(0.1, deadline - time.time()))
            try:
                closed += s.recv(1) == b""
            except (socket.timeout, OSError):
                pass
        print("the head closed them after its timeout:", closed, "of", len(slow))
    elif cmd == "announce":  # URL LENGTH [HEADER...]: a PUT's headers only; the reply
        u = urllib.parse.urlsplit(args[0])
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        c.putrequest("PUT", u.path)
        c.putheader("Content-Length", args[1])
        for x in args[2:]:
            c.putheader(*[p.strip() for p in x.split(":", 1)])
        c.endheaders()
        r = c.getresponse()
        print(r.status, r.read().decode())
    elif cmd == "stalled-upload":  # IP PORT NAME: an upload that stops half-way
        ip, port = args[0], int(args[1])
        s = socket.create_connection((ip, port))
        s.sendall(f"PUT /api/packages/gcs/{args[2]} HTTP/1.1\r\nHost: x\r\n"
                  "Content-Length: 3000000\r\n\r\n".encode() + b"z" * 1000000)
        t = time.time()
        st, ct, data = request("GET", f"http://{ip}:{port}/api/gcs_healthz")
        print("answered while an upload stalls:", st, data.decode(),
              "promptly" if time.time() - t < 1 else "SLOWLY")
        s.close()
    elif cmd == "health":  # IP PORT: what a node's own port answers
        with socket.create_connection((args[0], int(args[1])), timeout=5) as s:
            s.settimeout(5)
            data = b""
            while True:
                chunk = s.recv(64)
                if not chunk:
                    break
                data += chunk
        print(repr(data.decode()))
    elif cmd == "join-old":  # IP PORT NAME: a JOIN without nm= (an older worker's)
        node_id = "node_" + "".join("%02x" % b for b in __import__("os").urandom(28))
        with socket.create_connection((args[0], int(args[1])), timeout=5) as s:
            s.settimeout(5)
            s.sendall(f"JOIN {node_id} 1 0 oldhost ip=192.0.2.99 name={args[2]}\n".encode())
            print(repr(s.recv(64).decode()))
    elif cmd == "join-as":  # IP PORT NODE_ID: a JOIN under a given node id; the answer
        with socket.create_connection((args[0], int(args[1])), timeout=5) as s:
            s.settimeout(5)
            s.sendall(f"JOIN {args[2]} 1 0 somehost ip=192.0.2.98 name=x\n".encode())
            print(repr(s.recv(64).decode()))
    elif cmd == "free-ports":  # N: N distinct TCP ports the kernel gives as free, none that Ray
        # names by default (6379, 8265, 10001, 52365) nor in its default worker range 10002-19999
        n, socks, ports = int(args[0]), [], []
        while len(ports) < n and len(socks) < 20 * n:
            s = socket.socket()
            s.bind(("0.0.0.0", 0))
            socks.append(s)
            p = s.getsockname()[1]
            if not (10002 <= p <= 19999 or p in (6379, 8265, 10001, 52365)):
                ports.append(p)
        for s in socks:
            s.close()
        print(" ".join(map(str, ports)))
    elif cmd == "refused":  # URL: does anything answer?
        try:
            request("GET", args[0])
            print("answered")
        except ConnectionRefusedError:
            print("refused")
    else:
        raise SystemExit("unknown command " + cmd)


main()
PY

# py_json EXPR: prints a python3 expression over the JSON on stdin (as d).
py_json() {
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
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

# --- the image's user, as rayproject/ray's ------------------------------------------
check "the image runs as ray: uid 1000, gid 100, HOME and workdir /home/ray" \
  "uid=1000(ray) gid=100(users) groups=100(users) /home/ray /home/ray" \
  "$("$DOCKER" run --rm --label "$label" "$IMAGE" sh -c 'echo "$(id) $HOME $(pwd)"')"
check "... /home/ray belongs to 1000:100, /tmp stays 1777" "1000 100 drwxr-xr-x drwxrwxrwt" \
  "$("$DOCKER" run --rm --label "$label" "$IMAGE" \
    sh -c 'set -- $(ls -ldn /home/ray); o="$3 $4 $1"; set -- $(ls -ld /tmp); echo "$o $1"')"
check "... and the image's configured user is 1000, as Ray's" 1000 \
  "$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")"

"$DOCKER" network create --label "$label" "$net" >/dev/null || fatal "docker network create $net"

# --- a head and two workers ------------------------------------------------------
# Jobs stay PENDING for 1.5 s on this head, so that the state can be seen.
run "$head" --env RAY_STANDIN_JOB_START_MS=1500 -- ray start --head --port=6379 --num-cpus=0 \
  --num-gpus=0 --dashboard-host=0.0.0.0 --node-name="$head" --memory=1000000000 \
  --object-store-memory=500000000 --block
run "$px-w1" -- ray start --address="$head:6379" --num-cpus=2 --num-gpus=0 --node-name="$px-w1" \
  --memory=2000000000 --object-store-memory=1000000000 --resources='{"accel": 2}' \
  --labels=zone=a --block
run "$px-w2" -- ray start --address="$head:6379" --num-cpus=2 --num-gpus=0 \
  --memory=3000000000 --object-store-memory=1500000000 --block

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

# --- Ray's session folders ---------------------------------------------------------
session=$("$DOCKER" exec "$head" sh -c 'readlink /tmp/ray/session_latest')
if [[ $session =~ ^/tmp/ray/session_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}_[0-9]{6}_[0-9]+$ ]]; then
  pass "session_latest points to /tmp/ray/session_<date>_<micro>_<pid> ($session)"
else
  fail "session_latest points to /tmp/ray/session_<date>_<micro>_<pid>" "got: $session"
fi
check "... a folder with logs/ inside, both the container user's" "ray users ray users" \
  "$("$DOCKER" exec "$head" sh -c "set -- \$(ls -ld $session); a=\"\$3 \$4\"; set -- \$(ls -ld $session/logs); echo \"\$a \$3 \$4\"")"
check "ray_current_cluster holds the GCS address" "$head_ip:6379" \
  "$("$DOCKER" exec "$head" cat /tmp/ray/ray_current_cluster)"
check "a worker uses the head's session name, and has no ray_current_cluster" "$session logs none" \
  "$("$DOCKER" exec "$px-w1" sh -c 'readlink /tmp/ray/session_latest; test -d /tmp/ray/session_latest/logs && echo logs
    test -e /tmp/ray/ray_current_cluster || echo none' | tr '\n' ' ' | sed 's/ $//')"

# --- the dashboard's HTTP API (read from the host at the head's address) -----------------
dash=http://$head_ip:8265
w1_ip=$(ip_of "$px-w1")
w2_ip=$(ip_of "$px-w2")
check "GET /api/gcs_healthz" "200 text/plain; charset=utf-8
success" "$(api req GET "$dash/api/gcs_healthz")"
check "GET /api/version" "200 application/json; charset=utf-8
{\"version\": \"4\", \"ray_version\": \"2.52.1\", \"ray_commit\": \"standin\", \"session_name\": \"${session##*/}\"}" \
  "$(api req GET "$dash/api/version")"

cat >"$tmp/nodes.want" <<EOF
{"result": true, "msg": "", "data": {"result": {"total": 3, "num_after_truncation": 3, "num_filtered": 3,
 "result": [
  {"node_id": "<ID>", "node_ip": "$head_ip", "is_head_node": true, "state": "ALIVE", "state_message": null,
   "node_name": "$head", "resources_total": {"CPU": 0.0, "memory": 1000000000.0,
   "object_store_memory": 500000000.0, "node:$head_ip": 1.0, "node:__internal_head__": 1.0},
   "labels": {"ray.io/node-id": "<ID>"}},
  {"node_id": "<ID>", "node_ip": "$w1_ip", "is_head_node": false, "state": "ALIVE", "state_message": null,
   "node_name": "$px-w1", "resources_total": {"CPU": 2.0, "memory": 2000000000.0,
   "object_store_memory": 1000000000.0, "node:$w1_ip": 1.0, "accel": 2.0},
   "labels": {"ray.io/node-id": "<ID>", "zone": "a"}},
  {"node_id": "<ID>", "node_ip": "$w2_ip", "is_head_node": false, "state": "ALIVE", "state_message": null,
   "node_name": "$w2_ip", "resources_total": {"CPU": 2.0, "memory": 3000000000.0,
   "object_store_memory": 1500000000.0, "node:$w2_ip": 1.0},
   "labels": {"ray.io/node-id": "<ID>"}}],
 "partial_failure_warning": "", "warnings": null}}}
EOF
check "GET /api/v0/nodes: the whole reply (ids as <ID>), entries sorted by node_id" same \
  "$(api expect-nodes "$dash/api/v0/nodes?limit=100&timeout=30&detail=false" "$tmp/nodes.want")"
head_id=$(api req GET "$dash/api/v0/nodes?filter_keys=is_head_node&filter_predicates=%3D&filter_values=true" |
  tail -n +2 | py_json 'd["data"]["result"]["result"][0]["node_id"]')
check "... the head's node_id is the one ray status prints, without node_" 1 \
  "$(grep -c "^ 1 node_$head_id\$" "$tmp/three.out")"
# nodes_summary URL: "TOTAL NUM_FILTERED NAME..." (the names sorted).
nodes_summary() {
  api req GET "$1" | tail -n +2 | py_json '" ".join(str(x) for x in [d["data"]["result"]["total"],
    d["data"]["result"]["num_filtered"]] + sorted(n["node_name"] for n in d["data"]["result"]["result"]))'
}
check "filter node_name = W1: that node only" "3 1 $px-w1" \
  "$(nodes_summary "$dash/api/v0/nodes?filter_keys=node_name&filter_predicates=%3D&filter_values=$px-w1")"
check "filter state = alive (any case) and is_head_node = false" \
  "3 2 $(printf '%s\n' "$px-w1" "$w2_ip" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "$(nodes_summary "$dash/api/v0/nodes?filter_keys=state&filter_predicates=%3D&filter_values=alive&filter_keys=is_head_node&filter_predicates=%3D&filter_values=false")"
check "filter state != ALIVE: none yet" "3 0" \
  "$(nodes_summary "$dash/api/v0/nodes?filter_keys=state&filter_predicates=!%3D&filter_values=ALIVE")"
check "limit=1: one entry of 3" "3 3 1" \
  "$(api req GET "$dash/api/v0/nodes?limit=1" | tail -n +2 |
    py_json '"%d %d %d" % (d["data"]["result"]["total"], d["data"]["result"]["num_filtered"], len(d["data"]["result"]["result"]))')"
check "detail=true adds start_time_ms (now) and end_time_ms (0 while alive)" "True 0" \
  "$(api req GET "$dash/api/v0/nodes?detail=true" | tail -n +2 | py_json '"%s %d" % (
    all(n["start_time_ms"] > 1500000000000 for n in d["data"]["result"]["result"]),
    max(n["end_time_ms"] for n in d["data"]["result"]["result"]))')"
check "timeout=1 is refused, as Ray's server (0.8 s rounds to 0)" '400 application/json; charset=utf-8
{"result": false, "msg": "0 second timeout is not supported.", "data": {}}' \
  "$(api req GET "$dash/api/v0/nodes?timeout=1")"
check "an unknown filter column is refused" 400 \
  "$(api req GET "$dash/api/v0/nodes?filter_keys=cpu&filter_predicates=%3D&filter_values=1" | cut -d' ' -f1 | head -n1)"

api req GET "$dash/api/cluster_status?format=1" >"$tmp/cs.out"
check "GET /api/cluster_status?format=1: Ray's envelope" "200 application/json; charset=utf-8
True | Got formatted cluster status. | clusterStatus" \
  "$(head -n1 "$tmp/cs.out"; tail -n +2 "$tmp/cs.out" | py_json '"%s | %s | %s" % (d["result"], d["msg"], ",".join(d["data"]))')"
tail -n +2 "$tmp/cs.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["clusterStatus"])' >"$tmp/cs.txt"
if normalize "$tmp/cs.txt" | diff -u "$tmp/three.want" - >"$tmp/diff"; then
  pass "... its clusterStatus is the text ray status prints"
else
  fail "... its clusterStatus is the text ray status prints" "$(cat "$tmp/diff")"
fi

check "an unknown path: 404" "404 text/plain; charset=utf-8
404: Not Found" "$(api req GET "$dash/api/nothing")"
check "a POST from a browser (User-Agent Mozilla...): 405" "405 text/plain; charset=utf-8
Method not allowed for browser traffic." \
  "$(api req POST "$dash/api/jobs/" '{"entrypoint": "true"}' 'User-Agent: Mozilla/5.0 (X11; Linux x86_64)')"
check "a body over 1 MiB: 413" \
  "413 Maximum request body size 1048576 exceeded, actual body size 1048577" \
  "$(api big "$dash/api/jobs/" 1048577)"
check "slow and half-open clients never block the head, and are dropped" \
  "answered while 20 clients hang: 200 success promptly
the head closed them after its timeout: 20 of 20" "$(api slow "$head_ip" 8265)"

# --- jobs over HTTP ------------------------------------------------------------------
jobs=$dash/api/jobs
# job_view ID: GET /api/jobs/ID with the times as <MS> and the head's id as <HEAD_ID>.
job_view() {
  api job "$jobs/$1" "$head_id"
}
# job_json ID STATUS MESSAGE ERROR_TYPE METADATA RUNTIME_ENV EXIT_CODE ENTRYPOINT: what
# job_view shows for a job that ran on the head.
job_json() {
  printf '200 application/json; charset=utf-8\n{"type": "SUBMISSION", "job_id": null, "submission_id": "%s", "driver_info": null, "status": "%s", "entrypoint": "%s", "message": %s, "error_type": %s, "start_time": "<MS>", "end_time": "<MS>", "metadata": %s, "runtime_env": %s, "driver_agent_http_address": "http://%s:52365", "driver_node_id": "<HEAD_ID>", "driver_exit_code": %s}' \
    "$1" "$2" "$8" "$3" "$4" "$5" "$6" "$head_ip" "$7"
}

check "POST /api/jobs/ (a job that succeeds)" '200 application/json; charset=utf-8
{"job_id": "ok-1", "submission_id": "ok-1"}' \
  "$(api req POST "$jobs/" '{"entrypoint": "echo $GREETING; echo to-stderr >&2", "submission_id": "ok-1", "metadata": {"k": "v"}, "runtime_env": {"env_vars": {"GREETING": "hi"}}}')"
check "... PENDING at first, with Ray's message" \
  "PENDING Job has not started yet. It may be waiting for the runtime environment to be set up." \
  "$(api field "$jobs/ok-1" status) $(api field "$jobs/ok-1" message)"
check "POST /api/jobs/ (a job that fails)" '200 application/json; charset=utf-8
{"job_id": "fail-1", "submission_id": "fail-1"}' \
  "$(api req POST "$jobs/" '{"entrypoint": "echo oops; exit 3", "submission_id": "fail-1"}')"
check "POST /api/jobs/ (a job to stop)" '200 application/json; charset=utf-8
{"job_id": "stop-1", "submission_id": "stop-1"}' \
  "$(api req POST "$jobs/" '{"entrypoint": "sleep 300", "submission_id": "stop-1"}')"

check "the first job turns SUCCEEDED" SUCCEEDED "$(api wait-job "$jobs/ok-1" SUCCEEDED 20)"
check "... GET /api/jobs/ok-1, whole" \
  "$(job_json ok-1 SUCCEEDED '"Job finished successfully."' null '{"k": "v"}' \
    '{"env_vars": {"GREETING": "hi"}}' 0 'echo $GREETING; echo to-stderr >&2')" "$(job_view ok-1)"
check "... its logs: stdout and stderr, after Ray's first line" '200 application/json; charset=utf-8
{"logs": "Running entrypoint for job ok-1: echo $GREETING; echo to-stderr >&2\nhi\nto-stderr\n"}' \
  "$(api req GET "$jobs/ok-1/logs")"
check "the second job turns FAILED" FAILED "$(api wait-job "$jobs/fail-1" FAILED 20)"
check "... with its exit code and Ray's message with the log's end" \
  "$(job_json fail-1 FAILED '"Job entrypoint command failed with exit code 3, last available logs (truncated to 20,000 chars):\nRunning entrypoint for job fail-1: echo oops; exit 3\noops\n"' \
    '"JOB_ENTRYPOINT_COMMAND_ERROR"' null null 3 'echo oops; exit 3')" "$(job_view fail-1)"
check "the third job turns RUNNING" RUNNING "$(api wait-job "$jobs/stop-1" RUNNING 20)"
check "... its end_time is null while it runs" null "$(api field "$jobs/stop-1" end_time)"
check "POST /api/jobs/stop-1/stop" '200 application/json; charset=utf-8
{"stopped": true}' "$(api req POST "$jobs/stop-1/stop")"
check "... it turns STOPPED" STOPPED "$(api wait-job "$jobs/stop-1" STOPPED 20)"
check "... GET /api/jobs/stop-1, whole (no exit code, as Ray)" \
  "$(job_json stop-1 STOPPED '"Job was intentionally stopped."' null null null null 'sleep 300')" \
  "$(job_view stop-1)"
check "... its process is gone" 0 "$("$DOCKER" exec "$head" sh -c 'ps -o args | grep -c "^sleep 300"')"
check "stopping it again: stopped false" '200 application/json; charset=utf-8
{"stopped": false}' "$(api req POST "$jobs/stop-1/stop")"
gen=$(api req POST "$jobs/" '{"entrypoint": "true"}' | tail -n +2 | py_json 'd["job_id"] == d["submission_id"] and d["submission_id"]')
if [[ $gen =~ ^raysubmit_[A-Za-z0-9]{16}$ ]]; then pass "without a submission_id: raysubmit_ + 16 letters and digits ($gen)"; else fail "without a submission_id: raysubmit_ + 16 letters and digits" "got: $gen"; fi
check "GET /api/jobs/ lists them all" "$(printf '%s\n' fail-1 "$gen" ok-1 stop-1 | sort | tr '\n' ' ')" \
  "$(api req GET "$jobs/" | tail -n +2 | py_json '" ".join(sorted(j["submission_id"] for j in d)) + " "')"
check "a reused submission_id: 400" "400 ValueError: Job with submission_id ok-1 already exists. Please use a different submission_id." \
  "$(api req POST "$jobs/" '{"entrypoint": "true", "submission_id": "ok-1"}' | sed -n '1s/ .*//p;$p' | tr '\n' ' ' | sed 's/ $//')"
check "a body without entrypoint: 400" \
  "400 TypeError: JobSubmitRequest.__init__() missing 1 required positional argument: 'entrypoint'" \
  "$(api req POST "$jobs/" '{"submission_id": "x"}' | sed -n '1s/ .*//p;$p' | tr '\n' ' ' | sed 's/ $//')"
check "a body that is not JSON: 400" \
  "400 json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)" \
  "$(api req POST "$jobs/" 'entrypoint=true' | sed -n '1s/ .*//p;$p' | tr '\n' ' ' | sed 's/ $//')"
check "an unknown job: 404" "404 text/plain; charset=utf-8
Job nope does not exist" "$(api req GET "$jobs/nope")"

# --- packages and working_dir, as Ray's job client uses them (--working-dir) ------------
pkgs=$dash/api/packages/gcs
python3 - "$tmp" <<'PY'
import hashlib, sys, zipfile
d = sys.argv[1]
# The folder's content at the zip's top level, no enclosing folder, as Ray's client zips it.
with zipfile.ZipFile(f"{d}/pkg.zip", "w") as z:
    z.writestr("hello.txt", "hello from the package\n")
    z.writestr("sub/data.txt", "data\n")
with open(f"{d}/name", "w") as f:
    f.write("_ray_pkg_" + hashlib.sha1(open(f"{d}/pkg.zip", "rb").read()).hexdigest() + ".zip")
with open(f"{d}/big.bin", "wb") as f:  # 5 MiB: over the 1 MiB JSON limit, many chunks
    f.write(hashlib.sha256(b"standin").digest() * (5 * 1024 * 1024 // 32))
PY
pkg=$(cat "$tmp/name")
wd_dir=$session/runtime_resources/working_dir_files
# stored NAME FILE: "same" when the head keeps package NAME byte for byte as FILE.
stored() {
  "$DOCKER" exec "$head" cat "$session/packages/$1" | cmp -s - "$2" && echo same
}
# setup_failed EXCEPTION_LINE: Ray's message for a job whose runtime_env failed.
setup_failed() {
  printf "runtime_env setup failed: Failed to set up runtime environment.\nTraceback (most recent call last):\n  (raylaunch's ray stand-in)\n%s\n" "$1"
}
# json_text: stdin as a JSON string.
json_text() {
  python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'
}

check "GET /api/packages/gcs/NAME before the upload: 404, Ray's text" "404 text/plain; charset=utf-8
Package gcs://$pkg does not exist" "$(api req GET "$pkgs/$pkg")"
check "PUT /api/packages/gcs/NAME with the zip: an empty 200, as Ray's upload_package" \
  "200 application/octet-stream" "$(api req PUT "$pkgs/$pkg" "@$tmp/pkg.zip")"
check "... then GET finds it: an empty 200, as Ray's get_package" "200 application/octet-stream" \
  "$(api req GET "$pkgs/$pkg")"
check "... kept byte for byte in the session's packages/" same "$(stored "$pkg" "$tmp/pkg.zip")"
check "a 5 MiB package (over the 1 MiB limit of other paths) arrives whole" \
  "200 application/octet-stream same" \
  "$(api req PUT "$pkgs/_ray_pkg_big.zip" "@$tmp/big.bin") $(stored _ray_pkg_big.zip "$tmp/big.bin")"
check "a package of 100 MiB or more (Ray's client_max_size): 413 after the headers" \
  "413 Maximum request body size 104857600 exceeded, actual body size 104857600" \
  "$(api announce "$pkgs/_ray_pkg_huge.zip" 104857600)"
check "an upload that stalls does not block the head" \
  "answered while an upload stalls: 200 success promptly" \
  "$(api stalled-upload "$head_ip" 8265 _ray_pkg_cut.zip)"
check "a package name with '..' or '/': 400, whole" "400 text/plain; charset=utf-8
Traceback (most recent call last):
  (raylaunch's ray stand-in)
ValueError: the ray stand-in takes package names of 1 to 200 characters, without '/' or '..', not starting with '.', got '../x.zip'" \
  "$(api req PUT "$pkgs/..%2Fx.zip" x)"
bad_names=$(for p in gcs/a%2Fb.zip gcs/a/b.zip gcs/%2e%2e gcs/.x.zip s3/x.zip gcs; do
  echo "$p: $(api req PUT "$dash/api/packages/$p" x | sed -n '1s/ .*//p;$p' | tr '\n' ' ' | sed 's/ $//')"
done)
check "... and the other names and paths the stand-in refuses" \
  "gcs/a%2Fb.zip: 400 ValueError: the ray stand-in takes package names of 1 to 200 characters, without '/' or '..', not starting with '.', got 'a/b.zip'
gcs/a/b.zip: 400 ValueError: the ray stand-in takes package names of 1 to 200 characters, without '/' or '..', not starting with '.', got 'a/b.zip'
gcs/%2e%2e: 400 ValueError: the ray stand-in takes package names of 1 to 200 characters, without '/' or '..', not starting with '.', got '..'
gcs/.x.zip: 400 ValueError: the ray stand-in takes package names of 1 to 200 characters, without '/' or '..', not starting with '.', got '.x.zip'
s3/x.zip: 400 ValueError: the ray stand-in keeps only gcs:// packages, got 's3://x.zip'
gcs: 404 404: Not Found" "$bad_names"
check "POST to a package: 405" "405 text/plain; charset=utf-8
405: Method Not Allowed" "$(api req POST "$pkgs/$pkg" x)"
check "PUT of a file that is no zip: 200 (Ray does not look inside)" "200 application/octet-stream" \
  "$(api req PUT "$pkgs/_ray_pkg_notzip.zip" 'not a zip')"
# The stalled upload's connection is gone; the head drops its partial file.
deadline=$(($(now_ms) + 15000))
until [[ $("$DOCKER" exec "$head" ls -a "$session/packages" | grep -c '^\.upload-') == 0 ]] ||
  (($(now_ms) >= deadline)); do
  sleep 0.2
done
check "packages/ holds what was uploaded whole: no cut-off upload, no refused name" \
  "$(printf '%s\n' . .. "$pkg" _ray_pkg_big.zip _ray_pkg_notzip.zip | LC_ALL=C sort)" \
  "$("$DOCKER" exec "$head" ls -a "$session/packages")"

wd_env="{\"working_dir\": \"gcs://$pkg\"}"
wd_cmd='cat hello.txt && pwd && echo $PYTHONPATH'
check "two jobs at once with that working_dir" '200 application/json; charset=utf-8
{"job_id": "wd-1", "submission_id": "wd-1"}
200 application/json; charset=utf-8
{"job_id": "wd-2", "submission_id": "wd-2"}' \
  "$(for id in wd-1 wd-2; do
    api req POST "$jobs/" "{\"entrypoint\": \"$wd_cmd\", \"submission_id\": \"$id\", \"runtime_env\": $wd_env}"
    echo
  done)"
check "... both turn SUCCEEDED" "SUCCEEDED SUCCEEDED" \
  "$(api wait-job "$jobs/wd-1" SUCCEEDED 20) $(api wait-job "$jobs/wd-2" SUCCEEDED 20)"
check "... GET /api/jobs/wd-1, whole" \
  "$(job_json wd-1 SUCCEEDED '"Job finished successfully."' null null "$wd_env" 0 "$wd_cmd")" \
  "$(job_view wd-1)"
for id in wd-1 wd-2; do
  check "... $id ran in the unpacked package (cwd and PYTHONPATH): its whole log" \
    "200 application/json; charset=utf-8
{\"logs\": \"Running entrypoint for job $id: $wd_cmd\\nhello from the package\\n$wd_dir/${pkg%.zip}\\n$wd_dir/${pkg%.zip}\\n\"}" \
    "$(api req GET "$jobs/$id/logs")"
done
check "... unpacked into working_dir_files/NAME, the zip's top level as the folder's" "hello.txt sub sub/data.txt" \
  "$("$DOCKER" exec "$head" sh -c "cd $wd_dir/${pkg%.zip} && echo * sub/*")"

api req POST "$jobs/" '{"entrypoint": "cat hello.txt", "submission_id": "miss-1", "runtime_env": {"working_dir": "gcs://_ray_pkg_missing.zip"}}' >/dev/null
check "a job whose package is missing turns FAILED" FAILED "$(api wait-job "$jobs/miss-1" FAILED 20)"
miss_msg=$(setup_failed "OSError: Failed to download runtime_env file package gcs://_ray_pkg_missing.zip from the GCS to the Ray worker node. The package may have prematurely been deleted from the GCS due to a long upload time or a problem with Ray. Try setting the environment variable RAY_RUNTIME_ENV_TEMPORARY_REFERENCE_EXPIRATION_S  to a value larger than the upload time in seconds (the default is 600). If this fails, try re-running after making any change to a file in the file package.")
check "... GET /api/jobs/miss-1, whole: Ray's runtime_env message, never on a node" \
  "200 application/json; charset=utf-8
{\"type\": \"SUBMISSION\", \"job_id\": null, \"submission_id\": \"miss-1\", \"driver_info\": null, \"status\": \"FAILED\", \"entrypoint\": \"cat hello.txt\", \"message\": $(printf '%s\n' "$miss_msg" | json_text), \"error_type\": \"RUNTIME_ENV_SETUP_FAILURE\", \"start_time\": \"<MS>\", \"end_time\": \"<MS>\", \"metadata\": null, \"runtime_env\": {\"working_dir\": \"gcs://_ray_pkg_missing.zip\"}, \"driver_agent_http_address\": null, \"driver_node_id\": null, \"driver_exit_code\": null}" \
  "$(job_view miss-1)"
check "... and its log is that message, as Ray writes it there" \
  "200 application/json; charset=utf-8
{\"logs\": $(printf '%s\n' "$miss_msg" | json_text)}" "$(api req GET "$jobs/miss-1/logs")"
api req POST "$jobs/" '{"entrypoint": "true", "submission_id": "notzip-1", "runtime_env": {"working_dir": "gcs://_ray_pkg_notzip.zip"}}' >/dev/null
check "a job whose package is no zip fails the same way" \
  "FAILED RUNTIME_ENV_SETUP_FAILURE $(setup_failed "zipfile.BadZipFile: File is not a zip file")" \
  "$(api wait-job "$jobs/notzip-1" FAILED 20) $(api field "$jobs/notzip-1" error_type) $(api field "$jobs/notzip-1" message)"
check "... leaving no half-unpacked folder" "$(printf '%s\n' . .. "${pkg%.zip}")" \
  "$("$DOCKER" exec "$head" ls -a "$wd_dir")"
check "a working_dir that is not a string: 400" \
  "400 TypeError: \`working_dir\` must be a string, got <class 'int'>." \
  "$(api req POST "$jobs/" '{"entrypoint": "true", "runtime_env": {"working_dir": 3}}' | sed -n '1s/ .*//p;$p' | tr '\n' ' ' | sed 's/ $//')"

# --- ray job (the CLI, over the same API) ------------------------------------------
# big MESSAGE: Ray's cli_logger framing of a big success or error message.
big() {
  local line
  line=$(printf '%*s' "${#1}" '' | tr ' ' -)
  printf '\n%s\n%s\n%s\n' "$line" "$1" "$line"
}
out=$("$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$head" \
  ray job submit --submission-id cli-1 -- sh -c 'echo "from the cli"' 2>"$tmp/job.err")
check "ray job submit waits for the job and exits 0" 0 "$?"
check "... printing what Ray's CLI prints" "Job submission server address: $dash
$(big "Job 'cli-1' submitted successfully")

Next steps
  Query the logs of the job:
    ray job logs cli-1
  Query the status of the job:
    ray job status cli-1
  Request the job to be stopped:
    ray job stop cli-1

Tailing logs until the job exits (disable with --no-wait):
Running entrypoint for job cli-1: sh -c 'echo \"from the cli\"'
from the cli
$(big "Job 'cli-1' succeeded")" "$out"
out=$("$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$head" ray job submit -- sh -c 'exit 5' 2>"$tmp/job.err")
check "ray job submit of a failing job exits 1" 1 "$?"
check_has "... with Ray's status message" \
  "Status message: Job entrypoint command failed with exit code 5, last available logs" "$out"
check "ray job status, from a worker's container (the head's dashboard found through the GCS)" \
  "Job submission server address: $dash
$(big "Job 'ok-1' succeeded")" \
  "$("$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$px-w1" ray job status ok-1 2>"$tmp/job.err")"
check "ray job logs --address http://..." "Job submission server address: $dash
Running entrypoint for job ok-1: echo \$GREETING; echo to-stderr >&2
hi
to-stderr" "$("$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$px-w1" ray job logs --address "$dash" ok-1 2>"$tmp/job.err")"
"$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$head" ray job submit --no-wait --submission-id cli-stop -- sleep 300 >/dev/null 2>&1
api wait-job "$jobs/cli-stop" RUNNING 20 >/dev/null
out=$("$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$head" ray job stop cli-stop 2>"$tmp/job.err")
check "ray job stop exits 0 once the job is stopped" "0 Job 'cli-stop' was stopped" "$? $(tail -n1 <<<"$out")"
check "... and the head says STOPPED" STOPPED "$(api field "$jobs/cli-stop" status)"
"$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$head" ray job status nope >/dev/null 2>"$tmp/job.err"
check "ray job status of an unknown job exits 1 with the SDK's error" \
  "1 RuntimeError: Request failed with status code 404: Job nope does not exist." "$? $(tail -n1 "$tmp/job.err")"

# --- the CLI's start-up delay (a stand-in for Python and `import ray`) ------------------
t0=$(now_ms)
"$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$head" ray status >/dev/null
fast=$(($(now_ms) - t0))
t0=$(now_ms)
"$DOCKER" exec "$head" ray status >/dev/null
slow=$(($(now_ms) - t0))
t0=$(now_ms)
"$DOCKER" exec "$head" ray job status ok-1 >/dev/null
job_slow=$(($(now_ms) - t0))
echo "# ray status: ${fast} ms with RAY_STANDIN_CLI_DELAY_MS=0, ${slow} ms by default; ray job status: ${job_slow} ms"
if ((slow >= 900 && slow - fast >= 500)); then
  pass "ray status pays the default 1 s start-up delay (${slow} ms vs ${fast} ms)"
else
  fail "ray status pays the default 1 s start-up delay" "${slow} ms by default, ${fast} ms without"
fi
if ((job_slow >= 900)); then pass "ray job pays it too (${job_slow} ms)"; else fail "ray job pays it too" "${job_slow} ms"; fi

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
expect_error "--resources must be a JSON object" 1 "--resources must be a JSON object" start --head --resources=gpu:1
expect_error "an unknown command is refused" 2 "Error: No such command 'launch'." launch

# --- what `ray start` refuses, as Ray 2.52 refuses it ----------------------------------
# Each runs the image with the raw flags (docker run --rm IMAGE ray start ...) and compares the
# exit status and the whole of stderr (the CLI logger's times as <TIME>) with Ray's.

# ray_start_raw [DOCKER_RUN_OPTION...] -- ARGS...: `ray start ARGS` in a fresh container; stdout
# in $tmp/raw.out, stderr in $tmp/raw.err (times as <TIME>); returns its status.
ray_start_raw() {
  local opts=() rc
  while [[ $1 != -- ]]; do
    opts+=("$1")
    shift
  done
  shift
  "$DOCKER" run --rm --label "$label" "${opts[@]}" "$IMAGE" ray start "$@" >"$tmp/raw.out" 2>"$tmp/raw.t"
  rc=$?
  sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}\t/<TIME>\t/' "$tmp/raw.t" >"$tmp/raw.err"
  return $rc
}
# refused DESCRIPTION STATUS STDERR [DOCKER_RUN_OPTION...] -- ARGS...: exits STATUS saying STDERR, all of it.
refused() {
  local desc=$1 want_rc=$2 want=$3 rc
  shift 3
  ray_start_raw "$@"
  rc=$?
  check "$desc" "$want_rc
$want" "$rc
$(cat "$tmp/raw.err")"
}
# runs DESCRIPTION [DOCKER_RUN_OPTION...] -- ARGS...: `ray start ARGS` (no --block) starts and exits 0.
runs() {
  local desc=$1 rc
  shift
  ray_start_raw "$@"
  rc=$?
  check "$desc" "0 1" "$rc $(grep -c '^Ray runtime started\.$' "$tmp/raw.out")"
}
# traceback WHERE LINE...: an exception `ray start` does not catch (the stand-in's frame line).
traceback() {
  local where=$1
  shift
  printf '%s\n' "Traceback (most recent call last):" \
    "  File \"/usr/local/bin/ray\", in <module>  (raylaunch's ray stand-in: Ray raises this in $where)" "$@"
}
usage_check() { traceback RayParams._check_usage "ValueError: $1"; }
# panic LINE MESSAGE TEMPLATE: Ray's cli_logger.abort in record style (stdin is no TTY): the
# message at PANIC, then Click's "Error:" with Ray's template, {} and all.
panic() {
  printf '<TIME>\tPANIC scripts.py:%s -- %s\nError: %s\n' "$1" "$2" "$3"
}
click_error() {
  printf "Usage: ray start [OPTIONS]\nTry 'ray start --help' for help.\n\nError: %s\n" "$1"
}
# port_info KEY=VALUE...: Ray's "Port information:" for a node with Ray's defaults but KEY (each
# value as Python's repr shows it: 16390, 'random', '9998 ports from 10002 to 19999').
port_info() {
  local -A v=([gcs]="'random'" [object_manager]="'random'" [node_manager]="'random'"
    [gcs_server]="'random'" [client_server]=10001 [dashboard]=8265 [dashboard_agent_grpc]="'random'"
    [dashboard_agent_http]=52365 [runtime_env_agent]="'random'" [metrics_export]="'random'"
    [redis_shards]="'random'" [worker_ports]="'9998 ports from 10002 to 19999'")
  local kv k out=
  for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
  for k in gcs object_manager node_manager gcs_server client_server dashboard dashboard_agent_grpc \
    dashboard_agent_http runtime_env_agent metrics_export redis_shards worker_ports; do
    out+="${out:+, }'$k': ${v[$k]}"
  done
  echo "{$out}"
}
# port_refusal COMPONENT PORT KEY=VALUE...: Ray's whole ValueError for a port met a second time.
port_refusal() {
  local comp=$1 port=$2
  shift 2
  traceback "Node.__init__ (RayParams.update_pre_selected_port)" \
    "ValueError: Ray component $comp is trying to use a port number $port that is used by other components." \
    "Port information: $(port_info "$@")" \
    "If you allocate ports, please make sure the same port is not used by multiple components."
}

# Reserved ports: each pre-selected port once, the worker range's too (default 10002-19999).
refused "--head --port=16390: inside the default worker range, Ray's worker_ports ValueError" 1 \
  "$(port_refusal worker_ports 16390 gcs_server=16390)" -- --head --port=16390 --block
run "$px-p6379" -- ray start --head --port=6379 --num-cpus=0 --block
if wait_nodes "$px-p6379" 1; then pass "--head --port=6379 --block runs"; else fail "--head --port=6379 --block runs" "$("$DOCKER" logs "$px-p6379" 2>&1)"; fi
"$DOCKER" rm -f "$px-p6379" >/dev/null
refused "--head --port=8265: the dashboard's default port, named second" 1 \
  "$(port_refusal dashboard 8265 gcs_server=8265)" -- --head --port=8265
refused "the same node and object manager port: node_manager is named" 1 \
  "$(port_refusal node_manager 8076 object_manager=8076 node_manager=8076 gcs_server=6379)" \
  -- --head --object-manager-port=8076 --node-manager-port=8076
refused "--dashboard-agent-listen-port on the client server's default 10001" 1 \
  "$(port_refusal dashboard_agent_http 10001 gcs_server=6379 dashboard_agent_http=10001)" \
  -- --head --dashboard-agent-listen-port=10001
refused "--metrics-export-port on the dashboard agent's default 52365" 1 \
  "$(port_refusal metrics_export 52365 gcs_server=6379 metrics_export=52365)" \
  -- --head --metrics-export-port=52365
refused "--redis-shard-ports naming a port twice (Ray keeps them as strings)" 1 \
  "$(port_refusal redis_shards 6380 gcs_server=6379 "redis_shards=['6380', '6380']")" \
  -- --head --redis-shard-ports=6380,6380
refused "--worker-port-list naming a port twice" 1 \
  "$(port_refusal worker_ports 20000 gcs_server=6379 "worker_ports='3 ports [20000, 20001, 20000]'")" \
  -- --head --worker-port-list=20000,20001,20000
refused "a worker range over the dashboard's 8265" 1 \
  "$(port_refusal worker_ports 8265 gcs_server=6379 "worker_ports='1000 ports from 8000 to 8999'")" \
  -- --head --min-worker-port=8000 --max-worker-port=8999
refused "a worker whose --node-manager-port is in the default worker range (once it has the session)" 1 \
  "$(port_refusal worker_ports 12345 node_manager=12345)" \
  --network "$net" -- --address="$head:6379" --node-manager-port=12345 --node-name="$px-wport" --block
check "... and it never registers" "" "$(api states "$dash/api/v0/nodes" "$px-wport" 0 "")"
runs "ports outside the worker range, a range clear of them: it runs" \
  -- --head --port=23456 --node-manager-port=23457 --object-manager-port=23458 \
  --min-worker-port=24000 --max-worker-port=24999 --dashboard-port=23459

# RayParams._check_usage.
refused "--max-worker-port equal to --min-worker-port" 1 \
  "$(usage_check "max_worker_port must be higher than min_worker_port.")" \
  -- --head --min-worker-port=20000 --max-worker-port=20000
refused "--max-worker-port below --min-worker-port" 1 \
  "$(usage_check "max_worker_port must be higher than min_worker_port.")" \
  -- --head --min-worker-port=20001 --max-worker-port=20000
refused "--min-worker-port below 1024 (0 is allowed)" 1 \
  "$(usage_check "min_worker_port must be 0 or an integer between 1024 and 65535.")" \
  -- --head --min-worker-port=80
refused "--max-worker-port above 65535" 1 \
  "$(usage_check "max_worker_port must be 0 or an integer between 1024 and 65535.")" \
  -- --head --max-worker-port=70000
refused "--worker-port-list with a word" 1 \
  "$(usage_check "worker_port_list must be a comma-separated list of integers: invalid literal for int() with base 10: 'x'")" \
  -- --head --worker-port-list=20000,x
refused "--worker-port-list with a port below 1024" 1 \
  "$(usage_check "Ports in worker_port_list must be between 1024 and 65535. Got: 80")" \
  -- --head --worker-port-list=20000,80
refused "--ray-client-server-port below 1024" 1 \
  "$(usage_check "ray_client_server_port must be an integer between 1024 and 65535.")" \
  -- --head --ray-client-server-port=80
refused "--ray-client-server-port above 65535" 1 \
  "$(usage_check "ray_client_server_port must be an integer between 1024 and 65535.")" \
  -- --head --ray-client-server-port=65536
refused "--runtime-env-agent-port below 1024" 1 \
  "$(usage_check "runtime_env_agent_port must be an integer between 1024 and 65535.")" \
  -- --head --runtime-env-agent-port=1023
refused "--temp-dir not absolute" 1 "$(usage_check "temp_dir must be absolute path or None.")" \
  -- --head --temp-dir=tmp/ray
refused "--temp-dir not absolute on a worker too (checked before it looks for its head)" 1 \
  "$(usage_check "temp_dir must be absolute path or None.")" -- --address=nowhere:6379 --temp-dir=ray

# A worker: --address, and no head-only option (any value, false too).
addr_msg='`--address` is a required flag unless starting a head node with `--head`.'
addr_tmpl='`{}` is a required flag unless starting a head node with `{}`.'
head_tmpl='`{}` should only be specified when starting head node with `{}`.'
refused "a worker without --address" 1 "$(panic 1118 "$addr_msg" "$addr_tmpl")" -- --num-cpus=1
for flag in --port=6379 --redis-shard-ports=6380 --include-dashboard=false --include-dashboard=true; do
  refused "a worker given $flag" 1 \
    "$(panic 1131 "\`${flag%%=*}\` should only be specified when starting head node with \`--head\`." "$head_tmpl")" \
    -- --address="$head:6379" "$flag"
done
refused "... --log-style=pretty: the message alone (Ray's silent ClickException)" 1 \
  "\`--port\` should only be specified when starting head node with \`--head\`." \
  -- --address="$head:6379" --port=6379 --log-style=pretty

# Click's types: exit 2 with the usage lines.
refused "--log-style is a choice" 2 \
  "$(click_error "Invalid value for '--log-style': 'fancy' is not one of 'auto', 'record', 'pretty'.")" \
  -- --head --log-style=fancy
refused "--log-color is a choice" 2 \
  "$(click_error "Invalid value for '--log-color': 'yes' is not one of 'auto', 'false', 'true'.")" \
  -- --head --log-color=yes
runs "... of any case (--log-style=RECORD --log-color=False)" -- --head --log-style=RECORD --log-color=False
refused "--num-cpus is an integer" 2 "$(click_error "Invalid value for '--num-cpus': 'x' is not a valid integer.")" \
  -- --head --num-cpus=x
refused "--num-gpus is an integer" 2 "$(click_error "Invalid value for '--num-gpus': '1.5' is not a valid integer.")" \
  -- --head --num-gpus=1.5
refused "--object-store-memory is an integer" 2 \
  "$(click_error "Invalid value for '--object-store-memory': '1e9' is not a valid integer.")" \
  -- --head --object-store-memory=1e9
refused "--dashboard-port is an integer" 2 "$(click_error "Invalid value for '--dashboard-port': 'http' is not a valid integer.")" \
  -- --head --dashboard-port=http
refused "--system-reserved-cpu is a float" 2 \
  "$(click_error "Invalid value for '--system-reserved-cpu': 'x' is not a valid float.")" \
  -- --head --system-reserved-cpu=x
refused "--system-reserved-memory is an integer" 2 \
  "$(click_error "Invalid value for '--system-reserved-memory': '1.5' is not a valid integer.")" \
  -- --head --system-reserved-memory=1.5
refused "--system-config is JSON (Click shows the value)" 2 \
  "$(click_error "Invalid value for '--system-config': {x")" -- --head '--system-config={x'
runs "Python's int(): spaces and underscores are fine (--num-cpus=' 1_0 ')" -- --head '--num-cpus= 1_0 '

# Resource isolation's settings without --enable-resource-isolation.
iso_tail="cannot be set when resource isolation is not enabled. Set enable_resource_isolation to True if you're using ray.init or use the --enable-resource-isolation flag if you're using the ray cli."
refused "--system-reserved-cpu without --enable-resource-isolation" 1 \
  "$(traceback ResourceIsolationConfig.__init__ "ValueError: system_reserved_cpu $iso_tail")" \
  -- --head --system-reserved-cpu=1.5
refused "--system-reserved-memory without --enable-resource-isolation" 1 \
  "$(traceback ResourceIsolationConfig.__init__ "ValueError: system_reserved_memory $iso_tail")" \
  -- --head --system-reserved-memory=1000000000
refused "--cgroup-path without --enable-resource-isolation" 1 \
  "$(traceback ResourceIsolationConfig.__init__ "ValueError: cgroup_path $iso_tail")" \
  -- --head --cgroup-path=/sys/fs/cgroup

# GPUs: no more than CUDA_VISIBLE_DEVICES names, when it is set.
refused "--num-gpus=3 with CUDA_VISIBLE_DEVICES=0,1" 1 \
  "$(traceback ResourceAndLabelSpec.resolve "ValueError: Attempting to start raylet with 3 GPU, but CUDA_VISIBLE_DEVICES contains ['0', '1'].")" \
  --env CUDA_VISIBLE_DEVICES=0,1 -- --head --num-gpus=3
refused "--num-gpus=1 with CUDA_VISIBLE_DEVICES empty" 1 \
  "$(traceback ResourceAndLabelSpec.resolve "ValueError: Attempting to start raylet with 1 GPU, but CUDA_VISIBLE_DEVICES contains [].")" \
  --env CUDA_VISIBLE_DEVICES= -- --head --num-gpus=1
runs "--num-gpus=2 with CUDA_VISIBLE_DEVICES=0,1 runs" --env CUDA_VISIBLE_DEVICES=0,1 -- --head --num-gpus=2

# The object store and /dev/shm (64 MiB here): over 10 GB fails, up to 10 GB warns.
slow_warning() { # OSM_GB_FOR_SHM_SIZE
  printf '<TIME>\tWARNING services.py:2175 -- WARNING: The object store is using /tmp instead of /dev/shm because /dev/shm has only 67108864 bytes available. This will harm performance! You may be able to free up space by deleting files in /dev/shm. If you are inside a Docker container, you can increase /dev/shm size by passing '"'"'--shm-size=%sgb'"'"' to '"'"'docker run'"'"' (or add it to the run_options list in a Ray cluster config). Make sure to set this to more than 30%% of available RAM.\n' "$1"
}
refused "--object-store-memory of 20 GB with a 64 MiB /dev/shm" 1 \
  "$(traceback services.determine_plasma_store_config "ValueError: The configured object store size (20.0 GB) exceeds /dev/shm size (0.067108864 GB). This will harm performance. Consider deleting files in /dev/shm or increasing its size with --shm-size in Docker. To ignore this warning, set RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE=1.")" \
  --shm-size=64m -- --head --object-store-memory=20000000000
refused "... 10 GB (REQUIRE_SHM_SIZE_THRESHOLD) only warns, and runs" 0 "$(slow_warning 10.24)" \
  --shm-size=64m -- --head --object-store-memory=10000000000
refused "... 20 GB with RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE=1 warns, and runs" 0 "$(slow_warning 20.49)" \
  --shm-size=64m --env RAY_OBJECT_STORE_ALLOW_SLOW_STORAGE=1 -- --head --object-store-memory=20000000000
refused "... one that fits in /dev/shm: not a word" 0 "" \
  --shm-size=256m -- --head --object-store-memory=100000000

# --labels: k=v pairs, Kubernetes' syntax, not Ray's own ray.io/ keys.
labels_tmpl='`{}` is not a valid string of key-value pairs, detail error:{}Valid values look like this: `{}`'
labels_refusal() { # GIVEN DETAIL
  panic 872 "\`--labels=$1\` is not a valid string of key-value pairs, detail error:$2Valid values look like this: \`--labels=\"key1=val1,key2=val2\"\`" "$labels_tmpl"
}
name_rule='must be 63 chars or less beginning and ending with an alphanumeric character ([a-z0-9A-Z]) with dashes (-), underscores (_),dots (.), and alphanumerics between.'
long=$(printf 'a%.0s' {1..64})
for case in "ray.io/zone=a|Custom label keys \`ray.io/zone\` cannot start with the prefix \`ray.io/\`. This is reserved for Ray defined labels." \
  "zone=a,b|Label string is not a key-value pair." \
  "zone=a=b|Label string is not a key-value pair." \
  "-zone=a|Invalid label key name \`-zone\`. Name $name_rule" \
  "$long=a|Invalid label key name \`$long\`. Name $name_rule" \
  "_bad/zone=a|Invalid label key prefix \`_bad\`. Prefix must be a series of DNS labels separated by dots (.), not longer than 253 characters in total." \
  "zone=a_|Invalid label key value \`a_\`. Value $name_rule" \
  "zone=$long|Invalid label key value \`$long\`. Value $name_rule"; do
  refused "--labels=${case%%|*}" 1 "$(labels_refusal "${case%%|*}" "${case#*|}")" -- --head "--labels=${case%%|*}"
done
runs "--labels with a DNS prefix and an empty value runs" -- --head --labels=example.com/zone=us-1,tier=

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
check "... and its node list has no trace of that worker" 3 "$(api field "$dash/api/v0/nodes" data result total)"

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
check "... the node list keeps it as DEAD: Ray's Expected termination" \
  "DEAD Expected termination: received SIGTERM" \
  "$(api states "$dash/api/v0/nodes" "$w2_ip" 10 DEAD | sed -E 's/ [0-9a-f]{56}$//')"

# --- a worker killed with SIGKILL, then restarted under the same name ---------------------
w3=$px-w3
run "$w3" -- ray start --address="$head:6379" --num-cpus=1 --node-name="$w3" --block
api states "$dash/api/v0/nodes" "$w3" 30 ALIVE >"$tmp/w3.states"
check "a worker started with --node-name is ALIVE under that name" "ALIVE None" \
  "$(sed -E 's/ [0-9a-f]{56}$//' "$tmp/w3.states")"
old_id=$(awk '{print $NF}' "$tmp/w3.states")
"$DOCKER" kill "$w3" >/dev/null
check "killed with SIGKILL, it is DEAD with Ray's Unexpected termination" \
  "DEAD Unexpected termination: health check failed due to missing too many heartbeats $old_id" \
  "$(api states "$dash/api/v0/nodes" "$w3" 30 DEAD)"
"$DOCKER" start "$w3" >/dev/null
api states "$dash/api/v0/nodes" "$w3" 30 ALIVE,DEAD >"$tmp/w3.states"
check "restarted, the same name gets a new ALIVE entry; the old one stays DEAD" "ALIVE None
DEAD Unexpected termination: health check failed due to missing too many heartbeats $old_id" \
  "$(sed -E "s/^(ALIVE None) [0-9a-f]{56}\$/\1/" "$tmp/w3.states")"
check "... under a new node id" 2 "$(awk '{print $NF}' "$tmp/w3.states" | sort -u | wc -l)"

# --- a /tmp/ray the container's user cannot write (Docker makes a missing bind-mount folder
# as root, mode 755), as with ./logs/{name}:/tmp/ray ------------------------------------------
"$DOCKER" run --rm --label "$label" -v "$tmp/binds/head:/tmp/ray" "$IMAGE" \
  ray start --head --block >/dev/null 2>"$tmp/perm.err"
rc=$?
check "the folder Docker made: root's, 755" "0 0 drwxr-xr-x" "$(stat -c '%u %g %A' "$tmp/binds/head")"
check "ray start --head there exits 1" 1 "$rc"
last=$(tail -n1 "$tmp/perm.err")
if [[ $last =~ ^PermissionError:\ \[Errno\ 13\]\ Permission\ denied:\ \'/tmp/ray/session_[0-9_-]+\'$ ]]; then
  pass "... saying Ray's PermissionError last ($last)"
else
  fail "... saying Ray's PermissionError last" "got: $(cat "$tmp/perm.err")"
fi
"$DOCKER" run --rm --label "$label" --network "$net" -v "$tmp/binds/worker:/tmp/ray" "$IMAGE" \
  ray start --address="$head:6379" --node-name="$px-nowrite" --block >/dev/null 2>"$tmp/perm.err"
rc=$?
check "a worker there exits 1 too, with the PermissionError last" \
  "1 PermissionError: [Errno 13] Permission denied: '/tmp/ray/${session##*/}'" "$rc $(tail -n1 "$tmp/perm.err")"
check "... and never registers" "" "$(api states "$dash/api/v0/nodes" "$px-nowrite" 0 "")"

# --- a worker started before its head, token auth, GPUs ---------------------------
late=$px-late
run "$px-early" --env RAY_AUTH_TOKEN=s3cret --env RAY_gcs_rpc_server_reconnect_timeout_s=2 -- \
  ray start --address="$late:6379" --num-cpus=1 --num-gpus=2 --block
# The early worker must be retrying before the head exists.
deadline=$(($(now_ms) + 30000))
until "$DOCKER" logs "$px-early" 2>&1 | grep -q "Waiting for the head node at $late:6379"; do
  if (($(now_ms) >= deadline)); then break; fi
  sleep 0.2
done
check_has "a worker waits for a head that is not there yet" "Waiting for the head node at $late:6379" \
  "$("$DOCKER" logs "$px-early" 2>&1)"
run "$late" --env RAY_AUTH_MODE=token --env RAY_AUTH_TOKEN=s3cret -- \
  ray start --head --port=6379 --num-cpus=0 --dashboard-host=0.0.0.0 --block
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

late_dash=http://$(ip_of "$late"):8265
check "HTTP with token auth: no token -> 401" "401 text/plain; charset=utf-8
Unauthorized: Missing authentication token" "$(api req GET "$late_dash/api/v0/nodes")"
check "... a wrong token -> 403" "403 text/plain; charset=utf-8
Forbidden: Invalid authentication token" \
  "$(api req GET "$late_dash/api/v0/nodes" - 'Authorization: Bearer wrong')"
check "... Authorization: Bearer TOKEN -> 200, 2 nodes" "200 application/json; charset=utf-8 2" \
  "$(api req GET "$late_dash/api/v0/nodes" - 'Authorization: Bearer s3cret' |
    { read -r l; echo "$l $(py_json 'd["data"]["result"]["total"]')"; })"
check "... X-Ray-Authorization: Bearer TOKEN (KubeRay's) -> 200" "200 application/json; charset=utf-8" \
  "$(api req GET "$late_dash/api/version" - 'X-Ray-Authorization: Bearer s3cret' | head -n1)"
check "... the Jobs API needs it too" 401 "$(api req GET "$late_dash/api/jobs/" | cut -d' ' -f1 | head -n1)"
late_pkg=$late_dash/api/packages/gcs/$pkg
check "... and the package paths: PUT without a token -> 401" "401 text/plain; charset=utf-8
Unauthorized: Missing authentication token" "$(api req PUT "$late_pkg" "@$tmp/pkg.zip")"
check "... GET with a wrong one -> 403" "403 text/plain; charset=utf-8
Forbidden: Invalid authentication token" "$(api req GET "$late_pkg" - 'Authorization: Bearer wrong')"
check "... with the token, PUT then GET: empty 200s" \
  "200 application/octet-stream 200 application/octet-stream" \
  "$(api req PUT "$late_pkg" "@$tmp/pkg.zip" 'Authorization: Bearer s3cret') $(api req GET "$late_pkg" - 'Authorization: Bearer s3cret')"
check "... but not /api/gcs_healthz" "200 text/plain; charset=utf-8
success" "$(api req GET "$late_dash/api/gcs_healthz")"
out=$("$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 "$late" ray job submit -- echo authed 2>"$tmp/job.err")
check "ray job submit with the cluster's token works" "0 1" "$? $(grep -c '^authed$' <<<"$out")"
"$DOCKER" exec -e RAY_STANDIN_CLI_DELAY_MS=0 -e RAY_AUTH_TOKEN=wrong "$late" \
  ray job submit --address "http://127.0.0.1:8265" -- echo authed >/dev/null 2>"$tmp/job.err"
check "... with a wrong one it fails with the 403" \
  "1 requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: http://127.0.0.1:8265/api/version" \
  "$? $(tail -n1 "$tmp/job.err")"

"$DOCKER" stop -t 10 "$late" >/dev/null
if wait_exited "$px-early"; then
  pass "a worker exits when its head goes away, after its reconnect window (2 s here)"
else
  fail "a worker exits when its head goes away, after its reconnect window (2 s here)"
fi
check "... with status 1" 1 "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$px-early")"
# gcs_gone WINDOW_S: the end of a worker's stderr when it gave up on its head.
gcs_gone() {
  printf '%s\n' "Lost connection to the head node at $2; trying to reconnect for $1 s (RAY_gcs_rpc_server_reconnect_timeout_s)." \
    "Failed to connect to GCS within $1 seconds. GCS may have been killed. It's either GCS is terminated by \`ray stop\` or is killed unexpectedly. If it is killed unexpectedly, see the log file gcs_server.out. https://docs.ray.io/en/master/ray-observability/user-guides/configure-logging.html#logging-directory-structure. The program will terminate."
  printf '<TIME>\tERR scripts.py:%s -- %s\n' 1254 "Some Ray subprocesses exited unexpectedly:" \
    1258 "raylet [exit code=1]" 1263 "Remaining processes will be killed."
}
# last_err CONTAINER N: the last N lines of its stderr, the CLI logger's times as <TIME>.
last_err() {
  "$DOCKER" logs "$1" 2>&1 >/dev/null | tail -n "$2" |
    sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}\t/<TIME>\t/'
}
check "... saying so: Ray's raylet line, then what ray start --block says when its raylet dies" \
  "$(gcs_gone 2 "$late:6379")" "$(last_err "$px-early" 5)"

# --- a lost head, as Ray's raylet loses it: RAY_gcs_rpc_server_reconnect_timeout_s ------------
# A worker whose head goes away keeps running and retries for the window (its environment's
# RAY_gcs_rpc_server_reconnect_timeout_s, 60 s by default; 10 s here); a head back on the same
# address within it takes the worker again, under its node id; after it, the worker exits 1.
rhead=$px-rhead
rw=$px-rw
window_s=10
run "$rhead" -- ray start --head --port=6379 --num-cpus=0 --dashboard-host=0.0.0.0 --block
wait_nodes "$rhead" 1 || fatal "a head for the reconnect checks runs" "$("$DOCKER" logs "$rhead" 2>&1)"
run "$rw" --env RAY_gcs_rpc_server_reconnect_timeout_s=$window_s -- \
  ray start --address="$rhead:6379" --num-cpus=1 --node-name="$rw" --block
rdash=http://$(ip_of "$rhead"):8265
api states "$rdash/api/v0/nodes" "$rw" 30 ALIVE >"$tmp/rw.states"
check "a worker with a ${window_s} s reconnect window is ALIVE" "ALIVE None" "$(sed -E 's/ [0-9a-f]{56}$//' "$tmp/rw.states")"
rw_id=$(awk '{print $NF}' "$tmp/rw.states")
t_stop=$(now_ms)
"$DOCKER" stop -t 10 "$rhead" >/dev/null
deadline=$(($(now_ms) + 10000))
until "$DOCKER" logs "$rw" 2>&1 | grep -q "^Lost connection to the head node at $rhead:6379"; do
  if (($(now_ms) >= deadline)); then break; fi
  sleep 0.2
done
check "its head stopped, the worker keeps running, trying to reconnect" \
  "true Lost connection to the head node at $rhead:6379; trying to reconnect for $window_s s (RAY_gcs_rpc_server_reconnect_timeout_s)." \
  "$("$DOCKER" inspect -f '{{.State.Running}}' "$rw") $("$DOCKER" logs "$rw" 2>&1 | grep '^Lost connection' | tail -n1)"
"$DOCKER" start "$rhead" >/dev/null
rdash=http://$(ip_of "$rhead"):8265
api states "$rdash/api/v0/nodes" "$rw" 20 ALIVE >"$tmp/rw.states"
back_ms=$(($(now_ms) - t_stop))
check "a head back on the same address within the window (${back_ms} ms) has the worker ALIVE again, under its node id" \
  "ALIVE None $rw_id" "$(cat "$tmp/rw.states")"
if ((back_ms < window_s * 1000)); then pass "... which was within the window"; else fail "... which was within the window" "took ${back_ms} ms"; fi
check "... the new head lists it once, not DEAD too; two nodes ALIVE" "2 2" \
  "$(api req GET "$rdash/api/v0/nodes" | tail -n +2 | py_json '"%d %d" % (d["data"]["result"]["total"],
    sum(n["state"] == "ALIVE" for n in d["data"]["result"]["result"]))')"
check_has "... the worker says so" "Reconnected to the head node at $rhead:6379; this node is ALIVE again." \
  "$("$DOCKER" logs "$rw" 2>&1)"
if wait_nodes "$rhead" 2; then pass "... and ray status on the new head counts it"; else fail "... and ray status on the new head counts it" "$(cat "$tmp/status.out")"; fi
t_stop=$(now_ms)
"$DOCKER" stop -t 10 "$rhead" >/dev/null
deadline=$((t_stop + window_s * 1000 + 15000))
while [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$rw") == true ]] && (($(now_ms) < deadline)); do
  sleep 0.2
done
gone_ms=$(($(now_ms) - t_stop))
check "stopped again and not back, the worker exits 1" "false 1" \
  "$("$DOCKER" inspect -f '{{.State.Running}} {{.State.ExitCode}}' "$rw")"
if ((gone_ms >= window_s * 1000 - 500 && gone_ms < window_s * 1000 + 5000)); then
  pass "... once the ${window_s} s window is over (${gone_ms} ms)"
else
  fail "... once the ${window_s} s window is over" "it took ${gone_ms} ms"
fi
check "... with Ray's raylet line and ray start's" "$(gcs_gone $window_s "$rhead:6379")" "$(last_err "$rw" 5)"
run "$rw-stop" --env RAY_gcs_rpc_server_reconnect_timeout_s=600 -- \
  ray start --address="$rhead:6379" --num-cpus=1 --block
"$DOCKER" start "$rhead" >/dev/null
api states "http://$(ip_of "$rhead"):8265/api/v0/nodes" "$(ip_of "$rw-stop")" 30 ALIVE >/dev/null
"$DOCKER" stop -t 10 "$rhead" >/dev/null
deadline=$(($(now_ms) + 10000))
until "$DOCKER" logs "$rw-stop" 2>&1 | grep -q "^Lost connection"; do
  if (($(now_ms) >= deadline)); then break; fi
  sleep 0.2
done
t0=$(now_ms)
"$DOCKER" stop -t 10 "$rw-stop" >/dev/null
elapsed=$(($(now_ms) - t0))
check "a worker inside its window still stops promptly on SIGTERM, with status 0" "0 yes" \
  "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$rw-stop") $( ((elapsed < 3000)) && echo yes || echo "no: ${elapsed} ms")"

# --- ray stop ---------------------------------------------------------------------
stopper=$px-stop
# sh stays after ray exits, so `docker exec` is not cut short by the container stopping.
run "$stopper" -- sh -c 'ray start --head --num-cpus=0 --block; echo "ray exited with $?"; sleep 600'
if wait_nodes "$stopper" 1; then pass "a head under sh answers ray status"; else fail "a head under sh answers ray status"; fi
check "without --dashboard-host the dashboard is on 127.0.0.1:8265, as Ray's" success \
  "$("$DOCKER" exec "$stopper" wget -q -O- http://127.0.0.1:8265/api/gcs_healthz)"
check "... so the container's address does not answer" refused \
  "$(api refused "http://$(ip_of "$stopper"):8265/api/gcs_healthz")"
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
check_has "a worker without its head waits for it" "Waiting for the head node at $px-nobody:6379" \
  "$("$DOCKER" logs "$waiter" 2>&1)"
out=$("$DOCKER" exec "$waiter" ray stop -g 5 2>&1)
check "ray stop stops a worker still waiting for its head" "0 Stopped all 1 Ray processes." "$? $out"
check_has "... and it exited with status 0" "ray exited with 0" "$("$DOCKER" logs "$waiter" 2>&1)"

# --- several hosts: a node's own ports, and the head's health checks ----------------------
# As Ray: every node listens on --node-manager-port and --object-manager-port (0: any free
# port) on all addresses, and the head (Ray's GCS) health-checks each worker at the address
# it advertises (--node-ip-address) and its node manager port. Across hosts raylaunch uses
# host networking (every node's ports pinned) or bridge networks with the ports published on
# the host's address; these catch a wrong address, an unpublished port, a port pinned twice.
heartbeat="Unexpected termination: health check failed due to missing too many heartbeats"
# unreachable HEAD_ADDRESS IP:PORT: what a worker the head could not reach says (reason_normalized).
unreachable() {
  echo "Error: The head node at $1 could not reach this node at $2 (node manager): <REASON>; check --node-ip-address and that the port is reachable from the head."
}
# reason_normalized: stdin with the reason of a failed health check as <REASON>, when it is
# one a socket gives for an address where nothing (or a proxy with nothing behind it) answers.
reason_normalized() {
  sed -E 's/ \(node manager\): (Connection refused|Host is unreachable|No route to host|Network unreachable|Network is unreachable|connection timed out after [0-9]+ ms|no answer within [0-9]+ ms|the connection closed without an answer); check / (node manager): <REASON>; check /'
}
# no_id: api states' lines without the node ids.
no_id() {
  sed -E 's/ [0-9a-f]{56}$//'
}

# 20 host ports the kernel gives as free, none that Ray names by default nor in its default worker
# range (10002-19999), so that each node's pre-selected ports stay distinct, as Ray wants.
read -r -a P <<<"$(api free-ports 20)"
((${#P[@]} == 20)) || fatal "20 free host ports for the host-networking checks" "got: ${P[*]}"
echo "# host networking on host ports ${P[*]}"
hhead=$px-hhead
hdash=http://127.0.0.1:${P[1]}
run_on host "$hhead" -- ray start --head --port=${P[0]} --dashboard-port=${P[1]} \
  --node-manager-port=${P[2]} --object-manager-port=${P[3]} --num-cpus=0 \
  --node-name="$hhead" --block
if wait_nodes "$hhead" 1; then
  pass "a head with host networking, its ports pinned, runs"
else
  fatal "a head with host networking, its ports pinned, runs" "$(cat "$tmp/status.out" "$tmp/status.err")" \
    "$("$DOCKER" logs "$hhead" 2>&1)"
fi
host_ip=$("$DOCKER" logs "$hhead" 2>/dev/null | sed -n 's/^Local node IP: //p')
check "... and answers on its node and object manager ports, on every address" "'OK\n' 'OK\n'" \
  "$(api health 127.0.0.1 ${P[2]}) $(api health "$host_ip" ${P[3]})"

ha=$px-ha
run_on host "$ha" -- ray start --address=127.0.0.1:${P[0]} --node-ip-address="$host_ip" \
  --node-manager-port=${P[10]} --object-manager-port=${P[11]} --num-cpus=1 \
  --node-name="$ha" --block
check "a host-networked worker advertising the host's address ($host_ip) is ALIVE" "ALIVE None" \
  "$(api states "$hdash/api/v0/nodes" "$ha" 30 ALIVE | no_id)"
check "... under that address" "$host_ip" \
  "$(api req GET "$hdash/api/v0/nodes?filter_keys=node_name&filter_predicates=%3D&filter_values=$ha" |
    tail -n +2 | py_json 'd["data"]["result"]["result"][0]["node_ip"]')"
check "... and answers on its pinned ports" "'OK\n' 'OK\n'" \
  "$(api health "$host_ip" ${P[10]}) $(api health "$host_ip" ${P[11]})"

"$DOCKER" run --rm --network host --label "$label" "$IMAGE" ray start --address=127.0.0.1:${P[0]} \
  --node-manager-port=${P[10]} --object-manager-port=${P[12]} --node-name="$px-hb" \
  --block >/dev/null 2>"$tmp/hb.err"
rc=$?
check "a second worker on that host with the same --node-manager-port exits 1, saying so" \
  "1 Failed to bind the node manager on port ${P[10]}: Address already in use (another process on this host uses it; give each node on a host its own --node-manager-port)" \
  "$rc $(tail -n1 "$tmp/hb.err")"
check "... never registers, and the first stays ALIVE" "|ALIVE None" \
  "$(api states "$hdash/api/v0/nodes" "$px-hb" 0 "")|$(api states "$hdash/api/v0/nodes" "$ha" 0 ALIVE | no_id)"
"$DOCKER" run --rm --network host --label "$label" "$IMAGE" ray start --address=127.0.0.1:${P[0]} \
  --node-manager-port=${P[13]} --object-manager-port=${P[11]} --node-name="$px-hc" \
  --block >/dev/null 2>"$tmp/hc.err"
rc=$?
check "... the same --object-manager-port: exits 1, saying so" \
  "1 Failed to bind the object manager on port ${P[11]}: Address already in use (another process on this host uses it; give each node on a host its own --object-manager-port)" \
  "$rc $(tail -n1 "$tmp/hc.err")"
"$DOCKER" run --rm --network host --label "$label" "$IMAGE" ray start --head --port=${P[4]} \
  --node-manager-port=${P[10]} --include-dashboard=false --block >/dev/null 2>"$tmp/hh.err"
rc=$?
check "a head whose --node-manager-port is taken exits 1 the same way" \
  "1 Failed to bind the node manager on port ${P[10]}: Address already in use (another process on this host uses it; give each node on a host its own --node-manager-port)" \
  "$rc $(tail -n1 "$tmp/hh.err")"

t0=$(now_ms)
"$DOCKER" run --rm --network host --label "$label" "$IMAGE" ray start --address=127.0.0.1:${P[0]} \
  --node-ip-address=192.0.2.1 --node-manager-port=${P[14]} --object-manager-port=${P[15]} \
  --node-name="$px-hd" --block >/dev/null 2>"$tmp/hd.err"
rc=$?
elapsed=$(($(now_ms) - t0))
check "a worker advertising an address the head cannot reach (192.0.2.1, TEST-NET-1) exits 1, saying so" \
  "1 $(unreachable "127.0.0.1:${P[0]}" "192.0.2.1:${P[14]}")" "$rc $(tail -n1 "$tmp/hd.err" | reason_normalized)"
if ((elapsed < 5000)); then
  pass "... within the head's 2 s check and some slack (${elapsed} ms)"
else
  fail "... within the head's 2 s check and some slack" "took ${elapsed} ms"
fi
check "... the head lists it DEAD, never ALIVE" "DEAD $heartbeat" \
  "$(api states "$hdash/api/v0/nodes" "$px-hd" 10 DEAD | no_id)"

# A bridge network with the ports published on the host's address: the test network's
# gateway is the host's address there. This head checks every 200 ms, each for 500 ms.
mh=$px-mh
run "$mh" --env RAY_STANDIN_HEALTH_PERIOD_MS=200 --env RAY_STANDIN_HEALTH_TIMEOUT_MS=500 -- \
  ray start --head --port=6379 --num-cpus=0 --dashboard-host=0.0.0.0 --block
wait_nodes "$mh" 1 || fatal "a second bridge head runs" "$("$DOCKER" logs "$mh" 2>&1)"
mdash=http://$(ip_of "$mh"):8265
gw=$("$DOCKER" network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$net")
pub=$px-pub
run "$pub" -p "$gw:${P[16]}:${P[16]}" -p "$gw:${P[17]}:${P[17]}" -- \
  ray start --address="$mh:6379" --node-ip-address="$gw" --node-manager-port=${P[16]} \
  --object-manager-port=${P[17]} --num-cpus=1 --node-name="$pub" --block
check "a bridged worker advertising the host's address ($gw), its ports published there, is ALIVE" \
  "ALIVE None" "$(api states "$mdash/api/v0/nodes" "$pub" 30 ALIVE | no_id)"
"$DOCKER" run --rm --network "$net" --label "$label" "$IMAGE" ray start --address="$mh:6379" \
  --node-ip-address="$gw" --node-manager-port=${P[18]} --node-name="$px-unpub" \
  --block >/dev/null 2>"$tmp/unpub.err"
rc=$?
check "... one that does not publish its node manager port exits 1, saying so" \
  "1 $(unreachable "$mh:6379" "$gw:${P[18]}")" "$rc $(tail -n1 "$tmp/unpub.err" | reason_normalized)"
check "... and is listed DEAD, never ALIVE" "DEAD $heartbeat" \
  "$(api states "$mdash/api/v0/nodes" "$px-unpub" 10 DEAD | no_id)"
"$DOCKER" run --rm --network "$net" --label "$label" -p "$gw:${P[19]}:6000" "$IMAGE" \
  ray start --address="$mh:6379" --node-ip-address="$gw" --node-manager-port=${P[19]} \
  --node-name="$px-mispub" --block >/dev/null 2>"$tmp/mispub.err"
rc=$?
check "... one whose published port leads elsewhere (Docker's proxy takes the connection) exits 1" \
  "1 $(unreachable "$mh:6379" "$gw:${P[19]}")" "$rc $(tail -n1 "$tmp/mispub.err" | reason_normalized)"
check "a JOIN without nm= (an older worker's) is still taken at once" "'OK\n'" \
  "$(api join-old "$(ip_of "$mh")" 6379 "$px-old")"
dead_id=$(api req GET "$dash/api/v0/nodes?filter_keys=state&filter_predicates=%3D&filter_values=DEAD" |
  tail -n +2 | py_json 'd["data"]["result"]["result"][0]["node_id"]')
check "a JOIN naming a node the head has as DEAD is told it is dead (the raylet would exit)" "'ERR dead\n'" \
  "$(api join-as "$head_ip" 6379 "node_$dead_id")"

"$DOCKER" pause "$pub" >/dev/null
check "a paused worker misses its periodic health checks and turns DEAD, as in Ray" "DEAD $heartbeat" \
  "$(api states "$mdash/api/v0/nodes" "$pub" 20 DEAD | no_id)"
"$DOCKER" unpause "$pub" >/dev/null
wait_exited "$pub"
check "... resumed, it exits 1 with Ray's raylet message" \
  "1 [Timeout] Exiting because this node manager has mistakenly been marked as dead by the GCS: GCS failed to check the health of this node for 5 times. This is likely because the machine or raylet has become overloaded." \
  "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$pub") $("$DOCKER" logs "$pub" 2>&1 >/dev/null | tail -n1)"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
