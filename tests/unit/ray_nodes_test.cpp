// Ray's node list as the dashboard returns it, and Ray's view by node name.
#include <gtest/gtest.h>

#include <raylaunch/ray/nodes.hpp>

#include "support/fake_http.hpp"

namespace raylaunch {
namespace {

// The sample of shared/reference/ray-dashboard-api.md (1 head + 1 worker).
const char* k_reference_sample = R"({"result": true, "msg": "", "data": {"result": {"total": 2, "num_after_truncation": 2,
 "num_filtered": 2, "result": [
  {"node_id": "04eaf7c1a68c26317bb12a9d593a3528eee75919f6ed450936d57218", "node_ip": "172.28.0.3",
   "is_head_node": false, "state": "ALIVE", "state_message": null, "node_name": "demo-cpu-1",
   "resources_total": {"CPU": 4.0, "memory": 8589934592.0, "object_store_memory": 2147483648.0,
                       "node:172.28.0.3": 1.0},
   "labels": {"ray.io/node-id": "04eaf7c1a68c26317bb12a9d593a3528eee75919f6ed450936d57218"}},
  {"node_id": "36c4f3d1dd4556b43055763eca77edef02cb51566321917fa1e76cd9", "node_ip": "172.28.0.2",
   "is_head_node": true, "state": "ALIVE", "state_message": null, "node_name": "demo-head",
   "resources_total": {"CPU": 0.0, "memory": 4294967296.0, "object_store_memory": 1073741824.0,
                       "node:172.28.0.2": 1.0, "node:__internal_head__": 1.0},
   "labels": {"ray.io/node-id": "36c4f3d1dd4556b43055763eca77edef02cb51566321917fa1e76cd9"}}],
 "partial_failure_warning": "", "warnings": null}}})";

TEST(RayNodes, ReadsTheReferenceSample) {
  std::string error;
  std::optional<std::vector<RayNode>> nodes = parse_ray_nodes(k_reference_sample, error);
  ASSERT_TRUE(nodes) << error;
  ASSERT_EQ(nodes->size(), 2u);
  const RayNode& worker = (*nodes)[0];
  EXPECT_EQ(worker.node_id, "04eaf7c1a68c26317bb12a9d593a3528eee75919f6ed450936d57218");
  EXPECT_EQ(worker.node_ip, "172.28.0.3");
  EXPECT_EQ(worker.node_name, "demo-cpu-1");
  EXPECT_FALSE(worker.is_head);
  EXPECT_TRUE(worker.alive);
  EXPECT_EQ(worker.state_message, "");
  EXPECT_EQ(worker.resources, (std::map<std::string, double>{{"CPU", 4.0},
                                                             {"memory", 8589934592.0},
                                                             {"node:172.28.0.3", 1.0},
                                                             {"object_store_memory", 2147483648.0}}));
  EXPECT_TRUE((*nodes)[1].is_head);
  EXPECT_EQ((*nodes)[1].node_name, "demo-head");
}

TEST(RayNodes, RefusesWhatIsNotRaysAnswer) {
  std::string error;
  EXPECT_FALSE(parse_ray_nodes("Internal Server Error", error));
  EXPECT_EQ(error, "the answer is not JSON");
  EXPECT_FALSE(parse_ray_nodes(R"({"result": false, "msg": "GCS timed out", "data": {}})", error));
  EXPECT_EQ(error, "GCS timed out");
  EXPECT_FALSE(parse_ray_nodes(R"({"result": true, "msg": "", "data": {}})", error));
  EXPECT_EQ(error.rfind("unexpected node list: ", 0), 0u) << error;
}

// A refusal whose msg is null, missing or not a string is still a refusal
// (the dashboard did not answer), never an exception.
TEST(RayNodes, ARefusalWithoutAStringMessageIsStillARefusal) {
  for (const char* body : {R"({"result": false, "msg": null, "data": {}})",
                           R"({"result": false, "data": {}})", R"({"result": false, "msg": 7})",
                           R"({"result": false, "msg": ""})"}) {
    std::string error;
    EXPECT_FALSE(parse_ray_nodes(body, error)) << body;
    EXPECT_EQ(error, "Ray answered result: false") << body;
  }
  for (const char* body : {R"({"result": null, "msg": null})", R"({"result": "true", "msg": 7})",
                           R"({"data": {}})"}) {
    std::string error;
    EXPECT_FALSE(parse_ray_nodes(body, error)) << body;
    EXPECT_EQ(error, R"(the answer has no "result": true)") << body;
  }
  std::string error;
  EXPECT_FALSE(parse_ray_nodes(R"({"result": null, "msg": "GCS timed out"})", error));
  EXPECT_EQ(error, "GCS timed out");
}

TEST(RayNodes, ANameWithoutNodeNameIsItsIp) {
  std::string error;
  auto nodes = parse_ray_nodes(
      R"({"result": true, "data": {"result": {"result": [{"node_id": "a", "node_ip": "10.0.0.9",
          "state": "ALIVE", "is_head_node": false}]}}})",
      error);
  ASSERT_TRUE(nodes) << error;
  EXPECT_EQ((*nodes)[0].node_name, "10.0.0.9");
}

// A container restarted by Docker rejoins under its name with a new node id:
// the new ALIVE entry wins over the old DEAD one, whatever the order.
TEST(RayNodes, AliveEntryOfANameWinsOverItsDeadOnes) {
  std::string error;
  auto nodes = parse_ray_nodes(
      test::ray_nodes_answer({test::ray_node_json("b", "demo-cpu-1", false, true, "", 2000),
                              test::ray_node_json("a", "demo-cpu-1", false, false,
                                                  "Unexpected termination: lost", 1000),
                              test::ray_node_json("c", "demo-cpu-2", false, false,
                                                  "Expected termination", 1000),
                              test::ray_node_json("d", "demo-cpu-2", false, false,
                                                  "Unexpected termination: later", 3000)}),
      error);
  ASSERT_TRUE(nodes) << error;
  std::map<std::string, RayNode> by_name = ray_nodes_by_name(*nodes);
  ASSERT_EQ(by_name.size(), 2u);
  EXPECT_EQ(by_name["demo-cpu-1"].node_id, "b");
  EXPECT_TRUE(by_name["demo-cpu-1"].alive);
  EXPECT_EQ(by_name["demo-cpu-2"].node_id, "d");
  EXPECT_EQ(by_name["demo-cpu-2"].state_message, "Unexpected termination: later");
}

}  // namespace
}  // namespace raylaunch
