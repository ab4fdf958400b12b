#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

using test::plan_text;

const char* k_two_groups = R"(name: demo
image: ray:2.52.1
gpus: [0, 1, 2, 3]
head:
  num_cpus: 0
workers:
  - group: cpu
    replicas: 2
    num_cpus: 4
    memory: 8g
  - group: gpu
    replicas: 2
    gpus: 2
    resources: {accelerator_a10: 1}
    ray_labels: {zone: b, tier: gpu}
)";

TEST(Planner, ExpandsReplicasAfterTheHeadWithDistinctGpus) {
  Plan plan = plan_text(k_two_groups);
  EXPECT_EQ(plan.to_text(),
            "demo-head  image=ray:2.52.1  gpus=-  "
            "ports=127.0.0.1:6379->6379,127.0.0.1:8265->8265,127.0.0.1:10001->10001  "
            "shm=2147483648  ray start --block --dashboard-host=0.0.0.0 --dashboard-port=8265 "
            "--head --node-name=demo-head --num-cpus=0 --num-gpus=0 --port=6379 "
            "--ray-client-server-port=10001\n"
            "demo-cpu-1  image=ray:2.52.1  gpus=-  ports=-  shm=2835349504  ray start "
            "--address=demo-head:6379 --block --node-name=demo-cpu-1 --num-cpus=4 --num-gpus=0\n"
            "demo-cpu-2  image=ray:2.52.1  gpus=-  ports=-  shm=2835349504  ray start "
            "--address=demo-head:6379 --block --node-name=demo-cpu-2 --num-cpus=4 --num-gpus=0\n"
            "demo-gpu-1  image=ray:2.52.1  gpus=0,1  ports=-  shm=2147483648  ray start "
            "--address=demo-head:6379 --block --labels=tier=gpu,zone=b --node-name=demo-gpu-1 "
            "--num-gpus=2 --resources={\"accelerator_a10\": 1}\n"
            "demo-gpu-2  image=ray:2.52.1  gpus=2,3  ports=-  shm=2147483648  ray start "
            "--address=demo-head:6379 --block --labels=tier=gpu,zone=b --node-name=demo-gpu-2 "
            "--num-gpus=2 --resources={\"accelerator_a10\": 1}\n");
}

// On one bridge network the host side of a head port is free; inside, Ray
// listens outside its worker port range (10002-19999), on its default when
// the published number lies in it, and workers join that port.
TEST(Planner, HeadPortsInTheWorkerRangeListenOnRaysDefaultsInside) {
  Plan plan = plan_text(
      "name: demo\nimage: ray:1\nhead:\n"
      "  ports: {gcs: 16379, dashboard: 18265, client: 10501, serve: 18000}\n"
      "workers:\n  - group: cpu\n");
  EXPECT_EQ(plan.to_text(),
            "demo-head  image=ray:1  gpus=-  ports=127.0.0.1:16379->6379,127.0.0.1:18265->8265,"
            "127.0.0.1:10501->10001,127.0.0.1:18000->8000  shm=2147483648  ray start --block "
            "--dashboard-host=0.0.0.0 --dashboard-port=8265 --head --node-name=demo-head "
            "--num-gpus=0 --port=6379 --ray-client-server-port=10001\n"
            "demo-cpu-1  image=ray:1  gpus=-  ports=-  shm=2147483648  ray start "
            "--address=demo-head:6379 --block --node-name=demo-cpu-1 --num-gpus=0\n");
  EXPECT_EQ(plan.gcs_address, "demo-head:6379");
  // raylaunch reaches the dashboard where it is published.
  EXPECT_EQ(plan.containers[0].labels.at("io.raylaunch.dashboard"), "http://127.0.0.1:18265");
}

// A number Ray takes inside stays the same inside (seed 000's 6380), and so
// does one outside a worker range the head's ray_args move.
TEST(Planner, HeadPortsOutsideTheWorkerRangeKeepTheirNumberInside) {
  Plan plan = plan_text(
      "name: demo\nimage: ray:1\nhead:\n  ports: {gcs: 6380, dashboard: 18265}\n"
      "  ray_args: {min-worker-port: 20000, max-worker-port: 20999}\n");
  EXPECT_EQ(plan.to_text(),
            "demo-head  image=ray:1  gpus=-  ports=127.0.0.1:6380->6380,127.0.0.1:18265->18265,"
            "127.0.0.1:10001->10001  shm=2147483648  ray start --block "
            "--dashboard-host=0.0.0.0 --dashboard-port=18265 --head --max-worker-port=20999 "
            "--min-worker-port=20000 --node-name=demo-head --num-gpus=0 --port=6380 "
            "--ray-client-server-port=10001\n");
}

