// raylaunch autoscale's decisions (autoscale/decide.cpp) and how `up`'s
// reconcile treats autoscaled groups: whole decision texts, no Docker, no Ray.
#include <gtest/gtest.h>

#include <raylaunch/autoscale/decide.hpp>
#include <raylaunch/plan/reconcile.hpp>

#include "support/load_helpers.hpp"
#include "support/observed.hpp"

namespace raylaunch {
namespace {

using namespace std::chrono_literals;

const char* k_spec =
    "name: demo\nimage: ray:1\nhead:\n  num_cpus: 0\nworkers:\n"
    "  - group: cpu\n    num_cpus: 2\n    min_replicas: 0\n    max_replicas: 3\n"
    "    idle_timeout: 5s\n";

const char* k_two_groups =
    "name: demo\nimage: ray:1\ngpus: [0, 1]\nhead:\n  num_cpus: 0\nworkers:\n"
    "  - group: cpu\n    num_cpus: 2\n    max_replicas: 10\n"
    "  - group: gpu\n    num_cpus: 8\n    gpus: 1\n    max_replicas: 2\n";

GcsNode node(const std::string& instance, const std::string& group, RayNodeStatus status,
             ResourceShape total, ResourceShape available, int64_t idle_ms = 0) {
  GcsNode n;
  n.node_id = instance + "-id";
  n.instance_id = instance;
  n.type_name = group;
  n.status = status;
  n.idle_ms = idle_ms;
  n.total = std::move(total);
  n.available = std::move(available);
  return n;
}

GcsNode head() {
  GcsNode h = node("", "", RayNodeStatus::idle, {{"node:__internal_head__", 1}}, {}, 1000);
  h.head = true;
  return h;
}

std::string text_of(const ScaleDecision& decision) {
  std::string out;
  for (const std::string& line : decision.lines()) {
    out += line + "\n";
  }
  return out;
}

std::string decided(const Plan& plan, const ScaleInput& base) {
  ScaleInput input = base;
  input.plan = &plan;
  return text_of(decide_scaling(input));
}

ScaleInput empty_cluster() {
  ScaleInput input;
  input.now = ScaleClock::time_point(std::chrono::hours(1000));
  input.ray.nodes = {head()};
  return input;
}

TEST(AutoscaleDecide, ThreeJobsOfTwoCpusBringUpThreeWorkers) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 2}}, 3}};
  EXPECT_EQ(decided(plan, input),
            "launch 3 x cpu (replica 1, 2, 3): pending 3 x {\"CPU\": 2}\n");
}

TEST(AutoscaleDecide, AFourthJobWaitsAtMaxReplicas) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 2}}, 4}};
  EXPECT_EQ(decided(plan, input),
            "launch 3 x cpu (replica 1, 2, 3): pending 4 x {\"CPU\": 2}\n"
            "waiting: 1 x {\"CPU\": 2}: group cpu is at max_replicas 3\n");
}

TEST(AutoscaleDecide, ContainersNotYetInRayCountAsCapacity) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 2}}, 2}};
  input.containers = {{"demo-cpu-1", "cpu", 1, true}, {"demo-cpu-2", "cpu", 2, true}};
  EXPECT_EQ(decided(plan, input), "");
}

TEST(AutoscaleDecide, DemandNoGroupCanHoldLaunchesNothing) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 64}}, 1}};
  EXPECT_EQ(decided(plan, input),
            "infeasible: 1 x {\"CPU\": 64}: no worker group's replica can hold it\n");
}

TEST(AutoscaleDecide, AStrictSpreadGroupGetsDistinctWorkers) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  GangDemand gang;
  gang.strategy = GangDemand::Strategy::strict_spread;
  gang.label = "_PG_ab";
  gang.bundles = {{{"CPU", 1}}, {{"CPU", 1}}, {{"CPU", 1}}};
  input.ray.gangs = {gang};
  EXPECT_EQ(decided(plan, input),
            "launch 3 x cpu (replica 1, 2, 3): placement group STRICT_SPREAD of 3 bundles\n");
}

