#include <gtest/gtest.h>

#include <raylaunch/ray/ray_status.hpp>

#include <fstream>
#include <sstream>

namespace raylaunch {
namespace {

std::string reference(const std::string& name) {
  std::ifstream in(std::string(RAYLAUNCH_SOURCE_DIR) + "/tests/data/ray-status/" + name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Real output of Ray 2.52.1 (seed 004): a head and two GPU workers.
TEST(RayStatus, ReadsRealOutputOfThreeNodes) {
  RayStatus status = parse_ray_status(reference("three-nodes-two-gpus.txt"));
  EXPECT_TRUE(status.has_status);
  EXPECT_EQ(status.alive, 3);
  EXPECT_EQ(status.pending, 0);
  EXPECT_EQ(status.failed, 0);
  EXPECT_EQ(status.cpus_total, 192.0);
  EXPECT_EQ(status.gpus_total, 2.0);
}

// Nodes under Idle: are alive too.
TEST(RayStatus, CountsActiveAndIdle) {
  RayStatus status = parse_ray_status(reference("constructed-active-and-idle.txt"));
  EXPECT_EQ(status.alive, 2);
  EXPECT_EQ(status.cpus_total, 64.0);
  EXPECT_EQ(status.gpus_total, 0.0);
}

TEST(RayStatus, ReadsTheV1LayoutAndGroupedCounts) {
  RayStatus status = parse_ray_status(
      "======== Autoscaler status: 2023-01-01 00:00:00.000000 ========\n"
      "Node status\n---------------------------------------------------------------\n"
      "Healthy:\n 1 head\n 3 cpu\nPending:\n 10.0.0.5: cpu, setting-up\n"
      "Recent failures:\n (no failures)\n");
  EXPECT_EQ(status.alive, 4);
  EXPECT_EQ(status.pending, 1);
}

TEST(RayStatus, NoClusterYet) {
  RayStatus status = parse_ray_status(
      "No cluster status. It may take a few seconds for the Ray internal services to start up.\n");
  EXPECT_FALSE(status.has_status);
  EXPECT_EQ(status.alive, 0);
}

}  // namespace
}  // namespace raylaunch