// Host networking translates nothing: the pinned worker range keeps the
// head's ports clear of it.
TEST(Planner, HostNetworkingKeepsHeadPortsAsWritten) {
  Plan plan = plan_text(
      "name: h\nimage: ray:1\nnetwork: {mode: host}\nhead:\n  ports: {gcs: 16379}\n");
  EXPECT_NE(plan.to_text().find("--port=16379"), std::string::npos) << plan.to_text();
  EXPECT_EQ(plan.gcs_address, "127.0.0.1:16379");
}

// Host networking: groups take turns at the blocks, so scaling `cpu` leaves
// `solo-1` where it was, and its config hash unchanged (issue 24).
TEST(Planner, ScalingOneGroupNeverMovesAnotherGroupsBlock) {
  auto spec = [](int cpus) {
    return fmt::format(
        "name: h\nimage: ray:1\nnetwork: {{mode: host, worker_ports: 10}}\n"
        "workers:\n  - group: cpu\n    replicas: {}\n  - group: solo\n    replicas: 1\n",
        cpus);
  };
  auto blocks = [](const Plan& plan) {
    std::string out;
    for (const PlannedContainer& c : plan.containers) {
      for (const std::string& arg : c.command) {
        if (arg.rfind("--node-manager-port=", 0) == 0) {
          out += c.name + "=" + arg.substr(20) + " ";
        }
      }
    }
    return out;
  };
  Plan three = plan_text(spec(3));
  Plan four = plan_text(spec(4));
  // Blocks of 20 ports from 20000: head 0, cpu-1 1, solo-1 2, cpu-2 3, cpu-3 5, cpu-4 7.
  EXPECT_EQ(blocks(three), "h-head=20000 h-cpu-1=20020 h-cpu-2=20060 h-cpu-3=20100 h-solo-1=20040 ");
  EXPECT_EQ(blocks(four),
            "h-head=20000 h-cpu-1=20020 h-cpu-2=20060 h-cpu-3=20100 h-cpu-4=20140 h-solo-1=20040 ");
  EXPECT_EQ(three.containers.back().config_hash, four.containers.back().config_hash);
}

TEST(Planner, LabelsEveryContainerForDownAndStatus) {
  Plan plan = plan_text(k_two_groups);
  const PlannedContainer& worker = plan.containers[4];
  EXPECT_EQ(worker.labels, (std::map<std::string, std::string>{
                               {"io.raylaunch.config-hash", worker.config_hash},
                               {"io.raylaunch.gpus", "2,3"},
                               {"io.raylaunch.group", "gpu"},
                               {"io.raylaunch.project", "demo"},
                               {"io.raylaunch.replica", "2"},
                               {"io.raylaunch.role", "worker"},
                               {"io.raylaunch.version", "0.1.0"}}));
  EXPECT_EQ(worker.env, (std::map<std::string, std::string>{{"RAYLAUNCH_GROUP", "gpu"},
                                                            {"RAYLAUNCH_PROJECT", "demo"},
                                                            {"RAYLAUNCH_REPLICA", "2"},
                                                            {"RAY_ADDRESS", "demo-head:6379"},
                                                            {"RAY_CLOUD_INSTANCE_ID", "demo-gpu-2"},
                                                            {"RAY_NODE_TYPE_NAME", "gpu"}}));
  EXPECT_EQ(plan.network.name, "demo_net");
}

TEST(Planner, ShmFollowsRaysRuleFromMemory) {
  // 30% of 8 GiB, times 1.1, rounded up to a MiB: 2704 MiB.
  Plan plan = plan_text(k_two_groups);
  EXPECT_EQ(plan.containers[1].shm_size, 2835349504);
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(Planner, WarnsWhenShmIsBelowTheObjectStore) {
  Plan plan = plan_text("name: demo\nimage: ray:1\nhead:\n  memory: 8g\n  shm_size: 1g\n");
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(format_diagnostic(plan.warnings[0], "name: demo\nimage: ray:1\nhead:\n  memory: 8g\n  shm_size: 1g\n"),
            "cluster.yml:5:13: warning: shm_size 1.00GiB of the head is below the 2.40GiB Ray's "
            "object store will want (30% of memory 8.00GiB)\n"
            "    5 |   shm_size: 1g\n"
            "      |             ^\n"
            "hint: Ray would fall back to /tmp and run slowly; raise shm_size to at least "
            "2.64GiB, or leave it out and raylaunch sizes it\n");
}

TEST(Planner, ObjectStoreMemorySizesShm) {
  Plan plan = plan_text(
      "name: demo\nimage: ray:1\nworkers:\n  - group: a\n    replicas: 3\n"
      "    ray_args: {object-store-memory: '1073741824'}\n");
  EXPECT_EQ(plan.containers[1].shm_size, 1181745152);  // 1 GiB x 1.1 = 1126.4 MiB, rounded up to 1127 MiB
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(Planner, WarnsOncePerGroupWhenShmIsTooSmall) {
  Plan plan = plan_text(
      "name: demo\nimage: ray:1\nworkers:\n  - group: a\n    replicas: 3\n    memory: 8g\n"
      "    shm_size: 1g\n");
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0].message,
            "shm_size 1.00GiB of group \"a\" is below the 2.40GiB Ray's object store will want "
            "(30% of memory 8.00GiB)");
}

