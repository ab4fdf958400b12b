#!/usr/bin/env bash
# `submit`, `job` and `run` on a real Docker engine, through the stand-in's
# Jobs API (its head runs a job's entrypoint with `sh -c`, as Ray does).
# Usage: jobs_test.sh RAYLAUNCH SCENARIO
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
scenario=$2
cd "$WORK"

# cluster NAME PORTS: up of a small cluster for the submit scenarios.
cluster() {
  spec c.yml "$1" "$2" cpu 1
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up exits 0" 0 $?
}
# The job id in a line like "raylaunch: job raysubmit_x SUCCEEDED".
job_id_in() { grep -o 'raysubmit_[A-Za-z0-9]*' "$1" | head -1; }

case $scenario in
submit)
  # A job that succeeds prints its log and exits 0; one that fails exits 1
  # naming Ray's status and message; --no-wait prints the id, and `job`
  # reads its status and log.
  project submit; p=$P
  cluster "$p" "$PORTS"
  "$RAYLAUNCH" submit -f c.yml -- sh -c 'echo hello from the job; echo second line' >out 2>err
  check "a job that succeeds exits 0" 0 $?
  id=$(job_id_in err)
  check "its log on stdout, the entrypoint as Ray ran it" "Running entrypoint for job $id: sh -c 'echo hello from the job; echo second line'
hello from the job
second line" "$(cat out)"
  check "stderr names the job and its status" "raylaunch: job $id SUCCEEDED: Job finished successfully." "$(cat err)"
  "$RAYLAUNCH" submit -f c.yml -- 'echo about to fail; exit 3' >out 2>err
  check "a job that fails exits 1" 1 $?
  check "its log" "about to fail" "$(tail -n +2 out)"
  check "stderr names the status and Ray's message" 1 \
    "$(grep -c "^raylaunch: error: job raysubmit_[A-Za-z0-9]* FAILED: Job entrypoint command failed with exit code 3" err)"
  id=$("$RAYLAUNCH" -f c.yml submit --no-wait --submission-id "smoke-$p" -- 'echo later')
  check "--no-wait prints the submission id (global -f before the command)" "smoke-$p" "$id"
  poll 30 "the job smoke-$p succeeds" bash -c "\"$RAYLAUNCH\" job status -p $p smoke-$p | grep -q SUCCEEDED"
  check "job status" "smoke-$p: SUCCEEDED" "$("$RAYLAUNCH" job status -p "$p" "smoke-$p" | head -1)"
  check "job logs" "Running entrypoint for job smoke-$p: echo later
later" "$("$RAYLAUNCH" job logs -p "$p" "smoke-$p")"
  "$RAYLAUNCH" submit -p "$p" --submission-id "smoke-$p" -- true >/dev/null 2>err
  check "a reused submission id is Ray's refusal, exit 1" 1 $?
  ;;

logtail)
  # Past RAY_JOB_LOG_MAX_READ_BYTES (4096 here, in the head's environment)
  # the head sends Ray's note and only the log's end: submit keeps printing
  # after the gap and says so once on stderr; `job logs` prints the end it
  # gets, without Ray's note, and says so too.
  project logtail; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  sed -i 's/^  num_cpus: 0$/  num_cpus: 0\n  env: {RAY_JOB_LOG_MAX_READ_BYTES: "4096"}/' c.yml
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up exits 0" 0 $?
  # One short line, then 8893 bytes at once (cat of a file made before the
  # pause), then, a second later, 500 bytes more.
  entry='echo start; seq 1 2000 >/tmp/burst; sleep 1; cat /tmp/burst; sleep 1; seq 2001 2100'
  "$RAYLAUNCH" submit -f c.yml --submission-id "tail-$p" -- "$entry" >out 2>err
  check "the job succeeds" 0 $?
  { echo "Running entrypoint for job tail-$p: $entry"; echo start; seq 1 2000; } >upto-burst
  { cat upto-burst; seq 2001 2100; } >whole
  # Ray's tail: the last 4096 bytes from the first whole line.
  check "submit printed the start, the end after the gap, and the rest" \
    "$(head -n 2 upto-burst; tail -c 4096 upto-burst | tail -n +2; seq 2001 2100)" "$(cat out)"
  check "stderr says once that part of the log was not shown" \
    "raylaunch: the head sent only the end of job tail-$p's log (Ray: showing last 0 MiB of 0.0 MiB total), so part of it was not shown
