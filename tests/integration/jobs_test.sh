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
# kernel_cluster FILE NAME: a spec of one worker whose head ports the kernel
# picks (bind port 0), so no run here takes a port another test uses; sets
# DASH to the dashboard's.
kernel_spec() {
  spec "$1" "$2" 0 cpu 1
  local gcs client
  read -r gcs DASH client < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
  sed -i "s/^  ports: .*/  ports: {gcs: $gcs, dashboard: $DASH, client: $client}/" "$1"
}
kernel_cluster() {
  kernel_spec c.yml "$1"
  "$RAYLAUNCH" up -f c.yml --progress plain --timeout 60 >/dev/null 2>&1
  check "up exits 0" 0 $?
}
# The submission ids the head knows, sorted, from its own list.
job_ids() {
  python3 -c 'import json,sys,urllib.request as u
print("\n".join(sorted(j["submission_id"] for j in json.load(u.urlopen(sys.argv[1])))))' \
    "http://127.0.0.1:$DASH/api/jobs/"
}
# The status of job ID as the head says it, through an encoded URL.
job_state() {
  python3 -c 'import json,sys,urllib.request as u,urllib.parse as q
print(json.load(u.urlopen(sys.argv[1] + q.quote(sys.argv[2], safe="")))["status"])' \
    "http://127.0.0.1:$DASH/api/jobs/" "$1"
}
# Milliseconds since the epoch.
now_ms() { date +%s%3N; }
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

run-usage)
  # Every usage error of run is found before anything is created: exit 2,
  # the message, no container, no network.
  project runusage; p=$P
  kernel_spec c.yml "$p"
  mkdir -p loop/sub empty
  ln -s .. loop/sub/up
  echo x >afile
  truncate -s 501M big.bin && mkdir big && mv big.bin big/
  mkdir report.xml
  usage() {
    local what=$1 want=$2
    shift 2
    "$RAYLAUNCH" run -f c.yml --timeout 60 --progress plain "$@" -- 'echo ran' >out 2>err
    check "run $what: exit 2 and its message" "2 $want" "$? $(cat err)"
    check "run $what: nothing was created" "" "$(containers_of "$p")$(networks_of "$p")"
  }
  usage "--working-dir missing" "raylaunch: error: --working-dir nowhere is not a folder
hint: name a folder; its content becomes the job's working folder" --working-dir nowhere
  usage "--working-dir a file" "raylaunch: error: --working-dir afile is not a folder
hint: name a folder; its content becomes the job's working folder" --working-dir afile
  usage "--working-dir over 500 MiB" "raylaunch: error: --working-dir big holds more than 500 MiB; Ray refuses packages that large
hint: ship less (move data out of the folder, or mount it with volumes:)" --working-dir big
  usage "--working-dir with a link loop" "raylaunch: error: --working-dir loop: the symbolic link sub/up is a loop: it leads back to a folder that holds it
hint: remove the link, or point it elsewhere; the package would never end" --working-dir loop
  usage "--runtime-env-json not JSON" "raylaunch: error: --runtime-env-json is not a JSON object
hint: e.g. --runtime-env-json '{\"env_vars\": {\"A\": \"1\"}}'" --runtime-env-json '{"a":'
  usage "--submission-id with /" "raylaunch: error: --submission-id \"a/b\" cannot name a job: Ray's Jobs API has no path for it
hint: a job id is one non-empty name without \"/\" (and not \".\" or \"..\")" --submission-id a/b
  usage "--junit a folder" "raylaunch: error: --junit report.xml is a folder
hint: name the report's file, e.g. --junit report.xml" --junit report.xml
  usage "--junit in a missing folder" "raylaunch: error: --junit no/such/r.xml: the folder no/such does not exist
hint: make the folder first, or name a file in one that exists" --junit no/such/r.xml
  ;;

run-report)
  # A report that cannot be written is its own message; the exit code stays
  # the job's and down still runs.
  project runreport; p=$P
  kernel_spec c.yml "$p"
  "$RAYLAUNCH" run -f c.yml --timeout 60 --progress plain --junit /dev/full -- 'echo ran' >out 2>err
  check "the job succeeded: run exits 0" 0 $?
  check "the report's own message" "raylaunch: error: cannot write the JUnit report /dev/full: No space left on device
