#!/usr/bin/env bash
# Serve in the spec (issue 21) on a real Docker engine, through the stand-in's
# Serve REST API and proxy (its only deployable module is standin_echo).
# Usage: serve_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

# serve_project NAME: project() and a fourth free port, SERVE, for Serve's proxy.
serve_project() {
  project "$1"
  SERVE=$(free_ports 1)
}
# cluster_spec FILE: a head and two CPU workers (seed 004's shape without GPUs,
# which the stand-in's engine cannot hand out), the head's ports the
# project's, then the serve: lines on stdin.
cluster_spec() {
  {
    echo "name: $P"
    echo "image: $STANDIN_IMAGE"
    echo "head:"
    echo "  num_cpus: 0"
    echo "  ports: {gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT, serve: $SERVE}"
    echo "workers:"
    echo "  - group: gpu"
    echo "    replicas: 2"
    echo "    num_cpus: 2"
    cat
  } >"$1"
}
# echo_spec FILE REPLICAS [IMPORT_PATH]: an inline app "echo" on /echo.
echo_spec() {
  cluster_spec "$1" <<EOF
serve:
  applications:
    - name: echo
      route_prefix: /echo
      import_path: ${3:-standin_echo:app}
      deployments:
        - name: Echo
          num_replicas: $2
EOF
}
route() { curl -fsS --max-time 2 "http://127.0.0.1:$SERVE$1"; }
app_status() {
  python3 -c 'import json,sys,urllib.request as u
d = json.load(u.urlopen(sys.argv[1]))
print(d["applications"].get(sys.argv[2], {}).get("status", "-"))' \
    "http://127.0.0.1:$DASHBOARD/api/serve/applications/" "$1"
}

case $scenario in
seed004)
  # Seed 004's Serve config in a file beside the spec: its autoscaling_config
  # (with the _s the seed forgot) and a route. up --wait returns once the app
  # is RUNNING, the route answers, status shows the app and its deployment.
  serve_project seed004
  cat >qwen3_app_autoscaling.yaml <<'EOF'
applications:
  - name: qwen3
    route_prefix: /qwen3
    import_path: standin_echo:app
    deployments:
      - name: Echo
        autoscaling_config:
          min_replicas: 1
          max_replicas: 2
          target_ongoing_requests: 5
          upscale_delay_s: 5.0
          downscale_delay_s: 30.0
EOF
  cluster_spec c.yml <<<"serve: {config: qwen3_app_autoscaling.yaml}"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 90 >out 2>err
  check "up --wait exits 0" 0 $?
  check "the app is RUNNING when up returns" RUNNING "$(app_status qwen3)"
  check "the route answers with the app" qwen3 "$(route /qwen3)"
  "$RAYLAUNCH" status -f c.yml >status.out 2>&1
  check "status exits 0" 0 $?
  check "status shows the app and its deployment" \
    "APP    STATUS   ROUTE   MESSAGE
qwen3  RUNNING  /qwen3  -
DEPLOYMENT  APP    STATUS   REPLICAS  MESSAGE
Echo        qwen3  HEALTHY  1/1       -" "$(sed -n '/^APP /,$p' status.out | grep -v '^$')"
  "$RAYLAUNCH" status -f c.yml --json >status.json 2>/dev/null
  check "status --json has the app" "qwen3 RUNNING /qwen3 Echo HEALTHY 1 1" "$(python3 -c '
import json; d = json.load(open("status.json"))["serve"]["applications"][0]; e = d["deployments"][0]
print(d["name"], d["status"], d["route_prefix"], e["name"], e["status"], e["replicas_running"], e["replicas_target"])')"
  # The seed's own misspelling is refused, in the file, before anything changes.
  sed -i 's/upscale_delay_s/upscale_delay/' qwen3_app_autoscaling.yaml
  "$RAYLAUNCH" up -f c.yml --progress plain >out 2>err
  check "a misspelt key: exit 2" 2 $?
  check "named in the config file with did you mean" \
    "qwen3_app_autoscaling.yaml:11:11: error: unknown key \"upscale_delay\" under applications[0].deployments[0].autoscaling_config
hint: did you mean \"upscale_delay_s\"?" "$(grep -E '^(qwen3|hint)' err)"
  ;;
replicas)
  # num_replicas 1 -> 2, then up: exactly one PUT, the route answering all
  # along; a second up sends nothing (0 PUTs) and is fast.
  serve_project replicas
  echo_spec c.yml 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 90 >/dev/null 2>err
  check "up exits 0" 0 $?
  python3 - "http://127.0.0.1:$SERVE/echo" >poll.out <<'EOF' &