TEST(Planner, WarnsWhenTheDashboardIsPublishedEverywhere) {
  Plan plan = plan_text("name: demo\nimage: ray:1\nhead:\n  bind: 0.0.0.0\n");
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0].message,
            "the head's ports are published on every interface (bind: 0.0.0.0)");
  EXPECT_EQ(plan.containers[0].ports[0].host_ip, "0.0.0.0");
}

TEST(Planner, ReplicaCountDoesNotChangeOtherReplicasHash) {
  std::string three = "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 3\n";
  std::string one = "name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: 1\n";
  EXPECT_EQ(plan_text(three).containers[1].config_hash, plan_text(one).containers[1].config_hash);
}

TEST(Planner, EnvChangeChangesOnlyThatGroupsHash) {
  std::string before =
      "name: demo\nimage: ray:1\nworkers:\n  - group: a\n  - group: b\n    env: {X: '1'}\n";
  std::string after =
      "name: demo\nimage: ray:1\nworkers:\n  - group: a\n  - group: b\n    env: {X: '2'}\n";
  Plan old_plan = plan_text(before);
  Plan new_plan = plan_text(after);
  EXPECT_EQ(old_plan.containers[0].config_hash, new_plan.containers[0].config_hash);
  EXPECT_EQ(old_plan.containers[1].config_hash, new_plan.containers[1].config_hash);
  EXPECT_NE(old_plan.containers[2].config_hash, new_plan.containers[2].config_hash);
}

TEST(Planner, HostNetworkingPinsDisjointPortsPerNode) {
  Plan plan = plan_text(
      "name: h\nimage: ray:1\nnetwork: {mode: host, port_base: 20000, worker_ports: 50}\n"
      "workers:\n  - group: w\n    replicas: 1\n");
  EXPECT_EQ(plan.to_text(),
            "h-head  image=ray:1  gpus=-  ports=-  shm=2147483648  ray start --block "
            "--dashboard-agent-grpc-port=20003 --dashboard-agent-listen-port=20004 "
            "--dashboard-host=127.0.0.1 --dashboard-port=8265 --head --max-worker-port=20059 "
            "--metrics-export-port=20005 --min-worker-port=20010 --node-manager-port=20000 "
            "--node-name=h-head --num-gpus=0 --object-manager-port=20001 --port=6379 "
            "--ray-client-server-port=10001 --runtime-env-agent-port=20002\n"
            "h-w-1  image=ray:1  gpus=-  ports=-  shm=2147483648  ray start "
            "--address=127.0.0.1:6379 --block --dashboard-agent-grpc-port=20063 "
            "--dashboard-agent-listen-port=20064 --max-worker-port=20119 "
            "--metrics-export-port=20065 --min-worker-port=20070 --node-manager-port=20060 "
            "--node-name=h-w-1 --num-gpus=0 --object-manager-port=20061 "
            "--runtime-env-agent-port=20062\n");
  EXPECT_TRUE(plan.network.name.empty());
}

TEST(Planner, RayArgsRenderByKind) {
  Plan plan = plan_text(
      "name: demo\nimage: ray:1\nhead:\n  ray_args:\n    object-store-memory: 1000000\n"
      "    disable-usage-stats: true\n    include-dashboard: false\n    no-monitor: false\n");
  const std::vector<std::string>& command = plan.containers[0].command;
  EXPECT_EQ(std::vector<std::string>(command.begin() + 2, command.end()),
            (std::vector<std::string>{"--block", "--dashboard-host=0.0.0.0", "--dashboard-port=8265",
                                      "--disable-usage-stats", "--head", "--include-dashboard=false",
                                      "--node-name=demo-head", "--num-gpus=0",
                                      "--object-store-memory=1000000", "--port=6379",
                                      "--ray-client-server-port=10001"}));
}

TEST(Planner, NamedVolumesBelongToTheProject) {
  Plan plan = plan_text("name: demo\nimage: ray:1\ndefaults:\n  volumes: [cache:/cache]\n");
  EXPECT_EQ(plan.volumes, std::vector<std::string>{"demo_cache"});
  EXPECT_EQ(plan.containers[0].mounts[0].source, "demo_cache");
  EXPECT_TRUE(plan.containers[0].mounts[0].volume);
}

TEST(Planner, IsDeterministic) {
  EXPECT_EQ(plan_text(k_two_groups).to_text(), plan_text(k_two_groups).to_text());
}

}  // namespace
}  // namespace raylaunch