hint: the exit code is still the run's; check that the file may be written" \
    "$(grep -A1 'JUnit report' err)"
  check "down ran: nothing left" "" "$(containers_of "$p")$(networks_of "$p")"
  "$RAYLAUNCH" run -f c.yml --timeout 60 --progress plain --junit /dev/full -- 'exit 4' >out 2>err
  check "the job failed: run exits 1 all the same" 1 $?
  check "down ran: nothing left" "" "$(containers_of "$p")$(networks_of "$p")"
  ;;

run-lock)
  # A second run on the project while the first holds its lock, with
  # --lock-timeout 0: exit 3, a report that says why, the first run untouched.
  project runlock; p=$P
  kernel_spec c.yml "$p"
  "$RAYLAUNCH" run -f c.yml --timeout 60 --progress plain -- 'exec sleep 600' >first.out 2>first.err &
  first=$!
  poll 60 "the first run's job runs" bash -c "docker exec $p-head ps | grep -q 'sleep 600'"
  "$RAYLAUNCH" run -f c.yml --timeout 60 --progress plain --lock-timeout 0 --junit lock.xml -- 'echo second' >out 2>err
  check "the second run exits 3" 3 $?
  check "it says why" "raylaunch: error: another raylaunch is still working on project \"$p\" after 0 s" \
    "$(grep '^raylaunch: error' err)"
  check "its report: bring-up failed for the lock, the job skipped" "1 1 True" \
    "$(python3 -c 'import xml.etree.ElementTree as E
s=E.parse("lock.xml").getroot().find("testsuite")
print(s.get("failures"), s.get("skipped"), "lock was not taken" in s.find("testcase").find("failure").get("message"))')"
  check "the first run's cluster is untouched" "$p-cpu-1 running
$p-head running" "$(containers_of "$p")"
  kill -TERM $first
  wait $first
  check "the first run, stopped, exits 143" 143 $?
  check "and removed its cluster" "" "$(containers_of "$p")$(networks_of "$p")"
  ;;

workdir-edges)
  # Folders as Ray's client ships them: links under their own names with
  # their targets' content, never an entry outside the folder, an empty
  # folder, Ray's warning; loops and unreadable files refused, nothing sent.
  project wdedges; p=$P
  kernel_cluster "$p"
  mkdir -p job/data outside
  echo "the target" >job/data/a.txt
  echo "from outside" >outside/o.txt
  ln -s data/a.txt job/link
  ln -s data job/linked
  ln -s ../outside/o.txt job/out
  ln -s nowhere job/dangling
  "$RAYLAUNCH" submit -f c.yml --working-dir job -- 'find . | sort; cat link out linked/a.txt; test -L link || echo link is a file' >out 2>err
  check "links arrive under their own names with their targets' content" "0 .
./data
./data/a.txt
./link
./linked
./linked/a.txt
./out
the target
from outside
the target
link is a file" "$? $(tail -n +2 out)"
  ln -s .. job/data/up
  "$RAYLAUNCH" submit -f c.yml --working-dir job --submission-id "loop-$p" -- true >out 2>err
  check "a loop: exit 2 with its path" "2 raylaunch: error: --working-dir job: the symbolic link data/up is a loop: it leads back to a folder that holds it" \
    "$? $(head -1 err)"
  rm job/data/up
  echo secret >job/data/locked.txt
  chmod 000 job/data/locked.txt
  # root reads any file: drop the capabilities that let it.
  setpriv --bounding-set -dac_override,-dac_read_search "$RAYLAUNCH" submit -f c.yml --working-dir job \
    --submission-id "unreadable-$p" -- true >out 2>err
  check "an unreadable file: exit 2 naming it" "2 raylaunch: error: --working-dir job: cannot read data/locked.txt: Permission denied" \
    "$? $(head -1 err)"
  check "neither was submitted" "0" "$(job_ids | grep -c -e "loop-$p" -e "unreadable-$p")"
  rm -f job/data/locked.txt
  mkdir empty
  "$RAYLAUNCH" submit -f c.yml --working-dir empty -- 'echo "$(ls -A | wc -l) entries"' >out 2>err
  check "an empty folder: the job runs in an empty folder" "0 0 entries" "$? $(tail -n +2 out)"
  "$RAYLAUNCH" submit -f c.yml --working-dir empty --runtime-env-json '{"working_dir": "/elsewhere"}' -- true >out 2>err
  check "a working_dir in --runtime-env-json: Ray's warning" "0 raylaunch: warning: overriding runtime_env working_dir with --working-dir option" \
    "$? $(head -1 err)"
  ;;