raylaunch: job tail-$p SUCCEEDED: Job finished successfully." "$(cat err)"
  "$RAYLAUNCH" job logs -p "$p" "tail-$p" >out 2>err
  check "job logs: the end Ray sent, without its note" \
    "0 $(tail -c 4096 whole | tail -n +2)" "$? $(cat out)"
  check "job logs says it is only the end" \
    "raylaunch: the head sent only the end of job tail-$p's log (Ray: showing last 0 MiB of 0.0 MiB total), so part of it was not shown" \
    "$(cat err)"
  ;;

interrupt)
  # Ctrl-C while following a job stops it (POST .../stop) and exits 130.
  project interrupt; p=$P
  cluster "$p" "$PORTS"
  "$RAYLAUNCH" submit -f c.yml --submission-id "long-$p" -- 'echo started; exec sleep 600' >out 2>err &
  pid=$!
  poll 30 "the job long-$p runs" bash -c "\"$RAYLAUNCH\" job status -p $p long-$p | grep -q RUNNING"
  kill -INT $pid
  wait $pid
  check "Ctrl-C exits 130" 130 $?
  check "the job is STOPPED" "long-$p: STOPPED" "$("$RAYLAUNCH" job status -p "$p" "long-$p" | head -1)"
  ;;

workdir)
  # --working-dir ships a folder; the job runs inside it; a second submit of
  # the same content does not upload it again.
  project workdir; p=$P
  cluster "$p" "$PORTS"
  mkdir -p job/.git job/data
  echo "shipped with the job" >job/data/hello.txt
  echo "not shipped" >job/.git/HEAD
  "$RAYLAUNCH" submit -f c.yml --working-dir job --progress plain -- 'cat data/hello.txt; ls -a' >out 2>err
  check "the job ran in the shipped folder, without .git" "0 shipped with the job
.
..
data" "$? $(tail -n +2 out)"
  check "the package was uploaded" 1 "$(grep -c 'Package _ray_pkg_[0-9a-f]* *Uploaded' err)"
  "$RAYLAUNCH" submit -f c.yml --working-dir job --progress plain -- 'true' >/dev/null 2>err
  check "the same content is not uploaded twice" 1 "$(grep -c 'Package _ray_pkg_[0-9a-f]* *Present' err)"
  ;;

run)
  # run: up, the job with its log, down; nothing left; a JUnit report.
  project run; p=$P
  spec c.yml "$p" "$PORTS" cpu 2
  "$RAYLAUNCH" run -f c.yml --timeout 60 --junit ok.xml -- sh -c 'ray status >/dev/null && echo ok' >out 2>err
  check "run exits 0" 0 $?
  check "the job's log" "ok" "$(tail -n +2 out)"
  check "nothing is left" "" "$(containers_of "$p")$(networks_of "$p")"
  check "the JUnit report: 2 tests, 0 failures" "2 0 0 bring-up" \
    "$(python3 -c 'import xml.etree.ElementTree as E; s=E.parse("ok.xml").getroot().find("testsuite"); print(s.get("tests"), s.get("failures"), s.get("skipped"), s.find("testcase").get("name"))')"
  "$RAYLAUNCH" -f c.yml run --timeout 60 --junit failed.xml -- 'echo broken; exit 2' >out 2>err
  check "a failing job: run exits 1" 1 $?
  check "nothing is left after a failed job" "" "$(containers_of "$p")$(networks_of "$p")"
  check "the JUnit report has the failure with Ray's message and the log tail" "1 True broken" \
    "$(python3 -c 'import xml.etree.ElementTree as E
