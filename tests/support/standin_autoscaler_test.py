"""Tests the ray stand-in's GCS autoscaler service (AutoscalerStateService
over gRPC on the head's GCS port) and the demand model behind it, on a real
Docker engine, with a Python gRPC client built from autoscaler.proto.

Run by standin_autoscaler_test.sh (which builds the image and picks a Python
with grpcio and protobuf): python3 standin_autoscaler_test.py IMAGE
Prints "ok - ..." / "FAIL - ..." lines and "N passed, M failed" last.
"""
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
DOCKER = os.environ.get("DOCKER", "docker")
IMAGE = sys.argv[1]
PX = "rsa%d-%d" % (os.getpid(), random.randint(0, 99999))
LABEL = "io.raylaunch.standin-test=" + PX
SERVICE = "/ray.rpc.autoscaler.AutoscalerStateService/"

gen = tempfile.mkdtemp()
subprocess.run(["protoc", "-I" + HERE, "--python_out=" + gen, os.path.join(HERE, "autoscaler.proto")],
               check=True)
sys.path.insert(0, gen)
import autoscaler_pb2 as pb  # noqa: E402

passed = failed = 0


def ok(what):
    global passed
    passed += 1
    print("ok - " + what, flush=True)


def bad(what, *details):
    global failed
    failed += 1
    print("FAIL - " + what, flush=True)
    for d in details:
        for line in str(d).splitlines():
            print("    " + line)


def check(what, want, got):
    if want == got:
        ok(what)
    else:
        bad(what, "want: " + json.dumps(want, sort_keys=True), "got:  " + json.dumps(got, sort_keys=True))


def poll(seconds, what, fn):
    """Calls fn until it returns something true; fails `what` past the deadline."""
    deadline = time.time() + seconds
    while True:
        try:
            got = fn()
        except Exception as e:  # not up yet
            got = None
            last = e
        else:
            last = got
        if got:
            return got
        if time.time() >= deadline:
            bad(what + " (not within %d s)" % seconds, "last: %r" % (last,))
            return None
        time.sleep(0.2)