ids)
  # Ids reach Ray as given, percent-encoded in every URL.
  project ids; p=$P
  kernel_cluster "$p"
  odd='a b?c#d%2F'
  "$RAYLAUNCH" submit -p "$p" --submission-id "$odd" -- 'echo odd' >out 2>err
  check "an id with space, ?, # and %: submit follows it to the end" "0 odd" "$? $(tail -n +2 out)"
  check "job status of it" "$odd: SUCCEEDED" "$("$RAYLAUNCH" job status -p "$p" "$odd" | head -1)"
  "$RAYLAUNCH" submit -p "$p" --no-wait --submission-id victimA -- 'exec sleep 600' >/dev/null 2>&1
  poll 30 "victimA runs" bash -c "\"$RAYLAUNCH\" job status -p $p victimA | grep -q RUNNING"
  "$RAYLAUNCH" job stop -p "$p" 'victim%41' >out 2>err
  check "job stop 'victim%41': no such job, exit 1" "1 raylaunch: error: cannot stop job victim%41: HTTP 404: Job victim%41 does not exist" \
    "$? $(head -1 err)"
  check "victimA still runs" RUNNING "$(job_state victimA)"
  "$RAYLAUNCH" job status -p "$p" '' >out 2>err
  check "an empty id is refused up front" "2 raylaunch: error: the job id \"\" cannot name a job: Ray's Jobs API has no path for it" \
    "$? $(head -1 err)"
  "$RAYLAUNCH" job stop -p "$p" victimA >/dev/null 2>&1
  ;;

follow-signals)
  # SIGINT ends `submit` (the job stopped) and `job logs -f` (the job goes
  # on) within a second.
  project follow; p=$P
  kernel_cluster "$p"
  "$RAYLAUNCH" submit -p "$p" --submission-id "sub-$p" -- 'echo started; exec sleep 60' >out 2>err &
  pid=$!
  poll 30 "the job started" grep -q started out
  t0=$(now_ms)
  kill -INT $pid
  wait $pid
  code=$?
  took=$(($(now_ms) - t0))
  echo "# submit ended ${took} ms after SIGINT"
  check "submit: SIGINT exits 130 within 1 s" "130 yes" "$code $( ((took < 1000)) && echo yes || echo "no: $took ms")"
  check "the job is STOPPED" STOPPED "$(job_state "sub-$p")"
  "$RAYLAUNCH" submit -p "$p" --no-wait --submission-id "logs-$p" -- 'echo started; exec sleep 60' >/dev/null 2>&1
  "$RAYLAUNCH" job logs -f -p "$p" "logs-$p" >out 2>err &
  pid=$!
  poll 30 "the job started" grep -q started out
  t0=$(now_ms)
  kill -INT $pid
  wait $pid
  code=$?
  took=$(($(now_ms) - t0))
  echo "# job logs -f ended ${took} ms after SIGINT"
  check "job logs -f: SIGINT exits 130 within 1 s" "130 yes" "$code $( ((took < 1000)) && echo yes || echo "no: $took ms")"
  check "it says the job goes on" "raylaunch: interrupted by SIGINT: only the following stopped; job logs-$p goes on (\`raylaunch job stop logs-$p\` stops it)" "$(cat err)"
  check "the job still runs" RUNNING "$(job_state "logs-$p")"
  "$RAYLAUNCH" job logs -f -p "$p" "logs-$p" >out 2>err &
  pid=$!
  poll 30 "the job started" grep -q started out
  kill -TERM $pid
  wait $pid
  check "job logs -f: SIGTERM exits 143" 143 $?
  "$RAYLAUNCH" job stop -p "$p" "logs-$p" >/dev/null 2>&1
  ;;

*)
  echo "unknown scenario $scenario" >&2
  exit 2
  ;;
esac
finish
