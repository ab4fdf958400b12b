// Every kind of spec error, each asserted as the whole message a user sees:
// location, source line, caret and hint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/load_helpers.hpp"

namespace raylaunch {
namespace {

using test::error_of;

TEST(SpecErrors, YamlSyntax) {
  EXPECT_EQ(error_of("name: demo\nworkers:\n  - group: cpu\n   replicas: 2\n"),
            "cluster.yml:4:4: error: invalid YAML: end of sequence not found\n"
            "    4 |    replicas: 2\n"
            "      |    ^\n"
            "hint: check the indentation and quoting around this place\n");
}

TEST(SpecErrors, UnknownKeySuggestsTheClosestOne) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replics: 3\n"),
            "cluster.yml:5:5: error: unknown key \"replics\" in worker group \"cpu\"\n"
            "    5 |     replics: 3\n"
            "      |     ^\n"
            "hint: did you mean \"replicas\"?\n");
}

TEST(SpecErrors, UnknownKeyWithoutCloseMatchListsTheKeys) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nnetwork:\n  zzz: 1\n"),
            "cluster.yml:4:3: error: unknown key \"zzz\" under network\n"
            "    4 |   zzz: 1\n"
            "      |   ^\n"
            "hint: the keys allowed here are: mode, subnet, node_ip, port_base, worker_ports\n");
}

TEST(SpecErrors, WrongType) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n    replicas: three\n"),
            "cluster.yml:5:15: error: replicas must be an integer, got \"three\"\n"
            "    5 |     replicas: three\n"
            "      |               ^\n"
            "hint: write a whole number, e.g. replicas: 3\n");
}

TEST(SpecErrors, MappingWhereAListBelongs) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  group: cpu\n"),
            "cluster.yml:4:3: error: workers must be a list, got a mapping\n"
            "    4 |   group: cpu\n"
            "      |   ^\n"
            "hint: write a list of groups, each starting with \"- group: NAME\"\n");
}

TEST(SpecErrors, ValueOutOfRange) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  ports: {gcs: 70000}\n"),
            "cluster.yml:4:16: error: ports.gcs must be between 1 and 65535, got 70000\n"
            "    4 |   ports: {gcs: 70000}\n"
            "      |                ^\n"
            "hint: e.g. ports.gcs: 6379\n");
}

TEST(SpecErrors, ProjectNameDockerWouldRefuse) {
  EXPECT_EQ(error_of("name: My Cluster\nimage: ray:1\n"),
            "cluster.yml:1:7: error: invalid project name \"My Cluster\": must consist only of "
            "lowercase letters, digits, \"-\" and \"_\", and start with a letter or digit\n"
            "    1 | name: My Cluster\n"
            "      |       ^\n"
            "hint: Docker and DNS refuse other names; e.g. name: my-cluster\n");
}

TEST(SpecErrors, GroupNameDnsWouldRefuse) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  - group: GPU_workers\n"),
            "cluster.yml:4:12: error: invalid group name \"GPU_workers\": must be lowercase "
            "letters, digits and \"-\", start and end with a letter or digit, at most 30 "
            "characters\n"
            "    4 |   - group: GPU_workers\n"
            "      |            ^\n"
            "hint: the group becomes part of container and DNS names; e.g. group: gpu-a10\n");
}

TEST(SpecErrors, TwoGroupsWithOneName) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  - group: cpu\n  - group: cpu\n"),
            "cluster.yml:5:12: error: two worker groups are named \"cpu\"\n"
            "    5 |   - group: cpu\n"
            "      |            ^\n"
            "hint: the first is at cluster.yml:4:12; give each group its own name\n");
}

TEST(SpecErrors, RequiredVariableMissing) {
  EXPECT_EQ(error_of("name: demo\nimage: \"ray:${TAG:?set TAG to the Ray version}\"\n"),
            "cluster.yml:2:13: error: image: required variable TAG is missing a value: set TAG "
            "to the Ray version\n"
            "    2 | image: \"ray:${TAG:?set TAG to the Ray version}\"\n"
            "      |             ^\n"
            "hint: set TAG in the environment or in the .env file beside the spec\n");
}

TEST(SpecErrors, GpuPoolTooSmallPointsAtTheGroupsGpusLine) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\ngpus: [0, 2]\nworkers:\n  - group: gpu\n"
                     "    replicas: 3\n    gpus: 1\n"),
            "cluster.yml:7:11: error: worker group \"gpu\" needs 3 GPUs (3 replicas x 1), but "
            "only 2 of the 2 in the pool are left\n"
            "    7 |     gpus: 1\n"
            "      |           ^\n"
            "hint: add devices to the top-level gpus: list, or lower replicas or gpus\n");
}