s=E.parse("failed.xml").getroot().find("testsuite")
f=s.findall("testcase")[1].find("failure")
print(s.get("failures"), "FAILED: Job entrypoint command failed with exit code 2" in f.get("message"), f.text.strip().splitlines()[-1])')"
  ;;

run-upfails)
  # The cluster cannot come up: the documented code 3, nothing left, the job
  # skipped in the report.
  project upfails; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  sed -i "s#^image: .*#image: raylaunch/no-such-image:$p#" c.yml
  "$RAYLAUNCH" run -f c.yml --timeout 30 --junit r.xml -- true >out 2>err
  check "run exits 3 when up fails" 3 $?
  check "nothing is left" "" "$(containers_of "$p")$(networks_of "$p")"
  check "the report: bring-up failed, the job skipped" "1 1" \
    "$(python3 -c 'import xml.etree.ElementTree as E; s=E.parse("r.xml").getroot().find("testsuite"); print(s.get("failures"), s.get("skipped"))')"
  ;;

run-signals)
  # SIGTERM during the job: the job is stopped and down still runs. A run
  # killed with SIGKILL leaves only labelled containers, which down -p removes.
  project runsig; p=$P
  spec c.yml "$p" "$PORTS" cpu 1
  "$RAYLAUNCH" run -f c.yml --timeout 60 -- 'exec sleep 600' >out 2>err &
  pid=$!
  poll 60 "run brings the cluster up" bash -c "\"$RAYLAUNCH\" status -p $p | grep -q '^Ray: 2 of 2'"
  poll 30 "the job runs in the head" bash -c "docker exec $p-head ps | grep -q 'sleep 600'"
  kill -TERM $pid
  wait $pid
  check "SIGTERM: run exits 143 (128 + 15)" 143 $?
  check "down ran anyway: nothing left" "" "$(containers_of "$p")$(networks_of "$p")"
  "$RAYLAUNCH" run -f c.yml --timeout 60 -- 'exec sleep 600' >out 2>err &
  pid=$!
  poll 60 "the second run's job runs in the head" bash -c "docker exec $p-head ps | grep -q 'sleep 600'"
  kill -KILL $pid
  wait $pid 2>/dev/null
  check "after SIGKILL only labelled containers are left" "$p-cpu-1 running
$p-head running" "$(containers_of "$p")"
  "$RAYLAUNCH" down -p "$p" --progress plain >/dev/null 2>&1
  check "down -p removes them" "" "$(containers_of "$p")$(networks_of "$p")"
  ;;

run-parallel)
  # Two runs with different -p at once on one engine, ports from variables.
  project para; p=$P
  cat >c.yml <<YAML
name: \${NAME}
image: $STANDIN_IMAGE
head:
  num_cpus: 0
  ports:
    gcs: \${GCS}
    dashboard: \${DASH}
    client: \${CLIENT}
workers:
  - group: cpu
    replicas: 1
    num_cpus: 1
YAML
  PROJECTS+=("$p-a" "$p-b")  # finish() checks that nothing of either is left
  read -r a_gcs a_dash a_client <<<"$(free_ports 3)"
  read -r b_gcs b_dash b_client <<<"$(free_ports 3)"
  NAME=$p-a GCS=$a_gcs DASH=$a_dash CLIENT=$a_client "$RAYLAUNCH" run -f c.yml -p "$p-a" --timeout 60 -- 'echo a' >a.out 2>a.err &
  a=$!
  NAME=$p-b GCS=$b_gcs DASH=$b_dash CLIENT=$b_client "$RAYLAUNCH" run -f c.yml -p "$p-b" --timeout 60 -- 'echo b' >b.out 2>b.err &
  b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  check "both runs exit 0 with their own output" "0 a 0 b" "$ra $(tail -n +2 a.out) $rb $(tail -n +2 b.out)"
  check "nothing of either is left" "" "$(containers_of "$p-a")$(containers_of "$p-b")"
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