import sys, time, urllib.request
ok = failed = 0
end = time.time() + 600
while time.time() < end:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            ok += r.read() == b"echo"
    except Exception:
        failed += 1
    try:
        open("stop").close()
        break
    except OSError:
        time.sleep(0.02)
print(ok, failed)
EOF
  poller=$!
  echo_spec c.yml 2
  "$RAYLAUNCH" up -f c.yml --progress plain --verbose --timeout 90 >/dev/null 2>up.log
  check "up after num_replicas 1 -> 2 exits 0" 0 $?
  check "exactly one PUT to Serve, no DELETE" "PUT 1 DELETE 0" \
    "PUT $(grep -c 'PUT http://[^ ]*/api/serve/applications/' up.log) DELETE $(grep -c 'DELETE http://[^ ]*/api/serve/' up.log)"
  touch stop
  wait $poller
  read -r ok failed <poll.out
  check "the route answered throughout (failed requests)" 0 "$failed"
  ((ok > 0)) && pass "the route was polled ($ok answers)" || fail "the route was never polled"
  best_ms=999999
  for i in 1 2 3; do
    start=$(date +%s%N)
    "$RAYLAUNCH" up -f c.yml --progress plain --verbose >/dev/null 2>noop.log
    code=$?
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    ((took < best_ms)) && best_ms=$took
    echo "no-op up $i: $took ms"
  done
  check "a no-op up exits 0" 0 "$code"
  check "a no-op up sends no PUT" "" "$(grep -E 'PUT|DELETE' noop.log | grep /api/serve/)"
  echo "no-op up with Serve: best of 3 ${best_ms} ms"
  ((best_ms <= 150)) && pass "a no-op up takes at most 0.15 s (${best_ms} ms)" ||
    fail "a no-op up takes ${best_ms} ms, more than 150"
  ;;
badimport)
  # An import_path whose module the image lacks: up exits 1 within 2 s of
  # Serve saying DEPLOY_FAILED, with Serve's message.
  serve_project badimport
  echo_spec c.yml 1 missing_module:app
  python3 - "http://127.0.0.1:$DASHBOARD/api/serve/applications/" >failed_at <<'EOF' &
import json, sys, time, urllib.request
end = time.time() + 120
while time.time() < end:
    try:
        d = json.load(urllib.request.urlopen(sys.argv[1], timeout=1))
        if d["applications"].get("echo", {}).get("status") == "DEPLOY_FAILED":
            print(int(time.time() * 1000)); break
    except Exception:
        pass
    time.sleep(0.05)
EOF
  watcher=$!
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 90 >out 2>err
  code=$?
  ended=$(date +%s%3N)
  wait $watcher
  check "up exits 1" 1 $code
  failed_at=$(cat failed_at)
  [[ -n $failed_at ]] && (( ended - failed_at <= 2000 )) &&
    pass "up ended $((ended - failed_at)) ms after DEPLOY_FAILED" ||
    fail "up ended $((ended - ${failed_at:-0})) ms after DEPLOY_FAILED (at most 2000)"
  check "the message is Serve's" \
    "raylaunch: error: Serve application \"echo\" DEPLOY_FAILED: Deploying app 'echo' failed with exception:
Traceback (most recent call last):
  (raylaunch's ray stand-in)
ModuleNotFoundError: No module named 'missing_module'" "$(sed -n '/^raylaunch: error:/,/^hint:/p' err | grep -v '^hint:')"
  ;;
day2)
  # serve deploy of another file, serve status, serve shutdown: Serve
  # changes, the containers do not.
  serve_project day2
  echo_spec c.yml 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 90 >/dev/null 2>&1
  check "up exits 0" 0 $?
  before=$(ids_of "$P")
  cat >other.yaml <<'EOF'
applications:
  - name: other
    route_prefix: /other
    import_path: standin_echo:app
EOF
  "$RAYLAUNCH" serve deploy -f c.yml other.yaml --progress plain >out 2>err
  check "serve deploy of another file exits 0" 0 $?
  check "its route answers" other "$(route /other)"
  "$RAYLAUNCH" serve status -f c.yml >status.out 2>&1
  check "serve status: the spec's app is not deployed (exit 1)" 1 $?
  check "serve status shows both" \
    "other  RUNNING       /other  -
echo   NOT_DEPLOYED  -       in the spec, not in Serve: raylaunch up deploys it" \
    "$(grep -E '^(other|echo) ' status.out)"
  timeout 60 "$RAYLAUNCH" serve shutdown -f c.yml --progress plain >out 2>err
  check "serve shutdown exits 0" 0 $?
  check "Serve has no app left" - "$(app_status other)"
  check "the containers are untouched" "$before" "$(ids_of "$P")"
  ;;