def docker(*args, check_rc=True):
    r = subprocess.run([DOCKER, *args], capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError("docker %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.strip()


def cleanup():
    ids = docker("ps", "-aq", "--filter", "label=" + LABEL, check_rc=False).split()
    if ids:
        docker("rm", "-f", "-v", *ids, check_rc=False)
    docker("network", "rm", PX + "-net", check_rc=False)


def start(name, env, *cmd):
    args = ["run", "-d", "--init", "--network", PX + "-net", "--label", LABEL, "--name", PX + "-" + name]
    for k, v in env.items():
        args += ["-e", "%s=%s" % (k, v)]
    docker(*args, IMAGE, *cmd)
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                  PX + "-" + name)


def http(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class Gcs:
    def __init__(self, addr, token=None):
        self.channel = grpc.insecure_channel(addr)
        self.token = token

    def call(self, method, req, reply_cls, token=None):
        fn = self.channel.unary_unary(SERVICE + method, request_serializer=req.SerializeToString,
                                      response_deserializer=reply_cls.FromString)
        tok = token if token is not None else self.token
        md = [("authorization", "Bearer " + tok)] if tok else None
        return fn(req, timeout=10, metadata=md)

    def state(self, seen=0):
        r = self.call("GetClusterResourceState",
                      pb.GetClusterResourceStateRequest(last_seen_cluster_resource_state_version=seen),
                      pb.GetClusterResourceStateReply)
        return as_dict(r.cluster_resource_state)

    def drain(self, node_hex, reason, message, deadline=0):
        r = self.call("DrainNode", pb.DrainNodeRequest(node_id=bytes.fromhex(node_hex), reason=reason,
                                                       reason_message=message,
                                                       deadline_timestamp_ms=deadline),
                      pb.DrainNodeReply)
        return as_dict(r)


def as_dict(msg):
    """The message as a dict with the proto's names, node ids in hex."""
    d = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    for n in d.get("node_states", []):
        n["node_id"] = base64.b64decode(n["node_id"]).hex()
    return d


def idle_free(state):
    """The state with idle_duration_ms turned into "<IDLE>" (it grows)."""
    for n in state.get("node_states", []):
        if "idle_duration_ms" in n:
            n["idle_duration_ms"] = "<IDLE>"
    return state


def node_of(state, hex_id):
    for n in state.get("node_states", []):
        if n["node_id"] == hex_id:
            return n
    return None


def rpc_error(fn):
    try:
        fn()
    except grpc.RpcError as e:
        return [e.code().name, e.details()]
    return ["OK", None]


def main():
    docker("network", "create", "--label", LABEL, PX + "-net")
    env = {"RAY_CLOUD_INSTANCE_ID": "i-head", "RAY_NODE_TYPE_NAME": "head",
           "RAY_STANDIN_DRAIN_EXIT_MS": "3000", "RAY_STANDIN_JOB_START_MS": "0"}
    hip = start("head", env, "ray", "start", "--head", "--block", "--num-cpus=1",
                "--dashboard-host=0.0.0.0")
    dash = "http://%s:8265" % hip
    gcs = Gcs(hip + ":6379")
    if not poll(30, "the head's dashboard answers", lambda: http("GET", dash + "/api/version")):
        return
    session = http("GET", dash + "/api/version")["session_name"]
    nodes = http("GET", dash + "/api/v0/nodes?detail=1")["data"]["result"]["result"]
    head = nodes[0]
    hid = head["node_id"]
    res = head["resources_total"]

    # --- one idle head ---------------------------------------------------
    s = idle_free(gcs.state())
    want_head = {"node_id": hid, "instance_id": "i-head", "ray_node_type_name": "head",
                 "available_resources": res, "total_resources": res, "node_state_version": "1",
                 "status": "IDLE", "idle_duration_ms": "<IDLE>", "node_ip_address": hip,
                 "labels": {"ray.io/node-id": hid}}
    check("GetClusterResourceState: the head alone, IDLE, version 1, whole reply",
          {"cluster_resource_state_version": "1", "node_states": [want_head],
           "cluster_session_name": session}, s)
    check("... its total resources are the nodes API's, with node:__internal_head__",
          [1.0, 1.0], [res.get("node:__internal_head__"), res.get("node:" + hip)])
    s2 = gcs.state()
    check("the version counter goes up on every Get, in every node_state_version",
          ["2", "2"], [s2["cluster_resource_state_version"], s2["node_states"][0]["node_state_version"]])
    i1 = int(node_of(gcs.state(), hid)["idle_duration_ms"])
    time.sleep(0.3)  # idle_duration_ms must grow between two reads
    i2 = int(node_of(gcs.state(), hid)["idle_duration_ms"])
    check("idle_duration_ms grows while the head is idle", True, i2 >= i1 + 300)

    # --- a job no node can hold: PENDING, pending demand ------------------
    http("POST", dash + "/api/jobs/", {"entrypoint": "while [ ! -f /tmp/go ]; do sleep 0.1; done",
                                       "submission_id": "gpu-1", "entrypoint_num_gpus": 1})
    job = http("GET", dash + "/api/jobs/gpu-1")
    check("a job wanting a GPU no node has is PENDING, waiting for resources",
          ["PENDING", "Job has not started yet. It may be waiting for resources (CPUs, GPUs, memory, "
                      "custom resources) to become available."], [job["status"], job["message"]])
    s = gcs.state()
    check("... and is pending demand: one {GPU: 1} request",
          [{"request": {"resources_bundle": {"GPU": 1.0}}, "count": "1"}],
          s.get("pending_resource_requests"))
    st = docker("exec", "-e", "RAY_STANDIN_CLI_DELAY_MS=0", PX + "-head", "ray", "status")
    check("ray status lists it under Pending Demands",
          "Pending Demands:\n {'GPU': 1.0}: 1+ pending tasks/actors", st[st.index("Pending Demands:"):])

    wenv = {"RAY_CLOUD_INSTANCE_ID": "i-gpu-1", "RAY_NODE_TYPE_NAME": "gpu-group"}
    w1ip = start("w1", wenv, "ray", "start", "--address=%s:6379" % hip, "--block", "--num-cpus=1",
                 "--num-gpus=1")
    s = poll(30, "a worker with a GPU joins and takes the job",
             lambda: (lambda s: s if len(s["node_states"]) == 2 and not s.get("pending_resource_requests")
                      else None)(gcs.state()))
    if not s:
        return
    w1 = [n for n in s["node_states"] if n["node_id"] != hid][0]
    w1id = w1["node_id"]
    w1res = http("GET", dash + "/api/v0/nodes?detail=1&filter_keys=node_id&filter_predicates=%3D&"
                 "filter_values=" + w1id)["data"]["result"]["result"][0]["resources_total"]
    check("the worker is RUNNING with the job's GPU taken, its instance id and type from its env",
          {"node_id": w1id, "instance_id": "i-gpu-1", "ray_node_type_name": "gpu-group",
           "available_resources": dict(w1res, GPU=0.0), "total_resources": w1res,
           "node_state_version": s["cluster_resource_state_version"], "status": "RUNNING",
           "node_ip_address": w1ip, "labels": {"ray.io/node-id": w1id}}, w1)
    job = poll(10, "the job runs", lambda: (lambda j: j if j["status"] == "RUNNING" else None)(
        http("GET", dash + "/api/jobs/gpu-1")))
    check("... the job is RUNNING, its driver on that node", [w1id, "http://%s:52365" % w1ip],
          [job and job["driver_node_id"], job and job["driver_agent_http_address"]])

    check("DrainNode IDLE_TERMINATION of the busy worker: refused, with Ray's words",
          {"rejection_reason_message": "The node to be idle terminated is no longer idle."},
          gcs.drain(w1id, 1, "idle"))
    docker("exec", PX + "-head", "sh", "-c", ": >/tmp/go")
    poll(10, "the job succeeds", lambda: http("GET", dash + "/api/jobs/gpu-1")["status"] == "SUCCEEDED")
    s = gcs.state()
    check("the claim is released: the GPU is back, no pending demand",
          [1.0, None], [node_of(s, w1id)["available_resources"].get("GPU"), s.get("pending_resource_requests")])
    poll(10, "the worker turns IDLE about 1 s after its job ended",
         lambda: node_of(gcs.state(), w1id)["status"] == "IDLE")

    # --- DrainNode --------------------------------------------------------
    check("DrainNode with a negative deadline: non-OK, Ray's message",
          ["ABORTED", "Draining deadline must be non-negative, received -1"],
          rpc_error(lambda: gcs.drain(w1id, 1, "x", -1)))
    check("DrainNode of an unknown node: accepted", {"is_accepted": True}, gcs.drain("ab" * 28, 1, "x"))
    check("DrainNode IDLE_TERMINATION of the idle worker: accepted", {"is_accepted": True},
          gcs.drain(w1id, 1, "idle for 5 s"))
    check("... it is DRAINING from the next snapshot", "DRAINING", node_of(gcs.state(), w1id)["status"])
    http("POST", dash + "/api/jobs/", {"entrypoint": "true", "submission_id": "gpu-2",
                                       "entrypoint_num_gpus": 1})
    check("... no new claim goes on a draining node", "PENDING",
          http("GET", dash + "/api/jobs/gpu-2")["status"])
    s = poll(20, "the drained worker's raylet exits and the node is DEAD",
             lambda: (lambda s: s if node_of(s, w1id)["status"] == "DEAD" else None)(gcs.state()))
    if s:
        check("a DEAD node carries only its id, instance id, type, ip and status, after the alive head",
              [{"node_id": w1id, "instance_id": "i-gpu-1", "ray_node_type_name": "gpu-group",
                "node_state_version": s["cluster_resource_state_version"], "status": "DEAD",
                "node_ip_address": w1ip}, "IDLE"],
              [s["node_states"][-1], s["node_states"][0]["status"]])
    n = http("GET", dash + "/api/v0/nodes?filter_keys=node_id&filter_predicates=%3D&filter_values=" + w1id)
    n = n["data"]["result"]["result"][0]
    check("the nodes API: DEAD with the drain's reason", ["DEAD", "Terminated due to idle (no Ray activity): idle for 5 s"],
          [n["state"], n["state_message"]])
    poll(20, "the worker's `ray start --block` exits, status 0",
         lambda: docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", PX + "-w1") == "exited 0")
    check("DrainNode of a dead node: accepted", {"is_accepted": True}, gcs.drain(w1id, 2, "x"))
    http("POST", dash + "/api/jobs/gpu-2/stop")

    # --- a STRICT_SPREAD placement group of 3: one gang until 3 nodes -------
    pg = http("POST", dash + "/api/standin/placement_groups",
              {"bundles": [{"CPU": 1}] * 3, "strategy": "STRICT_SPREAD", "name": "spread3"})["placement_group_id"]
    rr = {"resources_bundle": {"CPU": 1.0},
          "placement_constraints": [{"anti_affinity": {"label_name": "_PG_" + pg}}]}
    want_gang = [{"requests": [rr] * 3, "details": pg + ":STRICT_SPREAD|PENDING",
                  "bundle_selectors": [{"resource_requests": [rr] * 3}]}]
    check("a STRICT_SPREAD group of 3 bundles is one pending gang request",
          want_gang, gcs.state().get("pending_gang_resource_requests"))
    st = docker("exec", "-e", "RAY_STANDIN_CLI_DELAY_MS=0", PX + "-head", "ray", "status")
    check("ray status lists the pending group",
          "Pending Demands:\n {'CPU': 1.0} * 3 (STRICT_SPREAD): 1+ pending placement groups",
          st[st.index("Pending Demands:"):])
    start("w2", {"RAY_CLOUD_INSTANCE_ID": "i-cpu-2", "RAY_NODE_TYPE_NAME": "cpu"}, "ray", "start",
          "--address=%s:6379" % hip, "--block", "--num-cpus=1")
    poll(30, "a second worker joins", lambda: len([n for n in gcs.state()["node_states"]
                                                     if n["status"] != "DEAD"]) == 2)
    check("... with 2 nodes the gang is still pending, whole", want_gang,
          gcs.state().get("pending_gang_resource_requests"))
    start("w3", {"RAY_CLOUD_INSTANCE_ID": "i-cpu-3", "RAY_NODE_TYPE_NAME": "cpu"}, "ray", "start",
          "--address=%s:6379" % hip, "--block", "--num-cpus=1")
    s = poll(30, "a third worker joins and the group is placed",
             lambda: (lambda s: s if not s.get("pending_gang_resource_requests") else None)(gcs.state()))
    if s:
        alive = [n for n in s["node_states"] if n["status"] != "DEAD"]
        check("... one bundle on each of the 3 nodes: RUNNING, CPU 0 left, _PG_ label",
              [["RUNNING", 0.0, {"_PG_" + pg: ""}]] * 3,
              [[n["status"], n["available_resources"]["CPU"], n.get("dynamic_labels")] for n in alive])
    groups = http("GET", dash + "/api/standin/placement_groups")["placement_groups"]
    check("... GET /api/standin/placement_groups: CREATED on 3 distinct nodes", ["CREATED", 3],
          [groups[0]["state"], len({b["node_id"] for b in groups[0]["bundles"]})])
    http("DELETE", dash + "/api/standin/placement_groups/" + pg)
    check("removing it frees the CPUs", [1.0] * 3,
          [n["available_resources"]["CPU"] for n in gcs.state()["node_states"] if n["status"] != "DEAD"])

    # --- request_resources, autoscaler reports -----------------------------
    c = pb.ClusterResourceConstraint(resource_requests=[pb.ResourceRequestByCount(
        request=pb.ResourceRequest(resources_bundle={"CPU": 4}), count=2)])
    gcs.call("RequestClusterResourceConstraint",
             pb.RequestClusterResourceConstraintRequest(cluster_resource_constraint=c),
             pb.RequestClusterResourceConstraintReply)
    check("RequestClusterResourceConstraint: the constraint is in the state",
          [{"resource_requests": [{"request": {"resources_bundle": {"CPU": 4.0}}, "count": "2"}]}],
          gcs.state().get("cluster_resource_constraints"))
    st = docker("exec", "-e", "RAY_STANDIN_CLI_DELAY_MS=0", PX + "-head", "ray", "status")
    check("ray status lists it under From request_resources",
          "From request_resources:\n {'CPU': 4.0}: 2 from request_resources()\nPending Demands:",
          st[st.index("From request_resources:"):st.index("Pending Demands:") + 16])
    gcs.call("RequestClusterResourceConstraint", pb.RequestClusterResourceConstraintRequest(
        cluster_resource_constraint=pb.ClusterResourceConstraint()), pb.RequestClusterResourceConstraintReply)
    check("... an empty one clears it", None, gcs.state().get("cluster_resource_constraints"))
    for v in (5, 3):
        gcs.call("ReportAutoscalingState", pb.ReportAutoscalingStateRequest(
            autoscaling_state=pb.AutoscalingState(autoscaler_state_version=v,
                                                  pending_instances=[pb.PendingInstance(instance_id="i-%d" % v)])),
            pb.ReportAutoscalingStateReply)
    r = as_dict(gcs.call("GetClusterStatus", pb.GetClusterStatusRequest(), pb.GetClusterStatusReply))
    check("ReportAutoscalingState keeps the highest version; GetClusterStatus returns it",
          [{"autoscaler_state_version": "5", "pending_instances": [{"instance_id": "i-5"}]}, "5"],
          [r.get("autoscaling_state"), r["cluster_resource_state"].get("last_seen_autoscaler_state_version")])

    gcs.call("ReportClusterConfig", pb.ReportClusterConfigRequest(cluster_config=pb.ClusterConfig(
        node_group_configs=[pb.NodeGroupConfig(name="cpu", max_count=-1, resources={"CPU": 1})])),
        pb.ReportClusterConfigReply)
    check("ReportClusterConfig: stored, shown by GET /api/standin/autoscaler",
          {"node_group_configs": [{"resources": {"CPU": "1"}, "max_count": -1, "name": "cpu"}]},
          http("GET", dash + "/api/standin/autoscaler")["cluster_config"])

    # --- injected failures: DrainNode is safe to retry ----------------------
    http("POST", dash + "/api/standin/autoscaler/failures", {"method": "DrainNode", "code": 14})
    http("POST", dash + "/api/standin/autoscaler/failures", {"method": "GetClusterResourceState",
                                                             "code": 4, "count": 2})
    check("an injected UNAVAILABLE on DrainNode, then the retry is answered",
          [["UNAVAILABLE", "stand-in: an injected failure"], ["OK", None]],
          [rpc_error(lambda: gcs.drain("ab" * 28, 2, "x")), rpc_error(lambda: gcs.drain("ab" * 28, 2, "x"))])
    check("DEADLINE_EXCEEDED twice on GetClusterResourceState, then OK",
          ["DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED", "OK"], [rpc_error(gcs.state)[0] for _ in range(3)])

    # --- a version above the counter crashes the GCS ----------------------
    v = int(gcs.state()["cluster_resource_state_version"])
    check("a request version above the counter: the GCS crashes (UNAVAILABLE)", "UNAVAILABLE",
          rpc_error(lambda: gcs.state(seen=v + 100))[0])
    dbg = http("GET", dash + "/api/standin/autoscaler")
    check("... GET /api/standin/autoscaler says so",
          [True, False, "Check failed: request.last_seen_cluster_resource_state_version() <= "
                        "last_cluster_resource_state_version_ (%d vs. %d)" % (v + 100, v)],
          [dbg["crashed"], dbg["grpc_service"], dbg["crash_message"]])
    check("... and the service stays down", "UNAVAILABLE", rpc_error(lambda: Gcs(hip + ":6379").state())[0])

    # --- token auth --------------------------------------------------------
    tok = "tok-%d" % random.randint(0, 10 ** 9)
    tip = start("thead", {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": tok, "RAY_STANDIN_GCS_OLD": "1"},
                "ray", "start", "--head", "--block", "--num-cpus=1")
    t = Gcs(tip + ":6379")
    poll(30, "the token head's GCS answers with the token",
         lambda: t.call("GetClusterResourceState", pb.GetClusterResourceStateRequest(),
                        pb.GetClusterResourceStateReply, token=tok))
    check("token mode: an RPC without the token is UNAUTHENTICATED", "UNAUTHENTICATED",
          rpc_error(lambda: t.state())[0])
    check("... with a wrong token too", "UNAUTHENTICATED",
          rpc_error(lambda: t.call("DrainNode", pb.DrainNodeRequest(), pb.DrainNodeReply, token="nope"))[0])
    check("... with `authorization: Bearer <token>` it answers", "OK",
          rpc_error(lambda: Gcs(tip + ":6379", tok).state())[0])
    told = Gcs(tip + ":6379", tok)
    check("RAY_STANDIN_GCS_OLD=1: ReportClusterConfig is UNIMPLEMENTED, nodes have no labels",
          ["UNIMPLEMENTED", None],
          [rpc_error(lambda: told.call("ReportClusterConfig", pb.ReportClusterConfigRequest(),
                                       pb.ReportClusterConfigReply))[0],
           told.state()["node_states"][0].get("labels")])


try:
    main()
except Exception as e:  # a step the rest depends on broke
    import traceback
    bad("the test ran to its end", traceback.format_exc())
finally:
    cleanup()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