TEST(AutoscaleDecide, AGangThatCannotWholeLaunchesNone) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  GangDemand gang;
  gang.strategy = GangDemand::Strategy::strict_spread;
  gang.bundles = {{{"CPU", 1}}, {{"CPU", 1}}, {{"CPU", 1}}, {{"CPU", 1}}};
  input.ray.gangs = {gang};
  EXPECT_EQ(decided(plan, input),
            "waiting: placement group STRICT_SPREAD of 4 bundles: group cpu is at max_replicas "
            "3\n");
}

TEST(AutoscaleDecide, NoGpuWorkerForWorkWithoutGpus) {
  Plan plan = test::plan_text(k_two_groups);
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 4}}, 1}, {{{"CPU", 1}}, 1}, {{{"CPU", 1}, {"GPU", 1}}, 1}};
  EXPECT_EQ(decided(plan, input),
            "launch 1 x gpu (replica 1): pending 1 x {\"CPU\": 1, \"GPU\": 1}\n"
            "launch 1 x cpu (replica 1): pending 1 x {\"CPU\": 1}\n"
            "infeasible: 1 x {\"CPU\": 4}: no worker group's replica can hold it\n");
}

// request_resources is held against the cluster as if empty: a busy
// worker counts toward it, and the new replica takes the pending request.
TEST(AutoscaleDecide, RequestResourcesCountsBusyNodesAndLaunchesTheRest) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  ResourceShape two = {{"CPU", 2}};
  input.ray.nodes.push_back(node("demo-cpu-1", "cpu", RayNodeStatus::running, two, {}));
  input.containers = {{"demo-cpu-1", "cpu", 1, true}};
  input.ray.constraint = {{two, 2}};
  input.ray.pending = {{two, 1}};
  EXPECT_EQ(decided(plan, input),
            "launch 1 x cpu (replica 2): request_resources asks for more than the cluster has\n");
}

TEST(AutoscaleDecide, RequestResourcesPastMaxWaits) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.ray.constraint = {{{{"CPU", 2}}, 4}};
  EXPECT_EQ(decided(plan, input),
            "launch 3 x cpu (replica 1, 2, 3): request_resources asks for more than the cluster "
            "has\n"
            "waiting: 1 x {\"CPU\": 2} (request_resources): group cpu is at max_replicas 3\n");
}

// Ray's memory resource (bytes) of a group with no replica yet: at most its
// container's memory limit, else the machine's memory.
TEST(AutoscaleDecide, MemoryRequestsAreHeldAgainstTheLimitOrTheMachine) {
  Plan plan = test::plan_text(
      "name: demo\nimage: ray:1\nhead:\n  num_cpus: 0\nworkers:\n"
      "  - group: small\n    num_cpus: 2\n    memory: 4g\n    max_replicas: 2\n");
  ScaleInput input = empty_cluster();
  input.machine_memory = 64e9;
  input.ray.pending = {{{{"CPU", 1}, {"memory", 2e9}}, 1}, {{{"memory", 8e9}}, 1}};
  EXPECT_EQ(decided(plan, input),
            "launch 1 x small (replica 1): pending 1 x {\"CPU\": 1, \"memory\": 2000000000}\n"
            "infeasible: 1 x {\"memory\": 8000000000}: no worker group's replica can hold it\n");
  Plan unlimited = test::plan_text(k_spec);
  input.ray.pending = {{{{"memory", 8e9}}, 1}};
  EXPECT_EQ(decided(unlimited, input),
            "launch 1 x cpu (replica 1): pending 1 x {\"memory\": 8000000000}\n");
}

TEST(AutoscaleDecide, UpscalingSpeedLimitsOneRound) {
  Plan plan = test::plan_text(k_two_groups);
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 2}}, 8}};
  EXPECT_EQ(decided(plan, input),
            "launch 5 x cpu (replica 1, 2, 3, 4, 5): pending 8 x {\"CPU\": 2}\n"
            "waiting: 3 x {\"CPU\": 2}: group cpu launches at most 5 at once (upscaling_speed)\n");
}

