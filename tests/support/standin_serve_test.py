#!/usr/bin/env python3
"""Tests Ray Serve in the ray stand-in (tests/support/standin_serve*.c, a test
fixture; not Ray) on a real Docker engine: builds the image with
scripts/standin-image.sh, starts a head with token auth and the Serve port
published on 127.0.0.1, and checks, with whole replies: the REST API on the
dashboard (GET before and after Serve starts, PUT's 200 and its refusals,
DELETE), the states an app goes through (DEPLOYING while it builds, while its
replicas start, RUNNING, DEPLOY_FAILED for a module that is not there, DEPLOYING
for replicas no node can hold, DELETING), the proxy (/-/healthz, /-/routes,
routes, 404), a scale-up under a loop of requests with no failed one, an unplaced
replica as pending demand (`ray status`) that a joining GPU node takes, the
http_options Serve keeps until it is shut down and deployed again, and token auth.
Removes everything it creates.

Usage: tests/support/standin_serve_test.py
Env:   DOCKER (default docker), STANDIN_IMAGE (default raylaunch/ray-standin:test;
       rebuilt under that tag). Prints "N passed, 0 failed" last; exit 0 when all pass.
"""
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKER = os.environ.get("DOCKER", "docker")
IMAGE = os.environ.get("STANDIN_IMAGE", "raylaunch/ray-standin:test")
PX = "rss%d-%d" % (os.getpid(), random.randrange(10000))
LABEL = "io.raylaunch.standin-test=" + PX
TOKEN = "s3cret"
AUTH = {"Authorization": "Bearer " + TOKEN}
# The head's Serve timings (RAY_STANDIN_SERVE_*), long enough to see each state.
KNOBS = {"START_MS": 800, "BUILD_MS": 1500, "DEPLOY_MS": 1500, "STOP_MS": 600,
         "SHUTDOWN_MS": 1200}
passed = failed = 0


def in_ci():
    return os.environ.get("CI") in ("true", "1")


def skip_or_fail(why):
    if in_ci():
        print(f"FAIL: {why} (CI={os.environ['CI']}: every test must run here, not skip)")
        sys.exit(1)
    print("SKIP: " + why, file=sys.stderr)
    sys.exit(77)


def check(what, want, got):
    global passed, failed
    if want == got:
        passed += 1
        print("ok - " + what)
        return True
    failed += 1
    print("FAIL - " + what)
    print("    want: " + (want if isinstance(want, str) else json.dumps(want, sort_keys=True)))
    print("    got:  " + (got if isinstance(got, str) else json.dumps(got, sort_keys=True)))
    return False


def poll(seconds, what, fn):
    """Calls fn until it returns a true value (returned), or fails WHAT."""
    deadline = time.time() + seconds
    while True:
        try:
            v = fn()
        except OSError:
            v = None
        if v or time.time() >= deadline:
            break
        time.sleep(0.1)
    if not v:
        check(f"{what} (within {seconds} s)", "yes", "no")
    return v


