#include <gtest/gtest.h>

#include <raylaunch/engine/command_runner.hpp>
#include <raylaunch/engine/docker_engine.hpp>
#include <raylaunch/base/log.hpp>
#include <raylaunch/base/redact.hpp>

#include <regex>
#include <sstream>

#include "support/load_helpers.hpp"
#include "support/recording_runner.hpp"

namespace raylaunch {
namespace {

// The exact argv: GPUs as one element with its quotes, ports on 127.0.0.1,
// labels and env sorted, --init, and ray start as the command.
TEST(DockerArgs, RunsAGpuWorkerExactlyAsPlanned) {
  Plan plan = test::plan_text(
      "name: demo\nimage: ray:1\ngpus: [0, 2]\nworkers:\n  - group: gpu\n    replicas: 1\n"
      "    gpus: 2\n    memory: 1g\n    cpus: 1.5\n    env: {HF_HOME: /cache}\n"
      "    volumes: ['/models:/models:ro']\n");
  const PlannedContainer& worker = plan.containers[1];
  EXPECT_EQ(run_args(plan, worker),
            (std::vector<std::string>{
                "run", "--detach", "--init", "--name", "demo-gpu-1", "--hostname", "demo-gpu-1",
                "--network", "demo_net", "--label",
                "io.raylaunch.config-hash=" + worker.config_hash, "--label", "io.raylaunch.cpus=1",
                "--label", "io.raylaunch.gpus=0,2", "--label", "io.raylaunch.group=gpu", "--label",
                "io.raylaunch.project=demo", "--label", "io.raylaunch.replica=1", "--label",
                "io.raylaunch.role=worker", "--label", "io.raylaunch.version=0.1.0", "--env",
                "HF_HOME=/cache", "--env", "RAYLAUNCH_GROUP=gpu", "--env", "RAYLAUNCH_PROJECT=demo",
                "--env", "RAYLAUNCH_REPLICA=1", "--env", "RAY_ADDRESS=demo-head:6379",
                 "--env", "RAY_CLOUD_INSTANCE_ID=demo-gpu-1", "--env", "RAY_NODE_TYPE_NAME=gpu",
                "--shm-size", "354418688", "--memory", "1073741824", "--cpus", "1.5", "--gpus",
                "\"device=0,2\"", "--restart", "unless-stopped", "--volume", "/models:/models:ro",
                "ray:1", "ray", "start", "--address=demo-head:6379", "--block",
                "--node-name=demo-gpu-1", "--num-cpus=1", "--num-gpus=2"}));
}

TEST(DockerArgs, PublishesHeadPortsOnBind) {
  Plan plan = test::plan_text("name: demo\nimage: ray:1\n");
  std::vector<std::string> args = run_args(plan, plan.containers[0]);
  std::vector<std::string> published;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--publish") {
      published.push_back(args[i + 1]);
    }
  }
  EXPECT_EQ(published, (std::vector<std::string>{"127.0.0.1:6379:6379", "127.0.0.1:8265:8265",
                                                 "127.0.0.1:10001:10001"}));
}

TEST(DockerArgs, ContextGoesBeforeTheCommand) {
  DockerEndpoint endpoint{"/usr/bin/docker", "remote", "", ""};
  EXPECT_EQ(endpoint.argv({"ps"}),
            (std::vector<std::string>{"/usr/bin/docker", "--context", "remote", "ps"}));
}

TEST(DockerPs, ParsesLabelsAndStates) {
  std::vector<ObservedContainer> seen = parse_ps(
      "abc\tdemo-head\trunning\thead\thead\t1\th1\t0\t\thttp://127.0.0.1:8265\n"
      "def\tdemo-cpu-2\texited\tworker\tcpu\t2\th2\t4\t0,1\t\n");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].dashboard, "http://127.0.0.1:8265");
  EXPECT_EQ(seen[1].name, "demo-cpu-2");
  EXPECT_EQ(seen[1].state, "exited");
  EXPECT_EQ(seen[1].replica, 2);
  EXPECT_EQ(seen[1].config_hash, "h2");
  EXPECT_EQ(seen[1].gpus, "0,1");
}

TEST(DockerImages, ReadsWhichAreMissing) {
  EXPECT_EQ(parse_missing_images("Error: No such image: ray:2\n", {"ray:1", "ray:2"}),
            std::vector<std::string>{"ray:2"});
}

// One line per present image, in the order asked; the missing ones have none.
TEST(DockerImages, ReadsEachPresentImagesUser) {
  EXPECT_EQ(parse_image_users("sha256:a\t\"1000\"\nsha256:c\t\"\"\n", {"ray:1", "ray:2", "ray:3"},
                              {"ray:2"}),
            (std::map<std::string, std::string>{{"ray:1", "1000"}, {"ray:3", ""}}));
  EXPECT_EQ(parse_image_users("sha256:a\t\"ray:users\"\n", {"ray:1"}, {}),
            (std::map<std::string, std::string>{{"ray:1", "ray:users"}}));
}

TEST(DockerImages, ReadsEachPresentImagesId) {
  EXPECT_EQ(parse_image_ids("sha256:a\t\"1000\"\nsha256:c\t\"\"\n", {"ray:1", "ray:2", "ray:3"},
                            {"ray:2"}),
            (std::map<std::string, std::string>{{"ray:1", "sha256:a"}, {"ray:3", "sha256:c"}}));
}