TEST(AutoscaleDecide, DrainsIdleWorkersAboveMinHighestFirst) {
  Plan plan = test::plan_text(k_spec);
  plan.scaling["cpu"].min = 1;
  ScaleInput input = empty_cluster();
  ResourceShape two = {{"CPU", 2}};
  input.ray.nodes.push_back(node("demo-cpu-1", "cpu", RayNodeStatus::idle, two, two, 9000));
  input.ray.nodes.push_back(node("demo-cpu-2", "cpu", RayNodeStatus::idle, two, two, 9000));
  input.ray.nodes.push_back(node("demo-cpu-3", "cpu", RayNodeStatus::running, two, {}, 0));
  input.containers = {{"demo-cpu-1", "cpu", 1, true},
                      {"demo-cpu-2", "cpu", 2, true},
                      {"demo-cpu-3", "cpu", 3, true}};
  EXPECT_EQ(decided(plan, input),
            "drain demo-cpu-2: idle for 9s, past idle_timeout 5s\n"
            "drain demo-cpu-1: idle for 9s, past idle_timeout 5s\n");
  plan.scaling["cpu"].min = 2;
  EXPECT_EQ(decided(plan, input), "drain demo-cpu-2: idle for 9s, past idle_timeout 5s\n");
}

TEST(AutoscaleDecide, ABusyOrYoungIdleWorkerStays) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  ResourceShape two = {{"CPU", 2}};
  input.ray.nodes.push_back(node("demo-cpu-1", "cpu", RayNodeStatus::running, two, {}, 0));
  input.ray.nodes.push_back(node("demo-cpu-2", "cpu", RayNodeStatus::idle, two, two, 4000));
  input.containers = {{"demo-cpu-1", "cpu", 1, true}, {"demo-cpu-2", "cpu", 2, true}};
  EXPECT_EQ(decided(plan, input), "");
}

TEST(AutoscaleDecide, AnIdleWorkerPendingDemandFitsIsKept) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  ResourceShape two = {{"CPU", 2}};
  input.ray.nodes.push_back(node("demo-cpu-1", "cpu", RayNodeStatus::idle, two, two, 9000));
  input.containers = {{"demo-cpu-1", "cpu", 1, true}};
  input.ray.pending = {{{{"CPU", 2}}, 1}};
  EXPECT_EQ(decided(plan, input), "");
}

TEST(AutoscaleDecide, AReplicaThatNeverJoinsIsReplacedWithBackoff) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.containers = {{"demo-cpu-1", "cpu", 1, true}};
  input.memory.unregistered_since["demo-cpu-1"] = input.now - 200s;
  input.ray.pending = {{{{"CPU", 2}}, 1}};
  input.plan = &plan;
  ScaleDecision decision = decide_scaling(input);
  EXPECT_EQ(text_of(decision),
            "remove demo-cpu-1: it has not joined Ray in 200s; the group waits 10s before it "
            "launches again\n"
            "waiting: 1 x {\"CPU\": 2}: group cpu backs off after replicas that never joined "
            "Ray\n");
  EXPECT_EQ(decision.memory.launch_after.at("cpu"), input.now + 10s);
}

TEST(AutoscaleDecide, ExitedContainersAreRemovedAndMinIsKept) {
  Plan plan = test::plan_text(k_spec);
  plan.scaling["cpu"].min = 1;
  ScaleInput input = empty_cluster();
  input.containers = {{"demo-cpu-1", "cpu", 1, false}};
  EXPECT_EQ(decided(plan, input),
            "remove demo-cpu-1: its container is not running\n"
            "launch 1 x cpu (replica 2): below min_replicas 1\n");
}