def docker(*args, ok=True):
    r = subprocess.run([DOCKER, *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        print(f"FAIL - docker {' '.join(args)}: {r.stderr.strip()}")
        sys.exit(1)
    return r.stdout.strip()


def request(method, host, port, path, body=None, headers=None):
    """(status, content type, body text) of one request."""
    c = http.client.HTTPConnection(host, port, timeout=15)
    h = {"User-Agent": "standin-serve-test", **(headers or {})}
    c.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), data


class Head:
    def __init__(self, ip, serve_port, other_port):
        self.ip, self.serve_port, self.other_port = ip, serve_port, other_port

    def api(self, method, body=None, headers=AUTH, query=""):
        return request(method, self.ip, 8265, "/api/serve/applications/" + query, body, headers)

    def details(self):
        st, ct, data = self.api("GET")
        return json.loads(data)

    def proxy(self, path, port=None):
        return request("GET", "127.0.0.1", port or self.serve_port, path)


def app_config(name, route, import_path, replicas=None, **extra):
    a = {"name": name, "route_prefix": route, "import_path": import_path, **extra}
    if replicas is not None:
        a["deployments"] = [{"name": "Echo", "num_replicas": replicas}]
    return a


def put(head, apps, **top):
    return head.api("PUT", json.dumps({"applications": apps, **top}))


HEX = re.compile(r"^[0-9a-f]+$")


def masked(d, head_id):
    """The GET body with ids, times and pids as placeholders (checked for shape)."""
    def mask(v, key):
        if key in ("last_deployed_time_s", "start_time_s"):
            return "<TIME>" if isinstance(v, float) and v > 1.7e9 else v
        if key == "pid":
            return "<PID>" if isinstance(v, int) else v
        if key in ("actor_id", "worker_id", "replica_id") and isinstance(v, str) and HEX.match(v):
            return "<%s>" % key.upper()
        return v

    def walk(v, key=None):
        if isinstance(v, dict):
            return {(k.replace(head_id, "<HEAD>")): walk(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str):
            v = v.replace(head_id, "<HEAD>")
            v = re.sub(r"#[0-9a-f]{8}$", "#<ID>", v)
            v = re.sub(r"_[0-9a-f]{8}\.log$", "_<ID>.log", v)
            v = re.sub(r"^/serve/controller_[0-9]+\.log$", "/serve/controller_<PID>.log", v)
        return mask(v, key)
    return walk(d)


def echo_details(head_ip, status, dep_status, trigger, replicas, target, message=""):
    replica = {"node_id": "<HEAD>", "node_ip": head_ip, "node_instance_id": "",
               "actor_id": "<ACTOR_ID>", "actor_name": "SERVE_REPLICA::echo#Echo#<ID>",
               "worker_id": "<WORKER_ID>", "log_file_path": "/serve/replica_echo_Echo_<ID>.log",
               "replica_id": "<REPLICA_ID>", "pid": "<PID>", "start_time_s": "<TIME>"}
    return {
        "name": "echo", "route_prefix": "/echo", "docs_path": None, "status": status,
        "message": message, "last_deployed_time_s": "<TIME>",
        "deployed_app_config": app_config("echo", "/echo", "standin_echo:app", target),
        "source": "declarative",
        "deployments": {"Echo": {
            "name": "Echo", "status": dep_status, "status_trigger": trigger, "message": "",
            "deployment_config": {
                "name": "Echo", "num_replicas": target, "max_ongoing_requests": 5,
                "max_queued_requests": -1, "user_config": None,
                "graceful_shutdown_wait_loop_s": 2.0, "graceful_shutdown_timeout_s": 20.0,
                "health_check_period_s": 10.0, "health_check_timeout_s": 30.0,
                "ray_actor_options": {"runtime_env": {}, "num_cpus": 1.0}},
            "target_num_replicas": target, "required_resources": {"CPU": 1.0},
            "replicas": [dict(replica, state=s) for s in replicas]}},
        "external_scaler_enabled": False}


def instance(head_ip, apps, port=8000):
    actor = {"node_id": "<HEAD>", "node_ip": head_ip, "node_instance_id": "",
             "actor_id": "<ACTOR_ID>", "worker_id": "<WORKER_ID>"}
    return {
        "controller_info": dict(actor, actor_name="SERVE_CONTROLLER_ACTOR",
                                log_file_path="/serve/controller_<PID>.log"),
        "proxy_location": "EveryNode",
        "http_options": {"host": "0.0.0.0", "port": port, "root_path": "",
                         "request_timeout_s": None, "keep_alive_timeout_s": 90},
        "grpc_options": {"port": 9000, "grpc_servicer_functions": [], "request_timeout_s": None},
        "proxies": {"<HEAD>": dict(actor, actor_name="SERVE_CONTROLLER_ACTOR:SERVE_PROXY_ACTOR-<HEAD>",
                                   log_file_path=f"/serve/proxy_{head_ip}.log", status="HEALTHY")},
        "deploy_mode": "MULTI_APP", "applications": apps}


EMPTY = ('{"deploy_mode": "MULTI_APP", "controller_info": {}, "proxies": {}, '
         '"applications": {}, "target_capacity": null}')


def summary(head, name):
    """An app's state in one line: status, route, deployment status, replica states."""
    a = head.details()["applications"].get(name)
    if a is None:
        return "gone"
    deps = [f"{d['status']}/{d['status_trigger']} " + ",".join(r["state"] for r in d["replicas"])
            for d in a["deployments"].values()]
    return " ".join([a["status"], str(a["route_prefix"]), *deps])


def watch(head, name, until, seconds=20):
    """The distinct states an app goes through until one starts with `until`."""
    seen = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        s = summary(head, name)
        if not seen or seen[-1] != s:
            seen.append(s)
        if s.startswith(until):
            break
        time.sleep(0.1)
    return seen


class Loop(threading.Thread):
    """Requests a route again and again until stopped; counts the answers."""
    def __init__(self, head, path):
        super().__init__()
        self.head, self.path, self.stop, self.answers = head, path, False, {}

    def run(self):
        while not self.stop:
            try:
                st, ct, data = self.head.proxy(self.path)
                key = f"{st} {data}"
            except OSError as e:
                key = f"error {e}"
            self.answers[key] = self.answers.get(key, 0) + 1
            time.sleep(0.02)


def refused(port):
    try:
        request("GET", "127.0.0.1", port, "/-/healthz")
        return "answered"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:  # Docker's proxy takes the connection and drops it
        return "refused" if "reset" in str(e) or "closed" in str(e).lower() or \
            isinstance(e, http.client.RemoteDisconnected) else str(e)


def scenario(head, head_id):
    ip = head.ip
    check("GET before Serve starts: the empty body",
          [200, "application/json; charset=utf-8", EMPTY], list(head.api("GET")))
    check("no proxy before the first PUT", "refused", refused(head.serve_port))
    st, ct, data = request("GET", head.ip, 8265, "/api/ray/version", headers=AUTH)
    v = json.loads(data)
    check("GET /api/ray/version (Serve's): version 4, Ray 2.52.1",
          [200, "application/json; charset=utf-8", ["version", "ray_version", "ray_commit",
                                                     "session_name"], "4", "2.52.1"],
          [st, ct, list(v), v["version"], v["ray_version"]])
    t0 = time.time()
    got = put(head, [app_config("echo", "/echo", "standin_echo:app", 1)])
    check("the first PUT: 200, empty body, once Serve has started", [200, "", True],
          [got[0], got[2], time.time() - t0 >= KNOBS["START_MS"] / 1000])
    check("the echo app: DEPLOYING while it builds, then while its replica starts, then RUNNING",
          ["DEPLOYING None", "DEPLOYING /echo UPDATING/CONFIG_UPDATE_STARTED STARTING",
           "RUNNING /echo HEALTHY/CONFIG_UPDATE_COMPLETED RUNNING"],
          watch(head, "echo", "RUNNING"))
    check("GET: the whole ServeInstanceDetails of a running echo app",
          instance(ip, {"echo": echo_details(ip, "RUNNING", "HEALTHY", "CONFIG_UPDATE_COMPLETED",
                                             ["RUNNING"], 1)}),
          masked(head.details(), head_id))
    check("the route answers the app's name through the published Serve port",
          [200, "text/plain; charset=utf-8", "echo"], list(head.proxy("/echo")))
    check("... and below it", [200, "echo"], [head.proxy("/echo/a/b")[0], head.proxy("/echo/a/b")[2]])
    check("/-/routes", [200, "application/json", '{"/echo":"echo"}'], list(head.proxy("/-/routes")))
    check("/-/healthz", [200, "text/plain; charset=utf-8", "success"], list(head.proxy("/-/healthz")))
    check("an unknown route: 404 as Serve's proxy",
          [404, "Path '/echoes' not found. Please ping http://.../-/routes for route table."],
          [head.proxy("/echoes")[0], head.proxy("/echoes")[2]])

    loop = Loop(head, "/echo")
    loop.start()
    time.sleep(0.3)
    got = put(head, [app_config("echo", "/echo", "standin_echo:app", 3)])
    scaling = head.details()["applications"]["echo"]["deployments"]["Echo"]
    states = watch(head, "echo", "RUNNING")
    time.sleep(0.3)
    loop.stop = True
    loop.join()
    check("num_replicas 1 -> 3: 200, then UPSCALING with the route answering, then RUNNING",
          [200, "Upscaling from 1 to 3 replicas.",
           ["DEPLOYING /echo UPSCALING/CONFIG_UPDATE_STARTED RUNNING,STARTING,STARTING",
            "RUNNING /echo HEALTHY/UPSCALE_COMPLETED RUNNING,RUNNING,RUNNING"]],
          [got[0], scaling["message"], states])
    check("... every request during the scale-up answered 200 echo (none failed)",
          ["200 echo"], sorted(loop.answers))
    print(f"# {sum(loop.answers.values())} requests during the scale-up")
    check("GET after the scale-up: three RUNNING replicas, target 3",
          instance(ip, {"echo": echo_details(ip, "RUNNING", "HEALTHY", "UPSCALE_COMPLETED",
                                             ["RUNNING"] * 3, 3)}),
          masked(head.details(), head_id))
    deployed = head.details()["applications"]["echo"]["last_deployed_time_s"]

    echo = app_config("echo", "/echo", "standin_echo:app", 3)
    bad = app_config("bad", "/bad", "no_such_mod.sub:app")
    gpu = {"name": "gpu", "route_prefix": "/gpu", "import_path": "standin_echo.app",
           "deployments": [{"name": "Echo", "ray_actor_options": {"num_gpus": 1}}]}
    check("PUT adding two apps: 200", 200, put(head, [echo, bad, gpu])[0])
    a = poll(10, "the app of a missing module fails",
             lambda: head.details()["applications"]["bad"]["status"] == "DEPLOY_FAILED" and
             head.details()["applications"]["bad"])
    check("... DEPLOY_FAILED with Ray's message for a missing module",
          ["DEPLOY_FAILED", "Deploying app 'bad' failed with exception:\nTraceback (most recent "
           "call last):\n  (raylaunch's ray stand-in)\nModuleNotFoundError: No module named "
           "'no_such_mod'\n", None, {}],
          a and [a["status"], a["message"], a["route_prefix"], a["deployments"]])
    check("... and the unchanged app was not redeployed", deployed,
          head.details()["applications"]["echo"]["last_deployed_time_s"])
    msg = ("Deployment 'Echo' in application 'gpu' has 1 replicas that have taken more than 1s to "
           "be scheduled. This may be due to waiting for the cluster to auto-scale or for a "
           "runtime environment to be installed. Resources required for each replica: "
           "{\"CPU\": 1.0, \"GPU\": 1.0}, total resources available: {}. Use `ray status` "
           "for more details.")
    g = poll(10, "the GPU app's replica waits for a node",
             lambda: head.details()["applications"]["gpu"]["deployments"].get("Echo", {})
             .get("message") and head.details()["applications"]["gpu"])
    dep = g and g["deployments"]["Echo"]
    check("a replica no node can hold: app DEPLOYING, replica STARTING on no node, Serve's message",
          ["DEPLOYING", "UPDATING", msg, {"CPU": 1.0, "GPU": 1.0}, "STARTING", None, None],
          g and [g["status"], dep["status"], dep["message"], dep["required_resources"],
                 dep["replicas"][0]["state"], dep["replicas"][0]["node_id"],
                 dep["replicas"][0]["pid"]])
    check("its route is listed, and a request to it waits (no answer within 1 s)",
          ['{"/echo":"echo","/gpu":"gpu"}', "timed out"],
          [head.proxy("/-/routes")[2], waits(head, "/gpu")])

    demand(head, head_id)

    V = "ValidationError(model='ServeDeploySchema', errors=[%s])"
    # Ray's root validator nested_host_and_port iterates values.get("applications"):
    # None when that field failed
    NONE_ITER = "{'loc': ('__root__',), 'msg': \"'NoneType' object is not iterable\", 'type': 'type_error'}"
    bodies = [
        ("duplicate route prefixes", 400, json.dumps({"applications": [
            app_config("x", "/x", "m:a"), app_config("y", "/x", "m:b")]}),
         V % ("""{'loc': ('applications',), 'msg': 'Found duplicate applications for route """
             """prefix "/x". Please ensure each application\\'s route_prefix is unique.', """
             """'type': 'value_error'}, """ + NONE_ITER)),
        ("duplicate names", 400, json.dumps({"applications": [
            app_config("x", "/x", "m:a"), app_config("x", "/y", "m:b")]}),
         V % ("""{'loc': ('applications',), 'msg': 'Found multiple configs for application "x". """
             """Please remove all duplicates.', 'type': 'value_error'}, """ + NONE_ITER)),
        ("no applications", 400, "{}",
         V % ("{'loc': ('applications',), 'msg': 'field required', 'type': 'value_error.missing'}, "
              + NONE_ITER)),
        ("a bad route_prefix and import_path, num_replicas 0", 400, json.dumps({"applications": [
            app_config("x", "/x/", "nodots", 0)]}),
         V % ("""{'loc': ('applications', 0, 'route_prefix'), 'msg': 'Got "/x/" for route_prefix. """
              """Route prefix cannot end with "/" unless the entire prefix is just "/".', 'type': """
              """'value_error'}, {'loc': ('applications', 0, 'import_path'), 'msg': 'Got invalid """
              """import path "nodots". An import path must contain at least on dot or colon """
              """separating the module (and potentially submodules) from the deployment graph. """
              """E.g.: "module.deployment_graph".', 'type': 'value_error'}, {'loc': """
              """('applications', 0, 'deployments', 0, '__root__'), 'msg': '`num_replicas` must be """
              """an int or "auto", but got: 0', 'type': 'value_error'}, """ + NONE_ITER)),
        ("not JSON", 500, "{nope",
         "Traceback (most recent call last):\n  (raylaunch's ray stand-in)\n"
         "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: "
         "line 1 column 2 (char 1)\n"),
    ]
    for what, status, body, text in bodies:
        check(f"PUT refused ({what}): {status}, plain text", [status, "text/plain; charset=utf-8", text],
              list(head.api("PUT", body)))
    check("GET ?api_type=bogus: 400", [400, "Invalid 'api_type' value: 'bogus'. Must be one of: "
          "imperative, declarative"], [head.api("GET", query="?api_type=bogus")[i] for i in (0, 2)])
    check("without the trailing slash: 404", [404, "404: Not Found"],
          [request("GET", ip, 8265, "/api/serve/applications", headers=AUTH)[i] for i in (0, 2)])
    check("token auth: none 401, a wrong one 403, X-Ray-Authorization accepted",
          [[401, "Unauthorized: Missing authentication token"],
           [403, "Forbidden: Invalid authentication token"], 200],
          [[head.api("GET", headers={})[i] for i in (0, 2)],
           [head.api("GET", headers={"Authorization": "Bearer wrong"})[i] for i in (0, 2)],
           head.api("GET", headers={"X-Ray-Authorization": "Bearer " + TOKEN})[0]])

    got = put(head, [echo], http_options={"port": 8001})
    states = watch(head, "gpu", "gone")
    check("PUT without two apps and with new http_options: 200, the others DELETING then gone",
          [200, ["DELETING /gpu UPDATING/DELETING STOPPING", "gone"], "gone"],
          [got[0], states[-2:], summary(head, "bad")])
    d = head.details()
    check("... http_options stay as Serve started with them; the proxy stays on 8000",
          [8000, 200, "refused"],
          [d["http_options"]["port"], head.proxy("/echo")[0], refused(head.other_port)])

    seen = []
    threading.Timer(0.4, lambda: seen.append(summary(head, "echo"))).start()
    t0 = time.time()
    got = head.api("DELETE")
    took = time.time() - t0
    check("DELETE: 200 empty after Serve's shutdown; apps DELETING meanwhile",
          [200, "", True, "DELETING /echo UPDATING/DELETING STOPPING,STOPPING,STOPPING"],
          [got[0], got[2], took >= KNOBS["SHUTDOWN_MS"] / 1000, seen and seen[0]])
    check("after DELETE: the empty body, the proxy gone", [EMPTY, "refused"],
          [head.api("GET")[2], refused(head.serve_port)])
    check("DELETE with Serve stopped: 200 at once", [200, ""], [head.api("DELETE")[i] for i in (0, 2)])
    put(head, [echo], http_options={"port": 8001})
    poll(15, "Serve deployed again runs the echo app",
         lambda: summary(head, "echo").startswith("RUNNING"))
    check("deployed again: the new http_options hold, the proxy moved to 8001",
          [8001, [200, "echo"], "refused"],
          [head.details()["http_options"]["port"],
           [head.proxy("/echo", head.other_port)[i] for i in (0, 2)], refused(head.serve_port)])


def ray_status():
    """`ray status` on the head: its Pending Demands lines."""
    out = docker("exec", "-e", "RAY_STANDIN_CLI_DELAY_MS=0", PX + "-head", "ray", "status")
    return out.split("Pending Demands:\n", 1)[-1].splitlines()


def demand(head, head_id):
    """The unplaced GPU replica is pending demand; a node with a GPU takes it."""
    check("the unplaced replica is pending demand in the GCS (ray status's Pending Demands)",
          [" {'CPU': 1.0, 'GPU': 1.0}: 1+ pending tasks/actors"], ray_status())
    docker("run", "-d", "--init", "--network", PX + "-net", "--label", LABEL, "--name", PX + "-gpu",
           "-e", "RAY_AUTH_TOKEN=" + TOKEN, IMAGE, "ray", "start", f"--address={PX}-head:6379",
           "--num-cpus=1", "--num-gpus=1", "--block")
    a = poll(30, "a node with a GPU joins: the GPU app runs",
             lambda: summary(head, "gpu").startswith("RUNNING") and
             head.details()["applications"]["gpu"])
    nodes = json.loads(request("GET", head.ip, 8265, "/api/v0/nodes", headers=AUTH)[2])
    gpu_node = [n["node_id"] for n in nodes["data"]["result"]["result"] if not n["is_head_node"]]
    rep = a and a["deployments"]["Echo"]["replicas"][0]
    check("... its replica on the new node, the route answering, no demand left",
          [gpu_node[:1], "RUNNING", [200, "gpu"], [" (no resource demands)"]],
          rep and [[rep["node_id"]], rep["state"], [head.proxy("/gpu")[i] for i in (0, 2)],
                   ray_status()])


def waits(head, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", head.serve_port, timeout=1)
        c.request("GET", path)
        r = c.getresponse()
        return f"{r.status} {r.read().decode()}"
    except TimeoutError:
        return "timed out"
    except OSError as e:
        return "timed out" if "timed out" in str(e) else str(e)


def main():
    if subprocess.run([DOCKER, "info"], capture_output=True).returncode != 0:
        skip_or_fail("no Docker engine answers")
    r = subprocess.run([os.path.join(ROOT, "scripts", "standin-image.sh"), IMAGE],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL - scripts/standin-image.sh\n" + r.stdout + r.stderr)
        sys.exit(1)
    net = PX + "-net"
    try:
        docker("network", "create", "--label", LABEL, net)
        env = [x for k, v in KNOBS.items() for x in ("-e", f"RAY_STANDIN_SERVE_{k}={v}")]
        docker("run", "-d", "--init", "--network", net, "--label", LABEL, "--name", PX + "-head",
               "-p", "127.0.0.1::8000", "-p", "127.0.0.1::8001", *env,
               "-e", "RAY_SERVE_SLOW_STARTUP_WARNING_S=1", "-e", "RAY_AUTH_MODE=token",
               "-e", "RAY_AUTH_TOKEN=" + TOKEN, IMAGE, "ray", "start", "--head", "--block",
               "--num-cpus=3", "--num-gpus=0", "--dashboard-host=0.0.0.0")
        ip = docker("inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}',
                    PX + "-head")
        ports = [int(docker("port", PX + "-head", f"{p}/tcp").splitlines()[0].rsplit(":", 1)[1])
                 for p in (8000, 8001)]
        head = Head(ip, *ports)
        poll(30, "the head's dashboard answers",
             lambda: request("GET", ip, 8265, "/api/gcs_healthz")[0] == 200)
        nodes = json.loads(request("GET", ip, 8265, "/api/v0/nodes", headers=AUTH)[2])
        head_id = nodes["data"]["result"]["result"][0]["node_id"]
        scenario(head, head_id)
    finally:
        ids = docker("ps", "-aq", "--filter", "label=" + LABEL, ok=False).split()
        if ids:
            docker("rm", "-f", "-v", *ids, ok=False)
        docker("network", "rm", net, ok=False)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