// `docker inspect` as Docker 20.10 prints it with the format's template:
// the image ID, the state, the restarts and each network endpoint's network.
// A run's log starts a second before Docker's StartedAt, as a Unix time.
TEST(DockerInspect, TheLogOfARunStartsASecondBeforeItsStart) {
  EXPECT_EQ(log_since_of("2026-01-05T10:11:12.123456789Z"), "1767607871.123456789");
  EXPECT_EQ(log_since_of("2026-01-05T10:11:12Z"), "1767607871.000000000");
  EXPECT_EQ(log_since_of("2026-01-05T10:11:12.5Z"), "1767607871.500000000");
  EXPECT_EQ(log_since_of("0001-01-01T00:00:00Z"), "");  // never started
  EXPECT_EQ(log_since_of(""), "");
  EXPECT_EQ(log_since_of("2026-01-05T10:11:12+01:00"), "");
}

TEST(DockerInspect, ReadsImageNetworksAndRestarts) {
  EXPECT_EQ(container_inspect_args({"id1", "demo-cpu-1"}),
            (std::vector<std::string>{
                "inspect", "--type", "container", "--format",
                "{{.Id}}\t{{.Name}}\t{{.Image}}\t{{.State.Status}}\t{{.RestartCount}}\t"
                "{{.State.ExitCode}}\t{{.State.StartedAt}}\t"
                "{{range $name, $net := .NetworkSettings.Networks}}{{$name}}={{$net.NetworkID}} {{end}}",
                "id1", "demo-cpu-1"}));
  std::vector<ContainerFacts> facts = parse_container_facts(
      "id1\t/demo-head\tsha256:427d\trunning\t0\t0\t2026-01-05T10:11:12.123456789Z\tdemo_net=c410 \n"
      "id2\t/demo-cpu-1\tsha256:427d\trestarting\t3\t2\t0001-01-01T00:00:00Z\t\n");
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0].name, "demo-head");
  EXPECT_EQ(facts[0].image_id, "sha256:427d");
  EXPECT_EQ(facts[0].started_at, "2026-01-05T10:11:12.123456789Z");
  EXPECT_EQ(facts[0].networks, (std::map<std::string, std::string>{{"demo_net", "c410"}}));
  EXPECT_EQ(facts[1].state, "restarting");
  EXPECT_EQ(facts[1].restart_count, 3);
  EXPECT_EQ(facts[1].exit_code, 2);
  EXPECT_TRUE(facts[1].networks.empty());  // detached
  EXPECT_EQ(parse_network_ids("demo_net\tc410\n"),
            (std::map<std::string, std::string>{{"demo_net", "c410"}}));
}

// Scale-down and re-create give the node its grace period: docker stop -t N,
// then docker rm, never rm --force.
TEST(DockerEngine, RemovesAContainerAfterStoppingItWithinItsGrace) {
  test::RecordingRunner runner;
  DockerEngine engine(runner, DockerEndpoint{});
  EXPECT_TRUE(engine.remove("id1", std::chrono::seconds(90)).ok);
  EXPECT_EQ(runner.argvs, (std::vector<std::vector<std::string>>{
                              {"docker", "stop", "--time", "90", "id1"}, {"docker", "rm", "id1"}}));
}

TEST(DockerImages, ReadsTheUserIdFromId) {
  EXPECT_EQ(parse_id("uid=1000(ray) gid=100(users) groups=100(users)\n"), (UserIds{1000, 100}));
  EXPECT_EQ(parse_id("uid=1000 gid=0\n"), (UserIds{1000, 0}));
  EXPECT_EQ(parse_id("id: unknown user ray\n"), std::nullopt);
}

}  // namespace
}  // namespace raylaunch

namespace raylaunch {
namespace {

TEST(DryRun, OnlyLookingCommandsReachTheEngine) {
  EXPECT_TRUE(is_read_only_docker_command({"docker", "ps", "-a"}));
  EXPECT_TRUE(is_read_only_docker_command({"docker", "--context", "x", "network", "ls"}));
  EXPECT_TRUE(is_read_only_docker_command({"docker", "image", "inspect", "ray:1"}));
  EXPECT_TRUE(is_read_only_docker_command(DockerEndpoint{}.argv(user_probe_args("ray:1"))));
  EXPECT_FALSE(is_read_only_docker_command(
      {"docker", "run", "--rm", "--network", "none", "--entrypoint", "id", "-v", "/:/h", "ray:1"}));
  EXPECT_FALSE(is_read_only_docker_command({"docker", "network", "create", "n"}));
  EXPECT_FALSE(is_read_only_docker_command({"docker", "run", "-d", "ray:1"}));
  EXPECT_FALSE(is_read_only_docker_command({"docker", "pull", "ray:1"}));
  EXPECT_FALSE(is_read_only_docker_command({"docker", "rm", "-f", "x"}));
}

// --verbose: one copy-pasteable line per docker command, with its exit
// status and time, secrets masked; nothing at all without it.
TEST(DockerEngine, VerboseLogsEachCommandWithItsExitSecretsMasked) {
  std::ostringstream log;
  remember_secret("s3cr3t-value");
  test::RecordingRunner runner;
  runner.reply_with({0, "", "", false});
  runner.reply_with({3, "", "", false});
  DockerEngine engine(runner, DockerEndpoint{});
  init_log("debug", &log);
  engine.exec("demo-head", {"echo", "s3cr3t-value"});
  init_log("off", &log);
  engine.exec("demo-head", {"true"});
  std::string lines = std::regex_replace(log.str(), std::regex("[0-9]+\\.[0-9]{3} s"), "T s");
  EXPECT_EQ(lines, "raylaunch: debug: docker exec demo-head echo ****** (exit 0, T s)\n");
}

}  // namespace
}  // namespace raylaunch