restart)
  # http_options changed on a running Serve, which would answer a PUT with
  # 200 and keep its old ones: up warns, shuts Serve down and deploys again.
  serve_project restart
  echo_spec c.yml 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 90 >/dev/null 2>&1
  check "up exits 0" 0 $?
  sed -i 's/^serve:$/serve:\n  http_options: {keep_alive_timeout_s: 60}/' c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --verbose --timeout 90 >/dev/null 2>up.log
  check "up after an http_options change exits 0" 0 $?
  check "the warning says why and what it costs" \
    "raylaunch: warning: Serve keeps the options it started with (http_options.keep_alive_timeout_s changed): shutting Serve down and deploying again; its apps answer no traffic meanwhile" \
    "$(grep 'warning: Serve' up.log)"
  check "one DELETE, then one PUT" "DELETE PUT" \
    "$(grep -oE '(PUT|DELETE) http://[^ ]*/api/serve/applications/' up.log | cut -d' ' -f1 | paste -sd' ')"
  check "Serve runs the new options" 60 "$(python3 -c 'import json,sys,urllib.request as u
print(int(json.load(u.urlopen(sys.argv[1]))["http_options"]["keep_alive_timeout_s"]))' \
    "http://127.0.0.1:$DASHBOARD/api/serve/applications/")"
  check "the route answers again" echo "$(route /echo)"
  "$RAYLAUNCH" up -f c.yml --progress plain --verbose >/dev/null 2>noop.log
  check "the next up sends nothing" "" "$(grep -E '(PUT|DELETE) http://[^ ]*/api/serve/' noop.log)"
  ;;
workdir)
  # A local runtime_env.working_dir is packaged and uploaded as submit
  # --working-dir does; Serve gets the package's URI; the next up uploads
  # and PUTs nothing.
  serve_project workdir
  mkdir app && echo 'print("model code")' >app/model.py
  cluster_spec c.yml <<'EOF'
serve:
  applications:
    - name: echo
      route_prefix: /echo
      import_path: standin_echo:app
      runtime_env: {working_dir: ./app}
EOF
  "$RAYLAUNCH" up -f c.yml --progress plain --verbose --timeout 90 >/dev/null 2>up.log
  check "up exits 0" 0 $?
  uri=$(python3 -c 'import json,sys,urllib.request as u
print(json.load(u.urlopen(sys.argv[1]))["applications"]["echo"]["deployed_app_config"]["runtime_env"]["working_dir"])' \
    "http://127.0.0.1:$DASHBOARD/api/serve/applications/")
  [[ $uri =~ ^gcs://_ray_pkg_[0-9a-f]{16}\.zip$ ]] && pass "Serve got the package's URI ($uri)" ||
    fail "Serve got working_dir \"$uri\""
  check "the package was uploaded once" 1 "$(grep -c 'PUT http://[^ ]*/api/packages/gcs/' up.log)"
  check "the route answers" echo "$(route /echo)"
  "$RAYLAUNCH" up -f c.yml --progress plain --verbose >/dev/null 2>noop.log
  check "the next up uploads and deploys nothing" "" "$(grep -E 'PUT http://' noop.log)"
  ;;
pending)
  # A replica no node has room for stays pending (Serve has no timeout for
  # it): up fails at --timeout naming what is DEPLOYING and what each replica
  # asks; the spec said so first, as a warning.
  serve_project pending
  {
    echo "name: $P"
    echo "image: $STANDIN_IMAGE"
    echo "head: {num_cpus: 0, ports: {gcs: $GCS, dashboard: $DASHBOARD, client: $CLIENT, serve: $SERVE}}"
    echo "workers:"
    echo "  - {group: cpu, num_cpus: 1}"
  } >c.yml
  cat >>c.yml <<'EOF'
serve:
  applications:
    - name: big
      route_prefix: /big
      import_path: standin_echo:app
      deployments:
        - {name: Echo, num_replicas: 2}
EOF
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 15 >out 2>err
  check "up exits 1 at its timeout" 1 $?
  check "the spec's warning" \
    "c.yml:12:11: warning: deployment \"Echo\" of application \"big\" may ask 2 CPU at its 2 replicas, more than the cluster's nodes have (1)" \
    "$(grep -m1 'warning: deployment' err)"
  check "what is DEPLOYING and why" \
    "raylaunch: error: Serve's apps are not RUNNING after 15 s:
  application \"big\" DEPLOYING; deployment \"Echo\" UPDATING (1 of 2 replicas running, each asking {\"CPU\":1.0})
hint: a replica no node can hold stays pending (see the deployment's ray_actor_options); \`raylaunch serve status\` shows Serve's view, --timeout waits longer" \
    "$(sed -n '/^raylaunch: error:/,/^hint:/p' err)"
  ;;
*)
  echo "unknown scenario $scenario"
  exit 2
  ;;
esac
finish