TEST(SpecErrors, GpusWithoutAPool) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nworkers:\n  - group: gpu\n    gpus: 1\n"),
            "cluster.yml:5:11: error: worker group \"gpu\" asks for 1 GPU a replica, but the "
            "spec lists no GPUs\n"
            "    5 |     gpus: 1\n"
            "      |           ^\n"
            "hint: list the devices this host may hand out at the top level, e.g. gpus: [0, 1]\n");
}

TEST(SpecErrors, TwoPortsOnOneHostPort) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  ports:\n    gcs: 8265\n"),
            "cluster.yml:5:10: error: ports.gcs and ports.dashboard both use host port 8265\n"
            "    5 |     gcs: 8265\n"
            "      |          ^\n"
            "hint: give each published port its own number\n");
}

TEST(SpecErrors, RayArgRayDoesNotKnow) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  ray_args:\n    object-store-mem: 1000\n"),
            "cluster.yml:5:5: error: ray start has no option --object-store-mem\n"
            "    5 |     object-store-mem: 1000\n"
            "      |     ^\n"
            "hint: did you mean \"object-store-memory\"?\n");
}

TEST(SpecErrors, RayArgRemovedInRay248) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\ndefaults:\n  ray_args: {gcs-server-port: 1}\n"),
            "cluster.yml:4:14: error: --gcs-server-port was removed from ray start in Ray 2.48\n"
            "    4 |   ray_args: {gcs-server-port: 1}\n"
            "      |              ^\n"
            "hint: leave it out; Ray 2.48 and later refuse it\n");
}

TEST(SpecErrors, RayArgRaylaunchSetsItself) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  ray_args: {num-cpus: 4}\n"),
            "cluster.yml:4:14: error: --num-cpus is set by raylaunch\n"
            "    4 |   ray_args: {num-cpus: 4}\n"
            "      |              ^\n"
            "hint: set num_cpus\n");
}

TEST(SpecErrors, BadSize) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\ndefaults:\n  shm_size: lots\n"),
            "cluster.yml:4:13: error: shm_size must be a size, got \"lots\"\n"
            "    4 |   shm_size: lots\n"
            "      |             ^\n"
            "hint: write bytes or a number with a unit (k, m, g, t), e.g. shm_size: 4g\n");
}

TEST(SpecErrors, NodeWithoutImage) {
  EXPECT_EQ(error_of("name: demo\nhead:\n  num_cpus: 0\n"),
            "cluster.yml:2:1: error: the head has no image\n"
            "    2 | head:\n"
            "      | ^\n"
            "hint: set image: at the top of the spec, e.g. image: rayproject/ray:2.52.1\n");
}

TEST(SpecErrors, HostPortsPastTheEnd) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nnetwork: {mode: host, port_base: 65000}\n"
                     "workers:\n  - group: w\n    replicas: 5\n"),
            "cluster.yml:3:34: error: host networking needs 660 ports for 6 nodes from port "
            "65000, past 65535\n"
            "    3 | network: {mode: host, port_base: 65000}\n"
            "      |                                  ^\n"
            "hint: lower network.port_base or network.worker_ports, or run fewer nodes per host\n");
}

// Found by the fuzzer: invalid UTF-8 used to reach the JSON writer and throw.
// The byte is shown escaped, as every byte that is no text.
TEST(SpecErrors, NotUtf8) {
  EXPECT_EQ(error_of("name: demo\nimage: ray:1\nhead:\n  env: {X: \"a\xff\"}\n"),
            "cluster.yml:4:14: error: the spec is not valid UTF-8 (byte 0xFF)\n"
            "    4 |   env: {X: \"a\\xFF\"}\n"
            "      |              ^\n"
            "hint: save the file as UTF-8\n");
}

}  // namespace
}  // namespace raylaunch

namespace raylaunch {
namespace {

// Every input that once crashed the fuzzer (fuzz/crashes/) is now a spec
// error with a location: exit 2, not an internal error or a signal.
TEST(FuzzRegressions, EveryCrashInputIsASpecError) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(std::string(RAYLAUNCH_SOURCE_DIR) + "/fuzz/crashes")) {
    if (entry.path().extension() != ".yml") {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      test::plan_text(text);
      ADD_FAILURE() << entry.path() << " was accepted";
    } catch (const SpecError& e) {
      EXPECT_TRUE(e.where().has_value()) << entry.path();
    }
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

}  // namespace
}  // namespace raylaunch