TEST(AutoscaleDecide, IdleDownOnlyWithoutWork) {
  Plan plan = test::plan_text(k_spec);
  ScaleInput input = empty_cluster();
  input.ray.nodes.front().idle_ms = 12000;
  input.idle_down = 10s;
  EXPECT_EQ(decided(plan, input),
            "down: no job, driver or demand, and every node idle for 12s (idle_down 10s)\n");
  input.work_outside_ray = true;
  EXPECT_EQ(decided(plan, input), "");
  input.work_outside_ray = false;
  input.ray.nodes.front().idle_ms = 8000;
  EXPECT_EQ(decided(plan, input), "");
}

TEST(AutoscaleDecide, NoReplicaIsLaunchedOnAHostThatDoesNotAnswer) {
  Plan plan = test::plan_text(
      "name: demo\nimage: ray:1\nhosts:\n  a: {address: 10.0.0.1}\n"
      "  b: {address: 10.0.0.2, docker: 'ssh://ray@10.0.0.2'}\n"
      "head:\n  num_cpus: 0\n  host: a\nworkers:\n  - group: cpu\n    num_cpus: 2\n"
      "    max_replicas: 4\n    hosts: [a, b]\n");
  ScaleInput input = empty_cluster();
  input.ray.pending = {{{{"CPU", 2}}, 3}};
  input.unreachable_hosts = {"b"};
  EXPECT_EQ(decided(plan, input),
            "launch 2 x cpu (replica 1, 3): pending 3 x {\"CPU\": 2}\n"
            "waiting: 1 x {\"CPU\": 2}: group cpu has no replica left on a host that answers\n");
}

// up keeps what the autoscaler made: replicas when the cluster is new, then
// what runs, raised to min_replicas.
TEST(AutoscaleReconcile, UpStartsReplicasThenKeepsWhatRuns) {
  Plan plan = test::plan_text(
      "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 1\n"
      "    min_replicas: 1\n    max_replicas: 3\n");
  EXPECT_EQ(actions_to_text(reconcile(plan, {})),
            "create network demo_net (missing)\n"
            "create demo-head (missing)\n"
            "create demo-cpu-1 (missing)\n");
  // The autoscaler removed replica 1 and made 2 and 3: up keeps them.
  ObservedState observed;
  observed.network_ids[""] = "net-1";
  for (const PlannedContainer& c : plan.containers) {
    if (c.replica == 1 && c.role == "worker") {
      continue;
    }
    observed.containers.push_back(test::seen(c));
  }
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\n"
            "keep demo-cpu-2 (running)\n"
            "keep demo-cpu-3 (running)\n");
  EXPECT_EQ(in_play(plan, reconcile(plan, observed)).containers.size(), 3u);
  // Only the head left (the autoscaler removed every worker): min_replicas
  // brings one back, and says so.
  ObservedState head_only = observed;
  std::erase_if(head_only.containers,
                [](const ObservedContainer& o) { return o.role == "worker"; });
  EXPECT_EQ(actions_to_text(reconcile(plan, head_only)),
            "keep demo-head (running)\n"
            "create demo-cpu-1 (below min_replicas)\n");
  // The autoscaler asks for replica 1 back: exactly that one is made.
  for (PlannedContainer& c : plan.containers) {
    c.optional = c.optional && c.name != "demo-cpu-1";
  }
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\n"
            "create demo-cpu-1 (missing)\n"
            "keep demo-cpu-2 (running)\n"
            "keep demo-cpu-3 (running)\n");
}

TEST(AutoscaleReconcile, ALaunchToKeepMinIsTheOnlyOneMade) {
  Plan plan = test::plan_text(
      "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 1\n"
      "    min_replicas: 1\n    max_replicas: 3\n");
  ObservedState observed;
  observed.network_ids[""] = "net-1";
  observed.containers.push_back(test::seen(plan.containers.front()));
  plan.containers[1].optional = false;  // the autoscaler launches replica 1
  EXPECT_EQ(actions_to_text(reconcile(plan, observed)),
            "keep demo-head (running)\n"
            "create demo-cpu-1 (missing)\n");
}

}  // namespace
}  // namespace raylaunch
